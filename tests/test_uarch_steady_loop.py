"""The UARCH loop's steady loop (simulator/loop.py, docs/simulator.md) times a slot
exactly as the general slot does: the fast variant, the only one that runs it, ends
every program in the state that the profile and trace variants reach without it
(the trace variant is the one the lockstep holds against the RTL, cycle for cycle):
registers, RAM, the state vector, cycles, slots, stalls by cause, counters, and the
microarchitecture's whole state (cache tags, LRU stamps, dirty bits, the predictor
and its pending updates, late results).

Programs: every directed program (traps, the timer interrupt, stores into code,
fence.i, misses on both ports, every kind of misprediction), random programs, a
replacement stress and a kernel; presets and random configurations."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from test_uarch_lru_model import random_uarch, stress_source

from chainrv import toolchain
from cocotb_tests import directed, directed_uarch
from isa.asm import assemble
from isa.elfwriter import make_elf
from isa.memmap import RAM_BASE
from isa.randprog import random_program
from simulator import Machine
from simulator import state as S

FULL = "rv32im_zicsr_zk_zks"
UARCHS = ["cached", "mcu", "fpga", "cached,bp=btfn,icache=256:1:16", "cached,ldu=2,mul=pipe:3",
          *(random_uarch(random.Random(seed))[0] for seed in (1, 2, 3))]

#: A long straight run of ALU work (4.8 KiB, more than the 4 KiB I-cache of ``cached``)
#: between two jumps: almost every slot steady,
#: the I-cache's line changing every few slots, and a pipelined product late for the
#: next instruction.
STRAIGHT = """
    li s0, 10
loop:
""" + "".join(f"    addi s2, s2, {k}\n    xor s3, s3, s2\n    mul s4, s3, s2\n    add s5, s5, s4\n"
              for k in range(300)) + """
    addi s0, s0, -1
    beq s0, zero, done
    j loop
done:
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
"""

#: Counted loops whose closing branch the predictor learns (the UARCH block loop's turn
#: mode, simulator/ublocks.py): one over two I-cache lines, with a load and a product late
#: for the next slot, a store and a second line; one inside a line; one whose data walks
#: out of the D-cache's lines, so that turns leave in their middle; one whose first slot
#: waits for a load of the turn before (with ``ldu=2``). Then a branch on a word just
#: loaded (and read again by the next block's first slot), taken in pairs and not taken in
#: pairs, and a two-slot loop chasing pointers
#: through lists of one and three words: the branch's update is still queued when it is
#: read again. Run in slices of an odd length, the slices end inside turns.
TURNS = """
    li s0, 3000
    li s1, 0x80080000
    li s2, 0
    nop
loop2:
    lw t0, 0(s1)
    add s2, s2, t0
    mul t1, s2, s2
    add s3, s3, t1
    addi s2, s2, 1
    sw s2, 4(s1)
    sha256sig0 s4, s2
    addi s0, s0, -1
    bne s0, zero, loop2
    li s0, 2000
    .align 5
loop1:
    addi s2, s2, 3
    xor s3, s3, s2
    addi s0, s0, -1
    bne s0, zero, loop1
    li s0, 1500
walk:
    lw t0, 0(s1)
    add s2, s2, t0
    sw s2, 0(s1)
    addi s1, s1, 36
    addi s0, s0, -1
    bne s0, zero, walk
    li s0, 300
loop3:
    add s5, s5, t2
    addi s0, s0, -1
    lw t2, 8(s1)
    bne s0, zero, loop3
    li s1, 0x80090000
    li s0, 64
    mv s2, s1
fill:
    andi t1, s0, 2
    sw t1, 0(s2)
    addi s2, s2, 4
    addi s0, s0, -1
    bne s0, zero, fill
    li s3, 32
scan:
    add s5, s5, t0
    addi s1, s1, 4
    lw t0, -4(s1)
    bne t0, zero, scan
    addi s3, s3, -1
    bne s3, zero, scan
    li s1, 0x800A0000
    li s4, 12
round:
    sw zero, 0(s1)
    addi t0, s1, 0
    jal ra, chase
    sw zero, 0(s1)
    addi t0, s1, 0
    jal ra, chase
    addi t1, s1, 4
    sw t1, 0(s1)
    addi t1, s1, 8
    sw t1, 4(s1)
    sw zero, 8(s1)
    addi t0, s1, 0
    jal ra, chase
    addi s4, s4, -1
    bne s4, zero, round
    jal zero, after
chase:
    lw t0, 0(t0)
    bne t0, zero, chase
    jalr zero, 0(ra)
after:
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
"""

#: The timer interrupt falling inside blocks whose fetches miss: a handler that arms the
#: next interrupt 150 to 213 cycles on, over straight ALU work larger than the 4 KiB
#: I-cache of ``cached`` (a miss every line) and calls returning with ``jalr`` (every
#: return mispredicted, the next block's first slot waiting for the redirect). A block's
#: end must be judged with its misses before it runs.
TIMED = """
    la t0, handler
    csrw mtvec, t0
    li s5, 0x0200BFF8
    li s6, 0x02004000
    li t1, -1
    sw t1, 4(s6)
    lw t1, 0(s5)
    addi t1, t1, 100
    sw t1, 0(s6)
    sw zero, 4(s6)
    li t1, 0x80
    csrw mie, t1
    csrrsi zero, mstatus, 8
    li s0, 6
round:
""" + "".join(f"    addi s2, s2, {k}\n    xor s3, s3, s2\n    add s4, s4, s3\n"
              + ("    jal ra, leaf\n" if k % 40 == 7 else "") for k in range(420)) + """
    addi s0, s0, -1
    beq s0, zero, done
    j round
done:
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
leaf:
    addi s8, s8, 1
    jalr zero, 0(ra)
