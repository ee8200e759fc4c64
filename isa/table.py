"""The one table of every instruction chainrv implements.

Each line follows riscv-opcodes' syntax: name, operand fields, then fixed bit
ranges ``hi..lo=value``. Everything else (decoder, encoder, assembler,
disassembler, HDL decoder, ISS pre-decoder) is derived from it.

Columns after the encoding:
  ext    the extension that owns the instruction (see ``isa.config``)
  fmt    operand layout used by the assembler/disassembler
  kind   how the pipeline treats it: alu, load, store, branch, jal, jalr,
         csr, system, fence, div, alu3 (an ALU operation reading a third
         source register rs3; Xchain, see docs/xchain.md), fencei (Zifencei:
         its fields are reserved and ignored; docs/timing.md, "fence.i")
"""

from __future__ import annotations

from dataclasses import dataclass, field

# name, encoding (riscv-opcodes syntax), ext, fmt, kind
_SPEC = """
lui        rd imm20                     6..2=0x0D 1..0=3             | i | U      | alu
auipc      rd imm20                     6..2=0x05 1..0=3             | i | U      | alu
jal        rd jimm20                    6..2=0x1b 1..0=3             | i | J      | jal
jalr       rd rs1 imm12       14..12=0  6..2=0x19 1..0=3             | i | Ijalr  | jalr
beq        bimm12hi rs1 rs2 bimm12lo 14..12=0 6..2=0x18 1..0=3       | i | B      | branch
bne        bimm12hi rs1 rs2 bimm12lo 14..12=1 6..2=0x18 1..0=3       | i | B      | branch
blt        bimm12hi rs1 rs2 bimm12lo 14..12=4 6..2=0x18 1..0=3       | i | B      | branch
bge        bimm12hi rs1 rs2 bimm12lo 14..12=5 6..2=0x18 1..0=3       | i | B      | branch
bltu       bimm12hi rs1 rs2 bimm12lo 14..12=6 6..2=0x18 1..0=3       | i | B      | branch
bgeu       bimm12hi rs1 rs2 bimm12lo 14..12=7 6..2=0x18 1..0=3       | i | B      | branch
lb         rd rs1 imm12       14..12=0  6..2=0x00 1..0=3             | i | L      | load
lh         rd rs1 imm12       14..12=1  6..2=0x00 1..0=3             | i | L      | load
lw         rd rs1 imm12       14..12=2  6..2=0x00 1..0=3             | i | L      | load
lbu        rd rs1 imm12       14..12=4  6..2=0x00 1..0=3             | i | L      | load
lhu        rd rs1 imm12       14..12=5  6..2=0x00 1..0=3             | i | L      | load
sb         imm12hi rs1 rs2 imm12lo 14..12=0 6..2=0x08 1..0=3         | i | S      | store
sh         imm12hi rs1 rs2 imm12lo 14..12=1 6..2=0x08 1..0=3         | i | S      | store
sw         imm12hi rs1 rs2 imm12lo 14..12=2 6..2=0x08 1..0=3         | i | S      | store
addi       rd rs1 imm12       14..12=0  6..2=0x04 1..0=3             | i | I      | alu
slti       rd rs1 imm12       14..12=2  6..2=0x04 1..0=3             | i | I      | alu
sltiu      rd rs1 imm12       14..12=3  6..2=0x04 1..0=3             | i | I      | alu
xori       rd rs1 imm12       14..12=4  6..2=0x04 1..0=3             | i | I      | alu
ori        rd rs1 imm12       14..12=6  6..2=0x04 1..0=3             | i | I      | alu
andi       rd rs1 imm12       14..12=7  6..2=0x04 1..0=3             | i | I      | alu
slli       rd rs1 31..25=0  shamtw 14..12=1 6..2=0x04 1..0=3         | i | Ishift | alu
srli       rd rs1 31..25=0  shamtw 14..12=5 6..2=0x04 1..0=3         | i | Ishift | alu
srai       rd rs1 31..25=32 shamtw 14..12=5 6..2=0x04 1..0=3         | i | Ishift | alu
add        rd rs1 rs2 31..25=0  14..12=0 6..2=0x0C 1..0=3            | i | R      | alu
sub        rd rs1 rs2 31..25=32 14..12=0 6..2=0x0C 1..0=3            | i | R      | alu
sll        rd rs1 rs2 31..25=0  14..12=1 6..2=0x0C 1..0=3            | i | R      | alu
slt        rd rs1 rs2 31..25=0  14..12=2 6..2=0x0C 1..0=3            | i | R      | alu
sltu       rd rs1 rs2 31..25=0  14..12=3 6..2=0x0C 1..0=3            | i | R      | alu
xor        rd rs1 rs2 31..25=0  14..12=4 6..2=0x0C 1..0=3            | i | R      | alu
srl        rd rs1 rs2 31..25=0  14..12=5 6..2=0x0C 1..0=3            | i | R      | alu
sra        rd rs1 rs2 31..25=32 14..12=5 6..2=0x0C 1..0=3            | i | R      | alu
or         rd rs1 rs2 31..25=0  14..12=6 6..2=0x0C 1..0=3            | i | R      | alu
and        rd rs1 rs2 31..25=0  14..12=7 6..2=0x0C 1..0=3            | i | R      | alu
fence      fm pred succ rs1 14..12=0 rd 6..2=0x03 1..0=3             | i | fence  | fence
ecall      31..20=0x000 19..15=0 14..12=0 11..7=0 6..2=0x1C 1..0=3   | i | none   | system
ebreak     31..20=0x001 19..15=0 14..12=0 11..7=0 6..2=0x1C 1..0=3   | i | none   | system
mret       31..20=0x302 19..15=0 14..12=0 11..7=0 6..2=0x1C 1..0=3   | i | none   | system
wfi        31..20=0x105 19..15=0 14..12=0 11..7=0 6..2=0x1C 1..0=3   | i | none   | system
csrrw      rd rs1 csr 14..12=1 6..2=0x1C 1..0=3                      | zicsr | csr  | csr
csrrs      rd rs1 csr 14..12=2 6..2=0x1C 1..0=3                      | zicsr | csr  | csr
csrrc      rd rs1 csr 14..12=3 6..2=0x1C 1..0=3                      | zicsr | csr  | csr
csrrwi     rd zimm csr 14..12=5 6..2=0x1C 1..0=3                     | zicsr | csri | csr
csrrsi     rd zimm csr 14..12=6 6..2=0x1C 1..0=3                     | zicsr | csri | csr
csrrci     rd zimm csr 14..12=7 6..2=0x1C 1..0=3                     | zicsr | csri | csr
mul        rd rs1 rs2 31..25=1 14..12=0 6..2=0x0C 1..0=3             | m | R | alu
mulh       rd rs1 rs2 31..25=1 14..12=1 6..2=0x0C 1..0=3             | m | R | alu
mulhsu     rd rs1 rs2 31..25=1 14..12=2 6..2=0x0C 1..0=3             | m | R | alu
mulhu      rd rs1 rs2 31..25=1 14..12=3 6..2=0x0C 1..0=3             | m | R | alu
div        rd rs1 rs2 31..25=1 14..12=4 6..2=0x0C 1..0=3             | m | R | div
divu       rd rs1 rs2 31..25=1 14..12=5 6..2=0x0C 1..0=3             | m | R | div
rem        rd rs1 rs2 31..25=1 14..12=6 6..2=0x0C 1..0=3             | m | R | div
remu       rd rs1 rs2 31..25=1 14..12=7 6..2=0x0C 1..0=3             | m | R | div
andn       rd rs1 rs2 31..25=32 14..12=7 6..2=0x0C 1..0=3            | zbkb | R | alu
orn        rd rs1 rs2 31..25=32 14..12=6 6..2=0x0C 1..0=3            | zbkb | R | alu
xnor       rd rs1 rs2 31..25=32 14..12=4 6..2=0x0C 1..0=3            | zbkb | R | alu
rol        rd rs1 rs2 31..25=0x30 14..12=1 6..2=0x0C 1..0=3          | zbkb | R | alu
ror        rd rs1 rs2 31..25=0x30 14..12=5 6..2=0x0C 1..0=3          | zbkb | R | alu
rori       rd rs1 31..25=0x30 shamtw 14..12=5 6..2=0x04 1..0=3       | zbkb | Ishift | alu
pack       rd rs1 rs2 31..25=4 14..12=4 6..2=0x0C 1..0=3             | zbkb | R | alu
packh      rd rs1 rs2 31..25=4 14..12=7 6..2=0x0C 1..0=3             | zbkb | R | alu
brev8      rd rs1 31..20=0x687 14..12=5 6..2=0x04 1..0=3             | zbkb | unary | alu
rev8       rd rs1 31..20=0x698 14..12=5 6..2=0x04 1..0=3             | zbkb | unary | alu
zip        rd rs1 31..25=4 24..20=15 14..12=1 6..2=0x04 1..0=3       | zbkb | unary | alu
unzip      rd rs1 31..25=4 24..20=15 14..12=5 6..2=0x04 1..0=3       | zbkb | unary | alu
clmul      rd rs1 rs2 31..25=5 14..12=1 6..2=0x0C 1..0=3             | zbkc | R | alu
clmulh     rd rs1 rs2 31..25=5 14..12=3 6..2=0x0C 1..0=3             | zbkc | R | alu
xperm4     rd rs1 rs2 31..25=20 14..12=2 6..2=0x0C 1..0=3            | zbkx | R | alu
xperm8     rd rs1 rs2 31..25=20 14..12=4 6..2=0x0C 1..0=3            | zbkx | R | alu
sha256sum0 rd rs1 31..30=0 29..25=0b01000 24..20=0b00000 14..12=1 6..0=0x13 | zknh | unary | alu
sha256sum1 rd rs1 31..30=0 29..25=0b01000 24..20=0b00001 14..12=1 6..0=0x13 | zknh | unary | alu
sha256sig0 rd rs1 31..30=0 29..25=0b01000 24..20=0b00010 14..12=1 6..0=0x13 | zknh | unary | alu
sha256sig1 rd rs1 31..30=0 29..25=0b01000 24..20=0b00011 14..12=1 6..0=0x13 | zknh | unary | alu
sha512sum0r rd rs1 rs2 31..30=1 29..25=0b01000 14..12=0 6..0=0x33  | zknh | R | alu
sha512sum1r rd rs1 rs2 31..30=1 29..25=0b01001 14..12=0 6..0=0x33  | zknh | R | alu
sha512sig0l rd rs1 rs2 31..30=1 29..25=0b01010 14..12=0 6..0=0x33  | zknh | R | alu
sha512sig0h rd rs1 rs2 31..30=1 29..25=0b01110 14..12=0 6..0=0x33  | zknh | R | alu
sha512sig1l rd rs1 rs2 31..30=1 29..25=0b01011 14..12=0 6..0=0x33  | zknh | R | alu
sha512sig1h rd rs1 rs2 31..30=1 29..25=0b01111 14..12=0 6..0=0x33  | zknh | R | alu
sm3p0      rd rs1 31..30=0 29..25=0b01000 24..20=0b01000 14..12=1 6..0=0x13 | zksh | unary | alu
sm3p1      rd rs1 31..30=0 29..25=0b01000 24..20=0b01001 14..12=1 6..0=0x13 | zksh | unary | alu
aes32esi   rd rs1 rs2 bs 29..25=0b10001 14..12=0 6..0=0x33           | zkne | Rbs | alu
aes32esmi  rd rs1 rs2 bs 29..25=0b10011 14..12=0 6..0=0x33           | zkne | Rbs | alu
aes32dsi   rd rs1 rs2 bs 29..25=0b10101 14..12=0 6..0=0x33           | zknd | Rbs | alu
aes32dsmi  rd rs1 rs2 bs 29..25=0b10111 14..12=0 6..0=0x33           | zknd | Rbs | alu
sm4ed      rd rs1 rs2 bs 29..25=0b11000 14..12=0 6..0=0x33           | zksed | Rbs | alu
sm4ks      rd rs1 rs2 bs 29..25=0b11010 14..12=0 6..0=0x33           | zksed | Rbs | alu
maddlu     rd rs1 rs2 rs3 26..25=0 14..12=0 6..0=0x0B               | xchain | R4 | alu3
maddhu     rd rs1 rs2 rs3 26..25=1 14..12=0 6..0=0x0B               | xchain | R4 | alu3
cadd       rd rs1 rs2 rs3 26..25=2 14..12=0 6..0=0x0B               | xchain | R4 | alu3
addc       rd rs1 rs2 rs3 26..25=0 14..12=1 6..0=0x0B               | xchain | R4 | alu3
addco      rd rs1 rs2 rs3 26..25=1 14..12=1 6..0=0x0B               | xchain | R4 | alu3
subc       rd rs1 rs2 rs3 26..25=0 14..12=2 6..0=0x0B               | xchain | R4 | alu3
subco      rd rs1 rs2 rs3 26..25=1 14..12=2 6..0=0x0B               | xchain | R4 | alu3
xor3       rd rs1 rs2 rs3 26..25=0 14..12=0 6..0=0x2B               | xchain | R4 | alu3
andnxor    rd rs1 rs2 rs3 26..25=1 14..12=0 6..0=0x2B               | xchain | R4 | alu3
rolxor     rd rs1 rs2 rotimm 26..25=0 14..12=1 6..0=0x2B            | xchain | Rrot | alu
xorrol     rd rs1 rs2 rotimm 26..25=1 14..12=1 6..0=0x2B            | xchain | Rrot | alu
fence.i    imm12 rs1 14..12=1 rd 6..2=0x03 1..0=3                    | zifencei | none | fencei
"""

