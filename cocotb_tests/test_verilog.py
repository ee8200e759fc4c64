"""``chainrv verilog`` output elaborates in Icarus for each ISA configuration."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from chainrv.cli import main

ICARUS = pytest.mark.skipif(shutil.which("iverilog") is None, reason="iverilog not installed")


@ICARUS
@pytest.mark.parametrize("isa", ["rv32im", "rv32im_zbkb", "rv32im_zicsr_zk_zks"])
def test_generated_verilog_elaborates(isa: str, tmp_path: Path) -> None:
    out = tmp_path / f"{isa}.v"
    assert main(["verilog", "--isa", isa, "--ram-size", "64K", "-o", str(out)]) == 0
    text = out.read_text()
    assert "module chainrv_soc(" in text and "$readmemh" in text
    # a switched-off extension leaves its unit out of the design
    assert ("zbkb" in text) == ("zbkb" in isa or "zk" in isa)
    assert ("zknd" in text) == ("zk_" in isa or isa.endswith("zks"))
    p = subprocess.run(["iverilog", "-g2012", "-s", "chainrv_soc", "-o", str(tmp_path / "a.vvp"), str(out)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-2000:]


@pytest.mark.parametrize("argv, message", [
    (["--isa", "rv64gc"], "RV32"),
    (["--isa", "rv32im_zfoo"], "zfoo"),
    (["--ram-size", "3000"], "power of two"),
])
def test_bad_input_is_one_line_exit_2(argv: list[str], message: str, tmp_path: Path, capsys) -> None:
    assert main(["verilog", *argv, "-o", str(tmp_path / "x.v")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err


def test_unwritable_output_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["verilog", "-o", str(tmp_path / "missing" / "x.v")]) == 2
    assert "no such directory" in capsys.readouterr().err
