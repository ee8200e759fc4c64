"""Ed25519 verification (``ed25519``, ``ed25519_xchain``) on the ISS and QEMU.

Expected verdicts come from outside the kernel: ordinary signatures are made
and judged by ``cryptography`` (OpenSSL) and PyNaCl (libsodium), which must
agree; the ``ecdsa`` package's Ed25519 cross-checks those whose key and R are
of prime order (on points with a torsion part it is not self-consistent).

The edge cases (small-order and mixed-order keys and R, non-canonical
encodings) are where the libraries disagree, so there the verdict is that of
RFC 8032 5.1.7 as the kernel implements it (docs/kernels.md): strict decoding
(y < p, x = 0 never with the sign bit), S < L, and the cofactorless equation
[S]B = R + [k]A, written out below from the RFC's formulas.  Each edge record
is also run through every library, and their disagreements with that verdict
must be exactly the documented ones:

* ``cryptography`` (OpenSSL) reduces a key's y mod p and ignores the sign bit
  of x = 0, so it accepts keys with y >= p or "-0" that the RFC's decoding
  rejects; otherwise it agrees (it is cofactorless, and compares the encoding
  of [S]B - [k]A with R, so a non-canonical R fails);
* libsodium rejects every small-order key and R (a blacklist on top of the
  cofactorless check), even where the equation holds;
* ``ecdsa`` gives verdicts unrelated to either equation when A or R has a
  torsion part, so it is not consulted there.
"""

from __future__ import annotations

import hashlib
import importlib.util
import random
import struct
from dataclasses import dataclass
from pathlib import Path

import ecdsa
import nacl.exceptions
import nacl.signing
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from kernel_runs import KERNELS, XCHAIN_ISAS, manifest, needs_qemu, run_iss
from qemu import run_qemu
from toolchain import have_toolchain

from isa.memmap import input_block

pytestmark = pytest.mark.skipif(not have_toolchain(), reason="needs the RISC-V toolchain")

BASE_ISA = "rv32im"
ISAS = ("rv32im", "rv32im_zbkb", "rv32im_zicsr_zk_zks")

# RFC 8032 5.1 parameters
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, -1, P) % P
SQRTM1 = pow(2, (P - 1) // 4, P)

Point = tuple[int, int]
O: Point = (0, 1)

# RFC 8032 7.1, tests 1-3: secret key, public key, message, signature
RFC8032 = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]

# A point of order 8 (its multiples are the whole torsion subgroup).
T8_ENC = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")


# --- RFC 8032 arithmetic, affine (slow, but independent of the kernel) ------

def add(p1: Point, p2: Point) -> Point:
    (x1, y1), (x2, y2) = p1, p2
    t = D * x1 * x2 * y1 * y2 % P
    return (x1 * y2 + x2 * y1) * pow(1 + t, -1, P) % P, (y1 * y2 + x1 * x2) * pow(1 - t, -1, P) % P


def mul(k: int, pt: Point) -> Point:
    acc = O
    while k:
        if k & 1:
            acc = add(acc, pt)
        pt = add(pt, pt)
        k >>= 1
    return acc


def neg(pt: Point) -> Point:
    return (-pt[0]) % P, pt[1]


