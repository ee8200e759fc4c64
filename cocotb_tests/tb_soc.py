"""cocotb: run a program on the whole SoC until it writes the finisher.

The program comes in through ``+ram=FILE`` (see ``hdl.verilog``).
Environment: ``MAX_CYCLES`` (give up after that many cycles), ``RESULT``
(a JSON file that receives what the run produced, for the pytest side to
check against its reference). Python wakes only on UART bytes, traps and the
finisher, so the simulator runs at its own speed in between.
"""

from __future__ import annotations

import json
import os
import time

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, First, RisingEdge, Timer

from isa.memmap import FINISHER_BASE

PERIOD_NS = 10


async def reset(dut) -> None:
    """Hold reset over two edges and release it so that the next edge ends cycle 0."""
    cocotb.start_soon(Clock(dut.clk, PERIOD_NS, unit="ns").start())
    dut.rst.value = 1
    await RisingEdge(dut.clk)
    await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0


async def collect_uart(dut, out: bytearray) -> None:
    while True:
        await dut.uart_valid.value_change
        await FallingEdge(dut.clk)
        while int(dut.uart_valid.value):
            out.append(int(dut.uart_data.value))
            await FallingEdge(dut.clk)


async def watch_traps(dut, log: list[str]) -> None:
    while True:
        await (FallingEdge(dut.clk) if int(dut.rvfi_trap.value) else dut.rvfi_trap.value_change)
        if int(dut.rvfi_trap.value) and int(dut.rvfi_valid.value):
            log.append(f"trap at cycle {int(dut.cycle.value)}: pc={int(dut.rvfi_pc_rdata.value):#x} "
                       f"insn={int(dut.rvfi_insn.value):#010x} handler={int(dut.rvfi_pc_wdata.value):#x}")


@cocotb.test()
async def run_to_finisher(dut):
    max_cycles = int(os.environ.get("MAX_CYCLES", "200000"))
    await reset(dut)
    uart = bytearray()
    traps: list[str] = []
    cocotb.start_soon(collect_uart(dut, uart))
    cocotb.start_soon(watch_traps(dut, traps))
    start = time.perf_counter()

    await FallingEdge(dut.clk)
    while not int(dut.rvfi_valid.value):
        await FallingEdge(dut.clk)
    first_retire = int(dut.cycle.value)

    exit_code = run_cycles = None
    await First(RisingEdge(dut.finish_valid), Timer(max_cycles * PERIOD_NS, unit="ns"))
    if int(dut.finish_valid.value):
        exit_code = int(dut.finish_code.value)
        # the finisher store is in MEM now; its retirement ends the run
        for _ in range(3):
            await FallingEdge(dut.clk)
            if int(dut.rvfi_valid.value) and int(dut.rvfi_mem_addr.value) == FINISHER_BASE:
                run_cycles = int(dut.cycle.value) + 1
                retired = int(dut.rvfi_order.value) + 1
                break
    wall = time.perf_counter() - start
    sim_cycles = int(dut.cycle.value)
    result = {"uart": uart.decode("latin-1"), "exit_code": exit_code, "cycles": run_cycles,
              "retired": retired if run_cycles else None, "traps": traps, "first_retire": first_retire,
              "wall_seconds": wall, "cycles_per_second": sim_cycles / wall if wall else 0.0}
    dut._log.info("result: %s", result)
    with open(os.environ["RESULT"], "w") as f:
        json.dump(result, f)
    assert run_cycles is not None, f"no finisher store within {max_cycles} cycles; UART {uart!r}; {traps[:3]}"
