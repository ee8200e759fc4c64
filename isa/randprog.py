"""Seeded random test programs for differential testing (ISS vs QEMU vs RTL).

A program is a sequence of blocks. Each block seeds x1..x31 with random and
edge values, runs random instructions of the given ISA configuration, then
stores every register to a dump area and prints the scratch area and the dump
as hex words on the UART. The program ends through the finisher (exit 0).

Loads and stores use ``gp`` (x3, never a destination) as the base of a RAM
scratch area with aligned offsets; branches and jumps only go forward (no
loops); M edge cases (division by zero, INT_MIN / -1) are generated on
purpose; CSR instructions touch ``mscratch`` and read ``mhartid`` only
(counters differ from QEMU by design).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .asm import assemble
from .config import IsaConfig
from .elfwriter import make_elf
from .encoding import encode, sext
from .table import INSNS, Insn

BASE = 0x8000_0000
SCRATCH = 0x8008_0000
SCRATCH_BYTES = 256
DUMP = SCRATCH + SCRATCH_BYTES
GP = 3
EDGE = (0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0x80000001, 31, 32, 0xFF, 0x8000)

_SKIP_KINDS = ("system",)
_CSR_SAFE = (0x340,)          # mscratch: read/write, no side effects
_CSR_READ_ONLY = (0xF14,)     # mhartid


@dataclass
class Program:
    code: bytes
    scratch: bytes
    seed: int

    def elf(self) -> bytes:
        return make_elf([(BASE, self.code), (SCRATCH, self.scratch)], BASE)


def li(rd: int, value: int) -> list[int]:
    """lui + addi loading a 32-bit value."""
    value &= 0xFFFFFFFF
    lo = sext(value & 0xFFF, 12)
    hi = ((value - lo) >> 12) & 0xFFFFF
    return [encode("lui", rd=rd, imm=hi << 12), encode("addi", rd=rd, rs1=rd, imm=lo)]


class _Gen:
    def __init__(self, rng: random.Random, config: IsaConfig) -> None:
        self.rng = rng
        self.insns = [i for i in INSNS if i.ext in config and i.kind not in _SKIP_KINDS]
        self.words: list[int] = []

    def value(self) -> int:
        r = self.rng
        return r.choice(EDGE) if r.random() < 0.3 else r.getrandbits(32)

    def rd(self) -> int:
        r = self.rng.randrange(0, 32)
        return r if r != GP else 0

    def src(self) -> int:
        return self.rng.randrange(0, 32)

    def filler(self) -> int:
        return encode("addi", rd=self.rd(), rs1=self.src(), imm=self.rng.randrange(-2048, 2048))

    def emit_insn(self, insn: Insn) -> None:
        r, w = self.rng, self.words
        name, fmt, kind = insn.name, insn.fmt, insn.kind
        if kind == "load":
            width = {"lb": 1, "lbu": 1, "lh": 2, "lhu": 2, "lw": 4}[name]
            w.append(encode(name, rd=self.rd(), rs1=GP, imm=r.randrange(0, SCRATCH_BYTES, width)))
        elif kind == "store":
            width = {"sb": 1, "sh": 2, "sw": 4}[name]
            w.append(encode(name, rs1=GP, rs2=self.src(), imm=r.randrange(0, SCRATCH_BYTES, width)))
        elif kind == "branch":
            skip = r.randrange(0, 4)
            w.append(encode(name, rs1=self.src(), rs2=self.src(), imm=4 * (skip + 1)))
            w.extend(self.filler() for _ in range(skip))
        elif kind == "jal":
            skip = r.randrange(0, 4)
            w.append(encode("jal", rd=self.rd(), imm=4 * (skip + 1)))
            w.extend(self.filler() for _ in range(skip))
        elif kind == "jalr":
            tmp = self.rd() or 5
            skip = r.randrange(0, 4)
            w.append(encode("auipc", rd=tmp, imm=0))
            # the target is 8 + 4*skip bytes after the auipc: skip instructions after jalr
            w.append(encode("jalr", rd=self.rd(), rs1=tmp, imm=8 + 4 * skip))
            w.extend(self.filler() for _ in range(skip))
        elif kind == "div" and r.random() < 0.4:
            a, b = self.rd() or 6, self.rd() or 7
            if r.random() < 0.5:
                w += li(a, 0x80000000) + li(b, 0xFFFFFFFF)   # overflow
            else:
                w += li(a, self.value()) + [encode("addi", rd=b, rs1=0, imm=0)]  # by zero
            w.append(encode(name, rd=self.rd(), rs1=a, rs2=b))
        elif kind == "csr":
            imm_form = name.endswith("i")
            csr = r.choice(_CSR_SAFE + _CSR_READ_ONLY)
            if csr in _CSR_READ_ONLY:   # reads only: csrrs/csrrc with x0 / zimm 0
                if name in ("csrrw", "csrrwi"):
                    name = "csrrs"
                w.append(encode(name, rd=self.rd(), rs1=0, imm=csr))
            else:
                src = r.randrange(0, 32)
                w.append(encode(name, rd=self.rd(), rs1=src if imm_form else src, imm=csr))
        elif kind == "fence":
            w.append(encode("fence", imm=0x0FF))
        elif fmt == "U":
            w.append(encode(name, rd=self.rd(), imm=r.getrandbits(20) << 12))
        elif fmt in ("I",):
            w.append(encode(name, rd=self.rd(), rs1=self.src(), imm=r.randrange(-2048, 2048)))
        elif fmt == "Ishift":
            w.append(encode(name, rd=self.rd(), rs1=self.src(), imm=r.randrange(0, 32)))
        elif fmt == "Rbs":
            w.append(encode(name, rd=self.rd(), rs1=self.src(), rs2=self.src(), imm=r.randrange(0, 4)))
        else:  # R, unary
            w.append(encode(name, rd=self.rd(), rs1=self.src(), rs2=self.src()))

    def block(self, length: int) -> None:
        for reg in range(1, 32):
            if reg != GP:
                self.words += li(reg, self.value())
        # every enabled instruction in shuffled order, then random extra ones
        order = list(self.insns)
        self.rng.shuffle(order)
        order += [self.rng.choice(self.insns) for _ in range(max(0, length - len(order)))]
        for insn in order[:max(length, len(self.insns))]:
            self.emit_insn(insn)
        self.words += [encode("sw", rs1=GP, rs2=reg, imm=SCRATCH_BYTES + 4 * reg) for reg in range(1, 32)]
        self.words += _words(assemble(_PRINT, base=BASE + 4 * len(self.words)))


_PRINT = f"""
    li t0, {SCRATCH}
    li t1, {DUMP + 32 * 4}
    li t2, 0x10000000
