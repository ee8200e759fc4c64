"""Xchain (docs/xchain.md): multi-precision MAC and carry chains, Keccak helpers.

R4 rows take their third source on ``c`` (x[rs3], read by the core's third
register port); the Rrot rows take the rotate amount in ``imm`` (bits 31..27).
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib.wiring import In

from .base import CombUnit, op_id
from .zbkb import ror


def carry_save(x, y, z, width: int):
    """(s, k) with x + y + z = s + k (mod 2**width): each bit's sum and majority, the
    majorities a bit up. The three-operand sums then take one carry chain after a level
    of logic, not two chains in series."""
    s = (x ^ y ^ z)[:width]
    k = Cat(Const(0, 1), (x & y) | (x & z) | (y & z))[:width]
    return s, k


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
        # a + b + c, and a - b - c = a + ~b + ~c + 2, each one carry chain (carry_save)
        wide = [Cat(v, Const(0, 2)) for v in (a, b, c)]
        s, k = carry_save(*wide, 34)
        nb, nc = ~wide[1], ~wide[2]
        s1, k1 = carry_save(nb, nc, Const(2, 34), 34)
        s2, k2 = carry_save(wide[0], s1, k1, 34)
        m.d.comb += [
            add3.eq((s + k)[:34]),
            sub3.eq((s2 + k2)[:34]),
        ]
        rol_amt = (-self.imm[:5])[:5]      # rotate left by k = right by -k mod 32
        cases = {
            "maddlu": mac[:32],
            "maddhu": mac[32:],
            # c plus a + b's carry: c + 1 beside c, chosen by the carry (no chain after a chain)
            "cadd": Mux((a + b)[32], c + 1, c),
            "addc": add3[:32],
            "addco": add3[32:],
            "subc": sub3[:32],
            "subco": (-sub3[32:])[:2],
            "xor3": a ^ b ^ c,
            "andnxor": a ^ (~b & c),
            "rolxor": a ^ ror(b, rol_amt),
            "xorrol": ror(a ^ b, rol_amt),
        }
        # the op ids differ: one parallel choice, not a chain of priority multiplexers
        with m.Switch(self.op):
            for name, value in cases.items():
                with m.Case(op_id(name)):
                    m.d.comb += self.result.eq(value[:32])
        return m

