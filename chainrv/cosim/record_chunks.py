"""Retirement records held as the chunks they were made in, joined only when asked.

A long lockstep run has millions of records (136 bytes each); joining them into one
array writes that much fresh memory again, which costs more than the comparison
itself. The verdict reads a few records around the first difference
(:meth:`RecordChunks.window`); the whole array is made on first use (:meth:`array`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from simulator import RVFI_DTYPE


class RecordChunks:
    """Records (``RVFI_DTYPE``) in order, as a list of arrays."""

    def __init__(self, parts: Iterable[np.ndarray] = ()) -> None:
        self._parts = [p for p in parts if len(p)]
        self._ends = np.cumsum([len(p) for p in self._parts], dtype=np.int64)
        self._joined: np.ndarray | None = self._parts[0] if len(self._parts) == 1 else None

    def __len__(self) -> int:
        return int(self._ends[-1]) if len(self._ends) else 0

    def window(self, lo: int, hi: int) -> np.ndarray:
        """Records ``lo`` to ``hi`` (clipped to the records there are)."""
        lo, hi = max(0, lo), min(hi, len(self))
        if hi <= lo:
            return np.zeros(0, RVFI_DTYPE)
        if self._joined is not None:
            return self._joined[lo:hi]
        first = int(np.searchsorted(self._ends, lo, side="right"))
        last = int(np.searchsorted(self._ends, hi - 1, side="right"))
        pieces = []
        for i in range(first, last + 1):
            start = int(self._ends[i]) - len(self._parts[i])
            pieces.append(self._parts[i][max(lo - start, 0):hi - start])
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

    def array(self) -> np.ndarray:
        """Every record as one array (made once)."""
        if self._joined is None:
            self._joined = np.concatenate(self._parts) if self._parts else np.zeros(0, RVFI_DTYPE)
            self._parts = [self._joined]
        return self._joined

    def count_before(self, cycle: int) -> int:
        """Records that retired before ``cycle`` (retirement cycles never decrease)."""
        return sum(int(np.searchsorted(p["cycle"], cycle)) for p in self._parts)
