"""cocotb: combinational units against the golden semantics of ``isa.semantics``.

Environment: ``UNITS`` = comma-separated unit names (``alu``, ``zbkb``, ...),
``VECTORS`` = random vectors per instruction. The design's ports are the
CombUnit ones (``op a b imm result``, ``pc`` for units that have it, ``c`` =
x[rs3] for the three-source rows of kind ``alu3``).
"""

from __future__ import annotations

import os

import cocotb
from cocotb.triggers import Timer

from cocotb_tests.designs import UNITS
from cocotb_tests.vectors import M, operands, operands3
from isa.semantics import SEMANTICS
from isa.table import BY_NAME


@cocotb.test()
async def units_match_golden_semantics(dut):
    names = os.environ["UNITS"].split(",")
    count = int(os.environ.get("VECTORS", "300"))
    seed = int(os.environ.get("SEED", "1"))
    has_pc = hasattr(dut, "pc")
    has_c = hasattr(dut, "c")
    failures: list[str] = []
    checked = 0
    for unit in names:
        for name in UNITS[unit].NAMES:
            golden = SEMANTICS[name]
            dut.op.value = BY_NAME[name].op
            three = BY_NAME[name].kind == "alu3"
            vectors = (operands3(name, count, seed) if three
                       else ((a, b, 0, imm, pc) for a, b, imm, pc in operands(name, count, seed)))
            for a, b, c, imm, pc in vectors:
                dut.a.value = a
                dut.b.value = b
                dut.imm.value = imm & M
                if has_pc:
                    dut.pc.value = pc
                if has_c:
                    # a two-source row must ignore c: drive it with noise
                    dut.c.value = c if three else (a * 0x9E3779B1 + b) & M
                await Timer(1, unit="ns")
                got = int(dut.result.value)
                want = (golden(a, b, c, pc) if three else golden(a, b, imm, pc)) & M
                checked += 1
                if got != want and len(failures) < 10:
                    failures.append(f"{name} a={a:#010x} b={b:#010x} c={c:#010x} imm={imm:#x} pc={pc:#x}: "
                                    f"got {got:#010x} want {want:#010x}")
    dut._log.info("checked %d vectors", checked)
    assert not failures, "\n".join(failures)
