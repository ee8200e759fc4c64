"""``chainrv report``: rows, files, known-answer checks and the regression gate."""

import json
import subprocess
import sys
from pathlib import Path

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


# ---------------------------------------------------------------- blockchain operations

KERNELS = Path(__file__).resolve().parent.parent / "kernels"
RV32IM = str(IsaConfig.parse("rv32im"))


def _manifest(name: str) -> dict:
    return json.loads((KERNELS / name / "kernel.json").read_text())


def _cycles_per_op(row: dict) -> float:
    """From the kernel's manifest as written: signatures and recoveries are counted in
    fields of their own, mining's ``bytes`` counts nonces; a byte kernel does one
    operation per run."""
    m = _manifest(row["kernel"])
    count = m.get("verifies") or m.get("recoveries") or m.get("blocks") or \
        (m["bytes"] if m.get("unit") == "nonce" else 1)
    return row["cycles"] / count


def _ops_table(md: str) -> dict[tuple[str, str], dict[str, str]]:
    """The blockchain-operations table of report.md, by (kernel, short ISA name)."""
    part = md.split("## Blockchain operations", 1)[1]
    lines = [ln for ln in part.splitlines() if ln.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    table = {}
    for ln in lines[2:]:
        cells = dict(zip(head, (c.strip() for c in ln.strip("|").split("|")), strict=True))
        table[cells["kernel"], cells["isa"]] = cells
    return table


def _num(cell: str) -> float:
    return float(cell.split("x")[0].replace(",", ""))


@pytest.fixture(scope="module")
def ops_report(tmp_path_factory):
    """A nonce kernel, a byte kernel and its Xchain variant on the default ISAs and the variant's own."""
    out = tmp_path_factory.mktemp("ops")
    p = chainrv("report", "--kernels", "mining", "keccak256", "keccak256_xchain", "--out", str(out))
    assert p.returncode == 0, p.stdout + p.stderr
    return json.loads((out / "report.json").read_text()), (out / "report.md").read_text()


def test_operations_table_against_the_rows(ops_report):
    rows, md = ops_report
    table = _ops_table(md)
    assert len(table) == len(rows) == 8
    cycles = {(r["kernel"], r["isa"]): r["cycles"] for r in rows}
    for r in rows:
        cells = table[r["kernel"], IsaConfig.parse(r["isa"]).short_name()]
        per_op = _cycles_per_op(r)
        assert _num(cells["cycles/op"]) == pytest.approx(per_op, abs=0.051)
        assert _num(cells["ops/s at 100 MHz"]) == pytest.approx(100e6 / per_op, rel=1e-3)
        assert cells["ops/s at Fmax"] == "—"      # no --synth
        base = _manifest(r["kernel"]).get("baseline", r["kernel"])
        speedup = cycles[base, RV32IM] / r["cycles"]
        assert _num(cells["speedup over rv32im"]) == pytest.approx(speedup, abs=0.006)
    # an Xchain variant: against its base kernel on rv32im, and on the same ISA without xchain
    xc = table["keccak256_xchain", "rv32im_zk_zks_xchain"]
    assert "(vs keccak256 rv32im)" in xc["speedup over rv32im"]
    zk = str(IsaConfig.parse("rv32im_zicsr_zk_zks"))
    xc_row = next(r for r in rows if r["kernel"] == "keccak256_xchain" and "zknh" in r["isa"])
    assert _num(xc["xchain gain"]) == pytest.approx(cycles["keccak256", zk] / xc_row["cycles"], abs=0.006)
    assert table["keccak256", "rv32im_zk_zks"]["xchain gain"] == "—"
    assert table["mining", "rv32im"]["operation"] == "nonce"
    assert table["keccak256", "rv32im"]["operation"] == "4,096-byte input"


def test_operations_per_second_at_fmax(ops_report, tmp_path):
    """Fmax for two ISAs only: those rows get ops/s = Fmax / cycles per operation, the others a dash."""
    from chainrv.report import Row, write

    rows, _ = ops_report
    xc = str(IsaConfig.parse("rv32im_xchain"))
    fmax = {RV32IM: 37.5, xc: 21.0}
    write([Row(**r) for r in rows], tmp_path, fmax_mhz=fmax)
    table = _ops_table((tmp_path / "report.md").read_text())
    for r in rows:
        cell = table[r["kernel"], IsaConfig.parse(r["isa"]).short_name()]["ops/s at Fmax"]
        if r["isa"] in fmax:
            assert _num(cell) == pytest.approx(fmax[r["isa"]] * 1e6 / _cycles_per_op(r), rel=1e-3)
        else:
            assert cell == "—"


def test_a_variant_without_its_baseline_has_no_speedup(ops_report):
    from chainrv.report import Row, markdown, operations_markdown

    rows, _ = ops_report
    alone = [Row(**r) for r in rows if r["kernel"] == "keccak256_xchain"]
    assert "0.00x" not in markdown(alone)
    table = _ops_table(operations_markdown(alone))
    assert {c["speedup over rv32im"] for c in table.values()} == {"—"}
