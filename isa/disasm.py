"""Disassembler derived from the table; its text matches GNU objdump's
``-M no-aliases`` output (ABI register names, objdump's number formats).

Branch and jump targets are printed as objdump prints them without symbols:
the absolute target in bare hex.
"""

from __future__ import annotations

from .config import IsaConfig
from .encoding import MASK32, Decoded, decode

ABI_NAMES = (
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1",
    "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
    "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
    "t3", "t4", "t5", "t6",
)

#: Names of the CSRs this core implements (objdump prints others in hex).
CSR_NAMES: dict[int, str] = {
    0x300: "mstatus", 0x301: "misa", 0x304: "mie", 0x305: "mtvec",
    0x340: "mscratch", 0x341: "mepc", 0x342: "mcause", 0x343: "mtval", 0x344: "mip",
    0xB00: "mcycle", 0xB02: "minstret", 0xB80: "mcycleh", 0xB82: "minstreth",
    0xC00: "cycle", 0xC01: "time", 0xC02: "instret",
    0xC80: "cycleh", 0xC81: "timeh", 0xC82: "instreth",
    0xF11: "mvendorid", 0xF12: "marchid", 0xF13: "mimpid", 0xF14: "mhartid",
}

_FENCE_TSO = 0x8330000F


def reg(n: int) -> str:
    return ABI_NAMES[n]


def csr_name(n: int) -> str:
    return CSR_NAMES.get(n, hex(n))


def _fence_set(bits4: int) -> str:
    s = "".join(c for c, b in zip("iorw", (8, 4, 2, 1), strict=True) if bits4 & b)
    return s or "unknown"


def format_operands(d: Decoded, pc: int = 0) -> str:
    fmt = d.insn.fmt
    rd, rs1, rs2, imm = reg(d.rd), reg(d.rs1), reg(d.rs2), d.imm
    if fmt == "R":
        return f"{rd},{rs1},{rs2}"
    if fmt == "Rbs":
        return f"{rd},{rs1},{rs2},{hex(imm)}"
    if fmt == "R4":  # Xchain (docs/xchain.md): rs3 last, as for fmadd
        return f"{rd},{rs1},{rs2},{reg(imm)}"
    if fmt == "Rrot":  # Xchain: the rotate amount in decimal
        return f"{rd},{rs1},{rs2},{imm}"
    if fmt == "I":
        return f"{rd},{rs1},{imm}"
    if fmt == "Ishift":
        return f"{rd},{rs1},{hex(imm)}"
    if fmt == "unary":
        return f"{rd},{rs1}"
    if fmt in ("L", "Ijalr"):
        return f"{rd},{imm}({rs1})"
    if fmt == "S":
        return f"{rs2},{imm}({rs1})"
    if fmt == "B":
        return f"{rs1},{rs2},{(pc + imm) & MASK32:x}"
    if fmt == "J":
        return f"{rd},{(pc + imm) & MASK32:x}"
    if fmt == "U":
        return f"{rd},{hex(imm >> 12)}"
    if fmt == "csr":
        return f"{rd},{csr_name(imm)},{rs1}"
    if fmt == "csri":
        return f"{rd},{csr_name(imm)},{d.rs1}"
    if fmt == "fence":
        return f"{_fence_set(imm >> 4 & 0xF)},{_fence_set(imm & 0xF)}"
    return ""


def disassemble(word: int, pc: int = 0, config: IsaConfig | None = None) -> str:
    """objdump-style text of one instruction (``.4byte 0x...`` when illegal)."""
    word &= MASK32
    d = decode(word, config)
    if d is None:
        return f".4byte\t{word:#x}"
    if word == _FENCE_TSO:
        return "fence.tso"
    ops = format_operands(d, pc)
    return f"{d.name}\t{ops}" if ops else d.name
