"""Golden semantics: the meaning of every instruction, written once.

Each function works on plain integers holding unsigned 32-bit values and
returns one. They are ordinary Python functions (the reference that the HDL
tests check against) and, through ``register_jitable``, are compiled inline
into the Numba ISS, so the simulator never carries a second definition.

Rules that keep one body valid in both worlds: inputs are in [0, 2**32);
every result is masked; no intermediate exceeds 63 bits (MULHU splits its
product); tables are int64 numpy arrays read through ``int()``.

Signatures by kind (see ``isa.table``):
  alu, div:  f(a, b, imm, pc) -> rd        a = x[rs1], b = x[rs2]
  alu3:      f(a, b, c, pc) -> rd          c = x[rs3] (Xchain R4 format)
  branch:    f(a, b) -> 1 if taken else 0
  load:      f(raw) -> rd                  raw = the little-endian bytes read
  csr:       f(old, src) -> new CSR value  src = x[rs1] or zimm
"""

from __future__ import annotations

from collections.abc import Callable

from .jitable import jitable
from .sboxes import AES_INV_SBOX, AES_SBOX, SM4_SBOX

M = 0xFFFFFFFF


# ---------------------------------------------------------------- helpers
@jitable
def sx(x):
    """Signed value of a 32-bit word."""
    return ((x & M) ^ 0x80000000) - 0x80000000


@jitable
def rol32(x, n):
    n &= 31
    return ((x << n) | (x >> (32 - n))) & M


@jitable
def ror32(x, n):
    n &= 31
    return ((x >> n) | (x << (32 - n))) & M


@jitable
def xtime(x):
    """Multiply by x in GF(2^8) (AES polynomial)."""
    return ((x << 1) ^ (0x11B if x & 0x80 else 0)) & 0xFF


@jitable
def gfmul(x, k):
    r = 0
    for i in range(4):
        if (k >> i) & 1:
            r ^= x
        x = xtime(x)
    return r


# ---------------------------------------------------------------- RV32I
@jitable
def lui(a, b, imm, pc):
    return imm & M


@jitable
def auipc(a, b, imm, pc):
    return (pc + imm) & M


@jitable
def jal(a, b, imm, pc):
    return (pc + 4) & M


@jitable
def jalr(a, b, imm, pc):
    return (pc + 4) & M


@jitable
def jalr_target(a, imm):
    return (a + imm) & M & ~1


@jitable
def addi(a, b, imm, pc):
    return (a + imm) & M


@jitable
def slti(a, b, imm, pc):
    return 1 if sx(a) < sx(imm) else 0


@jitable
def sltiu(a, b, imm, pc):
    return 1 if a < (imm & M) else 0


@jitable
def xori(a, b, imm, pc):
    return (a ^ imm) & M


@jitable
def ori(a, b, imm, pc):
    return (a | imm) & M


@jitable
def andi(a, b, imm, pc):
    return (a & imm) & M


@jitable
def slli(a, b, imm, pc):
    return (a << (imm & 31)) & M


@jitable
def srli(a, b, imm, pc):
    return a >> (imm & 31)


@jitable
def srai(a, b, imm, pc):
    return (sx(a) >> (imm & 31)) & M


@jitable
def add(a, b, imm, pc):
    return (a + b) & M


@jitable
def sub(a, b, imm, pc):
    return (a - b) & M


@jitable
def sll(a, b, imm, pc):
    return (a << (b & 31)) & M


@jitable
def slt(a, b, imm, pc):
    return 1 if sx(a) < sx(b) else 0


@jitable
def sltu(a, b, imm, pc):
    return 1 if a < b else 0


@jitable
def xor(a, b, imm, pc):
    return a ^ b


@jitable
def srl(a, b, imm, pc):
    return a >> (b & 31)


@jitable
def sra(a, b, imm, pc):
    return (sx(a) >> (b & 31)) & M


@jitable
def or_(a, b, imm, pc):
    return a | b


@jitable
def and_(a, b, imm, pc):
    return a & b


# branches
@jitable
def beq(a, b):
    return 1 if a == b else 0


@jitable
def bne(a, b):
    return 1 if a != b else 0


