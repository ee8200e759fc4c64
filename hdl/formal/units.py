"""Equivalence of the execution units with ``hdl.formal.specs``.

A combinational unit is checked in one step for every ``op``, ``a``, ``b``, ``c``,
``imm`` and ``pc``: its result is the spec of its instruction when ``op`` is one
of its ``NAMES``, and 0 otherwise (the core ORs the units' results). No state, so
one step of bounded model checking is a proof for all inputs.

Multipliers: the equivalence of two different 32 x 32 multiplier circuits is beyond
a bit-blasting SMT solver in CI time. ``fixed_op`` proves one instruction with
``op`` a constant, so that Yosys folds the unit's operand selection and the product
becomes the same ``$mul`` of the same operands on both sides (the multiplication is
then taken as the primitive, the rest is proven for every operand); ``others``
proves the result 0 for every op of other units; ``narrow`` cuts ``b`` to a few free
bits (docs/verification.md).

The sequential units (divider, iterative multiplier) get their own harnesses:
operands presented with ``start``, then the handshake and the result checked in
every cycle until ``ack``.
"""

from __future__ import annotations

from amaranth import Cat, Const, Elaboratable, Module, Mux, Signal, signed
from amaranth.hdl import Assert, Assume, ResetSignal, Value

from isa.table import BY_NAME

from .specs import spec


def narrowed(x, bits: int):
    """``x`` cut to ``bits`` free low bits, the bits above all equal to one more free bit
    (x[bits]): the values ``bits`` wide zero-extended, or with all ones above. Built into
    the circuit rather than assumed, so that the solver has that many fewer inputs."""
    return Cat(x[:bits], x[bits].replicate(32 - bits))


class UnitEquivalence(Elaboratable):
    """``unit_cls()``'s result equals the spec of ``names`` (default: its ``NAMES``)."""

    def __init__(self, unit_cls, *, names=None, narrow: int | None = None, unit=None, fixed_op: bool = False,
                 others: bool = False):
        self.unit = unit if unit is not None else unit_cls()
        self.names = tuple(names or unit_cls.NAMES)
        self.fixed_op = fixed_op
        self.others = others
        if fixed_op and len(self.names) != 1:
            raise ValueError("fixed_op proves one instruction")
        self.all_names = unit_cls.NAMES
        self.narrow = narrow
        self.op = Signal(7)
        self.a = Signal(32)
        self.b = Signal(32)
        self.c = Signal(32)
        self.imm = Signal(32)
        self.pc = Signal(32)

    @property
    def ports(self) -> list:
        return [self.op, self.a, self.b, self.c, self.imm, self.pc]

    def elaborate(self, platform):
        m = Module()
        m.submodules.unit = u = self.unit
        b = narrowed(self.b, self.narrow) if self.narrow else self.b
        op = Const(BY_NAME[self.names[0]].op, 7) if self.fixed_op else self.op
        m.d.comb += [u.op.eq(op), u.a.eq(self.a), u.b.eq(b), u.imm.eq(self.imm)]
        if hasattr(u, "pc"):
            m.d.comb += u.pc.eq(self.pc)
        if hasattr(u, "c"):
            m.d.comb += u.c.eq(self.c)
        ids = [BY_NAME[n].op for n in self.all_names]
        if self.others:       # the ops of other units: the result is 0
            m.d.comb += [Assume(~self.op.matches(*ids)), Assert(u.result == 0)]
            return m
        if self.names != self.all_names:     # a subset: the other ops are another proof's
            m.d.comb += Assume(self.op.matches(*(BY_NAME[n].op for n in self.names)))
        expected = Const(0, 32)
        for name in self.names:
            expected = Mux(op == BY_NAME[name].op,
                           spec(name, self.a, b, self.imm, self.pc, self.c), expected)
        m.d.comb += Assert(u.result == expected)
        return m


