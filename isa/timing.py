"""The timing table: the one place the pipeline's costs are written down.

The ISS takes every number from here (``simulator/loop.py``). The RTL
takes only ``DIV_EXTRA`` (the divider's latency, ``hdl/units/divider.py``):
its other costs follow from the structure of the pipeline. ``docs/timing.md``
states the rules in words, and the lockstep regression (``cocotb_tests/``)
checks that the two implementations agree cycle for cycle.
"""

from __future__ import annotations

#: Cycles from reset to the retirement of the first instruction (IF ID EX MEM
#: WB: the first instruction is fetched in cycle 0 and retires in cycle 4).
PIPELINE_FILL = 4

#: A load whose rd (not x0) is a source register of the next instruction.
LOAD_USE_STALL = 1

#: Taken branch, JAL, JALR: resolved in EX with predict-not-taken.
TAKEN_BRANCH_PENALTY = 2

#: DIV, DIVU, REM, REMU: iterative divider holding EX for 1 + DIV_EXTRA cycles,
#: fixed latency, data independent; charged to the division itself.
DIV_EXTRA = 33

#: Trap entry (exception or interrupt) and MRET redirect like a taken branch.
TRAP_PENALTY = 2
MRET_PENALTY = 2

#: A CSR read of mcycle/cycle happens in EX, two cycles before retirement.
CSR_READ_STAGE_OFFSET = 2

#: Extra cycles by instruction kind (``isa.table`` column ``kind``).
EXTRA_BY_KIND: dict[str, int] = {
    # every instruction takes one retirement slot plus these; MUL, MULH,
    # MULHSU, MULHU are "alu" rows: the multiplier takes one cycle
    "alu": 0, "load": 0, "store": 0, "csr": 0, "fence": 0, "system": 0,
    "branch": 0,  # +TAKEN_BRANCH_PENALTY when taken
    "jal": TAKEN_BRANCH_PENALTY, "jalr": TAKEN_BRANCH_PENALTY,
    "div": DIV_EXTRA,
    # fence.i refetches the instruction after it: a redirect from EX like a taken jump
    "fencei": TAKEN_BRANCH_PENALTY,
    # Xchain R4 rows read rs3 through a third register-file read port (with
    # its own forwarding path), so they issue in one cycle like any ALU op;
    # a load whose rd is rs3 stalls them like one whose rd is rs1 or rs2.
    "alu3": 0,
}
