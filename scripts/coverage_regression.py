"""``make coverage``: the functional coverage of the programs the lockstep tests of
``make test`` run (cocotb_tests/plan.py), one closure table per ISA configuration and
microarchitecture, sampled on the ISS (the lockstep shows the RTL retires the same
records). ``--out DIR`` writes each configuration's table (text), its bins (JSON) and,
for all of them, ``coverage.md``: every bin with its count, per configuration.
make test's gate (cocotb_tests/test_lockstep_coverage.py) fails below 100 % of the
gated configurations' bins; this command reports them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chainrv.coverage import Coverage, summary  # noqa: E402
from chainrv.outputs import write_text_atomic  # noqa: E402
from cocotb_tests.plan import Configuration, configurations, report, sample, write_report  # noqa: E402


def bins_markdown(results: list[tuple[Configuration, Coverage]]) -> str:
    """Every bin's count per configuration, a table per group."""
    lines = ["# Functional coverage of the lockstep programs", "",
             "Written by `scripts/coverage_regression.py` (`make coverage`, `make regress`).", ""]
    for conf, cov in results:
        hit, total = summary(cov.model)["total"]
        lines += [f"## {cov.config.short_name()}, {conf.uarch}", "",
                  f"{cov.programs} programs, {cov.sampler.records:,} records: {hit} / {total} bins"
                  f"{'' if conf.gated else ' (a narrow run, not gated)'}", ""]
        for name, g in cov.model.groups.items():
            lines += [f"### {name}", "", "| bin | records |", "|---|---|"]
            lines += [f"| {b} | {int(c):,} |" for b, c in zip(g.bins, g.counts, strict=True)]
            lines.append("")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="write the tables, the bins (JSON) and coverage.md into DIR")
    ap.add_argument("--no-kernels", action="store_true", help="leave the kernels out (no compiler needed)")
    args = ap.parse_args()
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for conf in configurations(not args.no_kernels):
            cov = sample(conf, Path(tmp))
            results.append((conf, cov))
            print("\n== " + (write_report(conf, cov, args.out) if args.out else report(conf, cov)))
            for line in cov.failed:
                print(f"  did not end with exit 0: {line}")
    if args.out:
        write_text_atomic(args.out / "coverage.md", bins_markdown(results))
    print("\nconfiguration                         uarch                                      hit   bins")
    for conf, cov in results:
        hit, total = summary(cov.model)["total"]
        mark = "" if conf.gated else "  (narrow, not gated)"
        print(f"{cov.config.short_name():<37} {conf.uarch:<40} {hit:>5} {total:>6}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
