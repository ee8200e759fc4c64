"""Machine-mode CSR file and trap unit.

Everything here commits in EX (the pipeline's commit point): CSR writes, trap
entry (mepc/mcause/mtval/mstatus), MRET and the ``minstret`` increment. The
counters follow ``docs/timing.md``: ``mcycle`` counts every clock from reset,
``minstret`` counts instructions that leave EX without trapping, so a reader
in EX sees exactly the instructions retired before it.
"""


from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from isa.config import FULL, IsaConfig

from .base import op_id

# CSR numbers (machine mode plus the Zicntr user-level shadows).
MSTATUS, MISA, MIE, MTVEC = 0x300, 0x301, 0x304, 0x305
MSCRATCH, MEPC, MCAUSE, MTVAL, MIP = 0x340, 0x341, 0x342, 0x343, 0x344
MCYCLE, MINSTRET, MCYCLEH, MINSTRETH = 0xB00, 0xB02, 0xB80, 0xB82
CYCLE, TIME, INSTRET, CYCLEH, TIMEH, INSTRETH = 0xC00, 0xC01, 0xC02, 0xC80, 0xC81, 0xC82
MVENDORID, MARCHID, MIMPID, MHARTID = 0xF11, 0xF12, 0xF13, 0xF14

#: Every CSR number the core implements; any other number is an illegal instruction.
IMPLEMENTED = (MSTATUS, MISA, MIE, MTVEC, MSCRATCH, MEPC, MCAUSE, MTVAL, MIP,
               MCYCLE, MINSTRET, MCYCLEH, MINSTRETH,
               CYCLE, TIME, INSTRET, CYCLEH, TIMEH, INSTRETH,
               MVENDORID, MARCHID, MIMPID, MHARTID)

MSTATUS_MIE, MSTATUS_MPIE = 3, 7
MSTATUS_MPP = 0b11 << 11   # machine mode only: MPP always reads 3
MTIP = 7


def misa_value(config: IsaConfig) -> int:
    return (1 << 30) | (1 << 8) | ((1 << 12) if "m" in config else 0)


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
    retire: In(1)        # an instruction leaves EX without trapping
    mtip: In(1)
    mtime: In(64)
    mtvec: Out(32)
    mepc: Out(32)
    irq: Out(1)          # an enabled interrupt is pending: take it
    wake: Out(1)         # mip & mie != 0: WFI may finish

    def __init__(self, config: IsaConfig = FULL):
        self.config = config
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        mie_bit = Signal()        # mstatus.MIE
        mpie = Signal()
        mtie = Signal()           # mie.MTIE
        msie = Signal()           # mie.MSIE and mie.MEIE: writable as in QEMU's virt machine,
        meie = Signal()           # though this platform never raises those interrupts
        mtvec = Signal(32)
        mscratch = Signal(32)
        mepc = Signal(32)
        mcause = Signal(32)
        mtval = Signal(32)
        mcycle = Signal(64)
        minstret = Signal(64)

        mstatus = Signal(32)
        mip = Signal(32)
        mie = Signal(32)
        m.d.comb += [
            mstatus.eq(Cat(Const(0, 3), mie_bit, Const(0, 3), mpie) | MSTATUS_MPP),
            mip.eq(self.mtip << MTIP),
            mie.eq(Cat(Const(0, 3), msie, Const(0, 3), mtie, Const(0, 3), meie)),
            self.mtvec.eq(mtvec),
            self.mepc.eq(mepc),
            self.irq.eq(mie_bit & mtie & self.mtip),
            self.wake.eq(mtie & self.mtip),
        ]

        reads = {
            MSTATUS: mstatus, MISA: Const(misa_value(self.config), 32), MIE: mie, MTVEC: mtvec,
            MSCRATCH: mscratch, MEPC: mepc, MCAUSE: mcause, MTVAL: mtval, MIP: mip,
            MCYCLE: mcycle[:32], MCYCLEH: mcycle[32:], MINSTRET: minstret[:32], MINSTRETH: minstret[32:],
            CYCLE: mcycle[:32], CYCLEH: mcycle[32:], INSTRET: minstret[:32], INSTRETH: minstret[32:],
            TIME: self.mtime[:32], TIMEH: self.mtime[32:],
            MVENDORID: Const(0, 32), MARCHID: Const(0, 32), MIMPID: Const(0, 32), MHARTID: Const(0, 32),
        }
        known = Signal()
        with m.Switch(self.addr):
            for num, value in reads.items():
                with m.Case(num):
                    m.d.comb += [self.rdata.eq(value), known.eq(1)]

        is_rw = self.op.matches(op_id("csrrw"), op_id("csrrwi"))
        is_rs = self.op.matches(op_id("csrrs"), op_id("csrrsi"))
        writes = is_rw | ~self.src_zero
        read_only = self.addr[10:12] == 0b11
        m.d.comb += self.illegal.eq(self.access & (~known | (writes & read_only)))
        new = Signal(32)
        m.d.comb += new.eq(Mux(is_rw, self.src,
                               Mux(is_rs, self.rdata | self.src, self.rdata & ~self.src)))
        do_write = self.commit & writes & ~read_only

        # counters: the written value replaces this cycle's increment
        m.d.sync += [mcycle.eq(mcycle + 1), minstret.eq(minstret + self.retire)]
        with m.If(do_write):
            with m.Switch(self.addr):
                with m.Case(MSTATUS):
                    m.d.sync += [mie_bit.eq(new[MSTATUS_MIE]), mpie.eq(new[MSTATUS_MPIE])]
                with m.Case(MIE):
                    m.d.sync += [msie.eq(new[3]), mtie.eq(new[MTIP]), meie.eq(new[11])]
                with m.Case(MTVEC):
                    m.d.sync += mtvec.eq(Cat(Const(0, 2), new[2:]))
                with m.Case(MSCRATCH):
                    m.d.sync += mscratch.eq(new)
                with m.Case(MEPC):
                    m.d.sync += mepc.eq(Cat(Const(0, 2), new[2:]))
                with m.Case(MCAUSE):
                    m.d.sync += mcause.eq(new)
                with m.Case(MTVAL):
                    m.d.sync += mtval.eq(new)
                with m.Case(MCYCLE):
                    m.d.sync += mcycle[:32].eq(new)
                with m.Case(MCYCLEH):
                    m.d.sync += mcycle[32:].eq(new)
                with m.Case(MINSTRET):
                    m.d.sync += minstret[:32].eq(new)
                with m.Case(MINSTRETH):
                    m.d.sync += minstret[32:].eq(new)

        with m.If(self.trap):
            m.d.sync += [
                mepc.eq(Cat(Const(0, 2), self.trap_pc[2:])),
                mcause.eq(self.cause),
                mtval.eq(self.tval),
                mpie.eq(mie_bit),
                mie_bit.eq(0),
            ]
        with m.Elif(self.mret):
            m.d.sync += [mie_bit.eq(mpie), mpie.eq(1)]
        return m
