"""Barrel shifter for the RV32I shifts (rotations live in the Zbkb unit).

One right shifter serves all six: the amount is the register's or the immediate's,
a left shift is the right shift of the bit-reversed word, reversed back, and the
arithmetic shifts fill with the sign (a 64-bit word shifted right by 0..31).
"""

from __future__ import annotations

from amaranth import Cat, Module, Mux

from .base import CombUnit


class Shifter(CombUnit):
    NAMES = ("sll", "srl", "sra", "slli", "srli", "srai")
    EXTS = ("i",)

    def elaborate(self, platform):
        m = Module()
        a = self.a
        amount = Mux(self.is_op("slli", "srli", "srai"), self.imm[:5], self.b[:5])
        left = self.is_op("sll", "slli")
        fill = self.is_op("sra", "srai") & a[31]
        word = Mux(left, a[::-1], a)
        shifted = (Cat(word, fill.replicate(32)) >> amount)[:32]
        with m.If(self.is_op(*self.NAMES)):
            m.d.comb += self.result.eq(Mux(left, shifted[::-1], shifted))
        return m
