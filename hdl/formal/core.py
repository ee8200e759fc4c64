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
``rs3``    Xchain's third operand, which the port does not carry: a record of
           ``xor3`` whose rs3 is the register watched as for ``reg`` has
           ``rd_wdata ^ rs1_rdata ^ rs2_rdata`` = the last value written to it;
``next``   a record of a branch, ``jal`` or ``jalr`` that did not trap has ``pc_wdata``
           = the golden next pc of its word, pc and operands (``specs.next_pc``), a
           4-byte aligned target when it jumps (a misaligned one must trap), the word's register
           fields (what ``jal``/``jalr`` write, pc + 4, is the insn check's: their rows are
           in ``specs.ENCODINGS``);
``mem``    against the data port as a memory: a load that did not trap read the aligned
           word of ``rs1 + imm`` in the cycle before its record (the memory's word then
           arrives) and writes rd the bytes at the address's offset, sign- or
           zero-extended per width; a store wrote, in that cycle, the same word with the
           byte lanes of its width at the offset and ``rs2``'s bytes in them; an access
           is aligned to its width (a misaligned one must trap); a cycle that reads or
           writes the port is followed by the record of a load or a store that did not
           trap (no stray access, none by a trapped instruction);
``csr``    Zicsr on one CSR (``specs.CSR_FIELDS``: mscratch, mtvec, mie, mstatus, mepc,
           mcause, mtval): a
           csrrw/csrrs/csrrc (and immediate) record that did not trap reads, in rd, the
           value the last write left (once one was written, and for mstatus, mepc, mcause
           and mtval no trap or MRET since), the new value being the source (x[rs1] or the 5-bit immediate)
           written, set or cleared, within the CSR's writable bits, its fixed bits 1.
           With ``lemma``, also: every record of a CSR instruction on it, whatever its rd,
           read the followed value at the CSR file's port in EX (``_csr_lemma``: it takes
           the check from depth 10 to 20);
``trap_vec`` a trap record (exceptions and interrupts) has ``pc_wdata`` = ``mtvec`` (once
           written; mtvec followed as by the csr check);
``trap``   a trap record (exceptions and interrupts) leaves ``mepc`` = its pc, and an
           ``ecall``/``ebreak`` that traps ``mcause`` 11/3 and ``mtval`` 0/its pc (or the
           timer interrupt's 0x80000007 and 0, which the instruction may take first):
           a later CSR instruction that reads them (no trap or write to them between)
           reads those;
``cause``  every record's synchronous exception (``specs.exception``, RV32I with Zicsr:
           instruction access fault, illegal word, ecall, ebreak, misaligned jump or
           branch target, misaligned or faulting load or store), from its word, pc and
           operands when those are known (the reg check's watched register, so this
           check needs the ``regwatch`` cut): a record that must take one traps, and a
           trap record leaves mcause and mtval its exception's (or the timer
           interrupt's), as a later CSR instruction reads them;
``mret``   an MRET record's ``pc_wdata`` is mepc as the last trap (its pc) or CSR write
           left it; mstatus followed through trap entry (MPIE <- MIE, MIE <- 0) and MRET
           (MIE <- MPIE, MPIE <- 1) as the csr check follows it through writes;
``mcycle``, ``minstret`` (the counters checks) two reads of mcycle (or cycle) differ by
           the cycles between their records, two of minstret (or instret) by the records
           that did not trap from the first reader on (an instruction reads the count of
           those retired before it), in their low words, with no write to the counter
           between;
``live``   the core retires again within the timing table's bound: ``PIPELINE_FILL``
           cycles after reset, then 1 + the largest penalty of ``isa.timing`` (a
           taken branch, trap, MRET, fence.i or load-use stall) cycles; the divider's
           fixed latency and ``wfi`` (which waits for an interrupt) are excluded by
           keeping their encodings out of the instruction stream for this check.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from unittest import mock

from amaranth import Cat, Const, Elaboratable, Module, Mux, Signal, signed
from amaranth.hdl import Assert, Assume, Fragment, ResetSignal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hdl.units.csr import CSRFile
from hdl.units.divider import Divider
from hdl.units.multiplier import Multiplier
from hdl.units.xchain import Xchain
from hdl.units.zkne import Zkne
from isa import timing
from isa.config import IsaConfig
from isa.table import BY_NAME, INSNS
from isa.uarch import CRYPTO_EXTS

from .specs import (
    ALT_DIV,
    ALT_MUL,
    BRANCH,
    CAUSE_EBREAK,
    CAUSE_ECALL,
    CAUSE_TIMER,
    COUNTERS,
    CSR_FIELDS,
    CSR_OPS,
    EBREAK,
    ECALL,
    ENCODINGS,
    JALR,
    LOAD,
    LOADS,
    MCAUSE,
    MEPC,
    MRET,
    MTVAL,
    STORE,
    STORES,
    SYSTEM,
    alt_div,
    alt_mul,
    csr_write,
    csr_writes,
    exception,
    imm_s,
    immediate,
    load_value,
    mstatus_mret,
    mstatus_trap,
    next_pc,
    spec,
)

CHECKS = ("order", "pc", "reg", "insn", "live", "rs3", "next", "mem", "csr", "trap", "trap_vec", "cause",
          "mret", "mcycle", "minstret")

