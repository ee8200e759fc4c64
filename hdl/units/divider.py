"""Iterative divider for DIV, DIVU, REM and REMU with a fixed latency.

Timing (data independent, Zkt style): ``start`` in the first EX cycle loads
the operands; 32 restoring steps follow, one per cycle; in the 34th cycle
``done`` is high and ``result`` valid, so the instruction holds EX for
exactly ``1 + isa.timing.DIV_EXTRA`` cycles whatever the operands, division
by zero and signed overflow included. ``done`` and ``result`` stay until ``ack``
(the division leaves EX, which a data-side wait in MEM can delay).
"""


from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from isa.timing import DIV_EXTRA

from .base import op_id

STEPS = 32
assert DIV_EXTRA == STEPS + 1, "one load cycle, 32 steps, one finish cycle"


class Divider(wiring.Component):
    NAMES = ("div", "divu", "rem", "remu")
    EXTS = ("m",)

    start: In(1)
    ack: In(1)       # the division leaves EX: until then the result stays
    op: In(7)
    a: In(32)
    b: In(32)
    busy: Out(1)
    done: Out(1)
    result: Out(32)

    def __init__(self, small: bool = False):
        # built for area (hdl.core.built_small): the same cycles and results from one
        # negation fewer at each end
        self.small = small
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        count = Signal(range(STEPS + 2))
        want_rem = Signal()
        neg_q = Signal()
        neg_r = Signal()
        div_zero = Signal()
        if self.small:
            # built small: no divisor magnitude is formed; each step adds b when it is
            # negative, else ~b and a carry (``shifted - |b|`` either way), and the
            # quotient or the remainder, whichever is asked for, is negated once
            addend = Signal(32)
            plus = Signal()
        else:
            divisor = Signal(32)
        quot = Signal(32)    # dividend bits shift out as quotient bits shift in
        rem = Signal(33)

        is_signed = self.op.matches(op_id("div"), op_id("rem"))
        a_neg = is_signed & self.a[31]
        b_neg = is_signed & self.b[31]

        m.d.comb += [self.busy.eq(count != 0), self.done.eq(count == STEPS + 1)]

        with m.If(count == 0):
            with m.If(self.start):
                if self.small:
                    load_b = [addend.eq(self.b ^ (~b_neg).replicate(32)), plus.eq(~b_neg)]
                else:
                    load_b = [divisor.eq(Mux(b_neg, -self.b, self.b))]
                m.d.sync += [
                    count.eq(1),
                    want_rem.eq(self.op.matches(op_id("rem"), op_id("remu"))),
                    neg_q.eq(a_neg ^ b_neg),
                    neg_r.eq(a_neg),
                    div_zero.eq(self.b == 0),
                    quot.eq(Mux(a_neg, -self.a, self.a)),
                    *load_b,
                    rem.eq(0),
                ]
        with m.Elif(count <= STEPS):
            shifted = Cat(quot[31], rem[:32])
            diff = Signal(34)
            if self.small:
                # shifted - |b|, its sign in bit 33 (the addend's bits 32 and 33 are ones)
                m.d.comb += diff.eq(shifted + Cat(addend, Const(3, 2)) + plus)
                fits = ~diff[33]    # the quotient bit
                m.d.sync += [rem.eq(Mux(fits, diff[:33], shifted)), quot.eq(Cat(fits, quot[:31]))]
            else:
                m.d.comb += diff.eq(shifted - divisor)
                with m.If(~diff[33]):
                    m.d.sync += [rem.eq(diff[:33]), quot.eq(Cat(1, quot[:31]))]
                with m.Else():
                    m.d.sync += [rem.eq(shifted), quot.eq(Cat(0, quot[:31]))]
            m.d.sync += count.eq(count + 1)
        with m.Elif(self.ack):
            m.d.sync += count.eq(0)

        if self.small:
            value = Mux(want_rem, rem[:32], quot)
            neg = Mux(want_rem, neg_r, neg_q)
            out = (value ^ neg.replicate(32)) + neg
            result = Mux(~want_rem & div_zero, 0xFFFFFFFF, out[:32])
        else:
            q = Mux(div_zero, 0xFFFFFFFF, Mux(neg_q, -quot, quot))
            r = Mux(neg_r, -rem[:32], rem[:32])
            result = Mux(want_rem, r, q)[:32]
        with m.If(self.done):
            m.d.comb += self.result.eq(result)
        return m
