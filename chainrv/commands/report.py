"""``chainrv report``: kernels across ISA configurations -> JSON, Markdown, plots,
per-kernel flame graphs and one self-contained ``report.html``.

Every argument is checked before the first kernel is built: the baseline is
read and validated, the threshold is a finite percentage, and the output folder
can be replaced. The report is written into a fresh folder beside ``--out``
and swapped in at the end, so ``--out`` holds the old report or the new one,
whole, whatever happens (an interrupt exits 130 and leaves the old one).

Regression gate (``--baseline``): the rows run are matched to the baseline's
by kernel and ISA (any spelling of the ISA); each matched row fails the gate
when its cycles grew by more than ``--threshold`` percent. Rows without a
baseline entry are listed as not gated; baseline rows not run are ignored
(a report of a few kernels may be gated by a full one). A baseline that
matches none of the rows run is an error (exit 2), before anything runs.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ..argtypes import uarch
from ..errors import CliError

HELP = "run kernels across ISA configurations and write a performance report"

DEFAULT_THRESHOLD = 2.0


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid percentage {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"the threshold must be a finite percentage >= 0, not {text!r}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kernels", nargs="+", metavar="K",
                   help="kernels to run (default: all, or those of --kernel-dir)")
    p.add_argument("--kernel-dir", action="append", type=Path, metavar="DIR",
                   help="a folder of your own with a kernel.json, as under kernels/ (repeatable): "
                        "its kernel runs, is checked and gated like the catalogue's")
    p.add_argument("--isa", nargs="+", metavar="ISA",
                   help="ISA configurations (default: rv32im rv32im_zbkb rv32im_zicsr_zk_zks)")
    p.add_argument("--out", required=True, type=Path, metavar="DIR",
                   help="output folder; it is replaced whole, so it must hold nothing but an earlier report")
    p.add_argument("--baseline", type=Path, metavar="OLD.json",
                   help="an earlier report.json: fail (exit 1) when a kernel's cycles grew past --threshold; "
                        "rows it has no entry for are listed and not gated; one that matches no row run "
                        "is an error")
    p.add_argument("--threshold", type=_percent, metavar="PCT",
                   help=f"allowed cycle growth over the baseline, percent (default {DEFAULT_THRESHOLD:g})")
    p.add_argument("--uarch", action="append", type=uarch, metavar="PRESET[,KEY=VALUE...]",
                   help="microarchitecture to run every kernel on (repeatable; default ideal; see "
                        "chainrv run --help and docs/timing.md)")
    p.add_argument("--synth", nargs="?", const="ecp5", metavar="TARGET",
                   help="also synthesize each ISA (generic, ice40 or ecp5; default ecp5) and add area, "
                        "Fmax and throughput columns and a speedup-vs-area plot")
    p.add_argument("--synth-device", metavar="DEV", help="FPGA device for --synth (see chainrv synth)")


def _check_synth(args: argparse.Namespace) -> None:
    if args.synth is None:
        if args.synth_device is not None:
            raise CliError("--synth-device applies only with --synth")
        return
    from ..synth import SynthError, check_request

    try:
        check_request(args.synth, args.synth_device)
    except SynthError as e:
        raise CliError(str(e)) from None


def _synth(rows, args: argparse.Namespace) -> dict:
    from .. import synth_report
    from ..synth import DEFAULT_CACHE, SynthError

    try:
        return synth_report.synthesize_all(list(dict.fromkeys(r.isa for r in rows)), args.synth,
                                           args.synth_device, DEFAULT_CACHE,
                                           uarchs=list(dict.fromkeys(r.uarch for r in rows)))
    except SynthError as e:
        raise CliError(str(e)) from None
    except OSError as e:      # the tool cache
        raise CliError(f"synthesis: {e.filename}: {e.strerror}") from None


def _configuration(args: argparse.Namespace, jobs) -> dict[str, str]:
    """What report.html says it was made with."""
    import platform
    from datetime import UTC, datetime
    from importlib.metadata import PackageNotFoundError, version

    try:
        made_by = f"chainrv {version('chainrv')}"
    except PackageNotFoundError:
        made_by = "chainrv"
    config = {
        "kernels": " ".join(dict.fromkeys(k.name for k, _, _ in jobs)),
        "ISAs": " ".join(dict.fromkeys(c.short_name() for _, c, _ in jobs)),
        "microarchitectures": " ".join(dict.fromkeys(str(u) for _, _, u in jobs)),
        "flame graphs": "per kernel: the first microarchitecture, the last ISA it runs on",
    }
    if args.kernel_dir:
        config["kernel folders"] = " ".join(str(d) for d in args.kernel_dir)
    if args.synth is not None:
        config["synthesis"] = args.synth + (f" ({args.synth_device})" if args.synth_device else "")
    if args.baseline is not None:
        threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
        config["baseline"] = f"{args.baseline} (threshold {threshold:g}%)"
    config["made with"] = f"{made_by}, Python {platform.python_version()}"
    config["made at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return config


def _write(rows, synth: dict | None, target: Path, out: Path, guard, flames=(),
           config: dict[str, str] | None = None) -> list[Path]:
    """All report files, into a fresh folder swapped in for ``target``.
    Interrupts wait for the next checkpoint: none can land mid-file."""
    from .. import report, report_flames, report_html, synth_report
    from ..outputs import replace_dir

    with guard.deferred():
        with replace_dir(target, before_swap=guard.check) as stage:
            fmax = {isa: res.fmax_mhz for isa, res in synth.items()} if synth else None
            written = report.write(rows, stage, guard.check, fmax)
            if synth is not None:
                written += synth_report.extend_report(rows, synth, stage)
            written += report_flames.plot(flames, stage, guard.check)
            written.append(report_html.write(rows, stage, flames, config or {}))
    if guard.pending:    # arrived during the swap itself: the new report is complete
        guard.pending = False
        raise CliError(f"interrupted after {out} was replaced", 130)
    return [out / p.name for p in written]


def _gate(rows, baseline: dict, args: argparse.Namespace, threshold: float) -> int:
    from .. import report

    verdict = report.gate(rows, baseline, threshold)
    for line in verdict.regressions:
        print(f"chainrv: performance regression: {line}")
    if verdict.unmatched:
        print(f"chainrv: not in the baseline, not gated: {', '.join(verdict.unmatched)}")
    grew = f"{len(verdict.regressions)} grew" if verdict.regressions else "none grew"
    print(f"regression gate: {verdict.compared} of {len(rows)} rows compared with {args.baseline}, "
          f"{grew} more than {threshold:g}%")
    return 1 if verdict.regressions else 0


def run(args: argparse.Namespace) -> int:
    from .. import report, report_flames
    from ..outputs import InterruptGuard

    if args.threshold is not None and args.baseline is None:
        raise CliError("--threshold applies only with --baseline")
    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    _check_synth(args)
    baseline = report.load_baseline(args.baseline) if args.baseline is not None else None
    target = report.check_out_dir(args.out)
    jobs = report.plan(args.kernels, args.isa, args.uarch, args.kernel_dir)
    if baseline is not None:
        report.check_matches(jobs, baseline, args.baseline)
    with InterruptGuard() as guard:
        rows = report.run_plan(jobs, checkpoint=guard.check)
        flames = report_flames.collect(jobs, checkpoint=guard.check)
        synth = _synth(rows, args) if args.synth is not None else None
        written = _write(rows, synth, target, args.out, guard, flames, _configuration(args, jobs))
    print(report.summary_table(rows))
    print(f"\nwrote {', '.join(str(p) for p in written)}")
    status = 0
    failed = [f"{r.kernel} {r.isa_name}" for r in rows if not r.verified]
    if failed:
        print(f"chainrv: known-answer check failed for: {', '.join(failed)}")
        status = 1
    if baseline is not None:
        status = _gate(rows, baseline, args, threshold) or status
    return status