#: Xchain's ``xor3`` (docs/xchain.md: R4, opcode 0x2B, funct3 0, bits 26..25 = 0): the
#: rs3 check's row, whose result gives its third operand back (rd ^ rs1 ^ rs2).
XOR3_MASK, XOR3_MATCH = 0x0600_707F, 0x0000_002B

#: Cycles without a retirement allowed after the first one (one event per gap).
LIVE_GAP = 1 + max(timing.TAKEN_BRANCH_PENALTY, timing.TRAP_PENALTY, timing.MRET_PENALTY,
                   timing.EXTRA_BY_KIND["fencei"], timing.LOAD_USE_STALL)

WFI = 0x1050_0073


def is_div(w) -> object:
    """An M division row (OP, funct7 = 1, funct3 = 4..7)."""
    return (w[0:7] == 0x33) & (w[25:32] == 1) & w[14]


class FreeUnit(wiring.Component):
    """Stands for all of the core's single-cycle units: its result is a free value (0
    for the ops of ``kept``, which a real unit beside it computes)."""

    #: the free input of the harness, set by ``free_units``
    value = None
    #: op numbers left to the real unit
    kept: tuple[int, ...] = ()

    def __init__(self):
        super().__init__({"op": In(7), "a": In(32), "b": In(32), "imm": In(32), "result": Out(32)})

    def elaborate(self, platform):
        m = Module()
        kept = self.op.matches(*self.kept) if self.kept else 0
        m.d.comb += self.result.eq(Mux(kept, 0, self.value))
        return m


class XchainNoMac(Xchain):
    """The real Xchain unit without its multiply-accumulate (``maddlu``/``maddhu`` give
    0, and the free unit beside it any value)."""

    def __init__(self):
        super().__init__(mac=False)


class FreeCSR(CSRFile):
    """Stands for the CSR file (same ports): every output (read data, ``illegal``,
    ``mtvec``, ``mepc``, ``irq``, ``wake``) a free value in every cycle, the inputs
    ignored."""

    #: the harness's free inputs, by output name, set by ``cut_state``
    values: dict = {}

    def elaborate(self, platform):
        outputs = {n for n, member in self.signature.members.items() if member.flow == Out}
        if outputs != set(self.values):     # an output left out would be a constant, not free
            raise ValueError(f"FreeCSR cuts {sorted(self.values)}, the CSR file drives {sorted(outputs)}")
        m = Module()
        m.d.comb += [getattr(self, k).eq(v) for k, v in self.values.items()]
        return m


class WatchedCSR(CSRFile):
    """The real CSR file, unchanged, that lets the harness find it (``instances``) to
    read its ports, for the csr check's lemma."""

    instances: list = []    # set by ``watched_csr``

    def elaborate(self, platform):
        type(self).instances.append(self)
        return super().elaborate(platform)


@contextmanager
def watched_csr(core):
    """While elaborating ``core``: its CSR file a ``WatchedCSR``; yields the list the
    elaborated file is put in."""
    instances: list = []
    cls = type("WatchedCSR", (WatchedCSR,), {"instances": instances})
    with mock.patch.dict(_core_globals(core), {"CSRFile": cls}):
        yield instances


def crypto_late_ops(core) -> tuple[int, ...]:
    """The rows ``core`` computes in MEM (``crypto=2``: the S-box units' rows)."""
    if core.uarch.crypto != 2:
        return ()
    return tuple(i.op for i in INSNS if i.ext in CRYPTO_EXTS and i.ext in core.config)


def _core_globals(core) -> dict:
    """The globals of the module whose ``elaborate`` builds ``core`` (a mutant's copy of
    ``hdl.core`` too): the names a cut point replaces."""
    return next(k.elaborate.__globals__ for k in type(core).__mro__
                if "elaborate" in k.__dict__ and "comb_units" in k.elaborate.__globals__)


def spec_twin(cls):
    """``cls`` (a single-cycle unit) with its result computed by ``specs.spec``: the
    function its unit proof shows it equal to for every input (``units.UnitEquivalence``),
    so the core's checks may take one for the other (assume-guarantee)."""
    def elaborate(self, platform):
        m = Module()
        pc = self.pc if hasattr(self, "pc") else Const(0, 32)
        c = self.c if hasattr(self, "c") else Const(0, 32)
        expected = Const(0, 32)
        for name in cls.NAMES:
            expected = Mux(self.op == BY_NAME[name].op, spec(name, self.a, self.b, self.imm, pc, c), expected)
        m.d.comb += self.result.eq(expected)
        return m
    return type(f"{cls.__name__}Spec", (cls,), {"elaborate": elaborate})


@contextmanager
def spec_units(core):
    """While elaborating ``core``: each single-cycle unit's ``spec_twin``."""
    g = _core_globals(core)
    real = g["comb_units"]

    def twins(config, uarch):
        return [spec_twin(u) for u in real(config, uarch)]
    with mock.patch.dict(g, {"comb_units": twins}):
        yield


class FreeLateUnit(Zkne):
    """Stands for the S-box units that compute in MEM under ``crypto=2`` (the core builds
    a subclass of ``CRYPTO_UNITS`` there): a free value for their rows, 0 for every
    other row (the core ORs it with MEM's result). The free unit in EX gives its own
    free value for those rows too, which covers the real EX's 0: a consumer that took
    MEM's result for such a row before the late part joined it shows in the reg check."""

    value = None    # the harness's free input, set by ``free_units``
    ops: tuple[int, ...] = ()

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.result.eq(Mux(self.op.matches(*self.ops), self.value, 0))
        return m


