"""cocotb: the iterative divider against the golden semantics, and its fixed latency."""

from __future__ import annotations

import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from cocotb_tests.vectors import operands
from hdl.units.divider import Divider
from isa.semantics import SEMANTICS
from isa.table import BY_NAME
from isa.timing import DIV_EXTRA


@cocotb.test()
async def divider_matches_golden_and_latency(dut):
    count = int(os.environ.get("VECTORS", "300"))
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.start.value = 0
    dut.ack.value = 0
    await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    failures: list[str] = []
    for name in Divider.NAMES:
        dut.op.value = BY_NAME[name].op
        for n, (a, b, _imm, _pc) in enumerate(operands(name, count, 1)):
            dut.a.value, dut.b.value, dut.start.value = a, b, 1
            await FallingEdge(dut.clk)
            edges = 1           # we are now in the second cycle of the division
            dut.start.value = 0
            dut.a.value, dut.b.value = 0, 0       # operands are captured at start
            while not int(dut.done.value):
                await FallingEdge(dut.clk)
                edges += 1
            cycles = edges + 1  # cycles in EX, the start and the done cycle included
            got, want = int(dut.result.value), SEMANTICS[name](a, b, 0, 0)
            if (got != want or cycles != 1 + DIV_EXTRA) and len(failures) < 10:
                failures.append(f"{name} {a:#x} {b:#x}: got {got:#x} in {cycles} cycles, "
                                f"want {want:#x} in {1 + DIV_EXTRA}")
            # the result stays until the division leaves EX (ack), which a data-side wait
            # in MEM can delay: every seventh vector waits three cycles
            for _ in range(3 if n % 7 == 0 else 0):
                await FallingEdge(dut.clk)
                if (not int(dut.done.value) or int(dut.result.value) != got) and len(failures) < 10:
                    failures.append(f"{name} {a:#x} {b:#x}: the result did not stay until ack")
            dut.ack.value = 1
            await FallingEdge(dut.clk)      # the finishing cycle returns to idle
            dut.ack.value = 0
    assert not failures, "\n".join(failures)
