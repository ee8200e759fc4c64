"""The pre-decoder: an instruction word into the packed int64 that the loop dispatches on.

Beside RAM, one int64 per word holds its decoded instruction, made the first time
the word executes (docs/simulator.md)::

    op | rd << 8 | rs1 << 14 | rs2 << 19 | rs3 << 24 | DECODED | READS_RS3 | imm << 32

``op`` is the table row (``ILLEGAL`` for a word of no row, or of a row whose
extension is switched off); ``rs1``/``rs2`` name exactly the registers the
instruction reads (0 when its format has no such operand); ``rd`` = x0 becomes
``state.RD_SINK``, a register that is never read, so writes need no test for x0;
``imm`` is ``isa.encoding``'s, as a signed 32-bit value, except that a ``csrr*i``
keeps its ``zimm`` in bits 12..16 above the CSR number. The rs3 field holds the third
source register of an R4 row or, for the ALU rows that share one dispatch branch
(``ALU_GROUP``), which of them it is.

The decoder reads the table's mask/match values, operand fields and immediate
layouts from lookup arrays made here at import, which Numba compiles in as constants.
"""

from __future__ import annotations

import numpy as np

from isa import semantics
from isa.encoding import IMM_LAYOUT, imm_width
from isa.table import FIELDS, INSNS, Insn

from . import state as S
from .jitcache import njit_cached

#: Op of an illegal word (one past the table).
ILLEGAL = len(INSNS)
assert ILLEGAL < S.FSTART  # (the op is bits 0..6: bit 7 is state.FSTART)

#: The RV32I register and immediate ALU rows that share one dispatch branch, so that
#: they are one target of the dispatch's indirect jump (a mix of them is then predicted
#: as well as a single op). The branch computes every result with the register form's
#: golden function and picks one by the selector in the rs3 field: the index here,
#: plus ``ALU_IMM`` for an immediate form (whose operand is imm instead of x[rs2]).
ALU_GROUP = ("add", "xor", "or", "and", "sll", "srl")
ALU_IMM = 16
_ALU_TWIN = {"addi": "add", "xori": "xor", "ori": "or", "andi": "and", "slli": "sll", "srli": "srl"}

#: Where each field sits in the packed word (op in bits 0..7).
RD_AT, RS1_AT, RS2_AT, RS3_AT, IMM_AT = 8, 14, 19, 24, 32
#: Where a csrr*i keeps its zimm in imm (above the 12-bit CSR number).
ZIMM_AT = 12

_NO_VALUE_KINDS = ("load", "store", "branch", "csr", "system", "fence", "fencei", "jal", "jalr")


def dispatched() -> list[Insn]:
    """Table rows the loop executes: all of them once their semantics exist (a row
    whose golden function is not written yet decodes as illegal)."""
    return [i for i in INSNS if i.kind in _NO_VALUE_KINDS or i.name in semantics.SEMANTICS]


def alu_selector(insn: Insn) -> int:
    """The rs3-field selector of a row of the ALU group; -1 for any other row."""
    name = _ALU_TWIN.get(insn.name, insn.name)
    if name not in ALU_GROUP or "rs3" in insn.args:
        return -1
    return ALU_GROUP.index(name) | (0 if "rs2" in insn.args else ALU_IMM)


# Operand fields a row has (bits of _FIELDS).
_RD, _RS1, _RS2, _RS3, _ZIMM = 1, 2, 4, 8, 16
_ARG_BITS = {"rd": _RD, "rs1": _RS1, "rs2": _RS2, "rs3": _RS3, "zimm": _ZIMM}
_MAX_PIECES = max(len(pieces) for pieces, _ in IMM_LAYOUT.values())


