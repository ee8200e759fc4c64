"""ECDSA over NIST P-256 (``ecdsa_p256``, ``ecdsa_p256_xchain``).

Every expected verdict comes from ``cryptography`` (OpenSSL, ec.SECP256R1),
and each is checked against the ``ecdsa`` package (NIST256p) too, so the two
references must agree before the kernel is asked.  The base kernel runs on
QEMU, the Xchain variant on the ISS.
"""

from __future__ import annotations

import hashlib
import random
import struct
from pathlib import Path

import ecdsa
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from qemu import have_qemu, run_qemu
from test_kernels_sig import batch, be32, flip, manifest, run_block, verdicts
from toolchain import have_toolchain

pytestmark = pytest.mark.skipif(not have_toolchain(), reason="needs the RISC-V toolchain")
needs_qemu = pytest.mark.skipif(not have_qemu(), reason="needs qemu-system-riscv32")

BASE_ISA = "rv32im"
FULL_ISA = "rv32im_zicsr_zk_zks"
XCHAIN_ISA = "rv32im_xchain"

CURVE = ecdsa.NIST256p
N = CURVE.order
P = CURVE.curve.p()
G = CURVE.generator

Record = tuple[bytes, bytes, bytes, bytes, bool]  # digest, pubkey, r, s, expected verdict


