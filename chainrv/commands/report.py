"""``chainrv report``: kernels across ISA configurations -> JSON, Markdown, plots."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "run kernels across ISA configurations and write a performance report"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kernels", nargs="+", metavar="K", help="kernels to run (default: all)")
    p.add_argument("--isa", nargs="+", metavar="ISA",
                   help="ISA configurations (default: rv32im rv32im_zbkb rv32im_zicsr_zk_zks)")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory")
    p.add_argument("--baseline", type=Path, metavar="OLD.json",
                   help="fail (exit 1) when a kernel's cycles grew past --threshold")
    p.add_argument("--threshold", type=float, default=2.0, metavar="PCT",
                   help="allowed cycle growth over the baseline, percent (default 2)")


def run(args: argparse.Namespace) -> int:
    from .. import report

    rows = report.collect(args.kernels, args.isa)
    written = report.write(rows, args.out)
    print(report.summary_table(rows))
    print(f"\nwrote {', '.join(str(p) for p in written)}")
    status = 0
    failed = [f"{r.kernel} {r.isa}" for r in rows if not r.verified]
    if failed:
        print(f"chainrv: known-answer check failed for: {', '.join(failed)}")
        status = 1
    if args.baseline is not None:
        grown = report.regressions(rows, args.baseline, args.threshold)
        for line in grown:
            print(f"chainrv: performance regression: {line}")
        status = status or (1 if grown else 0)
    return status
