"""What the SoC adds to the memory map of ``isa.memmap``: the RAM sizes it can build.

Every address, size and register offset comes from ``isa.memmap``.
"""

from __future__ import annotations


def check_ram_size(size: int) -> int:
    """``size`` if the SoC can build a RAM of it (its index bits and ``in_region``
    need a power of two), else ValueError."""
    if size < 4096 or size & (size - 1) or size > (1 << 28):
        raise ValueError(f"RAM size {size} must be a power of two between 4 KiB and 256 MiB")
    return size
