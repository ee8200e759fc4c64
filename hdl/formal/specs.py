"""The computational instructions specified a second time, in Amaranth.

Written from the RISC-V unprivileged specification (RV32I, M), the scalar
cryptography specification (Zbkb, Zbkc, Zbkx, Zknh, Zkne, Zknd, Zksh, Zksed)
and docs/xchain.md, and from the algorithms those cite (FIPS 180-4's SHA-512
functions, FIPS 197's S-box and MixColumns, GB/T 32907's L and L'), NOT from
``hdl/units`` or ``isa.semantics``: the proofs (``hdl.formal.units``) show the
units equal to these for every operand, so a shared mistake would have to be made
twice in two different forms. Where the units use a formula of the crypto
specification, the spec here starts from the primitive it implements: SHA-512's
sigma functions on a 64-bit word, AES's S-box computed from the inverse in GF(2^8)
and its MixColumns matrix, SM4's S-box from the ``gmssl`` package and L on
big-endian words.

Every spec is ``f(a, b, imm, pc, c) -> Value`` (32 bits): a = x[rs1], b = x[rs2],
c = x[rs3], ``imm`` as the decoder delivers it (``isa.encoding``'s conventions:
the shift amount, ``bs`` or rotate amount in the low bits).

``ENCODINGS`` gives each checked row's (mask, match) and immediate format, again
written from the specifications, for the core's instruction check
(``hdl.formal.core``).
"""

from __future__ import annotations

from collections.abc import Callable

from amaranth import Array, Cat, Const, Mux
from amaranth.hdl import Value

from isa.memmap import DEVICE_REGIONS, FINISHER_BASE, RAM_BASE

W = 32


# ---------------------------------------------------------------- helpers
def rol(x: Value, n: Value | int) -> Value:
    """Rotate a 32-bit value left by n (0..31)."""
    if isinstance(n, int):
        n %= W
        return x if n == 0 else Cat(x[W - n:], x[:W - n])
    return ((x << n) | (x >> (Const(W, 6) - n).as_unsigned()))[:W]


def ror(x: Value, n: Value | int) -> Value:
    if isinstance(n, int):
        return rol(x, -n)
    return ((x >> n) | (x << (Const(W, 6) - n).as_unsigned()))[:W]


def signed_less(a: Value, b: Value) -> Value:
    """Two's complement a < b, as an unsigned compare with the sign bits flipped."""
    return (a ^ 0x8000_0000) < (b ^ 0x8000_0000)


def sra(a: Value, n: Value) -> Value:
    """Arithmetic shift right: the sign bit copied into the vacated positions."""
    return (Cat(a, a[W - 1].replicate(W)) >> n)[:W]


def byte(x: Value, i: int) -> Value:
    return x[8 * i:8 * i + 8]


def bswap(x: Value) -> Value:
    return Cat(byte(x, 3), byte(x, 2), byte(x, 1), byte(x, 0))


def table(values: list[int], index: Value, width: int) -> Value:
    """A constant table read at ``index``."""
    return Array(Const(v, width) for v in values)[index]


# ---------------------------------------------------------------- GF(2^8), AES (FIPS 197)
def gf_mul(x: int, y: int, poly: int = 0x11B) -> int:
    r = 0
    while y:
        if y & 1:
            r ^= x
        y >>= 1
        x <<= 1
        if x & 0x100:
            x ^= poly
    return r


def aes_sbox() -> list[int]:
    """FIPS 197 5.1.1: the multiplicative inverse, then the affine map with 0x63."""
    out = []
    for x in range(256):
        inv = next((y for y in range(1, 256) if gf_mul(x, y) == 1), 0)
        s = inv
        for k in (1, 2, 3, 4):
            s ^= ((inv << k) | (inv >> (8 - k))) & 0xFF
        out.append(s ^ 0x63)
    return out


AES_SBOX = aes_sbox()
AES_INV_SBOX = [AES_SBOX.index(x) for x in range(256)]
MIX = (2, 3, 1, 1)          # MixColumns: row i of the matrix is MIX rotated right by i
INV_MIX = (0x0E, 0x0B, 0x0D, 0x09)


def column_word(coeffs: tuple[int, ...], s: int, bs: int) -> int:
    """The mixed column of a column whose byte ``bs`` is s and other bytes 0."""
    return sum(gf_mul(s, coeffs[(bs - i) % 4]) << (8 * i) for i in range(4))


def aes_tables(sbox: list[int], coeffs: tuple[int, ...] | None) -> list[list[int]]:
    """Per ``bs``: what the byte of b at ``bs`` contributes to the result."""
    return [[column_word(coeffs, sbox[x], bs) if coeffs else sbox[x] << (8 * bs) for x in range(256)]
            for bs in range(4)]


def byte_op(tables: list[list[int]]) -> Callable:
    def f(a, b, imm, pc, c):
        bs = imm[:2]
        return a ^ Array(table(t, b.word_select(k, 8), W) for k, t in enumerate(tables))[bs]
    return f


