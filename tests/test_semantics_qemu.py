"""The golden semantics of every instruction agree with QEMU.

For each instruction one generated program runs >= 1,000 random operand
pairs plus every pair of edge values; each result is sent over the UART as
four raw bytes and compared with ``isa.semantics`` evaluated in Python.
"""

from __future__ import annotations

import random
import struct

import pytest
from qemu import have_qemu, run_qemu

from isa import INSNS, encode
from isa.asm import _li_words
from isa.elfwriter import make_elf
from isa.semantics import LOAD_WIDTH, SEMANTICS, STORE_WIDTH, jalr_target

pytestmark = pytest.mark.skipif(not have_qemu(), reason="needs qemu-system-riscv32")

BASE = 0x80000000
SCRATCH = 0x80800000
EDGES = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)
EDGE_IMMS = (0, 1, -1, 2047, -2048)
RANDOM_CASES = 1000
A0, A1, A2, A3, T0, T1, S0, S1, RA = 10, 11, 12, 13, 5, 6, 8, 9, 1


class Program:
    """Builds the words of a test program and the values it must print."""

    def __init__(self) -> None:
        self.words: list[int] = []
        self.expect: list[int] = []
        self.labels: list[str] = []

    @property
    def pc(self) -> int:
        return BASE + 4 * len(self.words)

    def emit(self, *words: int) -> None:
        self.words.extend(words)

    def li(self, rd: int, value: int) -> None:
        first = True
        for op, imm in _li_words(value):
            self.emit(encode(op, rd=rd, rs1=0 if first else rd, imm=imm))
            first = False

    def report(self, value: int, label: str) -> None:
        """Print a0 through the emit routine (address in s1)."""
        self.emit(encode("jalr", rd=RA, rs1=S1, imm=0))
        self.expect.append(value & 0xFFFFFFFF)
        self.labels.append(label)


def _emit_routine() -> list[int]:
    w = [encode("sb", rs1=T0, rs2=A0)]
    for shift in (8, 16, 24):
        w += [encode("srli", rd=T1, rs1=A0, imm=shift), encode("sb", rs1=T0, rs2=T1)]
    return w + [encode("jalr", rd=0, rs1=RA, imm=0)]


def _pairs(rng: random.Random) -> list[tuple[int, int]]:
    pairs = [(a, b) for a in EDGES for b in EDGES]
    for _ in range(RANDOM_CASES):
        a, b = rng.getrandbits(32), rng.getrandbits(32)
        # Small values too, so shifts, byte selects and divisions see them.
        if rng.random() < 0.2:
            b &= rng.choice((0x1F, 0xFF, 0xFFFF))
        pairs.append((a, b))
    return pairs


def _imm_for(insn, rng: random.Random, i: int) -> int:
    if insn.fmt == "I":
        return EDGE_IMMS[i % 5] if i < 25 else rng.randrange(-2048, 2048)
    if insn.fmt == "Ishift":
        return rng.randrange(32)
    if insn.fmt == "Rbs":
        return i % 4 if i < 25 else rng.randrange(4)
    if insn.fmt == "U":
        return rng.getrandbits(20) << 12
    return 0


