"""The execute loop as a native library, so that a warm run starts without Numba.

Importing Numba and loading a compiled loop from its cache cost most of a warm
``chainrv run``'s start-up (about 0.8 s of 1.1 s). The first run of a loop variant
compiles it as always, then also writes the very same machine code, optimised by
Numba's LLVM for this CPU, as a shared library into the cache (``native/`` under
the cache root, docs/caches.md); later runs load that with ``ctypes`` and import
no Numba at all.

* **The same code.** The library holds the loop function Numba compiled, behind a
  C entry point (a ``cfunc``) that makes its arrays from pointers; nothing is
  written twice. The entry point's library is not optimised again once the loop is
  linked into it (:func:`_as_jit_runs_it`), so the loop's code is the code Numba's JIT
  runs. Its name carries the digest of every compiled module
  (``jitcache.COMPILED_MODULES``) and of this one, the Numba, llvmlite and numpy
  versions and the CPU's features, so a change to any of them builds a new one.
* **Numba's runtime is not loaded**: the loop allocates nothing, and the only
  helpers it names are those of Numba's error path (an exception that cannot
  happen in a correct loop: an integer division by zero, a bad array view). The
  small C file below defines them: such an error makes the call fail loudly
  (:class:`NativeError`) instead of returning a wrong answer.
* **Position-dependent, as the JIT's.** Numba's JIT emits code for a fixed address
  (the large code model), and so is this: the dispatch's jump tables hold absolute
  targets, read by one indirect jump. Position-independent code needs a register for
  each table's base and an add before the jump, and in a loop that already spills that
  made the ISS's block loops 1.2 times slower (mining and ECDSA, 300M instructions).
  The library is linked with text relocations, so the loader writes those addresses
  once when it loads it, as the JIT writes its code; where the system forbids that
  (a hardened loader, SELinux's ``execmod``), the library that fails to load is made
  again position-independent.
* **Optional.** Linking needs a C compiler (``cc``), loading a library from the cache
  does not; without one (and no library yet), or when anything else fails, the loop
  runs under Numba as before, after one log line.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib.util
import logging
import os
import platform
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from . import diskcache

log = logging.getLogger("chainrv.cache")

#: Variants that have a native form: all of them.
NATIVE_VARIANTS = ("fast", "prof", "trace", "watch", "fast_u", "prof_u", "trace_u")

#: Environment variable that turns the native loop off (``0``), for comparisons.
ENV = "CHAINRV_NATIVE"

#: Numba's error-path helpers, for a library that runs without Numba's runtime.
_SHIM_C = r"""
#include <stdlib.h>
typedef struct _object PyObject;
extern PyObject *PyExc_RuntimeError;
extern PyObject _Py_NoneStruct;
int PyGILState_Ensure(void);
void PyGILState_Release(int);
void PyErr_SetString(PyObject *, const char *);
void Py_IncRef(PyObject *);

int chainrv_native_error = 0;  /* set when the loop raised: its result is not to be used */

