"""SHA3-256 and RIPEMD-160 kernels against hashlib and pycryptodome.

Every message goes through the input block. The ISS runs the many vectors
(a few milliseconds each); QEMU, the independent reference machine, runs a
subset of them on each ISA. Lengths sit on the padding boundaries: the
SHA3-256 rate of 136 bytes (at 135 the domain byte and the final 0x80 share
one byte: 0x86) and RIPEMD-160's 64-byte blocks with the 8-byte length (55,
56, 63, 64, 119, 120).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from Crypto.Hash import RIPEMD160, SHA3_256
from qemu import have_qemu, run_qemu
from toolchain import have_toolchain

from chainrv.kernels import KERNELS_DIR, load_kernel
from isa.memmap import INPUT_MAX, input_block

simulator = pytest.importorskip("simulator", reason="the ISS (simulator package) is not available")

pytestmark = pytest.mark.skipif(not have_toolchain(), reason="needs the RISC-V toolchain")

ISAS = ("rv32im", "rv32im_zbkb", "rv32im_zicsr_zk_zks")
XCHAIN_ISAS = ("rv32im_xchain", "rv32im_zicsr_zk_zks_xchain")
MSG4K = bytes(i % 256 for i in range(4096))

SHA3_LENGTHS = (*range(0, 300), 407, 408, 409, 543, 544, 545, 1000, 4096)
RMD_LENGTHS = (*range(0, 200), 247, 248, 255, 256, 1000, 4096)


def sha3_256(b: bytes) -> bytes:
    h = hashlib.sha3_256(b).digest()
    assert h == SHA3_256.new(b).digest()
    return h


def ripemd160(b: bytes) -> bytes:
    h = RIPEMD160.new(b).digest()
    try:  # OpenSSL 3 keeps RIPEMD-160 in its legacy provider: hashlib may lack it
        assert h == hashlib.new("ripemd160", b).digest()
    except ValueError:
        pass
    return h


REF: dict[str, Callable[[bytes], bytes]] = {"sha3_256": sha3_256, "ripemd160": ripemd160}


def iss(elf: Path, isa: str, data: bytes | None) -> str:
    res = simulator.run_elf(elf, isa=isa, input_bytes=data)
    assert res.exit_code == 0, res.trap
    return res.stdout.decode()


def messages(rng: random.Random, lengths: tuple[int, ...]) -> list[bytes]:
    """Random bytes at each length, plus all-0x00 and all-0xff near the boundaries."""
    out = [rng.randbytes(n) for n in lengths]
    for n in (0, 55, 56, 63, 64, 135, 136, 137, 271, 272):
        out += [b"\0" * n, b"\xff" * n]
    return out


# ---------------------------------------------------------------- manifests

@pytest.mark.parametrize("name", ["sha3_256", "ripemd160"])
def test_manifest(name: str) -> None:
    k = load_kernel(KERNELS_DIR / name)
    assert list(k.isas) == list(ISAS)
    assert k.bytes == len(MSG4K)
    assert k.expected_stdout == REF[name](MSG4K).hex() + "\n"


def test_xchain_manifest() -> None:
    m = json.loads((KERNELS_DIR / "sha3_256_xchain" / "kernel.json").read_text())
    base = json.loads((KERNELS_DIR / "sha3_256" / "kernel.json").read_text())
    assert m["baseline"] == "sha3_256" and tuple(m["isas"]) == XCHAIN_ISAS
    assert (m["expected_stdout"], m["bytes"]) == (base["expected_stdout"], base["bytes"])
    assert (KERNELS_DIR / "sha3_256_xchain" / m["sources"][0]).resolve() == (
        KERNELS_DIR / "sha3_256" / base["sources"][0]).resolve()


# ---------------------------------------------------------------- published vectors

SHA3_PUBLISHED = {  # FIPS 202 examples (NIST CSRC)
    b"": "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a",
    b"abc": "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532",
    b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq":
        "41c0dba2a9d6240849100376a8235e2c82e1b9998a999e21db32dd97496d3376",
}
RMD_PUBLISHED = {  # the RIPEMD-160 authors' test vectors
    b"": "9c1185a5c5e9fc54612808977ee8f548b2258d31",
    b"abc": "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc",
    b"message digest": "5d0689ef49d2fae572b881b123a85ffa21595f36",
    b"abcdefghijklmnopqrstuvwxyz": "f71c27109c692c1b56bbdceb5b9d2865b3708dbc",
    b"1234567890" * 8: "9b752e45573d4b39f4dbd3323cab82bf63326bfb",
}


@pytest.mark.parametrize("isa", ISAS)
def test_published_vectors(kernel_elf, isa: str) -> None:
    for name, table in (("sha3_256", SHA3_PUBLISHED), ("ripemd160", RMD_PUBLISHED)):
        elf = kernel_elf(name, isa)
        for msg, digest in table.items():
            assert iss(elf, isa, msg) == digest + "\n", (name, msg)


def test_sha3_is_not_keccak256(kernel_elf) -> None:
    """Same sponge, different domain bits: the empty message tells them apart."""
    isa = "rv32im_zbkb"
    assert iss(kernel_elf("sha3_256", isa), isa, b"") == SHA3_PUBLISHED[b""] + "\n"
    assert iss(kernel_elf("keccak256", isa), isa, b"") == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470\n")


def test_hash160_of_a_public_key(kernel_elf) -> None:
    """Bitcoin's hash160 = RIPEMD-160(SHA-256(pubkey)): the compressed key of
    private key 1 gives BIP-173's example witness program."""
    pub = bytes.fromhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
    isa = "rv32im_zicsr_zk_zks"
    out = iss(kernel_elf("ripemd160", isa), isa, hashlib.sha256(pub).digest())
    assert out == "751e76e8199196d454941c45d1b3a323f1433bd6\n"


