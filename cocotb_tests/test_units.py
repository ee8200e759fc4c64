"""The execution units against ``isa.semantics`` on Icarus (each unit) and Verilator (all at once)."""

from __future__ import annotations

import pytest

from chainrv.cosim import harness
from cocotb_tests import designs

ICARUS = pytest.mark.skipif(not harness.have_sim("icarus"), reason="iverilog not installed")
VERILATOR = pytest.mark.skipif(not harness.have_sim("verilator"), reason="verilator not installed")


@ICARUS
@pytest.mark.parametrize("unit", sorted(designs.UNITS))
def test_unit_icarus(unit: str) -> None:
    harness.run(designs.unit_design(unit), "cocotb_tests.tb_units", "icarus",
                env={"UNITS": unit, "VECTORS": "400"})


@ICARUS
def test_divider_icarus() -> None:
    harness.run(designs.divider_design(), "cocotb_tests.tb_divider", "icarus", env={"VECTORS": "150"})


@VERILATOR
def test_all_units_verilator() -> None:
    harness.run(designs.bank_design(), "cocotb_tests.tb_units", "verilator",
                env={"UNITS": ",".join(sorted(designs.UNITS)), "VECTORS": "400"})


@VERILATOR
def test_divider_verilator() -> None:
    harness.run(designs.divider_design(), "cocotb_tests.tb_divider", "verilator", env={"VECTORS": "150"})
