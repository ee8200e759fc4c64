"""Properties of the whole core over its retirement port, in the spirit of riscv-formal.

The harness drives the core from free inputs: the instruction word that the
instruction port returns for each fetch, the word that the data port returns for
each load, the timer interrupt line and ``mtime``. The ports behave as the SoC's
synchronous RAM does (a word arrives the cycle after its address and stays until the
next read), otherwise every value is arbitrary in every cycle: the solver picks the
program, the data and the interrupts. Checked from reset, for ``depth`` cycles:

``order``  the records' ``order`` counts 0, 1, 2 ... with no gap and no repeat;
``pc``     each record's ``pc_rdata`` is the previous record's ``pc_wdata`` (traps and
           interrupts included: a trapped record's ``pc_wdata`` is ``mtvec``);
``reg``    a register read (``rs1``/``rs2`` of a record) returns the last value a
           record wrote to that register (x0: always 0); the register is a free
           constant, so the solver checks all 32;
``insn``   for the rows of ``specs.ENCODINGS`` in ``names``: a record that did not
           trap has the rd/rs1/rs2 fields of its word and ``rd_wdata`` = the spec of
           its operands ``rs1_rdata``/``rs2_rdata`` (0 for x0);
``live``   the core retires again within the timing table's bound: ``PIPELINE_FILL``
           cycles after reset, then 1 + the largest penalty of ``isa.timing`` (a
           taken branch, trap, MRET, fence.i or load-use stall) cycles; the divider's
           fixed latency and ``wfi`` (which waits for an interrupt) are excluded by
           keeping their encodings out of the instruction stream for this check.
"""

from __future__ import annotations

from contextlib import contextmanager
from unittest import mock

from amaranth import Const, Elaboratable, Module, Mux, Signal
from amaranth.hdl import Assert, Assume, Fragment, ResetSignal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from isa import timing
from isa.config import IsaConfig

from .specs import ENCODINGS, immediate, spec

CHECKS = ("order", "pc", "reg", "insn", "live")

#: Cycles without a retirement allowed after the first one (one event per gap).
LIVE_GAP = 1 + max(timing.TAKEN_BRANCH_PENALTY, timing.TRAP_PENALTY, timing.MRET_PENALTY,
                   timing.EXTRA_BY_KIND["fencei"], timing.LOAD_USE_STALL)

WFI = 0x1050_0073


def is_div(w) -> object:
    """An M division row (OP, funct7 = 1, funct3 = 4..7)."""
    return (w[0:7] == 0x33) & (w[25:32] == 1) & w[14]


class FreeUnit(wiring.Component):
    """Stands for all of the core's single-cycle units: its result is a free value."""

    #: the free input of the harness, set by ``free_units``
    value = None

    def __init__(self):
        super().__init__({"op": In(7), "a": In(32), "b": In(32), "imm": In(32), "result": Out(32)})

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.result.eq(self.value)
        return m


@contextmanager
def free_units(core, value: Signal):
    """While elaborating ``core``: one ``FreeUnit`` instead of its single-cycle units
    (a cut point, as riscv-formal's black-box ALU). Sound for the checks that hold
    whatever the units compute (order, pc, reg, live), and much cheaper for the solver.
    The name ``comb_units`` is replaced in the module whose ``elaborate`` calls it (a
    mutant's copy of ``hdl.core`` too)."""
    cls = type("FreeUnit", (FreeUnit,), {"value": value})
    names = next(k.elaborate.__globals__ for k in type(core).__mro__
                 if "elaborate" in k.__dict__ and "comb_units" in k.elaborate.__globals__)
    with mock.patch.dict(names, {"comb_units": lambda config, uarch: [cls]}):
        yield


