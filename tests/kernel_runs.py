"""What the kernel tests share: manifests read as written, ISA lists, a run on the ISS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from qemu import have_qemu

KERNELS = Path(__file__).resolve().parent.parent / "kernels"
QEMU_ISAS = ("rv32im", "rv32im_zbkb", "rv32im_zicsr_zk_zks")
XCHAIN_ISAS = ("rv32im_xchain", "rv32im_zicsr_zk_zks_xchain")

needs_qemu = pytest.mark.skipif(not have_qemu(), reason="needs qemu-system-riscv32")


def manifest(name: str) -> dict:
    """A kernel's ``kernel.json`` as written (the catalogue's loader normalises it)."""
    return json.loads((KERNELS / name / "kernel.json").read_text())


def run_iss(elf: Path, isa: str, data: bytes | None = None) -> str:
    """The kernel's output on the ISS, which must exit 0."""
    simulator = pytest.importorskip("simulator", reason="the ISS (simulator package) is not available")
    res = simulator.run_elf(elf, isa=isa, input_bytes=data)
    assert res.exit_code == 0, res.trap
    return res.stdout.decode()
