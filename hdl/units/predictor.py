"""Branch history table with a target buffer (``bp=bht:N``, docs/timing.md, "Prediction").

Direct-mapped on ``pc[2:]``, each entry the branch's full pc (valid bit: a pc that
matches), its last target and a 2-bit saturating counter. IF reads it for the pc it
sends (predicted taken: the counter is at least ``BHT_TAKEN``); a branch or ``jal``
writes it at the end of the cycle it leaves EX: taken moves the counter up (or
allocates the entry, counter ``BHT_INIT``), not taken moves it down.

Storage: the pc above the index (the tag), the target's word address and the counter
of every entry are one row of a memory (``rows``) with two asynchronous read ports,
IF's lookup and the update's read-modify-write, and one write port: LUT-RAM on an
FPGA, where flip-flops and N-way multiplexers made the table too large to route. The
valid bits stay in flip-flops, so that reset empties the table as before. A write
lands at the end of the cycle, so a read in that cycle still sees the old row, as the
rules ask.
"""


from amaranth import Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from isa.uarch import BHT_INIT, BHT_TAKEN


def index_bits(entries: int) -> int:
    """Bits of pc (from bit 2) that index a table of ``entries`` entries."""
    return (entries - 1).bit_length()


def row_layout(entries: int) -> data.StructLayout:
    """One entry in the memory: tag (pc above the index), target (word address), counter."""
    return data.StructLayout({"tag": 30 - index_bits(entries), "tgt": 30, "ctr": 2})


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
        ib = index_bits(n)
        m.submodules.rows = rows = Memory(shape=row_layout(n), depth=n, init=[])
        look, old, wr = rows.read_port(domain="comb"), rows.read_port(domain="comb"), rows.write_port()
        valid = Signal(n)

        i = self.pc[2:2 + ib]
        m.d.comb += look.addr.eq(i)
        match = valid.bit_select(i, 1) & (look.data.tag == self.pc[2 + ib:])
        m.d.comb += [self.taken.eq(match & (look.data.ctr >= BHT_TAKEN)), self.target.eq(look.data.tgt << 2)]

        u = self.upd_pc[2:2 + ib]
        m.d.comb += [old.addr.eq(u), wr.addr.eq(u)]
        umatch = valid.bit_select(u, 1) & (old.data.tag == self.upd_pc[2 + ib:])
        c = old.data.ctr
        # a hit moves the counter (and, taken, takes the new target); a taken miss
        # allocates the entry; a miss not taken leaves the table alone
        m.d.comb += [
            wr.en.eq(self.upd & (umatch | self.upd_taken)),
            wr.data.tag.eq(self.upd_pc[2 + ib:]),
            wr.data.tgt.eq(Mux(self.upd_taken, self.upd_target[2:], old.data.tgt)),
            wr.data.ctr.eq(Mux(umatch, Mux(self.upd_taken, Mux(c == 3, 3, c + 1), Mux(c == 0, 0, c - 1)),
                               BHT_INIT)),
        ]
        with m.If(self.upd & ~umatch & self.upd_taken):
            m.d.sync += valid.bit_select(u, 1).eq(1)
        return m
