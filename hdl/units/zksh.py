"""Zksh: SM3 permutations P0 and P1."""

from __future__ import annotations

from amaranth import Module

from .base import CombUnit


class Zksh(CombUnit):
    NAMES = ("sm3p0", "sm3p1")
    EXTS = ("zksh",)

    def elaborate(self, platform):
        m = Module()
        a = self.a
        with m.If(self.is_op("sm3p0")):
            m.d.comb += self.result.eq(a ^ a.rotate_left(9) ^ a.rotate_left(17))
        with m.Elif(self.is_op("sm3p1")):
            m.d.comb += self.result.eq(a ^ a.rotate_left(15) ^ a.rotate_left(23))
        return m
