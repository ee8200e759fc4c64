"""What the random programs of isa/randprog.py exercise, read back from their code
(isa.encoding's decoder) and from their runs on the ISS (trace records)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from isa.csrs import BY_NUMBER, MCYCLE, MINSTRET, MTVEC
from isa.encoding import decode
from isa.memmap import RAM_SIZE
from isa.randprog import BASE, SCRATCH, random_program
from simulator import Machine

FULL = "rv32im_zicsr_zk_zks"
XCHAIN = "rv32im_zicsr_zk_zks_xchain"


def _decoded(code: bytes) -> list:
    words = [int.from_bytes(code[i:i + 4], "little") for i in range(0, len(code), 4)]
    return [decode(w) for w in words]


def _trace(tmp_path: Path, isa: str, seed: int, **kw):
    elf = tmp_path / f"r{seed}.elf"
    prog = random_program(seed, isa, blocks=6, length=40, **kw)
    elf.write_bytes(prog.elf())
    m = Machine(isa)
    m.load_elf(elf)
    res, recs = m.trace()
    assert res.stop == "exit" and res.exit_code == 0, res.trap
    return prog, res, recs


def test_xchain_rows_get_rs3_and_rotate_amounts() -> None:
    r4, rot = [], []
    for seed in range(4):
        for d in _decoded(random_program(seed, XCHAIN, blocks=6, length=40).code):
            if d is not None and d.insn.fmt == "R4":
                r4.append(d.imm)
            elif d is not None and d.insn.fmt == "Rrot":
                rot.append(d.imm)
    assert len(r4) > 100 and len(rot) > 20
    assert sum(x != 0 for x in r4) > 0.8 * len(r4)
    assert len(set(r4)) >= 28                 # rs3 spans the register file
    assert sum(x != 0 for x in rot) > 0.8 * len(rot)
    assert len(set(rot)) >= 20                # rotate amounts across 0..31


def test_xchain_rs3_hazards_happen(tmp_path: Path) -> None:
    """Some R4 instruction reads as rs3 the register the instruction just before wrote
    (forwarding), and some the one a load just before wrote (the rs3 load-use stall)."""
    _, _, recs = _trace(tmp_path, XCHAIN, 1)
    fwd = loaduse = 0
    for prev, cur in zip(recs[:-1], recs[1:], strict=True):
        d = decode(int(cur["insn"]))
        if d is None or d.insn.fmt != "R4" or not prev["rd_addr"] or d.imm != prev["rd_addr"]:
            continue
        fwd += 1
        loaduse += decode(int(prev["insn"])).insn.kind == "load"
    assert fwd >= 5 and loaduse >= 1


def test_memory_operands_vary(tmp_path: Path) -> None:
    """Negative offsets, base registers other than gp written just before the access
    (address generation hazards), every access inside RAM or a device."""
    _, _, recs = _trace(tmp_path, FULL, 2)
    neg = fresh_base = 0
    for i, r in enumerate(recs):
        d = decode(int(r["insn"]))
        if d is None or d.insn.kind not in ("load", "store") or r["trap"]:
            continue
        neg += d.imm < 0
        if d.rs1 != 3 and any(recs[j]["rd_addr"] == d.rs1 for j in range(max(0, i - 3), i)):
            fresh_base += 1
        addr = int(r["mem_addr"])
        # the scratch area and the lines above it (cache evictions), a device, the code
        assert SCRATCH <= addr < BASE + RAM_SIZE or addr < BASE or BASE <= addr < SCRATCH
    assert neg > 50 and fresh_base > 50


def test_control_flow_varies(tmp_path: Path) -> None:
    """Backward branches taken (loops), jalr with rd == rs1, negative and odd offsets."""
    back_taken = 0
    jalrs = []
    for seed in (3, 4, 5):
        prog, _, recs = _trace(tmp_path, FULL, seed)
        jalrs += [d for d in _decoded(prog.code) if d is not None and d.insn.name == "jalr"]
        back_taken += sum(
            1 for r in recs
            if (d := decode(int(r["insn"]))) is not None and d.insn.kind == "branch" and d.imm < 0
            and not r["trap"] and r["pc_wdata"] == (int(r["pc_rdata"]) + d.imm) & 0xFFFFFFFF)
    assert back_taken > 20
    assert any(d.rd == d.rs1 for d in jalrs)
    assert any(d.imm < 0 for d in jalrs) and any(d.imm & 1 for d in jalrs)


def test_traps_continue(tmp_path: Path) -> None:
    """ecall, ebreak, illegal words and CSRs, misaligned loads/stores/branches/jumps, access
    faults: each trap goes to the handler, whose mret resumes after the trapping instruction
    (after the jump, for a fetch fault)."""
    causes: Counter = Counter()
    for seed in range(5):
        _, _, recs = _trace(tmp_path, FULL, seed)
        names = [None if (d := decode(int(w))) is None else d.insn.name for w in recs["insn"]]
        mrets = [j for j, n in enumerate(names) if n == "mret"]
        for i in np.flatnonzero(recs["trap"]):
            d = decode(int(recs["insn"][i]))
            pc = int(recs["pc_rdata"][i])
            back = int(recs["pc_wdata"][next(j for j in mrets if j > i)])
            if back == pc:     # an interrupt: taken before the instruction, which runs next
                causes["interrupt"] += 1
                continue
            if not BASE <= pc < SCRATCH:     # a fetch fault: resumes after the jump that led there
                assert back == int(recs["pc_rdata"][i - 1]) + 4 and recs["insn"][i] == 0
                causes["fetch"] += 1
                continue
            assert back == (pc + 4) & 0xFFFFFFFF
            causes["illegal" if d is None else d.insn.kind if d.insn.kind in ("load", "store")
                   else d.insn.name] += 1
    for kind in ("ecall", "ebreak", "illegal", "load", "store", "jal", "jalr", "interrupt", "fetch"):
        assert causes[kind] > 0, causes
    assert sum(causes[k] for k in ("csrrw", "csrrs", "csrrc")) > 0, causes
    assert sum(causes[k] for k in ("beq", "bne", "bge", "bltu")) > 0, causes


def test_csrs_beyond_mscratch(tmp_path: Path) -> None:
    read = set()
    for seed in (4, 5):
        _, _, recs = _trace(tmp_path, FULL, seed)
        for r in recs:
            d = decode(int(r["insn"]))
            if d is not None and d.insn.kind == "csr" and not r["trap"]:
                read.add(d.imm & 0xFFF)
    assert {MCYCLE, MINSTRET} <= read
    assert len(read & set(BY_NUMBER)) >= 12
    assert MTVEC in read


def test_stores_into_code_run_in_their_new_form(tmp_path: Path) -> None:
    prog, _, recs = _trace(tmp_path, FULL, 5)
    end = BASE + len(prog.code)
    patched = 0
    for i in np.flatnonzero((recs["mem_wmask"] != 0) & (recs["mem_addr"] >= BASE) & (recs["mem_addr"] < end)):
        addr = int(recs["mem_addr"][i]) & ~3
        later = np.flatnonzero(recs["pc_rdata"][i + 1:] == addr)
        assert len(later), "the patched instruction runs"
        new = int(recs["insn"][i + 1 + later[0]])
        assert new != int.from_bytes(prog.code[addr - BASE:addr - BASE + 4], "little")
        patched += 1
    assert patched >= 2


def test_most_slots_are_random_code(tmp_path: Path) -> None:
    """No print loop: seeding, the final register stores and the exit are a small part
    of the run."""
    _, res, recs = _trace(tmp_path, FULL, 6)
    assert res.stdout == b""
    handler = int(recs["pc_wdata"][np.flatnonzero(recs["trap"])[0]])
    pc = recs["pc_rdata"]
    fixed = (pc < BASE + 4 * 70) | ((pc >= handler - 4 * 40) & (pc < handler))
    assert fixed.sum() < 0.1 * len(recs)


@pytest.mark.parametrize("isa", ["rv32i", "rv32im", "rv32im_zbkb", FULL, XCHAIN])
def test_programs_end(isa: str, tmp_path: Path) -> None:
    for seed in range(5):
        for qemu in (False, True):
            elf = tmp_path / "r.elf"
            elf.write_bytes(random_program(seed, isa, blocks=4, length=40, qemu=qemu).elf())
            m = Machine(isa)
            m.load_elf(elf)
            res = m.run(max_instructions=2_000_000)
            assert (res.stop, res.exit_code) == ("exit", 0), (seed, qemu, res.trap)


@pytest.mark.slow
@pytest.mark.parametrize("isa", [FULL, XCHAIN])
def test_programs_end_many(isa: str, tmp_path: Path) -> None:
    """More seeds, longer programs: each ends through the finisher with every trap handled."""
    for seed in range(1000, 1020):
        elf = tmp_path / "r.elf"
        elf.write_bytes(random_program(seed, isa, blocks=40, length=40).elf())
        m = Machine(isa)
        m.load_elf(elf)
        res = m.run(max_instructions=5_000_000)
        assert (res.stop, res.exit_code) == ("exit", 0), (seed, res.trap)


def test_slow_tests_run_under_m_slow() -> None:
    """``pytest -m slow`` runs the slow tests (docs/lockstep.md), without CHAINRV_RUN_SLOW;
    a run without ``-m`` skips them."""
    import os
    import subprocess
    import sys

    from conftest import slow_selected

    class Config:
        def __init__(self, expr: str) -> None:
            self.expr = expr

        def getoption(self, name: str, default: str = "") -> str:
            return self.expr

    env = {k: v for k, v in os.environ.items() if k != "CHAINRV_RUN_SLOW"}
    if "CHAINRV_RUN_SLOW" not in os.environ:
        assert not slow_selected(Config("")) and not slow_selected(Config("not slow"))
        assert not slow_selected(Config("qemu"))
    assert slow_selected(Config("slow")) and slow_selected(Config("slow or not slow"))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                        "-m", "slow", f"{__file__}::test_programs_end_many[{XCHAIN}]"],
                       capture_output=True, text=True, env=env, timeout=600)
    assert "1 passed" in r.stdout, r.stdout[-2000:]


_IRQ_AT_FETCH_FAULT = """
    la t0, handler
    csrw mtvec, t0
    li t0, 0x02004000
    sw zero, 4(t0)
    sw zero, 0(t0)           # mtimecmp = 0: the timer interrupt is pending
    li t0, 0x80
    csrw mie, t0             # MTIE
    csrrs zero, mstatus, t0  # MPIE: mret enables interrupts ...
    li t0, 0x40000000
    csrw mepc, t0            # ... and jumps where nothing is mapped
    mret
handler:
    csrr a0, mcause
    lui t0, 0x100
    lui t1, 0x5
    addi t1, t1, 0x555
    sw t1, 0(t0)
"""


def test_interrupt_before_fetch_fault(tmp_path: Path) -> None:
    """docs/hdl.md: the timer interrupt comes before the instruction access fault (the
    RTL's order; the lockstep tests hold the ISS's cycles to it)."""
    from isa.asm import assemble
    from isa.elfwriter import make_elf

    elf = tmp_path / "f.elf"
    elf.write_bytes(make_elf([(BASE, assemble(_IRQ_AT_FETCH_FAULT, base=BASE))], BASE))
    m = Machine(FULL)
    m.load_elf(elf)
    res, recs = m.trace()
    assert res.exit_code == 0
    mcause = int(recs["rd_wdata"][np.flatnonzero(recs["rd_addr"] == 10)[-1]])
    assert mcause == 0x8000_0007
