"""RTL simulation speed: simulated cycles per second of Icarus and Verilator,
free-running and in lockstep with the ISS (docs/lockstep.md).

* free-running: the SoC alone (the wrapper's retirement log switched off);
  the rate of the simulator process's run phase;
* lockstep (RTL phase): the same run writing one log line per retirement;
* lockstep (end to end): ``lockstep()`` as the tests and ``chainrv cosim``
  use it: ISS trace, RAM image, RTL run with its log, bulk comparison
  (simulator builds excluded: a warm-up run builds them first).

Verilator runs SHA-256 of the default 4 KiB vector (94k cycles) and of 64 KiB
(1.4M cycles, where the end-to-end rate is no longer dominated by the fixed
costs of starting the simulator and the ISS); Icarus, which is ~100x slower,
SHA-256 of 64 bytes. Medians of ``--repeat`` runs.

    python benchmarks/rtl_speed.py [--repeat 3] [--sims icarus verilator]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from chainrv.cosim import harness
from chainrv.cosim.lockstep import lockstep, quiet, ram_hex, run_rtl
from chainrv.kernels import all_kernels
from simulator import Machine, diskcache

ISA = "rv32im_zicsr_zk_zks"
#: (simulator, input of the SHA-256 kernel: None for its default 4 KiB vector)
RUNS: tuple[tuple[str, bytes | None], ...] = (
    ("icarus", bytes(range(64))),
    ("verilator", None),
    ("verilator", bytes(i * 7 & 0xFF for i in range(64 * 1024))),
)


def measure(sim: str, data: bytes | None, repeat: int, log: Path) -> dict[str, float]:
    elf = all_kernels()["sha256"].build(ISA)
    free, logged, e2e, cycles = [], [], [], 0
    with quiet(log):
        lockstep(elf, ISA, sim, input_bytes=data)        # builds the model once
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as d:
                m = Machine(ISA)
                m.load_elf(elf)
                if data is not None:
                    m.set_input(data)
                image = ram_hex(m, Path(d) / "ram.hex")
                res = m.run()
                r = run_rtl(ISA, image, sim, res.cycles + 200, Path(d), record=False)
                free.append(r.cycles_per_second)
            t0 = time.perf_counter()
            out = lockstep(elf, ISA, sim, input_bytes=data)
            e2e.append(out.iss.cycles / (time.perf_counter() - t0))
            logged.append(out.rtl.cycles_per_second)
            assert out.ok, out.report
            cycles = out.iss.cycles
    return {"cycles": cycles, "free": statistics.median(free), "lockstep_rtl": statistics.median(logged),
            "lockstep_e2e": statistics.median(e2e)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--sims", nargs="+", default=["icarus", "verilator"], choices=["icarus", "verilator"])
    args = p.parse_args()
    log = diskcache.writable(diskcache.cache_root() / "cosim") / "rtl_speed.log"
    print(f"{'simulator':<10} {'cycles':>8} {'free-running':>14} {'lockstep (RTL)':>15} "
          f"{'lockstep (e2e)':>15}"
          "   [simulated cycles/s, median]")
    for sim, data in RUNS:
        if sim not in args.sims:
            continue
        if not harness.have_sim(sim):
            print(f"{sim:<10} not installed")
            continue
        r = measure(sim, data, args.repeat, log)
        print(f"{sim:<10} {r['cycles']:>8} {r['free']:>14,.0f} {r['lockstep_rtl']:>15,.0f} "
              f"{r['lockstep_e2e']:>15,.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
