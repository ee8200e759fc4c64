"""``--profile``'s per-instruction counts, which the profiled loop keeps per run of
consecutive words (counted only where a jump, trap or slice starts or ends one), equal
the slots of the trace at every pc: trapped slots, interrupts, stores into code,
``fence.i``, calls and returns, and runs cut by slices of every length (the loop
returns after a jump, inside a run, before a run's first slot)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from cocotb_tests import directed
from isa.randprog import random_program
from simulator import Machine
from simulator import machine as machine_mod

FULL = "rv32im_zicsr_zk_zks"


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("pcounts")
    out = {name: directed.build(name, tmp / f"{name}.elf") for name in sorted(directed.PROGRAMS)}
    for seed in (31, 32):
        (elf := tmp / f"random{seed}.elf").write_bytes(random_program(seed, FULL, blocks=8, length=60).elf())
        out[f"random{seed}"] = elf
    return out


def _traced_counts(elf: Path, uarch: str) -> np.ndarray:
    m = Machine(FULL, uarch=uarch)
    m.load_elf(elf)
    pcs = np.concatenate([recs["pc_rdata"] for recs in m.iter_trace()])
    words = (pcs - m.ram_base) // 4
    words = words[(pcs >= m.ram_base) & (words < m.ram_size // 4)]  # (a fetch fault's pc)
    return np.bincount(words, minlength=m.ram_size // 4)


def _profiled_counts(elf: Path, uarch: str) -> np.ndarray:
    m = Machine(FULL, uarch=uarch)
    m.load_elf(elf)
    profile = m.run(profile=True).profile
    assert profile is not None
    return profile.per_pc[0]


@pytest.mark.parametrize("uarch", ["ideal", "cached"])
@pytest.mark.parametrize("slice_", [None, 1, 2, 3, 7])
def test_profile_counts_are_the_traces(programs: dict, uarch: str, slice_: int | None,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    if slice_ is not None:
        monkeypatch.setattr(machine_mod, "SLICE", slice_)
    differ = []
    for name, elf in programs.items():
        want = _traced_counts(elf, uarch)
        got = _profiled_counts(elf, uarch)
        assert want.sum() > 0
        if not np.array_equal(got, want):
            bad = np.flatnonzero(got != want)[:4]
            differ.append((name, [(int(w), int(got[w]), int(want[w])) for w in bad]))
    assert not differ


def test_the_programs_jump_trap_and_are_cut_after_jumps(programs: dict,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison is not idle: the programs trap, take interrupts and jump, and a
    slice of 1 returns after every slot, jumps included."""
    kinds = set()
    for elf in programs.values():
        m = Machine(FULL)
        m.load_elf(elf)
        for recs in m.iter_trace():
            kinds.update(("trap" if t else "jump" if n != p + 4 else "seq")
                          for t, n, p in zip(recs["trap"], recs["pc_wdata"], recs["pc_rdata"], strict=True))
    assert kinds == {"trap", "jump", "seq"}
    # a slice of 1 counts the same as one slice: the sum over the cut runs is exact
    monkeypatch.setattr(machine_mod, "SLICE", 1)
    elf = programs[random.Random(5).choice(sorted(programs))]
    assert _profiled_counts(elf, "ideal").sum() == _traced_counts(elf, "ideal").sum()
