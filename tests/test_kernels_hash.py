"""Hash kernels (SHA-256, SHA-256d, mining, Keccak-256, SM3, Merkle roots) on QEMU.

Each (kernel, ISA) is built once per session from its ``kernel.json`` and run
on ``qemu-system-riscv32`` with the ISA's CPU flags; inputs go through the
input block. References: hashlib (SHA-256/SHA-256d), pycryptodome
(Keccak-256), gmssl (SM3), published Bitcoin genesis values.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from qemu import have_qemu, run_qemu

from chainrv.kernels import KERNELS_DIR, load_kernel
from chainrv.toolchain import GCC
from cocotb_tests.references import keccak256, sha256d
from cocotb_tests.references import sm3_digest as sm3_hash
from isa.memmap import input_block

pytestmark = [
    pytest.mark.qemu,
    pytest.mark.skipif(shutil.which(GCC) is None, reason="no RISC-V GCC"),
    pytest.mark.skipif(not have_qemu(), reason="no qemu-system-riscv32"),
]

ISAS = ("rv32im", "rv32im_zbkb", "rv32im_zicsr_zk_zks")
KERNELS = ("sha256", "sha256d", "mining", "keccak256", "sm3", "merkle_btc", "merkle_sm3")

GENESIS = bytes.fromhex(
    "01000000" + "00" * 32
    + "3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a"
    + "29ab5f49" + "ffff001d" + "1dac2b7c")
GENESIS_HASH = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"

# Message lengths around the block and padding boundaries of each hash.
MD_LENGTHS = (0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 200, 1000)
KECCAK_LENGTHS = (0, 1, 135, 136, 137, 271, 272, 300)


def run(elf: Path, isa: str, data: bytes | None, tmp_path: Path, tag: str = "in") -> tuple[int, str]:
    """Run on QEMU with ``data`` in the input block (None: the default vector)."""
    inp = None
    if data is not None:
        inp = tmp_path / f"{tag}.bin"
        inp.write_bytes(input_block(data))
    r = run_qemu(elf, isa, input_file=inp)
    return r.status, r.text


def merkle_root(leaves: list[bytes], parent: Callable[[bytes], bytes]) -> bytes:
    level = list(leaves)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [parent(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


# ---------------------------------------------------------------- manifests

@pytest.mark.parametrize("name", KERNELS)
def test_manifest_expected_stdout_matches_reference(name: str) -> None:
    """kernel.json's expected text is what the references give for the default vector."""
    k = load_kernel(KERNELS_DIR / name)
    msg4k = bytes(i % 256 for i in range(4096))
    leaves = [hashlib.sha256(i.to_bytes(4, "little")).digest() for i in range(27)]
    expected = {
        "sha256": hashlib.sha256(msg4k).hexdigest(),
        "sha256d": GENESIS_HASH,
        "mining": "7c2bac1d " + GENESIS_HASH + " 1",
        "keccak256": keccak256(msg4k).hex(),
        "sm3": sm3_hash(msg4k).hex(),
        "merkle_btc": merkle_root(leaves, sha256d).hex(),
        "merkle_sm3": merkle_root(leaves, sm3_hash).hex(),
    }[name]
    assert k.expected_stdout == expected + "\n"
    assert list(k.isas) == list(ISAS)


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("name", KERNELS)
def test_default_vector(kernel_elf, tmp_path: Path, name: str, isa: str) -> None:
    k = load_kernel(KERNELS_DIR / name)
    status, text = run(kernel_elf(name, isa), isa, None, tmp_path)
    assert (status, text) == (0, k.expected_stdout)


# ---------------------------------------------------------------- hashes of messages

def check_lengths(elf: Path, isa: str, tmp_path: Path, lengths: tuple[int, ...],
                  ref: Callable[[bytes], bytes], seed: int) -> None:
    rng = random.Random(seed)
    for n in [*lengths, rng.randrange(1, 3000)]:
        data = rng.randbytes(n)
        status, text = run(elf, isa, data, tmp_path)
        assert (status, text) == (0, ref(data).hex() + "\n"), f"length {n}"


