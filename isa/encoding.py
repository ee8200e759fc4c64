"""Decoder and encoder derived from the table.

A decoded instruction is five numbers, the same the ISS pre-decodes into
arrays and the HDL decoder produces: ``op`` (index in the table), ``rd``,
``rs1``, ``rs2`` and ``imm``. ``imm`` holds, by format:

========  =====================================================
I, L, S,  the sign-extended immediate (a Python int, may be < 0)
B, J
U         ``imm20 << 12`` as an unsigned 32-bit value
Ishift    the shift amount; Rbs: the byte select ``bs``
csr/csri  the CSR number (csri: ``rs1`` holds the 5-bit ``zimm``)
fence     ``fm << 8 | pred << 4 | succ``
R4        the register NUMBER of the third source ``rs3`` (bits 31..27);
          the value x[rs3] is the third argument of kind ``alu3``
Rrot      the 5-bit rotate amount (bits 31..27)
========  =====================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import IsaConfig
from .table import BY_NAME, FIELDS, INSNS, Insn

MASK32 = 0xFFFFFFFF


def bits(word: int, hi: int, lo: int) -> int:
    return (word >> lo) & ((1 << (hi - lo + 1)) - 1)


def sext(value: int, width: int) -> int:
    sign = 1 << (width - 1)
    return (value & (2 * sign - 1) ^ sign) - sign


@dataclass(frozen=True)
class Decoded:
    insn: Insn
    rd: int = 0
    rs1: int = 0
    rs2: int = 0
    imm: int = 0
    word: int = 0

    @property
    def name(self) -> str:
        return self.insn.name

    @property
    def op(self) -> int:
        return self.insn.op


#: Where each format's ``imm`` comes from, as the HDL decoder and the ISS's pre-decoder
#: read it too: pieces ``(hi, lo, at)`` (word bits hi..lo become imm bits ``at`` and
#: up) and whether ``imm`` is sign-extended from its top bit. Formats not listed have
#: no immediate (``imm`` = 0).
IMM_LAYOUT: dict[str, tuple[tuple[tuple[int, int, int], ...], bool]] = {
    "I": (((31, 20, 0),), True),
    "L": (((31, 20, 0),), True),
    "Ijalr": (((31, 20, 0),), True),
    "S": (((31, 25, 5), (11, 7, 0)), True),
    "B": (((31, 31, 12), (7, 7, 11), (30, 25, 5), (11, 8, 1)), True),
    "J": (((31, 31, 20), (19, 12, 12), (20, 20, 11), (30, 21, 1)), True),
    "U": (((31, 12, 12),), False),
    "Ishift": (((24, 20, 0),), False),
    "Rbs": (((31, 30, 0),), False),
    "R4": (((31, 27, 0),), False),
    "Rrot": (((31, 27, 0),), False),
    "csr": (((31, 20, 0),), False),
    "csri": (((31, 20, 0),), False),
    "fence": (((31, 20, 0),), False),
}


def imm_width(fmt: str) -> int:
    """Bits of ``fmt``'s immediate before any sign extension (0: none)."""
    return max((at + hi - lo + 1 for hi, lo, at in IMM_LAYOUT.get(fmt, ((), False))[0]), default=0)


def immediate(insn: Insn, word: int) -> int:
    """The ``imm`` value of ``word`` as described in the module docstring."""
    pieces, signed = IMM_LAYOUT.get(insn.fmt, ((), False))
    v = 0
    for hi, lo, at in pieces:
        v |= bits(word, hi, lo) << at
    return sext(v, imm_width(insn.fmt)) if signed else v


def _operand_regs(insn: Insn, word: int) -> tuple[int, int, int]:
    rd = bits(word, 11, 7) if "rd" in insn.args else 0
    rs1 = bits(word, 19, 15) if ("rs1" in insn.args or "zimm" in insn.args) else 0
    rs2 = bits(word, 24, 20) if "rs2" in insn.args else 0
    return rd, rs1, rs2


