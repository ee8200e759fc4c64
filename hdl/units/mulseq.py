"""The multiplier options that are not single-cycle (``mul=iter:BITS``, ``mul=pipe:STAGES``).

``IterMultiplier`` holds EX: in its first EX cycle it starts, each cycle it adds the
product of ``a`` and ``BITS`` more bits of ``b``, and after ``32 / BITS`` cycles the
result is there (data independent). ``pipe_products``/``pipe_sum``/``pipe_result``
split the 33x33 signed product over EX, MEM (and WB for three stages).
"""


from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.hdl import Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .base import op_id

NAMES = ("mul", "mulh", "mulhsu", "mulhu")
#: Xchain's multiply-accumulate rows (unsigned a * b + c): split like the products
#: under ``mul=pipe:STAGES``, the addend joining in the second stage.
MAC_NAMES = ("maddlu", "maddhu")


def operands(op: Value, a: Value, b: Value) -> tuple[Value, Value]:
    """The 33-bit signed operands: the extra bit is the sign for signed ones, else 0."""
    a_signed = op.matches(op_id("mulh"), op_id("mulhsu"))
    b_signed = op == op_id("mulh")
    return (Mux(a_signed, a.as_signed(), a.as_unsigned()).as_signed()[:33].as_signed(),
            Mux(b_signed, b.as_signed(), b.as_unsigned()).as_signed()[:33].as_signed())


def select(op: Value, product: Value) -> Value:
    return Mux(op.matches(op_id("mul"), op_id("maddlu")), product[:32], product[32:64])


class IterMultiplier(wiring.Component):
    start: In(1)     # first EX cycle of a multiplication
    ack: In(1)       # the multiplication leaves EX
    op: In(7)
    a: In(32)
    b: In(32)
    done: Out(1)
    result: Out(32)

    def __init__(self, bits: int, small: bool = False):
        self.bits = bits
        self.steps = 32 // bits
        # built for area (hdl.core.built_small): the same cycles and results, the sum
        # shifted instead of the pieces (``_small``)
        self.small = small
        super().__init__()

    def elaborate(self, platform):
        if self.small:
            return self._small()
        m = Module()
        bits, steps = self.bits, self.steps
        sa, sb = operands(self.op, self.a, self.b)
        k = Signal(range(steps + 1))
        acc = Signal(signed(66))
        busy = Signal()
        # step k adds a * (bits k*B .. k*B+B-1 of b, unsigned) << k*B; the last step also
        # subtracts a << 32 when b is negative (its bit 32)
        chunk = Signal(bits)
        index = k[:max((steps - 1).bit_length(), 1)]
        m.d.comb += chunk.eq(sb[:32].word_select(index, bits))
        add = Signal(signed(66))
        m.d.comb += add.eq((sa * Cat(chunk, 0).as_signed()) << (k * bits))
        total = Signal(signed(66))
        m.d.comb += total.eq(acc + add - Mux(sb[32], sa << 32, 0))
        running = busy | self.start
        last = running & (k == steps - 1)
        m.d.comb += [self.done.eq(last), self.result.eq(select(self.op, total))]
        with m.If(self.ack):
            m.d.sync += [busy.eq(0), k.eq(0), acc.eq(0)]
        with m.Elif(running & ~last):
            m.d.sync += [busy.eq(1), k.eq(k + 1), acc.eq(acc + add)]
        return m


    def _small(self) -> Module:
        """Shift and add: step k adds ``a`` times the k-th piece of ``b`` (the last one
        signed, with ``b``'s bit 32) to the sum so far above its low ``k * BITS`` bits,
        which are done: they move into ``lo`` from the top, the rest stays in ``hi``.
        One adder as wide as a piece's product, no shifter, no correction at the end."""
        m = Module()
        bits, steps = self.bits, self.steps
        sa, sb = operands(self.op, self.a, self.b)
        k = Signal(range(steps + 1))
        hi = Signal(signed(35))     # the sum above the bits done (|sum| < 2**32 there)
        lo = Signal(32)             # the bits done, the latest at the top
        busy = Signal()
        running = busy | self.start
        last = running & (k == steps - 1)
        index = k[:max((steps - 1).bit_length(), 1)]
        piece = Cat(sb[:32].word_select(index, bits), Mux(last, sb[32], 0)).as_signed()
        total = Signal(signed(36 + bits))
        m.d.comb += total.eq(hi + sa * piece)
        product = Cat(lo[bits:], total)[:64]
        m.d.comb += [self.done.eq(last), self.result.eq(select(self.op, product))]
        with m.If(self.ack):
            m.d.sync += [busy.eq(0), k.eq(0), hi.eq(0)]
        with m.Elif(running & ~last):
            m.d.sync += [busy.eq(1), k.eq(k + 1), hi.eq(total >> bits), lo.eq(Cat(lo[bits:], total[:bits]))]
        return m


def pipe_products(op: Value, a: Value, b: Value) -> list[Value]:
    """EX: four partial products of the 17-bit halves (low halves unsigned)."""
    sa, sb = operands(op, a, b)
    alo, ahi = Cat(sa[:16], 0).as_signed(), sa[16:33].as_signed()
    blo, bhi = Cat(sb[:16], 0).as_signed(), sb[16:33].as_signed()
    return [alo * blo, alo * bhi, ahi * blo, ahi * bhi]


def pipe_sum(pp: list[Value], addend: Value | None = None) -> list[Value]:
    """MEM: the partial products (and a MAC's addend) folded into a low and a high part."""
    lo = pp[0] + ((pp[1] + pp[2]) << 16)
    if addend is not None:
        lo = lo + addend
    return [lo, pp[3]]


def pipe_result(op: Value, parts: list[Value]) -> Value:
    """The last stage: the 66-bit product, then the word the op wants."""
    return select(op, parts[0] + (parts[1] << 32))