@contextmanager
def free_units(core, value: Signal, xor3: bool = False, late: Signal | None = None):
    """While elaborating ``core``: one ``FreeUnit`` instead of its single-cycle units
    (a cut point, as riscv-formal's black-box ALU). Sound for the checks that hold
    whatever the units compute (order, pc, reg, live), and much cheaper for the solver.
    With ``xor3`` the real Xchain unit computes ``xor3`` (the other units give 0 for it:
    their unit proofs), the free unit everything else. A core whose S-box units compute
    in MEM (``crypto=2``) gets a ``FreeLateUnit`` there, free as ``late``."""
    kept = (BY_NAME["xor3"].op,) if xor3 else ()
    cls = type("FreeUnit", (FreeUnit,), {"value": value, "kept": kept})
    units = [cls, XchainNoMac] if xor3 else [cls]
    late_ops = crypto_late_ops(core)
    if late_ops:
        units.append(type("FreeLateUnit", (FreeLateUnit,), {"value": late, "ops": late_ops}))
    with mock.patch.dict(_core_globals(core), {"comb_units": lambda config, uarch: units}):
        yield


class ResultCut(wiring.Component):
    """A sequential unit (``Divider``, ``IterMultiplier``) whose result is a free value:
    its handshake (``busy``, ``done``) is the real unit's, its datapath goes (nothing
    reads it). Its timing is proven on its own (``divider_latency``, ``mul_iter*``)."""

    def __init__(self, unit, value: Signal):
        self.unit = unit
        self.value = value
        super().__init__(unit.signature)

    def elaborate(self, platform):
        m = Module()
        m.submodules.unit = u = self.unit
        for name, member in self.signature.members.items():
            if name == "result":
                m.d.comb += self.result.eq(self.value)
            elif member.flow == In:
                m.d.comb += getattr(u, name).eq(getattr(self, name))
            else:
                m.d.comb += getattr(self, name).eq(getattr(u, name))
        return m


def _alt_result(names, alt, op, a, b):
    """The stand-in result ``alt(name, a, b)`` of the row ``op`` when it is one of
    ``names``, else 0."""
    out = Const(0, 32)
    for name in names:
        out = Mux(op == BY_NAME[name].op, alt(name, a, b), out)
    return out


def alt_mul_result(op, a, b):
    """The stand-in result (``specs.alt_mul``) of the multiplication row ``op``, else 0."""
    return _alt_result(ALT_MUL, alt_mul, op, a, b)


class AltMultiplier(Multiplier):
    """The single-cycle multiplier with the rows' stand-ins for the products."""

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.result.eq(alt_mul_result(self.op, self.a, self.b))
        return m


@contextmanager
def alt_mul_units(core):
    """While elaborating ``core``: its multiplier gives the stand-ins of ``specs.ALT_MUL``
    (the single-cycle one; the iterative one's result, with its real handshake; the
    pipelined one's partial products, so that its sum and word selection give them)."""
    g = _core_globals(core)
    real = g["comb_units"]

    def units(config, uarch):
        return [AltMultiplier if u is Multiplier else u for u in real(config, uarch)]

    def iterative(*args, **kwargs):
        wrapper = ResultCut(g_iter(*args, **kwargs), None)
        wrapper.value = alt_mul_result(wrapper.op, wrapper.a, wrapper.b)
        return wrapper
    def products(op, a, b):
        # the pipelined multiplier's four partial products: the stand-in where the row's
        # word is taken from (mul: the low part, pp0; the others: the high part, pp3)
        alt = Cat(alt_mul_result(op, a, b), Const(0, 4)).as_signed()
        low = op == BY_NAME["mul"].op
        return [Mux(low, alt, 0), Const(0, 36), Const(0, 36), Mux(low, 0, alt)]
    g_iter = g["IterMultiplier"]
    with mock.patch.dict(g, {"comb_units": units, "IterMultiplier": iterative, "pipe_products": products}):
        yield


def alt_div_result(op, a, b):
    """The stand-in result (``specs.alt_div``) of the division row ``op``, else 0."""
    return _alt_result(ALT_DIV, alt_div, op, a, b)


class AltDivider(Divider):
    """The divider with the rows' stand-ins (``specs.ALT_DIV``) for its results, of the
    row and operands at its inputs when it is done (as the multipliers' stand-ins), and
    a free latency: ``busy`` from the cycle after ``start``, ``done`` from a free cycle
    on (the real one's: the 35th) until ``ack``, the ``ack`` of a cycle without
    ``done`` ignored, as the real one's. Every handshake of the real divider is one
    of this one's; its latency is ``divider_latency``'s and its results
    ``divider_all``'s. (The real divider takes its operands at ``start``: that EX's
    operands stay the same while it waits is not this stand-in's to show: with the
    register file cut, its free read ports change every cycle.)"""

    #: the harness's free bit: the division finishes in this cycle (set by alt_div_unit)
    finish = None

    def elaborate(self, platform):
        m = Module()
        busy, fin = Signal(), Signal()
        with m.If(~busy):
            with m.If(self.start):
                m.d.sync += busy.eq(1)
        with m.Elif(~fin):
            m.d.sync += fin.eq(self.finish)
        with m.Elif(self.ack):
            m.d.sync += [busy.eq(0), fin.eq(0)]
        m.d.comb += [self.busy.eq(busy), self.done.eq(fin),
                     self.result.eq(Mux(fin, alt_div_result(self.op, self.a, self.b), 0))]
        return m


