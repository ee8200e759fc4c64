"""Signature-verification kernels (ECDSA over secp256k1, SM2) on QEMU.

Every expected verdict comes from an independent reference: the ``ecdsa``
package for secp256k1 and gmssl for SM2 (plus the range checks of
GB/T 32918.2, which gmssl's verify leaves out), never from the kernels.
"""

from __future__ import annotations

import hashlib
import json
import random
import struct
from pathlib import Path

import ecdsa
import pytest
from ecdsa.util import sigencode_strings
from gmssl import sm2, sm3
from qemu import have_qemu, run_qemu
from toolchain import have_toolchain

from isa.memmap import input_block

pytestmark = [pytest.mark.qemu,
              pytest.mark.skipif(not (have_qemu() and have_toolchain()),
                                 reason="needs qemu-system-riscv32 and the RISC-V toolchain")]

KERNELS = Path(__file__).resolve().parent.parent / "kernels"
BASE_ISA = "rv32im"
FULL_ISA = "rv32im_zicsr_zk_zks"

K1 = ecdsa.SECP256k1
K1_N = K1.order
K1_P = K1.curve.p()

SM2_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
SM2_G = sm2.default_ecc_table["g"]
SM2_ABGXY = bytes.fromhex(sm2.default_ecc_table["a"] + sm2.default_ecc_table["b"] + SM2_G)
SM2_ID = b"1234567812345678"

Record = tuple[bytes, bytes, bytes, bytes, bool]  # digest, pubkey, r, s, expected verdict


def manifest(kernel: str) -> dict:
    return json.loads((KERNELS / kernel / "kernel.json").read_text())


@pytest.fixture(scope="session")
def elfs(kernel_elf) -> dict[tuple[str, str], Path]:
    return {(k, isa): kernel_elf(k, isa) for k in ("ecdsa_secp256k1", "sm2") for isa in (BASE_ISA, FULL_ISA)}


def run_block(elf: Path, isa: str, data: bytes, tmp_path: Path) -> tuple[int, str]:
    block = tmp_path / "input.bin"
    block.write_bytes(input_block(data))
    res = run_qemu(elf, isa, input_file=block, timeout=120)
    return res.status, res.text


def batch(records: list[Record]) -> bytes:
    return struct.pack("<I", len(records)) + b"".join(d + q + r + s for d, q, r, s, _ in records)


def verdicts(records: list[Record]) -> str:
    return "".join("valid\n" if ok else "invalid\n" for *_, ok in records)


def be32(v: int) -> bytes:
    return v.to_bytes(32, "big")


