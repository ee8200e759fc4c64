"""Instruction decoder generated from ``isa.table.INSNS``.

There is no hand-written opcode table here: every enabled row of the table
becomes a mask/match comparison, in table order (the first match wins, as in
``isa.encoding.lookup``). Rows of extensions that the ISA configuration
switches off are left out, so their encodings decode as illegal.
"""


from amaranth import Cat, Const, Module, Signal
from amaranth.hdl import Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from isa.config import FULL, IsaConfig
from isa.table import INSNS, Insn

#: Instruction kinds (``isa.table`` column) the pipeline needs a flag for.
KIND_FLAGS = ("load", "store", "branch", "jal", "jalr", "csr", "div", "system", "fence")

#: Kinds whose instructions write ``rd``.
WRITES_RD = frozenset({"alu", "alu3", "load", "jal", "jalr", "csr", "div"})


def immediate(insn: Insn, w: Value) -> Value:
    """The ``imm`` output for ``insn``, exactly as ``isa.encoding.immediate``."""
    fmt = insn.fmt
    if fmt in ("I", "L", "Ijalr"):
        return w[20:32].as_signed()
    if fmt == "S":
        return Cat(w[7:12], w[25:32]).as_signed()
    if fmt == "B":
        return Cat(Const(0, 1), w[8:12], w[25:31], w[7], w[31]).as_signed()
    if fmt == "J":
        return Cat(Const(0, 1), w[21:31], w[20], w[12:20], w[31]).as_signed()
    if fmt == "U":
        return Cat(Const(0, 12), w[12:32])
    if fmt == "Ishift":
        return w[20:25]
    if fmt == "Rbs":
        return w[30:32]
    if fmt in ("R4", "Rrot"):       # rs3's number, or the rotate amount
        return w[27:32]
    if fmt in ("csr", "csri", "fence"):
        return w[20:32]
    return Const(0, 32)


#: The decoder's ports; ``rs3``/``reads_rs3`` are added for ISAs with three-source rows.
PORTS = {
    "insn": In(32),
    "legal": Out(1),
    "op": Out(7),
    "rd": Out(5),
    "rs1": Out(5),
    "rs2": Out(5),
    "imm": Out(32),
    "reads_rs1": Out(1),    # the format has rs1: used by forwarding and the load-use rule
    "reads_rs2": Out(1),
    "writes_rd": Out(1),
    "is_load": Out(1),
    "is_store": Out(1),
    "is_branch": Out(1),
    "is_jal": Out(1),
    "is_jalr": Out(1),
    "is_csr": Out(1),
    "is_div": Out(1),
    "is_system": Out(1),
    "is_fence": Out(1),
}


class Decoder(wiring.Component):
    def __init__(self, config: IsaConfig = FULL):
        self.config = config
        self.rows = [i for i in INSNS if i.ext in config]
        self.has_rs3 = any(i.kind == "alu3" for i in self.rows)
        ports = dict(PORTS)
        if self.has_rs3:    # only an ISA with three-source rows (Xchain) gets the third port
            ports["rs3"] = Out(5)
            ports["reads_rs3"] = Out(1)
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        w = self.insn
        hits = Signal(len(self.rows))
        m.d.comb += hits.eq(Cat(*((w & i.mask) == i.match for i in self.rows)))
        first = True
        for n, insn in enumerate(self.rows):
            cond = hits[n]
            ctx = m.If(cond) if first else m.Elif(cond)
            first = False
            with ctx:
                args = insn.args
                m.d.comb += [
                    self.legal.eq(1),
                    self.op.eq(insn.op),
                    self.imm.eq(immediate(insn, w)),
                    self.writes_rd.eq(insn.kind in WRITES_RD),
                    self.reads_rs1.eq("rs1" in args),
                    self.reads_rs2.eq("rs2" in args),
                ]
                if "rd" in args:
                    m.d.comb += self.rd.eq(w[7:12])
                if "rs1" in args or "zimm" in args:
                    m.d.comb += self.rs1.eq(w[15:20])
                if "rs2" in args:
                    m.d.comb += self.rs2.eq(w[20:25])
                if "rs3" in args:
                    m.d.comb += [self.rs3.eq(w[27:32]), self.reads_rs3.eq(1)]
                if insn.kind in KIND_FLAGS:
                    m.d.comb += getattr(self, f"is_{insn.kind}").eq(1)
        return m
