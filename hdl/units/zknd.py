"""Zknd: AES decryption round helpers AES32DSI and AES32DSMI."""

from __future__ import annotations

from amaranth import Cat, Module, Mux

from isa.sboxes import AES_INV_SBOX_LIST

from .base import CombUnit
from .bytesel import lookup, rol_bytes, select_byte, xtime


class Zknd(CombUnit):
    NAMES = ("aes32dsi", "aes32dsmi")
    EXTS = ("zknd",)

    def elaborate(self, platform):
        m = Module()
        bs = self.imm[:2]
        so = lookup(m, AES_INV_SBOX_LIST, select_byte(self.b, bs))
        x2 = xtime(m, so)
        x4 = xtime(m, x2)
        x8 = xtime(m, x4)
        # InvMixColumns column for one byte: bytes 0..3 = 0e, 09, 0d, 0b times so.
        mixed = Cat(x8 ^ x4 ^ x2, x8 ^ so, x8 ^ x4 ^ so, x8 ^ x2 ^ so)
        value = Mux(self.is_op("aes32dsmi"), mixed, Cat(so, 0))
        rotated = rol_bytes(m, value, bs)
        with m.If(self.is_op(*self.NAMES)):
            m.d.comb += self.result.eq(self.a ^ rotated)
        return m