#: Bit ranges of the operand fields, as in riscv-opcodes' arg_lut.
FIELDS: dict[str, tuple[int, int]] = {
    "rd": (11, 7), "rs1": (19, 15), "rs2": (24, 20),
    "imm12": (31, 20), "imm12hi": (31, 25), "imm12lo": (11, 7),
    "bimm12hi": (31, 25), "bimm12lo": (11, 7),
    "imm20": (31, 12), "jimm20": (31, 12),
    "shamtw": (24, 20), "csr": (31, 20), "zimm": (19, 15),
    "bs": (31, 30), "fm": (31, 28), "pred": (27, 24), "succ": (23, 20),
    # Xchain (docs/xchain.md): R4's third source, and the rotate amount that
    # the Rrot format keeps in the same bits.
    "rs3": (31, 27), "rotimm": (31, 27),
}


@dataclass(frozen=True)
class Insn:
    """One row of the table."""

    op: int            # dense id, the index in INSNS (the ISS's operation id)
    name: str
    ext: str
    fmt: str
    kind: str
    args: tuple[str, ...]
    mask: int
    match: int
    fixed: tuple[tuple[int, int, int], ...] = field(repr=False)

    def matches(self, word: int) -> bool:
        return (word & self.mask) == self.match

    @property
    def operands(self) -> tuple[str, ...]:
        """The fields the instruction uses: ``args``, except fence.i's, which are
        reserved and ignored (Zifencei: "base implementations shall ignore these fields")."""
        return () if self.kind == "fencei" else self.args


