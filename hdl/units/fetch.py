"""The instruction side: the word of the instruction in ID, from RAM directly, after
wait states, or through the instruction cache (docs/timing.md, "Fetch").

Protocol with the pipeline. In the cycle IF sends a fetch (``req``, the address in
``addr``, ``ok`` when it lies in RAM) the unit starts its lookup; in the next cycle
(the instruction is in ID) it looks up, unless ``live`` is low (the fetch was
squashed by a redirect in either cycle: it then does nothing at all). ``ready`` says
that ID's word is in ``data``; it stays until the next ``req``. ``busy`` forbids a
``req`` (a miss or a wait on the bus still running, even for a squashed fetch).
"""


from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from isa.uarch import Uarch

from ..buses import IBusSignature
from .cache_arrays import Geometry, lookup, way_memories
from .lru import LruRanks


class Fetch(wiring.Component):
    req: In(1)
    addr: In(32)
    ok: In(1)
    live: In(1)
    ready: Out(1)
    data: Out(32)
    busy: Out(1)
    bus: Out(IBusSignature)
    hit: Out(1)     # pulses: a lookup hit / missed (counters, tests)
    miss: Out(1)
    invalidate: In(1)   # fence.i: every line invalid

    def __init__(self, uarch: Uarch, ram_size: int):
        self.uarch = uarch
        self.ram_size = ram_size
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        u = self.uarch
        if u.icache is not None:
            self._cache(m)
        elif u.mem:
            self._wait_states(m)
        else:   # single-cycle memory: the RAM's word is there in ID
            m.d.comb += [self.bus.addr.eq(self.addr), self.bus.en.eq(self.req),
                         self.data.eq(self.bus.data), self.ready.eq(1)]
        return m

    def _wait_states(self, m: Module) -> None:
        """No cache, ``mem`` wait states: the RAM is read ``mem`` cycles after the send."""
        lat = self.uarch.mem
        la = Signal(32)
        looking = Signal()      # the cycle after a send: the lookup cycle
        waiting = Signal()
        count = Signal(range(lat + 1))
        nomem = Signal()
        m.d.sync += looking.eq(self.req)
        with m.If(self.req):
            m.d.sync += [la.eq(self.addr), nomem.eq(~self.ok)]
        go = looking & self.live & ~nomem   # the access proceeds
        m.d.comb += [
            self.bus.addr.eq(la),
            # the read that brings the word in the cycle `mem` after the lookup cycle
            self.bus.en.eq(Mux(looking, go & (lat == 1), waiting & (count == lat - 1))),
            self.busy.eq(Mux(looking, go, waiting)),
            self.ready.eq(Mux(looking, nomem, ~waiting)),
            self.data.eq(Mux(nomem, 0, self.bus.data)),
        ]
        with m.If(looking):
            m.d.sync += [waiting.eq(go), count.eq(1)]
        with m.Elif(waiting):
            m.d.sync += count.eq(count + 1)
            with m.If(count == lat):
                m.d.sync += waiting.eq(0)
        # the last waiting cycle (count == lat) is the ready cycle: not busy, ready
        with m.If(waiting & (count == lat)):
            m.d.comb += [self.busy.eq(0), self.ready.eq(1), self.bus.en.eq(0)]

    def _cache(self, m: Module) -> None:
        c = self.uarch.icache
        lat = self.uarch.mem
        g = Geometry(c)
        ways, sets, words = c.ways, c.sets, c.words
        off_bits, set_bits, tag_bits, word_bits = g.off_bits, g.set_bits, g.tag_bits, g.word_bits
        set_of, tag_of = g.set_of, g.tag_of

        la = Signal(32)          # the address being looked up (sent last cycle)
        looking = Signal()
        nomem = Signal()
        m.d.sync += looking.eq(self.req)
        with m.If(self.req):
            m.d.sync += [la.eq(self.addr), nomem.eq(~self.ok)]

        valid = Signal(sets * ways)      # flip-flops: one clear invalidates everything
        m.submodules.ranks = ranks = LruRanks(ways, sets)
        tag_rd, line_rd, tag_wr, line_wr = way_memories(m, g, 32, set_of(self.addr), self.req)
        m.d.comb += [ranks.raddr.eq(set_of(self.addr)), ranks.ren.eq(self.req)]

        lset = set_of(la)
        hits, hit_way, victim = lookup(m, g, valid, tag_rd, lset, tag_of(la), ranks.oldest)
        lword = la[2:off_bits] if word_bits else Const(0, 1)
        line_word = Signal(32)
        with m.Switch(hit_way):
            for w in range(ways):
                with m.Case(w):
                    m.d.comb += line_word.eq(line_rd[w].data.word_select(lword, 32))

        go = looking & self.live & ~nomem
        refilling = Signal()
        count = Signal(range(lat + words + 1))
        way = Signal(range(max(ways, 2)))
        rset = Signal(max(set_bits, 1))
        rtag = Signal(tag_bits)
        rbase = Signal(32)
        rword = Signal(max(word_bits, 1))
        captured = Signal(32)
        held = Signal()          # the word is in `captured` (after a refill)
        p = lat + words          # miss penalty

        m.d.comb += [self.hit.eq(go & (hits != 0)), self.miss.eq(go & (hits == 0))]
        with m.If(self.req):
            m.d.sync += held.eq(0)
        # a hit: the word now; the ranks move the way to the front
        with m.If(go & (hits != 0)):
            m.d.comb += [ranks.waddr.eq(lset), ranks.wen.eq(1), ranks.way.eq(hit_way)]
        with m.If(go & (hits == 0)):
            m.d.sync += [refilling.eq(1), count.eq(0), way.eq(victim), rset.eq(lset),
                         rtag.eq(tag_of(la)), rbase.eq(Cat(Const(0, off_bits), la[off_bits:])),
                         rword.eq(lword)]
            m.d.comb += self.busy.eq(1)

        # refill: the read of word k is sent in cycle `lat + k` after the lookup cycle and
        # arrives one cycle later; count is the number of refill cycles done
        k_send = Signal(range(lat + words + 1))
        m.d.comb += k_send.eq(count + 1 - lat)
        send_first = (lat == 0)
        m.d.comb += [self.bus.addr.eq(Mux(refilling, rbase + (k_send << 2), Cat(Const(0, off_bits),
                                                                           la[off_bits:]))),
                     self.bus.en.eq(0)]
        if send_first:      # no latency: word 0 is read in the lookup cycle itself
            with m.If(go & (hits == 0)):
                m.d.comb += [self.bus.addr.eq(Cat(Const(0, off_bits), la[off_bits:])), self.bus.en.eq(1)]
        arrived = Signal(range(words + 1))      # index of the word on the bus this cycle
        m.d.comb += arrived.eq(count - lat)
        last = refilling & (count == p - 1)
        with m.If(refilling):
            m.d.sync += count.eq(count + 1)
            with m.If((count + 1 >= lat) & (k_send < words)):
                m.d.comb += self.bus.en.eq(1)
            with m.If(count >= lat):   # word `arrived` is on the bus: into the line
                for w in range(ways):
                    with m.If(way == w):
                        m.d.comb += [line_wr[w].addr.eq(rset),
                                     line_wr[w].data.eq(self.bus.data.replicate(words)),
                                     line_wr[w].en.eq(1 << arrived if words > 1 else 1)]
                with m.If(arrived == rword):
                    m.d.sync += captured.eq(self.bus.data)
            with m.If(~last):
                m.d.comb += self.busy.eq(1)
            with m.Else():   # the last word: the line is valid, the word ready
                # the word waits in `captured` unless ID takes it (and sends anew) now
                m.d.sync += [refilling.eq(0), held.eq(~self.req),
                             valid.bit_select(rset * ways + way, 1).eq(1)]
                for w in range(ways):
                    with m.If(way == w):
                        m.d.comb += [tag_wr[w].addr.eq(rset), tag_wr[w].data.eq(rtag), tag_wr[w].en.eq(1)]
                m.d.comb += [ranks.waddr.eq(rset), ranks.wen.eq(1), ranks.way.eq(way)]

        ready_now = Mux(last, Mux(rword == words - 1, self.bus.data, captured),
                        Mux(held, captured, line_word))
        m.d.comb += [
            self.ready.eq(Mux(looking, nomem | (self.live & (hits != 0)), ~refilling | last)),
            self.data.eq(Mux(nomem, 0, ready_now)),
        ]
        # the cache follows stores into code only through fence.i (docs/timing.md)
        with m.If(self.invalidate):
            m.d.sync += valid.eq(0)