@contextmanager
def alt_div_unit(core, finish: Signal):
    """While elaborating ``core``: its divider is ``AltDivider`` (finishing when
    ``finish`` is high)."""
    cls = type("AltDivider", (AltDivider,), {"finish": finish})
    with mock.patch.dict(_core_globals(core), {"Divider": cls}):
        yield


#: The cut points ``CoreChecks`` can make (``cut_state``).
CUTS = ("regfile", "regwatch", "csr", "divider", "mul_iter", "mul_pipe")


def watched_regfile(pick: Signal, free: list[Signal], word: Signal | None = None):
    """A stand-in for ``units.regfile.regfile`` (same call, same read timing) in which
    only the register ``pick`` is storage and every other register reads a free value
    (``free[k]`` on port k) in every cycle: riscv-formal's trick for its reg check. The
    watched register is written exactly as the real memory's word at that address
    (every write the core makes to it, x0 included), and a read of it gives that word
    with the writes up to the end of the cycle the address was given in. The real file
    leaves out a write made in that same cycle (units/regfile.py); the core then takes
    the operand from its own bypass register (hdl/core.py, ``forward``) and not from
    the read, so at ``pick`` the two agree in every cycle in which the core uses the
    read; at every other address the free value can be the real word, so every
    behaviour of the real core is one of the cut core's (an over-approximation: sound
    for any property). What it takes for granted is the register file's own code at
    ``pick`` (its read a cycle ahead) and that the core uses no read of a register
    written in the cycle of its address: the reg checks that keep the real file check
    that (docs/verification.md). ``word`` (made here if not given) is the storage."""
    store = word if word is not None else Signal(32, name="rf_watched")

    def build(m, addrs, we, waddr, wdata, hold=None):
        word = store
        with m.If(we & (waddr == pick)):
            m.d.sync += word.eq(wdata)
        out = []
        for k, addr in enumerate(addrs):
            hit = Signal(name=f"rf_watch_hit{k}")
            # with `hold` the port keeps the register it read (and takes its writes)
            with m.If(~hold if hold is not None else 1):
                m.d.sync += hit.eq(addr == pick)
            data = Signal(32, name=f"rf_data{k}")
            m.d.comb += data.eq(Mux(hit, word, free[k]))
            out.append(data)
        return out
    return build


@contextmanager
def cut_state(core, cuts, rf_data: list[Signal], csr: dict[str, Signal], results: dict[str, Signal],
              pick: Signal | None = None):
    """While elaborating ``core``: the register file's read ports (``"regfile"`` in
    ``cuts``) and the CSR file's outputs (``"csr"``) become free values, cut points.
    Every behaviour of the real core is one of the cut core's, so a property proven on
    it holds on the real core. The register file suits the insn check, whose operands
    are the record's own (the reg check is what ties them to the register file); the
    CSR file any check that does not look at CSR values: it removes the state those
    checks never need (the register file's 1 Kbit, the CSRs and their 64-bit counters).
    ``"divider"`` and ``"mul_iter"`` keep those units' handshakes and make their results
    free (``ResultCut``), ``"mul_pipe"`` the pipelined multiplier's partial products, for
    the checks that do not look at values."""
    def free_regfile(m, addrs, we, waddr, wdata, hold=None):
        return rf_data[:len(addrs)]
    names = {}
    if "regfile" in cuts:
        names["regfile"] = free_regfile
    if "regwatch" in cuts:
        names["regfile"] = watched_regfile(pick, rf_data)
    if "csr" in cuts:
        names["CSRFile"] = type("FreeCSR", (FreeCSR,), {"values": csr})
    g = _core_globals(core)

    def result_cut(cls, value):
        return lambda *args, **kwargs: ResultCut(cls(*args, **kwargs), value)
    for cut, cls_name in (("divider", "Divider"), ("mul_iter", "IterMultiplier")):
        if cut in cuts:
            names[cls_name] = result_cut(g[cls_name], results[cut])
    if "mul_pipe" in cuts:
        names["pipe_products"] = lambda op, a, b: list(results["mul_pipe"])
    with mock.patch.dict(g, names):
        yield