class SequentialCheck(Elaboratable):
    """A multi-cycle unit (``Divider`` or ``IterMultiplier``) started once with free
    operands in cycle 0 (``start``, its first EX cycle), acknowledged when ``done`` and
    the free ``ack_in`` agree: ``done`` is high from cycle ``latency - 1`` on, never
    before, and stays until the ack; with ``check_result``, ``result`` is then the spec.
    Without it the result is out of the solver's problem, so the timing is proven for
    every operand even where the result is not."""

    def __init__(self, unit, names: tuple[str, ...], latency: int, *, narrow: int | None = None,
                 check_result: bool = True, fixed: dict[str, int] | None = None):
        self.unit = unit
        self.fixed = fixed or {}     # operands held to a constant ("a", "b")
        self.check_result = check_result
        self.names = names
        self.latency = latency
        self.narrow = narrow
        self.op = Signal(7)
        self.a = Signal(32)
        self.b = Signal(32)
        self.ack_in = Signal()

    @property
    def ports(self) -> list:
        return [self.op, self.a, self.b, self.ack_in]

    def elaborate(self, platform):
        m = Module()
        m.submodules.unit = u = self.unit
        m.d.comb += Assume(~ResetSignal())
        cycle = Signal(range(self.latency + 64))
        started = Signal()
        finished = Signal()      # acknowledged: the check is over
        op, a, b = Signal(7), Signal(32), Signal(32)     # the operands given at the start
        a_in = narrowed(self.a, self.narrow) if self.narrow else self.a
        b_in = narrowed(self.b, self.narrow) if self.narrow else self.b
        a_in = Const(self.fixed["a"], 32) if "a" in self.fixed else a_in
        b_in = Const(self.fixed["b"], 32) if "b" in self.fixed else b_in
        with m.If(cycle == 0):
            m.d.comb += Assume(self.op.matches(*(BY_NAME[n].op for n in self.names)))
            m.d.sync += [op.eq(self.op), a.eq(a_in), b.eq(b_in), started.eq(1)]
        m.d.sync += cycle.eq(cycle + (cycle != (self.latency + 63)))
        # the operands stay on the unit's inputs for the whole operation, as EX holds them
        m.d.comb += [
            u.start.eq(cycle == 0),
            u.op.eq(Mux(cycle == 0, self.op, op)),
            u.a.eq(Mux(cycle == 0, a_in, a)),
            u.b.eq(Mux(cycle == 0, b_in, b)),
            u.ack.eq(u.done & self.ack_in & ~finished),
        ]
        with m.If(u.ack):
            m.d.sync += finished.eq(1)
        expected = Const(0, 32)
        for name in self.names:
            expected = Mux(op == BY_NAME[name].op, spec(name, a, b, Const(0, 32), Const(0, 32), Const(0, 32)),
                           expected)
        with m.If(started & ~finished):
            # first EX cycle is cycle 0: done in cycle `latency - 1` and after, never before
            m.d.comb += Assert(u.done == (cycle >= self.latency - 1))
            if self.check_result:
                with m.If(u.done):
                    m.d.comb += Assert(u.result == expected)
        return m


#: Widths of the pipeline registers the pipelined multiplier's parts pass through
#: (``hdl/core.py``'s MEM fields ``pp0..pp3`` and, for three stages, WB's ``mlo``/``mhi``).
PP_BITS, MLO_BITS, MHI_BITS = 36, 52, 36
#: Signedness of each row's operands (RISC-V M; ``mul``'s low word is the same either
#: way, taken unsigned; Xchain's ``maddlu``/``maddhu``: unsigned ``a * b + c``).
MUL_SIGNS = {"mul": (False, False), "mulh": (True, True), "mulhsu": (True, False),
             "mulhu": (False, False), "maddlu": (False, False), "maddhu": (False, False)}


def product_by_pieces(x: Value, y: Value) -> Value:
    """``x * y`` for 33-bit signed ``x``, ``y`` written as the distributive expansion over
    16-bit low halves (unsigned) and 17-bit high halves (signed):
    ``xh*yh << 32 + (xh*yl + xl*yh) << 16 + xl*yl``. The four 17 x 17 products are the
    primitive; the expansion is the identity ``(xh 2^16 + xl)(yh 2^16 + yl)``."""
    xl, xh = Cat(x[:16], 0).as_signed(), x[16:33].as_signed()
    yl, yh = Cat(y[:16], 0).as_signed(), y[16:33].as_signed()
    return ((xh * yh) << 32) + ((xh * yl + xl * yh) << 16) + xl * yl


