"""``jitable``: marks a plain function to be compiled inline into the ISS, without importing Numba.

The golden functions of ``isa/`` are ordinary Python (the HDL tests' reference) and
are also compiled into the ISS's loop. Numba's ``register_jitable`` registers a
function and returns it unchanged; doing that only when something is about to be
compiled (:func:`register_all`, called by ``simulator.jitcache``) keeps Numba out of
every process that never compiles: the HDL tests, and a warm ``chainrv run``, whose
loop is a native library (``simulator/native.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)

_pending: list[Callable] = []
_registered = False


def jitable(fn: F) -> F:
    """``fn`` itself, registered with Numba now or when Numba is first needed."""
    if _registered:
        from numba.extending import register_jitable

        register_jitable(fn)
    else:
        _pending.append(fn)
    return fn


def register_all() -> None:
    """Register every function marked so far with Numba (imports it)."""
    global _registered
    if _registered:
        return
    from numba.extending import register_jitable

    for fn in _pending:
        register_jitable(fn)
    _pending.clear()
    _registered = True
