"""RTL simulation speed (docs/lockstep.md): simulated cycles per second of the SoC
free-running and in lockstep with the ISS, and the warm start-up of ``chainrv cosim``.

* free-running: the full-ISA SoC alone (nothing recorded), the rate of the
  simulator's run phase, on SHA-256 of 64 KiB (1 462 264 cycles);
* lockstep, end to end: ``lockstep()`` as the tests and ``chainrv cosim`` call it
  (ISS trace, RAM image, RTL run, every record and cycle compared), in a process
  where the model is built and the ISS loaded, on SHA-256 of the default 4 KiB
  vector (94 268 cycles) and of 64 KiB;
* warm start-up: ``chainrv cosim`` as a whole process on an 8-instruction
  program, the model already built.

Every figure is measured in fresh processes, ``--repeat`` times, the median kept.
``--peer DIR`` measures another checkout of chainrv the same way in the same run,
interleaved with this one (for instance today's numbers: ``git archive HEAD | tar -x
-C DIR`` before a change), so the two columns see the same machine load. Verilator
only unless ``--icarus`` (SHA-256 of 64 bytes, 4 489 cycles; speed there is no goal).

    python benchmarks/rtl_speed.py [--repeat 3] [--peer DIR] [--icarus] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ISA = "rv32im_zicsr_zk_zks"
LONG = "bytes(i * 7 & 0xFF for i in range(64 * 1024))"

#: One process's measurements, made with the APIs every checkout since the cocotb
#: lockstep has (``lockstep``, ``run_rtl``): prints a JSON object of cycles/s figures.
PROBE = f"""
import json, sys, tempfile, time
from pathlib import Path
from chainrv.cosim.lockstep import lockstep, quiet, ram_hex, run_rtl
from chainrv.kernels import all_kernels
from simulator import Machine
sim, what = sys.argv[1], sys.argv[2:]
elf = all_kernels()["sha256"].build("{ISA}")
inputs = {{"short": None, "long": {LONG}, "tiny": bytes(range(64))}}
out = {{}}
with tempfile.TemporaryDirectory() as d, quiet(Path(d) / "sim.log"):
    lockstep(elf, "{ISA}", sim, input_bytes=inputs["tiny"])      # builds the model, loads the ISS
    for name in what:
        kind, size = name.split("-")
        data = inputs[size]
        if kind == "free":
            m = Machine("{ISA}")
            m.load_elf(elf)
            if data is not None:
                m.set_input(data)
            image = ram_hex(m, Path(d) / "ram.hex")
            r = run_rtl("{ISA}", image, sim, m.run().cycles + 200, Path(d), record=False)
            out[name] = r.sim_cycles / r.wall_seconds
        else:
            t = time.perf_counter()
            o = lockstep(elf, "{ISA}", sim, input_bytes=data)
            assert o.ok, o.report
            out[name] = o.iss.cycles / (time.perf_counter() - t)
print(json.dumps(out))
"""

#: (figure, simulator, label)
FIGURES = (
    ("free-long", "verilator", "free-running, 1 462 264 cycles [cycles/s]"),
    ("e2e-short", "verilator", "lockstep end to end, 94 268 cycles [cycles/s]"),
    ("e2e-long", "verilator", "lockstep end to end, 1 462 264 cycles [cycles/s]"),
    ("startup", "verilator", "chainrv cosim warm start-up, 8 instructions [s]"),
    ("free-tiny", "icarus", "Icarus free-running, 4 489 cycles [cycles/s]"),
    ("e2e-tiny", "icarus", "Icarus lockstep end to end, 4 489 cycles [cycles/s]"),
)
TINY = ("li a0, 0x10000000\nli a1, 0x70\nsb a1, 0(a0)\n"
        "lui t0, 0x100\nlui t1, 0x5\naddi t1, t1, 0x555\nsw t1, 0(t0)\n")


def env_for(checkout: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(checkout)}


def probe(checkout: Path, sim: str, names: list[str]) -> dict[str, float]:
    r = subprocess.run([sys.executable, "-c", PROBE, sim, *names], cwd=checkout, env=env_for(checkout),
                       capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise SystemExit(f"rtl_speed: the probe failed in {checkout}:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def startup(checkout: Path, elf: Path) -> float:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "chainrv.cli", "cosim", str(elf), "--isa", ISA],
                       cwd=checkout, env=env_for(checkout), capture_output=True, check=False)
    wall = time.perf_counter() - t
    if r.returncode != 0 or b"in lockstep" not in r.stderr:
        raise SystemExit(f"rtl_speed: chainrv cosim failed in {checkout}:\n{r.stderr.decode()[-2000:]}")
    return wall


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--peer", type=Path, metavar="DIR", help="another checkout, measured alongside")
    p.add_argument("--icarus", action="store_true", help="measure Icarus too")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the medians here")
    args = p.parse_args()
    where = {"this": ROOT} | ({"peer": args.peer.resolve()} if args.peer else {})
    sims = ["verilator"] + (["icarus"] if args.icarus else [])
    samples: dict[str, dict[str, list[float]]] = {k: {} for k in where}
    with tempfile.TemporaryDirectory() as d:
        sys.path.insert(0, str(ROOT))
        from isa.asm import assemble
        from isa.elfwriter import make_elf

        elf = Path(d) / "tiny.elf"
        elf.write_bytes(make_elf([(0x8000_0000, assemble(TINY, 0x8000_0000))], 0x8000_0000))
        for k in range(args.repeat):
            for label, checkout in where.items():
                for sim in sims:
                    names = [f for f, s, _ in FIGURES if s == sim and f != "startup"]
                    for name, value in probe(checkout, sim, names).items():
                        samples[label].setdefault(name, []).append(value)
                samples[label].setdefault("startup", []).append(startup(checkout, elf))
            print(f"run {k + 1} of {args.repeat} done", file=sys.stderr, flush=True)
    medians = {label: {n: statistics.median(v) for n, v in s.items()} for label, s in samples.items()}
    head = f"{'figure (median of ' + str(args.repeat) + ')':<52} {'this':>12}"
    if args.peer:
        head += f" {'peer':>12} {'this/peer':>10}"
    print(head)
    for name, sim, label in FIGURES:
        if sim not in sims:
            continue
        this = medians["this"][name]
        row = f"{label:<52} {this:>12,.2f}" if name == "startup" else f"{label:<52} {this:>12,.0f}"
        if args.peer:
            peer = medians["peer"][name]
            row += f" {peer:>12,.2f}" if name == "startup" else f" {peer:>12,.0f}"
            row += f" {this / peer:>10.2f}"
        print(row)
    if args.json:
        args.json.write_text(json.dumps({"medians": medians, "samples": samples}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