class PipeMultiplierCheck(Elaboratable):
    """The pipelined multiplier (``mul=pipe:2`` and ``:3``: ``mulseq.pipe_products``,
    ``pipe_sum``, ``pipe_result`` through registers as wide as the core's) equals each
    row's product for every ``a``, ``b`` (and ``c`` for the MAC rows), with the 17 x 17
    products as the primitive (``product_by_pieces``): its operand extension, the halves'
    signs, the shifts and sums, the register widths and the half selected are proven;
    the multiplication of the pieces is not. One copy per row, its op a constant (so the
    pieces are the same terms on both sides)."""

    def __init__(self, stages: int, names: tuple[str, ...] = tuple(MUL_SIGNS)):
        self.names = names
        self.stages = stages
        self.a = Signal(32)
        self.b = Signal(32)
        self.c = Signal(32)

    @property
    def ports(self) -> list:
        return [self.a, self.b, self.c]

    def elaborate(self, platform):
        m = Module()
        for name in self.names:
            self._row(m, name)
        return m

    def _row(self, m: Module, name: str) -> None:
        from hdl.units.mulseq import MAC_NAMES, pipe_products, pipe_result, pipe_sum

        op = Const(BY_NAME[name].op, 7)
        mac = name in MAC_NAMES
        pp = [Signal(PP_BITS, name=f"{name}_pp{k}") for k in range(4)]       # the MEM fields
        m.d.comb += [r.eq(v) for r, v in zip(pp, pipe_products(op, self.a, self.b), strict=True)]
        parts = pipe_sum([r.as_signed() for r in pp], self.c if mac else None)
        if self.stages == 2:
            result = pipe_result(op, parts)
        else:
            lo, hi = Signal(MLO_BITS, name=f"{name}_mlo"), Signal(MHI_BITS, name=f"{name}_mhi")  # WB's
            m.d.comb += [lo.eq(parts[0]), hi.eq(parts[1])]
            result = pipe_result(op, [lo.as_signed(), hi.as_signed()])
        a_signed, b_signed = MUL_SIGNS[name]
        x = Cat(self.a, self.a[31] if a_signed else 0).as_signed()
        y = Cat(self.b, self.b[31] if b_signed else 0).as_signed()
        full = product_by_pieces(x, y) + (Cat(self.c, Const(0, 32)) if mac else 0)
        low = name in ("mul", "maddlu")
        m.d.comb += Assert(result == (full[:32] if low else full[32:64]))


def _internal(fragment, names: tuple[str, ...]) -> dict:
    """The signals called ``names`` that ``fragment``'s own statements assign (a unit's
    registers and wires, which its ports do not show), by name."""
    found = {}
    for statements in fragment.statements.values():
        for stmt in statements:
            for sig in stmt._lhs_signals():
                if sig.name in names:
                    found[sig.name] = sig
    missing = set(names) - set(found)
    if missing:
        raise ValueError(f"the unit has no signals {sorted(missing)}")
    return found


