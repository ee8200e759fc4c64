"""A run of the microarchitecture's loop can stop after any slot and resume with the
same timing: the loop keeps its timing state in locals (the steady flow, the last
lookups, the predictor's queue of updates) and must leave all of it in the state
arrays when it returns. Cycles, stalls, counters and the caches' and branch table's
contents after a run in one piece equal those after the same run cut into many
slices of an odd length, and those of the traced loop (which returns every 65,536
records)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from chainrv.kernels import all_kernels
from simulator import Machine
from simulator import state as S

FULL = "rv32im_zicsr_zk_zks"
UARCHS = ("cached", "mcu", "ideal,bp=btfn,mem=3", "cached,bp=bht:16,mul=iter:4",
          "ideal,mul=pipe:3,dcache=1k:1:16", "mcu,bp=bht:8,icache=256:1:16")


@pytest.fixture(scope="module")
def program() -> tuple[str, bytes]:
    elf = all_kernels()["sha256"].build(FULL)
    return str(elf), random.Random(7).randbytes(6000)


def _machine(program: tuple[str, bytes], uarch: str) -> Machine:
    m = Machine(FULL, uarch=uarch)
    m.load_elf(program[0])
    m.set_input(program[1])
    return m


def _state(m: Machine, r) -> tuple:
    return (r.cycles, r.instret, r.stdout, sorted(r.stalls.items()), sorted(r.counters.items()))


@pytest.mark.parametrize("uarch", UARCHS)
def test_slices_resume_exactly(program: tuple[str, bytes], uarch: str) -> None:
    whole = _machine(program, uarch)
    r = whole.run()
    assert r.stop == "exit" and r.exit_code == 0
    sliced = _machine(program, uarch)
    while True:
        s = sliced.run(997)
        if s.stop != "limit":
            break
    assert _state(sliced, s)[:2] == _state(whole, r)[:2]
    assert _state(sliced, s) == _state(whole, r)
    assert np.array_equal(sliced.ua, whole.ua) and np.array_equal(sliced.uc, whole.uc)
    traced = _machine(program, uarch)
    t, rec = traced.trace()
    assert _state(traced, t) == _state(whole, r)
    assert int(rec["cycle"][-1]) + 1 == r.cycles


@pytest.mark.parametrize("uarch", ("ideal", "cached", "mcu", "cached,bp=btfn,mul=iter:4"))
def test_trace_stalls_account_for_every_cycle(program: tuple[str, bytes], uarch: str) -> None:
    """Each record's stall columns add up to the cycles between its retirement and the
    one before, and over the run to the stall counters, cause by cause."""
    m = _machine(program, uarch)
    parts = list(m.iter_trace(stalls=True))
    recs = np.concatenate([p[0] for p in parts])
    stalls = np.concatenate([p[1] for p in parts])
    r = m.result
    gaps = np.diff(recs["cycle"], prepend=int(recs["cycle"][0]) - 1) - 1
    assert np.array_equal(stalls[1:].sum(axis=1), gaps[1:])
    assert dict(zip(S.STALL_CAUSES, stalls.sum(axis=0).tolist(), strict=True)) == r.stalls
    if uarch != "ideal":
        assert sum(r.stalls[c] for c in ("icache", "dcache", "mispredict", "mul")) > 0


@pytest.mark.parametrize("uarch", ("ideal", "cached"))
def test_profile_table_adds_up(program: tuple[str, bytes], uarch: str) -> None:
    """The profile's rows (functions above the threshold, the others, the pipeline's
    fill) add up to the run's cycles, instructions and stalls exactly."""
    m = _machine(program, uarch)
    r = m.run(profile=True)
    assert r.profile is not None
    for threshold in (0.0, 0.001, 0.5):
        rows = r.profile.rows(threshold)
        assert sum(f.cycles for f in rows) == r.cycles
        assert sum(f.instructions for f in rows) == r.instret
        for cause, n in r.stalls.items():
            assert sum(f.stalls[cause] for f in rows) == n
        named = [f for f in rows if not f.name.startswith(("other (", "pipeline fill"))]
        # a row is shown for its own cycles or for those with its callees
        assert all(max(f.cycles, f.inclusive) >= threshold * r.cycles for f in named)
        assert all(f.inclusive >= f.cycles for f in named)
    assert r.profile.rows(0.5)[0].name == "sha256_blocks"
    text = r.profile.table()
    assert text.splitlines()[0].startswith("function (self)")
    assert any(ln.startswith("total ") and str(r.cycles) in ln for ln in text.splitlines())