@jitable
def blt(a, b):
    return 1 if sx(a) < sx(b) else 0


@jitable
def bge(a, b):
    return 1 if sx(a) >= sx(b) else 0


@jitable
def bltu(a, b):
    return 1 if a < b else 0


@jitable
def bgeu(a, b):
    return 1 if a >= b else 0


# loads: raw little-endian value -> register value
@jitable
def lb(raw):
    return (((raw & 0xFF) ^ 0x80) - 0x80) & M


@jitable
def lh(raw):
    return (((raw & 0xFFFF) ^ 0x8000) - 0x8000) & M


@jitable
def lw(raw):
    return raw & M


@jitable
def lbu(raw):
    return raw & 0xFF


@jitable
def lhu(raw):
    return raw & 0xFFFF


# Zicsr: new CSR value from the old one and the source operand
@jitable
def csrrw(old, src):
    return src & M


@jitable
def csrrs(old, src):
    return (old | src) & M


@jitable
def csrrc(old, src):
    return old & ~src & M


# ---------------------------------------------------------------- M
@jitable
def mul(a, b, imm, pc):
    return (a * b) & M


@jitable
def mulh(a, b, imm, pc):
    return ((sx(a) * sx(b)) >> 32) & M


@jitable
def mulhsu(a, b, imm, pc):
    return ((sx(a) * b) >> 32) & M


@jitable
def mulhu(a, b, imm, pc):
    # The full product needs 64 unsigned bits: build it from 16-bit halves.
    al, ah, bl, bh = a & 0xFFFF, a >> 16, b & 0xFFFF, b >> 16
    lh_, hl_ = al * bh, ah * bl
    mid = ((al * bl) >> 16) + (lh_ & 0xFFFF) + (hl_ & 0xFFFF)
    return (ah * bh + (lh_ >> 16) + (hl_ >> 16) + (mid >> 16)) & M


@jitable
def div(a, b, imm, pc):
    if b == 0:
        return M
    sa, sb = sx(a), sx(b)
    if sa == -0x80000000 and sb == -1:
        return a
    q = abs(sa) // abs(sb)
    return (-q if (sa < 0) != (sb < 0) else q) & M


@jitable
def divu(a, b, imm, pc):
    return M if b == 0 else a // b


@jitable
def rem(a, b, imm, pc):
    if b == 0:
        return a
    sa, sb = sx(a), sx(b)
    if sa == -0x80000000 and sb == -1:
        return 0
    r = abs(sa) % abs(sb)
    return (-r if sa < 0 else r) & M


@jitable
def remu(a, b, imm, pc):
    return a if b == 0 else a % b


# ---------------------------------------------------------------- Zbkb
@jitable
def andn(a, b, imm, pc):
    return a & ~b & M


@jitable
def orn(a, b, imm, pc):
    return (a | ~b) & M


@jitable
def xnor(a, b, imm, pc):
    return ~(a ^ b) & M


@jitable
def rol(a, b, imm, pc):
    return rol32(a, b)


@jitable
def ror(a, b, imm, pc):
    return ror32(a, b)


@jitable
def rori(a, b, imm, pc):
    return ror32(a, imm)


@jitable
def pack(a, b, imm, pc):
    return ((b & 0xFFFF) << 16) | (a & 0xFFFF)


@jitable
def packh(a, b, imm, pc):
    return ((b & 0xFF) << 8) | (a & 0xFF)


@jitable
def brev8(a, b, imm, pc):
    r = 0
    for i in range(32):
        r |= ((a >> i) & 1) << ((i & ~7) + 7 - (i & 7))
    return r


@jitable
def rev8(a, b, imm, pc):
    return (((a & 0xFF) << 24) | ((a & 0xFF00) << 8)
            | ((a >> 8) & 0xFF00) | ((a >> 24) & 0xFF))


@jitable
def zip_(a, b, imm, pc):
    r = 0
    for i in range(16):
        r |= ((a >> i) & 1) << (2 * i) | ((a >> (i + 16)) & 1) << (2 * i + 1)
    return r


@jitable
def unzip(a, b, imm, pc):
    r = 0
    for i in range(16):
        r |= ((a >> (2 * i)) & 1) << i | ((a >> (2 * i + 1)) & 1) << (i + 16)
    return r


