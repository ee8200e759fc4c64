"""What each kernel must print for an input, from reference libraries (hashlib,
pycryptodome, gmssl, coincurve, pyca cryptography), never from the kernels or the ISS:
the lockstep tests check the RTL's output against it as well as against the ISS's.
The formats are the kernels' manifests' (kernels/*/kernel.json)."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable

from Crypto.Cipher import AES
from Crypto.Hash import RIPEMD160, keccak
from gmssl import func, sm3
from gmssl.sm4 import SM4_ENCRYPT, CryptSM4


def sha256d(b: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def sm3_digest(b: bytes) -> bytes:
    return bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(b)))


def keccak256(b: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=b).digest()


def _blocks(data: bytes) -> list[bytes]:
    return [data[i:i + 16] for i in range(16, len(data) - len(data) % 16, 16)]


def _xor_all(blocks: list[bytes]) -> bytes:
    out = bytearray(16)
    for b in blocks:
        out = bytearray(x ^ y for x, y in zip(out, b, strict=True))
    return bytes(out)


def aes128(data: bytes) -> str:
    """16-byte key, whole 16-byte blocks: the XOR of the ECB ciphertexts."""
    cipher = AES.new(data[:16], AES.MODE_ECB)
    return _xor_all([cipher.encrypt(b) for b in _blocks(data)]).hex()


def sm4(data: bytes) -> str:
    c = CryptSM4()
    c.set_key(data[:16], SM4_ENCRYPT)
    # gmssl pads to a whole block more: the first 16 bytes are the block's ciphertext
    return _xor_all([bytes(c.crypt_ecb(b))[:16] for b in _blocks(data)]).hex()


def merkle(data: bytes, parent: Callable[[bytes], bytes]) -> str:
    (count,) = struct.unpack_from("<I", data)
    level = [data[4 + 32 * i:36 + 32 * i] for i in range(count)]
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [parent(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0].hex()


def mining(data: bytes) -> str:
    """The nonce with the smallest SHA-256d (as a little-endian number), that hash in
    display order, and how many of the nonces meet the target."""
    prefix, (start, count), target = data[:76], struct.unpack_from("<II", data, 76), data[84:116]
    t = int.from_bytes(target, "little")
    hashes = [(int.from_bytes(sha256d(prefix + struct.pack("<I", (start + k) & 0xFFFF_FFFF)), "little"),
               (start + k) & 0xFFFF_FFFF) for k in range(count)]
    best, nonce = min(hashes)
    meets = sum(h <= t for h, _ in hashes)
    return f"{nonce:08x} {best.to_bytes(32, 'little')[::-1].hex()} {meets}"


def btc_block(data: bytes) -> str:
    """A block of one transaction: valid when its merkle root is the transaction's id and
    the header's hash meets the target its bits give."""
    header, rest = data[:80], data[80:]
    assert rest[0] == 1, "the reference reads blocks of one transaction"
    h = sha256d(header)
    bits = int.from_bytes(header[72:76], "little")
    target = (bits & 0xFFFFFF) << (8 * ((bits >> 24) - 3))
    ok = sha256d(rest[1:]) == header[36:68] and int.from_bytes(h, "little") <= target
    return f"{'valid' if ok else 'invalid'} {h[::-1].hex()}"


def ecrecover(item: bytes) -> str:
    """The precompile's output for one 128-byte input (z, v, r, s), from coincurve."""
    import coincurve

    z, vw, rb, sb = item[:32], item[32:64], item[64:96], item[96:128]
    if any(vw[:31]) or vw[31] not in (27, 28):
        return "invalid"
    try:
        pub = coincurve.PublicKey.from_signature_and_message(rb + sb + bytes([vw[31] - 27]), z, hasher=None)
    except Exception:      # coincurve raises a bare Exception for a key it cannot recover
        return "invalid"
    return keccak256(pub.format(compressed=False)[1:])[12:].hex()


def ed25519(data: bytes) -> str:
    """Records of a key, a signature, a length and a message: valid or invalid per pyca
    cryptography (RFC 8032, S < L)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    (count,) = struct.unpack_from("<I", data)
    at, out = 4, []
    for _ in range(count):
        key, sig = data[at:at + 32], data[at + 32:at + 96]
        (n,) = struct.unpack_from("<I", data, at + 96)
        msg = data[at + 100:at + 100 + n]
        at += 100 + n
        try:
            Ed25519PublicKey.from_public_bytes(key).verify(sig, msg)
            out.append("valid")
        except (InvalidSignature, ValueError):
            out.append("invalid")
    return "\n".join(out)


_HASHES: dict[str, Callable[[bytes], str]] = {
    "sha256": lambda d: hashlib.sha256(d).hexdigest(),
    "sha256d": lambda d: sha256d(d)[::-1].hex(),          # display order
    "sha512": lambda d: hashlib.sha512(d).hexdigest(),
    "sha3_256": lambda d: hashlib.sha3_256(d).hexdigest(),
    "keccak256": lambda d: keccak256(d).hex(),
    "ripemd160": lambda d: RIPEMD160.new(d).hexdigest(),
    "sm3": lambda d: sm3_digest(d).hex(),
    "aes128": aes128,
    "sm4": sm4,
    "merkle_btc": lambda d: merkle(d, sha256d),
    "merkle_sm3": lambda d: merkle(d, sm3_digest),
    "mining": mining,
    "btc_block": btc_block,
    "ed25519": ed25519,
    "eth_ecrecover": lambda d: "\n".join(
        ecrecover(d[4 + 128 * i:132 + 128 * i]) for i in range(struct.unpack_from("<I", d)[0])),
}


def expected_stdout(kernel: str, data: bytes) -> str | None:
    """What ``kernel`` (its name without the ``_xchain`` suffix) prints for ``data``;
    None for a kernel with no reference here (eth_tx: its transactions are checked by
    tests/test_kernels_eth_tx.py on QEMU)."""
    ref = _HASHES.get(kernel.removesuffix("_xchain"))
    return None if ref is None else ref(data) + "\n"


def check_output(kernel: str, data: bytes | None, out) -> None:
    """A kernel's lockstep run (``chainrv.cosim.lockstep``'s result): the RTL printed what
    the ISS printed, a whole line, and what the reference gives for ``data``."""
    assert out.rtl.uart == out.iss.stdout and out.rtl.uart.endswith(b"\n")
    want = None if data is None else expected_stdout(kernel, data)
    if want is not None:
        assert out.rtl.uart.decode() == want, f"{kernel}: the reference prints {want!r}"
