"""The block loop (simulator/blocks.py) retires slots exactly as the general slot
does: the ideal machine's fast variant, the only one that runs blocks, ends every
program in the state that the trace variant (the one the lockstep holds against the
RTL) and the profiled variant reach one slot at a time: registers, RAM, the state
vector, cycles, slots and stalls by cause.

The programs are those of ``test_uarch_steady_loop`` (every directed program: traps,
the timer interrupt, stores into code, ``fence.i``; random programs; a kernel) and
:data:`EDGES`, which reaches each way a block ends or is left."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_uarch_steady_loop import _differ, _machine, _programs, _state

from isa.asm import assemble
from isa.elfwriter import make_elf
from isa.memmap import RAM_BASE, RAM_SIZE
from isa.randprog import random_program
from simulator import blocks as B
from simulator import state as S

#: Straight runs longer than a block, with a load in a block's last slot whose
#: register the next block's first slot reads; a store into the running block ahead
#: of itself (the word it runs next is the new one); a jump into the middle of a
#: block; loads and stores that leave RAM or are misaligned (a trap, handled) in the
#: middle of a block; a jalr whose target is misaligned; a word rewritten once, from an
#: ``addi`` into a load whose register the next slot reads, in a block that ran before
#: and runs twice after (its entry must be made again); loops on themselves (a block
#: whose branch goes back to its own first word, run a turn at a time by the block loop)
#: that store into their own first word every turn (that word reading what the slot
#: before the loop loaded, in a block's last slot), that leave a turn in its middle
#: every other turn (a misaligned load, a trap, handled), and that the timer interrupt
#: stops in the middle of a turn; and the timer interrupt due again inside a straight run.
EDGES = """
    la t0, handler
    csrrw zero, mtvec, t0
    li s1, 0x80080000
    li s0, 3
round:
""" + "".join(f"    addi s2, s2, {k}\n" for k in range(B.MAX_LEN - 1)) + """
    lw s3, 0(s1)
    add s4, s3, s2
""" + "".join(f"    xor s5, s5, s4\n    addi s4, s4, {k}\n" for k in range(40)) + """
    la t1, patch
    lw t2, 4(t1)
    sw t2, 0(t1)
patch:
    addi s6, s6, 1
    addi s6, s6, 100
    la t1, middle
    jalr zero, 0(t1)
    addi s7, s7, 1
    addi s7, s7, 2
middle:
    addi s7, s7, 3
    lw t3, 1(s1)
    addi s7, s7, 4
    li t4, 0x10000005
    lbu t5, 0(t4)
    addi s7, s7, 5
    la t1, skip
    addi t1, t1, 2
    jalr ra, 0(t1)
skip:
    addi s10, s10, 1
    add s11, s11, s10
    li t3, 3
    bne s0, t3, kept
    la t1, template
    lw t2, 0(t1)
    la t1, skip
    sw t2, 0(t1)
kept:
    addi s0, s0, -1
    bne s0, zero, round
    la t6, selfmod
    li t2, 5
""" + "".join("    addi zero, zero, 0\n" for _ in range(B.MAX_LEN - 4)) + """
    lw t5, 0(t6)
selfmod:
    add a1, a1, t5
    sw t5, 0(t6)
    addi t2, t2, -1
    bne t2, zero, selfmod
    li a3, 0x80080000
    li a7, 6
odd:
    addi a6, a6, 1
    lw t0, 0(a3)
    addi a3, a3, 2
    addi a7, a7, -1
    bne a7, zero, odd
    li t0, 0x0200bff8
    lw t1, 0(t0)
    addi t1, t1, 152
    li t0, 0x02004000
    sw t1, 0(t0)
    sw zero, 4(t0)
    li t0, 0x80
    csrrw zero, mie, t0
    csrrsi zero, mstatus, 8
    li t2, 100
spin:
    addi a2, a2, 1
    addi t2, t2, -1
    bne t2, zero, spin
""" + "".join(f"    addi s8, s8, {k}\n" for k in range(300)) + """
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
handler:
    csrrs t0, mcause, zero
    blt t0, zero, timer
    csrrs t0, mepc, zero
    addi t0, t0, 4
    csrrw zero, mepc, t0
    mret