def crypto_valid(z: bytes, pub: bytes, r: bytes, s: bytes) -> bool:
    try:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + pub)
    except ValueError:           # off the curve, or a coordinate >= p
        return False
    sig = utils.encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))
    try:
        key.verify(sig, z, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    except InvalidSignature:
        return False
    return True


def ecdsa_valid(z: bytes, pub: bytes, r: bytes, s: bytes) -> bool:
    try:
        vk = ecdsa.VerifyingKey.from_string(pub, curve=CURVE)
    except (ecdsa.MalformedPointError, AssertionError):
        return False
    try:
        return vk.verify_digest(r + s, z, sigdecode=ecdsa.util.sigdecode_string)
    except ecdsa.BadSignatureError:
        return False
    except TypeError:            # ecdsa takes x of the point at infinity (None % n)
        return False


def record(z: bytes, pub: bytes, r: bytes, s: bytes) -> Record:
    ok = crypto_valid(z, pub, r, s)
    assert ecdsa_valid(z, pub, r, s) == ok, (z.hex(), pub.hex(), r.hex(), s.hex())
    return z, pub, r, s, ok


def keypair(d: int) -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    sk = ec.derive_private_key(d, ec.SECP256R1())
    nums = sk.public_key().public_numbers()
    return sk, be32(nums.x) + be32(nums.y)


def sign(sk: ec.EllipticCurvePrivateKey, z: bytes) -> tuple[bytes, bytes]:
    r, s = utils.decode_dss_signature(sk.sign(z, ec.ECDSA(utils.Prehashed(hashes.SHA256()))))
    return be32(r), be32(s)


def random_records(rng: random.Random, count: int, corrupt: float = 0.25) -> list[Record]:
    recs = []
    for _ in range(count):
        sk, pub = keypair(rng.randrange(1, N))
        z = rng.randbytes(32)
        r, s = sign(sk, z)
        if rng.random() < 0.5:
            s = be32(N - int.from_bytes(s, "big"))          # high-S: the other valid signature
        if rng.random() < corrupt:
            which = rng.randrange(3)
            if which == 0:
                z = flip(z, rng.randrange(256))
            elif which == 1:
                r = flip(r, rng.randrange(256))
            else:
                s = flip(s, rng.randrange(256))
        recs.append(record(z, pub, r, s))
    return recs


def edge_records(rng: random.Random) -> list[Record]:
    recs: list[Record] = []
    signed = []
    for i, d in enumerate([1, N - 1, 2, rng.randrange(2, N - 1), rng.randrange(2, N - 1)]):
        sk, pub = keypair(d)
        z = [b"\xff" * 32, bytes(32), hashlib.sha256(b"p256").digest()][i] if i < 3 else rng.randbytes(32)
        r, s = sign(sk, z)
        signed.append((z, pub, r, s))
        recs.append(record(z, pub, r, s))
        recs.append(record(z, pub, r, be32(N - int.from_bytes(s, "big"))))   # high-S is valid
    z, pub, r, s = signed[3]
    ri, si = int.from_bytes(r, "big"), int.from_bytes(s, "big")
    x, y = int.from_bytes(pub[:32], "big"), int.from_bytes(pub[32:], "big")
    recs += [
        record(flip(z, 0), pub, r, s),
        record(flip(z, 255), pub, r, s),
        record(z, pub, flip(r, 100), s),
        record(z, pub, r, flip(s, 7)),
        record(z, signed[4][1], r, s),                                # another key
        record(z, pub[:32] + be32(P - y), r, s),                      # -Q: on the curve, wrong key
        record(z, pub, be32(0), s),
        record(z, pub, r, be32(0)),
        record(z, pub, be32(0), be32(0)),
        record(z, pub, be32(N), s),
        record(z, pub, r, be32(N)),
        record(z, pub, be32(ri + N) if ri + N < 2**256 else be32(2**256 - 1), s),   # r + n: same r mod n
        record(z, pub, r, be32(si + N) if si + N < 2**256 else be32(2**256 - 1)),
        record(z, pub, be32(2**256 - 1), s),
        record(z, pub, r, be32(2**256 - 1)),
        record(z, pub, be32(N - 1), be32(N - 1)),
        record(z, pub, be32(1), be32(1)),
    ]
    # public keys that are not points of the curve: neither library loads them
    bad_pubs = [
        pub[:32] + be32((y + 1) % P),                   # off the curve
        bytes(64),                                      # (0, 0): infinity in some encodings
        be32(x + P) + pub[32:] if x + P < 2**256 else be32(P) + pub[32:],   # x >= p
        pub[:32] + be32(y + P) if y + P < 2**256 else pub[:32] + be32(P),   # y >= p
        be32(P) + be32(0),
        b"\xff" * 64,
    ]
    for q in bad_pubs:
        recs.append(record(z, q, r, s))
    # Q = G and z = -r mod n: u1 G + u2 Q = (z + r) / s G is the point at infinity
    zg, pub_g, rg, sg = signed[0]
    recs.append(record(be32((N - int.from_bytes(rg, "big")) % N), pub_g, rg, sg))
    # Q = G, u1 + u2 = 2 u1: u1 G + u2 Q doubles through the addition formula
    recs.append(record(be32(int.from_bytes(rg, "big")), pub_g, rg, sg))
    return recs


@pytest.fixture(scope="session")
def elfs(kernel_elf) -> dict[tuple[str, str], Path]:
    return {("ecdsa_p256", isa): kernel_elf("ecdsa_p256", isa) for isa in (BASE_ISA, FULL_ISA)}


def test_manifest_vectors_agree_with_references() -> None:
    for name in ("ecdsa_p256", "ecdsa_p256_xchain"):
        m = manifest(name)
        fields = [[bytes.fromhex(v[k]) for k in ("z", "pubkey", "r", "s")] for v in m["default_vectors"]]
        recs = [record(*f) for f in fields]
        assert [ok for *_, ok in recs] == [v["valid"] for v in m["default_vectors"]]
        assert m["expected_stdout"] == verdicts(recs) and any(ok for *_, ok in recs)


def test_edge_cases_have_both_verdicts() -> None:
    recs = edge_records(random.Random(1))
    assert sum(ok for *_, ok in recs) >= 10 and sum(not ok for *_, ok in recs) >= 25


@needs_qemu
@pytest.mark.parametrize("isa", [BASE_ISA, FULL_ISA])
def test_default_vector(elfs, isa: str) -> None:
    res = run_qemu(elfs["ecdsa_p256", isa], isa, timeout=120)
    assert (res.status, res.text) == (0, manifest("ecdsa_p256")["expected_stdout"])


@needs_qemu
def test_edge_cases(elfs, tmp_path: Path) -> None:
    recs = edge_records(random.Random(1))
    assert run_block(elfs["ecdsa_p256", BASE_ISA], BASE_ISA, batch(recs), tmp_path) == (0, verdicts(recs))


@needs_qemu
def test_random_signatures(elfs, tmp_path: Path) -> None:
    recs = random_records(random.Random(2), 40)
    assert run_block(elfs["ecdsa_p256", BASE_ISA], BASE_ISA, batch(recs), tmp_path) == (0, verdicts(recs))


@needs_qemu
def test_full_isa_build(elfs, tmp_path: Path) -> None:
    recs = edge_records(random.Random(3))[:12]
    assert run_block(elfs["ecdsa_p256", FULL_ISA], FULL_ISA, batch(recs), tmp_path) == (0, verdicts(recs))


@needs_qemu
def test_single_record_and_bad_length(elfs, tmp_path: Path) -> None:
    z, pub, r, s, ok = random_records(random.Random(4), 1, corrupt=0)[0]
    assert ok
    elf = elfs["ecdsa_p256", BASE_ISA]
    assert run_block(elf, BASE_ISA, z + pub + r + s, tmp_path) == (0, "valid\n")
    status, out = run_block(elf, BASE_ISA, struct.pack("<I", 2) + z + pub + r + s, tmp_path)
    assert status == 1 and out.startswith("error: ")


def test_xchain_variant_on_the_iss(kernel_elf) -> None:
    simulator = pytest.importorskip("simulator")
    recs = edge_records(random.Random(5))[-10:] + random_records(random.Random(6), 4)
    res = simulator.run_elf(kernel_elf("ecdsa_p256_xchain", XCHAIN_ISA), isa=XCHAIN_ISA,
                            input_bytes=batch(recs))
    assert (res.exit_code, res.stdout.decode()) == (0, verdicts(recs))


def test_iss_matches_the_references(kernel_elf) -> None:
    simulator = pytest.importorskip("simulator")
    recs = random_records(random.Random(7), 6)
    res = simulator.run_elf(kernel_elf("ecdsa_p256", BASE_ISA), isa=BASE_ISA, input_bytes=batch(recs))
    assert (res.exit_code, res.stdout.decode()) == (0, verdicts(recs))


@needs_qemu
@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_many_random_signatures(elfs, tmp_path: Path, seed: int) -> None:
    """4 x 600 random signatures (half high-S, a quarter corrupted) and 4 x the edge cases."""
    rng = random.Random(100 + seed)
    recs = random_records(rng, 600) + edge_records(rng)
    status, out = run_block(elfs["ecdsa_p256", BASE_ISA], BASE_ISA, batch(recs), tmp_path)
    assert (status, out) == (0, verdicts(recs))
