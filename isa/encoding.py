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


def _fits(name: str, value: int) -> int:
    """``value`` if it fits operand field ``name``, else ValueError."""
    hi, lo = FIELDS[name]
    width = hi - lo + 1
    if not 0 <= value < (1 << width):
        raise ValueError(f"{name}={value} does not fit in {width} bits")
    return value


def _put(word: int, name: str, value: int) -> int:
    return word | _fits(name, value) << FIELDS[name][1]


def _check_signed(value: int, width: int, what: str) -> int:
    if not -(1 << (width - 1)) <= value < (1 << (width - 1)):
        raise ValueError(f"{what} {value} out of range for {width}-bit signed field")
    return value & ((1 << width) - 1)


def _place(fmt: str, value: int) -> int:
    """The word bits that hold immediate ``value`` of ``fmt`` (``immediate`` inverted)."""
    w = 0
    for hi, lo, at in IMM_LAYOUT.get(fmt, ((), False))[0]:
        w |= bits(value, at + hi - lo, at) << lo
    return w


#: What the signed immediates are called in encode()'s errors.
_SIGNED_WHAT = {"I": "immediate", "L": "immediate", "Ijalr": "immediate", "S": "offset",
                "B": "branch offset", "J": "jump offset"}
#: The operand field that holds the other formats' immediates.
_IMM_FIELD = {"Ishift": "shamtw", "Rbs": "bs", "R4": "rs3", "Rrot": "rotimm", "csr": "csr", "csri": "csr"}


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
    if fmt in _SIGNED_WHAT:
        what = _SIGNED_WHAT[fmt]
        if fmt in ("B", "J") and imm & 1:
            raise ValueError(f"{what} {imm} is odd")
        imm = _check_signed(imm, imm_width(fmt), what)
    elif fmt == "U":
        if imm & 0xFFF or not 0 <= imm <= MASK32:
            raise ValueError(f"upper immediate {imm:#x} must be a 32-bit multiple of 0x1000")
    elif fmt in _IMM_FIELD:
        _fits(_IMM_FIELD[fmt], imm)
    elif fmt == "fence":
        _check_unsigned(imm, imm_width(fmt))
    return w | _place(fmt, imm)


def _check_unsigned(value: int, width: int) -> int:
    if not 0 <= value < (1 << width):
        raise ValueError(f"{value} does not fit in {width} bits")
    return value
