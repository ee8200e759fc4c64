"""The loop as a native library (simulator/native.py) is the loop Numba runs: the same
architectural state, cycles, stalls, counters and profiles on programs that take traps
and interrupts, read every CSR and device and store into their own code, under the
ideal machine and under microarchitectures; a warm run loads it without importing
Numba; a damaged library heals; its code is position-dependent, as the JIT's, and
where the loader refuses that it is made again position-independent; without a C
compiler the loop runs under Numba."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from elftools.elf.elffile import ELFFile

from chainrv import ROOT
from chainrv.kernels import all_kernels
from isa.randprog import random_program
from simulator import Machine, native

FULL = "rv32im_zicsr_zk_zks"
UARCHS = ("ideal", "cached", "mcu,bp=bht:16,mul=iter:4")

pytestmark = pytest.mark.skipif(not native.enabled(), reason="no C compiler (cc) to link the native loop")


def _programs() -> list[tuple[str, bytes, bytes | None]]:
    sha = all_kernels()["sha256"].build(FULL)
    progs = [("sha256", Path(sha).read_bytes(), random.Random(3).randbytes(3000))]
    progs += [(f"random{seed}", random_program(seed, FULL, blocks=8, length=50).elf(), None)
              for seed in (11, 12)]
    return progs


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, bytes | None]]:
    d = tmp_path_factory.mktemp("native")
    out = {}
    for name, elf, data in _programs():
        (d / f"{name}.elf").write_bytes(elf)
        out[name] = (d / f"{name}.elf", data)
    return out


def _run(prog: tuple[Path, bytes | None], uarch: str, use_native: bool, profile: bool,
         monkeypatch: pytest.MonkeyPatch) -> tuple[Machine, object]:
    with monkeypatch.context() as mp:
        if not use_native:
            mp.setattr(native, "load", lambda variant: None)
        m = Machine(FULL, uarch=uarch)
        m.load_elf(prog[0])
        if prog[1] is not None:
            m.set_input(prog[1])
        parts = []
        while True:  # in slices of an odd length: each call resumes the last
            r = m.run(9_973, profile=profile)
            parts.append(r.profile)
            if r.stop != "limit":
                break
    return m, (r, parts)


@pytest.mark.parametrize("profile", [False, True], ids=["fast", "prof"])
@pytest.mark.parametrize("uarch", UARCHS)
@pytest.mark.parametrize("name", ["sha256", "random11", "random12"])
def test_native_loop_is_numbas_loop(programs: dict, name: str, uarch: str, profile: bool,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    variant = ("prof" if profile else "fast") + ("" if uarch == "ideal" else "_u")
    assert native.load(variant) is not None  # the native form is what runs below
    a, (ra, pa) = _run(programs[name], uarch, True, profile, monkeypatch)
    b, (rb, pb) = _run(programs[name], uarch, False, profile, monkeypatch)
    assert ra.stop == rb.stop and ra.exit_code == rb.exit_code and ra.exit_code is not None
    assert (ra.instret, ra.cycles, ra.slots) == (rb.instret, rb.cycles, rb.slots)
    assert ra.stalls == rb.stalls and ra.counters == rb.counters and ra.stdout == rb.stdout
    for field in ("st", "regs", "ram8", "dec", "ua", "uc"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    if profile:  # every slice's per-PC counts, cycles and stalls
        assert len(pa) == len(pb)
        for x, y in zip(pa, pb, strict=True):
            assert all(np.array_equal(u, v) for u, v in zip(x.per_pc[:3], y.per_pc[:3], strict=True))
            assert [(f.name, f.cycles, f.stalls) for f in x.functions] == \
                   [(f.name, f.cycles, f.stalls) for f in y.functions]


@pytest.mark.parametrize("uarch", ["ideal", "cached"])
def test_native_trace_is_numbas_trace(programs: dict, uarch: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert native.load("trace" + ("" if uarch == "ideal" else "_u")) is not None
    out = []
    for use_native in (True, False):
        with monkeypatch.context() as mp:
            if not use_native:
                mp.setattr(native, "load", lambda variant: None)
            m = Machine(FULL, uarch=uarch)
            m.load_elf(programs["random12"][0])
            chunks = list(m.iter_trace(chunk=397, stalls=True))  # an odd size: records resume
            out.append((m.result, chunks, m.st.copy()))
    (ra, ca, sa), (rb, cb, sb) = out
    assert (ra.instret, ra.cycles, ra.stalls) == (rb.instret, rb.cycles, rb.stalls)
    assert len(ca) == len(cb) > 1
    for (recs_a, st_a), (recs_b, st_b) in zip(ca, cb, strict=True):
        assert np.array_equal(recs_a, recs_b) and np.array_equal(st_a, st_b)
    assert np.array_equal(sa, sb)


def _cli(elf: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chainrv.cli", "run", str(elf), "--stats"],
                          capture_output=True, text=True, env=env, cwd=ROOT, check=False)


def test_warm_run_imports_no_numba(programs: dict) -> None:
    native.load("fast")  # built (or found) in the shared cache
    code = ("import sys; from simulator import run_elf; r = run_elf(sys.argv[1]); "
            "print(r.exit_code, r.instret, sorted(m for m in sys.modules if m.split('.')[0] == 'numba'))")
    p = subprocess.run([sys.executable, "-c", code, str(programs["random11"][0])], capture_output=True,
                       text=True, cwd=ROOT, check=False)
    assert p.returncode == 0, p.stderr
    status, instret, numba_modules = p.stdout.split(maxsplit=2)
    assert status == "0" and int(instret) > 1000 and numba_modules.strip() == "[]"


@pytest.mark.parametrize("damage", [b"", b"\x7fELF garbage", b"not a library"], ids=["empty", "bad", "junk"])
def test_damaged_library_heals(programs: dict, tmp_path: Path, damage: bytes) -> None:
    env = dict(os.environ, CHAINRV_CACHE_DIR=str(tmp_path / "cache"))
    elf = programs["random12"][0]
    first = _cli(elf, env)
    assert first.returncode == 0, first.stderr
    (lib,) = (tmp_path / "cache" / "native").glob("loop_fast_*.so")
    lib.write_bytes(damage)
    again = _cli(elf, env)
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr
    assert again.stdout == first.stdout
    assert again.stderr.split()[:2] == first.stderr.split()[:2]  # instructions, cycles
    assert lib.read_bytes()[:4] == b"\x7fELF" and lib.stat().st_size > 10_000


def test_without_a_compiler_the_loop_runs_under_numba(programs: dict, tmp_path: Path) -> None:
    bare = tmp_path / "bin"
    bare.mkdir()
    env = dict(os.environ, CHAINRV_CACHE_DIR=str(tmp_path / "cache"), PATH=str(bare))
    elf = programs["random11"][0]
    p = _cli(elf, env)
    ref = _cli(elf, dict(os.environ))
    assert p.returncode == ref.returncode == 0, p.stderr
    assert p.stderr.split()[:2] == ref.stderr.split()[:2]
    assert not (tmp_path / "cache" / "native").exists() or not any((tmp_path / "cache" / "native").iterdir())


def _text_relocations(lib: Path) -> bool:
    """Whether the library's code holds absolute addresses the loader writes (DT_TEXTREL)."""
    with lib.open("rb") as f:
        dyn = ELFFile(f).get_section_by_name(".dynamic")
        return any(t.entry.d_tag == "DT_TEXTREL" for t in dyn.iter_tags())


