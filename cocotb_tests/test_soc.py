"""Whole-SoC smoke test: a C program runs to the finisher on Icarus; its UART
output and exit code must match QEMU running the same ELF, and its cycle and
instruction counts the ISS's (which implements the same timing model)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chainrv.cosim import harness
from cocotb_tests import designs
from hdl.program import elf_to_words, write_ram_hex
from isa.timing import PIPELINE_FILL

HERE = Path(__file__).resolve().parent
ISA = "rv32im_zicsr_zk_zks"
RAM = 1 << 20   # the firmware links its stack at the top of 1 MiB


def build_program(tmp_path: Path, name: str, isa: str = ISA) -> Path:
    from chainrv import toolchain

    if shutil.which(toolchain.GCC) is None:      # a build that fails is a failure
        pytest.skip(f"{toolchain.GCC} not installed")
    return toolchain.build_elf([HERE / "programs" / f"{name}.c"], tmp_path / f"{name}.elf", isa=isa)


def run_on_soc(elf: Path, tmp_path: Path, sim: str = "icarus", isa: str = ISA,
               max_cycles: int = 200_000) -> dict:
    hexfile = write_ram_hex(elf_to_words(elf, RAM), tmp_path / "ram.hex", RAM)
    result = tmp_path / "result.json"
    harness.run(designs.soc_design(isa, RAM), "cocotb_tests.tb_soc", sim, plusargs=[f"+ram={hexfile}"],
                env={"RESULT": str(result), "MAX_CYCLES": str(max_cycles)})
    return json.loads(result.read_text())


@pytest.mark.skipif(not harness.have_sim("icarus"), reason="iverilog not installed")
def test_smoke_program_icarus(tmp_path: Path) -> None:
    elf = build_program(tmp_path, "smoke")
    got = run_on_soc(elf, tmp_path)
    assert got["first_retire"] == PIPELINE_FILL
    assert got["traps"] == []
    assert got["uart"].startswith("smoke ")
    assert got["exit_code"] == 3
    iss = pytest.importorskip("simulator.machine").run_elf(elf, ISA)
    assert (got["cycles"], got["retired"]) == (iss.cycles, iss.slots)
    assert (got["uart"], got["exit_code"]) == (iss.stdout.decode("latin-1"), iss.exit_code)
    qemu = pytest.importorskip("tests.qemu")
    if not qemu.have_qemu():
        pytest.skip("qemu-system-riscv32 not installed")
    ref = qemu.run_qemu(elf, ISA)
    assert (got["uart"], got["exit_code"]) == (ref.text, ref.status)


@pytest.mark.slow
@pytest.mark.skipif(not harness.have_sim("verilator"), reason="verilator not installed")
def test_smoke_program_verilator(tmp_path: Path) -> None:
    elf = build_program(tmp_path, "smoke")
    got = run_on_soc(elf, tmp_path, sim="verilator")
    iss = pytest.importorskip("simulator.machine").run_elf(elf, ISA)
    assert got["traps"] == [] and got["first_retire"] == PIPELINE_FILL
    assert (got["uart"], got["exit_code"], got["cycles"], got["retired"]) == \
        (iss.stdout.decode("latin-1"), iss.exit_code, iss.cycles, iss.slots)