timer:
    addi s9, s9, 1
    li t0, 0x02004000
    li t1, -1
    sw t1, 4(t0)
    sw t1, 0(t0)
    li t1, 1
    bne s9, t1, timer_done
    li t1, 0x0200bff8
    lw t1, 0(t1)
    addi t1, t1, 400
    sw t1, 0(t0)
    sw zero, 4(t0)
timer_done:
    mret
template:
    lw s10, 0(s1)
"""


def _all(tmp: Path) -> dict[str, tuple[Path, bytes | None]]:
    out = _programs(tmp)
    (elf := tmp / "edges.elf").write_bytes(make_elf([(RAM_BASE, assemble(EDGES, base=RAM_BASE))], RAM_BASE))
    out["edges"] = (elf, None)
    for seed in (31, 32, 33, 34):
        (elf := tmp / f"random{seed}.elf").write_bytes(
            random_program(seed, "rv32im_zicsr_zk_zks", blocks=20, length=60).elf())
        out[f"random{seed}"] = (elf, None)
    return out


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, bytes | None]]:
    return _all(tmp_path_factory.mktemp("blocks"))


@pytest.mark.parametrize("limit", [None, 7_919, 61])
def test_blocks_end_where_one_slot_at_a_time_does(programs: dict, limit: int | None) -> None:
    differ = {}
    for name, prog in programs.items():
        fast = _machine(prog, "ideal")
        assert fast._u == ""
        slots = 0
        while (r := fast.run(limit)).stop == "limit":  # slices: each resumes where the last ended
            assert r.slots == (slots := slots + limit), name  # each slice runs exactly its slots
        traced = _machine(prog, "ideal")
        t, _ = traced.trace()
        profiled = _machine(prog, "ideal")
        p = profiled.run(profile=True)
        a, b, c = _state(fast, r), _state(traced, t), _state(profiled, p)
        if bad := _differ(a, b) + _differ(a, c):
            differ[name] = sorted(set(bad))
        assert r.stop in ("exit", "trap"), (name, r.trap)
    assert not differ, differ


def test_stores_of_other_loops_forget_blocks(programs: dict) -> None:
    """Slices of the fast loop (blocks) alternate with slices of the trace loop (one slot at
    a time): a store into code made by the trace loop forgets the blocks the fast loop made
    that hold its word (the block loop runs a block's words without testing them). Every
    program ends as one traced run does."""
    differ = {}
    runs = [(name, 13, 11) for name in programs] + [("edges", f, 1) for f in range(6, 14)]
    for name, fast, traced in runs:
        m = _machine(programs[name], "ideal")
        while True:
            r = m.run(fast)
            if r.stop != "limit":
                break
            r, _ = m.trace(traced)
            if r.stop != "limit":
                break
        whole = _machine(programs[name], "ideal")
        t, _ = whole.trace()
        a, b = _state(m, r), _state(whole, t)
        for k in ("slots", "instret", "cycles", "stalls", "counters", "stdout"):  # (a slice's own figures)
            a.pop(k), b.pop(k)
        if bad := _differ(a, b):
            differ[name, fast, traced] = sorted(set(bad))
    assert not differ, differ


def test_edges_run_in_blocks(programs: dict) -> None:
    """The comparison is not idle: the edge program runs whole blocks, of the longest
    length among them, its load-use stalls cross blocks, its store rewrites the word
    after itself, and the timer interrupt is taken twice."""
    m = _machine(programs["edges"], "ideal")
    r = m.run()
    assert r.stop == "exit"
    lengths = m.blk & B.B_LEN
    assert lengths.max() == B.MAX_LEN
    assert np.count_nonzero(lengths) > 10
    # lw s3 / add s4 once a round, across a block's end, and the rewritten word's twice
    assert r.stalls["load_use"] >= 5
    assert m.regs[22] == 3 * 200  # s6: each round runs the rewritten addi s6, s6, 100 twice
    assert m.regs[25] == 2  # s9: the timer interrupt, twice
    assert (m.regs[11], m.regs[12], m.regs[16]) == (5 * m.regs[30] & 0xFFFFFFFF, 100, 6)  # the loops' turns


def _traced_stalls(prog: tuple[Path, bytes | None]) -> np.ndarray:
    """The stalls per RAM word and cause as the profile charges them, from the trace:
    a slot's own waits to its word, the wait for a redirect (a taken branch or jump, a
    trap, ``mret``) to the word of the slot before it, which redirected."""
    m = _machine(prog, "ideal")
    words = m.ram_size // 4
    out = np.zeros((words, len(S.STALL_CAUSES)), np.int64)
    prev = -1
    for recs, stalls in m.iter_trace(stalls=True):
        for pc, row in zip(recs["pc_rdata"].tolist(), stalls.tolist(), strict=True):
            w = (pc - m.ram_base) // 4 if m.ram_base <= pc < m.ram_base + m.ram_size else -1
            for cause, n in enumerate(row):
                at = prev if (S.REDIRECT_MASK >> cause) & 1 else w
                if n and at >= 0:
                    out[at, cause] += n
            prev = w
    return out


def test_profiled_stalls_are_the_traces(programs: dict) -> None:
    """The profiled block loop charges each stall where the general slot does: load-use
    stalls inside a block and at its first slot, branch penalties to the branch."""
    differ = {}
    charged = np.zeros(len(S.STALL_CAUSES), np.int64)
    for name, prog in programs.items():
        if name == "sha256":  # (long: its blocks are those of the random programs' kinds)
            continue
        m = _machine(prog, "ideal")
        got = m.run(profile=True).profile.per_pc[2]
        want = _traced_stalls(prog)
        charged += want.sum(axis=0)
        if not np.array_equal(got, want):
            bad = np.argwhere(got != want)[:4]
            differ[name] = [(int(w), int(c), int(got[w, c]), int(want[w, c])) for w, c in bad]
    assert not differ, differ
    assert charged[S.S_LU] > 0 and charged[S.S_BR] > 0 and charged[S.S_TRAP] > 0


# Calls and returns that end blocks (a jal after other slots, a ret after a load-use),
# a function entered by falling through from the one before it, a function's first word
# as a block's first slot, loops in blocks: run enough times that the blocks (not the
# general slot) keep the call stack; and a block that calls itself (its own first word)
# until its store leaves RAM, whose trap goes to a block that returns to itself as many
# times, then to the first caller.
CALLS = """
    .globl _start
    .type _start, @function