class DividerInduction(Elaboratable):
    """The divider equals RISC-V division for **every** operand, by k-induction (``mode
    prove``) over its restoring steps rather than BMC over all 34 cycles.

    Operands and op are free constants; ``start`` and ``ack`` free. The harness keeps
    two ghost registers as the unit steps: ``qg``, the quotient bits it chose, and
    ``pg``, their shift-and-add sum with the divisor's magnitude (``pg' = 2 pg + q D``,
    so ``pg = qg * D`` by the definition of the product: no multiplier for the solver).
    After ``s`` steps (``count = s + 1``), with ``N``, ``D`` the magnitudes of ``a``, ``b``:

    * ``divisor = D``; ``quot = (N << s) + qg`` (mod 2^32), ``qg < 2^s``: the dividend's
      bits still to come above the quotient's;
    * ``rem + pg = N >> (32 - s)``, the dividend's top ``s`` bits, and ``rem < D``
      when ``D != 0``;
    * the sign and case flags equal RISC-V's for ``op``, ``a``, ``b``.

    When ``done`` (``s = 32``) this is ``N = qg·D + rem`` with ``0 <= rem < D``: ``quot``
    and ``rem`` are the quotient and remainder of the magnitudes, and the result must be
    RISC-V's (signs, division by zero, overflow) made from them."""

    def __init__(self, unit_cls=None):
        from hdl.units.divider import Divider
        self.unit = (unit_cls or Divider)()
        self.start = Signal()
        self.ack = Signal()

    @property
    def ports(self) -> list:
        return [self.start, self.ack]

    def elaborate(self, platform):
        from amaranth.hdl import Fragment
        from amaranth.hdl._ast import AnyConst

        from hdl.units.divider import STEPS

        m = Module()
        u = self.unit
        frag = Fragment.get(u, platform)
        m.submodules.unit = frag
        sig = _internal(frag, ("count", "want_rem", "neg_q", "neg_r", "div_zero", "divisor", "quot", "rem",
                               "diff"))
        op, a, b = AnyConst(7), AnyConst(32), AnyConst(32)
        rows = {n: BY_NAME[n].op for n in ("div", "divu", "rem", "remu")}
        m.d.comb += Assume(op.matches(*rows.values()))
        m.d.comb += [u.op.eq(op), u.a.eq(a), u.b.eq(b), u.start.eq(self.start), u.ack.eq(self.ack)]

        # RISC-V's view of the operands (the spec side)
        signed = op.matches(rows["div"], rows["rem"])
        a_neg, b_neg = signed & a[31], signed & b[31]
        n = Mux(a_neg, -a, a)[:32]           # magnitudes: 2^31 stays 2^31, unsigned
        d = Mux(b_neg, -b, b)[:32]
        want_rem = op.matches(rows["rem"], rows["remu"])

        count, quot, rem = sig["count"], sig["quot"], sig["rem"]
        qg, pg = Signal(32), Signal(34)
        step = (count >= 1) & (count <= STEPS)
        with m.If((count == 0) & self.start):
            m.d.sync += [qg.eq(0), pg.eq(0)]
        with m.Elif(step):
            q = ~sig["diff"][33]             # the quotient bit the unit takes this step
            m.d.sync += [qg.eq(Cat(q, qg[:31])), pg.eq((pg << 1) + Mux(q, d, 0))]

        s = Signal(range(STEPS + 1))
        m.d.comb += s.eq(count - 1)
        with m.If((count >= 1) & (count <= STEPS + 1)):
            top = (Cat(n, Const(0, 2)) >> (Const(32, 6) - s).as_unsigned())[:34]     # N's top s bits
            m.d.comb += [
                Assert(sig["divisor"] == d),
                Assert(quot == ((n << s) + qg)[:32]),
                Assert((qg >> s) == 0),
                Assert(Cat(rem, Const(0, 1)) + pg == top),
                Assert((d == 0) | (rem < d)),
                Assert(sig["want_rem"] == want_rem),
                Assert(sig["neg_q"] == (a_neg ^ b_neg)),
                Assert(sig["neg_r"] == a_neg),
                Assert(sig["div_zero"] == (b == 0)),
            ]
        with m.If(u.done):
            quotient = Mux(b == 0, 0xFFFF_FFFF, Mux(a_neg ^ b_neg, -quot, quot)[:32])
            remainder = Mux(a_neg, -rem[:32], rem[:32])[:32]
            m.d.comb += Assert(u.result == Mux(want_rem, remainder, quotient))
        return m


