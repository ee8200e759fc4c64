"""aes128, sm4 and sha512 kernels on QEMU against pycryptodome, gmssl and hashlib.

Each (kernel, ISA) is built once per session; inputs reach the kernel through
the input block (magic, length, data at 0x800C0000).
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from Crypto.Cipher import AES
from gmssl.sm4 import SM4_ENCRYPT, CryptSM4
from qemu import have_qemu, run_qemu

from chainrv.toolchain import GCC
from isa.memmap import input_block

pytestmark = [
    pytest.mark.qemu,
    pytest.mark.skipif(shutil.which(GCC) is None, reason="no RISC-V GCC"),
    pytest.mark.skipif(not have_qemu(), reason="no qemu-system-riscv32"),
]

KERNELS_DIR = Path(__file__).resolve().parent.parent / "kernels"
KERNELS = ("aes128", "sm4", "sha512")
OBJDUMP = "riscv64-unknown-elf-objdump"


def manifest(kernel: str) -> dict:
    return json.loads((KERNELS_DIR / kernel / "kernel.json").read_text())


VARIANTS = [(k, isa) for k in KERNELS for isa in manifest(k)["isas"]]


@pytest.fixture(scope="session")
def elves(kernel_elf) -> dict[tuple[str, str], Path]:
    return {(kernel, isa): kernel_elf(kernel, isa) for kernel, isa in VARIANTS}


def run_with_input(elf: Path, isa: str, data: bytes, tmp_path: Path):
    blob = tmp_path / "in.bin"
    blob.write_bytes(input_block(data))
    return run_qemu(elf, isa, input_file=blob)


def xor_blocks(ct: bytes) -> str:
    fold = bytearray(16)
    for i in range(0, len(ct), 16):
        for j in range(16):
            fold[j] ^= ct[i + j]
    return fold.hex() + "\n"


def aes_ref(key: bytes, pt: bytes) -> bytes:
    return AES.new(key, AES.MODE_ECB).encrypt(pt)


def sm4_ref(key: bytes, pt: bytes) -> bytes:
    if not pt:
        return b""
    c = CryptSM4()
    c.set_key(key, SM4_ENCRYPT)
    return c.crypt_ecb(pt)[: len(pt)]  # gmssl appends a PKCS#7 block; drop it


CIPHER_REF = {"aes128": aes_ref, "sm4": sm4_ref}


def expected_default(kernel: str) -> str:
    """The default vector's output, computed from the documented vector."""
    if kernel == "sha512":
        return hashlib.sha512(bytes(i % 256 for i in range(4096))).hexdigest() + "\n"
    key = bytes(range(16)) if kernel == "aes128" else bytes.fromhex("0123456789abcdeffedcba9876543210")
    pt = bytes((i + i // 256) % 256 for i in range(1024))
    return xor_blocks(CIPHER_REF[kernel](key, pt))


@pytest.mark.parametrize("kernel", KERNELS)
def test_manifest(kernel: str) -> None:
    m = manifest(kernel)
    assert m["name"] == kernel
    assert m["expected_stdout"] == expected_default(kernel)
    assert m["bytes"] == (4096 if kernel == "sha512" else 1024)
    for s in m["sources"]:
        assert (KERNELS_DIR / kernel / s).is_file()


@pytest.mark.parametrize(("kernel", "isa"), VARIANTS)
def test_default_vector(elves, kernel: str, isa: str) -> None:
    r = run_qemu(elves[kernel, isa], isa)
    assert (r.text, r.status) == (manifest(kernel)["expected_stdout"], 0)


@pytest.mark.parametrize(("kernel", "isa"), VARIANTS)
def test_variant_uses_its_extension(elves, kernel: str, isa: str) -> None:
    """The zk build uses the dedicated instructions; the others must not."""
    text = subprocess.run([OBJDUMP, "-d", str(elves[kernel, isa])], capture_output=True, text=True,
                          check=True).stdout
    mnemonic = {"aes128": "aes32esmi", "sm4": "sm4ed", "sha512": "sha512sum0r"}[kernel]
    assert (f"\t{mnemonic}\t" in text) == ("zk" in isa)


# ---------------------------------------------------------------- block ciphers
STANDARD_VECTORS = {
    # FIPS-197 appendix C.1; GB/T 32907-2016 appendix A.1
    "aes128": ("000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
               "69c4e0d86a7b0430d8cdb78070b4c55a"),
    "sm4": ("0123456789abcdeffedcba9876543210", "0123456789abcdeffedcba9876543210",
            "681edf34d206965e86b3e94f536e4246"),
}
CIPHER_VARIANTS = [(k, isa) for k, isa in VARIANTS if k in CIPHER_REF]


@pytest.mark.parametrize(("kernel", "isa"), CIPHER_VARIANTS)
def test_cipher_standard_vector(elves, tmp_path: Path, kernel: str, isa: str) -> None:
    key, pt, ct = (bytes.fromhex(x) for x in STANDARD_VECTORS[kernel])
    r = run_with_input(elves[kernel, isa], isa, key + pt, tmp_path)
    assert (r.text, r.status) == (ct.hex() + "\n", 0)


@pytest.mark.parametrize(("kernel", "isa"), CIPHER_VARIANTS)
def test_cipher_random_inputs(elves, tmp_path: Path, kernel: str, isa: str) -> None:
    rng = random.Random(f"{kernel}-{isa}")
    ref = CIPHER_REF[kernel]
    for nblocks in (1, 1, 2, 3, 17, 0):
        key, pt = rng.randbytes(16), rng.randbytes(16 * nblocks)
        r = run_with_input(elves[kernel, isa], isa, key + pt, tmp_path)
        assert (r.text, r.status) == (xor_blocks(ref(key, pt)), 0), (nblocks, key.hex())


@pytest.mark.parametrize(("kernel", "isa"), CIPHER_VARIANTS)
def test_cipher_rejects_partial_block(elves, tmp_path: Path, kernel: str, isa: str) -> None:
    r = run_with_input(elves[kernel, isa], isa, bytes(16 + 20), tmp_path)
    assert r.status == 1 and r.text.startswith("error:")


# ---------------------------------------------------------------- SHA-512
SHA_VARIANTS = [(k, isa) for k, isa in VARIANTS if k == "sha512"]
#: Lengths around the padding boundaries: 111 fits the length field, 112 does not.
SHA_LENGTHS = (0, 3, 111, 112, 113, 127, 128, 129, 239, 240, 256, 1000)


@pytest.mark.parametrize(("kernel", "isa"), SHA_VARIANTS)
def test_sha512_lengths(elves, tmp_path: Path, kernel: str, isa: str) -> None:
    rng = random.Random(f"sha512-{isa}")
    for n in SHA_LENGTHS:
        msg = b"abc" if n == 3 else rng.randbytes(n)
        r = run_with_input(elves[kernel, isa], isa, msg, tmp_path)
        assert (r.text, r.status) == (hashlib.sha512(msg).hexdigest() + "\n", 0), n
