"""ISS speed: MIPS of warm ``chainrv run`` on a SHA-256 kernel and a branch-heavy kernel,
with and without ``--profile``, against ``qemu-system-riscv32`` wall time on the same ELF.

``MIPS`` is the execute loop's rate as ``--stats`` reports it; ``run MIPS`` is
instructions over the wall time of the whole ``chainrv run`` process (Python and
Numba start-up, loading the cached loop, ELF loading included), which approaches
the loop's rate on long programs: the last row runs about 370M instructions.

    python benchmarks/iss_speed.py [--runs 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from isa.asm import assemble  # noqa: E402
from isa.elfwriter import make_elf  # noqa: E402

# Branch-heavy: an LCG drives data-dependent branches (about half taken) in a loop.
BRANCHY = """
    li s0, {iterations}
    li s1, 12345
    li s2, 1103515245
    li s3, 0
loop:
    mul s1, s1, s2
    addi s1, s1, 1234
    srli t0, s1, 16
    andi t1, t0, 1
    beq t1, zero, even
    addi s3, s3, 3
    j next
even:
    andi t2, t0, 2
    bne t2, zero, next
    xori s3, s3, 0x55
next:
    addi s0, s0, -1
    bne s0, zero, loop
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
"""


def build(tmp: Path) -> list[tuple[str, Path, Path | None, str]]:
    progs = []
    sha = ROOT / "kernels" / "sha256"
    data = tmp / "in.bin"
    data.write_bytes(random.Random(1).randbytes(120_000))
    if sha.is_dir():
        from chainrv.toolchain import build_elf
        srcs = [sha / s for s in json.loads((sha / "kernel.json").read_text())["sources"]]
        for isa in ("rv32im_zicsr_zk_zks", "rv32im"):
            out = tmp / f"sha256_{isa}.elf"
            build_elf(srcs, out, isa=isa, opt="2")
            progs.append((f"sha256 ({isa}, 120 KB)", out, data, isa))
    for label, iterations in (("", 3_000_000), (", long", 40_000_000)):
        br = tmp / f"branchy{iterations}.elf"
        br.write_bytes(make_elf([(0x80000000, assemble(BRANCHY.format(iterations=iterations)))], 0x80000000))
        progs.append((f"branch-heavy (asm{label})", br, None, "rv32im_zicsr_zk_zks"))
    return progs


def iss_run(elf: Path, inp: Path | None, isa: str, profile: bool) -> dict:
    cmd = [sys.executable, "-m", "chainrv.cli", "run", str(elf), "--stats", "--isa", isa]
    if inp:
        cmd += ["--input", str(inp)]
    if profile:
        cmd += ["--profile"]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    line = next(ln for ln in p.stderr.splitlines() if ln.startswith("instructions="))
    f = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}
    return {"wall": wall, **f}


def qemu_wall(elf: Path, inp: Path | None, isa: str) -> float | None:
    from qemu import have_qemu, run_qemu
    if not have_qemu():
        return None
    t0 = time.perf_counter()
    run_qemu(elf, isa, input_file=inp)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for name, elf, inp, isa in build(Path(d)):
            iss_run(elf, inp, isa, False)  # warm Numba's cache
            iss_run(elf, inp, isa, True)
            plain = [iss_run(elf, inp, isa, False) for _ in range(args.runs)]
            prof = [iss_run(elf, inp, isa, True) for _ in range(args.runs)]
            q = [qemu_wall(elf, inp, isa) for _ in range(args.runs)]
            qw = statistics.median(q) if q[0] is not None else None
            row = {
                "kernel": name, "instructions": int(plain[0]["instructions"]),
                "cycles": int(plain[0]["cycles"]),
                "mips": statistics.median(r["mips"] for r in plain),
                "mips_profile": statistics.median(r["mips"] for r in prof),
                "iss_wall_s": statistics.median(r["wall"] for r in plain),
                "run_mips": statistics.median(r["instructions"] / r["wall"] / 1e6 for r in plain),
                "jit_load_s": statistics.median(r["jit_seconds"] for r in plain),
                "qemu_wall_s": qw,
            }
            row["wall_ratio_iss_over_qemu"] = row["iss_wall_s"] / qw if qw else None
            rows.append(row)
    print(f"{'kernel':<34} {'instrs':>10} {'MIPS':>8} {'MIPS prof':>9} {'run MIPS':>8} {'ISS wall':>9} "
          f"{'JIT load':>8} {'QEMU wall':>9} {'ratio':>6}")
    for r in rows:
        qw = f"{r['qemu_wall_s']:.3f}" if r["qemu_wall_s"] else "-"
        ratio = f"{r['wall_ratio_iss_over_qemu']:.2f}" if r["wall_ratio_iss_over_qemu"] else "-"
        print(f"{r['kernel']:<34} {r['instructions']:>10} {r['mips']:>8.1f} {r['mips_profile']:>9.1f} "
              f"{r['run_mips']:>8.1f} "
              f"{r['iss_wall_s']:>9.3f} {r['jit_load_s']:>8.3f} {qw:>9} {ratio:>6}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
