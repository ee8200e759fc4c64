"""Load/store unit: effective address, alignment check, byte lanes, load extension.

``LoadStoreUnit`` works in EX (address, misalignment, the store's byte mask
and lane-shifted data); ``LoadFormatter`` works in WB on the word that the
data port returned (select the lanes, sign- or zero-extend).
"""


from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from isa.semantics import LOAD_WIDTH, SEMANTICS, STORE_WIDTH

from .base import op_id


def sign_extends(load: str) -> bool:
    """Whether the golden semantics of ``load`` copies the top bit of what it read."""
    top = 1 << (8 * LOAD_WIDTH[load] - 1)
    return SEMANTICS[load](top) != top


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
        for name, size in {**LOAD_WIDTH, **STORE_WIDTH}.items():
            with m.If(self.op == op_id(name)):
                m.d.comb += [
                    self.size_mask.eq((1 << size) - 1),
                    self.mask.eq(((1 << size) - 1) << off),
                    (self.is_store if name in STORE_WIDTH else self.is_load).eq(1),
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
            for name, size in LOAD_WIDTH.items():
                if size == 4:
                    continue        # a word load is aligned: the whole word (the default)
                with m.Case(op_id(name)):
                    lanes = shifted[:8 * size]
                    m.d.comb += [self.raw.eq(lanes),
                                 self.result.eq(lanes.as_signed() if sign_extends(name) else lanes)]
            with m.Default():
                m.d.comb += [self.raw.eq(self.word), self.result.eq(self.word)]
        return m
