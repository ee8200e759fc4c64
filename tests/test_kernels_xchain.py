"""Xchain kernel variants on the ISS (QEMU has no custom opcodes).

Expected verdicts and digests come from independent references: the
``ecdsa`` package (secp256k1), gmssl (SM2) and pycryptodome (Keccak-256),
through the record builders of test_kernels_sig.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from Crypto.Hash import keccak
from test_kernels_sig import batch, k1_records, sm2_records, verdicts
from toolchain import have_toolchain

from chainrv.kernels import KERNELS_DIR

simulator = pytest.importorskip("simulator", reason="the ISS (simulator package) is not available")

pytestmark = pytest.mark.skipif(not have_toolchain(), reason="needs the RISC-V toolchain")

XCHAIN_ISAS = ("rv32im_xchain", "rv32im_zicsr_zk_zks_xchain")
KERNELS = ("ecdsa_secp256k1_xchain", "sm2_xchain", "keccak256_xchain")
KECCAK_LENGTHS = (0, 1, 135, 136, 137, 271, 272, 300, 1000)


def run(elf: Path, isa: str, data: bytes | None = None):
    res = simulator.run_elf(elf, isa=isa, input_bytes=data)
    assert res.exit_code == 0, res.trap
    return res.stdout.decode()


@pytest.mark.parametrize("name", KERNELS)
def test_manifest(name: str) -> None:
    m = json.loads((KERNELS_DIR / name / "kernel.json").read_text())
    assert tuple(m["isas"]) == XCHAIN_ISAS
    # the variant runs its baseline's main.c and default vector: same answer, same work
    assert m["baseline"] == name.removesuffix("_xchain")
    base = json.loads((KERNELS_DIR / m["baseline"] / "kernel.json").read_text())
    for key in ("expected_stdout", "bytes", "verifies", "unit", "default_vectors"):
        assert m.get(key) == base.get(key), key
    main, base_main = KERNELS_DIR / name / m["sources"][0], KERNELS_DIR / m["baseline"] / base["sources"][0]
    assert main.resolve() == base_main.resolve()
    if name == "keccak256_xchain":
        msg = bytes(i % 256 for i in range(m["bytes"]))
        assert m["expected_stdout"] == keccak.new(digest_bits=256, data=msg).hexdigest() + "\n"


@pytest.mark.parametrize("isa", XCHAIN_ISAS)
@pytest.mark.parametrize("name", KERNELS)
def test_default_vector(kernel_elf, name: str, isa: str) -> None:
    expected = json.loads((KERNELS_DIR / name / "kernel.json").read_text())["expected_stdout"]
    assert run(kernel_elf(name, isa), isa) == expected


@pytest.mark.parametrize("isa", XCHAIN_ISAS)
def test_keccak256_random_inputs(kernel_elf, isa: str) -> None:
    rng = random.Random(11)
    elf = kernel_elf("keccak256_xchain", isa)
    for n in KECCAK_LENGTHS:
        msg = rng.randbytes(n)
        want = keccak.new(digest_bits=256, data=msg).hexdigest() + "\n"
        assert run(elf, isa, msg) == want, n


def test_ecdsa_random_signatures(kernel_elf) -> None:
    recs = k1_records(random.Random(12))
    assert any(r[4] for r in recs) and not all(r[4] for r in recs)
    isa = XCHAIN_ISAS[0]
    assert run(kernel_elf("ecdsa_secp256k1_xchain", isa), isa, batch(recs)) == verdicts(recs)


def test_sm2_random_signatures(kernel_elf) -> None:
    recs = sm2_records(random.Random(13))
    assert any(r[4] for r in recs) and not all(r[4] for r in recs)
    isa = XCHAIN_ISAS[0]
    assert run(kernel_elf("sm2_xchain", isa), isa, batch(recs)) == verdicts(recs)


def test_xchain_code_traps_when_switched_off(kernel_elf) -> None:
    # the same ELF on a core without xchain: an illegal-instruction trap
    res = simulator.run_elf(kernel_elf("keccak256_xchain", XCHAIN_ISAS[1]), isa="rv32im_zicsr_zk_zks")
    assert res.stop == "trap" and res.exit_code is None
    assert "illegal instruction" in res.trap and "xor3" in res.trap


def test_build_defines_xchain_only_with_the_extension() -> None:
    from chainrv.toolchain import compile_flags
    from isa.config import IsaConfig

    assert "-DCHAINRV_XCHAIN=1" in compile_flags(IsaConfig.parse("rv32im_xchain"), "2", False)
    assert "-DCHAINRV_XCHAIN=1" not in compile_flags(IsaConfig.parse("rv32im_zicsr_zk_zks"), "2", False)
    assert "xchain" not in compile_flags(IsaConfig.parse("rv32im_xchain"), "2", False)[0]


# ---- single instructions on the ISS: values and timing (docs/timing.md) ----

FIN = "lui t0, 0x100\nlui t1, 0x5\naddi t1, t1, 0x555\nsw t1, 0(t0)\n"


def run_asm(tmp_path: Path, body: str, isa: str = "rv32im_xchain"):
    from isa.asm import assemble
    from isa.elfwriter import make_elf

    elf = tmp_path / "t.elf"
    elf.write_bytes(make_elf([(0x80000000, assemble(body + FIN))], 0x80000000))
    m = simulator.Machine(isa)
    m.load_elf(elf)
    res = m.run(max_instructions=100_000)
    return m, res


def test_iss_values_match_python_integers(tmp_path: Path) -> None:
    from test_xchain_isa import REFERENCE, XCHAIN

    rng = random.Random(14)
    triples = [(rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(32)) for _ in range(6)]
    triples += [(0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), (0, 1, 2)]
    body, want = "lui gp, 0x80080\n", []
    for insn in XCHAIN:
        for a, b, c in triples:
            third = c & 31 if insn.fmt == "Rrot" else c
            body += f"li a1, {a}\nli a2, {b}\nli a3, {c}\n"
            body += f"{insn.name} a0, a1, a2, {third if insn.fmt == 'Rrot' else 'a3'}\n"
            body += f"sw a0, {4 * len(want)}(gp)\n"
            want.append(REFERENCE[insn.name](a, b, third))
            if len(want) == 500:
                break
    m, res = run_asm(tmp_path, body)
    assert res.exit_code == 0, res.trap
    got = m.read_mem(0x80080000, 4 * len(want))
    assert [int.from_bytes(got[4 * k:4 * k + 4], "little") for k in range(len(want))] == want


def test_iss_rs3_load_use_stall(tmp_path: Path) -> None:
    gp = "lui gp, 0x80080\n"
    # n = 1 + 2 + 4 = 7 slots: 4 + 7 = 11 cycles, +1 when the loaded register is read next
    cases = {
        "lw t2, 0(gp)\nxor3 t3, t4, t5, t2\n": 12,        # rs3 right after the load
        "lw t2, 0(gp)\nxor3 t3, t4, t5, t6\n": 11,        # independent
        "lw t2, 0(gp)\nxorrol t3, t4, t5, 7\n": 11,       # Rrot: 7 is an amount, not x7 = t2
        "lw t2, 0(gp)\nmaddhu t3, t4, t5, t2\n": 12,
    }
    for body, cycles in cases.items():
        _, res = run_asm(tmp_path, gp + body)
        assert res.exit_code == 0, res.trap
        assert res.cycles == cycles, body


def test_iss_rs3_repeating_rs1_stalls_once(tmp_path: Path) -> None:
    _, res = run_asm(tmp_path, "lui gp, 0x80080\nlw t2, 0(gp)\nxor3 t3, t2, t5, t2\n")
    assert res.exit_code == 0, res.trap
    assert res.cycles == 12
