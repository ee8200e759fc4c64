"""Machine-mode CSR file and trap unit.

Everything here commits in EX (the pipeline's commit point): CSR writes, trap
entry (mepc/mcause/mtval/mstatus), MRET and the ``minstret`` increment. The
counters follow ``docs/timing.md``: ``mcycle`` counts every clock from reset,
``minstret`` counts instructions that leave EX without trapping, so a reader
in EX sees exactly the instructions retired before it.

The CSRs are the rows of ``isa.csrs.CSRS``: a number not there is illegal, a
``reg`` CSR is a register that a CSR instruction sets to ``(new & wmask) |
fixed``, the others are formed by their ``source``. ``new`` is the golden
``isa.semantics`` of the CSR instruction; trap entry and MRET are the golden
functions of ``isa.privileged``. Those are plain arithmetic, so they are
evaluated here on Amaranth values and become the hardware.
"""


from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.hdl import Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from isa.config import FULL, IsaConfig
from isa.csrs import (
    BY_CSR_NAME,
    CSRS,
    INTERRUPT,
    MCAUSE,
    MEPC,
    MIE,
    MIP_MTIP,
    MSTATUS,
    MSTATUS_MIE,
    MTVAL,
    MTVEC,
    Csr,
)
from isa.privileged import aligned_write, misa_value, mret_mstatus, trap_mstatus, trap_mtval
from isa.semantics import SEMANTICS
from isa.table import INSNS

from .base import op_id

#: The CSR instructions (csrrw ... csrrci).
CSR_OPS = tuple(i.name for i in INSNS if i.kind == "csr")


def _counter_of(csr: Csr) -> str:
    """The 64-bit counter a ``counter`` CSR shows: mcycle, cycle, mcycleh, cycleh -> "cycle"."""
    return csr.name.removeprefix("m").removesuffix("h")


def _counter_reset(counter: str) -> int:
    """A 64-bit counter's value after reset, from its two machine-mode halves."""
    return BY_CSR_NAME[f"m{counter}"].reset | BY_CSR_NAME[f"m{counter}h"].reset << 32


def _half(value64: Value, csr: Csr) -> Value:
    """The half of a 64-bit count that ``csr`` reads: the high one for the ``...h`` CSRs."""
    return value64[32:] if csr.name.endswith("h") else value64[:32]


def access_fault(addr: Value, rw: Value, src_zero: Value) -> Value:
    """Whether a CSR instruction's access to ``addr`` is illegal: a number that is not
    a CSR, or a write to a read-only one (``rw``: csrrw or csrrwi, which write whatever
    their source; csrrs and csrrc write unless ``src_zero``). The CSR file's ``illegal``;
    the pipeline also decides it from the fetched word (``hdl/core.py``)."""
    known = Const(0, 1)
    read_only = Const(0, 1)
    for c in CSRS:
        known = known | (addr == c.number)
        if c.read_only:
            read_only = read_only | (addr == c.number)
    return ~known | ((rw | ~src_zero) & read_only)


def word_access_fault(word: Value) -> Value:
    """``access_fault`` of a CSR instruction's 32-bit word: its CSR number (bits 31:20),
    funct3 (csrrw and csrrwi have 01 in its low bits) and rs1/zimm field (bits 19:15).
    Exact for a CSR instruction's word; for any other word it means nothing."""
    return access_fault(word[20:32], word[12:14] == 1, word[15:20] == 0)


