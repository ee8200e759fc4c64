"""The SoC's ``+ram`` file (``$readmemh``) from an ISS's RAM: only the blocks that hold data."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simulator import Machine

#: Words per block of the RAM image: all-zero blocks are left out of the file.
IMAGE_BLOCK = 256
_HEX_CHARS = np.frombuffer(b"0123456789abcdef", np.uint8)
_NIBBLE_SHIFTS = np.arange(28, -1, -4, dtype=np.uint32)


def hex_words(words: np.ndarray) -> bytes:
    """One ``%08x`` line per 32-bit word, formatted by numpy (64 MiB of RAM in seconds, not minutes)."""
    lines = np.empty((len(words), 9), np.uint8)
    lines[:, :8] = _HEX_CHARS[(words.astype(np.uint32)[:, None] >> _NIBBLE_SHIFTS) & 0xF]
    lines[:, 8] = ord("\n")
    return lines.tobytes()


def ram_hex(machine: Machine, path: Path) -> Path:
    """The machine's RAM (program, data, input block) as the SoC's ``+ram`` file.

    The SoC zeroes its RAM before the ``$readmemh``, so only blocks holding a
    non-zero word are written, each run of them after an ``@address`` line: a
    few kilobytes for a small program, whatever the RAM size."""
    blocks = machine.ram32.reshape(-1, IMAGE_BLOCK)
    used = np.flatnonzero(blocks.any(axis=1))
    if used.size == 0:
        used = np.zeros(1, np.int64)          # an empty file makes simulators warn
    runs = np.split(used, np.flatnonzero(np.diff(used) != 1) + 1)
    with path.open("wb") as f:
        for run in runs:
            start, end = int(run[0]), int(run[-1]) + 1
            f.write(b"@%x\n" % (start * IMAGE_BLOCK))
            f.write(hex_words(blocks[start:end].ravel()))
    return path
