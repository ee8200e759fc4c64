"""``chainrv report``: rows, files, known-answer checks and the regression gate."""

import json
import subprocess
import sys

import pytest

from isa import IsaConfig

REQUIRED = {"kernel", "isa", "bytes", "cycles", "instret", "cpi", "cycles_per_byte", "stalls", "mix",
            "verified"}


def chainrv(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "chainrv.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=900)


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    p = chainrv("report", "--kernels", "sha256", "sm3", "--isa", "rv32im", "rv32im_zbkb",
                "rv32im_zicsr_zk_zks", "--out", str(out))
    assert p.returncode == 0, p.stdout + p.stderr
    return out, p


def test_rows_and_files(report_dir):
    out, p = report_dir
    rows = json.loads((out / "report.json").read_text())
    assert len(rows) == 6
    for r in rows:
        assert REQUIRED <= set(r)
        assert r["verified"] is True
        assert r["cycles"] >= r["instret"] > 0
        assert r["cycles_per_byte"] == pytest.approx(r["cycles"] / r["bytes"], rel=1e-3)
        assert sum(r["mix"].values()) == r["instret"]
    zk = [r for r in rows if r["isa"] == str(IsaConfig.parse("rv32im_zicsr_zk_zks"))]
    assert all(r["mix"].get("zknh", 0) + r["mix"].get("zksh", 0) > 0 for r in zk)
    for name in ("report.md", "cycles_per_byte.png", "speedup.png", "stalls.png"):
        assert (out / name).stat().st_size > 0
    # the summary table is printed at the end
    assert "sha256" in p.stdout and "rv32im_zk_zks" in p.stdout


def test_baseline_gate(report_dir, tmp_path):
    out, _ = report_dir
    rows = json.loads((out / "report.json").read_text())
    faster = [dict(r, cycles=int(r["cycles"] * 0.8)) for r in rows]
    base = tmp_path / "old.json"
    base.write_text(json.dumps(faster))
    p = chainrv("report", "--kernels", "sha256", "--isa", "rv32im", "--out", str(tmp_path / "r"),
                "--baseline", str(base), "--threshold", "5")
    assert p.returncode == 1
    assert "performance regression: sha256" in p.stdout
    same = tmp_path / "same.json"
    same.write_text(json.dumps(rows))
    p = chainrv("report", "--kernels", "sha256", "--isa", "rv32im", "--out", str(tmp_path / "r2"),
                "--baseline", str(same), "--threshold", "5")
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.parametrize("args,message", [
    (["--kernels", "nosuch"], "unknown kernel 'nosuch'"),
    (["--isa", "rv32imq"], "unknown ISA extension"),
])
def test_bad_input(tmp_path, args, message):
    p = chainrv("report", *args, "--out", str(tmp_path / "r"))
    assert p.returncode == 2
    assert message in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    assert "Traceback" not in p.stderr
