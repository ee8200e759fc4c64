"""Zksed: SM4 round helpers SM4ED (linear transform L) and SM4KS (key schedule L')."""

from __future__ import annotations

from amaranth import Module, Mux, Signal

from isa.sboxes import SM4_SBOX_LIST

from .base import CombUnit
from .bytesel import lookup, rol_bytes, select_byte


class Zksed(CombUnit):
    NAMES = ("sm4ed", "sm4ks")
    EXTS = ("zksed",)

    def elaborate(self, platform):
        m = Module()
        bs = self.imm[:2]
        x = Signal(32)
        m.d.comb += x.eq(lookup(m, SM4_SBOX_LIST, select_byte(self.b, bs)))
        y_ed = x ^ (x << 8) ^ (x << 2) ^ (x << 18) ^ ((x & 0x3F) << 26) ^ ((x & 0xC0) << 10)
        y_ks = x ^ ((x & 0x07) << 29) ^ ((x & 0xFE) << 7) ^ ((x & 0x01) << 23) ^ ((x & 0xF8) << 13)
        y = Signal(32)
        m.d.comb += y.eq(Mux(self.is_op("sm4ks"), y_ks[:32], y_ed[:32]))
        rotated = rol_bytes(m, y, bs)
        with m.If(self.is_op(*self.NAMES)):
            m.d.comb += self.result.eq(self.a ^ rotated)
        return m
