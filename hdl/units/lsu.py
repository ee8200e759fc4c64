"""Load/store unit: effective address, alignment check, byte lanes, load extension.

``LoadStoreUnit`` works in EX (address, misalignment, the store's byte mask
and lane-shifted data); ``LoadFormatter`` works in WB on the word that the
data port returned (select the lanes, sign- or zero-extend).
"""


from amaranth import Module, Mux
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .base import op_id

LOADS = ("lb", "lh", "lw", "lbu", "lhu")
STORES = ("sb", "sh", "sw")
_SIZE = {"lb": 1, "lbu": 1, "sb": 1, "lh": 2, "lhu": 2, "sh": 2, "lw": 4, "sw": 4}


class LoadStoreUnit(wiring.Component):
    op: In(7)
    a: In(32)        # x[rs1]
    b: In(32)        # x[rs2], the store data
    imm: In(32)
    addr: Out(32)
    is_load: Out(1)
    is_store: Out(1)
    misaligned: Out(1)
    mask: Out(4)     # byte lanes of the aligned word touched by the access
    size_mask: Out(4)  # (1 << size) - 1: the RVFI mem_rmask/mem_wmask
    wdata: Out(32)   # store data moved to its lanes
    sdata: Out(32)   # store data cut to its size: the RVFI mem_wdata

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.addr.eq(self.a + self.imm)
        off = self.addr[:2]
        for name in LOADS + STORES:
            size = _SIZE[name]
            with m.If(self.op == op_id(name)):
                m.d.comb += [
                    self.size_mask.eq((1 << size) - 1),
                    self.mask.eq(((1 << size) - 1) << off),
                    (self.is_store if name in STORES else self.is_load).eq(1),
                    self.misaligned.eq((self.addr & (size - 1)) != 0),
                    self.sdata.eq(self.b & ((1 << (8 * size)) - 1)),
                ]
        m.d.comb += self.wdata.eq(self.b << (off * 8))
        return m


class LoadFormatter(wiring.Component):
    op: In(7)
    offset: In(2)
    word: In(32)
    raw: Out(32)     # the accessed bytes, zero-extended: the RVFI mem_rdata
    result: Out(32)  # the value written to rd

    def elaborate(self, platform):
        m = Module()
        shifted = self.word >> (self.offset * 8)
        with m.Switch(self.op):
            with m.Case(op_id("lb"), op_id("lbu")):
                m.d.comb += self.raw.eq(shifted[:8])
                signed = self.op == op_id("lb")
                m.d.comb += self.result.eq(Mux(signed, shifted[:8].as_signed(), shifted[:8]))
            with m.Case(op_id("lh"), op_id("lhu")):
                m.d.comb += self.raw.eq(shifted[:16])
                signed = self.op == op_id("lh")
                m.d.comb += self.result.eq(Mux(signed, shifted[:16].as_signed(), shifted[:16]))
            with m.Default():
                m.d.comb += [self.raw.eq(self.word), self.result.eq(self.word)]
        return m