# ---------------------------------------------------------------- many messages

@pytest.mark.parametrize("isa", ISAS)
def test_sha3_256_lengths(kernel_elf, isa: str) -> None:
    elf = kernel_elf("sha3_256", isa)
    for msg in messages(random.Random(31), SHA3_LENGTHS):
        assert iss(elf, isa, msg) == sha3_256(msg).hex() + "\n", len(msg)


@pytest.mark.parametrize("isa", XCHAIN_ISAS)
def test_sha3_256_xchain_lengths(kernel_elf, isa: str) -> None:
    elf = kernel_elf("sha3_256_xchain", isa)
    for msg in messages(random.Random(32), (0, 1, 135, 136, 137, 271, 272, 300, 1000, 3000)):
        assert iss(elf, isa, msg) == sha3_256(msg).hex() + "\n", len(msg)


@pytest.mark.parametrize("isa", ISAS)
def test_ripemd160_lengths(kernel_elf, isa: str) -> None:
    elf = kernel_elf("ripemd160", isa)
    for msg in messages(random.Random(33), RMD_LENGTHS):
        assert iss(elf, isa, msg) == ripemd160(msg).hex() + "\n", len(msg)


@pytest.mark.qemu
@pytest.mark.skipif(not have_qemu(), reason="no qemu-system-riscv32")
@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("name", ["sha3_256", "ripemd160"])
def test_lengths_on_qemu(kernel_elf, tmp_path: Path, name: str, isa: str) -> None:
    elf = kernel_elf(name, isa)
    rng = random.Random(34)
    for n in (0, 1, 55, 56, 64, 135, 136, 137, 272, rng.randrange(1, 3000)):
        msg = rng.randbytes(n)
        inp = tmp_path / "in.bin"
        inp.write_bytes(input_block(msg))
        r = run_qemu(elf, isa, input_file=inp)
        assert (r.status, r.text) == (0, REF[name](msg).hex() + "\n"), n


# ---------------------------------------------------------------- long sweeps (make regress)

@pytest.mark.slow
@pytest.mark.parametrize("isa", ISAS + XCHAIN_ISAS)
@pytest.mark.parametrize("name", ["sha3_256", "ripemd160"])
def test_random_sweep(kernel_elf, name: str, isa: str) -> None:
    if "xchain" in isa:
        if name == "ripemd160":
            pytest.skip("no Xchain variant")
        name = "sha3_256_xchain"
    elf = kernel_elf(name, isa)
    ref = REF[name.removesuffix("_xchain")]
    rng = random.Random(f"{name}-{isa}")
    for _ in range(1500):
        msg = rng.randbytes(rng.choice((rng.randrange(0, 300), rng.randrange(0, 5000))))
        assert iss(elf, isa, msg) == ref(msg).hex() + "\n", msg.hex()
    # the largest input the block holds
    msg = rng.randbytes(INPUT_MAX)
    assert iss(elf, isa, msg) == ref(msg).hex() + "\n"



def test_sha3_256_xchain_lockstep(kernel_elf) -> None:
    """The Xchain variant on the RTL with its Xchain unit, in lockstep with the
    ISS (the other variants are in cocotb_tests/test_lockstep.py's catalogue sweep)."""
    from chainrv.cosim import harness
    from chainrv.cosim.lockstep import lockstep

    if not harness.have_sim("verilator"):
        pytest.skip("verilator not installed")
    isa = XCHAIN_ISAS[1]
    msg = bytes(range(64))
    out = lockstep(kernel_elf("sha3_256_xchain", isa), isa, "verilator", input_bytes=msg)
    assert out.ok, out.report
    assert out.iss.exit_code == 0 and int(out.rtl.records["cycle"][-1]) + 1 == out.iss.cycles
    assert out.rtl.uart == out.iss.stdout == (sha3_256(msg).hex() + "\n").encode()