@pytest.mark.parametrize("isa", ISAS)
def test_sha256_lengths(kernel_elf, tmp_path: Path, isa: str) -> None:
    check_lengths(kernel_elf("sha256", isa), isa, tmp_path, MD_LENGTHS,
                  lambda b: hashlib.sha256(b).digest(), 1)


@pytest.mark.parametrize("isa", ISAS)
def test_sm3_lengths(kernel_elf, tmp_path: Path, isa: str) -> None:
    check_lengths(kernel_elf("sm3", isa), isa, tmp_path, MD_LENGTHS, sm3_hash, 2)


def test_sm3_published_vectors(kernel_elf, tmp_path: Path) -> None:
    """GB/T 32905 examples: "abc" and "abcd" x 16."""
    isa = "rv32im_zicsr_zk_zks"
    elf = kernel_elf("sm3", isa)
    assert run(elf, isa, b"abc", tmp_path)[1] == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0\n")
    assert run(elf, isa, b"abcd" * 16, tmp_path)[1] == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732\n")


@pytest.mark.parametrize("isa", ISAS)
def test_keccak256_lengths(kernel_elf, tmp_path: Path, isa: str) -> None:
    check_lengths(kernel_elf("keccak256", isa), isa, tmp_path, KECCAK_LENGTHS, keccak256, 3)


def test_keccak256_is_not_sha3(kernel_elf, tmp_path: Path) -> None:
    """Ethereum's empty-input hash (0x01 padding), not SHA3-256's a7ffc6f8..."""
    isa = "rv32im_zbkb"
    assert run(kernel_elf("keccak256", isa), isa, b"", tmp_path)[1] == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470\n")


@pytest.mark.parametrize("isa", ISAS)
def test_sha256d_headers(kernel_elf, tmp_path: Path, isa: str) -> None:
    elf = kernel_elf("sha256d", isa)
    assert run(elf, isa, GENESIS, tmp_path) == (0, GENESIS_HASH + "\n")
    rng = random.Random(4)
    for n in (80, 80, 0, 64, 100):
        data = rng.randbytes(n)
        assert run(elf, isa, data, tmp_path) == (0, sha256d(data)[::-1].hex() + "\n"), f"length {n}"


# ---------------------------------------------------------------- mining

def mining_expected(prefix: bytes, start: int, count: int, target: int) -> str:
    results = []
    for i in range(count):
        nonce = (start + i) & 0xFFFFFFFF
        h = sha256d(prefix + struct.pack("<I", nonce))
        results.append((int.from_bytes(h, "little"), nonce, h))
    value, nonce, h = min(results)
    wins = sum(1 for v, _, _ in results if v <= target)
    return f"{nonce:08x} {h[::-1].hex()} {wins}\n"


def mining_job(prefix: bytes, start: int, count: int, target: int) -> bytes:
    return prefix + struct.pack("<II", start, count) + target.to_bytes(32, "little")


@pytest.mark.parametrize("isa", ISAS)
def test_mining_random_jobs(kernel_elf, tmp_path: Path, isa: str) -> None:
    elf = kernel_elf("mining", isa)
    rng = random.Random(5)
    # Nonces that wrap past 2^32; a target that about a quarter of the hashes meet.
    prefix = rng.randbytes(76)
    job = (prefix, 0xFFFFFFF8, 16, 1 << 254)
    assert run(elf, isa, mining_job(*job), tmp_path) == (0, mining_expected(*job))
    # No winner at all, and every hash a winner.
    for target in (0, (1 << 256) - 1):
        job = (rng.randbytes(76), rng.getrandbits(32), 5, target)
        assert run(elf, isa, mining_job(*job), tmp_path) == (0, mining_expected(*job))


