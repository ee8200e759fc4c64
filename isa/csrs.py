"""The CSR table and the trap causes: beside the instruction table, as riscv-opcodes
keeps ``csrs.csv`` and ``causes.csv`` beside its encodings.

Every CSR the hart implements, with what a write may change and what it reads
after reset. A number not in the table is an illegal instruction; so is a write
to a read-only CSR (numbers ``0xC00``..``0xFFF``: bits 11..10 = 0b11). The ISS,
the HDL's CSR unit and the golden functions of ``isa.privileged`` take their
numbers, masks and reset values from here (docs/simulator.md, docs/hdl.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Csr:
    number: int
    name: str
    #: bits a CSR instruction can change (0 for read-only and computed CSRs)
    wmask: int = 0
    #: value after reset (for counters: their count at reset)
    reset: int = 0
    #: bits that always read 1 whatever was written
    fixed: int = 0
    #: how the value is formed: "reg" a register, "counter" a 64-bit counter half,
    #: "const" a constant (``reset``), "misa" from the ISA configuration,
    #: "mip" from the timer comparison, "time" from the CLINT's mtime
    source: str = "reg"

    @property
    def read_only(self) -> bool:
        return (self.number >> 10) == 0b11


# ---------------------------------------------------------------- field bits
MSTATUS_MIE = 1 << 3
MSTATUS_MPIE = 1 << 7
MSTATUS_MPP = 0b11 << 11          # machine mode only: MPP always reads 3
MIE_MSIE, MIE_MTIE, MIE_MEIE = 1 << 3, 1 << 7, 1 << 11
MIP_MTIP = 1 << 7
#: mtvec and mepc hold 4-byte-aligned addresses (no C extension; direct mode only)
ALIGN4 = 0xFFFF_FFFC
M32 = 0xFFFF_FFFF

MSTATUS, MISA, MIE, MTVEC = 0x300, 0x301, 0x304, 0x305
MSCRATCH, MEPC, MCAUSE, MTVAL, MIP = 0x340, 0x341, 0x342, 0x343, 0x344
MCYCLE, MINSTRET, MCYCLEH, MINSTRETH = 0xB00, 0xB02, 0xB80, 0xB82
CYCLE, TIME, INSTRET, CYCLEH, TIMEH, INSTRETH = 0xC00, 0xC01, 0xC02, 0xC80, 0xC81, 0xC82
MVENDORID, MARCHID, MIMPID, MHARTID = 0xF11, 0xF12, 0xF13, 0xF14

CSRS: tuple[Csr, ...] = (
    Csr(MSTATUS, "mstatus", wmask=MSTATUS_MIE | MSTATUS_MPIE, reset=MSTATUS_MPP, fixed=MSTATUS_MPP),
    Csr(MISA, "misa", source="misa"),          # WARL, writes ignored
    # MSIE and MEIE are writable as in QEMU's virt machine, though nothing raises them here
    Csr(MIE, "mie", wmask=MIE_MSIE | MIE_MTIE | MIE_MEIE),
    Csr(MTVEC, "mtvec", wmask=ALIGN4),
    Csr(MSCRATCH, "mscratch", wmask=M32),
    Csr(MEPC, "mepc", wmask=ALIGN4),
    Csr(MCAUSE, "mcause", wmask=M32),
    Csr(MTVAL, "mtval", wmask=M32),
    Csr(MIP, "mip", source="mip"),             # MTIP follows mtime >= mtimecmp
    Csr(MCYCLE, "mcycle", wmask=M32, source="counter"),
    Csr(MINSTRET, "minstret", wmask=M32, source="counter"),
    Csr(MCYCLEH, "mcycleh", wmask=M32, source="counter"),
    Csr(MINSTRETH, "minstreth", wmask=M32, source="counter"),
    Csr(CYCLE, "cycle", source="counter"),
    Csr(TIME, "time", source="time"),
    Csr(INSTRET, "instret", source="counter"),
    Csr(CYCLEH, "cycleh", source="counter"),
    Csr(TIMEH, "timeh", source="time"),
    Csr(INSTRETH, "instreth", source="counter"),
    Csr(MVENDORID, "mvendorid", source="const"),
    Csr(MARCHID, "marchid", source="const"),
    Csr(MIMPID, "mimpid", source="const"),
    Csr(MHARTID, "mhartid", source="const"),
)
BY_NUMBER: dict[int, Csr] = {c.number: c for c in CSRS}
BY_CSR_NAME: dict[str, Csr] = {c.name: c for c in CSRS}


# ---------------------------------------------------------------- trap causes
INTERRUPT = 1 << 31


@dataclass(frozen=True)
class Cause:
    code: int          # the mcause value (bit 31 set for interrupts)
    name: str
    tval: str          # what mtval holds


CAUSE_FETCH_MISALIGNED, CAUSE_FETCH_FAULT, CAUSE_ILLEGAL, CAUSE_BREAKPOINT = 0, 1, 2, 3
CAUSE_LOAD_MISALIGNED, CAUSE_LOAD_FAULT, CAUSE_STORE_MISALIGNED, CAUSE_STORE_FAULT = 4, 5, 6, 7
CAUSE_ECALL_M = 11
CAUSE_MTI = INTERRUPT | 7

CAUSES: tuple[Cause, ...] = (
    Cause(CAUSE_FETCH_MISALIGNED, "instruction address misaligned", "the jump or branch target"),
    Cause(CAUSE_FETCH_FAULT, "instruction access fault", "the pc"),
    Cause(CAUSE_ILLEGAL, "illegal instruction", "the instruction word"),
    Cause(CAUSE_BREAKPOINT, "breakpoint", "the pc of the ebreak (as Spike and Sail)"),
    Cause(CAUSE_LOAD_MISALIGNED, "load address misaligned", "the address"),
    Cause(CAUSE_LOAD_FAULT, "load access fault", "the address"),
    Cause(CAUSE_STORE_MISALIGNED, "store/AMO address misaligned", "the address"),
    Cause(CAUSE_STORE_FAULT, "store/AMO access fault", "the address"),
    Cause(CAUSE_ECALL_M, "environment call from M-mode", "0"),
    Cause(CAUSE_MTI, "machine timer interrupt", "0"),
)
CAUSE_NAMES: dict[int, str] = {c.code: c.name for c in CAUSES}