word:
    lw a0, 0(t0)
    li a1, 8
digit:
    srli a2, a0, 28
    li a3, 10
    blt a2, a3, num
    addi a2, a2, 87
    j out
num:
    addi a2, a2, 48
out:
    sb a2, 0(t2)
    slli a0, a0, 4
    addi a1, a1, -1
    bne a1, zero, digit
    li a4, 10
    sb a4, 0(t2)
    addi t0, t0, 4
    bltu t0, t1, word
    li gp, {SCRATCH}
"""

_EXIT = """
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
1:  j 1b
"""


def _words(code: bytes) -> list[int]:
    return [int.from_bytes(code[i:i + 4], "little") for i in range(0, len(code), 4)]


def random_program(seed: int, config: IsaConfig | str = "rv32im_zicsr_zk_zks", blocks: int = 20,
                   length: int = 60) -> Program:
    """A program of ``blocks`` random blocks of at least ``length`` instructions each
    (every instruction of ``config`` at least once per block)."""
    cfg = IsaConfig.parse(config)
    rng = random.Random(seed)
    g = _Gen(rng, cfg)
    g.words += li(GP, SCRATCH)
    for _ in range(blocks):
        g.block(length)
    g.words += _words(assemble(_EXIT.replace("1:  j 1b", "hang: j hang"), base=BASE + 4 * len(g.words)))
    code = b"".join(x.to_bytes(4, "little") for x in g.words)
    if BASE + len(code) > SCRATCH:
        raise ValueError(f"program of {len(code)} bytes overlaps the scratch area; use fewer blocks")
    scratch = bytes(rng.getrandbits(8) for _ in range(SCRATCH_BYTES + 32 * 4))
    return Program(code, scratch, seed)
