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


def test_synth_join_gives_variants_their_baselines_throughput():
    """Throughput at Fmax, by hand: 25 MHz / 1.25M cycles per verify = 20 verifies/s;
    an Xchain variant is measured as the kernel it is a variant of."""
    from chainrv.report import Row
    from chainrv.synth import Cost, SynthResult
    from chainrv.synth_report import joined, markdown

    base, xc = str(IsaConfig.parse("rv32im")), str(IsaConfig.parse("rv32im_xchain"))

    def row(kernel, isa, cycles, per_verify, **extra):
        return Row(kernel, isa, 32, cycles, cycles, 1.0, cycles / 32, {}, {}, True, 0, 0.0, "verify",
                   per_verify, {"cycles_per_verify": per_verify, **extra})

    rows = [row("ecdsa_secp256k1", base, 4_000_000, 2_000_000),
            row("ecdsa_secp256k1_xchain", xc, 2_500_000, 1_250_000, baseline="ecdsa_secp256k1")]
    synth = {isa: SynthResult(isa, "ecp5", "25k", {"total": Cost(100, nand2, 10)}, fmax_mhz=25.0)
             for isa, nand2 in ((base, 1000.0), (xc, 1250.0))}
    data = joined(rows, synth)
    got = {(k["kernel"], k["isa"]): k for k in data["kernels"]}
    assert got["ecdsa_secp256k1", base]["throughput"] == 12.5
    assert got["ecdsa_secp256k1_xchain", xc]["throughput"] == 20.0
    assert got["ecdsa_secp256k1_xchain", xc]["throughput_unit"] == "verifies/s"
    assert data["isas"][xc]["area_increase_pct"] == 25.0
    assert "| 20.0 verifies/s |" in markdown(data)
