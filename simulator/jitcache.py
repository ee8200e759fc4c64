"""Numba's on-disk cache for the ISS: where it lives, what invalidates it, how it heals.

Every compiled function of the ISS is declared with :func:`njit_cached`. Numba keeps
its compiled code beside the module (``simulator/__pycache__``), in
``$NUMBA_CACHE_DIR`` when that is set, or in its own user-wide folder when the
package folder is read-only (docs/caches.md). On top of Numba's own rules:

* **Stale code is never loaded.** Numba checks only the source file of the function
  it loads, but a compiled function carries the code of everything it calls (the
  golden functions of ``isa/``, the CSR file, the devices): a cached loop would keep
  running the old semantics after a change to ``isa/semantics.py``. So each entry's
  stamp also covers every file in :data:`COMPILED_MODULES`.
* **Damaged entries heal in the same run.** A truncated, emptied or garbage index or
  data file, which Numba reports as an exception on every later compile, is deleted
  and the function compiled again.
* **No folder at all** (read-only package, unwritable home, no ``NUMBA_CACHE_DIR``):
  the functions compile in every run, after one warning line.
* **Numba is imported only to compile.** :func:`njit_cached` gives a stand-in that
  becomes the Numba function when anything is first compiled or called
  (:func:`jit_world`): then every module's name for it is bound to the real one, as
  Numba resolves a function's globals when it compiles it. A warm ``chainrv run``
  loads its loop as a native library (``simulator/native.py``) and never gets here.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import logging
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from isa import jitable

log = logging.getLogger("chainrv.cache")

_ROOT = Path(__file__).resolve().parents[1]

#: The modules whose code or constants are compiled into the ISS's functions.
#: tests/test_iss_numba_cache.py checks that this covers every module they import.
COMPILED_MODULES: tuple[str, ...] = (
    "isa.config", "isa.csrs", "isa.encoding", "isa.jitable", "isa.memmap", "isa.privileged", "isa.retire",
    "isa.sboxes", "isa.semantics", "isa.table", "isa.timing", "isa.uarch",
    "simulator.blocks", "simulator.callstack", "simulator.csrfile", "simulator.decoder", "simulator.devices",
    "simulator.jitcache", "simulator.loop", "simulator.recording", "simulator.state", "simulator.traps",
    "simulator.uarch", "simulator.ublocks", "simulator.watchpoints",
)


def _sources_digest() -> str:
    h = hashlib.sha256()
    for name in COMPILED_MODULES:
        h.update(name.encode() + b"\0" + (_ROOT / (name.replace(".", "/") + ".py")).read_bytes())
    return h.hexdigest()


_DIGEST = _sources_digest()


_warned = False


def _healing_cache() -> type:
    from numba.core.caching import FunctionCache

    class HealingCache(FunctionCache):
        """Numba's per-function cache, except that a damaged index or data file is deleted
        and the function compiled again."""

        def load_overload(self, sig: Any, target_context: Any) -> Any:
            try:
                return super().load_overload(sig, target_context)
            except Exception as e:
                self._drop(e)
                return None

        def save_overload(self, sig: Any, data: Any) -> None:
            try:
                super().save_overload(sig, data)
            except Exception as e:  # a damaged index (written meanwhile) blocks the save
                self._drop(e)
                with contextlib.suppress(Exception):  # the compiled function is good all the same
                    super().save_overload(sig, data)

        def _drop(self, why: Exception) -> None:
            index = Path(self._cache_file._index_path)
            log.info("chainrv: damaged Numba cache entry %s (%s); compiling again", index, why)
            for f in [index, *index.parent.glob(glob.escape(index.stem) + ".*.nbc")]:
                with contextlib.suppress(OSError):
                    f.unlink(missing_ok=True)

    return HealingCache


def _compile_now(fn: Callable, inline: bool = False) -> Any:
    """``numba.njit(cache=True)`` with the rules of this module (``inline``: compiled into
    each caller, Numba's ``inline="always"``)."""
    global _warned
    from numba import njit

    opts = {"inline": "always"} if inline else {}
    try:
        compiled = njit(cache=True, **opts)(fn)
    except RuntimeError as e:  # Numba found no folder it can write its cache to
        if not _warned:
            _warned = True
            log.warning("chainrv: warning: no folder for Numba's cache (%s); compiling in every run", e)
        return njit(**opts)(fn)
    cache = compiled._cache
    cache.__class__ = _healing_cache()  # the same cache and folder, healing methods added
    # an index whose stamp differs is treated as empty and rewritten, as after an edit
    cache._cache_file._source_stamp = (cache._cache_file._source_stamp, _DIGEST)
    return compiled


class Deferred:
    """The stand-in :func:`njit_cached` returns until :func:`jit_world` has run."""

    def __init__(self, fn: Callable, inline: bool = False) -> None:
        self.py_func = fn
        self.inline = inline
        self.__name__ = fn.__name__
        self.__doc__ = fn.__doc__
        self.compiled: Any = None

    def __call__(self, *args: Any) -> Any:
        jit_world()
        return self.compiled(*args)

    def __getattr__(self, name: str) -> Any:  # the dispatcher's own attributes
        jit_world()
        return getattr(self.compiled, name)


_deferred: list[Deferred] = []
_world = False


def njit_cached(fn: Callable | None = None, *, inline: bool = False) -> Any:
    """``fn`` compiled by Numba with its disk cache, once anything needs Numba; as
    ``@njit_cached(inline=True)``, compiled into each caller instead of called (no call,
    no reference counts on the arrays it takes; each caller compiles longer)."""
    if fn is None:
        return lambda f: njit_cached(f, inline=inline)
    if _world:
        return _compile_now(fn, inline)
    stand_in = Deferred(fn, inline)
    _deferred.append(stand_in)
    return stand_in


def jit_world() -> None:
    """Import Numba, register the golden functions and make every deferred function a
    Numba function, rebinding each module's name for it (only the first call works)."""
    global _world
    if _world:
        return
    _world = True
    jitable.register_all()
    for d in _deferred:
        d.compiled = _compile_now(d.py_func, d.inline)
    for module in list(sys.modules.values()):
        names = getattr(module, "__dict__", None)
        if not names:
            continue
        for key, value in list(names.items()):
            if type(value) is Deferred:
                names[key] = value.compiled


def variant(fn: Callable, name: str, **flags: bool) -> Any:
    """``fn`` compiled as its own function ``name`` (its own cache entry) with some of
    its module's global flags set: Numba prunes the branches on flags that are off."""
    jit_world()  # the copy's globals are a snapshot: they must be the Numba functions
    copy = types.FunctionType(fn.__code__, {**fn.__globals__, **flags}, name, fn.__defaults__)
    copy.__qualname__ = name
    return njit_cached(copy)
