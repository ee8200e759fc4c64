"""``chainrv synth``: hardware cost of the core per unit, and Fmax on an FPGA."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from isa.uarch import PRESETS

from ..argtypes import positive, uarch
from ..errors import CliError
from ..outputs import atomic_file, probe_writable

HELP = ("synthesize the core: cells and NAND2-equivalents per unit, cache storage, "
        "FPGA LUT4/FF/BRAM counts and Fmax")

DEFAULT_ISA = "rv32im_zicsr_zk_zks"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--isa", nargs="+", metavar="ISA", default=[DEFAULT_ISA],
                   help=f"ISA configurations (default: {DEFAULT_ISA})")
    p.add_argument("--uarch", nargs="+", action="extend", type=uarch, metavar="UARCH",
                   help="microarchitectures, each PRESET[,KEY=VALUE...] as for run (presets "
                        f"{', '.join(PRESETS)}; default ideal): every ISA is synthesized for each")
    p.add_argument("--target", default="generic", metavar="T",
                   help="generic (gates only), ice40 or ecp5 (default: generic)")
    p.add_argument("--device", metavar="DEV",
                   help="FPGA device: ice40 up5k (default), hx8k, lp8k, hx4k, hx1k; "
                        "ecp5 25k (default), 45k, 85k, 12k")
    p.add_argument("--no-pnr", action="store_true", help="map to the FPGA but skip place and route")
    p.add_argument("--pnr-aim", type=float, metavar="MHZ",
                   help="clock nextpnr aims at (default 12 on ice40, 25 on ecp5); it stops improving "
                        "once the aim is met, so aim above the expected Fmax to measure the limit")
    p.add_argument("--seeds", type=positive, default=1, metavar="N",
                   help="place and route with seeds 1..N and report the median Fmax (default: 1)")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    p.add_argument("--cache", type=Path, metavar="DIR",
                   help="cache of tool runs (default: synth/ in the cache folder, docs/caches.md)")


def run(args: argparse.Namespace) -> int:
    from isa.config import IsaConfig, IsaError

    from ..synth import SynthError, check_request

    try:
        configs = [IsaConfig.parse(s) for s in args.isa]
        check_request(args.target, args.device, args.pnr_aim)
    except (IsaError, SynthError) as e:
        raise CliError(str(e)) from None
    if args.cache is not None:   # the default folder gives way to a private one instead
        probe_writable(args.cache)
    if args.json is None:
        _synthesize_all(configs, args)
        return 0
    try:
        # the destination is checked (its temporary file made) before minutes of synthesis
        with atomic_file(args.json) as f:
            results = _synthesize_all(configs, args)
            f.write(json.dumps([r.to_json() for r in results], indent=1) + "\n")
    except OSError as e:
        raise CliError(f"cannot write {args.json}: {e.strerror}") from None
    return 0


def _synthesize_all(configs, args: argparse.Namespace) -> list:
    from isa.uarch import IDEAL

    from ..synth import DEFAULT_CACHE, SynthError, synthesize
    from ..synth_report import synth_table

    results = []
    uarchs = list(dict.fromkeys(args.uarch or [IDEAL]))   # a microarchitecture given twice runs once
    for cfg in configs:
        for u in uarchs:
            name = cfg.short_name() if u.is_ideal else f"{cfg.short_name()} uarch {u}"
            try:
                results.append(synthesize(cfg, args.target, args.device, args.cache or DEFAULT_CACHE,
                                          pnr=not args.no_pnr, uarch=u, pnr_aim_mhz=args.pnr_aim,
                                          seeds=args.seeds))
            except SynthError as e:
                raise CliError(f"{name}: {e}") from None
            except OSError as e:      # the tool cache (--cache)
                raise CliError(f"{name}: {e.filename}: {e.strerror}") from None
            print(synth_table(results[-1]))
            print()
    return results
