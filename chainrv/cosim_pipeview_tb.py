"""cocotb: run the pipeline-view wrapper (``chainrv.cosim_pipeview``) until it raises
``done``; ``RESULT`` (environment) names a JSON file that receives the exit state.
The wrapper writes its log itself: no Python runs between the start and the end."""

from __future__ import annotations

import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge


@cocotb.test()
async def run_program(dut):
    Clock(dut.clk, 10, unit="ns", impl="gpi").start()
    await RisingEdge(dut.done)
    await ReadOnly()
    with open(os.environ["RESULT"], "w") as f:
        json.dump({"exited": bool(int(dut.exited.value)), "exit_code": int(dut.exit_code.value),
                   "sim_cycles": int(dut.cycle.value) + 1}, f)
