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
from toolchain import have_toolchain, link_asm

from cocotb_tests import directed
from isa.randprog import random_program
from simulator import Machine
from simulator import machine as machine_mod
from simulator.callgraph import build_call_tree

FULL = "rv32im_zicsr_zk_zks"


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("pcounts")
    out = {name: directed.build(name, tmp / f"{name}.elf") for name in sorted(directed.PROGRAMS)}
    for seed in (31, 32):
        (elf := tmp / f"random{seed}.elf").write_bytes(random_program(seed, FULL, blocks=8, length=60).elf())
        out[f"random{seed}"] = elf
    return out


def _traced_counts(elf: Path, uarch: str, isa: str = FULL) -> np.ndarray:
    m = Machine(isa, uarch=uarch)
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


# Function boundaries crossed every way the profiled loop tells apart: _start falls
# through into f (no jump), f calls g with ``jal ra, .+4``-style adjacency (g is the next
# word), g jumps into the middle of h (a plain jump, no link), h's first word traps
# (ecall: the handler is a function of its own, mret returns past it), h rewrites the
# first word of k (a store into code, then k runs the new word in sequence from h's end),
# and a loop with a backward branch runs within k.
EDGES = """
    .globl _start
    .type _start, @function
_start:
    la    t0, handler
    csrw  mtvec, t0
    li    s1, 3
    addi  a0, zero, 1
    .size _start, . - _start
    .type f, @function
f:  addi  a0, a0, 1
    jal   ra, g
    j     h_mid
    .size f, . - f
    .type g, @function
g:  addi  a0, a0, 2
    ret
    .size g, . - g
    .type h, @function
h:  ecall
h_mid:
    addi  a0, a0, 3
    la    t2, k
    lw    t1, 0(t2)
    add   a1, t1, a0
    lw    t3, 4(t2)
    sw    t3, 0(t2)
    .size h, . - h
    .type k, @function
k:  addi  a0, a0, 100
    addi  a0, a0, 7
loop:
    addi  s1, s1, -1
    bne   s1, zero, loop
    beq   a2, zero, again
    lui   t0, 0x100
    li    t1, 0x5555
    sw    t1, 0(t0)
again:
    li    a2, 1
    li    s1, 2
    j     h
    .size k, . - k
    .type handler, @function
handler:
    csrr  t2, mepc
    addi  t2, t2, 4
    csrw  mepc, t2
    mret
    .size handler, . - handler
"""


@pytest.fixture(scope="module")
def edges(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not have_toolchain():
        pytest.skip("riscv64-unknown-elf toolchain missing")
    return link_asm(EDGES, tmp_path_factory.mktemp("edges"), "e", "rv32im_zicsr")


@pytest.mark.parametrize("uarch", ["ideal", "mcu", "cached"])
@pytest.mark.parametrize("slice_", [None, 1, 2, 5])
def test_profile_follows_every_function_edge(edges: Path, uarch: str, slice_: int | None,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Inclusive and exclusive cycles per function and counts per pc equal those of the
    call tree built from the trace (simulator/callgraph.py), under slices of every length."""
    m = Machine("rv32im_zicsr", uarch=uarch)
    m.load_elf(edges)
    tree = build_call_tree(m.iter_trace(stalls=True), m.functions)
    assert m.result.stop == "exit"
    if slice_ is not None:
        monkeypatch.setattr(machine_mod, "SLICE", slice_)
    p = Machine("rv32im_zicsr", uarch=uarch)
    p.load_elf(edges)
    profile = p.run(profile=True).profile
    assert profile is not None
    want = {name: inc for name, (inc, _) in tree.functions().items() if name != "(pipeline fill)"}
    assert {f.name: f.inclusive for f in profile.functions} == want
    assert {f.name: f.cycles for f in profile.functions if f.cycles} == {
        name: ex for name, (_, ex) in tree.functions().items() if ex and name != "(pipeline fill)"}
    assert np.array_equal(profile.per_pc[0], _traced_counts(edges, uarch, "rv32im_zicsr"))
    # the program does what it is for: k's first word was rewritten and ran as the new one
    assert set(want) == {"_start", "f", "g", "h", "k", "handler"}