def _parse_range(tok: str) -> tuple[int, int, int]:
    rng, val = tok.split("=")
    if ".." in rng:
        hi, lo = (int(x) for x in rng.split(".."))
    else:
        hi = lo = int(rng)
    return hi, lo, int(val, 0)


def _build() -> tuple[Insn, ...]:
    out: list[Insn] = []
    for line in _SPEC.strip().splitlines():
        enc, ext, fmt, kind = (c.strip() for c in line.split("|"))
        name, *toks = enc.split()
        args = tuple(t for t in toks if "=" not in t)
        fixed = tuple(_parse_range(t) for t in toks if "=" in t)
        mask = match = 0
        for hi, lo, val in fixed:
            width = hi - lo + 1
            assert val < (1 << width), (name, hi, lo, val)
            m = ((1 << width) - 1) << lo
            assert not mask & m, f"{name}: overlapping fixed fields"
            mask |= m
            match |= val << lo
        for a in args:
            hi, lo = FIELDS[a]
            assert not mask & (((1 << (hi - lo + 1)) - 1) << lo), f"{name}: {a} overlaps"
        out.append(Insn(len(out), name, ext, fmt, kind, args, mask, match, fixed))
    return tuple(out)


INSNS: tuple[Insn, ...] = _build()
BY_NAME: dict[str, Insn] = {i.name: i for i in INSNS}
EXTENSION_OF: dict[str, str] = {i.name: i.ext for i in INSNS}
