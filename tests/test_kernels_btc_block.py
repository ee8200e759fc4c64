"""btc_block: validation of raw Bitcoin blocks.

References: python-bitcoinlib (``CBlock`` deserialization, txids, wtxids, the
Merkle trees, ``CheckBlock`` under regtest's proof-of-work limit) builds and
judges the blocks, and a validator written here with hashlib from BIP-141
and the CompactSize, compact-target and Merkle rules as Bitcoin Core states
them gives the reason a block is invalid. Real blocks: the kernel's default
(a testnet3 block), the mainnet genesis block as python-bitcoinlib ships it,
mainnet blocks from tests/data/btc_blocks.json and the broken blocks of
python-bitcoinlib's CheckBlock suite. Synthesized blocks (mined at easy
targets) cover segwit spends, every rule the kernel checks and inputs near
1 MiB.
"""

from __future__ import annotations

import hashlib
import json
import random
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from kernel_runs import KERNELS, QEMU_ISAS, manifest, needs_qemu
from qemu import run_qemu
from toolchain import have_toolchain

from isa.memmap import input_ram_size

pytestmark = pytest.mark.skipif(not have_toolchain(), reason="needs the RISC-V toolchain")

bitcoin = pytest.importorskip("bitcoin", reason="python-bitcoinlib (the dev extra)")
from bitcoin.core import (  # noqa: E402
    CBlock,
    CheckBlock,
    CMutableTransaction,
    CMutableTxIn,
    CMutableTxOut,
    COutPoint,
    CTxInWitness,
    CTxWitness,
    ValidationError,
    b2lx,
)
from bitcoin.core.script import CScript, CScriptWitness  # noqa: E402

NAME = "btc_block"
DATA = json.loads((Path(__file__).resolve().parent / "data" / "btc_blocks.json").read_text())
MIB = 1 << 20
EASY = 0x207FFFFF                      # regtest's limit: about one header in two passes


