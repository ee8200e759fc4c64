"""cocotb: run the lockstep wrapper (``lockstep_top.v``) until it raises ``done``.

The wrapper itself logs every retirement and UART byte to files and stops at
the finisher or at ``+max_cycles``; the clock is cocotb's C-level GPI clock,
so no Python runs between the start and the end of the program. ``RESULT``
(environment) names a JSON file that receives the exit state and the speed.
"""

from __future__ import annotations

import json
import os
import time

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge

PERIOD_NS = 10


@cocotb.test()
async def run_program(dut):
    start = time.perf_counter()
    Clock(dut.clk, PERIOD_NS, unit="ns", impl="gpi").start()
    await RisingEdge(dut.done)
    await ReadOnly()       # every register written at that edge has its new value
    wall = time.perf_counter() - start
    cycles = int(dut.cycle.value) + 1
    result = {"exited": bool(int(dut.exited.value)), "exit_code": int(dut.exit_code.value),
              "sim_cycles": cycles, "wall_seconds": wall}
    with open(os.environ["RESULT"], "w") as f:
        json.dump(result, f)
