"""The platform the ISS models (QEMU ``virt`` compatible, see docs/simulator.md)."""

from __future__ import annotations

RAM_BASE = 0x8000_0000
RAM_SIZE = 1 << 20

UART_BASE = 0x1000_0000
UART_SIZE = 0x100
UART_LSR = 5
UART_LSR_VALUE = 0x60  # THR empty and transmitter idle: always ready

FINISHER_BASE = 0x0010_0000
FINISHER_SIZE = 0x1000
FINISHER_PASS = 0x5555
FINISHER_FAIL = 0x3333
FINISHER_RESET = 0x7777

CLINT_BASE = 0x0200_0000
CLINT_SIZE = 0x10000
CLINT_MTIMECMP = 0x4000
CLINT_MTIME = 0xBFF8

#: Kernel input block (docs/platform.md): u32 magic "CRVI", u32 length, then the
#: data, in a region the linker keeps free. firmware/include/chainrv.h and
#: firmware/link.ld state the same numbers; tests/test_platform_facts.py holds
#: them together.
INPUT_ADDR = 0x800C_0000
INPUT_REGION = 0x2_0000
INPUT_HEADER = 8
INPUT_MAGIC = 0x4956_5243
INPUT_MAX = INPUT_REGION - INPUT_HEADER  # data bytes that fit behind the header


def input_block(data: bytes) -> bytes:
    """The input block holding ``data``; ValueError when it does not fit."""
    if len(data) > INPUT_MAX:
        raise ValueError(f"input is {len(data)} bytes; the input block holds at most {INPUT_MAX}")
    return INPUT_MAGIC.to_bytes(4, "little") + len(data).to_bytes(4, "little") + data
