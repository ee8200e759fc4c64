"""A load into an Xchain R4 row's third source register stalls it before EX, as a load
into rs1 does (docs/timing.md, docs/xchain.md), so a timer interrupt meets the two alike:
for every arming of ``mtimecmp`` around the load, the R4 program and its twin with the
loaded register read as rs1 are interrupted at the same instruction in the same cycle.
(The ISS once checked the interrupt before the rs3 stall: the RTL and the ISS then
disagreed by a cycle; this test failed.)"""

from __future__ import annotations

import pytest

from isa.asm import assemble
from isa.elfwriter import make_elf
from simulator import Machine

ISA = "rv32im_zicsr_zk_zks_xchain"
BASE = 0x80000000

PROGRAM = """
    la t0, handler
    csrw mtvec, t0
    li t0, 0x80
    csrw mie, t0
    la gp, data
    li s11, 0x1234
    li sp, 0x0ff0
    li t0, 0x0200bff8
    lw t1, 0(t0)
    addi t1, t1, {delay}
    li t0, 0x02004000
    sw t1, 0(t0)
    sw zero, 4(t0)
    csrrsi zero, mstatus, 8
    addi a1, a1, 1
    addi a1, a1, 1
    lw s7, 0(gp)
use:
    {use}
    addi a2, a2, 1
    addi a2, a2, 1
    addi a2, a2, 1
    addi a2, a2, 1
spin:
    j spin
handler:
    csrr a0, mepc
    la t0, use
    sub a0, a0, t0
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
data:
    .word 0x00c0ffee
"""


def _interrupted(tmp_path, use: str, delay: int) -> tuple[int, int]:
    elf = tmp_path / "p.elf"
    elf.write_bytes(make_elf([(BASE, assemble(PROGRAM.format(delay=delay, use=use), BASE))], BASE))
    m = Machine(ISA)
    m.load_elf(elf)
    r = m.run(10_000)
    assert r.stop == "exit" and r.exit_code == 0, r.trap
    return int(m.regs[10]) & 0xFFFFFFFF, r.cycles


@pytest.mark.parametrize("rs3_use", ["andnxor s7, s11, sp, s7", "xor3 s6, s11, sp, s7"])
def test_rs3_load_use_meets_an_interrupt_as_rs1_does(tmp_path, rs3_use: str) -> None:
    seen = set()
    for delay in range(10, 40):
        got = _interrupted(tmp_path, rs3_use, delay)
        ref = _interrupted(tmp_path, "xor s7, s7, sp", delay)   # the loaded register as rs1
        assert got == ref, (delay, got, ref)
        seen.add(got[0])
    assert 0 in seen and 4 in seen          # the window includes the load-use instruction itself
