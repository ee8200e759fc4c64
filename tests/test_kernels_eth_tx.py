"""eth_tx: sender recovery from raw signed Ethereum transactions.

Valid transactions of the four types are signed with eth-account and their
expected sender is eth-account's ``Account.recover_transaction``; the invalid
ones are valid transactions re-encoded here (a small RLP codec written from
the Yellow Paper) with one rule broken: high s (EIP-2), a bad yParity or v,
r or s zero or >= n, non-canonical RLP, truncation, trailing bytes.
"""

from __future__ import annotations

import random
import struct
import sys
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import to_checksum_address
from kernel_runs import KERNELS, QEMU_ISAS, XCHAIN_ISAS, manifest, needs_qemu, run_iss
from qemu import run_qemu
from toolchain import have_toolchain

from isa.memmap import input_block

# eth_account imports py_ecc, which raises the recursion limit to 100,000 for the
# whole process: deep C recursion in other tests of this worker (json on hostile
# input) would then overflow the C stack instead of raising. Back to the default.
sys.setrecursionlimit(1000)

pytestmark = pytest.mark.skipif(not have_toolchain(), reason="needs the RISC-V toolchain")

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

Rlp = bytes | list  # a string or a list of items


# ------------------------------------------------------------ RLP

def enc_len(n: int, base: int) -> bytes:
    if n < 56:
        return bytes([base + n])
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([base + 55 + len(ln)]) + ln


def rlp(x: Rlp) -> bytes:
    if isinstance(x, list):
        body = b"".join(rlp(i) for i in x)
        return enc_len(len(body), 0xC0) + body
    if len(x) == 1 and x[0] < 0x80:
        return x
    return enc_len(len(x), 0x80) + x


def unrlp(b: bytes) -> tuple[Rlp, int]:
    """Decode one item (lenient: only the well-formed encodings made here)."""
    h = b[0]
    if h < 0x80:
        return b[:1], 1
    if h < 0xC0:
        off, n = (1, h - 0x80) if h <= 0xB7 else (1 + h - 0xB7, int.from_bytes(b[1 : 1 + h - 0xB7], "big"))
        return b[off : off + n], off + n
    off, n = (1, h - 0xC0) if h <= 0xF7 else (1 + h - 0xF7, int.from_bytes(b[1 : 1 + h - 0xF7], "big"))
    items, p = [], off
    while p < off + n:
        it, used = unrlp(b[p:])
        items.append(it)
        p += used
    return items, off + n