def _tables() -> tuple[np.ndarray, ...]:
    rows = dispatched()
    by_opcode = sorted(rows, key=lambda i: i.match & 0x7F)  # stable: table order within an opcode
    first = np.searchsorted([i.match & 0x7F for i in by_opcode], np.arange(129)).astype(np.int64)
    order = np.array([i.op for i in by_opcode], np.int64)
    mask, match = np.zeros(ILLEGAL, np.int64), np.zeros(ILLEGAL, np.int64)
    fields, selector = np.zeros(ILLEGAL, np.int64), np.zeros(ILLEGAL, np.int64)
    pieces = np.zeros((ILLEGAL, _MAX_PIECES, 3), np.int64)
    npieces, sign = np.zeros(ILLEGAL, np.int64), np.zeros(ILLEGAL, np.int64)
    for i in rows:
        mask[i.op], match[i.op] = i.mask, i.match
        fields[i.op] = sum(_ARG_BITS.get(a, 0) for a in i.operands)
        selector[i.op] = alu_selector(i)
        layout, signed = IMM_LAYOUT.get(i.fmt, ((), False))
        npieces[i.op] = len(layout)
        if layout:
            pieces[i.op, : len(layout)] = layout
        sign[i.op] = imm_width(i.fmt) if signed else 0
    return first, order, mask, match, fields, selector, pieces, npieces, sign


_FIRST, _ORDER, _MASK, _MATCH, _FIELDS, _SELECTOR, _PIECES, _NPIECES, _SIGN = _tables()
_RD_LO, _RS1_LO, _RS2_LO = FIELDS["rd"][1], FIELDS["rs1"][1], FIELDS["rs2"][1]
_RS3_LO, _ZIMM_LO = FIELDS["rs3"][1], FIELDS["zimm"][1]


@njit_cached
def _sext(v, width):
    s = 1 << (width - 1)
    return ((v & (2 * s - 1)) ^ s) - s


@njit_cached
def _immediate(op, w):
    imm = 0
    for k in range(_NPIECES[op]):
        hi, lo, at = _PIECES[op, k, 0], _PIECES[op, k, 1], _PIECES[op, k, 2]
        imm |= ((w >> lo) & ((1 << (hi - lo + 1)) - 1)) << at
    if _SIGN[op]:
        imm = _sext(imm, _SIGN[op])
    if _FIELDS[op] & _ZIMM:
        imm |= ((w >> _ZIMM_LO) & 31) << ZIMM_AT
    return _sext(imm, 32)


@njit_cached
def decode_into(i, w, dec, enabled):
    """Decode ``w``, the word at index ``i`` of RAM, into ``dec[i]``; returns the packed
    word. ``enabled[op]`` is 0 for rows of extensions that are switched off."""
    w = np.int64(w) & 0xFFFFFFFF
    op = ILLEGAL
    opcode = w & 0x7F
    for k in range(_FIRST[opcode], _FIRST[opcode + 1]):
        row = _ORDER[k]
        if (w & _MASK[row]) == _MATCH[row]:
            op = row
            break
    if op == ILLEGAL or enabled[op] == 0:
        d = ILLEGAL | (S.RD_SINK << RD_AT) | S.DECODED
    else:
        fields = _FIELDS[op]
        rd = (w >> _RD_LO) & 31 if fields & _RD else 0
        if fields & _RD and rd == 0:
            rd = S.RD_SINK
        rs1 = (w >> _RS1_LO) & 31 if fields & _RS1 else 0
        rs2 = (w >> _RS2_LO) & 31 if fields & _RS2 else 0
        rs3 = (w >> _RS3_LO) & 31 if fields & _RS3 else 0
        if _SELECTOR[op] >= 0:
            rs3 = _SELECTOR[op]
        d = op | (rd << RD_AT) | (rs1 << RS1_AT) | (rs2 << RS2_AT) | (rs3 << RS3_AT) | S.DECODED
        if fields & _RS3:
            d |= S.READS_RS3
        d |= _immediate(op, w) << IMM_AT
    dec[i] = d
    return d


@njit_cached
def decode_word(w, enabled):
    """One word through the decoder, unpacked: op, rd, rs1, rs2, imm (for tests)."""
    dec = np.zeros(1, np.int64)
    d = decode_into(0, w, dec, enabled)
    return d & 0xFF, (d >> RD_AT) & 63, (d >> RS1_AT) & 31, (d >> RS2_AT) & 31, d >> IMM_AT