_start:
    li    sp, 0x80080000
    li    s1, 0x80070000
    li    s0, 40
outer:
    addi  a1, a1, 1
    jal   ra, f
    addi  a1, a1, 2
    jal   ra, f2
    addi  s0, s0, -1
    bne   s0, zero, outer
    la    t0, back
    csrrw zero, mtvec, t0
    li    sp, 0x800fffc0
    jal   ra, h
    lui   t0, 0x100
    li    t1, 0x5555
    sw    t1, 0(t0)
    .size _start, . - _start
    .type h, @function
h:  sw    ra, 0(sp)
    addi  sp, sp, 4
    jal   ra, h
back:
    addi  sp, sp, -4
    lw    ra, 0(sp)
    ret
    .size h, . - h
    .type f, @function
f:  addi  sp, sp, -16
    sw    ra, 12(sp)
    lw    t0, 0(s1)
    add   t1, t0, t0
    addi  a0, a0, 3
    jal   ra, g
    lw    ra, 12(sp)
    addi  sp, sp, 16
    li    t3, 3
inner:
    addi  t3, t3, -1
    bne   t3, zero, inner
    ret
    .size f, . - f
    .type g, @function
g:  lw    t2, 4(s1)
    add   a0, a0, t2
    ret
    .size g, . - g
    .type f2, @function
f2: addi  a0, a0, 5
    addi  a0, a0, 6
    .size f2, . - f2
    .type f3, @function
f3: addi  a0, a0, 7
    lw    t4, 8(s1)
    add   a0, a0, t4
    ret
    .size f3, . - f3
