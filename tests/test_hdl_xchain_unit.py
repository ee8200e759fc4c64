"""The Xchain unit (hdl/units/xchain.py) in Amaranth's simulator against the golden
``isa.semantics`` of each of its rows: the three-operand sums and differences (one carry
chain after a carry-save level), ``cadd`` (c + 1 or c chosen by a + b's carry) and the
rest, at the corners of the operands' range (carries and borrows of 0, 1 and 2) and at
random values, with and without the multiply-accumulate rows (the fpga core computes
those in its pipelined multiplier and the unit gives 0 for them)."""

from __future__ import annotations

import random

import pytest
from amaranth.sim import Simulator

from hdl.units.xchain import Xchain
from isa.semantics import SEMANTICS
from isa.table import BY_NAME

CORNERS = (0, 1, 2, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF, 0x1234_5678)
MAC_ROWS = ("maddlu", "maddhu")
ROT_ROWS = ("rolxor", "xorrol")  # their third input is the rotate amount (imm)


def _cases(seed: int, count: int) -> list[tuple[str, int, int, int]]:
    rng = random.Random(seed)
    cases = [
        (n, a, b, c)
        for n in Xchain.NAMES
        if n not in ROT_ROWS
        for a in CORNERS
        for b in CORNERS
        for c in CORNERS
        if rng.random() < 0.05
    ]
    cases += [(n, a, b, k) for n in ROT_ROWS for a in CORNERS[:4] for b in CORNERS for k in (0, 1, 17, 31)]
    cases += [
        (rng.choice(Xchain.NAMES), rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(32))
        for _ in range(count)
    ]
    return cases


@pytest.mark.parametrize("mac", [True, False])
def test_xchain_unit_against_semantics(mac: bool) -> None:
    unit = Xchain(mac=mac)
    cases = _cases(5, 400)
    got = []

    async def bench(ctx) -> None:
        for name, a, b, third in cases:
            ctx.set(unit.op, BY_NAME[name].op)
            ctx.set(unit.a, a)
            ctx.set(unit.b, b)
            if name in ROT_ROWS:
                ctx.set(unit.imm, third)
                ctx.set(unit.c, 0)
            else:
                ctx.set(unit.imm, 0)
                ctx.set(unit.c, third)
            await ctx.delay(1e-9)
            got.append(ctx.get(unit.result))

    sim = Simulator(unit)
    sim.add_testbench(bench)
    sim.run()
    assert len(got) == len(cases)
    for (name, a, b, third), value in zip(cases, got, strict=True):
        want = 0 if name in MAC_ROWS and not mac else SEMANTICS[name](a, b, third, 0)
        assert value == want, (name, hex(a), hex(b), hex(third), hex(value), hex(want))
