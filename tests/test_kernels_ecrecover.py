"""eth_ecrecover: the EVM ecrecover precompile, on QEMU and (Xchain) the ISS.

Every expected address comes from independent references, never the kernel:
coincurve (libsecp256k1's recovery) for the key, cross-checked against the
``ecdsa`` package's recovery, and pycryptodome's Keccak-256 for the address.
The precompile's own checks (v word exactly 27 or 28, 0 < r, s < n) are
applied here; coincurve rejects r, s >= n itself, which the vectors confirm.
"""

from __future__ import annotations

import hashlib
import random
import re
import struct
from pathlib import Path

import coincurve
import ecdsa
import pytest
from ecdsa.ellipticcurve import INFINITY, Point, PointJacobi
from kernel_runs import KERNELS, QEMU_ISAS, XCHAIN_ISAS, manifest, needs_qemu, run_iss
from qemu import run_qemu
from toolchain import have_toolchain

from cocotb_tests.references import ecrecover
from cocotb_tests.references import keccak256 as k256
from isa.memmap import input_block

pytestmark = pytest.mark.skipif(not have_toolchain(), reason="needs the RISC-V toolchain")


K1 = ecdsa.SECP256k1
N = K1.order
P = K1.curve.p()
G = K1.generator

Item = tuple[bytes, str]  # the 128-byte precompile input, the expected output line


def be32(v: int) -> bytes:
    return v.to_bytes(32, "big")


def item(z: bytes, v: bytes | int, r: int, s: int) -> bytes:
    return z + (be32(v) if isinstance(v, int) else v) + be32(r) + be32(s)


def lift_x(x: int, odd: int) -> tuple[int, int] | None:
    """The curve point with this x and y parity, or None."""
    y2 = (pow(x, 3, P) + 7) % P
    y = pow(y2, (P + 1) // 4, P)
    if y * y % P != y2:
        return None
    return x, (y if y % 2 == odd else P - y)


def reference(data: bytes) -> str:
    """The precompile's output for one 128-byte input, from coincurve
    (cocotb_tests/references.py), which must recover only from r, s in range."""
    want = ecrecover(data)
    if want != "invalid":
        # libsecp256k1 already refuses r, s out of range; the precompile does too
        r, s = int.from_bytes(data[64:96], "big"), int.from_bytes(data[96:128], "big")
        assert 0 < r < N and 0 < s < N, "coincurve recovered from an out-of-range r or s"
    return want


def ecdsa_cross_check(data: bytes, want: str) -> None:
    """The same answer from the ecdsa package: its recovery (which returns every
    candidate key) and, for Q at infinity, its point arithmetic."""
    z, vw = data[:32], data[32:64]
    r, s = int.from_bytes(data[64:96], "big"), int.from_bytes(data[96:], "big")
    rpt = lift_x(r, vw[31] - 27) if vw[31] in (27, 28) and not any(vw[:31]) and 0 < r < N else None
    if rpt is None or not 0 < s < N:
        assert want == "invalid"
        return
    e = int.from_bytes(z, "big") % N
    q = (PointJacobi.from_affine(Point(K1.curve, *rpt)) * s + G * (-e % N)) * pow(r, -1, N)
    if q == INFINITY or q.x() is None:
        assert want == "invalid"
        return
    assert want == k256(be32(q.x()) + be32(q.y()))[12:].hex()
    try:
        keys = ecdsa.VerifyingKey.from_public_key_recovery_with_digest(
            data[64:128], z, K1, hashfunc=hashlib.sha256, sigdecode=ecdsa.util.sigdecode_string)
    except TypeError:   # ecdsa 0.19 fails on a candidate (r + n, or -R) at infinity
        return
    # the candidates include R.x = r + n and both parities; the precompile uses r alone
    assert want in {k256(k.to_string())[12:].hex() for k in keys}


# ------------------------------------------------------------ vectors

def signed(rng: random.Random, high_s: bool = False) -> bytes:
    priv = rng.randbytes(32)
    z = rng.randbytes(32)
    sig = coincurve.PrivateKey(priv).sign_recoverable(z, hasher=None)
    r, s, rec = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]
    if high_s:   # (r, n - s) signs the same hash under -R: flip v
        s, rec = N - s, rec ^ 1
    return item(z, 27 + rec, r, s)


