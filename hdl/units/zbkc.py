"""Zbkc: carry-less multiplication (CLMUL, CLMULH), one cycle."""

from __future__ import annotations

from functools import reduce
from operator import xor

from amaranth import Module, Mux, Signal

from .base import CombUnit


class Zbkc(CombUnit):
    NAMES = ("clmul", "clmulh")
    EXTS = ("zbkc",)

    def elaborate(self, platform):
        m = Module()
        product = Signal(64)
        terms = [Mux(self.b[i], self.a << i, 0) for i in range(32)]
        m.d.comb += product.eq(reduce(xor, terms))
        with m.If(self.is_op("clmul")):
            m.d.comb += self.result.eq(product[:32])
        with m.Elif(self.is_op("clmulh")):
            m.d.comb += self.result.eq(product[32:])
        return m