def flip(b: bytes, bit: int) -> bytes:
    v = bytearray(b)
    v[bit // 8] ^= 1 << (bit % 8)
    return bytes(v)


# ---- secp256k1 reference (ecdsa package) ----

def k1_valid(z: bytes, pub: bytes, r: bytes, s: bytes) -> bool:
    try:
        vk = ecdsa.VerifyingKey.from_string(pub, curve=K1)
    except (ecdsa.MalformedPointError, AssertionError):
        return False
    try:
        return vk.verify_digest(r + s, z, sigdecode=ecdsa.util.sigdecode_string)
    except ecdsa.BadSignatureError:
        return False


def k1_record(z: bytes, pub: bytes, r: bytes, s: bytes) -> Record:
    return z, pub, r, s, k1_valid(z, pub, r, s)


def k1_records(rng: random.Random) -> list[Record]:
    recs: list[Record] = []
    signed = []
    keys = [1, K1_N - 1] + [rng.randrange(2, K1_N - 1) for _ in range(4)]   # Q = G, Q = -G, random
    for i, d in enumerate(keys):
        sk = ecdsa.SigningKey.from_secret_exponent(d, curve=K1)
        pub = sk.get_verifying_key().to_string()
        z = b"\xff" * 32 if i == 2 else hashlib.sha256(rng.randbytes(40)).digest()   # z >= n once
        r, s = sk.sign_digest(z, sigencode=sigencode_strings, entropy=rng.randbytes)
        signed.append((z, pub, r, s))
        recs.append(k1_record(z, pub, r, s))
        # (r, n - s) is the other valid signature: one of the two has s in the upper half
        recs.append(k1_record(z, pub, r, be32(K1_N - int.from_bytes(s, "big"))))
    z, pub, r, s = signed[3]
    other_pub = signed[4][1]
    recs += [
        k1_record(z, pub, flip(r, 3), s),
        k1_record(z, pub, r, flip(s, 200)),
        k1_record(flip(z, 255), pub, r, s),
        k1_record(z, other_pub, r, s),
        k1_record(z, pub, be32(0), s),
        k1_record(z, pub, r, be32(0)),
        k1_record(z, pub, r, be32(K1_N)),
        k1_record(z, pub, be32(K1_N), s),
        k1_record(z, pub, r, be32(K1_N + int.from_bytes(s, "big") if int.from_bytes(s, "big") < 2**256 - K1_N
                                   else 2**256 - 1)),
    ]
    # a public key off the curve (y + 1); the ecdsa package refuses to load it
    bad_pub = pub[:32] + be32((int.from_bytes(pub[32:], "big") + 1) % K1_P)
    recs.append((z, bad_pub, r, s, False))
    return recs


# ---- SM2 reference (gmssl) ----

def sm2_pub(d: int) -> bytes:
    return bytes.fromhex(sm2.CryptSM2(private_key="", public_key="")._kg(d, SM2_G))


def sm2_e(pub: bytes, msg: bytes) -> bytes:
    """e = SM3(ZA || M), ZA = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GB/T 32918.2, 5.5)."""
    za = bytes.fromhex(sm3.sm3_hash(list(struct.pack(">H", 8 * len(SM2_ID)) + SM2_ID + SM2_ABGXY + pub)))
    return bytes.fromhex(sm3.sm3_hash(list(za + msg)))


def sm2_valid(e: bytes, pub: bytes, r: bytes, s: bytes) -> bool:
    ri, si = int.from_bytes(r, "big"), int.from_bytes(s, "big")
    # GB/T 32918.2 B1, B2, B5; gmssl's verify computes the rest
    if not (1 <= ri < SM2_N and 1 <= si < SM2_N) or (ri + si) % SM2_N == 0:
        return False
    return bool(sm2.CryptSM2(private_key="", public_key=pub.hex()).verify((r + s).hex(), e))


def sm2_record(e: bytes, pub: bytes, r: bytes, s: bytes) -> Record:
    return e, pub, r, s, sm2_valid(e, pub, r, s)


def sm2_sign(d: int, pub: bytes, e: bytes, rng: random.Random) -> tuple[bytes, bytes]:
    signer = sm2.CryptSM2(private_key=f"{d:064x}", public_key=pub.hex())
    while True:
        sig = signer.sign(e, f"{rng.randrange(1, SM2_N):064x}")
        if sig is not None:
            return bytes.fromhex(sig[:64]), bytes.fromhex(sig[64:])


def sm2_key(rng: random.Random) -> tuple[int, bytes]:
    while True:
        d = rng.randrange(1, SM2_N - 1)
        pub = sm2_pub(d)
        if not pub.hex().startswith("04"):   # gmssl strips a leading "04" as if it were a point prefix
            return d, pub


def sm2_records(rng: random.Random) -> list[Record]:
    recs: list[Record] = []
    signed = []
    for i in range(4):
        d, pub = sm2_key(rng)
        e = b"\xff" * 32 if i == 1 else sm2_e(pub, rng.randbytes(24))   # e >= n once
        r, s = sm2_sign(d, pub, e, rng)
        signed.append((e, pub, r, s))
        recs.append(sm2_record(e, pub, r, s))
    e, pub, r, s = signed[0]
    ri, si = int.from_bytes(r, "big"), int.from_bytes(s, "big")
    recs += [
        sm2_record(e, pub, flip(r, 7), s),
        sm2_record(e, pub, r, flip(s, 128)),
        sm2_record(flip(e, 0), pub, r, s),
        sm2_record(e, signed[2][1], r, s),
        sm2_record(e, pub, be32(0), s),
        sm2_record(e, pub, r, be32(0)),
        sm2_record(e, pub, r, be32(SM2_N)),
        sm2_record(e, pub, be32(ri + SM2_N) if ri + SM2_N < 2**256 else be32(SM2_N), s),
        sm2_record(e, pub, be32((SM2_N - si) % SM2_N), s),          # t = r + s = n
        sm2_record(e, pub, r, be32(SM2_N - si)),                    # s replaced by n - s
    ]
    return recs


# ---- tests ----

@pytest.mark.parametrize("isa", [BASE_ISA, FULL_ISA])
@pytest.mark.parametrize("kernel", ["ecdsa_secp256k1", "sm2"])
def test_default_vector(elfs, kernel: str, isa: str) -> None:
    res = run_qemu(elfs[kernel, isa], isa, timeout=120)
    assert res.status == 0
    assert res.text == manifest(kernel)["expected_stdout"]


@pytest.mark.parametrize("kernel", ["ecdsa_secp256k1", "sm2"])
def test_manifest_vectors_agree_with_reference(elfs, kernel: str, tmp_path: Path) -> None:
    """kernel.json's vectors: the reference's verdicts, expected_stdout, and the kernel's output."""
    m = manifest(kernel)
    key, check = ("z", k1_valid) if kernel == "ecdsa_secp256k1" else ("e", sm2_valid)
    recs = []
    for v in m["default_vectors"]:
        fields = [bytes.fromhex(v[k]) for k in (key, "pubkey", "r", "s")]
        assert check(*fields) == v["valid"]
        recs.append((*fields, v["valid"]))
    assert m["verifies"] == len(recs)
    assert m["expected_stdout"] == verdicts(recs)
    assert any(ok for *_, ok in recs)
    status, out = run_block(elfs[kernel, BASE_ISA], BASE_ISA, batch(recs), tmp_path)
    assert (status, out) == (0, m["expected_stdout"])


def test_ecdsa_random_and_invalid(elfs, tmp_path: Path) -> None:
    recs = k1_records(random.Random(1))
    assert sum(ok for *_, ok in recs) >= 12 and sum(not ok for *_, ok in recs) >= 10
    status, out = run_block(elfs["ecdsa_secp256k1", BASE_ISA], BASE_ISA, batch(recs), tmp_path)
    assert status == 0
    assert out.splitlines() == verdicts(recs).splitlines()


def test_sm2_random_and_invalid(elfs, tmp_path: Path) -> None:
    recs = sm2_records(random.Random(2))
    assert sum(ok for *_, ok in recs) >= 4 and sum(not ok for *_, ok in recs) >= 9
    status, out = run_block(elfs["sm2", BASE_ISA], BASE_ISA, batch(recs), tmp_path)
    assert status == 0
    assert out.splitlines() == verdicts(recs).splitlines()


@pytest.mark.parametrize("kernel", ["ecdsa_secp256k1", "sm2"])
def test_full_isa_build_checks_a_batch(elfs, kernel: str, tmp_path: Path) -> None:
    rng = random.Random(3)
    # two valid and two invalid records (the lists hold the valid ones first)
    recs = k1_records(rng) if kernel == "ecdsa_secp256k1" else sm2_records(rng)
    valid, invalid = [x for x in recs if x[-1]], [x for x in recs if not x[-1]]
    recs = [valid[0], invalid[0], valid[1], invalid[1]]
    status, out = run_block(elfs[kernel, FULL_ISA], FULL_ISA, batch(recs), tmp_path)
    assert (status, out) == (0, verdicts(recs))


def test_single_record_without_count(elfs, tmp_path: Path) -> None:
    v = manifest("ecdsa_secp256k1")["default_vectors"][0]
    data = b"".join(bytes.fromhex(v[k]) for k in ("z", "pubkey", "r", "s"))
    assert len(data) == 160
    assert run_block(elfs["ecdsa_secp256k1", BASE_ISA], BASE_ISA, data, tmp_path) == (0, "valid\n")


@pytest.mark.parametrize("length", [0, 3, 159, 161, 4 + 2 * 160 - 1])
def test_bad_input_length_is_an_error(elfs, tmp_path: Path, length: int) -> None:
    data = struct.pack("<I", 2) + bytes(max(0, length - 4)) if length >= 4 else bytes(length)
    status, out = run_block(elfs["sm2", BASE_ISA], BASE_ISA, data, tmp_path)
    assert status == 1
    assert out.startswith("error: ") and out.count("\n") == 1


def test_many_random_signatures(elfs, tmp_path: Path) -> None:
    """A sweep over random keys: 120 secp256k1 and 30 SM2 signatures, a quarter corrupted."""
    rng = random.Random(4)
    k1: list[Record] = []
    for _ in range(120):
        sk = ecdsa.SigningKey.from_secret_exponent(rng.randrange(1, K1_N), curve=K1)
        pub = sk.get_verifying_key().to_string()
        z = rng.randbytes(32)
        r, s = sk.sign_digest(z, sigencode=sigencode_strings, entropy=rng.randbytes)
        if rng.random() < 0.25:
            z = flip(z, rng.randrange(256))
        k1.append(k1_record(z, pub, r, s))
    status, out = run_block(elfs["ecdsa_secp256k1", BASE_ISA], BASE_ISA, batch(k1), tmp_path)
    assert (status, out) == (0, verdicts(k1))
    sm: list[Record] = []
    for _ in range(30):
        d, pub = sm2_key(rng)
        e = rng.randbytes(32)
        r, s = sm2_sign(d, pub, e, rng)
        if rng.random() < 0.25:
            s = flip(s, rng.randrange(256))
        sm.append(sm2_record(e, pub, r, s))
    status, out = run_block(elfs["sm2", BASE_ISA], BASE_ISA, batch(sm), tmp_path)
    assert (status, out) == (0, verdicts(sm))


# ---- the ISS agrees with QEMU ----

@pytest.mark.parametrize("isa", [BASE_ISA, FULL_ISA])
@pytest.mark.parametrize("kernel", ["ecdsa_secp256k1", "sm2"])
def test_iss_default_vector_matches_qemu(elfs, kernel: str, isa: str) -> None:
    simulator = pytest.importorskip("simulator")
    q = run_qemu(elfs[kernel, isa], isa, timeout=120)
    r = simulator.run_elf(elfs[kernel, isa], isa=isa)
    assert (r.exit_code, r.stdout.decode("latin-1")) == (q.status, q.text)
    assert r.cycles >= r.instret > 0


def test_iss_batch_matches_qemu(elfs, tmp_path: Path) -> None:
    simulator = pytest.importorskip("simulator")
    recs = k1_records(random.Random(5))
    recs = [x for x in recs if x[-1]][:4] + [x for x in recs if not x[-1]][-4:]
    assert [ok for *_, ok in recs] == [True] * 4 + [False] * 4
    data = batch(recs)
    elf = elfs["ecdsa_secp256k1", BASE_ISA]
    r = simulator.run_elf(elf, isa=BASE_ISA, input_bytes=data)
    assert (r.exit_code, r.stdout.decode("latin-1")) == run_block(elf, BASE_ISA, data, tmp_path)
    assert r.stdout.decode("latin-1") == verdicts(recs)