def no_point_r(rng: random.Random) -> int:
    while True:
        r = rng.randrange(1, N)
        if lift_x(r, 0) is None:
            return r


def edge_items(rng: random.Random) -> list[bytes]:
    good = signed(rng)
    z, vw, r, s = good[:32], good[32:64], int.from_bytes(good[64:96], "big"), int.from_bytes(good[96:], "big")
    v = vw[31]
    out = [good, signed(rng, high_s=True)]
    # v: other values, and 27/28 with garbage above the low byte
    for bad_v in (0, 1, 26, 29, 255, 27 + 256, 28 + (1 << 255), v + (1 << 128)):
        out.append(item(z, bad_v, r, s))
    out.append(item(z, bytes([1]) + vw[1:], r, s))
    out.append(item(z, v ^ 3, r, s))             # the other parity: another key
    # r, s out of range
    for rr, ss in ((0, s), (r, 0), (N, s), (r, N), (N + 1, s), (r, N + 1),
                   ((1 << 256) - 1, s), (r, (1 << 256) - 1), (0, 0)):
        out.append(item(z, v, rr, ss))
    # r in [n, p) with a curve point: valid only if r + n were allowed
    for rr in range(N, P):
        if lift_x(rr, 0) is not None:
            out.append(item(z, 27, rr, s))
            break
    out.append(item(z, v, no_point_r(rng), s))
    # hashes at and above n, and zero (u1 = 0)
    for zz in (0, 1, N - 1, N, N + 5, (1 << 256) - 1):
        out.append(item(be32(zz), v, r, s))
    # Q at infinity: s R = z G with R = k G, so z = s k; and Q = 2 r^-1 s R (z = -s k)
    for _ in range(3):
        while True:
            k = rng.randrange(1, N)
            pt = k * G
            if pt.x() < N:
                break
        ss = rng.randrange(1, N)
        vv = 27 + pt.y() % 2
        out.append(item(be32(ss * k % N), vv, pt.x(), ss))
        out.append(item(be32(-ss * k % N), vv, pt.x(), ss))
    # small scalars: R = G, r = 1 ... with s = 1
    out.append(item(z, 27 + G.y() % 2, G.x(), 1))
    out.append(item(be32(G.x()), 27 + G.y() % 2, G.x(), 1))   # Q = r^-1 (G - r G)
    out.append(item(z, v, r, 1))
    out.append(item(z, v, r, N - 1))
    return out


def random_items(rng: random.Random, count: int) -> list[bytes]:
    out = []
    for i in range(count):
        kind = i % 8
        if kind < 4:
            out.append(signed(rng, high_s=kind == 3))
        elif kind in (4, 5):   # random r, s; v = 27/28 (about half lift to a point) or any byte
            v = 27 + rng.randrange(2) if kind == 4 else rng.randrange(2**8)
            out.append(item(rng.randbytes(32), v, rng.randrange(1, N), rng.randrange(1, N)))
        elif kind == 6:
            out.append(item(rng.randbytes(32), 27, no_point_r(rng), rng.randrange(1, N)))
        else:
            good = signed(rng)
            out.append(item(good[:32], good[32:64], rng.choice((0, N, N + rng.randrange(P - N))),
                            int.from_bytes(good[96:], "big")))
    return out


def expected(items: list[bytes], cross_check: bool = True) -> str:
    lines = []
    for it in items:
        want = reference(it)
        if cross_check:
            ecdsa_cross_check(it, want)
        lines.append(want + "\n")
    return "".join(lines)


def batch(items: list[bytes]) -> bytes:
    return struct.pack("<I", len(items)) + b"".join(items)


# ------------------------------------------------------------ runs

def run_qemu_block(elf: Path, isa: str, data: bytes, tmp_path: Path) -> str:
    block = tmp_path / "input.bin"
    block.write_bytes(input_block(data))
    res = run_qemu(elf, isa, input_file=block, timeout=300)
    assert res.status == 0, res.text
    return res.text