handler:
    addi s7, s7, 1
    andi t2, s7, 63
    lw t1, 0(s5)
    addi t1, t1, 150
    add t1, t1, t2
    li t3, -1
    sw t3, 4(s6)
    sw t1, 0(s6)
    sw zero, 4(s6)
    mret
"""


def _programs(tmp: Path) -> dict[str, tuple[Path, bytes | None]]:
    out: dict[str, tuple[Path, bytes | None]] = {}
    for mod in (directed, directed_uarch):
        for name in sorted(mod.PROGRAMS):
            out[name] = (mod.build(name, tmp / f"{name}.elf"), None)
    for seed in (21, 22, 23):
        elf = tmp / f"random{seed}.elf"  # (run three times over: their words run again, in blocks)
        elf.write_bytes(random_program(seed, FULL, blocks=8, length=60, rounds=3).elf())
        out[f"random{seed}"] = (elf, None)
    (elf := tmp / "stress.elf").write_bytes(make_elf([(RAM_BASE, assemble(stress_source(5), base=RAM_BASE))],
                                                      RAM_BASE))
    out["stress"] = (elf, None)
    (elf := tmp / "straight.elf").write_bytes(make_elf([(RAM_BASE, assemble(STRAIGHT))], RAM_BASE))
    out["straight"] = (elf, None)
    (elf := tmp / "turns.elf").write_bytes(make_elf([(RAM_BASE, assemble(TURNS))], RAM_BASE))
    out["turns"] = (elf, None)
    (elf := tmp / "timed.elf").write_bytes(make_elf([(RAM_BASE, assemble(TIMED))], RAM_BASE))
    out["timed"] = (elf, None)
    if shutil.which(toolchain.GCC) is not None:
        from chainrv.kernels import all_kernels

        out["sha256"] = (all_kernels()["sha256"].build(FULL), random.Random(3).randbytes(700))
    return out


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, bytes | None]]:
    return _programs(tmp_path_factory.mktemp("steady"))


def _machine(prog: tuple[Path, bytes | None], uarch: str) -> Machine:
    m = Machine(FULL, uarch=uarch)
    m.load_elf(prog[0])
    if prog[1] is not None:
        m.set_input(prog[1])
    return m


def _state(m: Machine, r) -> dict:
    st = m.st[:S.SEEN0].copy()
    st[[S.TRACE_N, S.PEND_SRC]] = 0  # the trace's length, and the profile's charge
    return {"stop": r.stop, "exit": r.exit_code, "trap": r.trap, "cycles": r.cycles, "instret": r.instret,
            "slots": r.slots, "stalls": r.stalls, "counters": r.counters, "stdout": r.stdout,
            "regs": m.regs.tobytes(), "ram": m.ram8.tobytes(), "st": st.tobytes(),
            "ua": m.ua.tobytes(), "uc": m.uc.tobytes()}


def _differ(a: dict, b: dict) -> list[str]:
    return [k for k in a if a[k] != b[k]]


@pytest.mark.parametrize("uarch", UARCHS)
def test_fast_variant_ends_where_the_traced_one_does(programs: dict, uarch: str) -> None:
    differ = {}
    for name, prog in programs.items():
        fast = _machine(prog, uarch)
        while (r := fast.run(7_919)).stop == "limit":  # slices of an odd length: each resumes
            pass
        traced = _machine(prog, uarch)
        t, _ = traced.trace()
        profiled = _machine(prog, uarch)
        p = profiled.run(profile=True)
        a, b, c = _state(fast, r), _state(traced, t), _state(profiled, p)
        if bad := _differ(a, b) + _differ(a, c):
            differ[name] = sorted(set(bad))
        assert r.stop in ("exit", "trap"), (name, r.trap)
    assert not differ, f"under {uarch}: {differ}"


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(6))
def test_fast_variant_on_random_programs_and_machines(tmp_path: Path, chunk: int) -> None:
    """``make regress``: 20 random programs a chunk, run four times over (so that their
    words run again decoded, in blocks), each under a random microarchitecture (or a
    preset, every third), in slices of 61, 7,919 or a million slots."""
    differ = {}
    for seed in range(20 * chunk, 20 * chunk + 20):
        rng = random.Random(seed * 7919)
        uarch = random_uarch(rng)[0] if seed % 3 else rng.choice(UARCHS[:5])
        if seed % 5 == 0:
            uarch += ",ldu=2"
        elf = tmp_path / f"r{seed}.elf"
        elf.write_bytes(random_program(seed, FULL, blocks=6, length=60, rounds=4).elf())
        fast = _machine((elf, None), uarch)
        step = rng.choice([61, 7_919, 1_000_000])
        while (r := fast.run(step)).stop == "limit":
            pass
        traced = _machine((elf, None), uarch)
        t, _ = traced.trace()
        if bad := _differ(_state(fast, r), _state(traced, t)):
            differ[(seed, uarch)] = bad
    assert not differ


def test_the_programs_reach_what_the_steady_loop_times(programs: dict) -> None:
    """The comparison is not idle: STRAIGHT under ``cached`` misses in the I-cache in
    straight code and waits for pipelined products (the steady loop's own stalls),
    and the stress program misses and writes back on the data side (which it leaves)."""
    r = _machine(programs["straight"], "cached").run()
    assert r.stop == "exit"
    # the 0.8 KiB beyond 4 KiB (25 lines) evicts and is evicted every round
    assert r.counters["icache_misses"] > 10 * 25 and r.stalls["icache"] > 0
    # an add waits a cycle for its product, unless its own fetch missed meanwhile
    assert r.stalls["mul"] > 10 * 300 // 2
    r = _machine(programs["stress"], "cached").run()
    assert r.counters["dcache_misses"] > 0 and r.counters["dcache_writebacks"] > 0
