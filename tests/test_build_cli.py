"""``chainrv build`` as a user runs it: one-line errors with status 2."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chainrv.toolchain import GCC

pytestmark = pytest.mark.skipif(shutil.which(GCC) is None, reason="no RISC-V GCC")


def chainrv(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("chainrv")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "chainrv.cli"]
    return subprocess.run([*cmd, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def one_line_error(p: subprocess.CompletedProcess[str]) -> str:
    assert p.returncode == 2, p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("chainrv: ")
    assert "Traceback" not in p.stderr
    return lines[0]


def test_success_writes_elf(tmp_path: Path) -> None:
    (tmp_path / "ok.c").write_text("int main(void) { return 0; }\n")
    p = chainrv("build", "ok.c", "-o", "out/ok.elf", "-O", "s", "-g", "-D", "X=1", cwd=tmp_path)
    assert p.returncode == 0 and p.stderr == ""
    assert (tmp_path / "out/ok.elf").read_bytes()[:4] == b"\x7fELF"


def test_missing_source(tmp_path: Path) -> None:
    line = one_line_error(chainrv("build", "nope.c", "-o", "x.elf", cwd=tmp_path))
    assert "nope.c" in line


def test_compile_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.c").write_text("int main(void)\n{\n    return x;\n}\n")
    line = one_line_error(chainrv("build", "bad.c", "-o", "x.elf", cwd=tmp_path))
    assert line.startswith("chainrv: build failed: bad.c:3:")
    assert "error" in line and "'x'" in line
    assert not (tmp_path / "x.elf").exists()


def test_link_error(tmp_path: Path) -> None:
    (tmp_path / "u.c").write_text("int missing(void);\nint main(void) { return missing(); }\n")
    line = one_line_error(chainrv("build", "u.c", "-o", "x.elf", cwd=tmp_path))
    assert "undefined reference" in line and "missing" in line


def test_extension_instruction_needs_its_isa(tmp_path: Path) -> None:
    (tmp_path / "a.S").write_text(".globl main\nmain:\n  aes32esi a0, a0, a1, 1\n  ret\n")
    line = one_line_error(chainrv("build", "a.S", "-o", "x.elf", "--isa", "rv32im", cwd=tmp_path))
    assert "a.S:3" in line and "zkne" in line
    p = chainrv("build", "a.S", "-o", "x.elf", "--isa", "rv32im_zkne", cwd=tmp_path)
    assert p.returncode == 0, p.stderr


def test_overlapping_input_block_is_a_link_error(tmp_path: Path) -> None:
    (tmp_path / "big.c").write_text("char big[800 * 1024];\nint main(void) { return big[7]; }\n")
    line = one_line_error(chainrv("build", "big.c", "-o", "x.elf", cwd=tmp_path))
    assert "input block" in line


@pytest.mark.parametrize("isa", ["rv32imq", "rv32im_zfoo", "rv64im", "x86"])
def test_unknown_isa(tmp_path: Path, isa: str) -> None:
    (tmp_path / "ok.c").write_text("int main(void) { return 0; }\n")
    line = one_line_error(chainrv("build", "ok.c", "-o", "x.elf", "--isa", isa, cwd=tmp_path))
    assert "ISA" in line or "extension" in line


def test_bad_optimisation_level(tmp_path: Path) -> None:
    (tmp_path / "ok.c").write_text("int main(void) { return 0; }\n")
    line = one_line_error(chainrv("build", "ok.c", "-o", "x.elf", "-O", "9", cwd=tmp_path))
    assert "-O9" in line


def test_missing_toolchain(tmp_path: Path) -> None:
    (tmp_path / "ok.c").write_text("int main(void) { return 0; }\n")
    env_gcc = "riscv-gcc-that-does-not-exist"
    exe = Path(sys.executable).with_name("chainrv")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "chainrv.cli"]
    p = subprocess.run([*cmd, "build", "ok.c", "-o", "x.elf"], cwd=tmp_path, capture_output=True,
                       text=True, env={"PATH": "/usr/bin:/bin", "CHAINRV_GCC": env_gcc}, timeout=120)
    line = one_line_error(p)
    assert env_gcc in line and "not found" in line
