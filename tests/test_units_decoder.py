"""The decoder's outputs other than ``op`` and the fields (which
``cocotb_tests/test_decoder_pysim.py`` checks): its kind flags, ``writes_rd``,
``reads_rs*`` and the extra flags the core asks for (``is_mul``), in Amaranth's
simulator, for words of every enabled row with random operand bits, against what
``isa.table`` says of the row. Each output is decoded from a few bits (those that tell
the rows that set it from the rows that do not), exact for legal words only, so the
words here are legal ones."""

from __future__ import annotations

import random

import pytest
from amaranth.sim import Simulator

from hdl.units.decoder import KIND_FLAGS, WRITES_RD, Decoder
from hdl.units.mulseq import MAC_NAMES
from hdl.units.mulseq import NAMES as MUL_NAMES
from isa.config import IsaConfig
from isa.table import INSNS

ISAS = ("rv32im", "rv32im_zicsr_zk_zks", "rv32im_zicsr_zk_zks_xchain", "rv32im_zicsr_zbkb_zbkc_zbkx")


def _expected(insn, flags: dict[str, frozenset[str]]) -> dict[str, int]:
    want = {f"is_{k}": int(insn.kind == k) for k in KIND_FLAGS}
    want["writes_rd"] = int(insn.kind in WRITES_RD)
    want["reads_rs1"] = int("rs1" in insn.operands)
    want["reads_rs2"] = int("rs2" in insn.operands)
    want["op"] = insn.op
    want.update({k: int(insn.name in v) for k, v in flags.items()})
    return want


@pytest.mark.parametrize("isa", ISAS)
def test_flags_of_every_row(isa: str) -> None:
    config = IsaConfig.parse(isa)
    flags = {"is_mul": frozenset(MUL_NAMES + MAC_NAMES)}
    dut = Decoder(config, flags=flags)
    rows = [i for i in INSNS if i.ext in config]
    rng = random.Random(11)
    words = [(i, (rng.getrandbits(32) & ~i.mask) | i.match) for i in rows for _ in range(8)]
    errors: list[str] = []

    async def bench(ctx):
        for insn, word in words:
            ctx.set(dut.insn, word)
            assert ctx.get(dut.legal), f"{word:#010x} ({insn.name}) not legal"
            want = _expected(insn, flags)
            got = {k: ctx.get(getattr(dut, k)) for k in want}
            if got != want:
                bad = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
                errors.append(f"{word:#010x} ({insn.name}): got/want {bad}")

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    assert not errors[:10]
    assert any(i.name in flags["is_mul"] for i in rows)  # the flag is set by some row here
