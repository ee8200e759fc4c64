"""``chainrv explore --scheduler`` on a real Dask cluster: a scheduler and two workers
started with Dask's own commands, one worker killed (SIGKILL) mid-sweep; the sweep
completes with every point, each equal to the point run in this process."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chainrv.kernels import all_kernels
from chainrv.report import run_variant
from isa import IsaConfig
from isa.uarch import Uarch

DASK = [sys.executable, "-m", "dask"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port}")


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two single-thread workers (no nanny: the process killed is the worker)."""
    procs: list[subprocess.Popen] = []
    sport = _free_port()
    logs = tmp_path / "logs"
    logs.mkdir()

    def start(name: str, argv: list[str]) -> subprocess.Popen:
        log = open(logs / f"{name}.log", "w")
        p = subprocess.Popen([*DASK, *argv], stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
                             start_new_session=True)
        procs.append(p)
        return p

    try:
        sched = start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(sport),
                                    "--no-dashboard"])
        _wait_port(sport, sched)
        workers = {}
        for n in range(2):
            wport = _free_port()
            w = start(f"worker{n}", ["worker", f"tcp://127.0.0.1:{sport}", "--nworkers", "1",
                                     "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1",
                                     "--worker-port", str(wport), "--no-dashboard", "--death-timeout", "60"])
            workers[f"tcp://127.0.0.1:{wport}"] = w
        for port in (int(a.rsplit(":", 1)[1]) for a in workers):
            _wait_port(port, next(iter(procs)))
        yield f"tcp://127.0.0.1:{sport}", workers
    finally:
        for p in reversed(procs):    # the workers, then the scheduler
            if p.poll() is None:
                p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


#: 3 kernels x 8 memory latencies: enough points that both workers are busy when one dies
KERNELS = ["ecdsa_secp256k1", "keccak256", "sha256"]
LATENCIES = [str(n) for n in range(8)]


def test_a_killed_worker_loses_no_point(cluster, tmp_path):
    scheduler, workers = cluster
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "chainrv.cli", "explore", "--kernels", ",".join(KERNELS),
           "--isa", "rv32im", "--uarch", "mcu", "--vary", f"mem={','.join(LATENCIES)}", "--out", str(out),
           "--scheduler", scheduler]
    sweep = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db_path = out / "explore.sqlite"
    total = len(KERNELS) * len(LATENCIES)
    victim = None
    try:
        # generous: a worker compiles the ISS's loop first when Numba's cache is cold (a fresh clone)
        end = time.monotonic() + 400
        # kill the worker that finished the first point, while points remain
        while victim is None and time.monotonic() < end and sweep.poll() is None:
            time.sleep(0.05)
            if not db_path.exists():
                continue
            try:
                with sqlite3.connect(db_path, timeout=5) as db:
                    done = db.execute("SELECT worker FROM points ORDER BY finished_at").fetchall()
            except sqlite3.OperationalError:   # the table is not made yet
                continue
            if done:
                victim = done[0][0]
                os.kill(workers[victim].pid, signal.SIGKILL)
                killed_at = len(done)
        assert victim is not None, "the sweep ended before a worker could be killed"
        assert killed_at < total, "every point was done before the kill"
        print(f"killed {victim} after {killed_at} of {total} points")
        stdout, stderr = sweep.communicate(timeout=400)
    finally:
        if sweep.poll() is None:
            sweep.kill()
    assert workers[victim].wait(timeout=10) == -signal.SIGKILL
    assert sweep.returncode == 0, stdout + stderr
    assert f"{total} points: 0 already in" in stdout and f"{total} ok, 0 failed" in stdout

    db = sqlite3.connect(db_path)
    rows = db.execute("SELECT kernel, isa, uarch, status, cycles, instret, stall_load_use, stall_branch, "
                      "stall_dcache, stall_icache, stall_mul, bp_mispredicts, verified, worker "
                      "FROM points").fetchall()
    assert len(rows) == total and all(r[3] == "ok" for r in rows)
    survivor = next(a for a in workers if a != victim)
    by_worker = {r[-1] for r in rows}
    assert survivor in by_worker   # the points the victim held were run again by the survivor
    catalogue = all_kernels()
    for kernel, isa, uarch, _, cycles, instret, lu, br, dc, ic, mul, misp, verified, _ in rows:
        ref = run_variant(catalogue[kernel], IsaConfig.parse(isa), Uarch.parse(uarch))
        assert (cycles, instret, verified) == (ref.cycles, ref.instret, 1), (kernel, uarch)
        causes = ("load_use", "branch", "dcache", "icache", "mul")
        assert (lu, br, dc, ic, mul) == tuple(ref.stalls[c] for c in causes)
        assert misp == ref.counters["bp_mispredicts"]
    assert Path(out / "explore.md").exists()
