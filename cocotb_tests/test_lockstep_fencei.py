"""fence.i (Zifencei) in lockstep: stores into code reach the instruction side through
it, with a write-back D-cache and an I-cache in between (docs/timing.md, "fence.i").
The program is ``directed.fencei_source``; tests/test_iss_fencei.py runs it on the ISS
and QEMU."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainrv.cosim import harness
from chainrv.cosim.lockstep import lockstep
from cocotb_tests import directed

#: The ideal machine, and machines where the program goes wrong without fence.i (one
#: model each: make test builds the cached one, make regress the others).
UARCHS = (pytest.param("ideal", marks=pytest.mark.slow), "cached",
          pytest.param("ideal,icache=256:1:16,dcache=256:2:16,mem=2", marks=pytest.mark.slow))

needs_verilator = pytest.mark.skipif(not harness.have_sim("verilator"), reason="verilator not installed")


@needs_verilator
@pytest.mark.parametrize("uarch", UARCHS)
def test_fencei_lockstep(uarch: str, tmp_path: Path) -> None:
    out = lockstep(directed.build_fencei(tmp_path / "fencei.elf"), directed.FENCEI_ISA, "verilator",
                   uarch=uarch)
    assert out.ok, out.report
    assert out.rtl.uart == directed.FENCEI_UART