# ---------------------------------------------------------------- Zbkc
@jitable
def clmul_full(a, b):
    r = 0
    for i in range(32):
        if (b >> i) & 1:
            r ^= a << i
    return r


@jitable
def clmul(a, b, imm, pc):
    return clmul_full(a, b) & M


@jitable
def clmulh(a, b, imm, pc):
    return (clmul_full(a, b) >> 32) & M


# ---------------------------------------------------------------- Zbkx
@jitable
def xperm8(a, b, imm, pc):
    r = 0
    for i in range(4):
        idx = (b >> (8 * i)) & 0xFF
        if idx < 4:
            r |= ((a >> (8 * idx)) & 0xFF) << (8 * i)
    return r


@jitable
def xperm4(a, b, imm, pc):
    r = 0
    for i in range(8):
        idx = (b >> (4 * i)) & 0xF
        if idx < 8:
            r |= ((a >> (4 * idx)) & 0xF) << (4 * i)
    return r


# ---------------------------------------------------------------- Zknh
@jitable
def sha256sum0(a, b, imm, pc):
    return ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)


@jitable
def sha256sum1(a, b, imm, pc):
    return ror32(a, 6) ^ ror32(a, 11) ^ ror32(a, 25)


@jitable
def sha256sig0(a, b, imm, pc):
    return ror32(a, 7) ^ ror32(a, 18) ^ (a >> 3)


@jitable
def sha256sig1(a, b, imm, pc):
    return ror32(a, 17) ^ ror32(a, 19) ^ (a >> 10)


@jitable
def sha512sum0r(a, b, imm, pc):
    return ((a << 25) ^ (a << 30) ^ (a >> 28) ^ (b >> 7) ^ (b >> 2) ^ (b << 4)) & M


@jitable
def sha512sum1r(a, b, imm, pc):
    return ((a << 23) ^ (a >> 14) ^ (a >> 18) ^ (b >> 9) ^ (b << 18) ^ (b << 14)) & M


@jitable
def sha512sig0l(a, b, imm, pc):
    return ((a >> 1) ^ (a >> 7) ^ (a >> 8) ^ (b << 31) ^ (b << 25) ^ (b << 24)) & M


@jitable
def sha512sig0h(a, b, imm, pc):
    return ((a >> 1) ^ (a >> 7) ^ (a >> 8) ^ (b << 31) ^ (b << 24)) & M


@jitable
def sha512sig1l(a, b, imm, pc):
    return ((a << 3) ^ (a >> 6) ^ (a >> 19) ^ (b >> 29) ^ (b << 26) ^ (b << 13)) & M


@jitable
def sha512sig1h(a, b, imm, pc):
    return ((a << 3) ^ (a >> 6) ^ (a >> 19) ^ (b >> 29) ^ (b << 13)) & M


# ---------------------------------------------------------------- Zksh
@jitable
def sm3p0(a, b, imm, pc):
    return a ^ rol32(a, 9) ^ rol32(a, 17)


@jitable
def sm3p1(a, b, imm, pc):
    return a ^ rol32(a, 15) ^ rol32(a, 23)


# ---------------------------------------------------------------- Zkne / Zknd
@jitable
def aes_mix_fwd(so):
    return (gfmul(so, 3) << 24) | (so << 16) | (so << 8) | gfmul(so, 2)


@jitable
def aes_mix_inv(so):
    return (gfmul(so, 0xB) << 24) | (gfmul(so, 0xD) << 16) | (gfmul(so, 0x9) << 8) | gfmul(so, 0xE)


@jitable
def aes32esi(a, b, imm, pc):
    shamt = (imm & 3) * 8
    return a ^ rol32(int(AES_SBOX[(b >> shamt) & 0xFF]), shamt)


@jitable
def aes32esmi(a, b, imm, pc):
    shamt = (imm & 3) * 8
    return a ^ rol32(aes_mix_fwd(int(AES_SBOX[(b >> shamt) & 0xFF])), shamt)


@jitable
def aes32dsi(a, b, imm, pc):
    shamt = (imm & 3) * 8
    return a ^ rol32(int(AES_INV_SBOX[(b >> shamt) & 0xFF]), shamt)


