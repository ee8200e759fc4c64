"""``chainrv report --baseline/--threshold``: arguments checked before any kernel
runs, a gate that cannot pass by matching nothing, ISA names in any spelling."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrv.report
from chainrv.cli import main

EXAMPLES = int(os.environ.get("CHAINRV_FUZZ_EXAMPLES", 200))
QUICK = settings(max_examples=EXAMPLES, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
LONG = settings(QUICK, max_examples=20 * EXAMPLES)

#: sha256 under rv32im as the ISS measures it (README; docs/timing.md fixes the model)
SHA256_RV32IM = 253_069
CANONICAL_RV32IM = "rv32im_zicsr_zicntr"


def run_cli(*argv: str | Path) -> tuple[int, str, str]:
    """``chainrv`` in this process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main([str(a) for a in argv])
        except SystemExit as e:       # argparse usage errors
            status = e.code
    return status, out.getvalue(), err.getvalue()


def assert_one_line_error(status: int, err: str, *words: str) -> None:
    assert status == 2, err
    assert "Traceback" not in err and "Exception" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chainrv: "), err
    for w in words:
        assert w in lines[0], err


@pytest.fixture
def no_kernels(monkeypatch) -> list:
    """Fails the test's expectations if any kernel is built or run."""
    ran: list = []

    def runner(kernel, isa, uarch=None):
        ran.append((kernel.name, str(isa)))
        raise AssertionError("a kernel ran although the arguments are unusable")

    monkeypatch.setattr(chainrv.report, "run_variant", runner)
    return ran


def sha256_row(cycles: object = SHA256_RV32IM, isa: object = "rv32im", kernel: object = "sha256") -> dict:
    return {"kernel": kernel, "isa": isa, "bytes": 4096, "cycles": cycles, "verified": True}


def gate_only(tmp_path: Path, baseline_text: str, *extra: str) -> tuple[int, str, str]:
    base = tmp_path / "old.json"
    base.write_text(baseline_text)
    return run_cli("report", "--kernels", "sha256", "--isa", "rv32im", "--out", tmp_path / "r",
                   "--baseline", base, *extra)


# ---------------------------------------------------------------- unusable baselines

@pytest.mark.parametrize("text, words", [
    ("[]", ["no rows"]),
    ('[{"kernel": "sha256", "isa": "rv32im", "cycles": 1e999}]', ["cycles", "inf"]),
    ('[{"kernel": "sha256", "isa": "rv32im", "cycles": NaN}]', ["NaN"]),
    ('[{"kernel": "sha256", "isa": "rv32im", "cycles": 2.5}]', ["whole number"]),
    ('[{"kernel": "sha256", "isa": "rv32im", "cycles": true}]', ["cycles"]),
    ('[{"kernel": "sha256", "isa": "rv32im", "cycles": 0}]', ["cycles"]),
    ('[{"kernel": "sha256", "isa": "rv32im", "cycles": 18446744073709551616}]', ["cycles"]),
    ('[{"kernel": "sha256", "isa": "rv32im"}]', ["no cycles"]),
    ('[{"kernel": "sha256", "isa": "rv64gc", "cycles": 5}]', ["rv64gc"]),
    ('[{"kernel": "sha256", "isa": "rv32im\\nx", "cycles": 5}]', ["rv32im\\nx"]),
    ('[{"kernel": "sha256", "isa": "rv32im", "cycles": 5}, {"kernel": "sha256", "isa": "rv32im_zicsr", '
     '"cycles": 6}]', ["repeats"]),
    ('{"sha256": 5}', ["list of report rows"]),
    ("[" * 100_000, ["nested too deeply"]),
    ("\xff\xfe garbage", ["not JSON"]),
])
def test_unusable_baseline_is_one_line_before_any_kernel(tmp_path, no_kernels, text, words):
    status, _, err = gate_only(tmp_path, text)
    assert_one_line_error(status, err, *words)
    assert no_kernels == [] and not (tmp_path / "r").exists()


def test_baseline_matching_nothing_fails_before_any_kernel(tmp_path, no_kernels):
    """Rows of other kernels (or of ISAs not run) would have gated nothing and passed."""
    text = json.dumps([sha256_row(isa="rv32im_zbkb"), sha256_row(kernel="sm3")])
    status, _, err = gate_only(tmp_path, text)
    assert_one_line_error(status, err, "none of the 1 kernel/ISA pairs", "sha256 rv32im_zbkb", "sm3 rv32im")
    assert no_kernels == []


def test_missing_baseline_file(tmp_path, no_kernels):
    status, _, err = run_cli("report", "--kernels", "sha256", "--isa", "rv32im", "--out", tmp_path / "r",
                             "--baseline", tmp_path / "nosuch.json")
    assert_one_line_error(status, err, "cannot read baseline", "No such file")
    assert no_kernels == []


# A JSON value as text; non-finite floats come out as NaN/Infinity, which the
# report must refuse just as it refuses 1e999.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)

