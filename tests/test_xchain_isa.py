"""Xchain (docs/xchain.md) in the instruction table: encodings against GNU as's
``.insn``, disassembly text against the format rules of the spec, golden
semantics against Python big-integer arithmetic, and switching it off."""

from __future__ import annotations

import random
import subprocess

import numpy as np
import pytest
from numba import njit
from toolchain import PREFIX, have_toolchain, objdump_lines

from isa import INSNS, IsaConfig, decode, encode
from isa.asm import assemble
from isa.disasm import ABI_NAMES, disassemble
from isa.semantics import SEMANTICS

M = 0xFFFFFFFF
XCHAIN = [i for i in INSNS if i.ext == "xchain"]
R4 = [i for i in XCHAIN if i.fmt == "R4"]
ROT = [i for i in XCHAIN if i.fmt == "Rrot"]

#: (opcode, funct3, funct2) of every row, as written in docs/xchain.md.
SPEC = {
    "maddlu": ("CUSTOM_0", 0, 0), "maddhu": ("CUSTOM_0", 0, 1), "cadd": ("CUSTOM_0", 0, 2),
    "addc": ("CUSTOM_0", 1, 0), "addco": ("CUSTOM_0", 1, 1),
    "subc": ("CUSTOM_0", 2, 0), "subco": ("CUSTOM_0", 2, 1),
    "xor3": ("CUSTOM_1", 0, 0), "andnxor": ("CUSTOM_1", 0, 1),
    "rolxor": ("CUSTOM_1", 1, 0), "xorrol": ("CUSTOM_1", 1, 1),
}


