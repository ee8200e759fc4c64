"""The coverage model: groups of named bins derived from the ISA table
(``isa/table.py``), the CSR and cause tables (``isa/csrs.py``) and the
microarchitecture, and the lookup tables the sampler indexes with numpy.

A bin is hit when the retirement trace shows the situation it names at least
once; the model never depends on one program (docs/coverage.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from isa.config import IsaConfig
from isa.csrs import CAUSES, CSRS
from isa.table import INSNS, Insn
from isa.uarch import Uarch

#: operand value classes of a data source (docs/coverage.md)
VALUE_CLASSES = ("0", "ones", "sign", "small")
#: register corner cases of a row's operand fields
REG_CORNERS = ("rd=x0", "rs1=rs2", "rd=rs1")
#: branch outcomes: index taken * 2 + backward
BRANCH_OUTCOMES = ("not taken forward", "not taken backward", "taken forward", "taken backward")
SOURCES = ("rs1", "rs2", "rs3")
DISTANCES = (1, 2, 3)
#: where a source operand came from: the register file (no write to it in the three
#: records before), or the record at distance 1 (EX/MEM), 2 (MEM/WB), 3 (the write of the
#: read's own cycle) that wrote it
ORIGINS = ("from the register file", "from distance 1", "from distance 2", "from distance 3")
#: kinds with no register operands (fence's and fence.i's fields are reserved)
_NO_OPERANDS = ("system", "fence", "fencei")
#: kinds whose rs1 is an address, not data: value classes would fault, not compute
_ADDRESS_RS1 = ("load", "store", "jalr")


def insn_class(insn: Insn) -> str:
    """The class of an instruction for hazards and interrupts: its kind, with the
    multiplications (own latency under ``mul=``) apart from the other ALU rows."""
    if insn.kind == "alu" and insn.ext == "m":
        return "mul"
    return insn.kind


def mul_stalls_reachable(uarch: Uarch) -> bool:
    """Whether a consumer can wait for a product: always behind the iterative multiplier
    (it holds EX); behind a pipelined one of S stages only when the next instruction can
    come sooner than S - 1 cycles later, which without an I-cache every fetch's ``mem``
    wait cycles prevent (docs/coverage.md)."""
    if uarch.mul == "iter":
        return True
    return uarch.mul == "pipe" and (uarch.icache is not None or uarch.mul_n - 1 > uarch.mem)


#: the predictor's outcomes of a conditional branch (docs/coverage.md)
PREDICTIONS = ("predicted taken, taken", "predicted taken, not taken",
               "predicted not taken, taken", "predicted not taken, not taken")
#: the D-port's outcomes of a load or store to RAM, per access kind
DPORT = ("hit", "miss", "miss with a dirty write-back")


def uarch_events(uarch: Uarch) -> list[str]:
    """The microarchitecture's bins that single records show (the sampler's names): each
    predictor outcome, the I-cache missing at a taken branch's or jump's target, each
    D-port outcome per access kind, a D-cache miss with a taken branch or jump behind it
    in EX, and a consumer waiting for a product."""
    events = []
    if uarch.bp != "none":
        events += [f"branch {p}" for p in PREDICTIONS]
        # BTFN predicts every jal; the table only the ones it holds
        events += ["jal predicted"] + (["jal not predicted"] if uarch.bp == "bht" else [])
    if uarch.icache:
        events += ["I-cache miss at a taken branch's target", "I-cache miss at a jump's target"]
    if uarch.dcache:
        events += [f"{kind} {o}" for kind in ("load", "store") for o in DPORT]
        events += ["D-cache miss with a taken branch behind it", "D-cache miss with a jump behind it"]
    if mul_stalls_reachable(uarch):
        events += ["mul stalls"]
    return events


def _reads(insn: Insn, src: str) -> bool:
    return insn.kind not in _NO_OPERANDS and src in insn.args


@dataclass
class Group:
    name: str
    bins: list[str] = field(default_factory=list)
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def add(self, name: str) -> int:
        self.bins.append(name)
        return len(self.bins) - 1

    def freeze(self) -> None:
        self.counts = np.zeros(len(self.bins), np.int64)


class Model:
    """The groups of bins for one ISA configuration and microarchitecture, and the
    tables (indexed by the table's op id, a class id, a CSR number) giving the bin
    each event falls in (-1: none)."""

    def __init__(self, config: IsaConfig, uarch: Uarch) -> None:
        self.config = config
        self.uarch = uarch
        n = len(INSNS) + 1                      # the last op id: a word no row encodes
        rows = [i for i in INSNS if i.ext in config]
        self.classes = sorted({insn_class(i) for i in INSNS})
        self.class_of = np.array([self.classes.index(insn_class(i)) for i in INSNS] + [-1], np.int64)
        self.groups: dict[str, Group] = {}

        g = self._group("instructions")
        self.lut_insn = np.full(n, -1, np.int64)
        for i in rows:
            self.lut_insn[i.op] = g.add(i.name)

        g = self._group("operand registers")
        self.lut_reg = np.full((n, len(REG_CORNERS)), -1, np.int64)
        for i in rows:
            has = {a: _reads(i, a) or (a == "rd" and i.kind not in _NO_OPERANDS and "rd" in i.args)
                   for a in ("rd", "rs1", "rs2")}
            wanted = (has["rd"], has["rs1"] and has["rs2"], has["rd"] and has["rs1"])
            for k, corner in enumerate(REG_CORNERS):
                if wanted[k]:
                    self.lut_reg[i.op, k] = g.add(f"{i.name} {corner}")

        g = self._group("operand values")
        self.lut_val = np.full((n, 2, len(VALUE_CLASSES)), -1, np.int64)
        for i in rows:
            for s, src in enumerate(("rs1", "rs2")):
                if _reads(i, src) and not (src == "rs1" and i.kind in _ADDRESS_RS1):
                    for v, cls in enumerate(VALUE_CLASSES):
                        self.lut_val[i.op, s, v] = g.add(f"{i.name} {src}={cls}")

        g = self._group("branches")
        self.lut_br = np.full((n, len(BRANCH_OUTCOMES)), -1, np.int64)
        self.lut_br_load = np.full((n, 2), -1, np.int64)      # [op, taken]: an operand from a load
        for i in rows:
            if i.kind == "branch":
                for k, outcome in enumerate(BRANCH_OUTCOMES):
                    self.lut_br[i.op, k] = g.add(f"{i.name} {outcome}")
                for taken in (0, 1):
                    outcome = "taken" if taken else "not taken"
                    self.lut_br_load[i.op, taken] = g.add(f"{i.name} {outcome}, an operand from a load")

        # traps need a handler, and only Zicsr can set mtvec
        handler = any(i.kind == "csr" for i in rows)
        present = sorted({insn_class(i) for i in rows})
        self.cause_bin: dict[int, int] = {}
        self.unhandled_bin: dict[int, int] = {}
        self.lut_irq = np.full(len(self.classes), -1, np.int64)
        self.lut_csr = np.full((4096, 2), -1, np.int64)
        self.lut_csr_insn = np.full((4096, n), -1, np.int64)
        if handler:
            g = self._group("traps")
            for c in CAUSES:
                self.cause_bin[c.code] = g.add(c.name)
            # with mtvec left 0 the run ends at the trap (the timer's needs Zicsr to enable it)
            g = self._group("traps without a handler")
            self.unhandled_bin = {c.code: g.add(c.name) for c in CAUSES}
            g = self._group("interrupts")
            for cls in present:
                self.lut_irq[self.classes.index(cls)] = g.add(f"timer interrupt at {cls}")
            # the two the class does not tell: a wfi woken (the next instruction takes it), a
            # CSR write (not a read) in EX
            if any(i.name == "wfi" for i in rows):
                g.add("timer interrupt waking a wfi")
            g.add("timer interrupt at a CSR write")
            g = self._group("csrs")
            for c in CSRS:
                self.lut_csr[c.number, 0] = g.add(f"{c.name} read")
                if not c.read_only:
                    self.lut_csr[c.number, 1] = g.add(f"{c.name} write")
            # every CSR by every CSR instruction that can run on it (on a read-only one,
            # csrrw and csrrwi always write, so they always trap: the traps' bins)
            csr_rows = [i for i in rows if i.kind == "csr"]
            for c in CSRS:
                for i in csr_rows:
                    if not (c.read_only and i.name in ("csrrw", "csrrwi")):
                        self.lut_csr_insn[c.number, i.op] = g.add(f"{c.name} by {i.name}")

        g = self._group("operand sources")
        self.lut_src = np.full((n, len(SOURCES), len(ORIGINS)), -1, np.int64)
        for i in rows:
            for s_, src in enumerate(SOURCES):
                if _reads(i, src):
                    for k, origin in enumerate(ORIGINS):
                        self.lut_src[i.op, s_, k] = g.add(f"{i.name} {src} {origin}")

        g = self._group("hazards")
        self.lut_lu = np.full((len(SOURCES), len(self.classes)), -1, np.int64)
        for s, src in enumerate(SOURCES):
            for cls in present:
                if any(insn_class(i) == cls and _reads(i, src) for i in rows):
                    self.lut_lu[s, self.classes.index(cls)] = g.add(f"load-use {src} by {cls}")
        # every load row by each consumer class right behind it (the load-use stall); a
        # sub-word load's value (within 32 KiB of 0) is no mapped address, so its load
        # consumer (whose one source is the address) always faults: the traps' bins
        self.lut_luw = np.full((n, len(self.classes)), -1, np.int64)
        for ld in rows:
            if ld.kind == "load":
                for cls in present:
                    if cls == "load" and ld.name != "lw":
                        continue
                    if any(insn_class(i) == cls and (_reads(i, "rs1") or _reads(i, "rs2")) for i in rows):
                        k = self.classes.index(cls)
                        self.lut_luw[ld.op, k] = g.add(f"load-use: {ld.name} then {cls}")
        self.lut_fwd = np.full((len(SOURCES), len(DISTANCES) + 1), -1, np.int64)
        for s, src in enumerate(SOURCES):
            if any(_reads(i, src) for i in rows):
                for d in DISTANCES:
                    self.lut_fwd[s, d] = g.add(f"{src} from distance {d}")

        # with a cache a store reaches the code only through fence.i (docs/timing.md)
        self.bin_code: dict[int, int] = {}
        if "zifencei" in config or (uarch.icache is None and uarch.dcache is None):
            g = self._group("code")
            self.bin_code = {w: g.add(f"{name} into code, then executed")
                             for w, name in ((1, "sb"), (2, "sh"), (4, "sw"))}
            if "zifencei" in config:
                self.bin_code[0] = g.add("fence.i after a store into code")

        self.bin_uarch: dict[str, int] = {}
        self.bin_record: dict[str, int] = {}
        if not uarch.is_ideal:
            g = self._group("microarchitecture")
            counted = ["icache_hits", "icache_misses"] if uarch.icache else []
            self.bin_uarch = {e: g.add(e.replace("_", " ")) for e in counted}
            self.bin_record = {e: g.add(e) for e in uarch_events(uarch)}

        for g in self.groups.values():
            g.freeze()

    def _group(self, name: str) -> Group:
        self.groups[name] = Group(name)
        return self.groups[name]

    def add(self, group: str, bins: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Count the events of ``bins`` (bin indices; -1 ignored) in ``group``."""
        g = self.groups[group]
        keep = bins >= 0
        w = None if weights is None else weights[keep]
        g.counts += np.bincount(bins[keep], weights=w, minlength=len(g.bins)).astype(np.int64)

    def count(self, group: str, name: str) -> int:
        g = self.groups[group]
        return int(g.counts[g.bins.index(name)])