bad_cycles = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not (x.is_integer() and x >= 1)),
    st.integers(max_value=0), st.integers(min_value=1 << 64), st.booleans(), st.none(), st.text(max_size=6),
    st.lists(st.integers(), max_size=2))
bad_isas = st.one_of(st.integers(), st.none(), st.booleans(), st.sampled_from(
    ["", "rv64im", "rv32", "rv32imq", "rv32im_zfoo", "x86", "rv32im__", "rv32g", "rv32im\nrv32im"]))
bad_kernels = st.one_of(st.just(""), st.integers(), st.none(), st.lists(st.text(max_size=3), max_size=2))


@st.composite
def broken_rows(draw) -> list:
    """A report's rows, one of them spoiled in one way."""
    good = [sha256_row(), sha256_row(isa="rv32im_zbkb"), sha256_row(kernel="sm3")]
    spoiled = dict(draw(st.sampled_from(good)))
    how = draw(st.sampled_from(["cycles", "isa", "kernel", "drop", "not_object", "duplicate"]))
    if how == "cycles":
        spoiled["cycles"] = draw(bad_cycles)
    elif how == "isa":
        spoiled["isa"] = draw(bad_isas)
    elif how == "kernel":
        spoiled["kernel"] = draw(bad_kernels)
    elif how == "drop":
        del spoiled[draw(st.sampled_from(["kernel", "isa", "cycles"]))]
    elif how == "not_object":
        spoiled = draw(json_values.filter(lambda v: not isinstance(v, dict)))
    else:   # the same pair again, in another spelling of its ISA
        spoiled = sha256_row(isa=draw(st.sampled_from(["rv32im_zicsr", "RV32IM", "rv32i_m"])))
    rows = draw(st.permutations(good))
    return [*rows[:draw(st.integers(0, 3))], spoiled, *rows]


literals = st.sampled_from(["1e999", "-1e999", "NaN", "Infinity", "-Infinity", "2.5", "0", "-7", "1e20",
                            "18446744073709551616", "true", "null", '"253069"', "[]", "{}"])


@st.composite
def malformed_baselines(draw) -> str:
    kind = draw(st.sampled_from(["value", "rows", "literal", "bytes"]))
    if kind == "value":          # any JSON at all (only a list of rows with sha256 rv32im could pass)
        return json.dumps(draw(json_values))
    if kind == "rows":
        return json.dumps(draw(broken_rows()))
    if kind == "literal":        # cycles spelled as JSON text json.dumps would never write
        return f'[{{"kernel": "sha256", "isa": "rv32im", "cycles": {draw(literals)}}}]'
    return draw(st.binary(max_size=40)).decode("latin-1")


def _check_malformed(tmp_path: Path, no_kernels: list, text: str) -> None:
    status, _, err = gate_only(tmp_path, text)
    assert_one_line_error(status, err)
    assert no_kernels == [] and not (tmp_path / "r").exists()


@QUICK
@given(text=malformed_baselines())
def test_malformed_baselines_fuzz(tmp_path, no_kernels, text):
    _check_malformed(tmp_path, no_kernels, text)


@pytest.mark.slow
@LONG
@given(text=malformed_baselines())
def test_malformed_baselines_fuzz_long(tmp_path, no_kernels, text):
    _check_malformed(tmp_path, no_kernels, text)


# ---------------------------------------------------------------- unusable thresholds

