"""Instruction decoder generated from ``isa.table.INSNS``.

There is no hand-written opcode table here: every enabled row of the table
becomes a mask/match comparison, in table order (the first match wins, as in
``isa.encoding.lookup``). Rows of extensions that the ISA configuration
switches off are left out, so their encodings decode as illegal.

``legal`` compares every bit of every row. The other outputs matter only for a legal
word (an illegal one traps in EX, and nothing it decodes to takes effect), so by
default each is an OR over the rows that set it of the few bits that tell such a row
from the rows that do not set it (``output_terms``): opcode and function bits instead of
up to 32, and rows that differ only where that output does not look share one term,
fewer logic levels behind the RAM's late word. ``exact=True`` compares every bit for
every output (the load-use rule: it holds ID, so an illegal word must read no register).
"""


from amaranth import Cat, Const, Module, Mux, Signal
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
    def __init__(self, config: IsaConfig = FULL, exact: bool = False, flags: dict | None = None):
        """``flags``: more 1-bit outputs, each named for the set of rows (instruction
        names) that set it (the core's ``is_mul``: from the word, not a test of ``op``)."""
        self.config = config
        self.exact = exact
        self.rows = [i for i in INSNS if i.ext in config]
        self.has_rs3 = any(i.kind == "alu3" for i in self.rows)
        self.flags = {k: frozenset(v) for k, v in (flags or {}).items()}
        ports = dict(PORTS)
        if self.has_rs3:    # only an ISA with three-source rows (Xchain) gets the third port
            ports["rs3"] = Out(5)
            ports["reads_rs3"] = Out(1)
        ports.update({k: Out(1) for k in self.flags})
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        w = self.insn
        rows = self.rows
        hits = Signal(len(rows))
        m.d.comb += hits.eq(Cat(*((w & i.mask) == i.match for i in rows)))
        # first match wins: a row counts only when no earlier row that overlaps it hit
        # (the table's rows are disjoint today, so this is `hits` itself). Every output is
        # then a flat OR over the rows that set it, not a chain of priority multiplexers:
        # the word arrives late in ID (the RAM's read), and the load-use rule waits on it.
        first = []
        for n, insn in enumerate(rows):
            earlier = [hits[k] for k, o in enumerate(rows[:n]) if _overlap(o, insn)]
            first.append(hits[n] & ~Cat(*earlier).any() if earlier else hits[n])
        legal = Cat(*first).any()

        def any_of(pred) -> Value:
            if not self.exact:      # enough for a legal word (the module's docstring)
                terms = output_terms(rows, pred)
                return Cat(*((w & mask) == value for mask, value in terms)).any() if terms else Const(0, 1)
            sel = [first[n] for n, insn in enumerate(rows) if pred(insn)]
            return Cat(*sel).any() if sel else Const(0, 1)

        m.d.comb += [
            self.legal.eq(legal),
            self.writes_rd.eq(any_of(lambda i: i.kind in WRITES_RD)),
            self.reads_rs1.eq(any_of(lambda i: "rs1" in i.operands)),
            self.reads_rs2.eq(any_of(lambda i: "rs2" in i.operands)),
        ]
        for bit in range(len(self.op)):
            m.d.comb += self.op[bit].eq(any_of(lambda i, b=bit: (i.op >> b) & 1))
        for kind in KIND_FLAGS:
            m.d.comb += getattr(self, f"is_{kind}").eq(any_of(lambda i, k=kind: i.kind == k))
        for name, names in self.flags.items():
            m.d.comb += getattr(self, name).eq(any_of(lambda i, ns=names: i.name in ns))
        # operand fields: the word's bits wherever a matching row has the field
        for port, names in (("rd", ("rd",)), ("rs1", ("rs1", "zimm")), ("rs2", ("rs2",)),
                            *((("rs3", ("rs3",)),) if self.has_rs3 else ())):
            has = any_of(lambda i, ns=names: any(n in i.operands for n in ns))
            hi, lo = FIELDS[names[0]]
            m.d.comb += getattr(self, port).eq(Mux(has, w[lo:hi + 1], 0))
        if self.has_rs3:
            m.d.comb += self.reads_rs3.eq(any_of(lambda i: "rs3" in i.operands))
        # the immediate: one value per format, chosen by the rows of that format
        imm = Const(0, 32)
        for fmt in sorted({i.fmt for i in rows if i.fmt in IMM_LAYOUT}):
            sel = any_of(lambda i, f=fmt: i.fmt == f)
            imm = imm | Mux(sel, immediate(rows[[i.fmt for i in rows].index(fmt)], w), 0)
        m.d.comb += self.imm.eq(imm)
        return m


def _overlap(a: Insn, b: Insn) -> bool:
    """Whether some word matches both rows."""
    return (a.match ^ b.match) & a.mask & b.mask == 0


#: Bits tried first when telling rows apart: the opcode, funct3, funct7, then the rest.
_PREFERRED = (*range(2, 7), *range(12, 15), *range(25, 32), *range(20, 25), *range(7, 12),
              *range(15, 20), 0, 1)


def distinguishing_mask(r: Insn, others: list[Insn]) -> int:
    """A few bits of ``r``'s mask (chosen greedily, the bit that tells it from the most
    rows left first) that tell a word of ``r`` from a word of each of ``others``: the
    rows' (disjoint) encodings differ in a bit both compare."""
    left = [o for o in others if o is not r]
    mask = 0
    while left:
        def told(bit, left=left):
            return [o for o in left if (o.mask >> bit) & 1 and ((o.match ^ r.match) >> bit) & 1]
        best = max((b for b in _PREFERRED if (r.mask >> b) & 1), key=lambda b: len(told(b)))
        done = told(best)
        if not done:
            raise ValueError(f"row {r.name} overlaps another row")
        mask |= 1 << best
        left = [o for o in left if all(o is not d for d in done)]
    return mask


def distinguishing_masks(rows: list[Insn]) -> list[int]:
    """For each row, the bits that tell a word of it from a word of every other row."""
    return [distinguishing_mask(r, rows) for r in rows]


def output_terms(rows: list[Insn], pred) -> list[tuple[int, int]]:
    """One output of the decoder for legal words, as (mask, value) comparisons to OR:
    for each row that sets it (``pred``), the bits that tell its words from those of
    the rows that do not (not from every row: fewer bits, and rows that differ only
    where the output does not care share one term), terms that another implies left out."""
    off = [r for r in rows if not pred(r)]
    terms = []
    for r in rows:
        if pred(r):
            mask = distinguishing_mask(r, off)
            terms.append((mask, r.match & mask))
    # (mask, value) implies (m2, v2) when m2's bits are among mask's and agree: keep the wider
    keep = []
    for n, (mask, value) in enumerate(terms):
        implied = any((m2 & mask) == m2 and (value & m2) == v2 and ((m2, v2) != (mask, value) or k < n)
                      for k, (m2, v2) in enumerate(terms) if k != n)
        if not implied:
            keep.append((mask, value))
    return keep
