"""Traps with no handler (``mtvec`` left 0, so the run ends at the trap) in lockstep, one
program per cause (directed.UNHANDLED), on every configuration the coverage gate claims
(plan.py): the RTL must retire the same records up to the trap record, the trap's own
included, and the ISS must end at the cause the program is written for."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainrv.cosim import harness
from chainrv.cosim.lockstep import lockstep
from cocotb_tests.plan import Configuration, configurations, unhandled_programs
from isa import csrs
from isa.uarch import Uarch

#: the cause each program of directed.UNHANDLED is written for, from the privileged spec
CAUSES = {
    "fetch_misaligned": csrs.CAUSE_FETCH_MISALIGNED, "fetch_fault": csrs.CAUSE_FETCH_FAULT,
    "illegal": csrs.CAUSE_ILLEGAL, "breakpoint": csrs.CAUSE_BREAKPOINT,
    "load_misaligned": csrs.CAUSE_LOAD_MISALIGNED, "load_fault": csrs.CAUSE_LOAD_FAULT,
    "store_misaligned": csrs.CAUSE_STORE_MISALIGNED, "store_fault": csrs.CAUSE_STORE_FAULT,
    "ecall": csrs.CAUSE_ECALL_M, "timer": csrs.CAUSE_MTI,
}


def _params() -> list:
    return [pytest.param(c, id=c.name, marks=pytest.mark.xdist_group(c.xdist_group))
            for c in configurations(kernels=False) if c.gated]


def test_every_cause_has_a_program() -> None:
    assert sorted(p.name for p in unhandled_programs()) == sorted(CAUSES)
    assert sorted(CAUSES.values()) == sorted(c.code for c in csrs.CAUSES)


@pytest.mark.parametrize("conf", _params())
def test_unhandled_traps(conf: Configuration, tmp_path: Path) -> None:
    if not harness.have_sim("verilator"):
        pytest.skip("verilator not installed")
    uarch = None if Uarch.parse(conf.uarch).is_ideal else conf.uarch
    for prog in unhandled_programs():
        out = lockstep(prog.write(conf.isa, tmp_path), conf.isa, "verilator", uarch=uarch)
        assert out.ok, f"{prog.name}\n{out.report}"
        assert out.iss.stop == "trap", f"{prog.name}: {out.iss.stop}"
        assert f"(mcause {CAUSES[prog.name]:#x})" in out.iss.trap, out.iss.trap
        assert out.compared == out.iss.slots, f"{prog.name}: {out.compared} of {out.iss.slots} records"