bad_thresholds = st.one_of(
    st.floats(max_value=-1e-300).map(repr),
    st.sampled_from(["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e999", "-0.5", "five", "2%", ""]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz%_,", min_size=1, max_size=8),
    # '%' is never part of a number; the line break must not break the message's line
    st.tuples(st.text(max_size=4), st.text(max_size=4)).map(lambda ab: f"{ab[0]}\n{ab[1]}%"))


def _check_threshold(tmp_path: Path, no_kernels: list, threshold: str) -> None:
    base = tmp_path / "old.json"
    base.write_text(json.dumps([sha256_row()]))
    status, _, err = run_cli("report", "--kernels", "sha256", "--isa", "rv32im", "--out", tmp_path / "r",
                             "--baseline", base, f"--threshold={threshold}")
    assert_one_line_error(status, err, "--threshold")
    assert no_kernels == []


@QUICK
@given(threshold=bad_thresholds)
def test_unusable_threshold_fuzz(tmp_path, no_kernels, threshold):
    _check_threshold(tmp_path, no_kernels, threshold)


@pytest.mark.slow
@LONG
@given(threshold=bad_thresholds)
def test_unusable_threshold_fuzz_long(tmp_path, no_kernels, threshold):
    _check_threshold(tmp_path, no_kernels, threshold)


def test_threshold_without_baseline(tmp_path, no_kernels):
    """It would be ignored: the run would look gated and is not."""
    status, _, err = run_cli("report", "--kernels", "sha256", "--isa", "rv32im", "--out", tmp_path / "r",
                             "--threshold", "5")
    assert_one_line_error(status, err, "--threshold", "--baseline")
    assert no_kernels == []


# ---------------------------------------------------------------- the gate on real runs

@pytest.mark.parametrize("spelling", ["rv32im", "rv32im_zicsr_zicntr", "RV32I_M", "rv32im+zicsr"])
def test_baseline_isa_in_any_spelling_is_gated(tmp_path, spelling):
    """A baseline keyed by another spelling of rv32im gates the run; before, it
    matched nothing and the gate passed whatever the cycles."""
    status, out, err = gate_only(tmp_path, json.dumps([sha256_row(cycles=SHA256_RV32IM // 2, isa=spelling)]))
    assert status == 1, out + err
    assert "performance regression: sha256 rv32im" in out
    assert f"{SHA256_RV32IM // 2:,} -> {SHA256_RV32IM:,} cycles (+100.0% > 2%)" in out


def test_threshold_zero_fails_one_extra_cycle(tmp_path):
    status, out, err = gate_only(tmp_path, json.dumps([sha256_row(cycles=SHA256_RV32IM - 1)]),
                                 "--threshold", "0")
    assert status == 1, out + err
    status, out, err = gate_only(tmp_path, json.dumps([sha256_row(cycles=float(SHA256_RV32IM))]),
                                 "--threshold", "0")
    assert status == 0, out + err
    assert "regression gate: 1 of 1 rows compared" in out


def test_partial_match_gates_matched_rows_and_lists_the_rest(tmp_path):
    """sm3 has no baseline row: listed as not gated; sha256's growth still fails
    the gate; the baseline's row for a kernel not run (mining) is ignored."""
    base = tmp_path / "old.json"
    base.write_text(json.dumps([sha256_row(cycles=SHA256_RV32IM // 2),
                                sha256_row(kernel="mining", cycles=1000)]))
    status, out, err = run_cli("report", "--kernels", "sha256", "sm3", "--isa", "rv32im",
                               "--out", tmp_path / "r", "--baseline", base)
    assert status == 1, out + err
    assert "chainrv: not in the baseline, not gated: sm3 rv32im" in out
    assert "performance regression: sha256 rv32im" in out
    assert "regression gate: 1 of 2 rows compared" in out
    assert "mining" not in out


def test_baseline_inside_the_output_folder_is_the_old_report(tmp_path):
    """``--baseline report/report.json --out report``: the gate compares with the
    report that was there, not with the one this run writes over it."""
    out_dir = tmp_path / "r"
    out_dir.mkdir()
    (out_dir / "report.json").write_text(json.dumps([sha256_row(cycles=SHA256_RV32IM // 2)]))
    status, out, err = run_cli("report", "--kernels", "sha256", "--isa", "rv32im", "--out", out_dir,
                               "--baseline", out_dir / "report.json")
    assert status == 1, out + err
    assert "performance regression: sha256 rv32im" in out
    rows = json.loads((out_dir / "report.json").read_text())
    assert [r["cycles"] for r in rows] == [SHA256_RV32IM]


def test_gate_arithmetic_is_exact():
    """Exactly +2% passes a 2% threshold; one cycle more fails; cycles near 2**64
    do not lose the single cycle to floating point."""
    from chainrv.report import Row, gate

    def row(cycles: int) -> Row:
        return Row("k", CANONICAL_RV32IM, 1, cycles, cycles, 1.0, 1.0, {}, {}, True, 0, 0.0)

    base = {("k", CANONICAL_RV32IM, "ideal"): 1_000_000}
    assert gate([row(1_020_000)], base, 2.0).regressions == []
    assert len(gate([row(1_020_001)], base, 2.0).regressions) == 1
    big = {("k", CANONICAL_RV32IM, "ideal"): (1 << 64) - 2}
    assert len(gate([row((1 << 64) - 1)], big, 0.0).regressions) == 1
    verdict = gate([row(5), Row("other", CANONICAL_RV32IM, 1, 9, 9, 1.0, 1.0, {}, {}, True, 0, 0.0)],
                   {("k", CANONICAL_RV32IM, "ideal"): 5}, 0.0)
    assert (verdict.compared, verdict.regressions, verdict.unmatched) == (1, [], ["other rv32im"])


# ---------------------------------------------------------------- other arguments

def test_synth_device_without_synth(tmp_path, no_kernels):
    """Ignored before: the report looked as if it had been synthesized for that device."""
    status, _, err = run_cli("report", "--kernels", "sha256", "--isa", "rv32im", "--out", tmp_path / "r",
                             "--synth-device", "85k")
    assert_one_line_error(status, err, "--synth-device", "--synth")
    assert no_kernels == []


def test_kernel_or_isa_named_twice_runs_once(tmp_path):
    status, out, err = run_cli("report", "--kernels", "sha256", "sha256", "--isa", "rv32im", "RV32IM",
                               "--out", tmp_path / "r")
    assert status == 0, out + err
    rows = json.loads((tmp_path / "r" / "report.json").read_text())
    assert [(r["kernel"], r["isa"]) for r in rows] == [("sha256", CANONICAL_RV32IM)]