class IterMultiplierInduction(Elaboratable):
    """The iterative multiplier (``mul=iter:BITS``) equals RISC-V's product for **every**
    operand, by k-induction (``mode prove``) over its steps rather than BMC over all of
    them. One row per proof, its op a constant; ``a``, ``b`` free constants, ``start`` and
    ``ack`` free (an ack at any time puts the unit back to its start).

    With ``x``, ``y`` the row's operands as 33-bit integers (RISC-V M's signedness;
    ``mul``'s low word is the same either way, taken unsigned) and ``y_j`` the ``j``-th
    ``BITS``-bit piece of ``y``'s low 32 bits, ``x y = sum_j x y_j 2^(j BITS) - y[32] x 2^32``
    (distributivity; ``y``'s sign bit weighs -2^32). The products ``x y_j`` of 33 x
    ``BITS`` bits are the primitive, the same terms on both sides (as the pipelined
    multiplier's 17 x 17 products: ``PipeMultiplierCheck``); ``IterPieceProduct`` proves
    them equal to their definition in binary for ``BITS`` <= 4. The harness keeps a ghost
    step count ``j`` and a ghost sum ``g`` of ``x y_i 2^(i BITS)`` for ``i < j``, and proves,
    on the unit's own registers (``k``, ``acc``, ``busy``, ``chunk``): ``k = j < 32 / BITS``;
    idle, ``j = 0``, ``g = 0`` and ``acc = 0``; ``acc = g``; the piece the unit multiplies is
    ``y_j``. These hold from reset and each step keeps them, and when ``done`` the result
    is the low or high word of ``g + x y_j 2^(j BITS) - y[32] x 2^32`` = ``x y``."""

    def __init__(self, bits: int, name: str, unit=None):
        from hdl.units.mulseq import IterMultiplier
        self.bits = bits
        self.steps = 32 // bits
        self.name = name
        self.unit = unit if unit is not None else IterMultiplier(bits)
        self.start = Signal()
        self.ack = Signal()

    @property
    def ports(self) -> list:
        return [self.start, self.ack]

    def elaborate(self, platform):
        from amaranth.hdl import Fragment
        from amaranth.hdl._ast import AnyConst

        m = Module()
        u, bits, steps = self.unit, self.bits, self.steps
        frag = Fragment.get(u, platform)
        m.submodules.unit = frag
        sig = _internal(frag, ("k", "acc", "busy", "chunk"))
        a, b = AnyConst(32), AnyConst(32)
        m.d.comb += [u.op.eq(BY_NAME[self.name].op), u.a.eq(a), u.b.eq(b), u.start.eq(self.start),
                     u.ack.eq(self.ack)]

        a_signed, b_signed = MUL_SIGNS[self.name]
        x = Cat(a, a[31] if a_signed else 0).as_signed()
        y = Cat(b, b[31] if b_signed else 0).as_signed()
        k, acc, busy, chunk = sig["k"], sig["acc"], sig["busy"], sig["chunk"]
        piece = x * Cat(chunk, 0).as_signed()      # x times the piece the unit takes this step

        j = Signal(range(steps + 1))
        g = Signal(signed(66))
        step = (busy | self.start) & ~u.done & ~self.ack      # the unit adds a piece this cycle
        with m.If(self.ack):
            m.d.sync += [j.eq(0), g.eq(0)]
        with m.Elif(step):
            m.d.sync += j.eq(j + 1)
            with m.Switch(j):
                for i in range(steps):
                    with m.Case(i):
                        m.d.sync += g.eq(g + (piece << (i * bits)))
        m.d.comb += [Assert(j <= steps - 1), Assert(k == j), Assert(acc == g)]
        with m.If(~busy):
            m.d.comb += [Assert(j == 0), Assert(g == 0)]
        final = Signal(signed(66))
        with m.Switch(j):
            for i in range(steps):
                with m.Case(i):
                    m.d.comb += Assert(chunk == y[i * bits:(i + 1) * bits])
                    m.d.comb += final.eq(g + (piece << (i * bits)) - Mux(y[32], x << 32, 0))
        with m.If(u.done):
            low = self.name == "mul"
            m.d.comb += Assert(u.result == (final[:32] if low else final[32:64]))
        return m


class IterPieceProduct(Elaboratable):
    """The iterative multiplier's primitive for one ``BITS``: ``x * c`` for a 33-bit signed
    ``x`` and a ``BITS``-bit unsigned piece ``c``, the same Yosys product as the unit's,
    equals its definition in binary, ``sum(c[i] x 2^i)``, for every ``x``, ``c``
    (combinational: one step proves it; within reach for ``BITS`` <= 4)."""

    def __init__(self, bits: int):
        self.bits = bits
        self.x = Signal(signed(33))
        self.c = Signal(bits)

    @property
    def ports(self) -> list:
        return [self.x, self.c]

    def elaborate(self, platform):
        m = Module()
        total = Const(0, signed(66))
        for i in range(self.bits):
            total = total + Mux(self.c[i], self.x << i, 0)
        m.d.comb += Assert(self.x * Cat(self.c, 0).as_signed() == total)
        return m
