"""Cycle counts (ISS) behind the figures of docs/xchain.md: one 256-bit
modular multiplication, ECDSA and SM2 verification, Keccak-f[1600], for the
base, Zbkb, Zk+Zks and Xchain variants; prints the table of docs/xchain.md.

    python benchmarks/xchain_cycles.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from chainrv.kernels import KERNELS_DIR, all_kernels
from chainrv.toolchain import build_elf
from simulator import run_elf

HERE = Path(__file__).resolve().parent  # fe_mul_bench.c lives beside this script
BIGNUM = KERNELS_DIR / "bignum"
FIELDS = {"secp256k1": "fe_secp256k1.c", "sm2": "fe_sm2.c"}
ISAS = ("rv32im", "rv32im_zbkb", "rv32im_zicsr_zk_zks", "rv32im_xchain")


def fe_mul_cycles(field: str, isa: str, tmp: Path) -> float:
    srcs = [HERE / "fe_mul_bench.c", BIGNUM / "bn.c", BIGNUM / "fe_common.c", BIGNUM / FIELDS[field]]
    cyc = []
    for n in (100, 1100):
        elf = build_elf(srcs, tmp / f"{field}-{isa}-{n}.elf", isa=isa, defines=[f"FE_MUL_N={n}"])
        cyc.append(run_elf(elf, isa=isa).cycles)
    return (cyc[1] - cyc[0]) / 1000


def kernel_run(name: str, isa: str):
    k = all_kernels()[name]
    res = run_elf(k.build(isa), isa=isa, profile=True)
    assert res.stdout.decode() == k.expected_stdout, (name, isa)
    return res


def keccak_f_cycles(name: str, isa: str) -> float:
    res = kernel_run(name, isa)
    f = next(f for f in res.profile.functions if f.name == "keccak_f1600")
    blocks = all_kernels()[name].bytes // 136 + 1
    return f.cycles / blocks


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        for isa in ISAS:
            x = "xchain" in isa
            sfx = "_xchain" if x else ""
            rows.append((isa,
                         fe_mul_cycles("secp256k1", isa, tmp), fe_mul_cycles("sm2", isa, tmp),
                         kernel_run("ecdsa_secp256k1" + sfx, isa).cycles / 2,
                         kernel_run("sm2" + sfx, isa).cycles / 2,
                         keccak_f_cycles("keccak256" + sfx, isa)))
    print("| ISA | fe_mul secp256k1 | fe_mul SM2 | ECDSA verify | SM2 verify | Keccak-f[1600] |")
    print("|---|---|---|---|---|---|")
    for isa, *v in rows:
        print(f"| {isa} | " + " | ".join(f"{x:,.0f}" for x in v) + " |")


if __name__ == "__main__":
    main()
