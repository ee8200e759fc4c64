"""Xchain (docs/xchain.md): multi-precision MAC and carry chains, Keccak helpers.

R4 rows take their third source on ``c`` (x[rs3], read by the core's third
register port); the Rrot rows take the rotate amount in ``imm`` (bits 31..27).
"""

from amaranth import Module, Signal
from amaranth.lib.wiring import In

from .base import CombUnit
from .zbkb import ror


class Xchain(CombUnit):
    NAMES = ("maddlu", "maddhu", "cadd", "addc", "addco", "subc", "subco",
             "xor3", "andnxor", "rolxor", "xorrol")
    EXTS = ("xchain",)

    c: In(32)

    def __init__(self, mac: bool = True):
        # without ``mac`` the core computes maddlu/maddhu in its pipelined multiplier
        # (``mul=pipe:STAGES``) and this unit gives 0 for them
        self.mac = mac
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        a, b, c = self.a, self.b, self.c
        mac = Signal(64)        # a*b + c < 2^64: exact
        add3 = Signal(34)       # a + b + c, carry out in 0..2
        sub3 = Signal(34)       # a - b - c mod 2^34: borrow = -(sub3 >> 32) mod 4
        if self.mac:
            m.d.comb += mac.eq(a * b + c)
        m.d.comb += [
            add3.eq(a + b + c),
            sub3.eq(a - b - c),
        ]
        rol_amt = (-self.imm[:5])[:5]      # rotate left by k = right by -k mod 32
        with m.If(self.is_op("maddlu")):
            m.d.comb += self.result.eq(mac[:32])
        with m.Elif(self.is_op("maddhu")):
            m.d.comb += self.result.eq(mac[32:])
        with m.Elif(self.is_op("cadd")):
            m.d.comb += self.result.eq(c + (a + b)[32])
        with m.Elif(self.is_op("addc")):
            m.d.comb += self.result.eq(add3[:32])
        with m.Elif(self.is_op("addco")):
            m.d.comb += self.result.eq(add3[32:])
        with m.Elif(self.is_op("subc")):
            m.d.comb += self.result.eq(sub3[:32])
        with m.Elif(self.is_op("subco")):
            m.d.comb += self.result.eq((-sub3[32:])[:2])
        with m.Elif(self.is_op("xor3")):
            m.d.comb += self.result.eq(a ^ b ^ c)
        with m.Elif(self.is_op("andnxor")):
            m.d.comb += self.result.eq(a ^ (~b & c))
        with m.Elif(self.is_op("rolxor")):
            m.d.comb += self.result.eq(a ^ ror(b, rol_amt))
        with m.Elif(self.is_op("xorrol")):
            m.d.comb += self.result.eq(ror(a ^ b, rol_amt))
        return m

