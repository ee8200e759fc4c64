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
from isa.encoding import IMM_LAYOUT
from isa.table import FIELDS, INSNS, Insn

#: Instruction kinds (``isa.table`` column) the pipeline needs a flag for.
KIND_FLAGS = ("load", "store", "branch", "jal", "jalr", "csr", "div", "system", "fence", "fencei")

#: Kinds whose instructions write ``rd``.
WRITES_RD = frozenset({"alu", "alu3", "load", "jal", "jalr", "csr", "div"})


def immediate(insn: Insn, w: Value) -> Value:
    """The ``imm`` output for ``insn``: its format's ``isa.encoding.IMM_LAYOUT`` pieces
    at their positions, zeros between, sign-extended when the layout says so."""
    pieces, signed = IMM_LAYOUT.get(insn.fmt, ((), False))
    parts, filled = [], 0
    for hi, lo, at in sorted(pieces, key=lambda p: p[2]):
        if at > filled:
            parts.append(Const(0, at - filled))
        parts.append(w[lo:hi + 1])
        filled = at + hi - lo + 1
    value = Cat(*parts)
    return value.as_signed() if signed else value


def field(w: Value, name: str) -> Value:
    """Operand field ``name`` of the word (bit range from ``isa.table.FIELDS``)."""
    hi, lo = FIELDS[name]
    return w[lo:hi + 1]


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
    "is_fencei": Out(1),
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
                args = insn.operands
                m.d.comb += [
                    self.legal.eq(1),
                    self.op.eq(insn.op),
                    self.imm.eq(immediate(insn, w)),
                    self.writes_rd.eq(insn.kind in WRITES_RD),
                    self.reads_rs1.eq("rs1" in args),
                    self.reads_rs2.eq("rs2" in args),
                ]
                if "rd" in args:
                    m.d.comb += self.rd.eq(field(w, "rd"))
                if "rs1" in args:
                    m.d.comb += self.rs1.eq(field(w, "rs1"))
                if "zimm" in args:
                    m.d.comb += self.rs1.eq(field(w, "zimm"))
                if "rs2" in args:
                    m.d.comb += self.rs2.eq(field(w, "rs2"))
                if "rs3" in args:
                    m.d.comb += [self.rs3.eq(field(w, "rs3")), self.reads_rs3.eq(1)]
                if insn.kind in KIND_FLAGS:
                    m.d.comb += getattr(self, f"is_{insn.kind}").eq(1)
        return m
