"""The pipeline view of the RTL against the ISS's (docs/pipeview.md): the two Kanata
logs must be identical, byte for byte.

The ISS's view is rebuilt from its trace records and docs/timing.md
(``simulator/pipeview.py``); the RTL's is followed cycle by cycle from the stage
registers' valid bits and pcs (``chainrv/cosim_pipeview.py``). Equal logs mean both put
every instruction, wrong-path fetches included, in the same stage in the same cycle.
(The stall causes of lane 1 are the ISS's on both sides: the RTL keeps no such account.)

``make test`` runs a few directed programs under the ideal machine and the ``cached``
preset, and sha256 under the ideal machine, on Icarus (whose build takes seconds, where Verilator's takes a
minute, and these programs are short); ``make regress`` runs every directed program
under five configurations on Verilator. One model per configuration, built once: the
tests of a configuration are one xdist group.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chainrv import toolchain
from chainrv.cosim import harness
from chainrv.cosim.lockstep import load_program
from chainrv.cosim_pipeview import rtl_pipeview
from cocotb_tests import directed, directed_uarch
from cocotb_tests.plan import FAST_RANDOM
from isa.uarch import Uarch
from simulator import Machine
from simulator.pipeview import write_iss_pipeview

FULL = "rv32im_zicsr_zk_zks"
needs_verilator = pytest.mark.skipif(not harness.have_sim("verilator"), reason="verilator not installed")
needs_icarus = pytest.mark.skipif(not harness.have_sim("icarus"), reason="iverilog not installed")

#: make test: programs that exercise each rule under the ideal machine and a cached one
FAST = {
    "ideal": ("branches", "load_use", "division", "traps", "timer", "csrs"),
    "cached": ("mispredict", "miss_branch", "load_use_miss", "trap_miss", "dirty_evict", "mul_chain",
               "far_code"),
}
SLOW_UARCHS = ("ideal", "mcu", "cached", *FAST_RANDOM)


def _program(name: str, tmp_path: Path) -> Path:
    mod = directed_uarch if name in directed_uarch.PROGRAMS else directed
    return mod.build(name, tmp_path / f"{name}.elf")


def check_same(elf: Path, uarch: str, sim: str, input_bytes: bytes | None = None) -> str:
    """Both views of ``elf`` under ``uarch``; fails at the first line that differs."""
    m = Machine(FULL, uarch=uarch)
    m.load_elf(elf)
    if input_bytes is not None:
        m.set_input(input_bytes)
    iss = io.StringIO()
    res = write_iss_pipeview(m, iss)
    assert res.stop == "exit", res.trap
    rtl = io.StringIO()
    retired = rtl_pipeview(load_program(elf), FULL, sim, rtl, uarch=uarch, input_bytes=input_bytes,
                           max_cycles=res.cycles + 200)
    assert retired == res.slots
    a, b = iss.getvalue().splitlines(), rtl.getvalue().splitlines()
    for k, (x, y) in enumerate(zip(a, b, strict=False)):
        assert x == y, f"--uarch {uarch}, line {k + 1}:\nISS: {a[k - 8:k + 2]}\nRTL: {b[k - 8:k + 2]}"
    assert len(a) == len(b)
    assert all(int(line[2:]) > 0 for line in a if line.startswith("C\t")), "cycles run forward"
    return iss.getvalue()


def _params(table: dict[str, tuple[str, ...]]) -> list:
    return [pytest.param(u, name, marks=pytest.mark.xdist_group(f"pipeview-icarus-{u}"), id=f"{u}-{name}")
            for u, names in table.items() for name in names]


@needs_icarus
@pytest.mark.parametrize(("uarch", "name"), _params(FAST))
def test_directed(uarch: str, name: str, tmp_path: Path) -> None:
    log = check_same(_program(name, tmp_path), uarch, "icarus")
    if name in ("branches", "mispredict", "traps", "trap_miss"):   # redirects squash fetches
        assert any(line.startswith("R\t") and line.endswith("\t1") for line in log.splitlines())


def _slow_params() -> list:
    out = []
    for u in SLOW_UARCHS:
        for name in [*sorted(directed.PROGRAMS), *sorted(directed_uarch.PROGRAMS)]:
            caches = Uarch.parse(u).icache or Uarch.parse(u).dcache
            if caches and (name == "selfmod" or name in directed_uarch.STORES_INTO_CODE):
                continue    # stores into code need fence.i with caches (docs/timing.md)
            out.append(pytest.param(u, name, marks=pytest.mark.xdist_group(f"pipeview-{u}"),
                                    id=f"{u}-{name}"))
    return out


@needs_verilator
@pytest.mark.slow
@pytest.mark.parametrize(("uarch", "name"), _slow_params())
def test_directed_sweep(uarch: str, name: str, tmp_path: Path) -> None:
    check_same(_program(name, tmp_path), uarch, "verilator")


def _kernel(name: str) -> Path:
    from chainrv.kernels import all_kernels

    if shutil.which(toolchain.GCC) is None:
        pytest.skip(f"{toolchain.GCC} not installed")
    return all_kernels()[name].build(FULL)


@needs_icarus
@pytest.mark.xdist_group("pipeview-icarus-ideal")
def test_kernel() -> None:
    from cocotb_tests.plan import short_input

    check_same(_kernel("sha256"), "ideal", "icarus", short_input("sha256"))


@needs_verilator
@pytest.mark.slow
@pytest.mark.parametrize(("uarch", "kernel"), [
    pytest.param(u, k, marks=pytest.mark.xdist_group(f"pipeview-{u}"), id=f"{u}-{k}")
    for u in SLOW_UARCHS for k in ("sha256", "aes128", "keccak256")])
def test_kernel_sweep(uarch: str, kernel: str) -> None:
    from cocotb_tests.plan import short_input

    check_same(_kernel(kernel), uarch, "verilator", short_input(kernel))


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chainrv.cli", *args], capture_output=True, timeout=900)


@needs_icarus
@pytest.mark.xdist_group("pipeview-icarus-ideal")
def test_cosim_cli(tmp_path: Path) -> None:
    """``chainrv cosim --pipeview`` writes what ``chainrv run --pipeview`` does; an
    unwritable path is exit 2 before any simulation."""
    elf = _program("load_use", tmp_path)
    r = _cli("cosim", str(elf), "--sim", "icarus", "--pipeview", str(tmp_path / "no" / "rtl.kanata"))
    err = r.stderr.decode()
    assert r.returncode == 2 and len(err.splitlines()) == 1 and "no such directory" in err, err
    r = _cli("cosim", str(elf), "--sim", "icarus", "--pipeview", str(tmp_path / "rtl.kanata"))
    assert r.returncode == 0, r.stderr.decode()
    r = _cli("run", str(elf), "--isa", FULL, "--pipeview", str(tmp_path / "iss.kanata"))
    assert r.returncode == 0, r.stderr.decode()
    rtl = (tmp_path / "rtl.kanata").read_text()
    assert rtl == (tmp_path / "iss.kanata").read_text() and rtl.count("\nR\t") > 100
