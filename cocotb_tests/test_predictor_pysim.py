"""The branch history table (Amaranth's simulator) against a model written from the
rules of docs/timing.md, "Prediction": direct-mapped on pc[2:], an entry predicts
taken when it holds the pc with a counter of at least 2; an update at the end of a
cycle counts up or down on a hit, allocates (counter 2, the target) on a taken miss,
and is not seen by a lookup in its own cycle. Reset empties the table.
"""

from __future__ import annotations

import random

import pytest
from amaranth import ClockDomain, Module
from amaranth.sim import Simulator

from hdl.units.predictor import BranchTable


class Model:
    """The table as the rules state it: index -> (pc, target, counter)."""

    def __init__(self, entries: int):
        self.entries = entries
        self.rows: dict[int, tuple[int, int, int]] = {}

    def predict(self, pc: int) -> tuple[bool, int | None]:
        row = self.rows.get((pc >> 2) % self.entries)
        if row is None or row[0] != pc:
            return False, None
        return row[2] >= 2, row[1]

    def update(self, pc: int, target: int, taken: bool) -> None:
        k = (pc >> 2) % self.entries
        row = self.rows.get(k)
        if row is not None and row[0] == pc:
            ctr = min(row[2] + 1, 3) if taken else max(row[2] - 1, 0)
            self.rows[k] = (pc, target if taken else row[1], ctr)
        elif taken:
            self.rows[k] = (pc, target, 2)


def _pcs(rng: random.Random, entries: int) -> list[int]:
    """Branch addresses that share indices (aliases differ above the index bits), a
    few far apart in the address space."""
    base = 0x8000_0000
    pcs = [base + 4 * rng.randrange(2 * entries) for _ in range(6)]
    pcs += [pc ^ (1 << rng.randrange(2 + (entries - 1).bit_length(), 32)) for pc in pcs[:4]]
    return pcs


def _run(entries: int, seed: int, cycles: int = 1500) -> int:
    rng = random.Random(seed)
    dut = BranchTable(entries)
    top = Module()
    top.domains.sync = cd = ClockDomain()
    top.submodules.dut = dut
    model = Model(entries)
    pcs = _pcs(rng, entries)
    checked = 0

    async def bench(ctx) -> None:
        nonlocal model, checked
        for cycle in range(cycles):
            if cycle == cycles // 2:        # reset: every entry invalid again
                ctx.set(cd.rst, 1)
                await ctx.tick()
                ctx.set(cd.rst, 0)
                model = Model(entries)
            pc = rng.choice(pcs)
            upd = rng.random() < 0.6
            upc = pc if rng.random() < 0.3 else rng.choice(pcs)    # often the one looked up
            target = rng.choice((0x8000_0100, 0x8000_0f00, rng.randrange(1 << 30) << 2))
            taken = rng.random() < 0.7
            ctx.set(dut.pc, pc)
            ctx.set(dut.upd, upd)
            ctx.set(dut.upd_pc, upc)
            ctx.set(dut.upd_target, target)
            ctx.set(dut.upd_taken, taken)
            want_taken, want_target = model.predict(pc)
            got_taken = bool(ctx.get(dut.taken))
            assert got_taken == want_taken, f"cycle {cycle}: pc {pc:#x}"
            if got_taken:
                assert ctx.get(dut.target) == want_target, f"cycle {cycle}: pc {pc:#x}"
                checked += 1
            await ctx.tick()
            if upd:                          # seen from the next cycle on
                model.update(upc, target, taken)

    sim = Simulator(top)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return checked


@pytest.mark.parametrize("entries, seed", [(2, 1), (4, 2), (64, 3), (64, 4), (4096, 5)])
def test_branch_table_follows_the_rules(entries: int, seed: int) -> None:
    assert _run(entries, seed) > 100      # many taken predictions, each target checked


def test_model_states_the_rules() -> None:
    """The model itself, by hand: allocate at 2, saturate at 3, fall to 1 (not taken
    any more), a not-taken miss allocates nothing, an alias replaces the entry."""
    t = Model(4)
    t.update(0x100, 0x200, False)
    assert t.predict(0x100) == (False, None)
    t.update(0x100, 0x200, True)
    assert t.predict(0x100) == (True, 0x200)
    for _ in range(3):
        t.update(0x100, 0x300, True)
    assert t.rows[0] == (0x100, 0x300, 3)
    t.update(0x100, 0x999, False)
    t.update(0x100, 0x999, False)
    assert t.predict(0x100) == (False, 0x300) and t.rows[0][2] == 1
    t.update(0x110, 0x400, True)            # same index (pc[2:4] == 0), other pc
    assert t.predict(0x100) == (False, None) and t.predict(0x110) == (True, 0x400)