class CSRFile(wiring.Component):
    # CSR instruction in EX
    access: In(1)        # a CSR instruction is in EX (decides `illegal`)
    commit: In(1)        # ... and leaves EX without trapping: perform the write
    op: In(7)
    addr: In(12)
    src: In(32)          # x[rs1] or the zero-extended zimm
    src_zero: In(1)      # the rs1/zimm field is 0: csrrs/csrrc then do not write
    rdata: Out(32)
    illegal: Out(1)
    # traps
    trap: In(1)
    cause: In(32)
    tval: In(32)
    trap_pc: In(32)
    mret: In(1)
    retire: In(1)        # an instruction leaves EX without trapping (or, with `unretire`, at all)
    unretire: In(1)      # the instruction counted last cycle trapped: take it back
    mtip: In(1)
    mtime: In(64)
    mtvec: Out(32)
    mepc: Out(32)
    irq: Out(1)          # an enabled interrupt is pending: take it
    wake: Out(1)         # mip & mie != 0: WFI may finish

    def __init__(self, config: IsaConfig = FULL, small: bool = False):
        self.config = config
        self.small = small      # built for area: minstret's one adder (same counts)
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        regs = {c.number: Signal(32, init=c.reset, name=c.name) for c in CSRS if c.source == "reg"}
        names = sorted({_counter_of(c) for c in CSRS if c.source == "counter"})
        counters = {n: Signal(64, init=_counter_reset(n), name=f"m{n}") for n in names}
        mip = Signal(32)
        mstatus = regs[MSTATUS]

        def storage(c: Csr) -> Value:
            """What a CSR instruction writes: the register, or the counter's half."""
            return regs[c.number] if c.source == "reg" else _half(counters[_counter_of(c)], c)

        def read(c: Csr) -> Value:
            if c.source in ("reg", "counter"):
                return storage(c)
            if c.source == "time":
                return _half(self.mtime, c)
            if c.source == "mip":
                return mip
            if c.source == "misa":
                return Const(misa_value(self.config), 32)
            if c.source == "const":
                return Const(c.reset, 32)
            raise ValueError(f"{c.name}: no hardware for CSR source {c.source!r}")

        pending = (mip & regs[MIE]).any()
        m.d.comb += [
            mip.eq(Mux(self.mtip, MIP_MTIP, 0)),
            self.mtvec.eq(regs[MTVEC]),
            self.mepc.eq(regs[MEPC]),
            self.irq.eq((mstatus & MSTATUS_MIE).any() & pending),
            self.wake.eq(pending),
        ]

        read_only = Signal()
        with m.Switch(self.addr):
            for c in CSRS:
                with m.Case(c.number):
                    m.d.comb += [self.rdata.eq(read(c)), read_only.eq(c.read_only)]

        new = Signal(32)
        with m.Switch(self.op):
            for name in CSR_OPS:
                with m.Case(op_id(name)):
                    m.d.comb += new.eq(SEMANTICS[name](self.rdata, self.src))
        rw = self.op.matches(op_id("csrrw"), op_id("csrrwi"))
        writes = rw | ~self.src_zero
        m.d.comb += self.illegal.eq(self.access & access_fault(self.addr, rw, self.src_zero))

        # counters: the written value replaces this cycle's increment
        # (the increment is chosen after the add: `retire` comes late, after EX's traps,
        # and would otherwise enter the 64-bit carry chain at its bottom)
        instret = counters["instret"]
        m.d.sync += counters["cycle"].eq(counters["cycle"] + 1)
        if self.small:     # one adder: +1, or all ones (-1) to take one back
            back = self.unretire & ~self.retire
            m.d.sync += instret.eq(instret + Cat(self.retire | back, back.replicate(63)))
        else:
            m.d.sync += instret.eq(Mux(self.retire, instret + 1, Mux(self.unretire, instret - 1, instret)))
        with m.If(self.commit & writes & ~read_only):
            with m.Switch(self.addr):
                for c in CSRS:
                    if c.wmask and not c.read_only:
                        with m.Case(c.number):
                            m.d.sync += storage(c).eq((new & c.wmask) | c.fixed)

        with m.If(self.trap):
            # trap_mtval only asks whether the cause is an interrupt: evaluate it for both
            mtval = Mux(self.cause[31], trap_mtval(INTERRUPT, self.tval), trap_mtval(0, self.tval))
            m.d.sync += [
                regs[MEPC].eq(aligned_write(self.trap_pc)),
                regs[MCAUSE].eq(self.cause),
                regs[MTVAL].eq(mtval),
                mstatus.eq(trap_mstatus(mstatus)),
            ]
        with m.Elif(self.mret):
            m.d.sync += mstatus.eq(mret_mstatus(mstatus))
        return m
