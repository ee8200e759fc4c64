"""The data side of MEM: RAM directly, after wait states, or through the write-back,
write-allocate data cache (docs/timing.md, "Data"); device accesses pass through.

The instruction entering MEM has its cache set read in the cycle it leaves EX
(``ex_addr``, ``advance``). In its first MEM cycle a RAM access looks up: a hit
takes that cycle only; a miss holds MEM (``hold``) while the dirty victim, if any,
is written back (``mem`` + one cycle per word) and the line is read in (``mem`` +
one cycle per word), then leaves MEM. A load's word comes from ``rdata`` when
``cached`` is high, else from the bus in WB as without a cache.
"""


from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from isa.uarch import Uarch

from ..buses import DBusSignature
from .cache_arrays import Geometry, lookup, way_memories
from .lru import LruRanks


class DataSide(wiring.Component):
    ex_addr: In(32)
    advance: In(1)
    valid: In(1)
    is_load: In(1)
    is_store: In(1)
    is_ram: In(1)
    addr: In(32)
    wmask: In(4)
    wdata: In(32)
    flush: In(1)     # MEM holds fence.i: write every dirty line back
    hold: Out(1)
    cached: Out(1)
    rdata: Out(32)
    bus: Out(DBusSignature)
    hit: Out(1)
    miss: Out(1)
    writeback: Out(1)

    def __init__(self, uarch: Uarch):
        self.uarch = uarch
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        u = self.uarch
        acc = self.valid & (self.is_load | self.is_store)
        # devices, and RAM without wait states: the bus in the MEM cycle, as always
        m.d.comb += [
            self.bus.addr.eq(self.addr),
            self.bus.re.eq(acc & self.is_load),
            self.bus.we.eq(Mux(acc & self.is_store, self.wmask, 0)),
            self.bus.wdata.eq(self.wdata),
        ]
        if u.dcache is not None:
            self._cache(m, acc & self.is_ram)
        elif u.mem:
            count = Signal(range(u.mem + 1))
            ram = acc & self.is_ram
            m.d.comb += self.hold.eq(ram & (count != u.mem))
            with m.If(self.hold):
                m.d.sync += count.eq(count + 1)
                m.d.comb += [self.bus.re.eq(0), self.bus.we.eq(0)]
            with m.Else():
                m.d.sync += count.eq(0)
        return m

    def _cache(self, m: Module, ram: Signal) -> None:
        c = self.uarch.dcache
        lat = self.uarch.mem
        g = Geometry(c)
        ways, sets, words = c.ways, c.sets, c.words
        off_bits, set_bits, tag_bits, word_bits = g.off_bits, g.set_bits, g.tag_bits, g.word_bits
        set_of, tag_of = g.set_of, g.tag_of

        valid = Signal(sets * ways)
        dirty = Signal(sets * ways)
        m.submodules.ranks = ranks = LruRanks(ways, sets)
        m.d.comb += [ranks.raddr.eq(set_of(self.ex_addr)), ranks.ren.eq(self.advance)]
        tag_rd, line_rd, tag_wr, line_wr = way_memories(m, g, 8, set_of(self.ex_addr), self.advance)

        aset = set_of(self.addr)
        hits, hit_way, victim = lookup(m, g, valid, tag_rd, aset, tag_of(self.addr), ranks.oldest)
        aword = self.addr[2:off_bits] if word_bits else Const(0, 1)

        count = Signal(range(2 * (lat + words) + 2))   # cycles of this access before this one
        first = count == 0
        look = ram & first
        missed = Signal()
        way = Signal(range(max(ways, 2)))
        wb_len = Signal(range(lat + words + 1))      # lat + words when the victim is dirty
        victim_tag = Signal(tag_bits)
        captured = Signal(32)
        with m.If(hold := self.hold):
            m.d.sync += count.eq(count + 1)
        with m.Else():
            m.d.sync += count.eq(0)

        v_dirty = valid.bit_select(aset * ways + victim, 1) & dirty.bit_select(aset * ways + victim, 1)
        v_tag = Signal(tag_bits)
        v_line = Signal(c.line * 8)
        for w in range(ways):
            with m.If(victim == w):
                m.d.comb += [v_tag.eq(tag_rd[w].data), v_line.eq(line_rd[w].data)]

        m.d.comb += [self.hit.eq(look & (hits != 0)), self.miss.eq(look & (hits == 0)),
                     self.writeback.eq(look & (hits == 0) & v_dirty)]
        cur_way = Mux(first, Mux(hits != 0, hit_way, victim), way)
        cur_wb = Mux(first, Mux(v_dirty, lat + words, 0), wb_len)
        is_miss = Mux(first, hits == 0, missed)
        q = cur_wb + lat + words
        walk_hold = self._walk(m, valid, dirty, tag_rd, line_rd, lat, words, ways, off_bits, set_bits)
        m.d.comb += hold.eq((ram & is_miss & (count != q)) | walk_hold)
        with m.If(look):
            m.d.sync += [missed.eq(hits == 0), way.eq(cur_way), wb_len.eq(cur_wb), victim_tag.eq(v_tag)]

        line_base = Cat(Const(0, off_bits), self.addr[off_bits:])
        victim_base = Cat(Const(0, off_bits), aset if set_bits else Const(0, 0),
                          Mux(first, v_tag, victim_tag))
        # the victim's words (the line read when the access left EX, unchanged since)
        vline = Signal(c.line * 8)
        for w in range(ways):
            with m.If(cur_way == w):
                m.d.comb += vline.eq(line_rd[w].data)
        # the cache's own RAM traffic: the write-back of the dirty victim (word k in
        # cycle lat + k of the access), then the refill (word k read in cycle
        # wb + lat + k, arriving one cycle later); nothing else of a RAM access
        k_wb = Signal(range(2 * (lat + words) + 2))
        k_rd = Signal(range(2 * (lat + words) + 2))
        m.d.comb += [k_wb.eq(count - lat), k_rd.eq(count - cur_wb - lat)]
        wi = max(word_bits, 1)
        with m.If(ram):
            m.d.comb += [self.bus.re.eq(0), self.bus.we.eq(0)]
            with m.If(is_miss & (cur_wb != 0) & (count >= lat) & (count < lat + words)):
                m.d.comb += [self.bus.addr.eq(victim_base + (k_wb[:wi] << 2)), self.bus.we.eq(0xF),
                             self.bus.wdata.eq(vline.word_select(k_wb[:wi], 32))]
            with m.Elif(is_miss & (count >= cur_wb + lat) & (count < cur_wb + lat + words)):
                m.d.comb += [self.bus.addr.eq(line_base + (k_rd[:wi] << 2)), self.bus.re.eq(1)]
        k_in = Signal(range(words + 1))
        m.d.comb += k_in.eq(count - cur_wb - lat - 1)
        arriving = ram & is_miss & (count > cur_wb + lat) & (count <= q)
        last = ram & is_miss & (count == q)

        # the line's write this cycle: a store hit, a refill word, the store after a refill
        wen = Signal(c.line)
        wvec = Signal(c.line * 8)
        store_lanes = Mux(self.is_store, self.wmask, 0)
        for w in range(words):
            in_word = Signal(4, name=f"in{w}")
            st_word = Signal(4, name=f"st{w}")
            m.d.comb += [
                in_word.eq(Mux(arriving & (k_in == w), 0xF, 0)),
                st_word.eq(Mux((aword == w) & ((look & (hits != 0)) | last), store_lanes, 0)),
                wen[4 * w:4 * w + 4].eq(in_word | st_word),
            ]
            for b in range(4):
                m.d.comb += wvec[32 * w + 8 * b:32 * w + 8 * b + 8].eq(
                    Mux(st_word[b], self.wdata[8 * b:8 * b + 8], self.bus.rdata[8 * b:8 * b + 8]))
        for w in range(ways):
            m.d.comb += [line_wr[w].addr.eq(aset), line_wr[w].data.eq(wvec),
                         line_wr[w].en.eq(Mux(cur_way == w, wen, 0))]
        with m.If(arriving & (k_in == aword)):
            m.d.sync += captured.eq(self.bus.rdata)

        # bookkeeping: a hit makes its way the most recent (a store marks it dirty);
        # the end of a refill installs the line
        slot = aset * ways + cur_way
        with m.If(look & (hits != 0)):
            m.d.comb += [ranks.waddr.eq(aset), ranks.wen.eq(1), ranks.way.eq(hit_way)]
            with m.If(self.is_store):
                m.d.sync += dirty.bit_select(slot, 1).eq(1)
        with m.If(last):
            m.d.sync += [valid.bit_select(slot, 1).eq(1), dirty.bit_select(slot, 1).eq(self.is_store)]
            for w in range(ways):
                with m.If(cur_way == w):
                    m.d.comb += [tag_wr[w].addr.eq(aset), tag_wr[w].data.eq(tag_of(self.addr)),
                                 tag_wr[w].en.eq(1)]
            m.d.comb += [ranks.waddr.eq(aset), ranks.wen.eq(1), ranks.way.eq(cur_way)]

        hit_word = Signal(32)
        with m.Switch(hit_way):
            for w in range(ways):
                with m.Case(w):
                    m.d.comb += hit_word.eq(line_rd[w].data.word_select(aword, 32))
        m.d.comb += [
            self.cached.eq(ram & self.is_load),
            self.rdata.eq(Mux(last, Mux(k_in == aword, self.bus.rdata, captured), hit_word)),
        ]

    def _walk(self, m: Module, valid, dirty, tag_rd, line_rd, lat: int, words: int, ways: int,
              off_bits: int, set_bits: int) -> Signal:
        """fence.i in MEM: each dirty line, lowest set and way first, takes one cycle to
        read it, then is written back (word k in cycle 1 + ``mem`` + k) and marked clean;
        MEM is released in the cycle no dirty line is left. Returns the hold."""
        dv = Signal(len(valid))
        m.d.comb += dv.eq(valid & dirty)
        first = Signal(range(max(len(valid), 2)))
        for k in reversed(range(len(valid))):
            with m.If(dv[k]):
                m.d.comb += first.eq(k)
        busy = Signal()
        fcount = Signal(range(lat + words + 2))
        slot = Signal(range(max(len(valid), 2)))
        walk = self.flush & self.valid
        hold = Signal()
        wi = max((words - 1).bit_length(), 1)
        k = Signal(range(lat + words + 2))
        m.d.comb += k.eq(fcount - 1 - lat)
        fset = first // ways if ways > 1 else first
        with m.If(walk & ~busy & (dv != 0)):    # find: read the line and its tag
            m.d.comb += hold.eq(1)
            for w in range(ways):
                m.d.comb += [tag_rd[w].addr.eq(fset), tag_rd[w].en.eq(1),
                             line_rd[w].addr.eq(fset), line_rd[w].en.eq(1)]
            m.d.sync += [busy.eq(1), fcount.eq(1), slot.eq(first)]
        with m.If(walk & busy):
            m.d.comb += hold.eq(1)
            m.d.sync += fcount.eq(fcount + 1)
            sset = slot // ways if ways > 1 else slot
            sway = slot % ways if ways > 1 else 0
            tag = Signal(len(tag_rd[0].data))
            line = Signal(len(line_rd[0].data))
            for w in range(ways):
                with m.If(sway == w):
                    m.d.comb += [tag.eq(tag_rd[w].data), line.eq(line_rd[w].data)]
            base = Cat(Const(0, off_bits), sset[:set_bits] if set_bits else Const(0, 0), tag)
            with m.If(fcount >= 1 + lat):
                m.d.comb += [self.bus.addr.eq(base + (k[:wi] << 2)), self.bus.re.eq(0),
                             self.bus.we.eq(0xF), self.bus.wdata.eq(line.word_select(k[:wi], 32))]
            with m.If(fcount == lat + words):
                m.d.sync += [busy.eq(0), dirty.bit_select(slot, 1).eq(0)]
        return hold
