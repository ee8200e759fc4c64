"""ISS speed per microarchitecture: the execute loop's MIPS (``RunResult.seconds``: the
loop alone, JIT excluded) on SHA-256 over 120 KB and on the ECDSA kernel, for the
ideal machine, the ideal machine through the microarchitecture's loop (its rules with
no unit that costs a cycle: what the generalised timing costs), and the presets.

``--peer DIR`` (repeatable) also measures another checkout of chainrv (for instance
``git worktree add DIR <revision>``) in the same run, interleaved: the ideal machine,
and the presets too when that checkout has them (``isa/uarch.py``). The ideal machine
is to keep its speed within 5% of the checkout before the microarchitecture existed.

    python benchmarks/uarch_speed.py [--runs 7] [--peer DIR ...] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: One measurement in a fresh process: the program's instructions and the loop's seconds.
PROBE = """
import json, sys
from simulator.machine import Machine
elf, isa, uarch, inp = sys.argv[1:5]
kw = {} if uarch in ("-", "ideal") else {"uarch": uarch.removesuffix("+loop")}
m = Machine(isa, 2 << 20, **kw) if kw else Machine(isa, 2 << 20)
if uarch == "ideal+loop":
    m._u = "_u"             # the ideal machine through the microarchitecture's loop
m.load_elf(elf)
if inp != "-":
    m.set_input(open(inp, "rb").read())
m.run()                     # loads or compiles the loop
m = Machine(isa, 2 << 20, **kw) if kw else Machine(isa, 2 << 20)
if uarch == "ideal+loop":
    m._u = "_u"
m.load_elf(elf)
if inp != "-":
    m.set_input(open(inp, "rb").read())
r = m.run()
print(json.dumps({"instret": r.instret, "cycles": r.cycles, "seconds": r.seconds}))
"""

UARCHS = ("ideal", "ideal+loop", "mcu", "cached")


def programs(tmp: Path) -> list[tuple[str, Path, str, Path | None]]:
    from chainrv.kernels import all_kernels

    data = tmp / "in.bin"
    data.write_bytes(random.Random(1).randbytes(120_000))
    ks = all_kernels()
    return [("sha256 120 KB rv32im", ks["sha256"].build("rv32im"), "rv32im", data),
            ("sha256 120 KB zk_zks", ks["sha256"].build("rv32im_zicsr_zk_zks"), "rv32im_zicsr_zk_zks", data),
            ("ecdsa_secp256k1 rv32im", ks["ecdsa_secp256k1"].build("rv32im"), "rv32im", None)]


def measure(checkout: Path, elf: Path, isa: str, uarch: str, inp: Path | None) -> dict:
    p = subprocess.run([sys.executable, "-c", PROBE, str(elf), isa, uarch, str(inp or "-")],
                       cwd=checkout, capture_output=True, text=True, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--peer", type=Path, metavar="DIR", action="append", default=[],
                    help="another checkout, measured beside this one (repeatable)")
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for name, elf, isa, inp in programs(Path(d)):
            where = {"this": ROOT} | {f"peer{k}:{d.name}": d for k, d in enumerate(args.peer, 1)}
            kinds = [("this", u) for u in UARCHS]
            for who, d in where.items():
                if who != "this":
                    kinds += [(who, u) for u in UARCHS if u in ("ideal", "mcu", "cached")
                              and (u == "ideal" or (d / "isa" / "uarch.py").exists())]
            samples: dict[tuple[str, str], list[dict]] = {k: [] for k in kinds}
            for _ in range(args.runs):          # interleaved: noise falls on every kind alike
                for who, u in kinds:
                    samples[who, u].append(measure(where[who], elf, isa, u, inp))
            base = statistics.median(s["seconds"] for s in samples["this", "ideal"])
            for (who, u), ss in samples.items():
                sec = statistics.median(s["seconds"] for s in ss)
                rows.append({"program": name, "checkout": who, "uarch": u, "instret": ss[0]["instret"],
                             "cycles": ss[0]["cycles"], "seconds": sec, "mips": ss[0]["instret"] / sec / 1e6,
                             "time_over_ideal": sec / base})
    print(f"{'program':<24} {'checkout':<14} {'uarch':<11} {'instret':>10} {'cycles':>11} {'MIPS':>7} "
          f"{'time/ideal':>10}")
    for r in rows:
        print(f"{r['program']:<24} {r['checkout']:<14} {r['uarch']:<11} {r['instret']:>10} {r['cycles']:>11} "
              f"{r['mips']:>7.1f} {r['time_over_ideal']:>10.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
