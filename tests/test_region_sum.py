"""``hdl.core.sum_in_region``: the access-fault regions decided from the address's two
addends, without the adder, against the plain comparison of their sum."""

import random

from amaranth import Module, Signal
from amaranth.sim import Simulator

from hdl.core import sum_in_region
from isa.memmap import DEVICE_REGIONS, RAM_BASE

REGIONS = [(RAM_BASE, 4096), (RAM_BASE, 1 << 20), *DEVICE_REGIONS, (0, 16), (0xFFFF_F000, 4096)]


def _cases(rnd: random.Random, n: int):
    """(a, b) pairs whose sums sit on and around every region's edges, and random ones."""
    for _ in range(n):
        base, size = rnd.choice(REGIONS)
        total = rnd.choice([base, base + size - 1, base + size, base - 1, base + rnd.randrange(size),
                            rnd.getrandbits(32)]) % 2**32
        a = rnd.choice([rnd.getrandbits(32), rnd.getrandbits(32), 0, 0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF,
                        rnd.getrandbits(12)])
        yield a, (total - a) % 2**32


def test_sum_in_region_matches_the_sum():
    a, b = Signal(32), Signal(32)
    hits = [Signal(name=f"hit{k}") for k in range(len(REGIONS))]
    m = Module()
    m.d.comb += [h.eq(sum_in_region(a, b, base, size)) for h, (base, size) in zip(hits, REGIONS, strict=True)]
    sim = Simulator(m)
    checked = []

    async def bench(ctx):
        for av, bv in _cases(random.Random(22), 3000):
            ctx.set(a, av)
            ctx.set(b, bv)
            total = (av + bv) % 2**32
            for h, (base, size) in zip(hits, REGIONS, strict=True):
                assert ctx.get(h) == (base <= total < base + size), (hex(av), hex(bv), hex(base), size)
            checked.append(total)

    sim.add_testbench(bench)
    sim.run()
    assert len(checked) == 3000
    inside = sum(any(base <= t < base + size for base, size in REGIONS) for t in checked)
    assert 300 < inside < 2700      # both answers were asked for many times
