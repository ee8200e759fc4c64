"""ISS speed under the GDB stub: MIPS of a load/store loop run plainly, under
gdb with a breakpoint armed (never hit), and with a breakpoint and a data
watchpoint armed (on a word the loop never touches, so every one of its
accesses is checked and none stops), with ``gdb-multiarch`` in batch mode
driving ``continue``.
Breakpoints live in the pre-decoded array and watchpoints switch to the
``run_watch`` loop, so neither should leave the compiled fast path.

    python benchmarks/gdb_speed.py [--runs 3] [--iterations 20000000]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from isa.asm import assemble
from isa.elfwriter import make_elf

# Read-modify-write over a 1 KiB buffer: two memory accesses in eight instructions.
LOOP = """
    li s0, {iterations}
    li s1, 0x80020000
    li s3, 0
loop:
    andi t0, s0, 1020
    add t1, s1, t0
    lw t2, 0(t1)
    add s3, s3, t2
    xor t2, t2, s0
    sw t2, 0(t1)
    addi s0, s0, -1
    bne s0, zero, loop
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
"""

NEVER_REACHED = 0x80001000      # past the program's last instruction
WATCHED = 0x80010000            # a word the program never touches
MODES = {
    "plain": None,
    "gdb, breakpoint": [f"break *{NEVER_REACHED:#x}"],
    "gdb, breakpoint + watchpoint": [f"break *{NEVER_REACHED:#x}", f"watch *(int *){WATCHED:#x}"],
}


def run(elf: Path, gdb_commands: list[str] | None) -> float:
    """MIPS of one run, from ``--stats``."""
    cmd = [sys.executable, "-m", "chainrv.cli", "run", str(elf), "--stats"]
    if gdb_commands is None:
        err = subprocess.run(cmd, capture_output=True, text=True, check=False).stderr
    else:
        sim = subprocess.Popen([*cmd, "--gdb", "0", "--gdb-wait"], stderr=subprocess.PIPE, text=True)
        assert sim.stderr is not None
        banner = sim.stderr.readline()
        port = re.search(r"localhost:(\d+)", banner)
        if not port:
            sim.kill()
            raise SystemExit(f"no gdb server: {banner.strip()}")
        gdb = ["gdb-multiarch", "-q", "-batch", "-ex", "set architecture riscv:rv32",
               "-ex", f"target remote localhost:{port[1]}"]
        for c in [*gdb_commands, "continue"]:
            gdb += ["-ex", c]
        subprocess.run(gdb, capture_output=True, check=False, timeout=300)
        err = sim.stderr.read()
        sim.wait(timeout=60)
    m = re.search(r"mips=([\d.]+)", err)
    if not m:
        raise SystemExit(f"no --stats line: {err.strip()}")
    return float(m[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=20_000_000)
    args = ap.parse_args()
    if shutil.which("gdb-multiarch") is None:
        print("gdb-multiarch not installed")
        return 0
    with tempfile.TemporaryDirectory() as d:
        elf = Path(d) / "memloop.elf"
        words = assemble(LOOP.format(iterations=args.iterations))
        elf.write_bytes(make_elf([(0x80000000, words)], 0x80000000))
        run(elf, None)                       # warm Numba's cache
        rows = {mode: statistics.median(run(elf, c) for _ in range(args.runs)) for mode, c in MODES.items()}
    plain = rows["plain"]
    print(f"{'mode':<30} {'MIPS':>8} {'vs plain':>9}   [load/store loop, median of {args.runs}]")
    for mode, mips in rows.items():
        print(f"{mode:<30} {mips:>8.1f} {mips / plain:>8.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
