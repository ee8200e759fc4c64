"""Load/store unit: effective address, alignment check, byte lanes, load extension.

``LoadStoreUnit`` works in EX (address, misalignment, the store's byte mask
and lane-shifted data); ``LoadFormatter`` works in WB on the word that the
data port returned (select the lanes, sign- or zero-extend), with the choice of
lanes and sign made in MEM (``load_selects``) and registered.
"""


from amaranth import Cat, Module
from amaranth.hdl import Value
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


#: The load formatter's selects (``load_selects``), one flip-flop each in WB: bits 0-7
#: from byte k (``LANE + k``); bits 8-15 from byte 1 (``MID_LO``), byte 3 (``MID_HI``)
#: or the sign of byte k (``BYTE_SIGN + k``); bits 16-31 from the word (``HIGH``) or
#: bit 8k+7 (``HIGH_SIGN + k``: a byte's or a halfword's sign).
LANE, MID_LO, MID_HI, BYTE_SIGN, HIGH, HIGH_SIGN = 0, 4, 5, 6, 10, 11
SELECTS = 15


def load_selects(op: Value, offset: Value, is_load: Value) -> Value:
    """The one-hot selects of ``LoadFormatter`` for a load of ``op`` at byte ``offset``
    (decided in MEM, registered into WB); none when ``is_load`` is low. A load that
    reaches WB is aligned (a misaligned one traps and is no load there), so a word's
    offset is 0 and a halfword's 0 or 2."""
    def is_(size, signed=None):
        names = [n for n, s in LOAD_WIDTH.items() if s == size and signed in (None, sign_extends(n))]
        return op.matches(*(op_id(n) for n in names))

    at = [offset == k for k in range(4)]
    lb, lh = is_(1, True), is_(2, True)
    half, word = is_(2), is_(4)
    sel = [0] * SELECTS
    for k in range(4):
        sel[LANE + k] = at[k]
        sel[BYTE_SIGN + k] = lb & at[k]
    sel[MID_LO] = word | (half & at[0])
    sel[MID_HI] = half & at[2]
    sel[HIGH] = word
    sel[HIGH_SIGN + 0] = lb & at[0]
    sel[HIGH_SIGN + 1] = (lb & at[1]) | (lh & at[0])
    sel[HIGH_SIGN + 2] = lb & at[2]
    sel[HIGH_SIGN + 3] = (lb & at[3]) | (lh & at[2])
    return Cat(*sel) & is_load.replicate(SELECTS)


class LoadFormatter(wiring.Component):
    """The load's value from the word the data port returned, as an AND-OR of the word's
    bits with the selects of ``load_selects`` (flip-flops): one or two LUT levels after
    the RAM's read, no shift or sign choice decoded there. 0 when no select is set."""

    sel: In(SELECTS)
    word: In(32)
    raw: Out(32)     # the accessed bytes, zero-extended: the RVFI mem_rdata
    result: Out(32)  # the value written to rd

    def elaborate(self, platform):
        m = Module()
        sel, w = self.sel, self.word

        def byte(k):
            return w.word_select(k, 8)

        def sign(first):     # bit 8k+7 of the byte whose select is set, 0 if none
            terms = [sel[first + k] & w[8 * k + 7] for k in range(4)]
            return terms[0] | terms[1] | terms[2] | terms[3]

        low = 0
        for k in range(4):
            low = low | (byte(k) & sel[LANE + k].replicate(8))
        mid = (byte(1) & sel[MID_LO].replicate(8)) | (byte(3) & sel[MID_HI].replicate(8))
        high = w[16:] & sel[HIGH].replicate(16)
        byte_sign, high_sign = sign(BYTE_SIGN).replicate(8), sign(HIGH_SIGN).replicate(16)
        m.d.comb += [
            self.raw.eq(Cat(low, mid, high)),
            self.result.eq(Cat(low, mid | byte_sign, high | high_sign)),
        ]
        return m
