"""True LRU state of a set-associative cache: per set, the rank of every way.

Rank 0 is the most recently used way, ``ways - 1`` the least. An access to a way
gives it rank 0 and moves every way that was more recent one rank down, so the
ranks stay a permutation (they start as 0, 1, ...). The ranks live in a memory
read in the cycle a lookup is sent (``raddr``/``ren``, transparent to a write in the
same cycle) and written when the access is decided (``waddr``/``wen``/``way``).
"""

from __future__ import annotations

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out


class LruRanks(wiring.Component):
    def __init__(self, ways: int, sets: int):
        self.ways, self.sets = ways, sets
        self.bits = max((ways - 1).bit_length(), 1)
        sb = max((sets - 1).bit_length(), 1)
        super().__init__({
            "raddr": In(sb), "ren": In(1), "waddr": In(sb), "wen": In(1),
            "way": In(range(max(ways, 2))), "oldest": Out(range(max(ways, 2))),
        })

    def elaborate(self, platform):
        m = Module()
        ways, bits = self.ways, self.bits
        if ways == 1:
            return m
        start = sum(w << (w * bits) for w in range(ways))
        mem = Memory(shape=ways * bits, depth=self.sets, init=[start] * self.sets)
        m.submodules.mem = mem
        wp = mem.write_port()
        rp = mem.read_port(transparent_for=(wp,))
        m.d.comb += [rp.addr.eq(self.raddr), rp.en.eq(self.ren)]
        rank = [rp.data[w * bits:(w + 1) * bits] for w in range(ways)]
        for w in range(ways):
            with m.If(rank[w] == ways - 1):
                m.d.comb += self.oldest.eq(w)
        mine = Signal(bits)
        for w in range(ways):
            with m.If(self.way == w):
                m.d.comb += mine.eq(rank[w])
        new = [Signal(bits, name=f"new{w}") for w in range(ways)]
        for w in range(ways):
            with m.If(self.way == w):
                m.d.comb += new[w].eq(0)
            with m.Elif(rank[w] < mine):
                m.d.comb += new[w].eq(rank[w] + 1)
            with m.Else():
                m.d.comb += new[w].eq(rank[w])
        m.d.comb += [wp.addr.eq(self.waddr), wp.en.eq(self.wen), wp.data.eq(Cat(*new))]
        return m
