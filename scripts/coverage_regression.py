"""``make coverage``: the functional coverage of the programs the lockstep tests run
(docs/coverage.md), one closure table per ISA configuration and microarchitecture.

The programs are those of ``cocotb_tests/test_lockstep*.py`` in ``make test``: the
directed programs, the random programs with the tests' seeds and sizes, the kernels
with their short inputs, and the microarchitecture presets' directed programs, random
program and kernels. They run on the ISS only (the lockstep shows the RTL retires the
same records). ``--out DIR`` writes each configuration's bins as JSON.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chainrv.coverage import Coverage, summary, table, to_json  # noqa: E402
from chainrv.outputs import write_text_atomic  # noqa: E402
from cocotb_tests import directed, directed_uarch  # noqa: E402
from cocotb_tests.test_lockstep import short_input  # noqa: E402
from cocotb_tests.test_lockstep_uarch import FAST_RANDOM, PRESET_KERNELS, has_cache  # noqa: E402
from isa.config import IsaConfig  # noqa: E402
from isa.randprog import random_program  # noqa: E402
from isa.uarch import Uarch  # noqa: E402

FULL = "rv32im_zicsr_zk_zks"
XCHAIN = "rv32im_zicsr_zk_zks_xchain"
Run = Callable[[Coverage, Path], None]


def _random(seed: int, blocks: int, selfmod: bool = True) -> Run:
    def run(cov: Coverage, tmp: Path) -> None:
        prog = random_program(seed, cov.config, blocks=blocks, length=40, selfmod=selfmod)
        elf = tmp / f"random{seed}.elf"
        elf.write_bytes(prog.elf())
        cov.run(elf, f"random {seed}")
    return run


def _directed(name: str) -> Run:
    def run(cov: Coverage, tmp: Path) -> None:
        mod = directed_uarch if name in directed_uarch.PROGRAMS else directed
        cov.run(mod.build(name, tmp / f"{name}.elf"), name)
    return run


def _fencei(cov: Coverage, tmp: Path) -> None:
    cov.run(directed.build_fencei(tmp / "fencei.elf"), "fencei")


def _kernel(name: str, isa: str) -> Run:
    def run(cov: Coverage, tmp: Path) -> None:
        from chainrv.kernels import all_kernels
        cov.run(all_kernels()[name].build(isa), f"{name} ({isa})", input_bytes=short_input(name))
    return run


def _kernels_on_full() -> list[Run]:
    """test_lockstep.py's kernel variants with a short input, run on the full ISA."""
    from chainrv.kernels import all_kernels
    return [_kernel(name, isa) for name, k in sorted(all_kernels().items()) for isa in k.isas
            if "xchain" not in isa and short_input(name) is not None]


def configurations(kernels: bool) -> list[tuple[str, str, list[Run]]]:
    full: list[Run] = [*(_directed(n) for n in sorted(directed.PROGRAMS)),
                       *(_random(s, 120) for s in range(4)), _random(100, 10)]
    out = [(FULL, "ideal", full + (_kernels_on_full() if kernels else [])),
           ("rv32im", "ideal", [_random(100, 10)]),
           ("rv32im_zbkb", "ideal", [_random(100, 10)]),
           (XCHAIN, "ideal", [_random(s, 100) for s in range(3)]),
           (directed.FENCEI_ISA, "ideal", [_fencei])]
    for u in ("mcu", "cached", *FAST_RANDOM):
        cached = has_cache(u)
        runs = [_directed(n) for n in [*sorted(directed.PROGRAMS), *sorted(directed_uarch.PROGRAMS)]
                if not ((n == "selfmod" or n in directed_uarch.STORES_INTO_CODE) and cached)]
        runs.append(_random(16, 8, selfmod=not cached))
        if kernels:
            runs += [_kernel(k, FULL) for k in PRESET_KERNELS.get(u, ())]
        out.append((FULL, u, runs))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="write coverage_<isa>_<uarch>.json files into DIR")
    ap.add_argument("--no-kernels", action="store_true", help="leave the kernels out (no compiler needed)")
    args = ap.parse_args()
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    totals = []
    with tempfile.TemporaryDirectory() as tmp:
        for isa, uarch, runs in configurations(not args.no_kernels):
            cov = Coverage(IsaConfig.parse(isa), Uarch.parse(uarch))
            for run in runs:
                run(cov, Path(tmp))
            config = cov.config.short_name()
            print(f"\n== {config}, uarch {uarch}: {cov.programs} programs, {cov.sampler.records:,} records")
            print(table(cov.model))
            for line in cov.failed:
                print(f"  did not end with exit 0: {line}")
            hit, total = summary(cov.model)["total"]
            totals.append((config, uarch, hit, total))
            if args.out:
                name = f"coverage_{config}_{uarch}.json".replace(",", "_").replace("=", "-").replace(":", "-")
                write_text_atomic(args.out / name, to_json(cov.model, {"programs": cov.programs,
                                                                       "records": cov.sampler.records}))
    print("\nconfiguration                         uarch                                      hit   bins")
    for config, uarch, hit, total in totals:
        print(f"{config:<37} {uarch:<40} {hit:>5} {total:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
