"""``chainrv explore``: the sweep's numbers against ``chainrv report``'s own row function,
resuming, failures recorded, the Pareto front against a hand-worked one, the spec's
checks (one line, exit 2, before any work) and the cost join."""

import csv
import json
import sqlite3
import subprocess
import sys
from dataclasses import asdict

import pytest

from chainrv.errors import CliError
from chainrv.explore import Plan, make_plan, sweep
from chainrv.explore.pareto import dominates, fronts
from chainrv.explore.spec import Spec, expand_uarchs, load_spec_file, parse_vary
from chainrv.explore.store import Store
from chainrv.kernels import all_kernels
from chainrv.report import operations, run_variant
from isa import IsaConfig
from isa.uarch import Uarch

# one xdist worker for the module: the sweep fixture is made once, and its clusters do not
# compete with each other for the cores
pytestmark = pytest.mark.xdist_group("explore")

RV32IM = str(IsaConfig.parse("rv32im"))
ZK = str(IsaConfig.parse("rv32im_zicsr_zk_zks"))


def chainrv(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "chainrv.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


# ---------------------------------------------------------------- the sweep itself

@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """sha256 and keccak256 on two ISAs and three microarchitectures, two local workers."""
    out = tmp_path_factory.mktemp("sweep")
    spec = Spec(kernels=["sha256", "keccak256"], isas=["rv32im", "rv32im_zicsr_zk_zks"],
                uarchs=["ideal", "mcu"], vary={"dcache": ["off", "1k:2:16"]})
    plan = make_plan(spec)
    outcome = sweep(plan, out, workers=2)
    return out, plan, outcome


def test_every_point_recorded_once(swept):
    out, plan, outcome = swept
    assert len(plan.points) == 2 * 2 * 4
    assert (outcome.planned, outcome.skipped, outcome.ran, outcome.ok, outcome.failed) == (16, 0, 16, 16, 0)
    db = sqlite3.connect(out / "explore.sqlite")
    keys = db.execute("SELECT kernel, isa, uarch FROM points").fetchall()
    assert sorted(keys) == sorted(plan.points)
    # both local workers took points (one per process: the loop stays loaded between them)
    workers = {w for (w,) in db.execute("SELECT worker FROM points")}
    assert len(workers) == 2 and all(w.startswith("tcp://") for w in workers)


def test_numbers_equal_the_reports(swept):
    """Each point's figures are what chainrv report's row function gives for it, run here."""
    out, plan, _ = swept
    store = Store(out / "explore.sqlite")
    rows = {(r["kernel"], r["isa"], r["uarch"]): r for r in store.rows()}
    store.close()
    catalogue = all_kernels()
    for kernel, isa, uarch in plan.points:
        ref = run_variant(catalogue[kernel], IsaConfig.parse(isa), Uarch.parse(uarch))
        got = rows[kernel, isa, uarch]
        assert got["cycles"] == ref.cycles and got["instret"] == ref.instret, (kernel, isa, uarch)
        assert got["cpi"] == ref.cpi and bool(got["verified"]) == ref.verified is True
        assert json.loads(got["stalls"]) == ref.stalls and json.loads(got["counters"]) == ref.counters
        assert json.loads(got["mix"]) == ref.mix
        for cause, n in ref.stalls.items():
            assert got[f"stall_{cause}"] == n
        for name, n in ref.counters.items():
            assert got[name] == n
        op = operations([ref])[0]
        assert got["cycles_per_op"] == op.cycles and got["operation"] == op.operation
        assert got["throughput_nominal"] == pytest.approx(op.per_second_nominal)


def test_counters_tell_the_machines_apart(swept):
    """Independent of the report: the D-cache runs miss and stall, the ideal machine has
    no data-side stall, a machine without a D-cache no D-cache event."""
    out, _, _ = swept
    db = sqlite3.connect(out / "explore.sqlite")
    for uarch, misses, stall in db.execute("SELECT uarch, dcache_misses, stall_dcache FROM points"):
        if "dcache=1k:2:16" in uarch:
            assert misses > 0 and stall > 0
        else:
            assert misses == 0
        if uarch == "ideal":
            assert stall == 0


def test_outputs(swept):
    out, plan, _ = swept
    md = (out / "explore.md").read_text()
    assert "## sha256" in md and "## keccak256" in md and "Without an area (8)" in md
    with open(out / "explore.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(plan.points)
    assert {"kernel", "isa", "uarch", "cycles", "instret", "stall_load_use", "icache_misses", "verified",
            "area_nand2", "fmax_mhz", "throughput", "wall_s", "worker"} <= set(rows[0])
    # no area without synthesis: no plot to draw
    assert not list(out.glob("pareto_*.png"))


def test_resume_runs_only_what_is_missing(swept, tmp_path):
    out, plan, _ = swept
    again = sweep(plan, out, workers=1)
    assert (again.skipped, again.ran, again.ok) == (16, 0, 16)
    db = sqlite3.connect(out / "explore.sqlite")
    with db:
        db.execute("DELETE FROM points WHERE kernel='keccak256' AND isa=? AND uarch='mcu'", (ZK,))
    db.close()
    resumed = sweep(plan, out, workers=1)
    assert (resumed.skipped, resumed.ran, resumed.ok) == (15, 1, 16)


def test_a_failing_point_is_recorded_and_the_sweep_goes_on(tmp_path):
    """A point whose kernel cannot be found on the worker (as on a worker of another
    checkout) is an error row; the other points complete; --retry-failed runs it again."""
    plan = Plan(points=[("sha256", RV32IM, "ideal"), ("no_such_kernel", RV32IM, "ideal"),
                        ("sha256", RV32IM, "mcu")], configs=[], synth=None)
    outcome = sweep(plan, tmp_path, workers=1)
    assert (outcome.ok, outcome.failed) == (2, 1)
    store = Store(tmp_path / "explore.sqlite")
    bad = [r for r in store.rows() if r["status"] != "ok"]
    store.close()
    assert [(r["kernel"], r["status"]) for r in bad] == [("no_such_kernel", "error")]
    assert "KeyError" in bad[0]["error"] and bad[0]["cycles"] is None
    assert "## Failed points" in (tmp_path / "explore.md").read_text()
    retried = sweep(plan, tmp_path, workers=1, retry_failed=True)
    assert (retried.skipped, retried.ran, retried.failed) == (2, 1, 1)


def test_exit_status_one_when_a_point_fails_zero_otherwise(tmp_path):
    p = chainrv("explore", "--kernels", "sha256", "--isa", "rv32im", "--uarch", "ideal", "--out",
                str(tmp_path / "ok"), "--workers", "1")
    assert p.returncode == 0, p.stderr
    assert "1 points: 0 already in" in p.stdout and "1 ok, 0 failed" in p.stdout
    # the progress line: done / failed / remaining / ETA
    assert "done 1 failed 0 remaining 0 ETA" in p.stderr


# ---------------------------------------------------------------- the cost join

def _row_result(kernel: str, isa: str, uarch: str) -> dict:
    from chainrv.explore.worker import run_point

    return run_point(kernel, isa, uarch)


def test_synthesis_joins_whichever_arrives_first(tmp_path):
    """Area and Fmax from a synthesis row join the points of its configuration, both
    when the point is recorded first and when the synthesis is; throughput at Fmax
    is chainrv report's (operations() with that Fmax); a synthesis error makes the
    configuration's points errors, their run figures kept."""
    store = Store(tmp_path / "explore.sqlite")
    req = "ecp5:25k:pnr:run"
    a = _row_result("sha256", RV32IM, "ideal")
    b = _row_result("keccak256", RV32IM, "ideal")
    c = _row_result("sha256", RV32IM, "mcu")
    store.add_point(a, req)       # before its synthesis
    store.add_synth({"isa": RV32IM, "uarch": "ideal", "status": "ok", "got": "ecp5 25k pnr",
                     "cost": {"nand2": 39776.0, "memory_bits": 0, "lut4": 5113, "ff": 754, "bram": 0,
                              "fmax_mhz": 30.8}}, req)
    store.add_point(b, req)       # after it
    store.add_point(c, req)
    store.add_synth({"isa": RV32IM, "uarch": "mcu", "status": "error", "error": "synthesis: boom"}, req)
    rows = {(r["kernel"], r["uarch"]): r for r in store.rows()}
    store.close()
    catalogue = all_kernels()
    for kernel in ("sha256", "keccak256"):
        r = rows[kernel, "ideal"]
        ref = run_variant(catalogue[kernel], IsaConfig.parse("rv32im"))
        op = operations([ref], {(RV32IM, "ideal"): 30.8})[0]
        assert r["status"] == "ok" and r["area_nand2"] == 39776.0 and r["fmax_mhz"] == 30.8
        assert r["throughput"] == pytest.approx(op.per_second)
    bad = rows["sha256", "mcu"]
    assert bad["status"] == "error" and "boom" in bad["error"] and bad["cycles"] > 0
    assert bad["area_nand2"] is None


# ---------------------------------------------------------------- Pareto

def _pt(name: str, area: float, tp: float) -> dict:
    return {"kernel": "k", "isa": RV32IM, "uarch": name, "status": "ok", "area_nand2": area,
            "throughput": tp, "throughput_nominal": tp / 2, "operation": "verify", "memory_bits": 0,
            "fmax_mhz": 50.0, "cycles_per_op": 1e6 / tp}


def test_pareto_front_by_hand():
    # a (10, 1) cheapest; b (20, 5) better; c (20, 4) dominated by b; d (30, 5) dominated by b
    # (same throughput, more area); e (40, 9) best; f (15, 0.5) dominated by a
    pts = [_pt("a", 10, 1), _pt("b", 20, 5), _pt("c", 20, 4), _pt("d", 30, 5), _pt("e", 40, 9),
           _pt("f", 15, 0.5)]
    (f,) = fronts(pts)
    assert f.at_fmax and f.unit == "verify"
    assert [r["uarch"] for r in f.front] == ["a", "b", "e"]
    assert {r["uarch"]: by["uarch"] for r, by in f.dominated} == {"f": "a", "c": "b", "d": "b"}
    # equal points do not dominate each other
    assert not dominates(_pt("x", 5, 5), _pt("y", 5, 5), "throughput")


def test_pareto_falls_back_to_the_nominal_clock_without_fmax():
    pts = [_pt("a", 10, 1), _pt("b", 20, 5)]
    pts[1]["throughput"] = None
    (f,) = fronts(pts)
    assert not f.at_fmax and f.metric == "throughput_nominal"


def test_pareto_plot(tmp_path):
    from chainrv.explore.outputs import plot

    (f,) = fronts([_pt("a", 10, 1), _pt("b", 20, 5), _pt("c", 20, 4)])
    path = plot(f, tmp_path / "pareto_k.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- spec

def test_key_ranges_cross_every_base():
    us = expand_uarchs(["ideal", "mcu"], parse_vary(["icache=off,1k:2:32", "bp=btfn,bht:64"]))
    assert [str(u) for u in us] == [
        "ideal,bp=btfn", "ideal,bp=bht:64", "ideal,icache=1k:2:32,bp=btfn", "ideal,icache=1k:2:32,bp=bht:64",
        "mcu", "mcu,bp=bht:64", "mcu,icache=1k:2:32", "mcu,icache=1k:2:32,bp=bht:64"]
    # the same machine spelled twice is one point
    assert len(expand_uarchs(["ideal", "ideal,mem=0"], {})) == 1


def test_spec_file(tmp_path):
    f = tmp_path / "sweep.toml"
    f.write_text('kernels = ["sha256"]\nisa = ["rv32im"]\nuarch = ["cached"]\n'
                 '[vary]\nicache = ["1k:2:32", "4k:2:32"]\n[synth]\ntarget = "generic"\n')
    spec = load_spec_file(f)
    assert spec.kernels == ["sha256"] and spec.synth.target == "generic"
    assert [str(u) for u in spec.machines()] == ["cached,icache=1k:2:32", "cached"]
    f.write_text('kernel = ["sha256"]\n')
    with pytest.raises(CliError, match="unknown field 'kernel'"):
        load_spec_file(f)


@pytest.mark.parametrize("args, message", [
    (["--kernels", "sha256,nope"], "unknown kernel 'nope'"),
    (["--isa", "rv32qq"], "rv32qq"),
    (["--uarch", "ideal,colour=red"], "unknown microarchitecture key 'colour'"),
    (["--vary", "icache=3k:2:32"], "power of two"),
    (["--vary", "icache"], "expected KEY=VALUE"),
    (["--synth", "asic"], "unknown target 'asic'"),
    (["--no-pnr"], "apply only with --synth"),
    (["--scheduler", "localhost"], "expected tcp://HOST:PORT"),
    (["--scheduler", "tcp://127.0.0.1:9"], "cannot reach the Dask scheduler"),
    (["--spec", "/nonexistent/sweep.toml"], "cannot read spec"),
])
def test_bad_specs_are_one_line_exit_2_before_any_work(tmp_path, args, message):
    out = tmp_path / "out"
    p = chainrv("explore", "--kernels", "sha256", *args, "--out", str(out), timeout=60)
    assert p.returncode == 2, p.stderr
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("chainrv: ") and message in p.stderr
    assert "Traceback" not in p.stderr and not out.exists()


def test_run_point_is_the_report_row():
    """The worker's function hands back chainrv report's row as it is."""
    from chainrv.explore.worker import run_point

    res = run_point("sha256", ZK, "cached")
    ref = run_variant(all_kernels()["sha256"], IsaConfig.parse(ZK), Uarch.parse("cached"))
    got, want = res["row"], asdict(ref)
    got.pop("seconds")
    want.pop("seconds")
    assert got == want and res["status"] == "ok"


def test_ctrl_c_keeps_what_finished_and_the_same_command_resumes(tmp_path):
    """SIGINT to the sweep's process group, as a terminal's Ctrl-C sends it: exit 130 with
    one line, every recorded point whole; the same command then runs only the rest."""
    import os
    import signal
    import time

    out = tmp_path / "out"
    mems = ",".join(str(n) for n in range(24))
    cmd = [sys.executable, "-m", "chainrv.cli", "explore", "--kernels", "ecdsa_secp256k1",
           "--isa", "rv32im", "--uarch", "mcu", "--vary", f"mem={mems}", "--out", str(out), "--workers", "2"]
    # a child of a non-interactive shell may inherit SIGINT ignored; a terminal's would not
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    recorded, end = 0, time.monotonic() + 400   # a cold Numba cache: each worker compiles first
    while recorded < 3 and time.monotonic() < end and p.poll() is None:
        time.sleep(0.1)
        try:
            with sqlite3.connect(out / "explore.sqlite", timeout=5) as db:
                recorded = db.execute("SELECT count(*) FROM points").fetchone()[0]
        except sqlite3.OperationalError:
            pass
    os.killpg(p.pid, signal.SIGINT)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 130, err
    message = [line for line in err.splitlines() if not line.startswith("[")]
    assert len(message) == 1 and message[0].startswith("chainrv: interrupted: ")
    with sqlite3.connect(out / "explore.sqlite") as db:
        kept = db.execute("SELECT count(*), sum(status = 'ok'), sum(cycles > 0) FROM points").fetchone()
    assert 3 <= kept[0] < 24 and kept[0] == kept[1] == kept[2]
    again = chainrv(*cmd[3:])
    assert again.returncode == 0, again.stderr
    assert f"24 points: {kept[0]} already in" in again.stdout and "24 ok, 0 failed" in again.stdout


@pytest.mark.slow
def test_synthesis_once_per_configuration_then_from_the_cache(tmp_path):
    """Two kernels on one configuration: one generic synthesis (minutes uncached), its area
    on both points equal to chainrv synth's; a second sweep with --synth-cached reads the
    same area from the cache without running the tools."""
    from chainrv.synth import synthesize

    base = ["explore", "--kernels", "sha256,keccak256", "--isa", "rv32im", "--uarch", "ideal",
            "--synth", "generic", "--workers", "2"]
    p = chainrv(*base, "--out", str(tmp_path / "a"), timeout=1800)
    assert p.returncode == 0, p.stderr
    want = synthesize("rv32im", "generic", uarch="ideal").generic["total"]
    for folder in ("a", "b"):
        if folder == "b":
            p = chainrv(*base, "--synth-cached", "--out", str(tmp_path / "b"), timeout=300)
            assert p.returncode == 0, p.stderr
        with sqlite3.connect(tmp_path / folder / "explore.sqlite") as db:
            synth = db.execute("SELECT count(*), min(got) FROM synth").fetchone()
            areas = db.execute("SELECT area_nand2, memory_bits, throughput FROM points").fetchall()
        assert synth == (1, "generic")
        assert areas == [(want.nand2, want.memory_bits, None)] * 2   # generic: no Fmax
        assert (tmp_path / folder / "pareto_sha256.png").exists()


def test_one_synthesis_per_hardware_configuration():
    """Kernels share a configuration's synthesis; an ISA or machine spelled two ways is one."""
    spec = Spec(kernels=["sha256", "keccak256", "sm3"], isas=["rv32im", "rv32im_zk_zks", ZK, "RV32IM"],
                uarchs=["ideal", "mcu", "ideal,mem=0"], synth=None)
    plan = make_plan(spec)
    assert len(plan.points) == 3 * 2 * 2
    assert plan.configs == [(RV32IM, "ideal"), (RV32IM, "mcu"), (ZK, "ideal"), (ZK, "mcu")]
