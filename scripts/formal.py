#!/usr/bin/env python3
"""Run the formal proofs of hdl/formal/proofs.py and print each one's answer and time.

    scripts/formal.py [--quick] [--out DIR] [NAME ...]

Exit 1 when a proof does not give its expected answer, 2 when the tools are missing
or a name is unknown (docs/verification.md).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hdl.formal import sby  # noqa: E402
from hdl.formal.proofs import BY_NAME, PROOFS  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="proofs to run (default: all)")
    ap.add_argument("--quick", action="store_true", help="only the proofs make test runs")
    ap.add_argument("--out", type=Path, help="keep the SymbiYosys folders here")
    args = ap.parse_args()
    unknown = [n for n in args.names if n not in BY_NAME]
    if unknown:
        print(f"formal.py: unknown proof {', '.join(unknown)} (known: {', '.join(BY_NAME)})", file=sys.stderr)
        return 2
    chosen = [BY_NAME[n] for n in args.names] or [p for p in PROOFS if p.quick or not args.quick]
    missing = sby.missing_tools({p.solver for p in chosen})
    if missing:
        print(f"formal.py: missing {', '.join(missing)} (pip install -e '.[dev]')", file=sys.stderr)
        return 2
    out = args.out or Path(tempfile.mkdtemp(prefix="chainrv-formal-"))
    bad = 0
    print(f"{'proof':32} {'depth':>5} {'solver':>9} {'answer':>7} {'expected':>8} {'seconds':>8}")
    for p in chosen:
        harness = p.build()
        r = sby.run(harness, harness.ports, out / p.name, mode=p.mode, depth=p.depth, timeout=3600,
                    solver=p.solver)
        bad += r.status != p.expect
        print(f"{p.name:32} {p.depth:>5} {p.solver:>9} {r.status:>7} {p.expect:>8} {r.seconds:>8.1f}",
              flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