void numba_gil_ensure(int *state) { *state = PyGILState_Ensure(); }
void numba_gil_release(int *state) { PyGILState_Release(*state); }
PyObject *numba_unpickle(const char *data, int n, const char *hash) {
    (void)data; (void)n; (void)hash;
    Py_IncRef(&_Py_NoneStruct);
    return &_Py_NoneStruct;
}
PyObject *numba_runtime_build_excinfo_struct(PyObject *a, PyObject *b) {
    (void)b;
    Py_IncRef(a);
    return a;
}
int numba_do_raise(PyObject *exc) {
    (void)exc;
    chainrv_native_error = 1;
    PyErr_SetString(PyExc_RuntimeError, "the ISS's native loop raised an error");
    return 0;
}
void NRT_Free(void *p) { free(p); }
void NRT_MemInfo_call_dtor(void *mi) { (void)mi; chainrv_native_error = 1; }
"""

#: The entry point's name in every library.
ENTRY = "chainrv_loop"


class NativeError(RuntimeError):
    """The native loop reported an error (a bug: Numba's loop would have raised too)."""


def _cpu_signature() -> str:
    """The CPU's model and feature flags (the code is compiled for exactly these)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor()
    keep = [ln for ln in text.splitlines() if ln.startswith(("model name", "flags"))][:2]
    return "\n".join(keep)


@functools.cache
def _key(variant: str) -> str:
    from .jitcache import _DIGEST

    return diskcache.digest(_DIGEST, Path(__file__).read_bytes(), variant,
                            *map(_version_file, ("numba", "llvmlite", "numpy")),
                            platform.machine(), _cpu_signature(), platform.python_version())


def _version_file(package: str) -> bytes:
    """The package's version file (read, not imported: importing Numba is what this avoids)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return b""
    for name in ("_version.py", "version.py"):
        f = Path(spec.submodule_search_locations[0]) / name
        if f.is_file():
            return f.read_bytes()
    return b""


def enabled() -> bool:
    """Whether native loops are on and can be built (a C compiler links them)."""
    return _on() and _can_link()


def _on() -> bool:
    return os.environ.get(ENV, "1") != "0"


def _can_link() -> bool:
    import shutil  # (only to build: its imports would cost every warm run's start-up)

    return shutil.which("cc") is not None


def _path(variant: str) -> Path | None:
    folder = diskcache.cache_folder("native")
    return None if folder is None else folder / f"loop_{variant}_{_key(variant)}.so"


# ---------------------------------------------------------------- building

def _build(variant: str, out: Path, pic: bool = False) -> None:
    """Compile ``run_<variant>`` behind a C entry point and link it into ``out``:
    position-dependent code, as Numba's JIT makes, or with ``pic`` position-independent
    (see the module docstring)."""
    import subprocess
    import tempfile

    import llvmlite.binding as llvm
    from numba import carray, cfunc, types

    from . import loop
    from . import state as S
    from . import uarch as U

    run = getattr(loop, f"run_{variant}")
    ncause = len(S.STALL_CAUSES)
    width = S.TRACE_WIDTH
    p64, p8 = types.CPointer(types.int64), types.CPointer(types.uint8)
    p16, p32 = types.CPointer(types.uint16), types.CPointer(types.uint32)
    # st regs ram8 ram16 ram32 dec blk enabled uart stop pflow pstall pcg tr wp ua uc uo dims
    sig = types.int64(p64, p64, p8, p16, p32, p64, p64, p8, p8, types.int64, p64, p64, p64, p64, p64,
                      p64, p64, p64, p64)

    def entry(st, regs, ram8, ram16, ram32, dec, blk, en, uart, stop, pflow, pstall, pcg, tr, wp, ua, uc, uo,
              dims):
        size = dims[0]
        nprof = dims[3]
        ntr = dims[4]
        return run(carray(st, dims[9]), carray(regs, dims[10]), carray(ram8, size),
                   carray(ram16, size // 2), carray(ram32, size // 4), carray(dec, size // 4),
                   carray(blk, size // 4),
                   carray(en, dims[1]), carray(uart, dims[2]), stop, carray(pflow, (nprof, S.FLOW_WIDTH)),
                   carray(pstall, (nprof, ncause)), carray(pcg, dims[11]),
                   carray(tr, (ntr, width)),
                   carray(wp, (dims[5], 3)), carray(ua, dims[6]), carray(uc, dims[7]),
                   carray(uo, (U.OP_ROWS, dims[8])))

    entry.__name__ = entry.__qualname__ = ENTRY  # (the qualified name names its library)
    with _as_jit_runs_it():
        compiled = cfunc(sig)(entry)
    tm = target_machine(pic)
    module = llvm.parse_assembly(str(compiled._library._final_module))
    # the C-callable wrapper under one fixed, exported name
    wrapper = module.get_function(compiled.native_name)
    wrapper.name = ENTRY
    # everything else is private to the library: calls among its functions are direct,
    # not through the procedure linkage table as calls to exported symbols would be
    for g in [*module.functions, *module.global_variables]:
        if not g.is_declaration and g.name != ENTRY and g.linkage.name not in ("internal", "private"):
            g.visibility = "hidden"
    with tempfile.TemporaryDirectory() as d:
        obj = Path(d) / "loop.o"
        shim = Path(d) / "shim.c"
        obj.write_bytes(tm.emit_object(module))
        shim.write_text(_SHIM_C)
        textrel = [] if pic else ["-Wl,-z,notext"]  # (the absolute addresses in the code)
        r = subprocess.run(["cc", "-shared", "-O2", "-fPIC", *textrel, "-o", str(out), str(obj), str(shim)],
                           capture_output=True, text=True, check=False)
        if r.returncode != 0:
            raise OSError(f"cc failed: {(r.stderr or r.stdout).strip().splitlines()[-1:]}")


def target_machine(pic: bool = False):  # -> llvmlite.binding.TargetMachine
    """LLVM's code generator for this CPU: position-dependent with the large code model,
    as Numba's JIT's, or position-independent (``pic``)."""
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(),
        reloc="pic" if pic else "static", codemodel="default" if pic else "large", opt=3)


@contextlib.contextmanager
def _as_jit_runs_it() -> Iterator[None]:
    """While the entry point is compiled, its library is not optimised again once the
    loop's library is linked into it, as Numba does to every library it finalises: the
    loop's code stays the code its own library holds, which Numba's JIT runs. Optimised
    again, LLVM inlined and laid the loop out anew (ECDSA 1.2 times slower). The loop's own
    library, when it is compiled now, is optimised as always."""
    from numba.core.codegen import CPUCodeLibrary

    own = getattr(CPUCodeLibrary, "_optimize_final_module", None)
    if own is None:  # (a Numba that finalises otherwise: its libraries as they come)
        yield
        return

    def optimize(library: CPUCodeLibrary) -> None:
        if library.name != ENTRY:
            own(library)

    CPUCodeLibrary._optimize_final_module = optimize
    try:
        yield
    finally:
        CPUCodeLibrary._optimize_final_module = own


def _check(path: Path) -> str | None:
    with path.open("rb") as f:
        return None if f.read(4) == b"\x7fELF" else "not a shared library"


# ---------------------------------------------------------------- loading

Loop = Callable[..., int]


def _wrap(lib: ctypes.CDLL) -> Loop:
    fn = lib[ENTRY]
    fn.restype = ctypes.c_int64
    fn.argtypes = [ctypes.c_void_p] * 9 + [ctypes.c_int64] + [ctypes.c_void_p] * 9
    err = ctypes.c_int.in_dll(lib, "chainrv_native_error")

    def call(st, regs, ram8, ram16, ram32, dec, blk, en, uart, stop, pflow, pstall, pcg, tr, wp, ua, uc, uo):
        dims = np.array([ram8.shape[0], en.shape[0], uart.shape[0], pflow.shape[0], tr.shape[0],
                         wp.shape[0], ua.shape[0], uc.shape[0], uo.shape[1], st.shape[0],
                         regs.shape[0], pcg.shape[0]], np.int64)
        arrays = (st, regs, ram8, ram16, ram32, dec, blk, en, uart)
        rest = (pflow, pstall, pcg, tr, wp, ua, uc, uo, dims)
        for a in arrays + rest:  # the entry point reads them as C arrays of their dtype
            if not a.flags.c_contiguous:
                raise ValueError("the native loop needs C-contiguous arrays")
        r = fn(*(a.ctypes.data for a in arrays), int(stop), *(a.ctypes.data for a in rest))
        if err.value:
            err.value = 0
            raise NativeError("the ISS's native loop raised an error")
        return int(r)

    return call


_loaded: dict[str, Loop | None] = {}


def load(variant: str, build: bool = True) -> Loop | None:
    """The native form of ``run_<variant>``, from the cache, built now (with ``build``)
    when it is missing; None when there is none (see the module docstring)."""
    if variant in _loaded:
        return _loaded[variant]
    fn = None
    if variant in NATIVE_VARIANTS and _on():
        path = _path(variant)
        usable = path is not None and (path.exists() or (build and _can_link()))
        for attempt in (1, 2) if usable else ():
            try:  # (made again position-independent when it cannot be loaded or linked)
                diskcache.cached(path, lambda p, pic=attempt == 2: _build(variant, p, pic), _check)
                fn = _wrap(ctypes.CDLL(str(path)))
                break
            except Exception as e:  # a library that cannot be loaded is made again, once
                path.unlink(missing_ok=True)
                if attempt == 2:  # no compiler, a failed link (Numba's path reports its own errors)
                    log.info("chainrv: native loop %s not available (%s); running it under Numba",
                             variant, e)
    _loaded[variant] = fn
    return fn