def sha256d(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


# ------------------------------------------------------------ the reference validator

class Invalid(Exception):
    pass


class Reader:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def take(self, n: int) -> bytes:
        if n > len(self.data) - self.pos:
            raise Invalid("truncated")
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def compact_size(self) -> int:
        """CompactSize: 1, 3, 5 or 9 bytes; only the shortest encoding is canonical."""
        first = self.take(1)[0]
        if first < 0xFD:
            return first
        width = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
        value = int.from_bytes(self.take(width), "little")
        if value < {2: 0xFD, 4: 0x10000, 8: 1 << 32}[width]:
            raise Invalid("bad-varint")
        return value


@dataclass
class Tx:
    raw: bytes
    stripped: bytes          # the serialization without marker, flag and witnesses
    witness: bool
    coinbase: bool
    outputs: list[bytes]     # scriptPubKeys
    stacks: list[list[bytes]]


def read_tx(r: Reader) -> Tx:
    start = r.pos
    version = r.take(4)
    witness = r.data[r.pos:r.pos + 1] == b"\x00"
    if witness:                 # BIP-144: marker 0x00, flag 0x01
        if r.take(2)[1] != 1:
            raise Invalid("bad-witness-flag")
    body = r.pos
    coinbase = False
    n_in = r.compact_size()
    for i in range(n_in):
        prevout = r.take(36)
        if i == 0:
            coinbase = n_in == 1 and prevout == bytes(32) + b"\xff" * 4
        r.take(r.compact_size())
        r.take(4)
    outputs = []
    for _ in range(r.compact_size()):
        r.take(8)
        outputs.append(r.take(r.compact_size()))
    body_end = r.pos
    stacks: list[list[bytes]] = []
    if witness:
        for _ in range(n_in):
            stacks.append([r.take(r.compact_size()) for _ in range(r.compact_size())])
        if not any(stacks):
            raise Invalid("superfluous-witness")
    locktime = r.take(4)
    stripped = version + r.data[body:body_end] + locktime
    return Tx(r.data[start:r.pos], stripped, witness, coinbase, outputs, stacks)


def merkle(hashes: list[bytes]) -> tuple[bytes, bool]:
    """Bitcoin's root (an odd level's last hash paired with itself) and whether two
    equal hashes were paired on the way (the CVE-2012-2459 mutation)."""
    if not hashes:
        return bytes(32), False
    mutated = False
    while len(hashes) > 1:
        mutated |= any(hashes[i] == hashes[i + 1] for i in range(0, len(hashes) - 1, 2))
        if len(hashes) % 2:
            hashes = hashes + hashes[-1:]
        hashes = [sha256d(hashes[i] + hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0], mutated


def target(bits: int) -> int | None:
    """The compact target (mantissa, sign bit 23, base-256 exponent); None when it is
    negative, zero or does not fit 256 bits."""
    size, word = bits >> 24, bits & 0x7FFFFF
    word = word >> 8 * (3 - size) if size <= 3 else word
    if word == 0 or bits & 0x800000 or size > 34 or (word > 0xFF and size > 33) or \
            (word > 0xFFFF and size > 32):
        return None
    return word << 8 * (size - 3) if size > 3 else word


COMMITMENT = bytes.fromhex("6a24aa21a9ed")


def judge(block: bytes) -> str:
    """What the kernel must print for ``block`` (rules and order: kernel.json's reasons)."""
    try:
        r = Reader(block)
        header = r.take(80)
        txs = [read_tx(r) for _ in range(r.compact_size())]
        if r.pos != len(block):
            raise Invalid("trailing-bytes")
        hash_ = sha256d(header)
        t = target(int.from_bytes(header[72:76], "little"))
        if t is None:
            raise Invalid("bad-diffbits")
        if int.from_bytes(hash_, "little") > t:
            raise Invalid("high-hash")
        if not txs:
            raise Invalid("bad-blk-length")
        root, mutated = merkle([sha256d(tx.stripped) for tx in txs])
        if root != header[36:68]:
            raise Invalid("bad-txnmrklroot")
        if mutated:
            raise Invalid("bad-txns-duplicate")
        if not txs[0].coinbase:
            raise Invalid("bad-cb-missing")
        if any(tx.coinbase for tx in txs[1:]):
            raise Invalid("bad-cb-multiple")
        commits = [s for s in txs[0].outputs if len(s) >= 38 and s[:6] == COMMITMENT]
        if commits:              # BIP-141: the last such output
            stack = txs[0].stacks[0] if txs[0].stacks else []
            if len(stack) != 1 or len(stack[0]) != 32:
                raise Invalid("bad-witness-nonce-size")
            wroot, _ = merkle([bytes(32)] + [sha256d(tx.raw) for tx in txs[1:]])
            if sha256d(wroot + stack[0]) != commits[-1][6:38]:
                raise Invalid("bad-witness-merkle-match")
        elif any(tx.witness for tx in txs):
            raise Invalid("unexpected-witness")
    except Invalid as e:
        return f"invalid {e}\n"
    return f"valid {hash_[::-1].hex()}\n"


# ------------------------------------------------------------ python-bitcoinlib: building and checking

@contextmanager
def regtest() -> Iterator[None]:
    """python-bitcoinlib's chain parameters for regtest (its proof-of-work limit), restored after."""
    bitcoin.SelectParams("regtest")
    try:
        yield
    finally:
        bitcoin.SelectParams("mainnet")


def library_verdict(block: bytes, regtest_pow: bool = True) -> str | None:
    """None if python-bitcoinlib deserializes the block (no bytes left over) and its
    CheckBlock passes; otherwise its complaint."""
    try:
        blk = CBlock.deserialize(block)
    except Exception as e:           # its deserializers raise several kinds
        return f"deserialize: {e!r}"
    try:
        if regtest_pow:
            with regtest():
                CheckBlock(blk, cur_time=blk.nTime)
        else:
            CheckBlock(blk, cur_time=blk.nTime)
    except ValidationError as e:
        return str(e)
    except IndexError as e:          # a commitment without the coinbase's witness item
        return repr(e)
    return None


def compact(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    return b"\xfe" + n.to_bytes(4, "little")


def spend(rng: random.Random, segwit: bool, script_len: int = 25, witness_len: int = 72,
          n_in: int | None = None) -> CMutableTransaction:
    n_in = n_in or rng.choice((1, 1, 2, 3))
    vin = [CMutableTxIn(COutPoint(rng.randbytes(32), rng.randrange(4)),
                        CScript([rng.randbytes(script_len)] if script_len and not segwit else []),
                        rng.getrandbits(32))
           for _ in range(n_in)]
    vout = [CMutableTxOut(rng.randrange(1, 10**8), CScript(b"\x00\x14" + rng.randbytes(20)))
            for _ in range(rng.choice((1, 2, 3)))]
    wit = CTxWitness([CTxInWitness(CScriptWitness([rng.randbytes(witness_len), rng.randbytes(33)]))
                      for _ in range(n_in)]) if segwit else CTxWitness()
    return CMutableTransaction(vin, vout, rng.getrandbits(32), rng.choice((1, 2)), wit)


def coinbase(height: int, commitment: bytes | None, reserved: bytes | None = bytes(32),
             extra_outputs: tuple[bytes, ...] = ()) -> CMutableTransaction:
    vin = [CMutableTxIn(COutPoint(), CScript(bytes([3]) + height.to_bytes(3, "little") + b"chainrv"))]
    vout = [CMutableTxOut(50 * 10**8, CScript(b"\x51"))]
    vout += [CMutableTxOut(0, CScript(s)) for s in extra_outputs]
    if commitment is not None:
        vout.append(CMutableTxOut(0, CScript(COMMITMENT + commitment)))
    wit = CTxWitness([CTxInWitness(CScriptWitness([reserved]))]) if reserved is not None else CTxWitness()
    return CMutableTransaction(vin, vout, 0, 2, wit)


def witness_commitment(txs: list, reserved: bytes = bytes(32)) -> bytes:
    """SHA-256d(root of the wtxids, the coinbase's zero || reserved), from the library's hashes."""
    wtxids = [bytes(32)] + [tx.GetHash() for tx in txs]
    return bitcoin.core.Hash(CBlock.build_merkle_tree_from_txids(wtxids)[-1] + reserved)


def mine(txs: list[bytes], root: bytes, bits: int = EASY, valid: bool = True, nonce: int = 0) -> bytes:
    """The block: a header for ``root`` whose hash meets (or, ``valid`` false, misses) ``bits``."""
    t = target(bits)
    while True:
        header = struct.pack("<I32s32sIII", 0x20000000, b"\x11" * 32, root, 1_700_000_000, bits, nonce)
        met = t is not None and int.from_bytes(sha256d(header), "little") <= t
        if met == valid or (t is None and valid):
            return header + compact(len(txs)) + b"".join(txs)
        nonce += 1


def txids_root(txs: list) -> bytes:
    return CBlock.build_merkle_tree_from_txids([tx.GetTxid() for tx in txs])[-1]


def segwit_block(rng: random.Random, n: int = 6, **kw) -> tuple[bytes, list]:
    """A valid block: coinbase with the commitment, then legacy and segwit spends."""
    txs = [spend(rng, segwit=i % 2 == 0) for i in range(n - 1)]
    txs = [coinbase(rng.randrange(1 << 20), witness_commitment(txs)), *txs]
    return mine([tx.serialize() for tx in txs], txids_root(txs), **kw), txs


# ------------------------------------------------------------ vectors

def real_valid() -> list[tuple[str, bytes]]:
    base = manifest(NAME)["default_vectors"][0]
    out = [("default", bytes.fromhex(base["raw"]))]
    out.append(("genesis", bitcoin.core.CoreMainParams.GENESIS_BLOCK.serialize()))
    out += [(v["name"], bytes.fromhex(v["hex"])) for v in DATA["valid"]]
    return out


def broken_blocks(rng: random.Random) -> list[tuple[str, bytes, str]]:
    """(name, block, the reason the kernel must give) for every rule."""
    out: list[tuple[str, bytes, str]] = []
    good, txs = segwit_block(rng)
    raws = [tx.serialize() for tx in txs]
    root = txids_root(txs)

    def add(name: str, block: bytes, reason: str) -> None:
        out.append((name, block, reason))

    # framing
    add("79-byte header", good[:79], "truncated")
    add("header alone", good[:80], "truncated")
    add("cut inside a transaction", good[:len(good) - 40], "truncated")
    add("one byte short", good[:-1], "truncated")
    add("trailing byte", good + b"\x00", "trailing-bytes")
    add("trailing transaction", good + raws[-1], "trailing-bytes")
    add("tx count 3 bytes long", good[:80] + b"\xfd" + len(raws).to_bytes(2, "little") + good[81:],
        "bad-varint")
    add("tx count 9 bytes long", good[:80] + b"\xff" + (1 << 32).to_bytes(8, "little") + good[81:],
        "truncated")
    add("tx count past the end", good[:80] + b"\xfe\xff\xff\xff\x00" + good[81:], "truncated")
    seg = raws[1]                          # a segwit spend: version, marker, flag, input count
    assert seg[4:6] == b"\x00\x01"
    for flag, reason in ((0, "bad-witness-flag"), (2, "bad-witness-flag")):
        bad = seg[:5] + bytes([flag]) + seg[6:]
        add(f"witness flag {flag}", mine([raws[0], bad, *raws[2:]], root), reason)
    empty = spend(rng, segwit=True)
    empty.wit = CTxWitness([CTxInWitness(CScriptWitness([])) for _ in empty.vin])
    stripped = empty.serialize(dict(include_witness=False))
    superfluous = stripped[:4] + b"\x00\x01" + stripped[4:-4] + b"\x00" * len(empty.vin) + stripped[-4:]
    add("marker and flag, no witness", mine([raws[0], superfluous], root), "superfluous-witness")
    # proof of work
    add("too little work", mine(raws, root, valid=False), "high-hash")
    add("difficulty-1 target", mine(raws, root, bits=0x1D00FFFF, valid=False), "high-hash")
    for bits in (0x23000001, 0x22000100, 0x21010000, 0x04923456, 0x20800001, 0x1D800000, 0, 0x03000000,
                 0x01003456, 0x01803456):
        add(f"bits {bits:#010x}", mine(raws, root, bits=bits), "bad-diffbits")
    for bits in (0x220000FF, 0x2100FFFF):   # the largest targets that fit 256 bits
        add(f"bits {bits:#010x}", mine(raws, root, bits=bits), "valid")
    for bits in (0x03123456, 0x02123456, 0x01120000):   # tiny targets: no header meets them
        add(f"bits {bits:#010x}", mine(raws, root, bits=bits, valid=False), "high-hash")
    # transactions and the Merkle root
    add("no transactions", mine([], bytes(32)), "bad-blk-length")
    add("merkle root off by a bit", mine(raws, bytes([root[0] ^ 1]) + root[1:]), "bad-txnmrklroot")
    add("transactions swapped", mine([raws[0], raws[2], raws[1], *raws[3:]], root), "bad-txnmrklroot")
    three = [coinbase(9, witness_commitment(txs[1:3])), *txs[1:3]]   # the last paired with itself
    odd, odd_root = [t.serialize() for t in three], txids_root(three)
    add("three transactions", mine(odd, odd_root), "valid")
    add("the last transaction twice (CVE-2012-2459)", mine([*odd, odd[-1]], odd_root), "bad-txns-duplicate")
    six_root = txids_root(txs)             # six: level 1 has three nodes, the last paired with itself
    add("the last two twice (CVE-2012-2459, level 1)", mine([*raws, *raws[4:6]], six_root),
        "bad-txns-duplicate")
    not_cb = [raws[1], raws[0], *raws[2:]]
    add("coinbase second", mine(not_cb, CBlock.build_merkle_tree_from_txids(
        [txs[1].GetTxid(), txs[0].GetTxid(), *(t.GetTxid() for t in txs[2:])])[-1]), "bad-cb-missing")
    cb2 = coinbase(7, None, None)
    two = [*txs, cb2]
    add("second coinbase", mine([*raws, cb2.serialize()], txids_root(two)), "bad-cb-multiple")
    # BIP-141
    spends = txs[1:]
    good_commit = witness_commitment(spends)

    def with_coinbase(cb: CMutableTransaction) -> bytes:
        all_txs = [cb, *spends]
        return mine([t.serialize() for t in all_txs], txids_root(all_txs))

    add("commitment off by a bit", with_coinbase(coinbase(1, bytes([good_commit[0] ^ 1]) + good_commit[1:])),
        "bad-witness-merkle-match")
    add("reserved value changed", with_coinbase(coinbase(1, good_commit, b"\x01" * 32)),
        "bad-witness-merkle-match")
    add("no reserved value", with_coinbase(coinbase(1, good_commit, None)), "bad-witness-nonce-size")
    add("reserved value of 31 bytes", with_coinbase(coinbase(1, good_commit, bytes(31))),
        "bad-witness-nonce-size")
    add("witness without commitment", with_coinbase(coinbase(1, None, None)), "unexpected-witness")
    add("two commitments, the last right", with_coinbase(coinbase(1, good_commit, extra_outputs=(
        COMMITMENT + bytes(32),))), "valid")
    cb = coinbase(1, None)
    cb.vout += [CMutableTxOut(0, CScript(COMMITMENT + good_commit)),
                CMutableTxOut(0, CScript(COMMITMENT + bytes(32) + b"tail"))]
    add("two commitments, the last wrong (with a tail)", with_coinbase(cb), "bad-witness-merkle-match")
    add("a 37-byte lookalike is no commitment", with_coinbase(coinbase(1, None, None, extra_outputs=(
        COMMITMENT + good_commit[:31],))), "unexpected-witness")
    legacy = [spend(rng, segwit=False) for _ in range(3)]
    cb_only = coinbase(2, witness_commitment(legacy))
    all_txs = [cb_only, *legacy]
    add("commitment, no witness but the coinbase's",
        mine([t.serialize() for t in all_txs], txids_root(all_txs)), "valid")
    plain = [coinbase(3, None, None), *legacy]
    add("no segwit at all", mine([t.serialize() for t in plain], txids_root(plain)), "valid")
    return out


def random_valid(rng: random.Random, count: int) -> list[tuple[str, bytes]]:
    """Blocks of 1..40 transactions, some with long scripts and witness items (3- and
    5-byte CompactSizes), legacy only or with segwit spends."""
    out = []
    for k in range(count):
        n = rng.choice((1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 40))
        segwit = rng.random() < 0.7
        big = 70000 if k % 5 == 0 else 520       # 5- and 3-byte CompactSizes
        txs = [spend(rng, segwit and rng.random() < 0.6, script_len=rng.choice((0, 25, 107, 300)),
                     witness_len=rng.choice((0, 72, 253, big))) for _ in range(n - 1)]
        commit = witness_commitment(txs) if segwit else None
        txs = [coinbase(k, commit, bytes(32) if segwit else None), *txs]
        out.append((f"random {k}: {n} transactions", mine([t.serialize() for t in txs], txids_root(txs))))
    return out


# ------------------------------------------------------------ runs

def iss(elf: Path, isa: str, block: bytes | None, ram_size: int = MIB) -> tuple[str, int]:
    simulator = pytest.importorskip("simulator")
    res = simulator.run_elf(elf, isa=isa, input_bytes=block, ram_size=ram_size)
    assert res.exit_code == 0, res.trap
    return res.stdout.decode(), int(res.cycles)


def check_all(elf: Path, isa: str, cases: list[tuple[str, bytes, str]]) -> None:
    bad = []
    for name, block, want in cases:
        got, _ = iss(elf, isa, block, ram_size=input_ram_size(len(block)))
        if got != want:
            bad.append((name, got, want))
    assert not bad


def expect(block: bytes, reason: str) -> str:
    return judge(block) if reason == "valid" else f"invalid {reason}\n"


# ------------------------------------------------------------ tests

def test_manifest_and_default_vector() -> None:
    m = manifest(NAME)
    assert tuple(m["isas"]) == QEMU_ISAS and m["blocks"] == 1
    (vec,) = m["default_vectors"]
    raw = bytes.fromhex(vec["raw"])
    assert m["bytes"] == len(raw)
    blk = CBlock.deserialize(raw)
    assert b2lx(blk.GetHash()) == vec["id"]
    assert m["expected_stdout"] == f"valid {vec['id']}\n" == judge(raw)
    CheckBlock(blk, cur_time=blk.nTime)
    assert any(tx.has_witness() for tx in blk.vtx)
    text = (KERNELS / NAME / "default_block.h").read_text()
    values = bytes(int(v, 16) for v in text[text.index("{") + 1:text.rindex("}")].replace(",", " ").split())
    assert values == raw and f"default_block[{len(raw)}]" in text
    reasons = [r for r, _ in m["reasons"]]
    assert len(set(reasons)) == len(reasons) == 15


def test_reference_agrees_with_python_bitcoinlib() -> None:
    """The validator here against the library: ids and verdicts of real and synthesized blocks."""
    rng = random.Random(1)
    for name, block in real_valid():
        blk = CBlock.deserialize(block)
        assert judge(block) == f"valid {b2lx(blk.GetHash())}\n", name
        assert library_verdict(block, regtest_pow=False) is None, name
    for name, block in random_valid(rng, 12):
        assert judge(block).startswith("valid "), name
        assert library_verdict(block) is None, name
    for v in DATA["invalid"]:
        block = bytes.fromhex(v["hex"])
        assert judge(block).startswith("invalid "), v["name"]
        assert library_verdict(block, regtest_pow=False) is not None, v["name"]
    # the library rejects these too (it has no rule for the rest: bits' sign, CompactSize form, ...)
    lib_rejects = ("truncated", "trailing-bytes", "high-hash", "bad-txnmrklroot", "bad-cb-missing",
                   "bad-cb-multiple", "bad-witness-merkle-match", "bad-witness-nonce-size")
    for name, block, reason in broken_blocks(rng):
        assert judge(block) == expect(block, reason), name
        if reason in lib_rejects:
            assert library_verdict(block) is not None, name
        elif reason == "valid":
            assert library_verdict(block) is None or name.startswith("bits"), name   # above its limit


@pytest.mark.parametrize("isa", QEMU_ISAS)
def test_real_blocks(kernel_elf, isa: str) -> None:
    elf = kernel_elf(NAME, isa)
    assert iss(elf, isa, None)[0] == manifest(NAME)["expected_stdout"]
    cases = [(n, b, judge(b)) for n, b in real_valid()]
    cases += [(v["name"], bytes.fromhex(v["hex"]), judge(bytes.fromhex(v["hex"]))) for v in DATA["invalid"]]
    check_all(elf, isa, cases)


def test_every_rule(kernel_elf) -> None:
    isa = "rv32im_zicsr_zk_zks"
    cases = [(n, b, expect(b, r)) for n, b, r in broken_blocks(random.Random(2))]
    assert {w.split()[1] for _, _, w in cases if w.startswith("invalid")} == \
        {r for r, _ in manifest(NAME)["reasons"]}
    check_all(kernel_elf(NAME, isa), isa, cases)


@pytest.mark.parametrize("isa", ("rv32im", "rv32im_zbkb"))
def test_every_rule_base_isas(kernel_elf, isa: str) -> None:
    cases = [(n, b, expect(b, r)) for n, b, r in broken_blocks(random.Random(3))]
    check_all(kernel_elf(NAME, isa), isa, cases[::3])


def test_random_blocks(kernel_elf) -> None:
    isa = "rv32im_zicsr_zk_zks"
    check_all(kernel_elf(NAME, isa), isa, [(n, b, judge(b)) for n, b in random_valid(random.Random(4), 20)])


@needs_qemu
@pytest.mark.qemu
@pytest.mark.parametrize("isa", ("rv32im", "rv32im_zicsr_zk_zks"))
def test_qemu(kernel_elf, isa: str) -> None:
    elf = kernel_elf(NAME, isa)
    rng = random.Random(5)
    cases = [(n, b, judge(b)) for n, b in real_valid()[:3] + random_valid(rng, 3)]
    cases += [(n, b, expect(b, r)) for n, b, r in broken_blocks(rng)[::4]]
    for name, block, want in cases:
        res = run_qemu(elf, isa, input_bytes=block, ram_size=input_ram_size(len(block)), timeout=120)
        assert (res.status, res.text) == (0, want), name


def big_block(rng: random.Random, size: int) -> bytes:
    """A valid segwit block of about ``size`` bytes: spends with 1-3 inputs and
    witness items of 72..1000 bytes, a quarter of them legacy."""
    txs: list = []
    total = 200
    while total < size - 8000:
        tx = spend(rng, segwit=rng.random() < 0.75, script_len=107, witness_len=rng.choice((72, 300, 1000)))
        txs.append(tx)
        total += len(tx.serialize())
    txs = [coinbase(1, witness_commitment(txs)), *txs]
    return mine([t.serialize() for t in txs], txids_root(txs))


@pytest.mark.slow
@pytest.mark.parametrize("isa", QEMU_ISAS)
def test_near_one_mib(kernel_elf, isa: str) -> None:
    """A block just under 1 MiB, on the ISS with --ram-size 2M; one byte more than
    the RAM holds is refused whole."""
    block = big_block(random.Random(6), MIB - 64)
    assert MIB - 16384 < len(block) <= MIB
    want = judge(block)
    assert want.startswith("valid ") and library_verdict(block) is None
    got, cycles = iss(kernel_elf(NAME, isa), isa, block, ram_size=2 * MIB)
    assert got == want
    broken = block[:200] + bytes([block[200] ^ 1]) + block[201:]
    assert iss(kernel_elf(NAME, isa), isa, broken, ram_size=2 * MIB)[0] == judge(broken) != want
    simulator = pytest.importorskip("simulator")
    with pytest.raises(simulator.SimError, match="--ram-size 3M holds it"):
        simulator.run_elf(kernel_elf(NAME, isa), isa=isa, input_bytes=block + bytes(MIB - len(block) + 1),
                          ram_size=2 * MIB)


@needs_qemu
@pytest.mark.qemu
@pytest.mark.slow
def test_near_one_mib_qemu(kernel_elf) -> None:
    isa = "rv32im_zicsr_zk_zks"
    block = big_block(random.Random(7), MIB - 64)
    res = run_qemu(kernel_elf(NAME, isa), isa, input_bytes=block, ram_size=2 * MIB, timeout=300)
    assert (res.status, res.text) == (0, judge(block))