class CoreChecks(Elaboratable):
    """``core`` (a ``hdl.core.Core``) under the checks named in ``checks``; with
    ``free_units`` its single-cycle units are cut out (``free_units()``), with ``cut``
    the state named there (``cut_state()``)."""

    def __init__(self, core, checks=CHECKS, names=None, free_units: bool = False, cut: tuple[str, ...] = (),
                 spec: bool = False, alt: bool = False, csr: str = "mscratch", lemma: bool = False):
        self.csr = csr      # the CSR the csr check follows (specs.CSR_FIELDS)
        # the csr check's lemma: a CSR record read, at the CSR file's port, the followed
        # value (``_csr_lemma``)
        self.lemma = lemma
        if lemma and "csr" in cut:
            raise ValueError("the csr lemma reads the real CSR file's port")
        unknown = set(checks) - set(CHECKS)
        if unknown:
            raise ValueError(f"unknown checks {sorted(unknown)}")
        self.core = core
        self.checks = tuple(checks)
        cfg: IsaConfig = core.config
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
        self.late_value = Signal(32)    # the S-box units' in MEM (crypto=2), with free_units
        self.cut = tuple(cut)
        self.spec = spec
        self.alt = alt      # multiplication rows: the stand-ins on both sides (alt_mul_units)
        # division rows: the stand-ins on both sides, a free latency (alt_div_unit)
        self.alt_div = alt and bool(set(self.names) & set(ALT_DIV))
        self.div_finish = Signal()
        if set(self.cut) - set(CUTS):
            raise ValueError(f"unknown cuts {sorted(set(self.cut) - set(CUTS))}")
        if "regfile" in self.cut and {"reg", "rs3"} & set(checks):
            raise ValueError("the reg check needs the real register file (or the watched register's)")
        if "regwatch" in self.cut and not {"reg", "rs3", "cause"} & set(checks):
            raise ValueError("the watched register is the reg check's constant register number")
        if {"regfile", "regwatch"} <= set(self.cut):
            raise ValueError("one register file cut at a time")
        self.rf_free = [Signal(32, name=f"rf_free{k}") for k in range(3)]
        widths = {"rdata": 32, "illegal": 1, "mtvec": 32, "mepc": 32, "irq": 1, "wake": 1}
        self.csr_free = {k: Signal(w, name=f"csr_{k}") for k, w in widths.items()}
        self.results_free = {k: Signal(32, name=f"{k}_free") for k in ("divider", "mul_iter")}
        # the four partial products of the pipelined multiplier (mulseq.pipe_products)
        self.results_free["mul_pipe"] = [Signal(signed(36), name=f"pp{k}_free") for k in range(4)]

    @property
    def ports(self) -> list:
        cut = ([*self.rf_free] if {"regfile", "regwatch"} & set(self.cut) else []) + \
            ([*self.csr_free.values()] if "csr" in self.cut else []) + \
            [v for k in ("divider", "mul_iter") if k in self.cut for v in [self.results_free[k]]] + \
            (self.results_free["mul_pipe"] if "mul_pipe" in self.cut else [])
        alt = [self.div_finish] if self.alt_div else []
        if self.free and crypto_late_ops(self.core):
            alt.append(self.late_value)
        return [self.insn_word, self.load_word, self.mtip, self.mtime, self.reg_pick, self.unit_value,
                *cut, *alt]

    def elaborate(self, platform):
        m = Module()
        core = self.core
        with ExitStack() as stack:
            if self.free:
                stack.enter_context(free_units(core, self.unit_value, xor3="rs3" in self.checks,
                                               late=self.late_value))
            if self.spec:
                stack.enter_context(spec_units(core))
            if self.alt:
                stack.enter_context(alt_mul_units(core))
            if self.alt_div:
                stack.enter_context(alt_div_unit(core, self.div_finish))
            if self.cut:
                stack.enter_context(cut_state(core, self.cut, self.rf_free, self.csr_free, self.results_free,
                                              self.reg_pick))
            watched = stack.enter_context(watched_csr(core)) if self.lemma else None
            m.submodules.core = Fragment.get(core, platform)
        self.csr_file = watched[0] if watched else None
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

        if {"reg", "rs3", "cause"} & set(self.checks):
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
            with m.If(ok & (rv.rd_addr == reg) & (reg != 0)):
                m.d.sync += [known.eq(1), value.eq(rv.rd_wdata)]

        if "reg" in self.checks:
            for addr, data in ((rv.rs1_addr, rv.rs1_rdata), (rv.rs2_addr, rv.rs2_rdata)):
                with m.If(ok & (addr == reg) & (known | (reg == 0))):
                    m.d.comb += Assert(data == value)
            with m.If(rv.valid & (rv.rd_addr == 0)):
                m.d.comb += Assert(rv.rd_wdata == 0)

        if "rs3" in self.checks:
            # the port has no rs3 field: xor3's result gives its third operand back
            w = rv.insn
            with m.If(ok & ((w & XOR3_MASK) == XOR3_MATCH) & (rv.rd_addr != 0) & (w[27:32] == reg)
                      & (known | (reg == 0))):
                m.d.comb += Assert((rv.rd_wdata ^ rv.rs1_rdata ^ rv.rs2_rdata) == value)

        if "insn" in self.checks:
            w = rv.insn
            for name in self.names:
                mask, match, imm_kind, sources = ENCODINGS[name]
                with m.If(ok & ((w & mask) == match)):
                    m.d.comb += Assert(rv.rd_addr == w[7:12])
                    m.d.comb += Assert(rv.rs1_addr == (w[15:20] if "1" in sources else 0))
                    m.d.comb += Assert(rv.rs2_addr == (w[20:25] if "2" in sources else 0))
                    if self.alt and name in ALT_MUL:
                        value = alt_mul(name, rv.rs1_rdata, rv.rs2_rdata)
                    elif self.alt and name in ALT_DIV:
                        value = alt_div(name, rv.rs1_rdata, rv.rs2_rdata)
                    else:
                        value = spec(name, rv.rs1_rdata, rv.rs2_rdata, immediate(imm_kind, w), rv.pc_rdata,
                                     Const(0, 32))
                    m.d.comb += Assert(rv.rd_wdata == Mux(w[7:12] != 0, value, 0))

        if "next" in self.checks:
            w = rv.insn
            transfer, jumps, target = next_pc(w, rv.pc_rdata, rv.rs1_rdata, rv.rs2_rdata)
            with m.If(ok & transfer):
                branch = w[0:7] == BRANCH
                m.d.comb += [
                    Assert(rv.pc_wdata == target),
                    # IALIGN = 32: a misaligned target traps (from an aligned pc: with the
                    # CSR file cut, a trap's free mtvec may start a misaligned stream)
                    Assert((rv.pc_rdata[:2] != 0) | ~jumps | (target[:2] == 0)),
                    Assert(rv.rs1_addr == Mux(w[3], 0, w[15:20])),     # jal (bit 3 set) reads none
                    Assert(rv.rs2_addr == Mux(branch, w[20:25], 0)),
                    Assert(rv.rd_addr == Mux(branch, 0, w[7:12])),
                ]

        if "mem" in self.checks:
            self._mem_check(m, dword)

        if "csr" in self.checks:
            value, known = self._csr_check(m)
            if self.lemma:
                self._csr_lemma(m, self.csr, value, known)

        if "trap" in self.checks:
            self._trap_check(m)

        if "cause" in self.checks:
            self._cause_check(m, reg, known, value)

        if "mret" in self.checks:
            self._mret_check(m)

        if {"mcycle", "minstret"} & set(self.checks):
            self._counter_check(m)

        if "trap_vec" in self.checks:
            # a trap goes to mtvec (direct mode): mtvec followed as by the csr check
            mtvec, mtvec_known = self._csr_check(m, "mtvec")
            if self.lemma:
                self._csr_lemma(m, "mtvec", mtvec, mtvec_known)
            with m.If(rv.valid & rv.trap & mtvec_known):
                m.d.comb += Assert(rv.pc_wdata == mtvec)

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


    def _mem_check(self, m: Module, dword: Signal) -> None:
        """The mem check (module docstring). The port's access of a record's load or store
        is in the cycle before the record (its last MEM cycle: WB follows, the core's
        in-order) and the word a read returns is the harness memory's ``dword``."""
        core, rv = self.core, self.core.rvfi
        w = rv.insn
        bus = core.dbus
        prev_re, prev_we = Signal(), Signal(4)
        prev_addr, prev_wdata = Signal(32), Signal(32)
        m.d.sync += [prev_re.eq(bus.re), prev_we.eq(bus.we), prev_addr.eq(bus.addr), prev_wdata.eq(bus.wdata)]
        ok = rv.valid & ~rv.trap
        f3 = w[12:15]
        is_load = (w[0:7] == LOAD) & f3.matches(*(f for f, _, _ in LOADS.values()))
        is_store = (w[0:7] == STORE) & f3.matches(*(f for f, _ in STORES.values()))
        with m.If(prev_re | (prev_we != 0)):
            m.d.comb += Assert(ok & Mux(prev_re, is_load, is_store))
        for funct3, size, sign in LOADS.values():
            addr = (rv.rs1_rdata + immediate("i", w))[:32]
            with m.If(ok & (w[0:7] == LOAD) & (f3 == funct3)):
                m.d.comb += [
                    Assert(rv.rd_addr == w[7:12]), Assert(rv.rs1_addr == w[15:20]), Assert(rv.rs2_addr == 0),
                    Assert(addr[:2] & (size - 1) == 0),
                    Assert(prev_re & (prev_addr[2:] == addr[2:])),
                    Assert(rv.rd_wdata == Mux(w[7:12] != 0, load_value(dword, addr[:2], size, sign), 0)),
                ]
        for name, (funct3, size) in STORES.items():
            addr = (rv.rs1_rdata + imm_s(w))[:32]
            lanes = Signal(4, name=f"{name}_lanes")
            m.d.comb += lanes.eq(((1 << size) - 1) << addr[:2])
            wanted = (rv.rs2_rdata << (addr[:2] * 8))[:32]
            with m.If(ok & (w[0:7] == STORE) & (f3 == funct3)):
                m.d.comb += [
                    Assert(rv.rd_addr == 0), Assert(rv.rs1_addr == w[15:20]), Assert(rv.rs2_addr == w[20:25]),
                    Assert(addr[:2] & (size - 1) == 0),
                    Assert(~prev_re & (prev_we == lanes) & (prev_addr[2:] == addr[2:])),
                ]
                for k in range(4):
                    with m.If(lanes[k]):
                        m.d.comb += Assert(prev_wdata.word_select(k, 8) == wanted.word_select(k, 8))

    def _csr_check(self, m: Module, csr: str | None = None, through: bool = False) -> tuple[Signal, Signal]:
        """The csr check (module docstring): the CSR ``csr`` (default ``self.csr``)
        followed in the harness, with its writable and fixed bits from
        ``specs.CSR_FIELDS``; returns its value and whether it is known. A CSR that a
        trap or MRET changes is forgotten there, or with ``through`` (mepc, mstatus)
        followed: trap entry sets mepc to the record's pc and mstatus by
        ``specs.mstatus_trap``, MRET mstatus by ``specs.mstatus_mret``."""
        rv = self.core.rvfi
        w = rv.insn
        number, wmask, fixed, by_traps = CSR_FIELDS[csr or self.csr]
        value = Signal(32)
        known = Signal()
        hit = rv.valid & ~rv.trap & (w[0:7] == SYSTEM) & (w[20:32] == number)
        for name, funct3 in CSR_OPS.items():
            imm = name.endswith("i")
            # the record's operand, as the insn check's (the reg check ties it to x[rs1])
            src = Cat(w[15:20], Const(0, 27)) if imm else rv.rs1_rdata
            with m.If(hit & (w[12:15] == funct3)):
                m.d.comb += [Assert(rv.rd_addr == w[7:12]), Assert(rv.rs1_addr == (0 if imm else w[15:20])),
                             Assert(rv.rs2_addr == 0)]
                with m.If(known & (w[7:12] != 0)):
                    m.d.comb += Assert(rv.rd_wdata == value)
                if name.startswith("csrrw"):
                    m.d.sync += [value.eq((src & wmask) | fixed), known.eq(1)]
                else:   # set or clear with rs1 = x0 (or a zero immediate): no write at all
                    with m.If(w[15:20] != 0):
                        m.d.sync += value.eq((csr_write(name, value, src) & wmask) | fixed)
        name = csr or self.csr
        if through and name == "mepc":       # trap entry (interrupts too): the pc
            with m.If(rv.valid & rv.trap):
                m.d.sync += [value.eq((rv.pc_rdata & wmask) | fixed), known.eq(1)]
        elif through and name == "mstatus":  # trap entry and MRET: MIE, MPIE
            with m.If(rv.valid & rv.trap):
                m.d.sync += value.eq(mstatus_trap(value))
            with m.Elif(rv.valid & (w == MRET)):
                m.d.sync += value.eq(mstatus_mret(value))
        elif through:
            raise ValueError(f"no trap or MRET rule for {name}")
        elif by_traps:    # trap entry (interrupts too) and MRET change it: forget the value
            with m.If(rv.valid & (rv.trap | ((w == MRET) & ~rv.trap))):
                m.d.sync += known.eq(0)
        return value, known

    def _trap_check(self, m: Module) -> None:
        """The trap check (module docstring): mepc, mcause, mtval followed in the harness
        from each trap record to the CSR instructions that read them."""
        rv = self.core.rvfi
        w = rv.insn
        is_ecall, is_ebreak = w == ECALL, w == EBREAK
        # per CSR: its expected value, a second one allowed (the timer interrupt's), and
        # what the trap record sets them to
        follow = {
            MEPC: (rv.pc_rdata, 0, Const(1), Const(0)),
            MCAUSE: (Mux(is_ecall, CAUSE_ECALL, CAUSE_EBREAK), CAUSE_TIMER, is_ecall | is_ebreak, Const(1)),
            MTVAL: (Mux(is_ecall, 0, rv.pc_rdata), 0, is_ecall | is_ebreak, is_ebreak),
        }
        for number, (at_trap, alt_at_trap, known_at_trap, alt_ok_at_trap) in follow.items():
            value, alt, known, alt_ok = Signal(32), Signal(32), Signal(), Signal()
            with m.If(rv.valid & rv.trap):
                m.d.sync += [value.eq(at_trap), alt.eq(alt_at_trap), known.eq(known_at_trap),
                             alt_ok.eq(alt_ok_at_trap)]
            hit = rv.valid & ~rv.trap & (w[0:7] == SYSTEM) & (w[20:32] == number) & w[12:14].any()
            with m.If(hit):
                with m.If(known & (w[7:12] != 0)):
                    m.d.comb += Assert((rv.rd_wdata == value) | (alt_ok & (rv.rd_wdata == alt)))
                # csrrw/csrrwi (funct3 bits 1..0 = 1) always write, set/clear unless rs1/zimm = 0
                with m.If((w[12:14] == 1) | (w[15:20] != 0)):
                    m.d.sync += known.eq(0)

    def _cause_check(self, m: Module, reg: Signal, reg_known: Signal, reg_value: Signal) -> None:
        """The cause check (module docstring): every record's synchronous exception
        (``specs.exception``: the cause and mtval the privileged spec and docs/hdl.md give
        a record of RV32I with Zicsr), from its word, its pc and its operands as the
        records wrote them, when the operands it needs are known: the register the reg
        check watches (x0, or another once written; the solver picks it, so every
        register; a branch, whose exception depends on both, when both are it). A record
        that must take an exception traps; a trap record's mcause and mtval, as later CSR
        reads see them, are its exception's, or the timer interrupt's (which comes first).
        mepc is the trap check's."""
        rv = self.core.rvfi
        w = rv.insn

        # (x0 only when it is the watched one: the regwatch cut reads every other register,
        # x0 too, as a free value; the reg check shows the watched one reads 0)
        def operand(field):
            return (field == reg) & (reg_known | (reg == 0)), Mux(reg == 0, 0, reg_value)
        a_known, a = operand(w[15:20])
        b_known, b = operand(w[20:25])
        exc, cause, tval = exception(w, rv.pc_rdata, a, b, self.core.ram_size)
        op = w[0:7]
        # which operands decide the exception: rs1 for jalr's target and an access's
        # address, rs2 too for a branch (taken or not); any other word none
        needs_a = (op == JALR) | (op == LOAD) | (op == STORE) | (op == BRANCH)
        needs_b = op == BRANCH
        determined = Signal()
        m.d.comb += determined.eq((~needs_a | a_known) & (~needs_b | b_known))
        with m.If(rv.valid & ~rv.trap & determined):
            m.d.comb += Assert(~exc)
        # per CSR: the value the trap record leaves (when it took its exception), the timer
        # interrupt's value, allowed always
        follow = {MCAUSE: (cause, CAUSE_TIMER), MTVAL: (tval, 0)}
        for number, (at_trap, alt_at_trap) in follow.items():
            value, known, value_ok = Signal(32), Signal(), Signal()
            with m.If(rv.valid & rv.trap):
                m.d.sync += [value.eq(at_trap), known.eq(determined), value_ok.eq(exc)]
            hit = rv.valid & ~rv.trap & (w[0:7] == SYSTEM) & (w[20:32] == number) & w[12:14].any()
            with m.If(hit):
                with m.If(known & (w[7:12] != 0)):
                    m.d.comb += Assert((value_ok & (rv.rd_wdata == value)) | (rv.rd_wdata == alt_at_trap))
                with m.If(csr_writes(w)):
                    m.d.sync += known.eq(0)

    def _mret_check(self, m: Module) -> None:
        """The mret check (module docstring): mepc and mstatus followed from trap entries,
        CSR writes and MRETs; an MRET record's ``pc_wdata`` is mepc, a CSR read of mstatus
        gives what the last write, trap entry (MPIE <- MIE, MIE <- 0) and MRET (MIE <-
        MPIE, MPIE <- 1) left."""
        rv = self.core.rvfi
        w = rv.insn
        mepc, mepc_known = self._csr_check(m, "mepc", through=True)
        with m.If(rv.valid & ~rv.trap & (w == MRET) & mepc_known):
            m.d.comb += Assert(rv.pc_wdata == mepc)
        mstatus, mstatus_known = self._csr_check(m, "mstatus", through=True)
        if self.lemma:
            self._csr_lemma(m, "mepc", mepc, mepc_known)
            self._csr_lemma(m, "mstatus", mstatus, mstatus_known)

    def _counter_check(self, m: Module) -> None:
        """The counters checks (module docstring), those of ``self.checks``. A CSR
        instruction reads in EX; the harness counts cycles from record to record, which
        is the same difference when both readers spend the same cycles from EX to their
        record (docs/hdl.md: a CSR read is in the retirement cycle - 2)."""
        rv = self.core.rvfi
        w = rv.insn
        ok = rv.valid & ~rv.trap
        now = Signal(32)            # cycles since reset
        m.d.sync += now.eq(now + 1)
        retired = Signal(32)        # records that did not trap, before this cycle's
        with m.If(ok):
            m.d.sync += retired.eq(retired + 1)
        is_csr = ok & (w[0:7] == SYSTEM) & w[12:14].any()
        counters = {"mcycle": ((COUNTERS["mcycle"], COUNTERS["cycle"]), now),
                    "minstret": ((COUNTERS["minstret"], COUNTERS["instret"]), retired)}
        for numbers, count in (counters[c] for c in counters if c in self.checks):
            last, at, known = Signal(32), Signal(32), Signal()
            hit = is_csr & w[20:32].matches(*numbers)
            with m.If(hit & (w[7:12] != 0)):
                with m.If(known):
                    m.d.comb += Assert(rv.rd_wdata == (last + (count - at))[:32])
                m.d.sync += [last.eq(rv.rd_wdata), at.eq(count), known.eq(1)]
            # a write to the counter (the machine-mode name: the other is read-only)
            with m.If(is_csr & (w[20:32] == numbers[0]) & csr_writes(w)):
                m.d.sync += known.eq(0)

    def _csr_lemma(self, m: Module, csr: str, value: Signal, known: Signal) -> None:
        """A lemma for the csr check, asserted (so proven) beside it: a record of a CSR
        instruction on ``csr`` read, at the CSR file's port two cycles before it (in EX:
        docs/hdl.md, a CSR is read in the retirement cycle - 2), the value the harness
        follows, whatever its rd. The check itself can only compare what rd shows, and a
        set or clear with rd = x0 leaves the old value unseen: the solver had to carry
        the whole chain of writes before it, and the check stopped at step 10 or 11
        (docs/verification.md). SymbiYosys's BMC takes the assertions of the steps it has
        proven as facts for the next, so with this one each write starts from a known
        old value. Sound as any assertion: if the read were not two cycles ahead, or not
        the followed value, it would fail. (A trap or MRET changes the CSR file a cycle
        after its EX, and the instructions behind it are flushed: no record between
        reads a value from before it.)"""
        f, rv = self.csr_file, self.core.rvfi
        w = rv.insn
        number = CSR_FIELDS[csr][0]
        read1, read2 = Signal(32), Signal(32)
        m.d.sync += [read1.eq(f.rdata), read2.eq(read1)]
        hit = rv.valid & ~rv.trap & (w[0:7] == SYSTEM) & (w[20:32] == number) & w[12:14].any()
        with m.If(hit & known):
            m.d.comb += Assert(read2 == value)
