"""The debugger's watchpoints as the loop sees them (``simulator/debug.py`` arms them).

``wp`` holds one range per row: ``(lo, hi, kinds)`` with ``kinds`` a set of
``state.WATCH_WRITE`` and ``state.WATCH_READ`` bits; ``wn`` rows are armed. Only the
loop's watch variant checks them, on loads and stores.
"""

from __future__ import annotations

from . import state as S
from .jitcache import njit_cached


@njit_cached
def watch_hit(st, wp, wn, addr, width, kind):
    """Whether an access of ``kind`` to ``width`` bytes at ``addr`` overlaps an armed
    range; the first address and the row hit are noted in ``st``."""
    for k in range(wn):
        if (wp[k, 2] & kind) != 0 and addr < wp[k, 1] and addr + width > wp[k, 0]:
            st[S.WATCH_ADDR] = max(addr, wp[k, 0])
            st[S.WATCH_INDEX] = k
            return True
    return False