# ---------------------------------------------------------------- SM4 (GB/T 32907)
def sm4_sbox() -> list[int]:
    from gmssl.sm4 import SM4_BOXES_TABLE
    return list(SM4_BOXES_TABLE)


def sm4_l(x: int) -> int:
    """L, the round's linear map, on a big-endian word."""
    r = lambda v, n: ((v << n) | (v >> (32 - n))) & 0xFFFFFFFF  # noqa: E731
    return x ^ r(x, 2) ^ r(x, 10) ^ r(x, 18) ^ r(x, 24)


def sm4_l_key(x: int) -> int:
    """L', the key schedule's linear map."""
    r = lambda v, n: ((v << n) | (v >> (32 - n))) & 0xFFFFFFFF  # noqa: E731
    return x ^ r(x, 13) ^ r(x, 23)


def int_bswap(x: int) -> int:
    return int.from_bytes(x.to_bytes(4, "little"), "big")


def sm4_tables(lin: Callable[[int], int]) -> list[list[int]]:
    """The word an S-box output at byte ``bs`` becomes: RISC-V holds SM4's big-endian
    words byte-swapped, so L acts on the swapped word."""
    sbox = sm4_sbox()
    return [[int_bswap(lin(int_bswap(sbox[x] << (8 * bs)))) for x in range(256)] for bs in range(4)]


# ---------------------------------------------------------------- SHA-512 (FIPS 180-4)
def ror64(x: Value, n: int) -> Value:
    return Cat(x[n:], x[:n])


def sha512(kind: str, x: Value) -> Value:
    if kind == "sum0":
        return ror64(x, 28) ^ ror64(x, 34) ^ ror64(x, 39)
    if kind == "sum1":
        return ror64(x, 14) ^ ror64(x, 18) ^ ror64(x, 41)
    if kind == "sig0":
        return ror64(x, 1) ^ ror64(x, 8) ^ (x >> 7)
    return ror64(x, 19) ^ ror64(x, 61) ^ (x >> 6)     # sig1


def half_low(kind: str) -> Callable:
    """The low word of the 64-bit function of {b, a} (a the low half)."""
    return lambda a, b, imm, pc, c: sha512(kind, Cat(a, b))[:32]


def half_high(kind: str) -> Callable:
    """The high word of the 64-bit function of {a, b} (a the high half)."""
    return lambda a, b, imm, pc, c: sha512(kind, Cat(b, a))[32:]


# ---------------------------------------------------------------- other helpers
def clmul_bits(a: Value, b: Value) -> list[Value]:
    """Bit k of the carry-less product: the XOR of a[i] & b[k - i]."""
    out = []
    for k in range(2 * W - 1):
        terms = [a[i] & b[k - i] for i in range(max(0, k - W + 1), min(k, W - 1) + 1)]
        bit = terms[0]
        for t in terms[1:]:
            bit = bit ^ t
        out.append(bit)
    return out + [Const(0, 1)]


def xperm(a: Value, b: Value, width: int) -> Value:
    """Each ``width``-bit lane of b indexes a lane of a; out of range gives 0."""
    lanes = W // width
    out = []
    for i in range(lanes):
        idx = b[i * width:(i + 1) * width]
        out.append(Mux(idx < lanes, (a >> (idx * width))[:width], 0))
    return Cat(*out)


def as_int(x: Value, signed: bool) -> Value:
    """The integer a register holds, signed or unsigned, as a 33-bit two's complement value."""
    return Cat(x, x[W - 1] if signed else Const(0, 1)).as_signed()


def zext64(x: Value) -> Value:
    return Cat(x, Const(0, W))


