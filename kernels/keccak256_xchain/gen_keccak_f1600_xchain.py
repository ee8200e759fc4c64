"""Writes keccak_f1600_xchain.S: Keccak-f[1600] on the Xchain extension,
24 rounds fully unrolled with a fixed register allocation.

Run ``.venv/bin/python kernels/keccak256_xchain/gen_keccak_f1600_xchain.py``
after a change here or to the Xchain rows of ``isa/table.py``, which encode
every Xchain instruction; the generated file is committed so that a build
needs no Python, and ``tests/test_generated_sources.py`` fails while it
differs from this output.

Lanes are bit-interleaved (even bits, odd bits) 32-bit halves; word 2k + h
of the state is half h of lane k = x + 5y.  Per round (docs/xchain.md):
theta's D from the column parities C (rolxor, xor), then for each output
plane and half: five loads, five xorrol (theta + rho + pi), five andnxor
(chi), five stores and five xor that build the next round's C.  Registers:
10 C, 10 D, 5 B (each its own load target), one chi temporary, the state
pointer, and three that carry state words from one round to the next
without a store and a load; rounds alternate between the caller's state
(a0) and a copy on the stack, so every access is a constant offset and 24
rounds end in a0.
"""

from __future__ import annotations

from pathlib import Path

from isa import encode
from isa.disasm import ABI_NAMES

RHO = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14]

# Round constants as (even bits, odd bits).
RC = [
    0x00000001, 0x00000000, 0x00000000, 0x00000089, 0x00000000, 0x8000008B, 0x00000000, 0x80008080,
    0x00000001, 0x0000008B, 0x00000001, 0x00008000, 0x00000001, 0x80008088, 0x00000001, 0x80000082,
    0x00000000, 0x0000000B, 0x00000000, 0x0000000A, 0x00000001, 0x00008082, 0x00000000, 0x00008003,
    0x00000001, 0x0000808B, 0x00000001, 0x8000000B, 0x00000001, 0x8000008A, 0x00000001, 0x80000081,
    0x00000000, 0x80000081, 0x00000000, 0x80000008, 0x00000000, 0x00000083, 0x00000000, 0x80008003,
    0x00000001, 0x80008088, 0x00000000, 0x80000088, 0x00000001, 0x00008000, 0x00000000, 0x80008082,
]

C = ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"]
D = ["s10", "s11", "t3", "t4", "t5", "t6", "a1", "a2", "a3", "a4"]
B = ["a5", "a6", "a7", "ra", "gp"]
V = "t2"
#: State words that skip memory between rounds: word -> register.  Plane 4's
#: outputs are consumed in the next round no later than they are produced
#: again, so a register can carry them; three are left after the above.
KEPT = {48: "t0", 49: "t1", 44: "tp"}   # lane (4,4) both halves, lane (2,4) even half
SAVED = ["ra", "gp", "tp", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11"]
STATE_BYTES = 200
FRAME = 272  # the stack copy of the state, then the saved registers (16-byte aligned)

OUTPUT = Path(__file__).with_name("keccak_f1600_xchain.S")
REG = {name: i for i, name in enumerate(ABI_NAMES)}


def insn(name: str, rd: str, rs1: str, rs2: str, third: str | int) -> str:
    """An Xchain instruction as the word the instruction table encodes (GNU as
    knows no Xchain mnemonics); ``third`` is rs3 (R4) or the rotate amount (Rrot)."""
    imm = third if isinstance(third, int) else REG[third]
    word = encode(name, rd=REG[rd], rs1=REG[rs1], rs2=REG[rs2], imm=imm)
    return f"\t.insn 4, {word:#010x}\t# {name} {rd}, {rs1}, {rs2}, {third}"


def xor_const(reg: str, value: int, tmp: str) -> list[str]:
    if value == 0:
        return []
    signed = value - (1 << 32) if value & 0x80000000 else value
    if -2048 <= signed < 2048:
        return [f"\txori {reg}, {reg}, {signed}"]
    lo = ((value & 0xFFF) ^ 0x800) - 0x800
    hi = ((value - lo) >> 12) & 0xFFFFF
    out = [f"\tlui {tmp}, {hi:#x}"]
    if lo:
        out.append(f"\taddi {tmp}, {tmp}, {lo}")
    return out + [f"\txor {reg}, {reg}, {tmp}"]


def addr(base: str, word: int) -> str:
    return f"{4 * word}({base})"


def round_code(rnd: int) -> list[str]:
    src, dst = ("a0", "sp") if rnd % 2 == 0 else ("sp", "a0")
    last = rnd == 23
    out = [f"\t# ---- round {rnd}"]
    for x in range(5):  # theta: D[x] = C[x-1] ^ rot(C[x+1], 1)
        xm, xp = (x + 4) % 5, (x + 1) % 5
        out.append(insn("rolxor", D[2 * x], C[2 * xm], C[2 * xp + 1], 1))
        out.append(f"\txor {D[2 * x + 1]}, {C[2 * xm + 1]}, {C[2 * xp]}")
    for y in range(5):
        for h in range(2):
            # theta + rho + pi: B[x] = rot(A[sx, x] ^ D[sx]) half h
            srcs = []
            for x in range(5):
                sx = (x + 3 * y) % 5
                si = sx + 5 * x
                n = RHO[si]
                if n & 1:
                    hh, k = (1, (n + 1) // 2) if h == 0 else (0, n // 2)
                else:
                    hh, k = h, n // 2
                srcs.append((2 * si + hh, D[2 * sx + hh], k & 31))
            # each B register is its own load target, loaded two steps ahead of
            # its xorrol (no load-use stall); kept words come from registers
            kept = rnd > 0
            mem = [x for x in range(5) if not (kept and srcs[x][0] in KEPT)]
            for x in mem[:2]:
                out.append(f"\tlw {B[x]}, {addr(src, srcs[x][0])}")
            for x in range(5):
                word, d, k = srcs[x]
                if x in mem:
                    out.append(insn("xorrol", B[x], B[x], d, k))
                    j = mem.index(x) + 2
                    if j < len(mem):
                        out.append(f"\tlw {B[mem[j]]}, {addr(src, srcs[mem[j]][0])}")
                else:
                    out.append(insn("xorrol", B[x], KEPT[word], d, k))
            # chi (+ iota on lane 0), store, next round's column parity
            for x in range(5):
                i = 2 * x + h
                word = 10 * y + i
                keep = word in KEPT and not last
                tgt = C[i] if y == 0 else KEPT[word] if keep else V
                out.append(insn("andnxor", tgt, B[x], B[(x + 1) % 5], B[(x + 2) % 5]))
                if y == 0 and x == 0:
                    out += xor_const(tgt, RC[2 * rnd + h], V)
                if not keep:
                    out.append(f"\tsw {tgt}, {addr(dst, word)}")
                if y > 0 and not last:
                    out.append(f"\txor {C[i]}, {C[i]}, {tgt}")
    return out


def generate() -> str:
    lines = [
        "/* Generated by gen_keccak_f1600_xchain.py: do not edit. */",
        "/* void keccak_f1600(uint32_t s[50]): bit-interleaved lanes, Xchain. */",
        "\t.text",
        "\t.globl keccak_f1600",
        "\t.type keccak_f1600, @function",
        "\t.p2align 2",
        "keccak_f1600:",
        f"\taddi sp, sp, -{FRAME}",
    ]
    lines += [f"\tsw {r}, {STATE_BYTES + 4 * i}(sp)" for i, r in enumerate(SAVED)]
    # the column parities of the input state
    for i in range(10):
        for j in range(5):
            lines.append(f"\tlw {B[j]}, {addr('a0', 10 * j + i)}")
        lines.append(insn("xor3", C[i], B[0], B[1], B[2]))
        lines.append(insn("xor3", C[i], C[i], B[3], B[4]))
    for rnd in range(24):
        lines += round_code(rnd)
    lines += [f"\tlw {r}, {STATE_BYTES + 4 * i}(sp)" for i, r in enumerate(SAVED)]
    lines += [f"\taddi sp, sp, {FRAME}", "\tret", "\t.size keccak_f1600, .-keccak_f1600", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    OUTPUT.write_text(generate())
