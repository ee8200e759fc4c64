"""Branch history table with a target buffer (``bp=bht:N``, docs/timing.md, "Prediction").

Direct-mapped on ``pc[2:]``, each entry the branch's full pc (valid bit: a pc that
matches), its last target and a 2-bit saturating counter. IF reads it for the pc it
sends (predicted taken: the counter is at least ``BHT_TAKEN``); a branch or ``jal``
writes it at the end of the cycle it leaves EX: taken moves the counter up (or
allocates the entry, counter ``BHT_INIT``), not taken moves it down.
"""


from amaranth import Array, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from isa.uarch import BHT_INIT, BHT_TAKEN


class BranchTable(wiring.Component):
    pc: In(32)
    taken: Out(1)
    target: Out(32)
    upd: In(1)
    upd_pc: In(32)
    upd_target: In(32)
    upd_taken: In(1)

    def __init__(self, entries: int):
        self.entries = entries
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        n = self.entries
        ib = (n - 1).bit_length()
        valid = Array(Signal(name=f"v{k}") for k in range(n))
        tag = Array(Signal(30 - ib, name=f"t{k}") for k in range(n))
        tgt = Array(Signal(30, name=f"g{k}") for k in range(n))
        ctr = Array(Signal(2, name=f"c{k}") for k in range(n))

        i = self.pc[2:2 + ib]
        match = valid[i] & (tag[i] == self.pc[2 + ib:])
        m.d.comb += [self.taken.eq(match & (ctr[i] >= BHT_TAKEN)), self.target.eq(tgt[i] << 2)]

        u = self.upd_pc[2:2 + ib]
        umatch = valid[u] & (tag[u] == self.upd_pc[2 + ib:])
        with m.If(self.upd):
            with m.If(umatch):
                c = ctr[u]
                m.d.sync += c.eq(Mux(self.upd_taken, Mux(c == 3, 3, c + 1), Mux(c == 0, 0, c - 1)))
                with m.If(self.upd_taken):
                    m.d.sync += tgt[u].eq(self.upd_target[2:])
            with m.Elif(self.upd_taken):
                m.d.sync += [valid[u].eq(1), tag[u].eq(self.upd_pc[2 + ib:]),
                             tgt[u].eq(self.upd_target[2:]), ctr[u].eq(BHT_INIT)]
        return m
