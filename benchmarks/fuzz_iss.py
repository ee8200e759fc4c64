"""Long differential fuzzing: random programs (isa.randprog) on the ISS and on QEMU.

    python benchmarks/fuzz_iss.py --start 100000 --programs 50000 [--isa rv32im_zicsr_zk_zks]

Each program holds ``--blocks`` random blocks (default 20, so 50 000 programs are
a million blocks). Prints every mismatching seed; exit status 1 if any.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from qemu import run_qemu  # noqa: E402

from isa.randprog import random_program  # noqa: E402
from simulator import Machine  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start", type=int, default=100_000)
    ap.add_argument("--programs", type=int, default=1000)
    ap.add_argument("--blocks", type=int, default=20)
    ap.add_argument("--isa", default="rv32im_zicsr_zk_zks")
    args = ap.parse_args()
    bad = 0
    t0 = time.time()
    with tempfile.TemporaryDirectory() as d:
        elf = Path(d) / "p.elf"
        for seed in range(args.start, args.start + args.programs):
            elf.write_bytes(random_program(seed, args.isa, blocks=args.blocks, qemu=True).elf())
            ref = run_qemu(elf, args.isa)
            m = Machine(args.isa)
            m.load_elf(elf)
            res = m.run(max_instructions=50_000_000)
            if res.stdout != ref.stdout or res.exit_code != ref.status:
                bad += 1
                print(f"seed {seed}: MISMATCH ({res.trap or 'output differs'})", flush=True)
            done = seed - args.start + 1
            if done % 100 == 0:
                print(f"{done} programs ({done * args.blocks} blocks), {bad} mismatches, "
                      f"{time.time() - t0:.0f} s", flush=True)
    print(f"{args.programs} programs x {args.blocks} blocks: {bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
