"""Points per minute of ``chainrv explore`` on a local Dask cluster of 1, 2 and 4 workers.

Each run sweeps the same points into a fresh folder (nothing to resume), without
synthesis (a synthesis is cached after its first run and then costs a lookup), so
what is measured is the sweep itself: Dask's scheduling, the kernel runs on the
workers, the client's database writes. The cluster's start (worker processes,
each loading the ISS's compiled loop) is timed apart, and so is a warm-up sweep
that builds the kernel ELFs and fills Numba's cache before anything is timed.
Medians of ``--runs`` runs per worker count; the scaling is relative to 1 worker.
Beside it: the task's own seconds per point and how many workers were busy on
average (the tasks' seconds summed over the elapsed time): when the cores are
shared, tasks slow down as workers are added, and that shows here.

    python benchmarks/explore_scaling.py [--workers 1 2 4] [--runs 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chainrv.explore import execute, make_plan  # noqa: E402
from chainrv.explore.spec import Spec  # noqa: E402
from chainrv.explore.store import Store  # noqa: E402

KERNELS = ["sha256", "keccak256", "sm3", "ecdsa_secp256k1"]
ISAS = ["rv32im", "rv32im_zbkb", "rv32im_zicsr_zk_zks"]
UARCHS = ["ideal", "mcu", "cached"]
VARY = {"mem": ["1", "4"]}


def sweep_once(client, plan, folder: Path) -> tuple[float, float]:
    """Seconds to run every point of ``plan`` into a fresh database on ``client``, and the
    seconds the tasks themselves took, summed (over the elapsed time: the workers kept busy)."""
    store = Store(folder / "explore.sqlite")
    counts = execute.Counts(total=len(plan.points))
    progress = execute.Progress(counts, stream=open(os.devnull, "w"))
    t0 = time.perf_counter()
    execute.run(client, store, plan.points, None, [], counts, progress, None, plan.points)
    seconds = time.perf_counter() - t0
    ok, bad = store.tally(plan.points)
    task_s = store.db.execute("SELECT sum(wall_s) FROM points").fetchone()[0]
    store.close()
    if ok != len(plan.points):
        raise SystemExit(f"{bad} points failed")
    return seconds, task_s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    plan = make_plan(Spec(kernels=KERNELS, isas=ISAS, uarchs=UARCHS, vary=VARY))
    n = len(plan.points)
    print(f"{n} points ({len(KERNELS)} kernels x {len(ISAS)} ISAs x {len(UARCHS) * 2} microarchitectures), "
          f"no synthesis; {os.cpu_count()} cores; median of {args.runs} runs")
    results = {}
    with tempfile.TemporaryDirectory(prefix="explore-bench-") as tmp:
        for w in args.workers:
            t0 = time.perf_counter()
            with execute.dask_client(None, w) as client:
                client.wait_for_workers(w)
                start = time.perf_counter() - t0
                # warm-up: ELFs built, every worker's ISS loaded; not timed
                sweep_once(client, plan, Path(tempfile.mkdtemp(dir=tmp)))
                got = [sweep_once(client, plan, Path(tempfile.mkdtemp(dir=tmp))) for _ in range(args.runs)]
            times = [t for t, _ in got]
            med = statistics.median(times)
            busy = statistics.median(task / t for t, task in got)
            per_task = statistics.median(task / n for _, task in got)
            results[w] = {"points": n, "seconds": times, "median_s": med, "points_per_min": 60 * n / med,
                          "cluster_start_s": start, "busy_workers": busy, "task_s": per_task}
            runs = ", ".join(f"{t:.2f}" for t in times)
            print(f"{w} worker{'s' if w > 1 else ' '}: {60 * n / med:8.0f} points/min  (median {med:.2f} s "
                  f"for {n} points; runs {runs}; {per_task * 1000:.0f} ms per task, {busy:.2f} workers busy "
                  f"on average; cluster start {start:.1f} s)", flush=True)
    base = results[args.workers[0]]["points_per_min"]
    print("scaling: " + ", ".join(f"{w} workers {r['points_per_min'] / base:.2f}x"
                                  for w, r in results.items()))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
