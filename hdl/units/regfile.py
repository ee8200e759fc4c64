"""The integer register file: x1..x31 (x0 is never written, so it reads 0).

Read one cycle ahead, for EX: ``addr[k]`` is the register that read port k gives in
the *next* cycle, on ``data[k]``, with every write up to the end of this cycle in it
(a write in this same cycle is passed through beside the memory: write-first). That
is what an asynchronous read of the register EX holds would give, so the pipeline's
timing does not change, but the memory has a registered read: LUT-RAM with a
flip-flop behind it on ECP5 (the read happens in ID, off EX's paths), block RAM on
iCE40, which has no asynchronous RAM (without it the registers are flip-flops and
multiplexers that do not fit a UP5K).
"""

from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out


class RegFile(wiring.Component):
    def __init__(self, ports: int = 2):
        self.ports = ports
        super().__init__({
            "addr": In(5).array(ports),
            "data": Out(32).array(ports),
            "we": In(1),
            "waddr": In(5),
            "wdata": In(32),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.mem = mem = Memory(shape=32, depth=32, init=[])
        wp = mem.write_port()
        m.d.comb += [wp.en.eq(self.we), wp.addr.eq(self.waddr), wp.data.eq(self.wdata)]
        for k in range(self.ports):
            rp = mem.read_port(transparent_for=())     # the old word on a same-cycle write
            hit = Signal(name=f"bypass{k}")
            word = Signal(32, name=f"bypass{k}_data")
            m.d.comb += rp.addr.eq(self.addr[k])
            m.d.sync += [hit.eq(self.we & (self.waddr == self.addr[k])), word.eq(self.wdata)]
            m.d.comb += self.data[k].eq(Mux(hit, word, rp.data))
        return m
