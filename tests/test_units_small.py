"""The units a core built for area takes (``hdl.core.built_small``) against independent
references: the ALU against the same specs as ``alu.ALU`` (``hdl/formal/specs.py``),
every operand, by a one-step proof (marker ``formal``); the divider's and the
multiplier's small forms in Amaranth's simulator against ``isa.semantics``, with the
latency of ``isa.timing`` (corner and random operands)."""

from __future__ import annotations

import random

import pytest
from amaranth.sim import Simulator

from hdl.formal import sby
from hdl.formal.units import UnitEquivalence
from hdl.units.alu_small import SmallALU
from hdl.units.divider import Divider
from hdl.units.mulseq import IterMultiplier
from isa.semantics import SEMANTICS
from isa.table import BY_NAME
from isa.timing import DIV_EXTRA

CORNERS = (0, 1, 2, 3, 7, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xFFFF_FFFF, 0xFFFF_FFFE, 0x1234_5678)


@pytest.mark.formal
@pytest.mark.skipif(bool(sby.missing_tools(("yices",))), reason="missing formal tools")
@pytest.mark.parametrize("others", [False, True], ids=["spec", "others_zero"])
def test_small_alu(others: bool, tmp_path) -> None:
    """Each row's result is its spec's; any other row's is 0 (the core ORs the units)."""
    harness = UnitEquivalence(SmallALU, others=others)
    result = sby.run(harness, harness.ports, tmp_path, depth=1, timeout=600)
    assert result.status == "PASS", result.summary()


def _cases(names: tuple[str, ...], count: int, seed: int) -> list[tuple[str, int, int]]:
    rng = random.Random(seed)
    cases = [(n, a, b) for n in names for a in CORNERS for b in CORNERS if rng.random() < 0.3]
    cases += [(rng.choice(names), rng.getrandbits(32), rng.getrandbits(32) >> rng.randrange(32))
              for _ in range(count)]
    return cases


def _run_sequential(unit, cases, latency: int) -> list[tuple[str, int, int, int, int]]:
    """Each case started on ``unit`` (operands held, as EX holds them) and acknowledged
    when done: (name, a, b, result, the cycle done was first seen, 0 = the start's)."""
    out = []
    sim = Simulator(unit)
    sim.add_clock(1e-6)

    async def bench(ctx) -> None:
        for name, a, b in cases:
            ctx.set(unit.op, BY_NAME[name].op)
            ctx.set(unit.a, a)
            ctx.set(unit.b, b)
            ctx.set(unit.start, 1)
            cycle = 0
            while not ctx.get(unit.done) and cycle < latency + 4:
                await ctx.tick()
                ctx.set(unit.start, 0)
                cycle += 1
            out.append((name, a, b, ctx.get(unit.result), cycle))
            ctx.set(unit.ack, 1)
            await ctx.tick()
            ctx.set(unit.ack, 0)
            ctx.set(unit.start, 0)

    sim.add_testbench(bench)
    sim.run()
    return out


def test_small_divider() -> None:
    """div, divu, rem, remu: the golden result, done in the same cycle as the divider's."""
    names = ("div", "divu", "rem", "remu")
    for name, a, b, got, cycle in _run_sequential(Divider(small=True), _cases(names, 60, 1), DIV_EXTRA + 1):
        assert cycle == DIV_EXTRA, (name, hex(a), hex(b))
        assert got == SEMANTICS[name](a, b, 0, 0), (name, hex(a), hex(b), hex(got))


@pytest.mark.parametrize("bits", [1, 4, 8, 16])
def test_small_iter_multiplier(bits: int) -> None:
    """mul, mulh, mulhsu, mulhu: the golden result, done after 32 / BITS cycles as the
    iterative multiplier's rule says (its first EX cycle is the start's)."""
    names = ("mul", "mulh", "mulhsu", "mulhu")
    cases = _cases(names, 40 if bits > 1 else 10, bits)
    if bits == 1:
        cases = cases[::4]
    for name, a, b, got, cycle in _run_sequential(IterMultiplier(bits, small=True), cases, 32 // bits):
        assert cycle == 32 // bits - 1, (name, hex(a), hex(b))
        assert got == SEMANTICS[name](a, b, 0, 0), (name, hex(a), hex(b), hex(got))
