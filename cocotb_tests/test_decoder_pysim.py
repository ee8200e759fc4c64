"""The generated decoder against ``isa.encoding.decode`` (Amaranth's Python simulator)."""

from __future__ import annotations

import random

import pytest
from amaranth.sim import Simulator

from hdl.units.decoder import Decoder
from isa.config import FULL, IsaConfig
from isa.encoding import decode
from isa.table import INSNS

M = 0xFFFFFFFF


def _check(config: IsaConfig, words: list[int]) -> list[str]:
    dut = Decoder(config)
    errors: list[str] = []

    async def bench(ctx):
        for word in words:
            ctx.set(dut.insn, word)
            want = decode(word, config)
            legal = ctx.get(dut.legal)
            if want is None:
                if legal:
                    errors.append(f"{word:#010x}: decoded as op {ctx.get(dut.op)}, want illegal")
                continue
            got = (legal, ctx.get(dut.op), ctx.get(dut.rd), ctx.get(dut.rs1), ctx.get(dut.rs2),
                   ctx.get(dut.imm), ctx.get(dut.reads_rs1), ctx.get(dut.reads_rs2))
            exp = (1, want.op, want.rd, want.rs1, want.rs2, want.imm & M,
                   int("rs1" in want.insn.args), int("rs2" in want.insn.args))
            if hasattr(dut, "rs3"):     # three-source rows: rs3's number is decode()'s imm
                three = "rs3" in want.insn.args
                got += (ctx.get(dut.rs3) if three else 0, ctx.get(dut.reads_rs3))
                exp += (want.imm if three else 0, int(three))
            if got != exp:
                errors.append(f"{word:#010x} ({want.name}): got {got}, want {exp}")

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    return errors


def _random_encodings(rng: random.Random, per_insn: int) -> list[int]:
    return [(rng.getrandbits(32) & ~i.mask) | i.match for i in INSNS for _ in range(per_insn)]


def test_every_table_entry_with_random_fields() -> None:
    rng = random.Random(7)
    words = _random_encodings(rng, 12)
    assert not _check(FULL, words)[:10]


def test_random_words_including_illegal() -> None:
    rng = random.Random(8)
    words = [rng.getrandbits(32) for _ in range(1500)]
    # random words with a valid major opcode reach deeper into the match logic
    words += [(rng.getrandbits(25) << 7) | rng.choice((0x13, 0x33, 0x73, 0x0F)) for _ in range(1500)]
    assert sum(decode(w, FULL) is None for w in words) > 1000   # mostly illegal words
    assert not _check(FULL, words)[:10]


@pytest.mark.parametrize("isa", ["rv32im", "rv32i", "rv32im_zbkb", "rv32im_zkne_zksh"])
def test_switched_off_extensions_are_illegal(isa: str) -> None:
    config = IsaConfig.parse(isa)
    rng = random.Random(isa)
    words = _random_encodings(rng, 3)
    assert any(decode(w, config) is None for w in words)
    assert not _check(config, words)[:10]


def test_xchain_rows_and_rs3() -> None:
    config = IsaConfig.parse("rv32im_zicsr_zk_zks_xchain")
    rng = random.Random(9)
    words = _random_encodings(rng, 12)
    # reserved encodings of the two custom opcodes must stay illegal
    words += [(rng.getrandbits(25) << 7) | rng.choice((0x0B, 0x2B)) for _ in range(800)]
    assert any(decode(w, config) is None for w in words)
    assert not _check(config, words)[:10]
