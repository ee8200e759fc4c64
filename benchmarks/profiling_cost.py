"""What the pictures cost: ``chainrv run --profile-speedscope`` against a plain run on
the ECDSA kernel (whole processes, interleaved, median of the pair-by-pair ratios), and
the phases of ``chainrv report`` in one process (median seconds each): the runs, the
JSON/Markdown/plots, the flame graphs' trace runs and plots, and report.html.

    python benchmarks/profiling_cost.py [--runs 5] [--kernels K ...]

The machine is shared: figures move with its load; the ratios, taken pair by pair, less.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ECDSA = "ecdsa_secp256k1"
ISA = "rv32im_zicsr_zk_zks"


def _seconds(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def speedscope_cost(runs: int) -> None:
    from chainrv.kernels import KERNELS_DIR, load_kernel
    from isa.config import IsaConfig

    elf = str(load_kernel(KERNELS_DIR / ECDSA).build(IsaConfig.parse(ISA)))
    chainrv = [sys.executable, "-m", "chainrv.cli", "run", elf]
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "p.speedscope.json")
        _seconds(chainrv), _seconds([*chainrv, "--profile-speedscope", out])   # warm the caches
        plain, scope = [], []
        for _ in range(runs):
            plain.append(_seconds(chainrv))
            scope.append(_seconds([*chainrv, "--profile-speedscope", out]))
        size = Path(out).stat().st_size
    ratios = [s / p for s, p in zip(scope, plain, strict=True)]
    print(f"{ECDSA} {ISA}, whole process, median of {runs}:")
    print(f"  chainrv run                       {statistics.median(plain):7.2f} s")
    print(f"  chainrv run --profile-speedscope  {statistics.median(scope):7.2f} s  "
          f"({statistics.median(ratios):.1f}x, file {size / 1e6:.1f} MB)")


def report_phases(runs: int, kernels: list[str] | None) -> None:
    from chainrv import report, report_flames, report_html

    jobs = report.plan(kernels, None)
    phases: dict[str, list[float]] = {}

    def timed(name: str, fn, *args):
        t0 = time.perf_counter()
        value = fn(*args)
        phases.setdefault(name, []).append(time.perf_counter() - t0)
        return value

    for n in range(runs + 1):          # the first round compiles and builds: not counted
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            rows = timed("kernel runs", report.run_plan, jobs)
            timed("report.json, report.md, plots", report.write, rows, out)
            flames = timed("flame graphs: trace runs", report_flames.collect, jobs)
            timed("flame graphs: plots", report_flames.plot, flames, out)
            timed("report.html", report_html.write, rows, out, flames, {})
            size = (out / "report.html").stat().st_size
        if n == 0:
            phases.clear()
    total = sum(statistics.median(v) for v in phases.values())
    print(f"chainrv report, {len(jobs)} runs of {len({k.name for k, _, _ in jobs})} kernels, "
          f"median of {runs} (report.html {size / 1e6:.1f} MB):")
    for name, values in phases.items():
        m = statistics.median(values)
        print(f"  {name:<32} {m:7.2f} s  {100 * m / total:5.1f}%")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--kernels", nargs="+", help="kernels of the report (default: all)")
    args = ap.parse_args()
    speedscope_cost(args.runs)
    report_phases(args.runs, args.kernels)


if __name__ == "__main__":
    main()
