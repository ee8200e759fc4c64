"""Helpers shared by the byte-select (``bs``) units: AES and SM4."""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.hdl import Value


def select_byte(word: Value, bs: Value) -> Value:
    """``(word >> 8*bs)[7:0]``."""
    return word.word_select(bs, 8)


def rol_bytes(m: Module, word: Value, bs: Value) -> Signal:
    """``rol32(word, 8*bs)``."""
    out = Signal(32)
    with m.Switch(bs):
        for k in range(4):
            with m.Case(k):
                m.d.comb += out.eq(word.rotate_left(8 * k))
    return out


def lookup(m: Module, table: list[int], index: Value) -> Signal:
    """A 256-entry byte table read combinationally."""
    out = Signal(8)
    idx = Signal(8)
    m.d.comb += idx.eq(index)
    with m.Switch(idx):
        for i, v in enumerate(table):
            with m.Case(i):
                m.d.comb += out.eq(v)
    return out


def xtime(m: Module, x: Value) -> Signal:
    """Multiply by x in GF(2^8) modulo the AES polynomial."""
    out = Signal(8)
    m.d.comb += out.eq(((x << 1) ^ (x[7].replicate(8) & 0x1B))[:8])
    return out
