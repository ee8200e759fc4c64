"""What the instruction and data caches share: the address split of a geometry and
the per-way tag and line memories (``units/fetch.py``, ``units/dside.py``)."""

from amaranth import Const, Module, Signal
from amaranth.hdl import Value
from amaranth.lib.memory import Memory

from isa.uarch import Cache


class Geometry:
    """A cache's address fields: byte offset in the line, set index, tag."""

    def __init__(self, c: Cache):
        self.cache = c
        self.off_bits = (c.line - 1).bit_length()
        self.set_bits = (c.sets - 1).bit_length()
        self.tag_bits = 32 - self.off_bits - self.set_bits
        self.word_bits = self.off_bits - 2

    def set_of(self, a: Value) -> Value:
        return a[self.off_bits:self.off_bits + self.set_bits] if self.set_bits else Const(0, 1)

    def tag_of(self, a: Value) -> Value:
        return a[self.off_bits + self.set_bits:]

    def word_of(self, a: Value) -> Value:
        return a[2:self.off_bits] if self.word_bits else Const(0, 1)

    def line_base(self, a: Value) -> Value:
        return a & ~((1 << self.off_bits) - 1)


def way_memories(m: Module, g: Geometry, granularity: int, raddr: Value,
                 ren: Value) -> tuple[list, list, list, list]:
    """Per way a tag memory and a line memory (a whole line per entry, written in
    ``granularity``-bit lanes), read at ``raddr`` when ``ren`` (transparent to a write
    in the same cycle): the read ports of tags and lines, then their write ports."""
    tag_rd, line_rd, tag_wr, line_wr = [], [], [], []
    for w in range(g.cache.ways):
        t = Memory(shape=g.tag_bits, depth=g.cache.sets, init=[])
        d = Memory(shape=g.cache.line * 8, depth=g.cache.sets, init=[])
        m.submodules[f"tag{w}"] = t
        m.submodules[f"line{w}"] = d
        tw, dw = t.write_port(), d.write_port(granularity=granularity)
        tr, dr = t.read_port(transparent_for=(tw,)), d.read_port(transparent_for=(dw,))
        m.d.comb += [tr.addr.eq(raddr), tr.en.eq(ren), dr.addr.eq(raddr), dr.en.eq(ren)]
        tag_rd.append(tr)
        line_rd.append(dr)
        tag_wr.append(tw)
        line_wr.append(dw)
    return tag_rd, line_rd, tag_wr, line_wr


def lookup(m: Module, g: Geometry, valid: Value, tag_rd: list, set_: Value, tag: Value,
           oldest: Value) -> tuple[Value, Value, Value]:
    """The ways of set ``set_`` that hold ``tag`` (valid bits in ``valid``, one per set
    and way), the lowest of them, and the victim for a refill: the lowest invalid way,
    else ``oldest`` (the least recently used)."""
    ways = g.cache.ways
    hits = Signal(ways)
    hit_way = Signal(range(max(ways, 2)))
    victim = Signal(range(max(ways, 2)))
    m.d.comb += victim.eq(oldest)
    for w in range(ways):
        m.d.comb += hits[w].eq(valid.bit_select(set_ * ways + w, 1) & (tag_rd[w].data == tag))
    for w in reversed(range(ways)):
        with m.If(hits[w]):
            m.d.comb += hit_way.eq(w)
        with m.If(~valid.bit_select(set_ * ways + w, 1)):
            m.d.comb += victim.eq(w)
    return hits, hit_way, victim