def divide(a: Value, b: Value, signed: bool) -> tuple[Value, Value]:
    """RISC-V division: quotient and remainder rounded toward zero; by zero, all ones
    and the dividend; signed overflow (-2^31 / -1), -2^31 and 0."""
    if not signed:
        return Mux(b == 0, 0xFFFF_FFFF, a // Mux(b == 0, 1, b))[:W], Mux(b == 0, a, a % Mux(b == 0, 1, b))[:W]
    na, nb = a[W - 1], b[W - 1]
    ma = Mux(na, -a, a)[:W]         # magnitudes (2^31 stays 2^31 as an unsigned value)
    mb = Mux(nb, -b, b)[:W]
    q = ma // Mux(mb == 0, 1, mb)
    r = ma % Mux(mb == 0, 1, mb)
    quot = Mux(na ^ nb, -q, q)[:W]
    rem = Mux(na, -r, r)[:W]
    return Mux(b == 0, 0xFFFF_FFFF, quot), Mux(b == 0, a, rem)


def _add3(a, b, c):
    return Cat(a, Const(0, 2)) + Cat(b, Const(0, 2)) + Cat(c, Const(0, 2))


def _borrow(a, b, c):
    """How many 2^32 must be added to a - b - c to make it non-negative (0..2)."""
    d = Cat(a, Const(0, 3)).as_signed() - Cat(b, Const(0, 3)).as_signed() - Cat(c, Const(0, 3)).as_signed()
    return Mux(d >= 0, 0, Mux(d >= -(1 << 32), 1, 2))


def _mac(a, b, c):
    return zext64(a) * zext64(b) + zext64(c)


# ---------------------------------------------------------------- the specifications
Spec = Callable[[Value, Value, Value, Value, Value], Value]

SPECS: dict[str, Spec] = {
    # RV32I
    "lui": lambda a, b, imm, pc, c: imm,
    "auipc": lambda a, b, imm, pc, c: pc + imm,
    "jal": lambda a, b, imm, pc, c: pc + 4,
    "jalr": lambda a, b, imm, pc, c: pc + 4,
    "addi": lambda a, b, imm, pc, c: a + imm,
    "slti": lambda a, b, imm, pc, c: signed_less(a, imm),
    "sltiu": lambda a, b, imm, pc, c: a < imm,
    "xori": lambda a, b, imm, pc, c: a ^ imm,
    "ori": lambda a, b, imm, pc, c: a | imm,
    "andi": lambda a, b, imm, pc, c: a & imm,
    "add": lambda a, b, imm, pc, c: a + b,
    "sub": lambda a, b, imm, pc, c: a + (~b) + 1,
    "slt": lambda a, b, imm, pc, c: signed_less(a, b),
    "sltu": lambda a, b, imm, pc, c: a < b,
    "xor": lambda a, b, imm, pc, c: a ^ b,
    "or": lambda a, b, imm, pc, c: a | b,
    "and": lambda a, b, imm, pc, c: a & b,
    "sll": lambda a, b, imm, pc, c: a << b[:5],
    "srl": lambda a, b, imm, pc, c: a >> b[:5],
    "sra": lambda a, b, imm, pc, c: sra(a, b[:5]),
    "slli": lambda a, b, imm, pc, c: a << imm[:5],
    "srli": lambda a, b, imm, pc, c: a >> imm[:5],
    "srai": lambda a, b, imm, pc, c: sra(a, imm[:5]),
    # M: the product of the operands as integers (signed or unsigned: 33-bit two's
    # complement holds both exactly), low or high word
    "mul": lambda a, b, imm, pc, c: (as_int(a, True) * as_int(b, True))[:32],
    "mulh": lambda a, b, imm, pc, c: (as_int(a, True) * as_int(b, True))[32:64],
    "mulhsu": lambda a, b, imm, pc, c: (as_int(a, True) * as_int(b, False))[32:64],
    "mulhu": lambda a, b, imm, pc, c: (as_int(a, False) * as_int(b, False))[32:64],
    "div": lambda a, b, imm, pc, c: divide(a, b, True)[0],
    "divu": lambda a, b, imm, pc, c: divide(a, b, False)[0],
    "rem": lambda a, b, imm, pc, c: divide(a, b, True)[1],
    "remu": lambda a, b, imm, pc, c: divide(a, b, False)[1],
    # Zbkb
    "andn": lambda a, b, imm, pc, c: a & ~b,
    "orn": lambda a, b, imm, pc, c: a | ~b,
    "xnor": lambda a, b, imm, pc, c: ~(a ^ b),
    "rol": lambda a, b, imm, pc, c: rol(a, b[:5]),
    "ror": lambda a, b, imm, pc, c: ror(a, b[:5]),
    "rori": lambda a, b, imm, pc, c: ror(a, imm[:5]),
    "pack": lambda a, b, imm, pc, c: Cat(a[:16], b[:16]),
    "packh": lambda a, b, imm, pc, c: Cat(a[:8], b[:8], Const(0, 16)),
    "brev8": lambda a, b, imm, pc, c: Cat(*(Cat(*reversed(list(byte(a, i)))) for i in range(4))),
    "rev8": lambda a, b, imm, pc, c: bswap(a),
    "zip": lambda a, b, imm, pc, c: Cat(*(Cat(a[i], a[i + 16]) for i in range(16))),
    "unzip": lambda a, b, imm, pc, c: Cat(Cat(*(a[2 * i] for i in range(16))),
                                          Cat(*(a[2 * i + 1] for i in range(16)))),
    # Zbkc
    "clmul": lambda a, b, imm, pc, c: Cat(*clmul_bits(a, b)[:32]),
    "clmulh": lambda a, b, imm, pc, c: Cat(*clmul_bits(a, b)[32:]),
    # Zbkx
    "xperm4": lambda a, b, imm, pc, c: xperm(a, b, 4),
    "xperm8": lambda a, b, imm, pc, c: xperm(a, b, 8),
    # Zknh: SHA-256 (FIPS 180-4 4.1.2) and the RV32 halves of SHA-512's (4.1.3)
    "sha256sum0": lambda a, b, imm, pc, c: ror(a, 2) ^ ror(a, 13) ^ ror(a, 22),
    "sha256sum1": lambda a, b, imm, pc, c: ror(a, 6) ^ ror(a, 11) ^ ror(a, 25),
    "sha256sig0": lambda a, b, imm, pc, c: ror(a, 7) ^ ror(a, 18) ^ (a >> 3),
    "sha256sig1": lambda a, b, imm, pc, c: ror(a, 17) ^ ror(a, 19) ^ (a >> 10),
    "sha512sum0r": half_low("sum0"),
    "sha512sum1r": half_low("sum1"),
    "sha512sig0l": half_low("sig0"),
    "sha512sig0h": half_high("sig0"),
    "sha512sig1l": half_low("sig1"),
    "sha512sig1h": half_high("sig1"),
    # Zksh: SM3's P0 and P1
    "sm3p0": lambda a, b, imm, pc, c: a ^ rol(a, 9) ^ rol(a, 17),
    "sm3p1": lambda a, b, imm, pc, c: a ^ rol(a, 15) ^ rol(a, 23),
    # Zkne, Zknd, Zksed: one S-box output at byte bs, mixed, rotated into place, XORed into a
    "aes32esi": byte_op(aes_tables(AES_SBOX, None)),
    "aes32esmi": byte_op(aes_tables(AES_SBOX, MIX)),
    "aes32dsi": byte_op(aes_tables(AES_INV_SBOX, None)),
    "aes32dsmi": byte_op(aes_tables(AES_INV_SBOX, INV_MIX)),
    "sm4ed": byte_op(sm4_tables(sm4_l)),
    "sm4ks": byte_op(sm4_tables(sm4_l_key)),
    # Xchain (docs/xchain.md)
    "maddlu": lambda a, b, imm, pc, c: _mac(a, b, c)[:32],
    "maddhu": lambda a, b, imm, pc, c: _mac(a, b, c)[32:64],
    "cadd": lambda a, b, imm, pc, c: c + (zext64(a) + zext64(b))[32:],
    "addc": lambda a, b, imm, pc, c: _add3(a, b, c)[:32],
    "addco": lambda a, b, imm, pc, c: _add3(a, b, c)[32:],
    "subc": lambda a, b, imm, pc, c: a - b - c,
    "subco": lambda a, b, imm, pc, c: _borrow(a, b, c),
    "xor3": lambda a, b, imm, pc, c: a ^ b ^ c,
    "andnxor": lambda a, b, imm, pc, c: a ^ (~b & c),
    "rolxor": lambda a, b, imm, pc, c: a ^ rol(b, imm[:5]),
    "xorrol": lambda a, b, imm, pc, c: rol(a ^ b, imm[:5]),
}


def spec(name: str, a: Value, b: Value, imm: Value, pc: Value, c: Value) -> Value:
    """The 32-bit result of instruction ``name``."""
    return Cat(SPECS[name](a, b, imm, pc, c), Const(0, W))[:W]


# ---------------------------------------------------------------- encodings
OP, OP_IMM, LUI, AUIPC = 0x33, 0x13, 0x37, 0x17


def _r(funct7: int, funct3: int, opcode: int = OP) -> tuple[int, int, str, str]:
    """R-type row: funct7, funct3 and the opcode fixed."""
    return 0xFE00707F, funct7 << 25 | funct3 << 12 | opcode, "none", "12"


def _i(funct3: int) -> tuple[int, int, str, str]:
    return 0x0000707F, funct3 << 12 | OP_IMM, "i", "1"


def _shift(funct7: int, funct3: int) -> tuple[int, int, str, str]:
    return 0xFE00707F, funct7 << 25 | funct3 << 12 | OP_IMM, "shamt", "1"


def _unary(imm12: int, funct3: int) -> tuple[int, int, str, str]:
    return 0xFFF0707F, imm12 << 20 | funct3 << 12 | OP_IMM, "none", "1"


def _bs(funct5: int) -> tuple[int, int, str, str]:
    """The byte-select rows: bits 29..25, funct3 = 0, OP; bs in bits 31..30."""
    return 0x3E00707F, funct5 << 25 | OP, "bs", "12"


#: name -> (mask, match, immediate kind, source registers read: "1", "2") for the rows
#: the core's insn check covers.
ENCODINGS: dict[str, tuple[int, int, str, str]] = {
    "lui": (0x7F, LUI, "u", ""), "auipc": (0x7F, AUIPC, "u", ""),
    "jal": (0x7F, 0x6F, "none", ""), "jalr": (0x707F, 0x67, "i", "1"),
    "mul": _r(0x01, 0), "mulh": _r(0x01, 1), "mulhsu": _r(0x01, 2), "mulhu": _r(0x01, 3),
    "div": _r(0x01, 4), "divu": _r(0x01, 5), "rem": _r(0x01, 6), "remu": _r(0x01, 7),
    "addi": _i(0), "slti": _i(2), "sltiu": _i(3), "xori": _i(4), "ori": _i(6), "andi": _i(7),
    "slli": _shift(0x00, 1), "srli": _shift(0x00, 5), "srai": _shift(0x20, 5),
    "add": _r(0x00, 0), "sub": _r(0x20, 0), "sll": _r(0x00, 1), "slt": _r(0x00, 2), "sltu": _r(0x00, 3),
    "xor": _r(0x00, 4), "srl": _r(0x00, 5), "sra": _r(0x20, 5), "or": _r(0x00, 6), "and": _r(0x00, 7),
    "andn": _r(0x20, 7), "orn": _r(0x20, 6), "xnor": _r(0x20, 4),
    "rol": _r(0x30, 1), "ror": _r(0x30, 5), "rori": _shift(0x30, 5),
    "pack": _r(0x04, 4), "packh": _r(0x04, 7),
    "brev8": _unary(0x687, 5), "rev8": _unary(0x698, 5), "zip": _unary(0x08F, 1), "unzip": _unary(0x08F, 5),
    "clmul": _r(0x05, 1), "clmulh": _r(0x05, 3),
    "xperm4": _r(0x14, 2), "xperm8": _r(0x14, 4),
    "sha256sum0": _unary(0x100, 1), "sha256sum1": _unary(0x101, 1),
    "sha256sig0": _unary(0x102, 1), "sha256sig1": _unary(0x103, 1),
    "sha512sum0r": _r(0x28, 0), "sha512sum1r": _r(0x29, 0), "sha512sig0l": _r(0x2A, 0),
    "sha512sig0h": _r(0x2E, 0), "sha512sig1l": _r(0x2B, 0), "sha512sig1h": _r(0x2F, 0),
    "sm3p0": _unary(0x108, 1), "sm3p1": _unary(0x109, 1),
    "aes32esi": _bs(0x11), "aes32esmi": _bs(0x13), "aes32dsi": _bs(0x15), "aes32dsmi": _bs(0x17),
    "sm4ed": _bs(0x18), "sm4ks": _bs(0x1A),
}


def immediate(kind: str, insn: Value) -> Value:
    """The ``imm`` a row of ``ENCODINGS`` gives its spec."""
    if kind == "i":
        return Cat(insn[20:32], insn[31].replicate(20))
    if kind == "u":
        return Cat(Const(0, 12), insn[12:32])
    if kind == "shamt":
        return insn[20:25]
    if kind == "bs":
        return insn[30:32]
    return Const(0, W)


# ---------------------------------------------------------------- control transfers
#: RV32I's conditional branches (opcode BRANCH): name -> funct3.
BRANCH, JAL, JALR = 0x63, 0x6F, 0x67
BRANCHES = {"beq": 0, "bne": 1, "blt": 4, "bge": 5, "bltu": 6, "bgeu": 7}


def branch_taken(name: str, a: Value, b: Value) -> Value:
    """Whether branch ``name`` is taken for rs1 = ``a``, rs2 = ``b`` (RV32I 2.5.2)."""
    return {"beq": a == b, "bne": a != b, "blt": signed_less(a, b), "bge": ~signed_less(a, b),
            "bltu": a < b, "bgeu": ~(a < b)}[name]


def imm_b(insn: Value) -> Value:
    """The B-type immediate: imm[12|10:5] in bits 31..25, imm[4:1|11] in bits 11..7."""
    return Cat(Const(0, 1), insn[8:12], insn[25:31], insn[7], insn[31].replicate(20))


def imm_j(insn: Value) -> Value:
    """The J-type immediate: imm[20|10:1|11|19:12] in bits 31..12."""
    return Cat(Const(0, 1), insn[21:31], insn[20], insn[12:20], insn[31].replicate(12))


def next_pc(insn: Value, pc: Value, a: Value, b: Value) -> tuple[Value, Value, Value]:
    """For a branch, ``jal`` or ``jalr`` word: (whether it is one, whether it jumps, the pc
    it continues at) (RV32I 2.5: jalr's target is rs1 + imm with bit 0 cleared)."""
    op = insn[0:7]
    f3 = insn[12:15]
    is_branch = (op == BRANCH) & f3.matches(*BRANCHES.values())
    taken = Const(0, 1)
    for name, code in BRANCHES.items():
        taken = Mux(f3 == code, branch_taken(name, a, b), taken)
    is_jalr = (op == JALR) & (f3 == 0)
    jalr_target = Cat(Const(0, 1), (a + immediate("i", insn))[1:W])
    target = Mux(op == JAL, pc + imm_j(insn),
                 Mux(is_jalr, jalr_target, Mux(taken, pc + imm_b(insn), pc + 4)))
    return is_branch | (op == JAL) | is_jalr, (op == JAL) | is_jalr | (is_branch & taken), target[:W]


# ---------------------------------------------------------------- stand-ins
#: The multiplication rows' stand-ins (as riscv-formal's ALTOPS): a cheap function of
#: the operands, different per row (a sum or a difference, XORed with a constant), that
#: replaces the product on both sides of the insn check of the M rows. It checks what
#: surrounds the multiplier in the core (which operands reach it, which row's result is
#: taken, forwarded and retired) without a multiplier for the solver; the products
#: themselves are the unit proofs'. mulhsu's is a difference: its operands do not commute.
ALT_MUL = {"mul": (False, 0x5876_063E), "mulh": (False, 0xF658_3FB7), "mulhsu": (True, 0xECFB_E137),
           "mulhu": (False, 0x949C_E5E8)}


def alt_mul(name: str, a: Value, b: Value) -> Value:
    sub, key = ALT_MUL[name]
    return ((a - b) if sub else (a + b))[:W] ^ key


#: The division rows' stand-ins, as ``ALT_MUL`` (riscv-formal's ALTOPS uses these): a
#: difference, so that operands swapped on the way to the divider show.
ALT_DIV = {"div": 0x7F85_29EC, "divu": 0x10E8_FD70, "rem": 0x8DA6_8FA5, "remu": 0x3138_D0E1}


def alt_div(name: str, a: Value, b: Value) -> Value:
    return (a - b)[:W] ^ ALT_DIV[name]


# ---------------------------------------------------------------- loads, stores, CSRs
#: RV32I's loads (opcode LOAD): name -> (funct3, bytes, sign-extended), and stores
#: (opcode STORE): name -> (funct3, bytes) (RV32I 2.6).
LOAD, STORE, SYSTEM = 0x03, 0x23, 0x73
LOADS = {"lb": (0, 1, True), "lh": (1, 2, True), "lw": (2, 4, False), "lbu": (4, 1, False),
         "lhu": (5, 2, False)}
STORES = {"sb": (0, 1), "sh": (1, 2), "sw": (2, 4)}


def imm_s(insn: Value) -> Value:
    """The S-type immediate: imm[11:5] in bits 31..25, imm[4:0] in bits 11..7."""
    return Cat(insn[7:12], insn[25:32], insn[31].replicate(20))


def load_value(word: Value, offset: Value, size: int, sign: bool) -> Value:
    """What a load of ``size`` bytes at byte ``offset`` of the aligned ``word`` writes
    to rd: the bytes from the offset on (little-endian), sign- or zero-extended."""
    bits = 8 * size
    part = (word >> (offset * 8))[:bits]
    return Cat(part, (part[bits - 1] if sign else Const(0, 1)).replicate(W - bits))[:W]


#: Zicsr's instructions (opcode SYSTEM): name -> funct3; the ``i`` forms take the
#: 5-bit zero-extended immediate in the rs1 field instead of x[rs1].
CSR_OPS = {"csrrw": 1, "csrrs": 2, "csrrc": 3, "csrrwi": 5, "csrrsi": 6, "csrrci": 7}
#: The CSR the csr check follows: mscratch (privileged spec, 3.1.17), read/write with
#: no side effect and no field the hardware changes.
MSCRATCH = 0x340
#: The CSRs the csr check can follow: name -> (number, the bits a CSR instruction can
#: change, the bits that always read 1, whether a trap or MRET changes it), from the
#: privileged specification (3.1) for a machine-mode-only hart with IALIGN = 32 and
#: direct-mode traps, and docs/hdl.md for what it leaves to the hart:
#: mscratch: read/write, no side effect (3.1.17);
#: mtvec: BASE read/write, MODE WARL and the hart has direct mode only, so bits 1..0
#:   read 0 (3.1.7); no trap changes it;
#: mie: MSIE (bit 3), MTIE (7) and MEIE (11) writable (docs/hdl.md: as QEMU's virt),
#:   the other bits read 0 (3.1.9: no S-mode, no other interrupts); no trap changes it;
#: mstatus: MIE (bit 3) and MPIE (7) writable, MPP (12..11) reads 3 on a hart with
#:   machine mode only (3.1.6.1), every other field 0; trap entry and MRET change MIE
#:   and MPIE (the csr check forgets the value then, the mret check follows it);
#: mepc: bits 1..0 read 0 with IALIGN = 32 (3.1.14); trap entry writes it;
#: mcause, mtval: every bit writable (mcause is WLRL, 3.1.15: the hart keeps all 32
#:   bits, isa/csrs.py, docs/hdl.md); trap entry writes them.
CSR_FIELDS = {
    "mscratch": (MSCRATCH, 0xFFFF_FFFF, 0, False),
    "mtvec": (0x305, 0xFFFF_FFFC, 0, False),
    "mie": (0x304, (1 << 3) | (1 << 7) | (1 << 11), 0, False),
    "mstatus": (0x300, (1 << 3) | (1 << 7), 0b11 << 11, True),
    "mepc": (0x341, 0xFFFF_FFFC, 0, True),
    "mcause": (0x342, 0xFFFF_FFFF, 0, True),
    "mtval": (0x343, 0xFFFF_FFFF, 0, True),
}
#: MRET's word (privileged spec 3.3.2).
MRET = 0x3020_0073
#: ECALL's and EBREAK's words (RV32I 2.8) and the trap CSRs (privileged spec 3.1.14-16).
ECALL, EBREAK = 0x0000_0073, 0x0010_0073
MEPC, MCAUSE, MTVAL = 0x341, 0x342, 0x343
#: mcause of an environment call from M-mode and of a breakpoint (privileged spec 3.1.15,
#: table 14), and of the machine timer interrupt (interrupt bit 31, code 7), which the
#: instruction in EX may take first; mtval of ebreak is its pc (the hart's choice, as
#: Spike and Sail: docs/hdl.md), of ecall and of an interrupt 0 (3.1.16).
CAUSE_ECALL, CAUSE_EBREAK, CAUSE_TIMER = 11, 3, (1 << 31) | 7


def csr_write(name: str, old: Value, src: Value) -> Value:
    """The CSR's new value after ``name`` with source ``src`` (Zicsr: write, set the
    bits of src, clear the bits of src)."""
    kind = name.removesuffix("i")
    return {"csrrw": src, "csrrs": old | src, "csrrc": old & ~src}[kind]


# ---------------------------------------------------------------- traps: legality, causes
#: MISC-MEM's opcode: FENCE is funct3 0, its fm, pred, succ, rs1 and rd fields ignored by
#: a base implementation (RV32I 2.7); funct3 1 (FENCE.I) is Zifencei's, not RV32I's.
MISC_MEM = 0x0F
#: WFI's word (privileged spec 3.3.3), legal in M-mode.
WFI = 0x1050_0073
#: The CSRs of this hart: docs/hdl.md's list (the platform's choice), their numbers from
#: the privileged spec's tables 2.2-2.5 (machine information, trap setup and handling,
#: counters; the unprivileged counters of Zicntr). Any other number is an illegal
#: instruction (privileged spec 2.1: an access to a CSR that does not exist).
HART_CSRS = {
    "mstatus": 0x300, "misa": 0x301, "mie": 0x304, "mtvec": 0x305, "mscratch": 0x340, "mepc": 0x341,
    "mcause": 0x342, "mtval": 0x343, "mip": 0x344, "mcycle": 0xB00, "minstret": 0xB02, "mcycleh": 0xB80,
    "minstreth": 0xB82, "cycle": 0xC00, "time": 0xC01, "instret": 0xC02, "cycleh": 0xC80, "timeh": 0xC81,
    "instreth": 0xC82, "mvendorid": 0xF11, "marchid": 0xF12, "mimpid": 0xF13, "mhartid": 0xF14,
}
#: The counters (Zicntr, privileged spec 3.1.10): mcycle counts clock cycles, minstret
#: instructions retired; cycle and instret are their read-only shadows.
COUNTERS = {name: HART_CSRS[name] for name in ("mcycle", "minstret", "cycle", "instret")}
#: Exception causes (privileged spec 3.1.15, table 3.6).
CAUSE_FETCH_MISALIGNED, CAUSE_FETCH_FAULT, CAUSE_ILLEGAL = 0, 1, 2
CAUSE_LOAD_MISALIGNED, CAUSE_LOAD_FAULT, CAUSE_STORE_MISALIGNED, CAUSE_STORE_FAULT = 4, 5, 6, 7
#: mstatus's MIE and MPIE (privileged spec 3.1.6.1).
MSTATUS_MIE, MSTATUS_MPIE = 1 << 3, 1 << 7


def csr_writes(insn: Value) -> Value:
    """Whether a Zicsr word writes its CSR (Zicsr: csrrw/csrrwi always, the set and clear
    forms unless rs1 is x0 or the immediate 0)."""
    return (insn[12:14] == 1) | (insn[15:20] != 0)


def legal_rv32i_zicsr(insn: Value) -> Value:
    """Whether ``insn`` is a legal word of RV32I with Zicsr (and Zicntr's CSRs) on a hart
    with machine mode only and this hart's CSRs: RV32I's rows (chapter 2: ``ENCODINGS``'s
    RV32I rows, the branches, loads, stores, FENCE with its reserved fields ignored,
    ECALL, EBREAK), MRET and WFI (privileged spec 3.3), and the six Zicsr rows on a CSR of
    ``HART_CSRS``, none writing a read-only one (number bits 11..10 = 0b11, privileged
    spec 2.1). Nothing else: not M, not Zifencei, not the crypto rows (they are illegal
    words of this ISA)."""
    rv32i = ("lui", "auipc", "jal", "jalr", "addi", "slti", "sltiu", "xori", "ori", "andi", "slli", "srli",
             "srai", "add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and")
    op, f3 = insn[0:7], insn[12:15]
    legal = Const(0, 1)
    for name in rv32i:
        mask, match, _, _ = ENCODINGS[name]
        legal = legal | ((insn & mask) == match)
    legal = legal | ((op == BRANCH) & f3.matches(*BRANCHES.values()))
    legal = legal | ((op == LOAD) & f3.matches(*(f for f, _, _ in LOADS.values())))
    legal = legal | ((op == STORE) & f3.matches(*(f for f, _ in STORES.values())))
    legal = legal | ((op == MISC_MEM) & (f3 == 0))
    for word in (ECALL, EBREAK, MRET, WFI):
        legal = legal | (insn == word)
    number = insn[20:32]
    known = number.matches(*HART_CSRS.values())
    read_only = number[10:12] == 0b11
    csr = (op == SYSTEM) & f3.matches(*CSR_OPS.values()) & known & ~(read_only & csr_writes(insn))
    return legal | csr


def in_region(addr: Value, base: int, size: int) -> Value:
    return (addr >= base) & (addr < base + size)


def data_region_ok(addr: Value, size: int, ram_size: int) -> Value:
    """Whether a load or store of ``size`` bytes at ``addr`` reaches memory or a device
    (isa.memmap, docs/platform.md: the RAM, the UART, the finisher, the CLINT); the
    finisher takes 2- and 4-byte accesses only (as QEMU's sifive_test: docs/simulator.md).
    Any other address is an access fault."""
    ok = in_region(addr, RAM_BASE, ram_size)
    for base, length in DEVICE_REGIONS:
        if base == FINISHER_BASE and size == 1:
            continue
        ok = ok | in_region(addr, base, length)
    return ok


def exception(insn: Value, pc: Value, a: Value, b: Value, ram_size: int) -> tuple[Value, Value, Value]:
    """The synchronous exception a record of ``insn`` at ``pc`` with x[rs1] = ``a`` and
    x[rs2] = ``b`` takes on this hart (RV32I with Zicsr, machine mode only): (whether
    it takes one, mcause, mtval). The priority is privileged spec table 3.7's with the
    choices it leaves made as docs/hdl.md says: an instruction access fault (a pc
    outside the RAM, mtval the pc), an illegal instruction (mtval the word), ECALL
    (mtval 0), EBREAK (mtval its pc, as Spike and Sail), a misaligned target of a
    taken jump or branch (IALIGN = 32: not 4-byte aligned; mtval the target), a
    misaligned load or store (before its access fault; mtval the address), a load or
    store access fault (mtval the address)."""
    op, f3 = insn[0:7], insn[12:15]
    _, jumps, target = next_pc(insn, pc, a, b)
    load_addr = (a + immediate("i", insn))[:W]
    store_addr = (a + imm_s(insn))[:W]
    # (condition, cause, mtval) by priority, highest first
    rows = [(~in_region(pc, RAM_BASE, ram_size), CAUSE_FETCH_FAULT, pc),
            (~legal_rv32i_zicsr(insn), CAUSE_ILLEGAL, insn),
            (insn == ECALL, CAUSE_ECALL, Const(0, W)),
            (insn == EBREAK, CAUSE_EBREAK, pc),
            (jumps & (target[:2] != 0), CAUSE_FETCH_MISALIGNED, target)]
    accesses = ((LOAD, LOADS, load_addr, CAUSE_LOAD_MISALIGNED, CAUSE_LOAD_FAULT),
                (STORE, STORES, store_addr, CAUSE_STORE_MISALIGNED, CAUSE_STORE_FAULT))
    for opcode, table, addr, misaligned, fault in accesses:
        for row in table.values():
            funct3, size = row[0], row[1]
            this = (op == opcode) & (f3 == funct3)
            rows.append((this & (addr & (size - 1) != 0), misaligned, addr))
            rows.append((this & ~data_region_ok(addr, size, ram_size), fault, addr))
    exc, cause, tval = Const(0, 1), Const(0, W), Const(0, W)
    for cond, c, t in reversed(rows):
        exc = exc | cond
        cause = Mux(cond, c, cause)
        tval = Mux(cond, t, tval)
    return exc, cause, tval


def mstatus_trap(value: Value) -> Value:
    """mstatus after trap entry (privileged spec 3.1.6.1: MPIE <- MIE, MIE <- 0; MPP <- M,
    which reads 3 anyway)."""
    mie = value[3]
    return (value & ~(MSTATUS_MIE | MSTATUS_MPIE)) | Mux(mie, MSTATUS_MPIE, 0)


def mstatus_mret(value: Value) -> Value:
    """mstatus after MRET (privileged spec 3.3.2: MIE <- MPIE, MPIE <- 1)."""
    mpie = value[7]
    return (value & ~MSTATUS_MIE) | MSTATUS_MPIE | Mux(mpie, MSTATUS_MIE, 0)