"""


def test_profiled_blocks_keep_the_call_stack(tmp_path: Path) -> None:
    """Inclusive and exclusive cycles per function and slots per word equal those of
    the call tree built from the trace (simulator/callgraph.py), for calls and returns
    made in blocks."""
    from toolchain import have_toolchain, link_asm

    from simulator.callgraph import build_call_tree

    if not have_toolchain():
        pytest.skip("riscv64-unknown-elf toolchain missing")
    elf = link_asm(CALLS, tmp_path, "calls", "rv32im_zicsr")
    m = _machine((elf, None), "ideal")
    tree = build_call_tree(m.iter_trace(stalls=True), m.functions)
    assert m.result.stop == "exit"
    p = _machine((elf, None), "ideal")
    profile = p.run(profile=True).profile
    want = {name: inc for name, (inc, _) in tree.functions().items() if name != "(pipeline fill)"}
    assert set(want) == {"_start", "f", "g", "f2", "f3", "h"}
    assert {f.name: f.inclusive for f in profile.functions} == want
    assert {f.name: f.cycles for f in profile.functions if f.cycles} == {
        name: ex for name, (_, ex) in tree.functions().items() if ex and name != "(pipeline fill)"}
    assert np.array_equal(profile.per_pc[2], _traced_stalls((elf, None)))


def test_profiled_recursion_deeper_than_the_stack(tmp_path: Path) -> None:
    """A block that calls itself (its own first word) more times than the call stack holds
    (callstack.CAPACITY), then returns as many times from a block that returns to itself:
    the profile has no inclusive cycles, as the stack overflowed, though the block loop
    runs those calls and returns turn after turn."""
    from toolchain import have_toolchain, link_asm

    from simulator.callstack import CAPACITY

    if not have_toolchain():
        pytest.skip("riscv64-unknown-elf toolchain missing")
    top = RAM_BASE + RAM_SIZE - 4 * (CAPACITY + 100)  # the store leaves RAM after that many calls
    src = CALLS.replace("li    s0, 40", "li    s0, 1").replace("li    sp, 0x800fffc0", f"li    sp, {top:#x}")
    elf = link_asm(src, tmp_path, "deep", "rv32im_zicsr")
    p = _machine((elf, None), "ideal")
    r = p.run(profile=True)
    assert r.stop == "exit"
    assert r.profile is not None and all(f.inclusive is None for f in r.profile.functions)


# A loop whose block runs (turn after turn) before its words are changed from outside it.
OUTSIDE = """
    li t2, 20
again:
    addi a1, a1, 1
    addi a2, a2, 2
    addi t2, t2, -1
    bne t2, zero, again
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
"""


def test_words_changed_from_outside_forget_blocks(tmp_path: Path) -> None:
    """A write to RAM from outside the loop (gdb's, Machine.write_mem) into a block that
    ran, and a breakpoint set in one, forget it: the block loop runs a kept block's words
    without testing them. The write ends as in the trace loop (no blocks); the breakpoint
    stops the run at its word."""
    from simulator.debug import MachineTarget

    elf = tmp_path / "outside.elf"
    elf.write_bytes(make_elf([(RAM_BASE, assemble(OUTSIDE, base=RAM_BASE))], RAM_BASE))
    word = assemble("addi a2, a2, 5", base=RAM_BASE + 8)
    runs = []
    for loop in ("fast", "trace"):
        m = _machine((elf, None), "ideal")
        go = (lambda n, m=m: m.run(n)) if loop == "fast" else (lambda n, m=m: m.trace(n)[0])
        assert go(29).stop == "limit"  # (at the loop's first word: its block runs next)
        m.write_mem(RAM_BASE + 8, word)
        r = go(None)
        assert r.stop == "exit"
        runs.append((m, r))
    (fast, r), (traced, t) = runs
    assert fast.regs[12] == traced.regs[12] != 2 * 20  # a2: the rewritten word ran
    assert _state(fast, r)["st"] == _state(traced, t)["st"]
    m = _machine((elf, None), "ideal")
    assert m.run(29).stop == "limit"
    MachineTarget(m).resume(False, {RAM_BASE + 12}, [], 1000)
    assert m.pc == RAM_BASE + 12
