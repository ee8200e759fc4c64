"""Cycle counts of small programs, computed by hand from docs/timing.md.

Every program ends with the 4-instruction finisher sequence FIN. With n retired
slots (traps included) the run's cycle count is
    retirement cycle of the last slot + 1 = (PIPELINE_FILL + (n - 1) + penalties) + 1
                                         = 4 + n + penalties.
"""

from __future__ import annotations

from isa.asm import assemble
from isa.elfwriter import make_elf
from simulator import Machine

FIN = """
    lui t0, 0x100
    lui t1, 0x5
    addi t1, t1, 0x555
    sw t1, 0(t0)
"""
GP = "    lui gp, 0x80080\n"   # gp = 0x80080000 (scratch RAM)


def run(tmp_path, body: str):
    code = assemble(body + FIN)
    elf = tmp_path / "t.elf"
    elf.write_bytes(make_elf([(0x80000000, code)], 0x80000000))
    m = Machine()
    m.load_elf(elf)
    res = m.run(max_instructions=10_000)
    assert res.exit_code == 0, res.trap
    return m, res


def test_straight_line(tmp_path) -> None:
    _, r = run(tmp_path, "nop\n" * 6)
    # n = 6 + 4 = 10, no penalties: 4 + 10 = 14
    assert (r.instret, r.cycles) == (10, 14)


def test_load_use_stalls_once(tmp_path) -> None:
    _, r = run(tmp_path, GP + "lw t2, 0(gp)\nadd t3, t2, zero\n")
    # n = 1 + 2 + 4 = 7; add reads t2 right after the load: +1 -> 4 + 7 + 1 = 12
    assert (r.instret, r.cycles) == (7, 12)
    assert r.stalls["load_use"] == 1


def test_load_use_rs2_and_store_data(tmp_path) -> None:
    _, r = run(tmp_path, GP + "lw t2, 0(gp)\nadd t3, zero, t2\nlw t4, 4(gp)\nsw t4, 8(gp)\n")
    # n = 1 + 4 + 4 = 9; add reads t2 as rs2 (+1), sw reads t4 as rs2 (+1): 4 + 9 + 2 = 15
    assert r.cycles == 15


def test_no_stall_without_dependency_or_one_cycle_later(tmp_path) -> None:
    _, r = run(tmp_path, GP + "lw t2, 0(gp)\nadd t3, t1, t1\nadd t4, t2, t2\n")
    # n = 1 + 3 + 4 = 8; the use of t2 is two instructions later: no stall: 4 + 8 = 12
    assert r.cycles == 12


def test_no_stall_through_x0(tmp_path) -> None:
    _, r = run(tmp_path, GP + "lw zero, 0(gp)\nadd t3, zero, zero\n")
    # n = 1 + 2 + 4 = 7; rd = x0 never stalls: 4 + 7 = 11
    assert r.cycles == 11


def test_no_stall_through_unused_fields(tmp_path) -> None:
    # t2 = x7. After each load of t2 comes an instruction whose *unused* field holds 7:
    #   addi t3, t1, 7      rs2 field (bits 24..20) = imm[4:0] = 7, I-type reads rs1 only
    #   lui t3, 0x38        rs1 field (bits 19..15) = imm20[7:3] = 7, lui reads nothing
    #   csrrwi zero, mscratch, 7   zimm in the rs1 field, csrrwi reads no register
    #   sha256sum0 t3, t1   unary: rs2 field is the function code 0b00000... use rs1=t1
    body = GP + ("lw t2, 0(gp)\naddi t3, t1, 7\n"
                 "lw t2, 0(gp)\nlui t3, 0x38\n"
                 "lw t2, 0(gp)\ncsrrwi zero, mscratch, 7\n")
    _, r = run(tmp_path, body)
    # n = 1 + 6 + 4 = 11, no stalls: 4 + 11 = 15
    assert r.cycles == 15
    assert r.stalls["load_use"] == 0


