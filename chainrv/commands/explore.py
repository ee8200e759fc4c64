"""``chainrv explore``: a design-space sweep (kernels x ISAs x microarchitectures, with
synthesis) on Dask, into a resumable SQLite database, with Pareto fronts of
throughput against area (docs/explore.md).

Every name is checked before the first point is submitted: kernels, ISAs,
microarchitectures and key ranges, the synthesis target, the spec file, the output
folder and, with ``--scheduler``, that the scheduler answers. Exit 0 when every
point is ok, 1 when a point failed (listed in explore.md), 2 for unusable input,
130 when interrupted (what finished is kept; the same command resumes).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..argtypes import positive
from ..errors import CliError

HELP = "sweep kernels x ISAs x microarchitectures on Dask; Pareto fronts of throughput against area"


def _names(values: list[list[str]] | None) -> list[str] | None:
    """``--kernels a,b --kernels c`` and ``--kernels a b``, flattened."""
    if not values:
        return None
    out = [n.strip() for group in values for item in group for n in item.split(",") if n.strip()]
    return list(dict.fromkeys(out)) or None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec", type=Path, metavar="FILE.toml",
                   help="the sweep as a TOML file (docs/explore.md); options given here override its fields")
    p.add_argument("--kernels", action="append", nargs="+", metavar="K",
                   help="kernels, comma- or space-separated (default: the spec's, else all)")
    p.add_argument("--isa", action="append", nargs="+", metavar="ISA",
                   help="ISA configurations (repeatable; default: rv32im rv32im_zbkb rv32im_zicsr_zk_zks)")
    p.add_argument("--uarch", action="append", metavar="PRESET[,KEY=VALUE...]",
                   help="a base microarchitecture (repeatable; default ideal; see chainrv run --help)")
    p.add_argument("--vary", action="append", metavar="KEY=V1,V2,...",
                   help="a microarchitecture key range, e.g. icache=off,1k:2:32,4k:2:32 (repeatable): "
                        "every base --uarch is crossed with every combination")
    p.add_argument("--synth", nargs="?", const="ecp5", metavar="TARGET",
                   help="synthesize each (ISA, microarchitecture) once: generic (area), ice40 or ecp5 (area "
                        "and Fmax; default ecp5); 'none' for no synthesis")
    p.add_argument("--synth-device", metavar="DEV", help="FPGA device for --synth (see chainrv synth)")
    p.add_argument("--no-pnr", action="store_true", help="map to the FPGA but skip place and route (no Fmax)")
    p.add_argument("--synth-cached", action="store_true",
                   help="take synthesis results from the cache only, never run the tools (points of a "
                        "configuration not in the cache get no area)")
    p.add_argument("--out", required=True, type=Path, metavar="DIR",
                   help="folder of the sweep: explore.sqlite (resumed from), explore.md, explore.csv, "
                        "pareto_<kernel>.png")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="an existing Dask scheduler (dask scheduler / dask worker); default: a local cluster")
    p.add_argument("--workers", type=positive, metavar="N",
                   help="worker processes of the local cluster (default: one per core)")
    p.add_argument("--retry-failed", action="store_true",
                   help="run again the points (and syntheses) that failed in an earlier run into --out")


def spec_from_args(args: argparse.Namespace):
    """The sweep: the spec file's fields, each overridden by its option when given."""
    from ..explore.spec import Spec, SynthSpec, load_spec_file, parse_vary

    spec = load_spec_file(args.spec) if args.spec is not None else Spec()
    kernels, isas = _names(args.kernels), _names(args.isa)
    if kernels is not None:
        spec.kernels = kernels
    if isas is not None:
        spec.isas = isas
    if args.uarch:
        spec.uarchs = list(dict.fromkeys(u.strip() for u in args.uarch))
    if args.vary:
        spec.vary = parse_vary(args.vary)
    if args.synth is not None:
        spec.synth = None if args.synth == "none" else SynthSpec(args.synth)
    if spec.synth is None and (args.synth_device or args.no_pnr or args.synth_cached):
        raise CliError("--synth-device, --no-pnr and --synth-cached apply only with --synth")
    if spec.synth is not None:
        s = spec.synth
        spec.synth = SynthSpec(s.target, args.synth_device or s.device, s.pnr and not args.no_pnr,
                               s.cached_only or args.synth_cached)
    if args.workers is not None and args.scheduler is not None:
        raise CliError("--workers applies to the local cluster only, not with --scheduler")
    return spec


def run(args: argparse.Namespace) -> int:
    from ..explore import make_plan, sweep

    plan = make_plan(spec_from_args(args))
    outcome = sweep(plan, args.out, args.scheduler, args.workers, args.retry_failed)
    print(f"{outcome.planned} points: {outcome.skipped} already in {args.out / 'explore.sqlite'}, "
          f"{outcome.ran} run now; {outcome.ok} ok, {outcome.failed} failed")
    print(f"wrote {', '.join(str(p) for p in outcome.written)}")
    if outcome.failed:
        print(f"chainrv: {outcome.failed} points failed (see {args.out / 'explore.md'}; "
              "--retry-failed runs them again)")
        return 1
    return 0
