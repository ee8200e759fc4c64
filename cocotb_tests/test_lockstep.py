"""Lockstep regression: the RTL against the ISS, record by record and cycle by
cycle (docs/lockstep.md), on Icarus and Verilator through one interface.

* directed programs (``directed.py``): every forwarding path, load-use,
  branches and jumps, division in flight, CSRs and counters, traps, devices,
  the timer interrupt and WFI;
* every kernel variant of ``kernels/*/kernel.json`` with a short input, on a
  Verilator model built for exactly its ISA;
* seeded random programs of ``isa/randprog.py``.

For every program the total cycle count of the RTL equals the ISS's. The
default run builds a Verilator model per ISA of the kernel variants (the
directed and random programs run on the full ISA's) and small Icarus models
for the reduced ISAs; ``make regress`` (CHAINRV_RUN_SLOW=1) adds the signature
kernels' default vectors, random programs per ISA and more seeds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chainrv import toolchain
from chainrv.cosim import harness
from chainrv.cosim.lockstep import lockstep
from cocotb_tests import directed
from cocotb_tests.plan import (
    FULL,
    RANDOM_FULL,
    RANDOM_ICARUS,
    RANDOM_REDUCED,
    REDUCED,
    Random,
    model_group,
    short_input,
)
from cocotb_tests.plan import XCHAIN as XCHAIN_FULL
from cocotb_tests.references import check_output
from isa.config import IsaConfig

needs_icarus = pytest.mark.skipif(not harness.have_sim("icarus"), reason="iverilog not installed")
needs_verilator = pytest.mark.skipif(not harness.have_sim("verilator"), reason="verilator not installed")


def need_compiler() -> None:
    """Skip only when the cross compiler is missing: a build that fails is a failure."""
    if shutil.which(toolchain.GCC) is None:
        pytest.skip(f"{toolchain.GCC} not installed")


def group(sim: str, isa: str):
    """One xdist worker per simulator model, so a model is built once per run."""
    return pytest.mark.xdist_group(model_group(isa, sim=sim))


def check(elf: Path, isa: str, sim: str, input_bytes: bytes | None = None, expect_exit: int | None = 0):
    out = lockstep(elf, isa, sim, input_bytes=input_bytes)
    assert out.ok, out.report
    assert out.iss.stop == "exit", out.iss.trap
    if expect_exit is not None:
        assert out.iss.exit_code == expect_exit
    # the RTL's run length is the ISS's (also checked inside lockstep(); stated here for the reader)
    assert out.rtl.end_cycle == out.iss.cycles
    return out


# ------------------------------------------------------------------ directed programs

@needs_verilator
@group("verilator", FULL)
@pytest.mark.parametrize("name", sorted(directed.PROGRAMS))
def test_directed_verilator(name: str, tmp_path: Path) -> None:
    out = check(directed.build(name, tmp_path / f"{name}.elf"), FULL, "verilator")
    if name == "timer":     # the program really took timer interrupts and woke from wfi
        causes = out.iss_records[out.iss_records["trap"] == 1]
        assert len(causes) >= 40
        # 13 fetches where nothing is mapped fault; the traps beyond those at that
        # address are timer interrupts taken before the fault
        assert (causes["pc_rdata"] == 0x4000_0000).sum() > 13


@needs_icarus
@group("icarus", FULL)
@pytest.mark.parametrize("name", ["forwarding", "traps"])
def test_directed_icarus(name: str, tmp_path: Path) -> None:
    check(directed.build(name, tmp_path / f"{name}.elf"), FULL, "icarus")


@needs_icarus
@pytest.mark.slow
@group("icarus", FULL)
@pytest.mark.parametrize("name", sorted(set(directed.PROGRAMS) - {"forwarding", "traps"}))
def test_directed_icarus_all(name: str, tmp_path: Path) -> None:
    check(directed.build(name, tmp_path / f"{name}.elf"), FULL, "icarus")


# ------------------------------------------------------------------ random programs

#: Random programs per test: a few long programs (no per-block print loop, so nearly
#: every slot is random code) amortize the simulator's start-up (plan.py).
@needs_verilator
@group("verilator", FULL)
@pytest.mark.parametrize("prog", RANDOM_FULL, ids=lambda p: str(p.seed))
def test_random_verilator(prog: Random, tmp_path: Path) -> None:
    check(prog.write(FULL, tmp_path), FULL, "verilator")


def per_isa(sim: str, isas) -> list:
    return [pytest.param(isa, marks=group(sim, isa), id=isa) for isa in isas]


@needs_icarus
@pytest.mark.parametrize("isa", per_isa("icarus", [*REDUCED, FULL]))
def test_random_icarus(isa: str, tmp_path: Path) -> None:
    check(RANDOM_ICARUS.write(isa, tmp_path), isa, "icarus")


@needs_verilator
@pytest.mark.parametrize("isa", per_isa("verilator", REDUCED))
def test_random_reduced_verilator(isa: str, tmp_path: Path) -> None:
    """A long program on each reduced ISA's own model (test_kernel_verilator builds it):
    what closes their coverage model (test_lockstep_coverage.py)."""
    check(RANDOM_REDUCED.write(isa, tmp_path), isa, "verilator")


@needs_verilator
@pytest.mark.slow
@pytest.mark.parametrize("isa", per_isa("verilator", [*REDUCED, FULL]))
@pytest.mark.parametrize("seed", range(1000, 1030))
def test_random_sweep_verilator(isa: str, seed: int, tmp_path: Path) -> None:
    check(Random(seed, 200).write(isa, tmp_path), isa, "verilator")


# ------------------------------------------------------------------ kernels

def _variants(slow: bool) -> list:
    """Every kernel variant with a short input (or, with ``slow``, a long default vector),
    each on the model of its own ISA; the full Xchain ISA's variants run on that model in
    test_lockstep_xchain.py."""
    from chainrv.kernels import all_kernels

    out = []
    for name, k in sorted(all_kernels().items()):
        for isa in k.isas:
            if IsaConfig.parse(isa) == IsaConfig.parse(XCHAIN_FULL):
                continue
            if (short_input(name) is None) == slow:
                out.append(pytest.param(name, isa, id=f"{name}-{isa}", marks=group("verilator", isa)))
    return out


@needs_verilator
@pytest.mark.parametrize(("kernel", "isa"), _variants(slow=False))
def test_kernel_verilator(kernel: str, isa: str) -> None:
    """Each variant, compiled for its ISA, on a core built for exactly that ISA."""
    from chainrv.kernels import all_kernels

    need_compiler()
    out = check(all_kernels()[kernel].build(isa), isa, "verilator", input_bytes=short_input(kernel))
    check_output(kernel, short_input(kernel), out)


@needs_verilator
@pytest.mark.slow
@pytest.mark.parametrize(("kernel", "isa"), _variants(slow=True))
def test_kernel_default_vector_verilator(kernel: str, isa: str) -> None:
    """The signature kernels on their default vectors (millions of cycles)."""
    from chainrv.kernels import all_kernels

    need_compiler()
    k = all_kernels()[kernel]
    out = check(k.build(isa), isa, "verilator")
    assert out.rtl.uart.decode() == k.expected_stdout