def test_manifests_and_default_vector() -> None:
    base, xc = manifest("eth_ecrecover"), manifest("eth_ecrecover_xchain")
    assert tuple(base["isas"]) == QEMU_ISAS and tuple(xc["isas"]) == XCHAIN_ISAS
    assert xc["baseline"] == "eth_ecrecover"
    for key in ("expected_stdout", "bytes", "recoveries", "unit", "default_vectors", "input_format"):
        assert xc.get(key) == base.get(key), key
    main = (KERNELS / "eth_ecrecover_xchain" / xc["sources"][0]).resolve()
    assert main == (KERNELS / "eth_ecrecover" / "main.c").resolve()
    # the variant links the same bignum code, only the Keccak permutation differs
    def bignum(m: dict) -> list[str]:
        return [s for s in m["sources"] if "bignum" in s]
    assert bignum(xc) == bignum(base)
    vecs = base["default_vectors"]
    items = [item(bytes.fromhex(d["hash"]), d["v"], int(d["r"], 16), int(d["s"], 16)) for d in vecs]
    assert base["recoveries"] == len(items) and {d["v"] for d in vecs} == {27, 28}
    assert base["expected_stdout"] == expected(items) == "".join(d["address"] + "\n" for d in vecs)
    header = (KERNELS / "eth_ecrecover" / "default_vector.h").read_text()
    body = bytes(int(b, 16) for b in re.findall(r"0x([0-9a-f]{2})", header.split("{", 1)[1]))
    assert body == batch(items)


def test_reference_edge_cases() -> None:
    """The edge vectors reach every rejection, and valid ones both parities."""
    out = expected(edge_items(random.Random(1))).splitlines()
    assert out.count("invalid") > 20 and len(set(out) - {"invalid"}) >= 8


@needs_qemu
@pytest.mark.qemu
@pytest.mark.parametrize("isa", QEMU_ISAS)
def test_default_vector_qemu(kernel_elf, isa: str, tmp_path: Path) -> None:
    m = manifest("eth_ecrecover")
    res = run_qemu(kernel_elf("eth_ecrecover", isa), isa, timeout=120)
    assert res.status == 0 and res.text == m["expected_stdout"]


@needs_qemu
@pytest.mark.qemu
@pytest.mark.parametrize("isa", ("rv32im", "rv32im_zicsr_zk_zks"))
def test_edge_and_random_qemu(kernel_elf, isa: str, tmp_path: Path) -> None:
    rng = random.Random(2 if isa == "rv32im" else 3)
    items = edge_items(rng) + random_items(rng, 24)
    assert run_qemu_block(kernel_elf("eth_ecrecover", isa), isa, batch(items), tmp_path) == expected(items)


@needs_qemu
@pytest.mark.qemu
def test_bad_lengths_qemu(kernel_elf, tmp_path: Path) -> None:
    elf = kernel_elf("eth_ecrecover", "rv32im")
    good = signed(random.Random(4))
    assert run_qemu_block(elf, "rv32im", batch([]), tmp_path) == ""
    for data in (good, struct.pack("<I", 2) + good, batch([good]) + b"\0", b"\1\0"):
        block = tmp_path / "input.bin"
        block.write_bytes(input_block(data))
        res = run_qemu(elf, "rv32im", input_file=block, timeout=60)
        assert res.status == 1 and res.text.startswith("error:")


@pytest.mark.parametrize("isa", XCHAIN_ISAS)
def test_xchain_default_and_edges(kernel_elf, isa: str) -> None:
    elf = kernel_elf("eth_ecrecover_xchain", isa)
    assert run_iss(elf, isa) == manifest("eth_ecrecover_xchain")["expected_stdout"]
    rng = random.Random(5 if isa == XCHAIN_ISAS[0] else 6)
    items = edge_items(rng)[:24] + random_items(rng, 8)
    assert run_iss(elf, isa, batch(items)) == expected(items)


@needs_qemu
@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.parametrize("isa", QEMU_ISAS)
@pytest.mark.parametrize("seed", range(4))
def test_many_qemu(kernel_elf, isa: str, seed: int, tmp_path: Path) -> None:
    rng = random.Random(100 + seed + 10 * QEMU_ISAS.index(isa))
    items = edge_items(rng) + random_items(rng, 300)
    assert run_qemu_block(kernel_elf("eth_ecrecover", isa), isa, batch(items), tmp_path) == expected(items)


@pytest.mark.slow
@pytest.mark.parametrize("isa", XCHAIN_ISAS)
def test_many_xchain(kernel_elf, isa: str) -> None:
    rng = random.Random(200 + XCHAIN_ISAS.index(isa))
    items = edge_items(rng) + random_items(rng, 200)
    assert run_iss(kernel_elf("eth_ecrecover_xchain", isa), isa, batch(items)) == expected(items)