class CoreChecks(Elaboratable):
    """``core`` (a ``hdl.core.Core``) under the checks named in ``checks``; with
    ``free_units`` its single-cycle units are cut out (``free_units()``)."""

    def __init__(self, core, checks=CHECKS, names=None, free_units: bool = False):
        unknown = set(checks) - set(CHECKS)
        if unknown:
            raise ValueError(f"unknown checks {sorted(unknown)}")
        self.core = core
        self.checks = tuple(checks)
        cfg: IsaConfig = core.config
        from isa.table import BY_NAME
        self.names = tuple(n for n in (names or ENCODINGS) if BY_NAME[n].ext in cfg)
        self.insn_word = Signal(32)
        self.load_word = Signal(32)
        self.mtip = Signal()
        self.mtime = Signal(64)
        self.reg_pick = Signal(5)
        self.free = free_units
        if free_units and "insn" in checks:
            raise ValueError("the insn check needs the real units")
        self.unit_value = Signal(32)

    @property
    def ports(self) -> list:
        return [self.insn_word, self.load_word, self.mtip, self.mtime, self.reg_pick, self.unit_value]

    def elaborate(self, platform):
        m = Module()
        core = self.core
        if self.free:
            with free_units(core, self.unit_value):
                m.submodules.core = Fragment.get(core, platform)
        else:
            m.submodules.core = core
        m.d.comb += Assume(~ResetSignal())

        # the memories: a word for each read, held until the next
        iword = Signal(32)
        dword = Signal(32)
        with m.If(core.ibus.en):
            m.d.sync += iword.eq(self.insn_word)
        with m.If(core.dbus.re):
            m.d.sync += dword.eq(self.load_word)
        m.d.comb += [core.ibus.data.eq(iword), core.dbus.rdata.eq(dword),
                     core.mtip.eq(self.mtip), core.mtime.eq(self.mtime)]
        rv = core.rvfi
        ok = rv.valid & ~rv.trap

        if "order" in self.checks:
            expect = Signal(64)
            with m.If(rv.valid):
                m.d.comb += Assert(rv.order == expect)
                m.d.sync += expect.eq(expect + 1)

        if "pc" in self.checks:
            seen = Signal()
            last_next = Signal(32)
            with m.If(rv.valid):
                with m.If(seen):
                    m.d.comb += Assert(rv.pc_rdata == last_next)
                m.d.sync += [seen.eq(1), last_next.eq(rv.pc_wdata)]

        if "reg" in self.checks:
            # a free constant register number: sampled in cycle 0, assumed to stay
            pick = Signal(5)
            first = Signal(init=1)
            m.d.sync += first.eq(0)
            with m.If(first):
                m.d.sync += pick.eq(self.reg_pick)
            reg = Signal(5)
            m.d.comb += reg.eq(self.reg_pick)
            with m.If(~first):
                m.d.comb += Assume(self.reg_pick == pick)
            known = Signal()            # x0 is known (0) from the start
            value = Signal(32)
            for addr, data in ((rv.rs1_addr, rv.rs1_rdata), (rv.rs2_addr, rv.rs2_rdata)):
                with m.If(ok & (addr == reg) & (known | (reg == 0))):
                    m.d.comb += Assert(data == value)
            with m.If(ok & (rv.rd_addr == reg) & (reg != 0)):
                m.d.sync += [known.eq(1), value.eq(rv.rd_wdata)]
            with m.If(rv.valid & (rv.rd_addr == 0)):
                m.d.comb += Assert(rv.rd_wdata == 0)

        if "insn" in self.checks:
            w = rv.insn
            for name in self.names:
                mask, match, imm_kind, sources = ENCODINGS[name]
                with m.If(ok & ((w & mask) == match)):
                    m.d.comb += Assert(rv.rd_addr == w[7:12])
                    m.d.comb += Assert(rv.rs1_addr == (w[15:20] if "1" in sources else 0))
                    m.d.comb += Assert(rv.rs2_addr == (w[20:25] if "2" in sources else 0))
                    value = spec(name, rv.rs1_rdata, rv.rs2_rdata, immediate(imm_kind, w), rv.pc_rdata,
                                 Const(0, 32))
                    m.d.comb += Assert(rv.rd_wdata == Mux(w[7:12] != 0, value, 0))

        if "live" in self.checks:
            m.d.comb += Assume(~is_div(self.insn_word) & (self.insn_word != WFI))
            idle = Signal(range(64))       # cycles since the last record (or reset)
            retired = Signal()
            m.d.sync += idle.eq(Mux(rv.valid, 0, idle + 1))
            with m.If(rv.valid):
                m.d.sync += retired.eq(1)
            bound = Signal(range(64))
            m.d.comb += bound.eq(Mux(retired, LIVE_GAP - 1, timing.PIPELINE_FILL))
            m.d.comb += Assert(idle <= bound)
        return m

