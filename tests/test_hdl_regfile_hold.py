"""The register file's read flip-flops held (``units/regfile.py``, ``hold``) and the CSR
access rule decided from the fetched word (``units/csr.py``, ``word_access_fault``),
both in Amaranth's simulator.

The register file: port k gives in cycle t+1 the register it holds in cycle t (the
address given in t, or while ``hold`` the one it held before) with every write up to
cycle t-1 in it and not the write of cycle t, the timing the core's bypass is built
for. Both forms (``hold`` and the plain one, addressed again with the held register
while the caller holds) are driven with random writes, addresses and holds and checked
against a model of 32 words written the cycle after each write.

The CSR rule: for every CSR instruction, every CSR number of the table and numbers
outside it, with a zero and a nonzero rs1/zimm field, the word's decode says illegal
exactly when the number is not in ``isa.csrs.CSRS`` or the instruction writes (csrrw
and csrrwi always, the others for a nonzero field) a read-only CSR."""

from __future__ import annotations

import random

import pytest
from amaranth import Module, Mux, Signal
from amaranth.sim import Simulator

from hdl.units.csr import word_access_fault
from hdl.units.regfile import regfile
from isa.csrs import BY_NUMBER, CSRS

PORTS = 2
CYCLES = 600


def _bench(with_hold: bool):
    m = Module()
    addrs = [Signal(5, name=f"addr{k}") for k in range(PORTS)]
    we, waddr, wdata, hold = Signal(), Signal(5), Signal(32), Signal()
    if with_hold:
        data = regfile(m, addrs, we, waddr, wdata, hold=hold)
    else:  # the caller reads its held register again (the form built small)
        held = [Signal(5, name=f"held{k}") for k in range(PORTS)]
        reads = [Mux(hold, h, a) for h, a in zip(held, addrs, strict=True)]
        for h, r in zip(held, reads, strict=True):
            m.d.sync += h.eq(r)
        data = regfile(m, reads, we, waddr, wdata)
    return m, addrs, we, waddr, wdata, hold, data


@pytest.mark.parametrize("with_hold", [True, False], ids=["hold", "reread"])
def test_regfile_read_timing(with_hold: bool) -> None:
    m, addrs, we, waddr, wdata, hold, data = _bench(with_hold)
    rng = random.Random(7)
    checked = []

    async def bench(ctx):
        state = [0] * 32  # the words with every write up to the last cycle's
        pending = None  # this cycle's write, in the model from the next cycle on
        held = [0] * PORTS
        expect = None
        for _ in range(CYCLES):
            # a few registers, so that writes often hit a held or read register
            h = rng.random() < 0.4
            a = [rng.choice((1, 2, 3, rng.randrange(32))) for _ in range(PORTS)]
            w = rng.random() < 0.7
            wa, wd = rng.choice((1, 2, 3, rng.randrange(32))), rng.getrandbits(32)
            ctx.set(hold, h)
            for s, v in zip(addrs, a, strict=True):
                ctx.set(s, v)
            ctx.set(we, w)
            ctx.set(waddr, wa)
            ctx.set(wdata, wd)
            if expect is not None:
                assert [ctx.get(d) for d in data] == expect
                checked.append(expect)
            held = held if h else a
            if pending is not None:  # last cycle's write
                state[pending[0]] = pending[1]
            expect = [state[r] for r in held]  # next cycle's: without this cycle's write
            pending = (wa, wd) if w else None
            await ctx.tick()

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    assert len(checked) == CYCLES - 1


def _words():
    numbers = sorted(BY_NUMBER) + [0x000, 0x7FF, 0xFFF, 0x345 ^ 0x800]
    for funct3, rw in ((1, True), (2, False), (3, False), (5, True), (6, False), (7, False)):
        for number in numbers:
            for field in (0, 1, 17, 31):
                yield (number << 20) | (field << 15) | (funct3 << 12) | (5 << 7) | 0x73, number, rw, field


def test_csr_access_rule_from_the_word() -> None:
    word, bad = Signal(32), Signal()
    m = Module()
    m.d.comb += bad.eq(word_access_fault(word))
    cases = list(_words())
    read_only = {c.number for c in CSRS if c.read_only}

    async def bench(ctx):
        for w, number, rw, field in cases:
            ctx.set(word, w)
            known = number in BY_NUMBER
            writes = rw or field != 0
            assert ctx.get(bad) == (not known or (writes and number in read_only)), hex(w)

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert any(n not in BY_NUMBER for _, n, _, _ in cases) and read_only
