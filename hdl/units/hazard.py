"""The load-use rule in ID (docs/timing.md): does the word in ID read a register whose
value is still late (a load's, a pipelined product's)?

The word arrives late in ID (the block RAM's read) and the answer holds IF and ID, so
the whole rule is one unit that the placed design keeps apart (``hdl.synth.KEEP_APART``):
its depth is then the decoder's and not stretched by the core's longer paths. The
``reads_rs*`` decode is the decoder's own (synthesis removes the copy's other outputs),
exact (an illegal word reads no register) unless ``exact`` is false: then exact for
legal words only (``decoder.output_terms``), for a core that drops an illegal word's
wait itself (``hdl/core.py``, the wait held in EX).
"""

from amaranth import Const, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from isa.config import IsaConfig
from isa.table import FIELDS

from .decoder import Decoder


class LoadUse(wiring.Component):
    def __init__(self, config: IsaConfig, producers: int, exact: bool = True):
        self.config = config
        self.exact = exact
        super().__init__({
            "insn": In(32),
            "fault": In(1),         # a fetch fault: the word is not an instruction
            "late_rd": In(5).array(producers),   # registers still late (0: none)
            "hits": Out(producers),              # the word reads late_rd[k]
            "wait": Out(1),                      # any of them
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.reads = dec = Decoder(self.config, exact=self.exact)
        m.d.comb += dec.insn.eq(self.insn)
        sources = [("rs1", dec.reads_rs1), ("rs2", dec.reads_rs2)]
        if dec.has_rs3:
            sources.append(("rs3", dec.reads_rs3))
        for k, rd in enumerate(self.late_rd):
            hit = Const(0, 1)
            for name, reads in sources:
                hi, lo = FIELDS[name]
                hit = hit | (reads & (self.insn[lo:hi + 1] == rd))
            m.d.comb += self.hits[k].eq(hit & (rd != 0) & ~self.fault)
        m.d.comb += self.wait.eq(self.hits.any())
        return m
