"""Zkne: AES encryption round helpers AES32ESI and AES32ESMI."""

from __future__ import annotations

from amaranth import Cat, Module, Mux

from isa.sboxes import AES_SBOX_LIST

from .base import CombUnit
from .bytesel import lookup, rol_bytes, select_byte, xtime


class Zkne(CombUnit):
    NAMES = ("aes32esi", "aes32esmi")
    EXTS = ("zkne",)

    def elaborate(self, platform):
        m = Module()
        bs = self.imm[:2]
        so = lookup(m, AES_SBOX_LIST, select_byte(self.b, bs))
        so2 = xtime(m, so)
        mixed = Cat(so2, so, so, so2 ^ so)   # bytes 0..3: 2*so, so, so, 3*so
        value = Mux(self.is_op("aes32esmi"), mixed, Cat(so, 0))
        rotated = rol_bytes(m, value, bs)
        with m.If(self.is_op(*self.NAMES)):
            m.d.comb += self.result.eq(self.a ^ rotated)
        return m
