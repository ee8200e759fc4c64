"""Fmax of one configuration under another synthesis and place-and-route flow.

Places the SoC of ``--isa``/``--uarch`` with seeds 1..N as ``chainrv synth --seeds N``
does, but with the Yosys options (``--synth-opts``) and nextpnr options
(``--pnr-opts``) given here instead of the flow's defaults (``chainrv.synth.pnr``'s
``SYNTH_OPTS`` and ``PNR_OPTS``); each run is cached as the flow's own are (the
options are in the key). ``--il FILE`` places the RTLIL in FILE, written there from
the present sources when it does not exist, so that several flows are compared on
one design while the sources change. One line of JSON per flow is appended to
``--log``.

    python benchmarks/synth_flow.py --isa rv32im --uarch fpga --aim 80 --seeds 3 \\
        --pnr-opts "--router router2" --il /tmp/rv32im_fpga.il
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chainrv.synth import DEFAULT_CACHE  # noqa: E402
from chainrv.synth.critical import describe  # noqa: E402
from chainrv.synth.pnr import place_and_route  # noqa: E402
from chainrv.synth.step_cache import usable_folder  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--isa", default="rv32im")
    ap.add_argument("--uarch", default="fpga")
    ap.add_argument("--target", default="ecp5")
    ap.add_argument("--device", default=None)
    ap.add_argument("--aim", type=float, default=80.0, help="nextpnr's --freq (MHz)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument(
        "--synth-opts", default=None, help="options after synth_ecp5/synth_ice40 (default the flow's)"
    )
    ap.add_argument("--pnr-opts", default=None, help="nextpnr options (default the flow's)")
    ap.add_argument("--il", type=Path, default=None, help="RTLIL of the SoC (written when missing)")
    ap.add_argument("--log", type=Path, default=Path("synth_flow.jsonl"))
    args = ap.parse_args()

    from hdl.synth import fpga_rtlil
    from isa.config import IsaConfig
    from isa.uarch import Uarch

    config, u = IsaConfig.parse(args.isa), Uarch.parse(args.uarch)
    if args.il is not None and args.il.exists():
        il = args.il.read_text()
    else:
        il = fpga_rtlil(config, u)
        if args.il is not None:
            args.il.write_text(il)
    device = args.device or {"ecp5": "25k", "ice40": "up5k"}[args.target]
    synth_opts = None if args.synth_opts is None else tuple(shlex.split(args.synth_opts))
    pnr_opts = None if args.pnr_opts is None else tuple(shlex.split(args.pnr_opts))
    cache = usable_folder(DEFAULT_CACHE)
    key = f"{config} {u.items()}"
    runs = []
    for seed in range(1, args.seeds + 1):
        t0 = time.perf_counter()
        placed, _, cached = place_and_route(
            il,
            args.target,
            device,
            cache,
            key=key,
            aim_mhz=args.aim,
            seed=seed,
            synth_opts=synth_opts,
            pnr_opts=pnr_opts,
        )
        util = placed["utilization"]
        comb = util.get("TRELLIS_COMB", util.get("ICESTORM_LC", {})).get("used")
        ff = util.get("TRELLIS_FF", {}).get("used")
        print(
            f"seed {seed}: {placed['fmax_mhz']} MHz, {comb} comb, {ff} FF, "
            f"{time.perf_counter() - t0:.0f} s{' (cached)' if cached else ''}",
            flush=True,
        )
        for line in describe(placed["critical_path"]) if placed["critical_path"] else []:
            print("   ", line, flush=True)
        runs.append({"seed": seed, **placed})
    fmaxes = [r["fmax_mhz"] or 0.0 for r in runs]
    median = statistics.median_low(fmaxes)
    print(f"median {median} MHz of {fmaxes}")
    with args.log.open("a") as f:
        f.write(
            json.dumps(
                {
                    "isa": str(config),
                    "uarch": str(u),
                    "target": args.target,
                    "device": device,
                    "aim": args.aim,
                    "synth_opts": synth_opts,
                    "pnr_opts": pnr_opts,
                    "median": median,
                    "runs": runs,
                }
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
