"""``chainrv report``: kernels across ISA configurations -> JSON, Markdown, plots."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import CliError

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
    p.add_argument("--synth", nargs="?", const="ecp5", metavar="TARGET",
                   help="also synthesize each ISA (generic, ice40 or ecp5; default ecp5) and add area, "
                        "Fmax and throughput columns and a speedup-vs-area plot")
    p.add_argument("--synth-device", metavar="DEV", help="FPGA device for --synth (see chainrv synth)")


def _synth(rows, args: argparse.Namespace) -> list[Path]:
    from hdl.synth import SynthError

    from .. import synth_report
    from .synth import CACHE_DIR

    try:
        results = synth_report.synthesize_all(list(dict.fromkeys(r.isa for r in rows)), args.synth,
                                              args.synth_device, CACHE_DIR)
    except SynthError as e:
        raise CliError(str(e)) from None
    return synth_report.extend_report(rows, results, args.out)


def run(args: argparse.Namespace) -> int:
    from .. import report

    if args.synth is not None:
        from hdl.synth import SynthError, check_request

        try:
            check_request(args.synth, args.synth_device)
        except SynthError as e:
            raise CliError(str(e)) from None
    rows = report.collect(args.kernels, args.isa)
    written = report.write(rows, args.out)
    if args.synth is not None:
        written += _synth(rows, args)
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