def rol(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & M if n else x


#: Independent definitions in Python integers (unbounded, no masking tricks).
REFERENCE = {
    "maddlu": lambda a, b, c: (a * b + c) % 2**32,
    "maddhu": lambda a, b, c: (a * b + c) // 2**32,
    "cadd": lambda a, b, c: (c + (a + b) // 2**32) % 2**32,
    "addc": lambda a, b, c: (a + b + c) % 2**32,
    "addco": lambda a, b, c: (a + b + c) // 2**32,
    "subc": lambda a, b, c: (a - b - c) % 2**32,
    "subco": lambda a, b, c: -((a - b - c) // 2**32),
    "xor3": lambda a, b, c: a ^ b ^ c,
    "andnxor": lambda a, b, c: a ^ ((M - b) & c),
    "rolxor": lambda a, b, k: a ^ rol(b, k),
    "xorrol": lambda a, b, k: rol(a ^ b, k),
}

EDGES = [0, 1, 2, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFE, M, 0xFFFF, 0x10000, 0xDEADBEEF]


def test_every_row_is_specified():
    assert sorted(SPEC) == sorted(i.name for i in XCHAIN)
    assert {i.kind for i in R4} == {"alu3"} and {i.kind for i in ROT} == {"alu"}


def test_round_trip():
    rng = random.Random(1)
    for insn in XCHAIN:
        for _ in range(300):
            rd, rs1, rs2, imm = (rng.randrange(32) for _ in range(4))
            w = encode(insn.name, rd=rd, rs1=rs1, rs2=rs2, imm=imm)
            d = decode(w, IsaConfig.parse("rv32im_xchain"))
            assert d is not None and d.insn is insn
            assert (d.rd, d.rs1, d.rs2, d.imm) == (rd, rs1, rs2, imm)
    with pytest.raises(ValueError):
        encode("maddlu", rd=1, rs1=2, rs2=3, imm=32)


def test_field_layout_by_hand():
    # R4: rs3[31:27] funct2[26:25] rs2[24:20] rs1[19:15] funct3[14:12] rd[11:7] opcode
    for insn in XCHAIN:
        opc, f3, f2 = SPEC[insn.name]
        w = encode(insn.name, rd=5, rs1=6, rs2=7, imm=9)
        want = (9 << 27 | f2 << 25 | 7 << 20 | 6 << 15 | f3 << 12 | 5 << 7
                | (0x0B if opc == "CUSTOM_0" else 0x2B))
        assert w == want, insn.name


@pytest.mark.skipif(not have_toolchain(), reason="needs riscv64-unknown-elf binutils")
def test_encoder_matches_gnu_insn_directive(tmp_path):
    rng = random.Random(2)
    lines, words = [], []
    for insn in XCHAIN:
        opc, f3, f2 = SPEC[insn.name]
        for _ in range(40):
            rd, rs1, rs2, r3 = (rng.randrange(32) for _ in range(4))
            # Rrot's amount sits in the rs3 field: GNU as takes it as register x<amount>
            lines.append(f".insn r4 {opc}, {f3}, {f2}, x{rd}, x{rs1}, x{rs2}, x{r3}")
            words.append(encode(insn.name, rd=rd, rs1=rs1, rs2=rs2, imm=r3))
    src = tmp_path / "x.S"
    src.write_text(".text\n" + "\n".join(lines) + "\n")
    obj = tmp_path / "x.o"
    subprocess.run([PREFIX + "as", "-march=rv32im", "-mabi=ilp32", str(src), "-o", str(obj)],
                   check=True, capture_output=True)
    got = [w for _, w, _ in objdump_lines(obj)]
    assert got == words


def test_disassembly_text():
    # docs/xchain.md: "name rd,rs1,rs2,rs3" (ABI names) and "name rd,rs1,rs2,amount"
    cases = {
        ("maddlu", 10, 11, 12, 13): "maddlu\ta0,a1,a2,a3",
        ("maddhu", 1, 2, 3, 4): "maddhu\tra,sp,gp,tp",
        ("cadd", 18, 19, 20, 0): "cadd\ts2,s3,s4,zero",
        ("addc", 31, 30, 29, 28): "addc\tt6,t5,t4,t3",
        ("addco", 8, 9, 5, 6): "addco\ts0,s1,t0,t1",
        ("subc", 7, 10, 17, 27): "subc\tt2,a0,a7,s11",
        ("subco", 0, 0, 0, 31): "subco\tzero,zero,zero,t6",
        ("xor3", 15, 14, 13, 12): "xor3\ta5,a4,a3,a2",
        ("andnxor", 21, 22, 23, 24): "andnxor\ts5,s6,s7,s8",
        ("rolxor", 10, 11, 12, 1): "rolxor\ta0,a1,a2,1",
        ("xorrol", 10, 11, 12, 31): "xorrol\ta0,a1,a2,31",
        ("xorrol", 5, 6, 7, 0): "xorrol\tt0,t1,t2,0",
    }
    cfg = IsaConfig.parse("rv32im_xchain")
    for (name, rd, rs1, rs2, imm), text in cases.items():
        w = encode(name, rd=rd, rs1=rs1, rs2=rs2, imm=imm)
        assert disassemble(w, config=cfg) == text
        # and our assembler reads the text back to the same word
        assert assemble(text.replace("\t", " "), base=0) == w.to_bytes(4, "little")


def test_switched_off_without_xchain():
    w = encode("maddhu", rd=1, rs1=2, rs2=3, imm=4)
    for isa in ("rv32im", "rv32im_zicsr_zk_zks", "rv32im_zbkb"):
        assert decode(w, IsaConfig.parse(isa)) is None
        assert disassemble(w, config=IsaConfig.parse(isa)) == f".4byte\t{w:#x}"
    for insn in XCHAIN:
        w = encode(insn.name, rd=1, rs1=2, rs2=3, imm=4)
        assert decode(w, IsaConfig.parse("rv32im_zicsr_zk_zks")) is None
        assert decode(w, IsaConfig.parse("rv32im_zicsr_zk_zks_xchain")).insn is insn


def _operand_triples(rng: random.Random, n: int) -> list[tuple[int, int, int]]:
    out = [(a, b, c) for a in EDGES for b in EDGES for c in EDGES[::2]]
    out += [(rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(32)) for _ in range(n)]
    return out


@pytest.mark.parametrize("insn", XCHAIN, ids=lambda i: i.name)
def test_golden_semantics_against_python_integers(insn):
    rng = random.Random(insn.op)
    fn, ref = SEMANTICS[insn.name], REFERENCE[insn.name]
    for a, b, c in _operand_triples(rng, 3000):
        if insn.fmt == "Rrot":
            c &= 31
        got = fn(a, b, c, 0x80000000)
        assert 0 <= got <= M
        assert got == ref(a, b, c), (insn.name, hex(a), hex(b), hex(c))


def _jit_apply(fn, a, b, c):
    @njit(cache=False)
    def apply(a, b, c):
        out = np.empty(a.shape[0], np.int64)
        for i in range(a.shape[0]):
            out[i] = fn(a[i], b[i], c[i], 0)
        return out
    return apply(a, b, c)


@pytest.mark.parametrize("insn", XCHAIN, ids=lambda i: i.name)
def test_golden_semantics_compiled_by_numba(insn):
    # the ISS runs the same functions compiled: int64 registers in [0, 2^32)
    rng = random.Random(100 + insn.op)
    trip = _operand_triples(rng, 1000)
    a, b, c = (np.array([t[k] for t in trip], np.int64) for k in range(3))
    if insn.fmt == "Rrot":
        c &= 31
    got = _jit_apply(SEMANTICS[insn.name], a, b, c)
    want = [REFERENCE[insn.name](int(x), int(y), int(z)) for x, y, z in zip(a, b, c, strict=True)]
    assert got.tolist() == want


def test_register_names_cover_r4():
    # every register can be rs3, and objdump-style ABI names are used for it
    for n, name in enumerate(ABI_NAMES):
        assert disassemble(encode("xor3", rd=1, rs1=2, rs2=3, imm=n)).endswith("," + name)