def decode(b: bytes) -> Point | None:
    """RFC 8032 5.1.3, strictly: y >= p fails, x = 0 with the sign bit fails."""
    v = int.from_bytes(b, "little")
    y, sign = v & (2**255 - 1), v >> 255
    if y >= P:
        return None
    xx = (y * y - 1) * pow(D * y * y + 1, -1, P) % P
    x = pow(xx, (P + 3) // 8, P)
    if (x * x - xx) % P:
        x = x * SQRTM1 % P
    if (x * x - xx) % P:
        return None
    if x == 0 and sign:
        return None
    return (P - x if x & 1 != sign else x), y


def lenient_decode(b: bytes) -> Point | None:
    """OpenSSL's reading of a key: y taken mod p, the sign bit of x = 0 ignored."""
    v = int.from_bytes(b, "little")
    y = (v & (2**255 - 1)) % P
    if y in (1, P - 1):
        return 0, y
    return decode(le32(y | (v >> 255) << 255))


def encode(pt: Point) -> bytes:
    return (pt[1] | (pt[0] & 1) << 255).to_bytes(32, "little")


B = decode((4 * pow(5, -1, P) % P).to_bytes(32, "little"))
TORSION = [mul(i, decode(T8_ENC)) for i in range(8)]


def hram(r: bytes, a: bytes, msg: bytes) -> int:
    return int.from_bytes(hashlib.sha512(r + a + msg).digest(), "little") % L


def rfc_valid(pk: bytes, sig: bytes, msg: bytes, cofactor: int = 1) -> bool:
    """RFC 8032 5.1.7 with [c][S]B = [c]R + [c][k]A (c = 1: cofactorless, 8: cofactored)."""
    a, r = decode(pk), decode(sig[:32])
    s = int.from_bytes(sig[32:], "little")
    if a is None or r is None or s >= L:
        return False
    k = hram(sig[:32], pk, msg)
    return mul(cofactor, mul(s, B)) == mul(cofactor, add(r, mul(k, a)))


def small_order(enc: bytes) -> bool:
    pt = decode(enc)
    return pt is not None and mul(8, pt) == O


def prime_order(enc: bytes) -> bool:
    pt = decode(enc)
    return pt is not None and pt != O and mul(L, pt) == O


# --- the libraries ----------------------------------------------------------

def crypto_valid(pk: bytes, sig: bytes, msg: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)
    except InvalidSignature:
        return False
    return True


def nacl_valid(pk: bytes, sig: bytes, msg: bytes) -> bool:
    try:
        nacl.signing.VerifyKey(pk).verify(msg, sig)
    except nacl.exceptions.BadSignatureError:
        return False
    return True


def ecdsa_valid(pk: bytes, sig: bytes, msg: bytes) -> bool:
    try:
        return ecdsa.VerifyingKey.from_string(pk, curve=ecdsa.Ed25519).verify(sig, msg)
    except (ecdsa.BadSignatureError, ecdsa.MalformedPointError):
        return False


@dataclass
class Rec:
    pk: bytes
    sig: bytes
    msg: bytes
    valid: bool
    what: str = ""

    def raw(self) -> bytes:
        return self.pk + self.sig + struct.pack("<I", len(self.msg)) + self.msg


def batch(recs: list[Rec]) -> bytes:
    return struct.pack("<I", len(recs)) + b"".join(r.raw() for r in recs)


def verdicts(recs: list[Rec]) -> str:
    return "".join("valid\n" if r.valid else "invalid\n" for r in recs)


def lib_record(pk: bytes, sig: bytes, msg: bytes, what: str = "") -> Rec:
    """An ordinary record: cryptography and libsodium decide, and must agree."""
    ok = crypto_valid(pk, sig, msg)
    assert nacl_valid(pk, sig, msg) == ok, (what, pk.hex(), sig.hex(), msg.hex())
    if prime_order(pk) and (ok or prime_order(sig[:32])):
        assert ecdsa_valid(pk, sig, msg) == ok, (what, pk.hex(), sig.hex())
    return Rec(pk, sig, msg, ok, what)


def rfc_record(pk: bytes, sig: bytes, msg: bytes, what: str) -> Rec:
    """An edge record: the RFC's verdict (the kernel's policy)."""
    return Rec(pk, sig, msg, rfc_valid(pk, sig, msg), what)


def keypair(seed: bytes) -> tuple[Ed25519PrivateKey, bytes]:
    sk = Ed25519PrivateKey.from_private_bytes(seed)
    return sk, sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def flip(b: bytes, bit: int) -> bytes:
    out = bytearray(b)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def le32(v: int) -> bytes:
    return v.to_bytes(32, "little")


def random_records(rng: random.Random, count: int, corrupt: float = 0.3, max_len: int = 300) -> list[Rec]:
    recs = []
    for _ in range(count):
        sk, pk = keypair(rng.randbytes(32))
        msg = rng.randbytes(rng.choice([0, 1, 31, 32, 63, 64, 65, 111, 112, 127, 128, 129,
                                        rng.randrange(max_len + 1)]))
        sig = sk.sign(msg)
        what = "signed"
        if rng.random() < corrupt:
            which = rng.randrange(5)
            if which == 0 and msg:
                msg, what = flip(msg, rng.randrange(8 * len(msg))), "message bit"
            elif which == 1:
                sig, what = flip(sig, rng.randrange(256)), "R bit"
            elif which == 2:
                sig, what = flip(sig, 256 + rng.randrange(253)), "S bit"
            elif which == 3:
                pk, what = flip(pk, rng.randrange(256)), "key bit"
            else:
                msg, what = msg + b"\x00", "message extended"
        recs.append(lib_record(pk, sig, msg, what))
    return recs


def manual_sign(a: int, pk: bytes, msg: bytes, r: int, r_enc: bytes | None = None) -> bytes:
    """R || S with S = r + k a for R = [r]B (or the given encoding of R)."""
    r_enc = r_enc if r_enc is not None else encode(mul(r, B))
    return r_enc + le32((r + hram(r_enc, pk, msg) * a) % L)


def edge_records(rng: random.Random) -> list[Rec]:
    recs: list[Rec] = []
    for _sec, pub, msg, sig in RFC8032:
        pk, m, s = bytes.fromhex(pub), bytes.fromhex(msg), bytes.fromhex(sig)
        recs.append(lib_record(pk, s, m, "RFC 8032"))
        recs.append(lib_record(pk, s, m + b"x", "RFC 8032, wrong message"))
    sk, pk = keypair(rng.randbytes(32))
    msg = rng.randbytes(64)
    sig = sk.sign(msg)
    s = int.from_bytes(sig[32:], "little")
    recs += [
        lib_record(pk, sig, msg, "signed"),
        lib_record(pk, sig, b"", "empty message, signed for another"),
        lib_record(pk, sk.sign(b""), b"", "empty message"),
        lib_record(pk, sig[:32] + le32(s + L), msg, "S + L"),
        lib_record(pk, sig[:32] + le32(s + 2 * L), msg, "S + 2L"),
        lib_record(pk, sig[:32] + le32(L), msg, "S = L"),
        lib_record(pk, sig[:32] + le32(2**256 - 1), msg, "S = 2^256 - 1"),
        lib_record(pk, sig[:32] + le32(0), msg, "S = 0"),
        lib_record(pk, sig[:32] + le32(L - s), msg, "L - S"),
        lib_record(pk, encode(neg(decode(sig[:32]))) + sig[32:], msg, "-R"),
        lib_record(encode(neg(decode(pk))), sig, msg, "-A"),
        lib_record(pk, sig, msg[:-1], "message truncated"),
    ]
    # keys that are no point: y with no square root, and y >= p
    y = 2
    while decode(le32(y)) is not None:
        y += 1
    recs.append(lib_record(le32(y), sig, msg, "key off the curve"))
    recs.append(lib_record(le32(P) , sig, msg, "key y = p"))
    recs.append(lib_record(b"\xff" * 32, sig, msg, "key all ones"))

    # a signer whose scalar we know, for the hand-made cases
    a = rng.randrange(1, L)
    A = mul(a, B)
    apk = encode(A)
    m = b"edge"
    recs.append(rfc_record(apk, manual_sign(a, apk, m, 12345), m, "hand-signed"))
    # R = identity: S = k a satisfies both equations (libsodium rejects small-order R)
    for enc, what in [(encode(O), "R = O"), (le32(P + 1), "R = O, y = p + 1"),
                      (le32(1 | 1 << 255), "R = O with the sign bit")]:
        recs.append(rfc_record(apk, enc + le32(hram(enc, apk, m) * a % L), m, what))
    # R = a torsion point T != O: only the cofactored equation holds
    for i in range(1, 8):
        enc = encode(TORSION[i])
        recs.append(rfc_record(apk, enc + le32(hram(enc, apk, m) * a % L), m, f"R = T{i}"))
    # R = [r]B with a non-canonical y: r such that y(R) < 19 cannot be found, so
    # take the order-4 point (sqrt(-1), 0) encoded with y = p
    enc = le32(P)
    recs.append(rfc_record(apk, enc + le32(hram(enc, apk, m) * a % L), m, "R = T2 with y = p"))

    # small-order keys: A = T, R = [r]B, S = r holds iff [k]T = O
    for i, t in enumerate(TORSION):
        tenc = encode(t)
        for r in (1000 + i, 2000 + i, 3000 + i):
            recs.append(rfc_record(tenc, manual_sign(0, tenc, m, r), m, f"A = T{i}"))
        # hunt for a message whose k kills T, so that the cofactorless equation holds
        for n in range(200):
            mm = b"small %d" % n
            rr = 5000 + n
            if mul(hram(encode(mul(rr, B)), tenc, mm), t) == O:
                recs.append(rfc_record(tenc, manual_sign(0, tenc, mm, rr), mm, f"A = T{i}, [k]T = O"))
                break
    # non-canonical encodings of small-order keys (y >= p, and "-0")
    for enc, what in [(le32(P + 1), "A = O, y = p + 1"), (le32(P), "A = T2, y = p"),
                      (le32(1 | 1 << 255), "A = O with the sign bit"),
                      (le32((P - 1) | 1 << 255), "A = T4 with the sign bit")]:
        recs.append(rfc_record(enc, manual_sign(0, enc, m, 4242), m, what))

    # mixed-order keys A = aB + T: S = r + k a holds cofactorless iff [k]T = O
    for i in (1, 2, 4):
        t = TORSION[i]
        menc = encode(add(A, t))
        kinds = {True: 0, False: 0}
        for n in range(400):
            mm = b"mixed %d" % n
            sig_m = manual_sign(a, menc, mm, 7000 + n)
            holds = mul(hram(sig_m[:32], menc, mm), t) == O
            if kinds[holds] < 2:
                kinds[holds] += 1
                what = f"mixed A = aB + T{i}" + (", [k]T = O" if holds else "")
                recs.append(rfc_record(menc, sig_m, mm, what))
            if min(kinds.values()) >= 2:
                break
    return recs


def disagreement(rec: Rec) -> tuple[str, ...]:
    """The libraries that differ from the record's verdict, with the documented reason."""
    out = []
    pk, r = rec.pk, rec.sig[:32]
    a_noncanonical = decode(pk) is None and lenient_decode(pk) is not None
    if crypto_valid(pk, rec.sig, rec.msg) != rec.valid:
        assert a_noncanonical and not rec.valid, rec.what   # OpenSSL: y mod p, "-0" accepted
        out.append("cryptography")
    if nacl_valid(pk, rec.sig, rec.msg) != rec.valid:
        assert (small_order(pk) or small_order(r)) and rec.valid, rec.what  # libsodium's blacklist
        out.append("libsodium")
    return tuple(out)


@pytest.fixture(scope="module")
def edges() -> list[Rec]:
    return edge_records(random.Random(1))


def test_generated_sources_are_current() -> None:
    spec = importlib.util.spec_from_file_location("ed25519_gen", KERNELS / "curve25519" / "gen_tables.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    for path, text in gen.outputs().items():
        assert path.read_text() == text, f"{path} is stale: run kernels/curve25519/gen_tables.py"


def test_rfc8032_vectors_are_what_the_libraries_sign() -> None:
    for sec, pub, msg, sig in RFC8032:
        sk, pk = keypair(bytes.fromhex(sec))
        assert pk.hex() == pub and sk.sign(bytes.fromhex(msg)).hex() == sig
        signed = nacl.signing.SigningKey(bytes.fromhex(sec)).sign(bytes.fromhex(msg))
        assert signed.signature.hex() == sig


def test_reference_equation_matches_the_libraries_on_ordinary_signatures() -> None:
    for rec in random_records(random.Random(9), 12):
        assert rfc_valid(rec.pk, rec.sig, rec.msg) == rec.valid, rec.what


def test_manifest_vectors_agree_with_references() -> None:
    for name in ("ed25519", "ed25519_xchain"):
        m = manifest(name)
        recs = [lib_record(bytes.fromhex(v["pubkey"]), bytes.fromhex(v["signature"]),
                           bytes.fromhex(v["message"])) for v in m["default_vectors"]]
        assert [r.valid for r in recs] == [v["valid"] for v in m["default_vectors"]] == [True, False]
        assert all(len(r.msg) == 64 for r in recs)      # the cycle goal's message length
        assert m["expected_stdout"] == verdicts(recs) and m["verifies"] == len(recs)
    assert manifest("ed25519_xchain")["baseline"] == "ed25519"


def test_edge_cases_cover_both_equations_and_the_disagreements(edges: list[Rec]) -> None:
    assert sum(r.valid for r in edges) >= 20 and sum(not r.valid for r in edges) >= 40
    # the cases where cofactorless and cofactored verification differ are there, both ways
    cofactored_only = [r for r in edges if not r.valid and rfc_valid(r.pk, r.sig, r.msg, cofactor=8)]
    assert any(r.what.startswith("mixed") for r in cofactored_only)
    assert any(r.what.startswith("R = T") for r in cofactored_only)
    assert any(r.what.startswith("A = T") for r in cofactored_only)
    assert any(r.valid and r.what.startswith("mixed") for r in edges)
    assert any(r.valid and r.what.startswith("A = T") for r in edges)
    seen = {lib for r in edges for lib in disagreement(r)}
    assert seen == {"cryptography", "libsodium"}


def run_kernel(elf: Path, isa: str, data: bytes) -> tuple[int, str]:
    simulator = pytest.importorskip("simulator")
    res = simulator.run_elf(elf, isa=isa, input_bytes=data)
    return res.exit_code, res.stdout.decode()


def test_edge_cases_on_the_iss(kernel_elf, edges: list[Rec]) -> None:
    recs = edges + random_records(random.Random(2), 20)
    assert len(recs) >= 100
    out = run_iss(kernel_elf("ed25519", BASE_ISA), BASE_ISA, batch(recs))
    got = out.splitlines()
    assert len(got) == len(recs)
    wrong = [(r.what, g) for r, g in zip(recs, got, strict=True) if g != ("valid" if r.valid else "invalid")]
    assert not wrong


@pytest.mark.parametrize("isa", ISAS[1:] + XCHAIN_ISAS)
def test_other_isas_on_the_iss(kernel_elf, edges: list[Rec], isa: str) -> None:
    name = "ed25519_xchain" if "xchain" in isa else "ed25519"
    recs = edges[::3] + random_records(random.Random(3), 6)
    assert run_iss(kernel_elf(name, isa), isa, batch(recs)) == verdicts(recs)


def test_long_and_unaligned_messages(kernel_elf) -> None:
    rng = random.Random(4)
    recs = []
    for n in (0, 1, 3, 111, 112, 113, 127, 128, 129, 239, 240, 1000, 4093, 20001):
        sk, pk = keypair(rng.randbytes(32))
        msg = rng.randbytes(n)
        recs.append(lib_record(pk, sk.sign(msg), msg))
        recs.append(lib_record(pk, sk.sign(msg), flip(msg, 8 * n - 1) if n else b"\x00"))
    assert run_iss(kernel_elf("ed25519", BASE_ISA), BASE_ISA, batch(recs)) == verdicts(recs)


def test_bad_framing_is_an_error(kernel_elf) -> None:
    elf = kernel_elf("ed25519", BASE_ISA)
    recs = random_records(random.Random(5), 2, corrupt=0)
    good = batch(recs)
    assert run_kernel(elf, BASE_ISA, good) == (0, verdicts(recs))
    assert run_kernel(elf, BASE_ISA, struct.pack("<I", 0)) == (0, "")
    for data in (b"", b"\x01\x00", good[:-1], good + b"\x00", good[:4 + 99],
                 struct.pack("<I", 3) + good[4:], struct.pack("<I", 2**32 - 1) + good[4:],
                 good[:4] + recs[0].pk + recs[0].sig + struct.pack("<I", 2**32 - 1)):
        status, out = run_kernel(elf, BASE_ISA, data)
        assert status == 1 and out.startswith("error: ") and out.count("\n") == 1, data[:8].hex()


def test_cycle_goal(kernel_elf) -> None:
    """Issue 19's goal: one verification over a 64-byte message in at most 3.0M
    cycles on rv32im (the default vector is two of them); Xchain is faster."""
    simulator = pytest.importorskip("simulator")
    base = simulator.run_elf(kernel_elf("ed25519", BASE_ISA), isa=BASE_ISA)
    xchain = simulator.run_elf(kernel_elf("ed25519_xchain", XCHAIN_ISAS[0]), isa=XCHAIN_ISAS[0])
    assert base.stdout.decode() == xchain.stdout.decode() == manifest("ed25519")["expected_stdout"]
    assert base.cycles / 2 <= 3_000_000
    assert xchain.cycles < 0.8 * base.cycles


FIELD_HARNESS = r"""
#include "chainrv.h"
#include "fe25519.h"

static void out(const uint32_t r[8])
{
    uint32_t c[8];
    uint8_t b[32];
    bn_copy(c, r);
    fe25519_canon(c);
    fe25519_to_le(b, c);
    crv_print_hex(b, 32);
    crv_putc(' ');
}

int main(void)
{
    uint32_t len;
    const uint8_t *p = crv_input(&len);
    for (uint32_t off = 0; off + 64 <= len; off += 64) {
        uint32_t a[8], b[8], r[8];
        fe25519_from_le(a, p + off);
        fe25519_from_le(b, p + off + 32);
        fe25519_add(r, a, b); out(r);
        fe25519_sub(r, a, b); out(r);
        fe25519_mul(r, a, b); out(r);
        fe25519_sqr(r, a); out(r);
        fe25519_dbl(r, a); out(r);
        fe25519_neg(r, a); out(r);
        bn_copy(r, a); out(r);
        crv_puts(fe25519_eq(a, b) ? "1\n" : "0\n");
    }
    return 0;
}
"""

# Limb values where the carry and borrow folds (+-38, and the rare second
# fold), the 2^255 fold and the final subtraction of p change course.
FIELD_EDGES = [0, 1, 2, 18, 19, 37, 38, 39, P - 1, P, P + 1, P + 18, 2**255 - 1, 2**255, 2**255 + 18,
               2 * P - 1, 2 * P, 2**256 - 39, 2**256 - 38, 2**256 - 37, 2**256 - 20, 2**256 - 19, 2**256 - 1,
               2**32 - 1, 2**224, 2**256 - 2**224]


@pytest.mark.parametrize("isa", [BASE_ISA, XCHAIN_ISAS[0]])
def test_field_arithmetic_at_the_fold_boundaries(isa: str, tmp_path: Path) -> None:
    """fe25519.c on its own: every operation on partly reduced inputs, reduced mod p by Python."""
    simulator = pytest.importorskip("simulator")
    from chainrv.toolchain import build_elf

    src = tmp_path / "field.c"
    src.write_text(FIELD_HARNESS)
    curve = KERNELS / "curve25519"
    elf = build_elf([src, curve / "fe25519.c", KERNELS / "bignum" / "bn.c"], tmp_path / "field.elf", isa=isa,
                    extra_cflags=[f"-I{curve}"])
    rng = random.Random(6)
    values = FIELD_EDGES + [rng.randrange(2**256) for _ in range(6)]
    pairs = [(a, b) for a in values for b in values]
    res = simulator.run_elf(elf, isa=isa, input_bytes=b"".join(le32(a) + le32(b) for a, b in pairs))
    assert res.exit_code == 0, res.trap
    lines = res.stdout.decode().splitlines()
    assert len(lines) == len(pairs)
    for (a, b), line in zip(pairs, lines, strict=True):
        want = [(a + b) % P, (a - b) % P, a * b % P, a * a % P, 2 * a % P, -a % P, a % P]
        assert line.split() == [le32(v).hex() for v in want] + [str(int((a - b) % P == 0))], (hex(a), hex(b))


@needs_qemu
@pytest.mark.parametrize("isa", ISAS)
def test_default_vector_on_qemu(kernel_elf, isa: str) -> None:
    res = run_qemu(kernel_elf("ed25519", isa), isa, timeout=120)
    assert (res.status, res.text) == (0, manifest("ed25519")["expected_stdout"])


@needs_qemu
def test_edge_cases_on_qemu(kernel_elf, edges: list[Rec], tmp_path: Path) -> None:
    block = tmp_path / "input.bin"
    block.write_bytes(input_block(batch(edges)))
    res = run_qemu(kernel_elf("ed25519", BASE_ISA), BASE_ISA, input_file=block, timeout=300)
    assert (res.status, res.text) == (0, verdicts(edges))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_many_random_signatures(kernel_elf, seed: int) -> None:
    """4 x 800 random signatures (30% corrupted) on the ISS, rv32im, 400 to an
    input block (which holds 128 KiB)."""
    recs = random_records(random.Random(100 + seed), 800)
    elf = kernel_elf("ed25519", BASE_ISA)
    for part in (recs[:400], recs[400:]):
        assert run_iss(elf, BASE_ISA, batch(part)) == verdicts(part)


@pytest.mark.slow
@needs_qemu
def test_many_random_signatures_on_qemu(kernel_elf, tmp_path: Path) -> None:
    recs = random_records(random.Random(200), 500) + edge_records(random.Random(201))
    block = tmp_path / "input.bin"
    block.write_bytes(input_block(batch(recs)))
    res = run_qemu(kernel_elf("ed25519", "rv32im_zicsr_zk_zks"), "rv32im_zicsr_zk_zks",
                   input_file=block, timeout=600)
    assert (res.status, res.text) == (0, verdicts(recs))
