"""Every table row is decoded and dispatched to its isa.semantics function by the njit loop."""

from __future__ import annotations

import random

import pytest

from isa import timing
from isa.config import IsaConfig
from isa.encoding import decode, encode
from isa.semantics import LOAD_WIDTH, SEMANTICS
from isa.table import INSNS
from simulator import Machine
from simulator.decoder import ILLEGAL, decode_word, dispatched

EDGE = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)
VALUE_ROWS = [i for i in dispatched() if i.kind in ("alu", "div", "alu3") and i.name not in ("jal", "jalr")]


def _fields(insn, rng: random.Random) -> dict:
    kw = {"rd": rng.randrange(1, 32), "rs1": rng.randrange(1, 32), "rs2": rng.randrange(1, 32)}
    f = insn.fmt
    kw["imm"] = {"I": rng.randrange(-2048, 2048), "Ishift": rng.randrange(32), "Rbs": rng.randrange(4),
                 "U": rng.getrandbits(20) << 12}.get(f, 0)
    return kw


def test_every_row_is_dispatched() -> None:
    missing = [i.name for i in INSNS if i not in dispatched()]
    assert not missing, f"rows without golden semantics: {missing}"


def test_decoder_matches_isa_decode() -> None:
    enabled = Machine().enabled
    full = IsaConfig.parse("rv32im_zicsr_zk_zks")
    rng = random.Random(1)
    words = [i.match | (rng.getrandbits(32) & ~i.mask) for i in INSNS for _ in range(20)]
    words += [rng.getrandbits(32) | 3 for _ in range(3000)]
    for w in words:
        ref = decode(w, full)
        op, rd, rs1, rs2, imm = decode_word(w, enabled)
        if ref is None:
            assert op == ILLEGAL, hex(w)
            continue
        assert op == ref.op, (hex(w), ref.name)
        assert rd == (ref.rd or (32 if "rd" in ref.insn.args else 0))
        if ref.insn.fmt == "csri":
            assert (rs1, imm) == (0, ref.imm | ref.rs1 << 12)
        else:
            assert (rs1, rs2) == (ref.rs1, ref.rs2), ref.name
            assert imm & 0xFFFFFFFF == ref.imm & 0xFFFFFFFF, ref.name


@pytest.mark.parametrize("insn", VALUE_ROWS, ids=lambda i: i.name)
def test_value_instruction_through_the_loop(insn) -> None:
    rng = random.Random(insn.op)
    for k in range(12):
        kw = _fields(insn, rng)
        if insn.kind == "alu3":
            kw.pop("imm")
        word = encode(insn.name, **{k2: v for k2, v in kw.items() if k2 != "rs3"})
        d = decode(word)
        a = rng.choice(EDGE) if k < 5 else rng.getrandbits(32)
        b = rng.choice(EDGE) if k % 2 else rng.getrandbits(32)
        c = rng.getrandbits(32)
        m = Machine("rv32im_zicsr_zk_zks_xchain", ram_size=4096)
        m.write_mem(0x80000000, word.to_bytes(4, "little"))
        m.regs[d.rs1] = a
        m.regs[d.rs2] = b if d.rs2 != d.rs1 else a
        b = int(m.regs[d.rs2])
        if insn.kind == "alu3":
            r3 = (word >> 27) & 31
            if r3 not in (d.rs1, d.rs2):
                m.regs[r3] = c
            c = int(m.regs[r3])
            want = SEMANTICS[insn.name](a, b, c, 0x80000000)
        else:
            want = SEMANTICS[insn.name](a, b, d.imm, 0x80000000)
        res = m.run(max_instructions=1)
        assert res.stop == "limit" and res.instret == 1, (insn.name, res.trap)
        assert m.reg(d.rd) == want, (insn.name, hex(a), hex(b), d.imm)
        # a division retires DIV_EXTRA cycles late itself; nothing is left pending
        extra = timing.DIV_EXTRA if insn.kind == "div" else 0
        assert res.cycles == timing.PIPELINE_FILL + 1 + extra
        assert m.st[2] == 0


@pytest.mark.parametrize("name", sorted(LOAD_WIDTH))
def test_loads_through_the_loop(name: str) -> None:
    rng = random.Random(7)
    for _ in range(8):
        raw = rng.getrandbits(32).to_bytes(4, "little")
        m = Machine(ram_size=4096)
        m.write_mem(0x80000000, encode(name, rd=5, rs1=6, imm=0x100).to_bytes(4, "little"))
        m.write_mem(0x80000100, raw)
        m.regs[6] = 0x80000000
        m.run(max_instructions=1)
        assert m.reg(5) == SEMANTICS[name](int.from_bytes(raw[:LOAD_WIDTH[name]], "little"))


@pytest.mark.parametrize("name", ["beq", "bne", "blt", "bge", "bltu", "bgeu"])
def test_branches_through_the_loop(name: str) -> None:
    rng = random.Random(3)
    for k in range(16):
        a, b = rng.choice(EDGE), rng.choice(EDGE) if k % 2 else rng.getrandbits(32)
        m = Machine(ram_size=4096)
        m.write_mem(0x80000000, encode(name, rs1=1, rs2=2, imm=64).to_bytes(4, "little"))
        m.regs[1], m.regs[2] = a, b
        m.run(max_instructions=1)
        assert m.pc == (0x80000040 if SEMANTICS[name](a, b) else 0x80000004)


@pytest.mark.parametrize("isa", ["rv32im", "rv32i", "rv32im_zbkb"])
def test_switched_off_extensions_are_illegal(isa: str) -> None:
    cfg = IsaConfig.parse(isa)
    for insn in INSNS:
        if insn.ext in cfg or insn.kind == "system":
            continue
        word = encode(insn.name, **({"rd": 1, "rs1": 2} if "rd" in insn.args else {}))
        m = Machine(isa, ram_size=4096)
        m.write_mem(0x80000000, word.to_bytes(4, "little"))
        res = m.run(max_instructions=2)
        assert res.stop == "trap" and "illegal instruction" in res.trap, insn.name
        assert f"{word:08x}" in res.trap