def test_refused_library_is_made_position_independent(programs: dict, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINRV_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(native, "_loaded", {})
    refused = []
    real_cdll = native.ctypes.CDLL

    def loader(path: str):  # a hardened loader: no text relocations
        if _text_relocations(Path(path)):
            refused.append(path)
            raise OSError(f"{path}: cannot apply text relocations")
        return real_cdll(path)

    monkeypatch.setattr(native.ctypes, "CDLL", loader)
    fn = native.load("fast")
    assert fn is not None and len(refused) == 1  # built position-dependent, refused, made again
    (lib,) = (tmp_path / "cache" / "native").glob("loop_fast_*.so")
    assert not _text_relocations(lib)
    a, (ra, _) = _run(programs["sha256"], "ideal", True, False, monkeypatch)
    b, (rb, _) = _run(programs["sha256"], "ideal", False, False, monkeypatch)
    assert ra.exit_code == rb.exit_code == 0 and ra.stdout == rb.stdout
    assert (ra.instret, ra.cycles, ra.stalls) == (rb.instret, rb.cycles, rb.stalls)
    for field in ("st", "regs", "ram8", "dec"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field


_BLOCK_LOOP = "_ZN9simulator6blocks15run_blocks_fast"


def _function_sizes(elf: bytes) -> dict[str, int]:
    syms = ELFFile(io.BytesIO(elf)).get_section_by_name(".symtab").iter_symbols()
    return {s.name: s["st_size"] for s in syms if s["st_info"]["type"] == "STT_FUNC"}


def test_library_holds_the_jits_code(programs: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """Position-dependent, and the block loop's code as Numba's own library of the loop
    holds it: not optimised again when linked behind the entry point (which made it 879
    bytes longer and ECDSA 1.2 times slower)."""
    assert native.load("fast") is not None
    lib = native._path("fast")
    assert _text_relocations(lib)  # its jump tables and constants at absolute addresses
    _run(programs["random11"], "ideal", False, False, monkeypatch)  # the loop under Numba
    from simulator import loop

    (cres,) = loop.run_fast.overloads.values()
    own = _function_sizes(native.target_machine().emit_object(cres.library._get_module_for_linking()))
    ours = _function_sizes(lib.read_bytes())
    # Numba's mangled names carry a per-process compile count ("B2v2"), so each library's
    # block loop is found by its qualified name alone.
    (a,) = [size for n, size in own.items() if n.startswith(_BLOCK_LOOP)]
    (b,) = [size for n, size in ours.items() if n.startswith(_BLOCK_LOOP)]
    assert a == b > 5000