# Dispatch by the 7-bit major opcode: each bucket is short.
_BY_OPCODE: dict[int, list[Insn]] = {}
for _i in INSNS:
    _BY_OPCODE.setdefault(_i.match & 0x7F, []).append(_i)


def lookup(word: int, config: IsaConfig | None = None) -> Insn | None:
    """The table row that ``word`` encodes, or None if it is illegal."""
    for insn in _BY_OPCODE.get(word & 0x7F, ()):
        if (word & insn.mask) == insn.match:
            if config is not None and insn.ext not in config:
                return None
            return insn
    return None


def decode(word: int, config: IsaConfig | None = None) -> Decoded | None:
    """Decode a 32-bit word; None when illegal under ``config``."""
    word &= MASK32
    insn = lookup(word, config)
    if insn is None:
        return None
    rd, rs1, rs2 = _operand_regs(insn, word)
    return Decoded(insn, rd, rs1, rs2, immediate(insn, word), word)


def _put(word: int, name: str, value: int) -> int:
    hi, lo = FIELDS[name]
    width = hi - lo + 1
    if not 0 <= value < (1 << width):
        raise ValueError(f"{name}={value} does not fit in {width} bits")
    return word | value << lo


def _check_signed(value: int, width: int, what: str) -> int:
    if not -(1 << (width - 1)) <= value < (1 << (width - 1)):
        raise ValueError(f"{what} {value} out of range for {width}-bit signed field")
    return value & ((1 << width) - 1)


def encode(name: str, rd: int = 0, rs1: int = 0, rs2: int = 0, imm: int = 0) -> int:
    """Encode one instruction; operands as in :class:`Decoded`."""
    try:
        insn = BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown instruction '{name}'") from None
    w = insn.match
    args = insn.args
    if "rd" in args:
        w = _put(w, "rd", rd)
    if "rs1" in args:
        w = _put(w, "rs1", rs1)
    if "zimm" in args:
        w = _put(w, "zimm", rs1)
    if "rs2" in args:
        w = _put(w, "rs2", rs2)
    fmt = insn.fmt
    if fmt in ("I", "L", "Ijalr"):
        w |= _check_signed(imm, 12, "immediate") << 20
    elif fmt == "S":
        v = _check_signed(imm, 12, "offset")
        w |= (v >> 5) << 25 | (v & 0x1F) << 7
    elif fmt == "B":
        if imm & 1:
            raise ValueError(f"branch offset {imm} is odd")
        v = _check_signed(imm, 13, "branch offset")
        w |= (bits(v, 12, 12) << 31 | bits(v, 10, 5) << 25
              | bits(v, 4, 1) << 8 | bits(v, 11, 11) << 7)
    elif fmt == "J":
        if imm & 1:
            raise ValueError(f"jump offset {imm} is odd")
        v = _check_signed(imm, 21, "jump offset")
        w |= (bits(v, 20, 20) << 31 | bits(v, 10, 1) << 21
              | bits(v, 11, 11) << 20 | bits(v, 19, 12) << 12)
    elif fmt == "U":
        if imm & 0xFFF or not 0 <= imm <= MASK32:
            raise ValueError(f"upper immediate {imm:#x} must be a 32-bit multiple of 0x1000")
        w |= imm
    elif fmt == "Ishift":
        w = _put(w, "shamtw", imm)
    elif fmt == "Rbs":
        w = _put(w, "bs", imm)
    elif fmt == "R4":
        w = _put(w, "rs3", imm)
    elif fmt == "Rrot":
        w = _put(w, "rotimm", imm)
    elif fmt in ("csr", "csri"):
        w = _put(w, "csr", imm)
    elif fmt == "fence":
        w |= _check_unsigned(imm, 12) << 20
    return w


def _check_unsigned(value: int, width: int) -> int:
    if not 0 <= value < (1 << width):
        raise ValueError(f"{value} does not fit in {width} bits")
    return value
