"""The S-boxes of isa/sboxes.py, written out there, against their definitions: AES's
from GF(2^8) (FIPS-197, 5.1.1) and the standard's values, SM4's against gmssl's."""

from __future__ import annotations

import pytest

from isa.sboxes import AES_INV_SBOX_LIST, AES_SBOX_LIST, SM4_SBOX_LIST


def _gf_mul(a: int, b: int) -> int:
    """Multiply in GF(2^8) modulo the AES polynomial x^8+x^4+x^3+x+1."""
    r = 0
    while b:
        if b & 1:
            r ^= a
        a = (a << 1) ^ (0x11B if a & 0x80 else 0)
        b >>= 1
    return r


def test_aes_sbox_is_the_inverse_then_the_affine_map() -> None:
    for x in range(256):
        inv = 0 if x == 0 else next(y for y in range(1, 256) if _gf_mul(x, y) == 1)
        s = inv
        for k in range(1, 5):
            s ^= ((inv << k) | (inv >> (8 - k))) & 0xFF
        assert AES_SBOX_LIST[x] == s ^ 0x63, hex(x)
    assert [AES_SBOX_LIST[AES_INV_SBOX_LIST[x]] for x in range(256)] == list(range(256))


def test_aes_sbox_has_fips197s_values() -> None:
    # FIPS-197, Figures 7 and 14
    assert (AES_SBOX_LIST[0x00], AES_SBOX_LIST[0x53], AES_SBOX_LIST[0xFF]) == (0x63, 0xED, 0x16)
    assert (AES_INV_SBOX_LIST[0x00], AES_INV_SBOX_LIST[0x63], AES_INV_SBOX_LIST[0xFF]) == (0x52, 0x00, 0x7D)


def test_sm4_sbox_is_gmssls() -> None:
    sm4 = pytest.importorskip("gmssl.sm4")
    assert SM4_SBOX_LIST == list(sm4.SM4_BOXES_TABLE)