def i2b(v: int) -> bytes:
    return v.to_bytes((v.bit_length() + 7) // 8, "big")


def split(raw: bytes) -> tuple[bytes, list]:
    """(type prefix, field list) of a raw transaction."""
    prefix = raw[:1] if raw[0] < 0x80 else b""
    fields, _ = unrlp(raw[len(prefix) :])
    return prefix, fields


def join(prefix: bytes, fields: list) -> bytes:
    return prefix + rlp(fields)


# ------------------------------------------------------------ transactions

def rand_tx(rng: random.Random, kind: str) -> dict:
    tx: dict = {
        "nonce": rng.choice([0, 1, 0x7F, 0x80, rng.getrandbits(64) >> rng.randrange(64)]),
        "gas": rng.choice([21000, 0x80, rng.getrandbits(32)]),
        "to": rng.choice([to_checksum_address(rng.randbytes(20)), b""]),
        "value": rng.choice([0, 1, rng.getrandbits(256) >> rng.randrange(256)]),
        "data": rng.randbytes(rng.choice([0, 1, 55, 56, 300])),
    }
    if tx["data"] and rng.random() < 0.3:
        tx["data"] = b"\x00" + tx["data"][1:]
    if kind != "legacy":
        tx["chainId"] = rng.choice([1, 5, 56, 137, 0x7F, 0x80, 11155111, 2**32 + 7])
    if kind in ("legacy", "eip155", "eip2930"):
        tx["gasPrice"] = rng.getrandbits(rng.choice([0, 8, 40, 64]))
    if kind == "eip1559":
        tx["maxPriorityFeePerGas"] = rng.getrandbits(40)
        tx["maxFeePerGas"] = tx["maxPriorityFeePerGas"] + rng.getrandbits(40)
        tx["type"] = 2
    if kind == "eip2930":
        tx["type"] = 1
    if kind in ("eip2930", "eip1559"):
        tx["accessList"] = [
            {"address": to_checksum_address(rng.randbytes(20)),
             "storageKeys": ["0x" + rng.randbytes(32).hex() for _ in range(rng.randrange(3))]}
            for _ in range(rng.choice([0, 1, 3]))
        ]
    if tx["to"] == b"":
        del tx["to"]  # contract creation
    return tx


def signed(rng: random.Random, kind: str) -> bytes:
    key = rng.randbytes(32)
    return bytes(Account.sign_transaction(rand_tx(rng, kind), key).raw_transaction)


def valid_case(raw: bytes) -> tuple[bytes, str]:
    return raw, "from " + Account.recover_transaction(raw)[2:].lower() + "\n"


KINDS = ("legacy", "eip155", "eip2930", "eip1559")


def with_sig(raw: bytes, v: int | None = None, r: int | None = None, s: int | None = None) -> bytes:
    prefix, f = split(raw)
    if v is not None:
        f[-3] = i2b(v)
    if r is not None:
        f[-2] = i2b(r)
    if s is not None:
        f[-1] = i2b(s)
    return join(prefix, f)


def invalid_cases(rng: random.Random) -> list[bytes]:
    out = []
    for kind in KINDS:
        raw = signed(rng, kind)
        prefix, f = split(raw)
        v, r, s = (int.from_bytes(x, "big") for x in f[-3:])
        typed = bool(prefix)
        # the same signature with s' = n - s and the other parity recovers the
        # same key: only EIP-2 rejects it
        flip = v ^ 1 if typed else 55 - v if v < 35 else v + (1 if (v - 35) % 2 == 0 else -1)
        out.append(with_sig(raw, v=flip, s=N - s))
        out += [with_sig(raw, r=0), with_sig(raw, s=0), with_sig(raw, r=N), with_sig(raw, s=N)]
        out.append(with_sig(raw, r=N + r))
        out.append(with_sig(raw, s=(N >> 1) + 1))
        if typed:
            out += [with_sig(raw, v=2), with_sig(raw, v=27)]
        else:
            out += [with_sig(raw, v=v) for v in (0, 1, 26, 29, 34)]
        # leading zeros in integers (r, the nonce), a byte below 0x80 as a string
        nonce_at = 1 if typed else 0
        for at, val in ((-2, b"\x00" + f[-2]), (nonce_at, b"\x00" + f[nonce_at])):
            g = list(f)
            g[at] = val
            out.append(join(prefix, g))
        encs = [rlp(x) for x in f]
        encs[nonce_at] = b"\x81\x05"
        out.append(prefix + fix_header(b"".join(encs)))
        # long-form headers: for a short list, with a leading zero, for a short string
        content = b"".join(rlp(x) for x in f)
        out.append(prefix + b"\xb9" + len(content).to_bytes(2, "big") + content)  # a string, not a list
        out.append(prefix + b"\xfa\x00" + len(content).to_bytes(2, "big") + content)
        if len(content) < 256:
            out.append(prefix + b"\xf9" + len(content).to_bytes(2, "big") + content)
        encs = [rlp(x) for x in f]
        encs[-2] = b"\xb8\x20" + f[-2].rjust(32, b"\x01")[-32:]
        out.append(prefix + fix_header(b"".join(encs)))
        encs[-2] = b"\xa1" + f[-2]  # the string's length overruns into s
        out.append(prefix + fix_header(b"".join(encs)))
        out += [raw[:-1], raw + b"\x00", raw[: len(raw) // 2], prefix + rlp(f[:-1]), prefix + rlp(f + [b""])]
        # a `to` of the wrong length, a list where an integer goes
        g = list(f)
        g[nonce_at + (4 if kind == "eip1559" else 3)] = rng.randbytes(19)
        out.append(join(prefix, g))
        g = list(f)
        g[nonce_at] = []
        out.append(join(prefix, g))
        if typed:
            g = list(f)
            g[-4] = [[rng.randbytes(20), [rng.randbytes(31)]]]
            out.append(join(prefix, g))
            g[-4] = [[rng.randbytes(20)]]
            out.append(join(prefix, g))
            out.append(b"\x03" + raw[1:])
            out.append(b"\x01" + raw[1:] if prefix == b"\x02" else b"\x02" + raw[1:])
    out += [b"", b"\x02", b"\x80", b"\xc0", b"\x7f"]
    return out


def fix_header(body: bytes) -> bytes:
    """A list header for the given list payload (canonical)."""
    return enc_len(len(body), 0xC0) + body


def edge_valid(rng: random.Random) -> list[bytes]:
    out = []
    for kind in KINDS:
        for _ in range(2):
            out.append(signed(rng, kind))
        tx = rand_tx(rng, kind)
        tx.pop("to", None)
        tx["data"] = rng.randbytes(2000)  # creation with a long init code
        out.append(bytes(Account.sign_transaction(tx, rng.randbytes(32)).raw_transaction))
    return out


def cases(rng: random.Random, n_random: int) -> list[tuple[bytes, str]]:
    items = [valid_case(raw) for raw in edge_valid(rng)]
    items += [(raw, "invalid\n") for raw in invalid_cases(rng)]
    items += [valid_case(signed(rng, rng.choice(KINDS))) for _ in range(n_random)]
    return items


def batch(raws: list[bytes]) -> bytes:
    return struct.pack("<I", len(raws)) + b"".join(struct.pack("<I", len(r)) + r for r in raws)


def default_vector_h(raws: list[bytes]) -> str:
    data = batch(raws)
    lines = (", ".join(f"0x{b:02x}" for b in data[i : i + 12]) for i in range(0, len(data), 12))
    rows = ",\n".join("\t" + line for line in lines)
    return ("/* Default input: count, then u32 length || raw transaction (the\n"
            " * default_vectors of kernel.json); tests/test_kernels_eth_tx.py checks it. */\n"
            f"static const unsigned char default_vector[{len(data)}] = {{\n{rows},\n}};\n")


# ------------------------------------------------------------ runs

def run_qemu_block(elf: Path, isa: str, data: bytes, tmp_path: Path) -> tuple[int, str]:
    block = tmp_path / "input.bin"
    block.write_bytes(input_block(data))
    res = run_qemu(elf, isa, input_file=block, timeout=600)
    return res.status, res.text


def test_manifests_and_default_vector() -> None:
    base, xc = manifest("eth_tx"), manifest("eth_tx_xchain")
    assert tuple(base["isas"]) == QEMU_ISAS and tuple(xc["isas"]) == XCHAIN_ISAS
    assert xc["baseline"] == "eth_tx"
    for key in ("expected_stdout", "bytes", "recoveries", "default_vectors", "input_format"):
        assert xc.get(key) == base.get(key), key
    raws = [bytes.fromhex(v["raw"]) for v in base["default_vectors"]]
    assert "".join(valid_case(r)[1] for r in raws) == base["expected_stdout"]
    for r, v in zip(raws, base["default_vectors"], strict=True):
        assert valid_case(r)[1] == f"from {v['from']}\n"
    assert (KERNELS / "eth_tx" / "default_vector.h").read_text() == default_vector_h(raws)
    assert base["bytes"] == sum(len(r) for r in raws) and base["recoveries"] == len(raws)


def test_reference_invalid_cases_differ_from_valid() -> None:
    # every crafted case differs from the transaction it came from
    rng = random.Random(7)
    assert len(set(invalid_cases(rng))) > 100


@needs_qemu
@pytest.mark.qemu
@pytest.mark.parametrize("isa", ("rv32im", "rv32im_zicsr_zk_zks"))
def test_edge_and_random_qemu(kernel_elf, isa: str, tmp_path: Path) -> None:
    items = cases(random.Random(2 if isa == "rv32im" else 3), 8)
    status, text = run_qemu_block(kernel_elf("eth_tx", isa), isa, batch([r for r, _ in items]), tmp_path)
    assert status == 0
    got, want = text.splitlines(keepends=True), [w for _, w in items]
    pairs = enumerate(zip(got, want, strict=False))
    bad = [(i, items[i][0].hex()[:80], g, w) for i, (g, w) in pairs if g != w]
    assert not bad and len(got) == len(want)


@needs_qemu
@pytest.mark.qemu
def test_bad_framing_qemu(kernel_elf, tmp_path: Path) -> None:
    elf = kernel_elf("eth_tx", "rv32im")
    good = signed(random.Random(4), "eip1559")
    assert run_qemu_block(elf, "rv32im", batch([]), tmp_path) == (0, "")
    for data in (good, struct.pack("<I", 2) + batch([good])[4:], batch([good]) + b"\0", b"\1\0",
                 batch([good])[:-1], struct.pack("<II", 1, 0xFFFFFFFF)):
        status, text = run_qemu_block(elf, "rv32im", data, tmp_path)
        assert status == 1 and text.startswith("error:")


@pytest.mark.parametrize("isa", XCHAIN_ISAS)
def test_xchain_default_and_edges(kernel_elf, isa: str) -> None:
    elf = kernel_elf("eth_tx_xchain", isa)
    assert run_iss(elf, isa) == manifest("eth_tx_xchain")["expected_stdout"]
    items = cases(random.Random(5 if isa == XCHAIN_ISAS[0] else 6), 0)[:40]
    assert run_iss(elf, isa, batch([r for r, _ in items])) == "".join(w for _, w in items)


@needs_qemu
@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.parametrize("isa", QEMU_ISAS)
@pytest.mark.parametrize("seed", range(3))
def test_many_qemu(kernel_elf, isa: str, seed: int, tmp_path: Path) -> None:
    items = cases(random.Random(100 + seed + 10 * QEMU_ISAS.index(isa)), 100)
    status, text = run_qemu_block(kernel_elf("eth_tx", isa), isa, batch([r for r, _ in items]), tmp_path)
    assert status == 0 and text == "".join(w for _, w in items)
