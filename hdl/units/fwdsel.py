"""One copy of an operand's registered forwarding select (``hdl/core.py``'s ``forward``).

EX's operand multiplexer picks MEM's result, WB's, the register file's bypass (the
word WB wrote in the cycle of the read) or the register file's read by three
flip-flops decided a cycle ahead. One pair driving the multiplexer that feeds every
unit puts a long, wide route behind each flip-flop and each operand bit; the core
gives each group of consumers (the trap and redirect logic, the ALU, the crypto
units, the multiplier and divider) a copy of its own. The copies are equal, so Yosys
would merge flip-flops of one module again: each pair is a module of its own, kept
apart when placed (``hdl.synth.KEEP_APART``).
"""

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


class ForwardSelect(wiring.Component):
    def __init__(self, bypass: bool = True):
        """``next_mem``: next cycle's operand is MEM's result, ``next_wb``: WB's, and with
        ``bypass`` ``next_byp``: the register file's bypass (a core with one copy
        chooses that before the copy instead); ``from_*`` the same, registered."""
        self.bypass = bypass
        ports = {"next_mem": In(1), "next_wb": In(1), "from_mem": Out(1), "from_wb": Out(1)}
        if bypass:
            ports.update(next_byp=In(1), from_byp=Out(1))
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        m.d.sync += [self.from_mem.eq(self.next_mem), self.from_wb.eq(self.next_wb)]
        if self.bypass:
            m.d.sync += self.from_byp.eq(self.next_byp)
        return m