def test_mining_genesis_window(kernel_elf, tmp_path: Path) -> None:
    isa = "rv32im_zicsr_zk_zks"
    job = (GENESIS[:76], 2083236893 - 3, 7, 0xFFFF << 208)
    status, text = run(kernel_elf("mining", isa), isa, mining_job(*job), tmp_path)
    assert (status, text) == (0, mining_expected(*job))
    assert text == f"7c2bac1d {GENESIS_HASH} 1\n"


@pytest.mark.parametrize("data", [b"", b"\0" * 115, b"\0" * 117,
                                  GENESIS[:76] + struct.pack("<II", 0, 0) + b"\xff" * 32],
                         ids=["empty", "short", "long", "zero-nonces"])
def test_mining_bad_input(kernel_elf, tmp_path: Path, data: bytes) -> None:
    isa = "rv32im"
    status, text = run(kernel_elf("mining", isa), isa, data, tmp_path)
    assert status == 1
    assert text.startswith("error: ") and text.count("\n") == 1


# ---------------------------------------------------------------- Merkle roots

def merkle_input(leaves: list[bytes]) -> bytes:
    return struct.pack("<I", len(leaves)) + b"".join(leaves)


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("name, parent", [("merkle_btc", sha256d), ("merkle_sm3", sm3_hash)],
                         ids=["btc", "sm3"])
def test_merkle_random_trees(kernel_elf, tmp_path: Path, name: str, parent, isa: str) -> None:
    elf = kernel_elf(name, isa)
    rng = random.Random(6)
    for n in (1, 2, 3, 5, 8, 13, 33):
        leaves = [rng.randbytes(32) for _ in range(n)]
        expected = merkle_root(leaves, parent).hex() + "\n"
        assert run(elf, isa, merkle_input(leaves), tmp_path) == (0, expected), f"{n} leaves"


def test_merkle_btc_real_block(kernel_elf, tmp_path: Path) -> None:
    """Block 100000's four transactions; its header's Merkle root (internal order)."""
    txids = [bytes.fromhex(t)[::-1] for t in (
        "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
        "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
        "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
        "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
    )]
    isa = "rv32im_zicsr_zk_zks"
    status, text = run(kernel_elf("merkle_btc", isa), isa, merkle_input(txids), tmp_path)
    assert (status, text[:-1]) == (0, bytes.fromhex(
        "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766")[::-1].hex())


@pytest.mark.parametrize("data", [b"", b"\1\0", struct.pack("<I", 0), struct.pack("<I", 2) + b"\0" * 63],
                         ids=["empty", "short-count", "zero-leaves", "truncated"])
def test_merkle_bad_input(kernel_elf, tmp_path: Path, data: bytes) -> None:
    isa = "rv32im_zbkb"
    for name in ("merkle_btc", "merkle_sm3"):
        status, text = run(kernel_elf(name, isa), isa, data, tmp_path)
        assert status == 1
        assert text.startswith("error: ") and text.count("\n") == 1


# ---------------------------------------------------------------- the ISS agrees with QEMU

@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("name", KERNELS)
def test_iss_default_vector_matches_qemu(kernel_elf, tmp_path: Path, name: str, isa: str) -> None:
    simulator = pytest.importorskip("simulator")
    elf = kernel_elf(name, isa)
    q_status, q_text = run(elf, isa, None, tmp_path)
    r = simulator.run_elf(elf, isa=isa)
    assert (r.exit_code, r.stdout.decode("latin-1")) == (q_status, q_text)
    assert r.cycles >= r.instret > 0


@pytest.mark.parametrize("name, data", [("sha256", random.Random(7).randbytes(777)),
                                        ("keccak256", random.Random(8).randbytes(300)),
                                        ("sm3", random.Random(9).randbytes(129))])
def test_iss_input_block_matches_qemu(kernel_elf, tmp_path: Path, name: str, data: bytes) -> None:
    simulator = pytest.importorskip("simulator")
    isa = "rv32im_zicsr_zk_zks"
    elf = kernel_elf(name, isa)
    r = simulator.run_elf(elf, isa=isa, input_bytes=data)
    assert (r.exit_code, r.stdout.decode("latin-1")) == run(elf, isa, data, tmp_path)
