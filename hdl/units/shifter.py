"""Barrel shifter for the RV32I shifts (rotations live in the Zbkb unit)."""

from __future__ import annotations

from amaranth import Module

from .base import CombUnit, op_id


class Shifter(CombUnit):
    NAMES = ("sll", "srl", "sra", "slli", "srli", "srai")
    EXTS = ("i",)

    def elaborate(self, platform):
        m = Module()
        a = self.a
        amt_r, amt_i = self.b[:5], self.imm[:5]
        cases = {
            "sll": a << amt_r, "srl": a >> amt_r, "sra": a.as_signed() >> amt_r,
            "slli": a << amt_i, "srli": a >> amt_i, "srai": a.as_signed() >> amt_i,
        }
        with m.Switch(self.op):
            for name, value in cases.items():
                with m.Case(op_id(name)):
                    m.d.comb += self.result.eq(value[:32])
        return m
