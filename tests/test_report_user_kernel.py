"""``chainrv report --kernel-dir``: a user's own kernel folder (its ``kernel.json`` as
under ``kernels/``) is built, run, checked against its expected output and gated like
the catalogue's kernels."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chainrv.toolchain import GCC
from tests.test_report_gate import assert_one_line_error, run_cli

pytestmark = pytest.mark.skipif(shutil.which(GCC) is None, reason="no RISC-V GCC")

SOURCE = """
#include <stdio.h>
int main(void)
{
    unsigned acc = 0;
    for (unsigned i = 0; i < ROUNDS; i++)
        acc = acc * 31u + i;
    printf("%08x\\n", acc);
    return 0;
}
"""


def expected(rounds: int) -> str:
    acc = 0
    for i in range(rounds):
        acc = (acc * 31 + i) & 0xFFFFFFFF
    return f"{acc:08x}\n"


def kernel_dir(tmp_path: Path, rounds: int, name: str = "mine", stdout: str | None = None) -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "k.c").write_text(f"#define ROUNDS {rounds}\n" + SOURCE)
    (d / "kernel.json").write_text(json.dumps({
        "name": name, "sources": ["k.c"], "isas": ["rv32im"], "bytes": 64,
        "expected_stdout": stdout if stdout is not None else expected(rounds)}))
    return d


def test_user_kernel_is_reported_checked_and_gated(tmp_path: Path) -> None:
    d = kernel_dir(tmp_path, 200)
    status, out, err = run_cli("report", "--kernel-dir", d, "--isa", "rv32im", "--out", tmp_path / "r1")
    assert status == 0, err
    rows = json.loads((tmp_path / "r1" / "report.json").read_text())
    assert [(r["kernel"], r["verified"]) for r in rows] == [("mine", True)]
    assert rows[0]["cycles"] > 200 * 3   # at least the loop's instructions
    # more work is a regression against the first report
    (d / "k.c").write_text("#define ROUNDS 400\n" + SOURCE)
    manifest = json.loads((d / "kernel.json").read_text())
    (d / "kernel.json").write_text(json.dumps(manifest | {"expected_stdout": expected(400)}))
    status, out, err = run_cli("report", "--kernel-dir", d, "--isa", "rv32im", "--out", tmp_path / "r2",
                               "--baseline", tmp_path / "r1" / "report.json")
    assert status == 1, (out, err)
    assert "performance regression: mine" in out
    # a wrong expected output fails the known-answer check
    bad = kernel_dir(tmp_path, 10, "wrong", stdout="00000000\n")
    status, out, err = run_cli("report", "--kernel-dir", bad, "--isa", "rv32im", "--out", tmp_path / "r3")
    assert status == 1 and "known-answer check failed for: wrong" in out


def test_unusable_kernel_dirs(tmp_path: Path) -> None:
    assert_one_line_error(*run_cli("report", "--kernel-dir", tmp_path / "none", "--out", tmp_path / "r")[::2],
                          "kernel.json")
    d = kernel_dir(tmp_path, 5, name="sha256")
    assert_one_line_error(*run_cli("report", "--kernel-dir", d, "--out", tmp_path / "r")[::2], "taken")
