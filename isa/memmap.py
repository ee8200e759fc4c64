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
#: The clock the firmware's time functions assume (``clock``, ``time``, ``gettimeofday``:
#: mtime ticks once a core cycle, so a cycle count is read as time at this frequency);
#: the report's nominal column uses it too. A chip's real clock is its Fmax.
NOMINAL_CLOCK_HZ = 100_000_000

#: Regions a load or store may touch besides RAM; any other address is an access fault.
DEVICE_REGIONS = ((UART_BASE, UART_SIZE), (FINISHER_BASE, FINISHER_SIZE), (CLINT_BASE, CLINT_SIZE))

#: Kernel input block: u32 magic "CRVI", u32 length, then the data, in a region
#: the linker keeps free (firmware/link.ld).
INPUT_ADDR = 0x800C_0000
INPUT_REGION = 0x2_0000
INPUT_HEADER = 8
INPUT_MAGIC = 0x4956_5243
INPUT_MAX = INPUT_REGION - INPUT_HEADER  # data bytes that fit behind the header

#: A larger input (a real Bitcoin block: up to 1 MiB and more) keeps its header
#: at INPUT_ADDR, its length now above INPUT_MAX, and has its data at the top
#: of the default RAM, where the stack starts and nothing is linked: RAM beyond
#: the default size (``--ram-size``) holds it. The limit is what the ISS's
#: largest RAM, 2 GiB, holds there; a RAM too small for an input is an error
#: of the loader (exit 2), never a cut input.
INPUT_LARGE_ADDR = RAM_BASE + RAM_SIZE
INPUT_LARGE_MAX = (1 << 31) - RAM_SIZE


def _header(n: int) -> bytes:
    return INPUT_MAGIC.to_bytes(4, "little") + n.to_bytes(4, "little")


def input_block(data: bytes) -> bytes:
    """The input block holding ``data`` at INPUT_ADDR; ValueError when it does not fit."""
    if len(data) > INPUT_MAX:
        raise ValueError(f"input is {len(data):,} bytes; the input block holds at most {INPUT_MAX:,}")
    return _header(len(data)) + data


def input_data(file: bytes) -> bytes:
    """The data of an input file: a whole input block as QEMU's loader takes it (the
    header, then exactly the length it states) gives its data; any other file is data."""
    if (len(file) >= INPUT_HEADER and file[:4] == INPUT_MAGIC.to_bytes(4, "little")
            and int.from_bytes(file[4:8], "little") == len(file) - INPUT_HEADER):
        return file[INPUT_HEADER:]
    return file


def input_capacity(ram_size: int = RAM_SIZE) -> int:
    """The most data bytes an input may have in ``ram_size`` bytes of RAM."""
    return min(INPUT_LARGE_MAX, max(INPUT_MAX, ram_size - (INPUT_LARGE_ADDR - RAM_BASE)))


def input_ram_size(n: int) -> int:
    """The least RAM, in whole MiB, that holds an input of ``n`` data bytes."""
    if n <= INPUT_MAX:
        return RAM_SIZE
    mib = 1 << 20
    return -(-(INPUT_LARGE_ADDR - RAM_BASE + n) // mib) * mib


def input_placement(data: bytes, ram_size: int = RAM_SIZE) -> list[tuple[int, bytes]]:
    """(address, bytes) pieces that place ``data`` as the input block in
    ``ram_size`` bytes of RAM; ValueError, naming the RAM that would hold it,
    when they do not fit."""
    n = len(data)
    if n <= INPUT_MAX:
        return [(INPUT_ADDR, _header(n) + data)]
    if n > input_capacity(ram_size):
        more = f" (--ram-size {input_ram_size(n) >> 20}M holds it)" if n <= INPUT_LARGE_MAX else ""
        raise ValueError(f"input is {n:,} bytes; with {ram_size:,} bytes of RAM the input block holds "
                         f"at most {input_capacity(ram_size)}{more}")
    return [(INPUT_ADDR, _header(n)), (INPUT_LARGE_ADDR, data)]
