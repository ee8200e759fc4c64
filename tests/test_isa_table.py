"""The table is consistent, and encoder and decoder invert each other."""

import random

import pytest

from isa import INSNS, IsaConfig, IsaError, decode, encode
from isa.config import FULL
from isa.csrs import BY_NUMBER, MEPC, MIE, MSTATUS, MTVEC
from isa.encoding import immediate
from isa.privileged import aligned_write, mie_write, mstatus_write
from isa.semantics import SEMANTICS

RNG = random.Random(1234)


def random_operands(insn, rng):
    """Random operands for ``insn`` in the form ``encode`` takes."""
    f = insn.fmt
    ops = {"rd": rng.randrange(32) if "rd" in insn.args else 0,
           "rs1": rng.randrange(32) if ("rs1" in insn.args or "zimm" in insn.args) else 0,
           "rs2": rng.randrange(32) if "rs2" in insn.args else 0}
    imm = 0
    if f in ("I", "L", "S", "Ijalr"):
        imm = rng.randrange(-2048, 2048)
    elif f == "B":
        imm = rng.randrange(-4096, 4096, 2)
    elif f == "J":
        imm = rng.randrange(-(1 << 20), 1 << 20, 2)
    elif f == "U":
        imm = rng.randrange(1 << 20) << 12
    elif f == "Ishift":
        imm = rng.randrange(32)
    elif f == "Rbs":
        imm = rng.randrange(4)
    elif f in ("csr", "csri"):
        imm = rng.randrange(4096)
    elif f == "fence":
        imm = rng.randrange(256)
    ops["imm"] = imm
    return ops


def test_no_two_rows_overlap():
    # A word matching two rows would make decoding ambiguous.
    for a in INSNS:
        for b in INSNS:
            if a.op < b.op:
                common = a.mask & b.mask
                assert (a.match & common) != (b.match & common), (a.name, b.name)


@pytest.mark.parametrize("insn", INSNS, ids=lambda i: i.name)
def test_round_trip(insn):
    for _ in range(200):
        ops = random_operands(insn, RNG)
        word = encode(insn.name, **ops)
        d = decode(word)
        assert d is not None and d.insn is insn
        assert (d.rd, d.rs1, d.rs2, d.imm) == (ops["rd"], ops["rs1"], ops["rs2"], ops["imm"])
        assert immediate(insn, word) == ops["imm"]


def test_every_value_instruction_has_semantics():
    kinds_with_value = {"alu", "div", "branch", "load", "jal", "jalr", "csr"}
    missing = [i.name for i in INSNS if i.kind in kinds_with_value and i.name not in SEMANTICS]
    assert missing == []


@pytest.mark.parametrize("number,golden", [(MSTATUS, mstatus_write), (MIE, mie_write),
                                            (MTVEC, aligned_write), (MEPC, aligned_write)])
def test_csr_write_functions_follow_the_csr_table(number, golden):
    # The ISS writes through the golden functions, the RTL by the table's wmask and fixed bits.
    csr = BY_NUMBER[number]
    for v in [0, 0xFFFFFFFF] + [RNG.getrandbits(32) for _ in range(200)]:
        assert golden(v) == (v & csr.wmask) | csr.fixed, (csr.name, hex(v))


def test_switched_off_extension_is_illegal():
    word = encode("sha256sig0", rd=1, rs1=2)
    assert decode(word, FULL).name == "sha256sig0"
    assert decode(word, IsaConfig.parse("rv32im_zbkb")) is None
    assert decode(encode("mul", 1, 2, 3), IsaConfig.parse("rv32i")) is None
    assert decode(encode("ror", 1, 2, 3), IsaConfig.parse("rv32im_zbkb")).name == "ror"


def test_illegal_words():
    for w in (0x00000000, 0xFFFFFFFF, 0x0000007F, 0x02000033 | (1 << 27)):
        assert decode(w) is None


@pytest.mark.parametrize("text,expect", [
    ("rv32im", {"i", "m", "zicsr", "zicntr"}),
    ("rv32im_zbkb", {"i", "m", "zicsr", "zicntr", "zbkb"}),
    ("rv32im_zicsr_zk_zks", {"i", "m", "zicsr", "zicntr", "zbkb", "zbkc", "zbkx", "zkne",
                             "zknd", "zknh", "zksed", "zksh", "zkt"}),
    ("RV32IM+zbkb+zknh", {"i", "m", "zicsr", "zicntr", "zbkb", "zknh"}),
    ("rv32i_zks", {"i", "zicsr", "zicntr", "zbkb", "zbkc", "zbkx", "zksed", "zksh"}),
])
def test_isa_strings(text, expect):
    cfg = IsaConfig.parse(text)
    assert cfg.extensions == expect
    assert IsaConfig.parse(str(cfg)) == cfg


@pytest.mark.parametrize("bad", ["rv64im", "rv32imc", "rv32im_zfoo", "x86", "rv32im_zbkb_",
                                 "rv32g", "rv32m"])
def test_bad_isa_strings(bad):
    with pytest.raises(IsaError) as e:
        IsaConfig.parse(bad)
    assert "\n" not in str(e.value)