def test_branches_and_jumps(tmp_path) -> None:
    body = """
    beq zero, zero, a
    nop
a:  bne zero, zero, b
b:  jal ra, c
    nop
c:  auipc t0, 0
    jalr zero, 16(t0)
    nop
    nop
"""
    _, r = run(tmp_path, body)
    # retired: beq(taken), bne(not taken), jal, auipc, jalr, then FIN = 5 + 4 = 9
    # penalties: taken beq +2, jal +2, jalr +2 = 6 -> 4 + 9 + 6 = 19
    assert (r.instret, r.cycles) == (9, 19)
    assert r.stalls["branch"] == 6


def test_load_feeding_taken_branch(tmp_path) -> None:
    body = GP + "lw t2, 0(gp)\nbeq t2, t2, x\nnop\nx:\n"
    _, r = run(tmp_path, body)
    # n = 1 + 2 + 4 = 7; +1 on the branch, +2 on its target: 4 + 7 + 3 = 14
    assert r.cycles == 14


def test_division_and_multiplication(tmp_path) -> None:
    _, r = run(tmp_path, "addi t1, zero, 7\ndiv t2, t1, zero\nmul t3, t1, t1\nremu t4, t1, t1\n")
    # n = 4 + 4 = 8; div +33, remu +33, mul 0: 4 + 8 + 66 = 78
    assert r.cycles == 78
    assert r.stalls["div"] == 66


def test_trap_entry_and_mret(tmp_path) -> None:
    body = """
    la t0, h
    csrw mtvec, t0
    ecall
    j done
h:  csrr t1, mepc
    addi t1, t1, 4
    csrw mepc, t1
    mret
done:
"""
    _, r = run(tmp_path, body)
    # slots: la (auipc, addi), csrw, ecall (trap), csrr, addi, csrw, mret, j, FIN (4)
    # = 9 + 4 = 13 slots, 12 retired (the ecall slot is not counted in minstret);
    # penalties: trap entry +2 (on csrr), mret +2 (on j), j taken +2 -> 4 + 13 + 6 = 23
    assert (r.instret, r.slots, r.cycles) == (12, 13, 23)
    assert r.stalls["trap"] == 2 and r.stalls["mret"] == 2


def test_counter_reads(tmp_path) -> None:
    body = "nop\nnop\nnop\ncsrr a0, mcycle\ncsrr a1, minstret\ncsrr a2, cycle\ncsrr a3, instret\n"
    m, r = run(tmp_path, body)
    # csrr a0 is instruction 3 (from 0): retires in cycle 4 + 3 = 7 and reads 7 - 2 = 5;
    # minstret at instruction 4 reads 4 (instructions before it); cycle at instruction 5
    # reads 4 + 5 - 2 = 7; instret at instruction 6 reads 6
    assert (m.reg(10), m.reg(11), m.reg(12), m.reg(13)) == (5, 4, 7, 6)


def test_mcycle_after_a_stall(tmp_path) -> None:
    m, _ = run(tmp_path, GP + "lw t2, 0(gp)\ncsrr a0, mcycle\nadd t3, t2, t2\ncsrr a1, mcycle\n")
    # lui(0) lw(1) csrr(2): retires 4 + 2 = 6, reads 4; add (3) reads t2 two slots after
    # the load: no stall; csrr (4): retires 8, reads 6
    assert (m.reg(10), m.reg(11)) == (4, 6)


def test_division_retires_late_itself(tmp_path) -> None:
    code = assemble("addi t1, zero, 7\ndivu t2, t1, t1\naddi t3, zero, 1\n" + FIN)
    elf = tmp_path / "d.elf"
    elf.write_bytes(make_elf([(0x80000000, code)], 0x80000000))
    m = Machine()
    m.load_elf(elf)
    _, recs = m.trace(max_instructions=100)
    # addi retires in cycle 4; divu holds EX 34 cycles: 4 + 1 + 33 = 38; the
    # next instruction one cycle later: 39
    assert [int(c) for c in recs["cycle"][:3]] == [4, 38, 39]
