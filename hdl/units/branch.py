"""Branch comparator: decides whether a conditional branch is taken."""


from amaranth import Cat, Module, Mux
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
        # one carry chain for the four orders (signed is unsigned with the sign bits
        # inverted) beside the equality, and the row's choice and negation after both:
        # the late results pass one LUT. Defined for the branch rows only (the core
        # takes it for a branch)
        signed = self.op.matches(op_id("blt"), op_id("bge"))
        less = Cat(a[:31], a[31] ^ signed) < Cat(b[:31], b[31] ^ signed)
        ordered = self.op.matches(*(op_id(n) for n in ("blt", "bge", "bltu", "bgeu")))
        negated = self.op.matches(*(op_id(n) for n in ("bne", "bge", "bgeu")))
        m.d.comb += self.taken.eq(Mux(ordered, less, a == b) ^ negated)
        return m
