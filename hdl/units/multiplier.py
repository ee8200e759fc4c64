"""Single-cycle 33x33-bit signed multiplier for MUL, MULH, MULHSU and MULHU."""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed

from .base import CombUnit


class Multiplier(CombUnit):
    NAMES = ("mul", "mulh", "mulhsu", "mulhu")
    EXTS = ("m",)

    def elaborate(self, platform):
        m = Module()
        # One signed 33-bit operand pair covers all four: the extra bit is the
        # sign for signed operands and 0 for unsigned ones.
        a_signed = self.is_op("mulh", "mulhsu")
        b_signed = self.is_op("mulh")
        sa = Signal(signed(33))
        sb = Signal(signed(33))
        product = Signal(signed(66))
        m.d.comb += [
            sa.eq(Mux(a_signed, self.a.as_signed(), self.a)),
            sb.eq(Mux(b_signed, self.b.as_signed(), self.b)),
            product.eq(sa * sb),
        ]
        with m.If(self.is_op("mul")):
            m.d.comb += self.result.eq(product[:32])
        with m.Elif(self.is_op("mulh", "mulhsu", "mulhu")):
            m.d.comb += self.result.eq(product[32:64])
        return m
