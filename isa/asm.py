"""A small two-pass assembler over the table, for tests and generated programs.

GNU-like syntax: one statement per line, ``label:``, ``#`` comments, ABI or
``xN`` register names, ``off(reg)`` memory operands, branch/jump targets as
labels or ``.+N``/``.-N``, CSRs by name or number. Directives: ``.word``,
``.space``, ``.align`` (power of two). Pseudo-instructions: ``nop``, ``li``,
``la``, ``mv``, ``j``, ``ret``, ``csrr``, ``csrw``.
"""

from __future__ import annotations

import re
import struct

from .disasm import ABI_NAMES, CSR_NAMES
from .encoding import MASK32, encode, sext
from .table import BY_NAME

_REGS = {name: i for i, name in enumerate(ABI_NAMES)} | {f"x{i}": i for i in range(32)} | {"fp": 8}
_CSRS = {v: k for k, v in CSR_NAMES.items()}
_MEM = re.compile(r"^(.*)\((\w+)\)$")


class AsmError(ValueError):
    pass


def _reg(tok: str) -> int:
    try:
        return _REGS[tok.strip()]
    except KeyError:
        raise AsmError(f"not a register: '{tok}'") from None


def _int(tok: str) -> int:
    try:
        return int(tok.strip(), 0)
    except ValueError:
        raise AsmError(f"not a number: '{tok}'") from None


def _csr(tok: str) -> int:
    tok = tok.strip()
    return _CSRS[tok] if tok in _CSRS else _int(tok)


def _fence_bits(tok: str) -> int:
    return sum(b for c, b in zip("iorw", (8, 4, 2, 1), strict=True) if c in tok)


def _li_words(value: int) -> list[tuple[str, int]]:
    """``li`` as (op, imm) pairs: addi alone when it fits, else lui+addi."""
    value &= MASK32
    if -2048 <= sext(value, 32) < 2048:
        return [("addi", sext(value, 32))]
    lo = sext(value & 0xFFF, 12)
    hi = (value - lo) & MASK32
    return [("lui", hi), ("addi", lo)]