@jitable
def aes32dsmi(a, b, imm, pc):
    shamt = (imm & 3) * 8
    return a ^ rol32(aes_mix_inv(int(AES_INV_SBOX[(b >> shamt) & 0xFF])), shamt)


# ---------------------------------------------------------------- Zksed
@jitable
def sm4ed(a, b, imm, pc):
    shamt = (imm & 3) * 8
    x = int(SM4_SBOX[(b >> shamt) & 0xFF])
    y = x ^ (x << 8) ^ (x << 2) ^ (x << 18) ^ ((x & 0x3F) << 26) ^ ((x & 0xC0) << 10)
    return a ^ rol32(y & M, shamt)


@jitable
def sm4ks(a, b, imm, pc):
    shamt = (imm & 3) * 8
    x = int(SM4_SBOX[(b >> shamt) & 0xFF])
    y = x ^ ((x & 0x07) << 29) ^ ((x & 0xFE) << 7) ^ ((x & 0x01) << 23) ^ ((x & 0xF8) << 13)
    return a ^ rol32(y & M, shamt)


# ---------------------------------------------------------------- Xchain
# Custom extension for signatures and Keccak (docs/xchain.md).  Multi-
# precision rows (custom-0) treat all operands as unsigned 32-bit words.
@jitable
def madd_parts(a, b, c):
    """(hi, lo) of the 64-bit a * b + c, built from 16-bit halves so that no
    intermediate exceeds 34 bits (a * b + c < 2^64 always fits the pair)."""
    al, ah, bl, bh = a & 0xFFFF, a >> 16, b & 0xFFFF, b >> 16
    mid = al * bh + ah * bl
    low = al * bl + ((mid & 0xFFFF) << 16) + c
    return (ah * bh + (mid >> 16) + (low >> 32)) & M, low & M


@jitable
def maddlu(a, b, c, pc):
    return madd_parts(a, b, c)[1]


@jitable
def maddhu(a, b, c, pc):
    return madd_parts(a, b, c)[0]


@jitable
def cadd(a, b, c, pc):
    # carry of a + b, added to an accumulator c
    return (c + ((a + b) >> 32)) & M


@jitable
def addc(a, b, c, pc):
    return (a + b + c) & M


@jitable
def addco(a, b, c, pc):
    # a + b + c = addc + 2^32 * addco, addco in 0..2
    return (a + b + c) >> 32


@jitable
def subc(a, b, c, pc):
    return (a - b - c) & M


@jitable
def subco(a, b, c, pc):
    # a - b - c = subc - 2^32 * subco, subco in 0..2 (the borrow)
    return (-((a - b - c) >> 32)) & M


@jitable
def xor3(a, b, c, pc):
    return a ^ b ^ c


@jitable
def andnxor(a, b, c, pc):
    # Keccak chi on one lane half: a ^ (~b & c)
    return (a ^ (~b & c)) & M


@jitable
def rolxor(a, b, imm, pc):
    # theta's D = C[x-1] ^ rot(C[x+1], 1) on bit-interleaved halves
    return a ^ rol32(b, imm & 31)


@jitable
def xorrol(a, b, imm, pc):
    # theta + rho: rot(A ^ D, r) on bit-interleaved halves
    return rol32(a ^ b, imm & 31)


# ---------------------------------------------------------------- registry
def _collect() -> dict[str, Callable]:
    from .table import INSNS

    g = globals()
    out: dict[str, Callable] = {}
    for insn in INSNS:
        fn = g.get(insn.name) or g.get(insn.name + "_")
        if fn is not None:
            out[insn.name] = fn
    for imm_form in ("csrrwi", "csrrsi", "csrrci"):
        out[imm_form] = out[imm_form[:-1]]
    return out


#: name -> golden function, for every instruction that has a value semantics
SEMANTICS: dict[str, Callable] = _collect()

#: loads: name -> (bytes, extend function); stores: name -> bytes
LOAD_WIDTH: dict[str, int] = {"lb": 1, "lh": 2, "lw": 4, "lbu": 1, "lhu": 2}
STORE_WIDTH: dict[str, int] = {"sb": 1, "sh": 2, "sw": 4}
