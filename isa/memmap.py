"""The memory map (docs/platform.md): QEMU ``virt`` where the two overlap.

The ISS, the SoC, the lockstep harness and the firmware's platform header
(``firmware/include/chainrv.h``, checked against this module by
``tests/test_platform_facts.py``) all take their addresses from here.
"""

from __future__ import annotations

RAM_BASE = 0x8000_0000
RAM_SIZE = 1 << 20                  # default; chainrv run/cosim --ram-size

UART_BASE, UART_SIZE = 0x1000_0000, 0x100
UART_THR, UART_LSR = 0, 5
UART_LSR_VALUE = 0x60               # THR empty and transmitter idle: always ready
UART_RBR = UART_THR                 # the receive buffer, read at THR's offset
UART_LSR_DR, UART_LSR_THRE = 0x01, 0x20  # LSR bits: data ready, THR empty

FINISHER_BASE, FINISHER_SIZE = 0x0010_0000, 0x1000
FINISHER_PASS, FINISHER_FAIL, FINISHER_RESET = 0x5555, 0x3333, 0x7777
FINISHER_CODE_SHIFT = 16            # exit code N != 0 is written as (N << 16) | FINISHER_FAIL

CLINT_BASE, CLINT_SIZE = 0x0200_0000, 0x10000
CLINT_MTIMECMP, CLINT_MTIME = 0x4000, 0xBFF8

#: Regions a load or store may touch besides RAM; any other address is an access fault.
DEVICE_REGIONS = ((UART_BASE, UART_SIZE), (FINISHER_BASE, FINISHER_SIZE), (CLINT_BASE, CLINT_SIZE))

#: Kernel input block: u32 magic "CRVI", u32 length, then the data, in a region
#: the linker keeps free (firmware/link.ld).
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