class Assembler:
    def __init__(self, base: int = 0x80000000) -> None:
        self.base = base

    def _statements(self, text: str):
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            while line:
                m = re.match(r"^([A-Za-z_.$][\w.$]*):\s*(.*)$", line)
                if not m:
                    break
                yield lineno, m.group(1), None, []
                line = m.group(2)
            if line:
                parts = line.split(None, 1)
                ops = [o.strip() for o in parts[1].split(",")] if len(parts) > 1 else []
                yield lineno, None, parts[0].lower(), ops

    def _size(self, mnem: str, ops: list[str], pc: int) -> int:
        if mnem == ".word":
            return 4 * len(ops)
        if mnem == ".space":
            return _int(ops[0])
        if mnem == ".align":
            a = 1 << _int(ops[0])
            return (-pc) % a
        if mnem == "li":
            return 4 * len(_li_words(_int(ops[1])))
        if mnem == "la":
            return 8
        return 4

    def assemble(self, text: str) -> bytes:
        stmts = list(self._statements(text))
        labels: dict[str, int] = {}
        pc = self.base
        for lineno, label, mnem, ops in stmts:
            if label is not None:
                if label in labels:
                    raise AsmError(f"line {lineno}: label '{label}' defined twice")
                labels[label] = pc
            else:
                pc += self._size(mnem, ops, pc)
        out = bytearray()
        pc = self.base
        for lineno, label, mnem, ops in stmts:
            if label is not None:
                continue
            try:
                chunk = self._emit(mnem, ops, pc, labels)
            except (AsmError, ValueError, IndexError) as e:
                raise AsmError(f"line {lineno}: {mnem} {', '.join(ops)}: {e}") from None
            out += chunk
            pc += len(chunk)
        return bytes(out)

    def _target(self, tok: str, pc: int, labels: dict[str, int]) -> int:
        tok = tok.strip()
        if tok in labels:
            return labels[tok] - pc
        m = re.fullmatch(r"\.\s*([+-])\s*(\w+)", tok)
        if m:
            return _int(m.group(2)) * (1 if m.group(1) == "+" else -1)
        if tok == ".":
            return 0
        raise AsmError(f"unknown label '{tok}'")

    def _emit(self, mnem: str, ops: list[str], pc: int, labels: dict[str, int]) -> bytes:
        words: list[int]
        if mnem == ".word":
            return b"".join(struct.pack("<I", _int(o) & MASK32) for o in ops)
        if mnem in (".space", ".align"):
            return bytes(self._size(mnem, ops, pc))
        if mnem == "nop":
            words = [encode("addi")]
        elif mnem == "li":
            rd = _reg(ops[0])
            words = []
            for op, imm in _li_words(_int(ops[1])):
                words.append(encode(op, rd=rd, rs1=rd if words else 0, imm=imm))
        elif mnem == "la":
            rd = _reg(ops[0])
            off = self._target(ops[1], pc, labels)
            lo = sext(off & 0xFFF, 12)
            words = [encode("auipc", rd=rd, imm=(off - lo) & MASK32),
                     encode("addi", rd=rd, rs1=rd, imm=lo)]
        elif mnem == "mv":
            words = [encode("addi", rd=_reg(ops[0]), rs1=_reg(ops[1]))]
        elif mnem == "j":
            words = [encode("jal", imm=self._target(ops[0], pc, labels))]
        elif mnem == "ret":
            words = [encode("jalr", rs1=1)]
        elif mnem == "csrr":
            words = [encode("csrrs", rd=_reg(ops[0]), imm=_csr(ops[1]))]
        elif mnem == "csrw":
            words = [encode("csrrw", rs1=_reg(ops[1]), imm=_csr(ops[0]))]
        else:
            words = [self._real(mnem, ops, pc, labels)]
        return b"".join(struct.pack("<I", w) for w in words)

    def _real(self, mnem: str, ops: list[str], pc: int, labels: dict[str, int]) -> int:
        if mnem == "fence.tso":
            return encode("fence", imm=0x833)
        insn = BY_NAME.get(mnem)
        if insn is None:
            raise AsmError(f"unknown instruction '{mnem}'")
        fmt = insn.fmt
        if fmt in ("R",):
            return encode(mnem, rd=_reg(ops[0]), rs1=_reg(ops[1]), rs2=_reg(ops[2]))
        if fmt == "Rbs":
            return encode(mnem, rd=_reg(ops[0]), rs1=_reg(ops[1]), rs2=_reg(ops[2]), imm=_int(ops[3]))
        if fmt == "R4":
            return encode(mnem, rd=_reg(ops[0]), rs1=_reg(ops[1]), rs2=_reg(ops[2]), imm=_reg(ops[3]))
        if fmt == "Rrot":
            return encode(mnem, rd=_reg(ops[0]), rs1=_reg(ops[1]), rs2=_reg(ops[2]), imm=_int(ops[3]))
        if fmt in ("I", "Ishift"):
            return encode(mnem, rd=_reg(ops[0]), rs1=_reg(ops[1]), imm=_int(ops[2]))
        if fmt == "unary":
            return encode(mnem, rd=_reg(ops[0]), rs1=_reg(ops[1]))
        if fmt in ("L", "Ijalr"):
            if len(ops) == 1 and fmt == "Ijalr":  # jalr rs1
                return encode(mnem, rd=1, rs1=_reg(ops[0]))
            m = _MEM.match(ops[1])
            if not m:
                raise AsmError("expected off(reg)")
            return encode(mnem, rd=_reg(ops[0]), rs1=_reg(m.group(2)), imm=_int(m.group(1) or "0"))
        if fmt == "S":
            m = _MEM.match(ops[1])
            if not m:
                raise AsmError("expected off(reg)")
            return encode(mnem, rs2=_reg(ops[0]), rs1=_reg(m.group(2)), imm=_int(m.group(1) or "0"))
        if fmt == "B":
            return encode(mnem, rs1=_reg(ops[0]), rs2=_reg(ops[1]), imm=self._target(ops[2], pc, labels))
        if fmt == "J":
            if len(ops) == 1:
                return encode(mnem, rd=1, imm=self._target(ops[0], pc, labels))
            return encode(mnem, rd=_reg(ops[0]), imm=self._target(ops[1], pc, labels))
        if fmt == "U":
            return encode(mnem, rd=_reg(ops[0]), imm=(_int(ops[1]) << 12) & MASK32)
        if fmt == "csr":
            return encode(mnem, rd=_reg(ops[0]), imm=_csr(ops[1]), rs1=_reg(ops[2]))
        if fmt == "csri":
            return encode(mnem, rd=_reg(ops[0]), imm=_csr(ops[1]), rs1=_int(ops[2]))
        if fmt == "fence":
            if not ops:
                return encode(mnem, imm=0x0FF)
            return encode(mnem, imm=_fence_bits(ops[0]) << 4 | _fence_bits(ops[1]))
        if fmt == "none":
            return encode(mnem)
        raise AsmError(f"cannot assemble format {fmt}")


def assemble(text: str, base: int = 0x80000000) -> bytes:
    """Assemble ``text`` placed at ``base``; returns little-endian code bytes."""
    return Assembler(base).assemble(text)
