"""``chainrv report --uarch``: kernel x ISA x microarchitecture rows, the comparison
table, the plot and the regression gate keyed by microarchitecture."""

import json
import subprocess
import sys

import pytest

from isa import IsaConfig

RV32IM = str(IsaConfig.parse("rv32im"))


def chainrv(*args):
    return subprocess.run([sys.executable, "-m", "chainrv.cli", *args], capture_output=True, text=True,
                          timeout=900)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    p = chainrv("report", "--kernels", "sha256", "--isa", "rv32im", "--uarch", "ideal", "--uarch", "mcu",
                "--uarch", "ideal,dcache=1k:2:16,mem=4", "--out", str(out))
    assert p.returncode == 0, p.stdout + p.stderr
    return out, json.loads((out / "report.json").read_text())


def test_one_row_per_microarchitecture(report):
    out, rows = report
    assert [(r["kernel"], r["isa"], r["uarch"]) for r in rows] == [
        ("sha256", RV32IM, "ideal"), ("sha256", RV32IM, "mcu"),
        ("sha256", RV32IM, "ideal,dcache=1k:2:16,mem=4")]
    assert all(r["verified"] for r in rows)
    ideal, mcu, dcache = rows
    # the ideal machine has no cache or predictor; mcu mispredicts; the data cache misses
    assert set(ideal["counters"].values()) == {0}
    assert mcu["counters"]["bp_mispredicts"] > 0 and mcu["counters"]["icache_hits"] == 0
    assert dcache["counters"]["dcache_misses"] > 0 and dcache["stalls"]["dcache"] > 0
    # every instruction is the same program: only the timing differs
    assert ideal["instret"] == mcu["instret"] == dcache["instret"]
    assert ideal["cycles"] < dcache["cycles"] and ideal["cycles"] < mcu["cycles"]
    assert (out / "uarch.png").stat().st_size > 0


def test_each_row_is_what_run_prints(report, tmp_path):
    """The report's cycles for a microarchitecture are `chainrv run --uarch`'s."""
    from chainrv.kernels import all_kernels

    _, rows = report
    elf = all_kernels()["sha256"].build("rv32im")
    p = chainrv("run", str(elf), "--isa", "rv32im", "--uarch", "mcu", "--stats")
    fields = dict(f.split("=") for f in p.stderr.split())
    assert int(fields["cycles"]) == rows[1]["cycles"]
    assert int(fields["bp_mispredicts"]) == rows[1]["counters"]["bp_mispredicts"]


def test_markdown_compares_microarchitectures(report):
    out, rows = report
    md = (out / "report.md").read_text()
    section = md.split("## Microarchitectures", 1)[1].split("##", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| sha256")]
    assert len(lines) == 3
    ideal = rows[0]["cycles"]
    for line, row in zip(lines, rows, strict=True):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[2] == f"`{row['uarch']}`"
        assert cells[3] == f"{row['cycles']:,}"
        assert cells[-1] == f"{ideal / row['cycles']:.2f}x"


def test_gate_matches_rows_by_microarchitecture(report, tmp_path):
    """A baseline row without a uarch is the ideal machine's; an mcu row is gated only
    against an mcu row."""
    _, rows = report
    old = [{k: v for k, v in rows[0].items() if k != "uarch"}]
    base = tmp_path / "old.json"
    base.write_text(json.dumps(old))
    p = chainrv("report", "--kernels", "sha256", "--isa", "rv32im", "--uarch", "ideal", "--uarch", "mcu",
                "--out", str(tmp_path / "r"), "--baseline", str(base))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "1 of 2 rows compared" in p.stdout
    assert "not in the baseline, not gated: sha256 rv32im" in p.stdout
    faster = tmp_path / "faster.json"
    faster.write_text(json.dumps([dict(rows[1], cycles=rows[1]["cycles"] // 2)]))
    p = chainrv("report", "--kernels", "sha256", "--isa", "rv32im", "--uarch", "mcu",
                "--out", str(tmp_path / "r2"), "--baseline", str(faster))
    assert p.returncode == 1
    assert "performance regression: sha256 rv32im mcu" in p.stdout


@pytest.mark.parametrize("value", ["bogus", "ideal,icache=3k:1:16", "ideal,mem=-1", "ideal,colour=red"])
def test_bad_uarch_is_one_line_exit_2(value, tmp_path):
    p = chainrv("report", "--kernels", "sha256", "--uarch", value, "--out", str(tmp_path / "r"))
    assert p.returncode == 2
    assert "--uarch" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "r").exists()
