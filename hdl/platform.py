"""The memory map (docs/platform.md), shared by the core's access checks and the SoC."""

from __future__ import annotations

RAM_BASE = 0x8000_0000
RAM_SIZE_DEFAULT = 1 << 20

UART_BASE, UART_SIZE = 0x1000_0000, 0x100
UART_THR, UART_LSR = 0, 5
UART_LSR_VALUE = 0x60                 # transmitter empty, always ready

FINISHER_BASE, FINISHER_SIZE = 0x0010_0000, 0x1000
FINISH_PASS, FINISH_FAIL = 0x5555, 0x3333

CLINT_BASE, CLINT_SIZE = 0x0200_0000, 0x10000
CLINT_MTIMECMP, CLINT_MTIME = 0x4000, 0xBFF8

#: Regions a load or store may touch; any other address is an access fault.
DEVICE_REGIONS = ((UART_BASE, UART_SIZE), (FINISHER_BASE, FINISHER_SIZE), (CLINT_BASE, CLINT_SIZE))


def check_ram_size(size: int) -> int:
    if size < 4096 or size & (size - 1) or size > (1 << 28):
        raise ValueError(f"RAM size {size} must be a power of two between 4 KiB and 256 MiB")
    return size
