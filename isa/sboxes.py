"""Constant tables used by the crypto instructions (AES, SM4)."""

from __future__ import annotations

import numpy as np


def _gf_mul(a: int, b: int) -> int:
    """Multiply in GF(2^8) modulo the AES polynomial x^8+x^4+x^3+x+1."""
    r = 0
    while b:
        if b & 1:
            r ^= a
        a = (a << 1) ^ (0x11B if a & 0x80 else 0)
        b >>= 1
    return r


def _aes_sbox() -> list[int]:
    # Multiplicative inverse followed by the FIPS-197 affine transform.
    box = []
    for x in range(256):
        inv = 0 if x == 0 else next(y for y in range(1, 256) if _gf_mul(x, y) == 1)
        s = inv
        for k in range(1, 5):
            s ^= ((inv << k) | (inv >> (8 - k))) & 0xFF
        box.append(s ^ 0x63)
    return box


AES_SBOX_LIST = _aes_sbox()
AES_INV_SBOX_LIST = [AES_SBOX_LIST.index(i) for i in range(256)]

SM4_SBOX_BYTES = bytes.fromhex(
    "d690e9fecce13db716b614c228fb2c052b679a762abe04c3aa44132649860699"
    "9c4250f491ef987a33540b43edcfac62e4b31ca9c908e89580df94fa758f3fa6"
    "4707a7fcf37317ba83593c19e6854fa8686b81b27164da8bf8eb0f4b70569d35"
    "1e240e5e6358d1a225227c3b01217887d40046579fd327524c3602e7a0c4c89e"
    "eabf8ad240c738b5a3f7f2cef96115a1e0ae5da49b341a55ad933230f58cb1e3"
    "1df6e22e8266ca60c02923ab0d534e6fd5db3745defd8e2f03ff6a726d6c5b51"
    "8d1baf92bbddbc7f11d95c411f105ad80ac13188a5cd7bbd2d74d012b8e5b4b0"
    "8969974a0c96777e65b9f109c56ec68418f07dec3adc4d2079ee5f3ed7cb3948"
)
SM4_SBOX_LIST = list(SM4_SBOX_BYTES)

# int64 arrays: Numba treats module-level arrays as compile-time constants.
AES_SBOX = np.array(AES_SBOX_LIST, dtype=np.int64)
AES_INV_SBOX = np.array(AES_INV_SBOX_LIST, dtype=np.int64)
SM4_SBOX = np.array(SM4_SBOX_LIST, dtype=np.int64)
