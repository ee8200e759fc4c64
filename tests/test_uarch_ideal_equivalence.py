"""The generalised timing reduces to the old one: the ISS's UARCH loop variants, run
with the ideal parameters (no cache, single-cycle memory, predict not taken, a
single-cycle multiplier), give exactly the ideal loop's cycles, stalls and records.

``Machine`` runs the ideal machine on the loop without the microarchitecture's code
(``_u == ""``); setting ``_u = "_u"`` forces the UARCH variant on the same state."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from chainrv import toolchain
from cocotb_tests import directed
from isa import timing
from simulator import Machine, RunResult

FULL = "rv32im_zicsr_zk_zks"


def _machines(elf: Path, input_bytes: bytes | None, isa: str = FULL) -> tuple[Machine, Machine]:
    plain, forced = Machine(isa), Machine(isa)
    assert plain._u == "" and plain.uarch.is_ideal
    forced._u = "_u"                       # the UARCH variant, with the ideal parameters
    for m in (plain, forced):
        m.load_elf(elf)
        if input_bytes is not None:
            m.set_input(input_bytes)
    return plain, forced


def _same_run(a: RunResult, b: RunResult) -> None:
    assert (a.stop, a.exit_code, a.trap) == (b.stop, b.exit_code, b.trap)
    assert (a.cycles, a.instret, a.slots) == (b.cycles, b.instret, b.slots)
    assert a.stdout == b.stdout
    # the ideal machine has no unit to count in
    assert set(b.counters.values()) == {0}


def check(elf: Path, input_bytes: bytes | None = None, traced: bool = True) -> RunResult:
    """Cycles, slots and (``traced``) every record of both variants, traced and fast."""
    plain, forced = _machines(elf, input_bytes)
    fa, fb = plain.run(), forced.run()
    _same_run(fa, fb)
    if traced:
        plain, forced = _machines(elf, input_bytes)
        a, ra = plain.trace()
        b, rb = forced.trace()
        _same_run(a, b)
        assert a.cycles == fa.cycles
        assert len(ra) == len(rb) == a.slots
        diff = [n for n in ra.dtype.names if not np.array_equal(ra[n], rb[n])]
        assert not diff, f"records differ in {diff}"
    return fa


def check_stalls(elf: Path, input_bytes: bytes | None = None) -> RunResult:
    """Stall cycles by cause, and per instruction in the profile."""
    plain, forced = _machines(elf, input_bytes)
    pa, pb = plain.run(profile=True), forced.run(profile=True)
    _same_run(pa, pb)
    assert pa.stalls == pb.stalls
    assert pa.profile is not None and pb.profile is not None
    assert pa.profile.to_json() == pb.profile.to_json()
    return pa


def _directed_param(name: str) -> object:
    # traps and timer caught the UARCH loop charging each trap's redirect twice in
    # stalls["trap"] (the generic pend after a trap besides the split of the next slot)
    return pytest.param(name, id=name)


@pytest.mark.parametrize("name", sorted(directed.PROGRAMS))
def test_directed(name: str, tmp_path: Path) -> None:
    res = check(directed.build(name, tmp_path / f"{name}.elf"))
    assert res.stop == "exit"


@pytest.mark.parametrize("name", [_directed_param(n) for n in sorted(directed.PROGRAMS)])
def test_directed_stalls(name: str, tmp_path: Path) -> None:
    res = check_stalls(directed.build(name, tmp_path / f"{name}.elf"))
    # the programs exercise the stall causes the UARCH loop must account the same way
    cause = {"load_use": "load_use", "branches": "branch", "division": "div", "traps": "trap",
             "timer": "wfi"}.get(name)
    if cause:
        assert res.stalls[cause] > 0


def _kernel(kernel: str) -> Path:
    from chainrv.kernels import all_kernels

    if shutil.which(toolchain.GCC) is None:      # a build that fails is a failure
        pytest.skip(f"{toolchain.GCC} not installed")
    return all_kernels()[kernel].build(FULL)


@pytest.mark.parametrize("kernel", ["sha256", "keccak256"])
def test_kernel(kernel: str) -> None:
    elf = _kernel(kernel)
    res = check(elf, bytes(range(64)))
    assert res.exit_code == 0 and res.cycles > 1000
    check_stalls(elf, bytes(range(64)))


def test_kernel_long() -> None:
    """ECDSA verification (about 3.8M cycles, divisions and multiplications): the fast
    and profiled variants (its trace would be large)."""
    elf = _kernel("ecdsa_secp256k1")
    res = check(elf, traced=False)
    assert res.exit_code == 0 and res.cycles > 1_000_000
    check_stalls(elf)


def test_explicit_ideal_string_runs_the_ideal_loop() -> None:
    """A configuration equal to ideal (written through another preset) is the ideal machine."""
    m = Machine(FULL, uarch="mcu,mem=0,bp=none,mul=1")
    assert m._u == ""
    assert Machine(FULL, uarch="mcu")._u == "_u"


# ------------------------------------------------------------------ stall accounting adds up


SUM_UARCHS = ("ideal", "mcu", "cached", "ideal,icache=256:1:16,dcache=256:2:16,mem=5,bp=bht:4,mul=iter:2")


def _sum_params() -> list:
    out = []
    for u in SUM_UARCHS:
        for n in sorted(directed.PROGRAMS):
            out.append(pytest.param(n, u, id=f"{n}-{u}"))
    return out


@pytest.mark.parametrize(("name", "uarch"), _sum_params())
def test_stalls_add_up(name: str, uarch: str, tmp_path: Path) -> None:
    """Every cycle is a slot, a stall of some cause, or the pipeline fill at reset
    (the identity of the ideal machine) under every configuration."""
    m = Machine(FULL, uarch=uarch)
    m.load_elf(directed.build(name, tmp_path / f"{name}.elf"))
    res = m.run()
    assert res.stop == "exit"
    assert res.cycles == timing.PIPELINE_FILL + res.slots + sum(res.stalls.values()), res.stalls