def _case(p: Program, insn, a: int, b: int, imm: int, rng: random.Random) -> None:
    name, kind, label = insn.name, insn.kind, f"{insn.name} a={a:#x} b={b:#x} imm={imm}"
    p.li(A1, a)
    p.li(A2, b)
    if kind in ("alu", "div"):
        pc = p.pc
        p.emit(encode(name, rd=A0, rs1=A1, rs2=A2, imm=imm))
        p.report(SEMANTICS[name](a, b, imm, pc), label)
    elif kind == "branch":
        p.emit(encode("addi", rd=A0, imm=1), encode(name, rs1=A1, rs2=A2, imm=8),
               encode("addi", rd=A0, imm=0))
        p.report(SEMANTICS[name](a, b), label)
    elif kind == "load":
        width = LOAD_WIDTH[name]
        off = rng.randrange(0, 4, width)
        p.emit(encode("sw", rs1=S0, rs2=A1), encode(name, rd=A0, rs1=S0, imm=off))
        raw = (a >> (8 * off)) & ((1 << (8 * width)) - 1)
        p.report(SEMANTICS[name](raw), label + f" off={off}")
    elif kind == "store":
        width = STORE_WIDTH[name]
        off = rng.randrange(0, 4, width)
        p.emit(encode("sw", rs1=S0, rs2=A2), encode(name, rs1=S0, rs2=A1, imm=off),
               encode("lw", rd=A0, rs1=S0))
        mask = ((1 << (8 * width)) - 1) << (8 * off)
        p.report((b & ~mask) | ((a << (8 * off)) & mask), label + f" off={off}")
    elif kind == "csr":
        src = rng.randrange(32)  # zimm of the csr*i forms
        p.emit(encode("csrrw", rs1=A2, imm=0x340))            # mscratch = b
        p.emit(encode(name, rd=A0, rs1=A1 if insn.fmt == "csr" else src, imm=0x340))
        p.report(b, label + " (old)")
        p.emit(encode("csrrs", rd=A0, imm=0x340))
        p.report(SEMANTICS[name](b, a if insn.fmt == "csr" else src), label + " (new)")
    elif kind == "jal":
        skip = rng.randrange(0, 4) * 4
        pc = p.pc
        p.emit(encode("jal", rd=A0, imm=8 + skip), *[0] * (1 + skip // 4))
        p.report(SEMANTICS[name](a, b, 0, pc), label)


def _jalr_case(p: Program, rng: random.Random) -> None:
    imm = rng.randrange(-2048, 2048)
    odd = rng.randrange(2)
    # Layout: li a1 (2 words, fixed), jalr, one wrong-path word, landing.
    start = p.pc
    jalr_pc = start + 8
    landing = jalr_pc + 8
    base = (landing - imm + odd) & 0xFFFFFFFF
    assert jalr_target(base, imm) == landing
    lo = ((base & 0xFFF) ^ 0x800) - 0x800
    p.emit(encode("lui", rd=A1, imm=(base - lo) & 0xFFFFF000), encode("addi", rd=A1, rs1=A1, imm=lo))
    p.emit(encode("jalr", rd=A0, rs1=A1, imm=imm), 0)
    p.report(SEMANTICS["jalr"](base, 0, imm, jalr_pc), f"jalr base={base:#x} imm={imm}")


def build_program(insn, seed: int) -> Program:
    rng = random.Random(seed)
    p = Program()
    p.li(T0, 0x10000000)
    p.li(S0, SCRATCH)
    # s1 = address of the emit routine placed right after a jump over it.
    p.emit(encode("auipc", rd=S1, imm=0), encode("addi", rd=S1, rs1=S1, imm=12))
    routine = _emit_routine()
    p.emit(encode("jal", imm=4 * (len(routine) + 1)), *routine)
    for i, (a, b) in enumerate(_pairs(rng)):
        if insn.kind == "jalr":
            _jalr_case(p, rng)
        else:
            _case(p, insn, a, b, _imm_for(insn, rng, i), rng)
    p.li(T0, 0x100000)
    p.li(T1, 0x5555)
    p.emit(encode("sw", rs1=T0, rs2=T1), encode("jal", imm=0))
    return p


# QEMU has no Xchain (custom opcodes): tests/test_xchain_isa.py checks it.
TESTED = [i for i in INSNS if i.kind in ("alu", "div", "branch", "load", "store", "csr", "jal", "jalr")
          and i.ext != "xchain"]


@pytest.mark.parametrize("insn", TESTED, ids=lambda i: i.name)
def test_semantics_match_qemu(insn, tmp_path):
    p = build_program(insn, seed=insn.op)
    code = b"".join(struct.pack("<I", w) for w in p.words)
    elf = tmp_path / f"{insn.name}.elf"
    elf.write_bytes(make_elf([(BASE, code)], BASE))
    res = run_qemu(elf, "rv32im_zicsr_zk_zks")
    assert res.status == 0, f"QEMU exit {res.status}"
    got = [struct.unpack_from("<I", res.stdout, 4 * k)[0] for k in range(len(res.stdout) // 4)]
    assert len(got) == len(p.expect), f"{len(got)} results, expected {len(p.expect)}"
    bad = [f"{lab}: qemu {g:#010x} golden {e:#010x}"
           for lab, g, e in zip(p.labels, got, p.expect, strict=True) if g != e]
    assert not bad, f"{len(bad)} mismatches:\n" + "\n".join(bad[:10])
    assert len(p.expect) >= RANDOM_CASES + 25
