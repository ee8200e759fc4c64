"""Zbkx: crossbar permutations (XPERM8 over bytes, XPERM4 over nibbles)."""

from __future__ import annotations

from amaranth import Array, Cat, Module, Mux

from .base import CombUnit


def _xperm(a, b, width: int):
    lanes = 32 // width
    table = Array(a[i * width:(i + 1) * width] for i in range(lanes))
    out = []
    for i in range(lanes):
        idx = b[i * width:(i + 1) * width]
        out.append(Mux(idx < lanes, table[idx[:(lanes - 1).bit_length()]], 0))
    return Cat(*out)


class Zbkx(CombUnit):
    NAMES = ("xperm4", "xperm8")
    EXTS = ("zbkx",)

    def elaborate(self, platform):
        m = Module()
        with m.If(self.is_op("xperm8")):
            m.d.comb += self.result.eq(_xperm(self.a, self.b, 8))
        with m.Elif(self.is_op("xperm4")):
            m.d.comb += self.result.eq(_xperm(self.a, self.b, 4))
        return m
