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

#: Kernel input block: u32 magic "CRVI", u32 length, data.
INPUT_ADDR = 0x800C_0000
INPUT_MAGIC = 0x4956_5243
INPUT_MAX = 128 * 1024
