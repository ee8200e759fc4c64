"""What ``chainrv run --pipeview`` costs: the ECDSA kernel (secp256k1, rv32im) run
plainly and with the pipeline view, each a whole process, interleaved; medians and
their ratio. The view's file goes to a temporary folder and is removed.

    python benchmarks/pipeview_speed.py [--runs 3] [--uarch cached] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--uarch", default="ideal")
    ap.add_argument("--kernel", default="ecdsa_secp256k1")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    from chainrv.kernels import all_kernels

    elf = str(all_kernels()[args.kernel].build("rv32im"))
    run = [sys.executable, "-m", "chainrv.cli", "run", elf, "--uarch", args.uarch]
    plain, view, size = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "view.kanata"
        timed(run)      # the loop's compiled code in the cache
        for _ in range(args.runs):
            plain.append(timed(run))
            view.append(timed([*run, "--pipeview", str(out)]))
            size = out.stat().st_size
    result = {"kernel": args.kernel, "uarch": args.uarch, "runs": args.runs,
              "plain_seconds": statistics.median(plain), "pipeview_seconds": statistics.median(view),
              "ratio": statistics.median(view) / statistics.median(plain), "pipeview_bytes": size}
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
