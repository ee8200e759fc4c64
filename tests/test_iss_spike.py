"""Trap CSRs (mcause, mepc, mtval) of the ISS against Spike, where QEMU 7.2 differs
from the specification's reference models (ebreak's mtval, for one)."""

from __future__ import annotations

import subprocess

import pytest
from spike import have_spike, run_until
from toolchain import PREFIX, have_toolchain, link_asm

from simulator import Machine


def _symbol(elf, name: str) -> int:
    out = subprocess.run([PREFIX + "nm", str(elf)], check=True, capture_output=True, text=True).stdout
    return next(int(a, 16) for a, _, n in (line.split() for line in out.splitlines()) if n == name)


pytestmark = [pytest.mark.skipif(not have_spike(), reason="spike (PyPI wheel) or dtc missing"),
              pytest.mark.skipif(not have_toolchain(), reason="riscv64-unknown-elf toolchain missing")]

BASE = 0x80000000
# The handler reads the trap CSRs into a0..a2 and parks at 'done' (the last word),
# where both simulators are stopped.
PROGRAM = """
.globl _start
_start:
    la t0, handler
    {insn}
    j handler
handler:
    csrr a0, mcause
    csrr a1, mepc
    csrr a2, mtval
    j done
    nop
done:
    j done
"""


@pytest.mark.parametrize("insn", [
    "ebreak",
    "ecall",
    ".word 0xffffffff",
    "lw t1, 2(t0)",
    "sh t1, 1(t0)",
    "jalr ra, 2(t0)",
])
def test_trap_csrs_match_spike(tmp_path, insn: str) -> None:
    source = PROGRAM.format(insn=f"csrw mtvec, t0\n    {insn}")
    # GNU ld, not our ELF writer: Spike's loader wants section headers
    elf = link_asm(source, tmp_path, "trap", "rv32im_zicsr", BASE)
    ref = run_until(elf, _symbol(elf, "done"))
    m = Machine("rv32im_zicsr")
    m.load_elf(elf)
    m.run(max_instructions=40)
    got = [m.reg(10), m.reg(11), m.reg(12)]
    assert got == ref[10:13], f"{insn}: ISS mcause/mepc/mtval {got} != Spike {ref[10:13]}"
