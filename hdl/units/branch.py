"""Branch comparator: decides whether a conditional branch is taken."""


from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .base import op_id


class BranchCompare(wiring.Component):
    NAMES = ("beq", "bne", "blt", "bge", "bltu", "bgeu")

    op: In(7)
    a: In(32)
    b: In(32)
    taken: Out(1)

    def elaborate(self, platform):
        m = Module()
        a, b = self.a, self.b
        cases = {
            "beq": a == b, "bne": a != b,
            "blt": a.as_signed() < b.as_signed(), "bge": a.as_signed() >= b.as_signed(),
            "bltu": a < b, "bgeu": a >= b,
        }
        with m.Switch(self.op):
            for name, value in cases.items():
                with m.Case(op_id(name)):
                    m.d.comb += self.taken.eq(value)
        return m
