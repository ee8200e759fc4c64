"""Samples a retirement trace into the coverage model, one chunk of records at a
time, with numpy only: no Python runs per record (docs/coverage.md).

Hazards look back three records, so the last three of a chunk are kept and put
in front of the next. Trap records carry no cause: a trap's cause is the value
its handler reads from ``mcause`` first (before the next trap).
"""

from __future__ import annotations

import numpy as np

from isa.csrs import CAUSE_MTI, MCAUSE
from isa.memmap import RAM_BASE, RAM_SIZE
from isa.table import INSNS
from simulator.state import S_DC, S_IC, S_MISP, S_MUL

from .model import DISTANCES, DPORT, PREDICTIONS, Model

M32 = 0xFFFF_FFFF
_NO_ROW = len(INSNS)
_CSR_OPS = np.array([i.op for i in INSNS if i.kind == "csr"])
_CSR_ALWAYS_WRITES = np.array([i.op for i in INSNS if i.name in ("csrrw", "csrrwi")])
_R4 = np.array([i.fmt == "R4" for i in INSNS] + [False])
_LOAD = np.array([i.kind == "load" for i in INSNS] + [False])
_STORE = np.array([i.kind == "store" for i in INSNS] + [False])
_FENCEI = np.array([i.kind == "fencei" for i in INSNS] + [False])
_WFI = np.array([i.name == "wfi" for i in INSNS] + [False])
#: a trap's key: its op id, and these flags above it (the interrupts' bins)
_AFTER_WFI, _CSR_WRITE = 1 << 16, 1 << 17
_BRANCH = np.array([i.kind == "branch" for i in INSNS] + [False])
_JAL = np.array([i.kind == "jal" for i in INSNS] + [False])
_JUMP = np.array([i.kind in ("jal", "jalr") for i in INSNS] + [False])
#: rows whose execution is a trap (their retirement slot is a trap record)
_TRAPPING = np.array([i.name in ("ecall", "ebreak") for i in INSNS] + [False])
_CONTEXT = max(DISTANCES)
#: the record fields the bins read, taken out of the records as contiguous columns
#: (indexing a structured array copies every field)
_FIELDS = ("order", "insn", "trap", "pc_rdata", "pc_wdata", "rs1_addr", "rs1_rdata", "rs2_addr",
           "rs2_rdata", "rd_addr", "rd_wdata", "mem_addr", "mem_wmask")
#: the stall causes the microarchitecture's bins read, as columns beside the fields
_STALLS = {"s_ic": S_IC, "s_dc": S_DC, "s_misp": S_MISP, "s_mul": S_MUL}
_COLUMNS = _FIELDS + tuple(_STALLS)
Cols = dict[str, np.ndarray]


def decode_ops(words: np.ndarray) -> np.ndarray:
    """The table row (op id) of each word, ``len(INSNS)`` for none; the first row
    that matches wins, as in ``isa.encoding.lookup``. Each distinct word is decoded
    once (a program has far fewer distinct words than records)."""
    uniq, inverse = np.unique(words, return_inverse=True)
    ops = np.full(len(uniq), _NO_ROW, np.int64)
    for insn in reversed(INSNS):
        ops[(uniq & insn.mask) == insn.match] = insn.op
    return ops[inverse]


def branch_taken(word: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The condition of RV32I's branch of each word (funct3) on its operands ``a``, ``b``:
    from the values, not from the next pc (a branch taken to pc + 4 is taken)."""
    a, b = a & M32, b & M32
    sa, sb = (a ^ 0x8000_0000) - 0x8000_0000, (b ^ 0x8000_0000) - 0x8000_0000
    f3 = (word >> 12) & 7
    cond = np.select([f3 == 0, f3 == 1, f3 == 4, f3 == 5, f3 == 6],
                     [a == b, a != b, sa < sb, sa >= sb, a < b], a >= b)
    return cond.astype(bool)


def _take(r: Cols, mask: np.ndarray) -> Cols:
    return {k: v[mask] for k, v in r.items()}


def value_class(v: np.ndarray) -> np.ndarray:
    """0, all ones, sign bit set, small (1..255) -> 0..3; other values -1."""
    out = np.full(len(v), -1, np.int64)
    out[(v >= 1) & (v <= 255)] = 3
    out[(v & 0x8000_0000) != 0] = 2
    out[v == M32] = 1
    out[v == 0] = 0
    return out


class Sampler:
    def __init__(self, model: Model) -> None:
        self.m = model
        self.records = 0
        #: traps whose cause no handler read (another trap came first, or the run ended)
        self.unattributed = 0
        self._tail: Cols = {f: np.zeros(0, np.int64) for f in _COLUMNS}
        self._open_trap = -1                       # op id of a trap waiting for its mcause read
        # the last store to each word address: (word address, order, width), sorted by address
        self._stored = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
        self._fencei = np.zeros(0, np.int64)        # orders of the fence.i executed

    def end_run(self, counters: dict[str, int], unhandled: int | None = None) -> None:
        """Close one program's trace: its microarchitecture counters, no context carried;
        ``unhandled``: the cause of the trap with no handler that ended it."""
        if unhandled is not None and unhandled in self.m.unhandled_bin:
            self.m.groups["traps without a handler"].counts[self.m.unhandled_bin[unhandled]] += 1
            # its trap record is the run's last; no handler reads its cause
            self._open_trap = -1
        for name, b in self.m.bin_uarch.items():
            if name in counters:
                self.m.groups["microarchitecture"].counts[b] += counters[name]
        self.unattributed += self._open_trap >= 0
        self.__init_run_state()

    def __init_run_state(self) -> None:
        self._tail = {f: np.zeros(0, np.int64) for f in _COLUMNS}
        self._open_trap = -1
        self._stored = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
        self._fencei = np.zeros(0, np.int64)

    def sample(self, recs: np.ndarray, stalls: np.ndarray | None = None) -> None:
        """Count the bins of a chunk of records (``simulator.trace.RVFI_DTYPE``) and, under
        a microarchitecture, their stall cycles by cause."""
        if not len(recs):
            return
        m = self.m
        self.records += len(recs)
        k = len(self._tail["insn"])
        cols = {f: recs[f] for f in _FIELDS}
        for name, cause in _STALLS.items():
            cols[name] = stalls[:, cause] if stalls is not None else np.zeros(len(recs), np.int64)
        r = {f: np.concatenate([self._tail[f], cols[f]]) for f in _COLUMNS}
        self._tail = {f: v[-_CONTEXT:] for f, v in r.items()}
        word = r["insn"] & M32
        op = decode_ops(word)
        ok = r["trap"] == 0
        new = np.arange(len(word)) >= k
        live = ok & new
        # derived once, read by several groups: a branch's outcome, a CSR row's write
        r["taken"] = branch_taken(word, r["rs1_rdata"], r["rs2_rdata"])
        rs1_field = (word >> 15) & 31
        r["csr_write"] = np.isin(op, _CSR_OPS) & (np.isin(op, _CSR_ALWAYS_WRITES) | (rs1_field != 0))
        self._instructions(op[live], word[live], _take(r, live))
        m.add("instructions", m.lut_insn[op[~ok & new & _TRAPPING[op]]])
        self._hazards(r, op, word, ok, live)
        rn = {f: v[k:] for f, v in r.items()}
        # what the interrupts' bins ask of a trap beside its op: the wfi right before it,
        # or its own CSR write
        after_wfi = np.zeros(len(op), bool)
        after_wfi[1:] = _WFI[op[:-1]] & ok[:-1]
        key = op | np.where(after_wfi, _AFTER_WFI, 0) | np.where(r["csr_write"], _CSR_WRITE, 0)
        self._traps(rn, key[k:], op[k:], word[k:], ok[k:])
        self._code(rn, op[k:], ok[k:])
        if m.bin_record:
            self._uarch(r, op, ok, k)

    # ------------------------------------------------------------ per record
    def _instructions(self, op: np.ndarray, word: np.ndarray, r: Cols) -> None:
        m = self.m
        m.add("instructions", m.lut_insn[op])
        rd, rs1, rs2 = (word >> 7) & 31, (word >> 15) & 31, (word >> 20) & 31
        for c, hit in enumerate((rd == 0, rs1 == rs2, rd == rs1)):
            m.add("operand registers", np.where(hit, m.lut_reg[op, c], -1))
        for s, field in enumerate(("rs1_rdata", "rs2_rdata")):
            cls = value_class(r[field] & M32)
            m.add("operand values", np.where(cls >= 0, m.lut_val[op, s, np.maximum(cls, 0)], -1))
        backward = (word >> 31) & 1
        m.add("branches", m.lut_br[op, r["taken"] * 2 + backward])
        if "csrs" in m.groups:
            csr = np.isin(op, _CSR_OPS)
            num = word >> 20
            read = csr & (rd != 0)
            m.add("csrs", np.where(read, m.lut_csr[num, 0], -1))
            m.add("csrs", np.where(r["csr_write"], m.lut_csr[num, 1], -1))
            m.add("csrs", np.where(csr, m.lut_csr_insn[num, op], -1))

    def _hazards(self, r: Cols, op: np.ndarray, word: np.ndarray, ok: np.ndarray,
                 live: np.ndarray) -> None:
        """Load-use and forwarding distances: record j reads a register that record j - d
        wrote, with no trap between (the pipeline holds both)."""
        m = self.m
        n = len(op)
        wr = np.where(ok, r["rd_addr"], 0)
        # seq[j]: record j follows record j - 1 in the pipeline
        seq = np.zeros(n, bool)
        seq[1:] = ok[1:] & ok[:-1] & ((r["pc_rdata"][1:] & M32) == (r["pc_wdata"][:-1] & M32))
        cls = m.class_of[op]
        loads = _LOAD[op] & ok
        srcs = (r["rs1_addr"], r["rs2_addr"], np.where(_R4[op], word >> 27, 0))
        after_load = np.zeros(n, bool)          # a source from the load right before
        for s, reg in enumerate(srcs):
            reg = np.where(live, reg, 0)
            found = np.zeros(n, bool)
            origin = np.zeros(n, np.int64)        # ORIGINS: 0 the register file, else d
            chain = np.ones(n, bool)
            for d in DISTANCES:
                prev_wr = np.zeros(n, np.int64)
                prev_wr[d:] = wr[:-d]
                chain[:d] = False
                chain &= np.roll(seq, d - 1) if d > 1 else seq
                hit = chain & (reg != 0) & (prev_wr == reg) & ~found
                found |= hit
                origin[hit] = d
                m.add("hazards", np.where(hit, m.lut_fwd[s, d], -1))
                if d == 1:
                    prev_load = np.zeros(n, bool)
                    prev_load[1:] = loads[:-1]
                    lu = hit & prev_load
                    m.add("hazards", np.where(lu, m.lut_lu[s, np.maximum(cls, 0)], -1))
                    after_load |= lu
            m.add("operand sources", np.where(live, m.lut_src[op, s, origin], -1))
        prev_op = np.roll(op, 1)
        m.add("hazards", np.where(after_load, m.lut_luw[prev_op, np.maximum(cls, 0)], -1))
        m.add("branches", np.where(after_load, m.lut_br_load[op, r["taken"].astype(np.int64)], -1))

    def _uarch(self, r: Cols, op: np.ndarray, ok: np.ndarray, k: int) -> None:
        """The microarchitecture's events single records show: a record's own stalls, and a
        pair's, record j followed in the pipeline by j + 1 (whose stalls say what j's
        redirect cost). A pair is counted when j + 1 is new, so j may be the chunk before's."""
        m = self.m
        g = m.groups["microarchitecture"]

        def add(name: str, hit: np.ndarray) -> None:
            if name in m.bin_record:
                g.counts[m.bin_record[name]] += int(np.count_nonzero(hit))

        n = len(op)
        j = np.arange(max(k - 1, 0), n - 1)
        nx = j + 1
        seq = ok[j] & ((r["pc_rdata"][nx] & M32) == (r["pc_wdata"][j] & M32))
        opj = op[j]
        taken = r["taken"][j]
        branch = _BRANCH[opj] & seq
        misp = r["s_misp"][nx] > 0
        predicted = taken ^ misp                   # what EX found wrong was the opposite
        for idx, name in enumerate(PREDICTIONS):
            want_pred, want_taken = idx < 2, idx % 2 == 0
            add(f"branch {name}", branch & (predicted == want_pred) & (taken == want_taken))
        jal = _JAL[opj] & seq
        add("jal predicted", jal & ~misp)
        add("jal not predicted", jal & misp)
        imiss = r["s_ic"][nx] > 0
        add("I-cache miss at a taken branch's target", branch & taken & imiss)
        add("I-cache miss at a jump's target", _JUMP[opj] & seq & imiss)

        new = np.arange(n) >= k
        addr = r["mem_addr"] & M32
        access = ok & (_LOAD[op] | _STORE[op]) & (addr >= RAM_BASE) & (addr < RAM_BASE + RAM_SIZE)
        dc = r["s_dc"]
        if m.uarch.dcache:
            refill = m.uarch.mem + m.uarch.dcache.words
            outcome = np.where(dc == 0, 0, np.where(dc <= refill, 1, 2))
            for kind, rows in (("load", _LOAD), ("store", _STORE)):
                for o, name in enumerate(DPORT):
                    add(f"{kind} {name}", new & access & rows[op] & (outcome == o))
            miss = access[j] & (dc[j] > 0) & ok[nx] & seq
            add("D-cache miss with a taken branch behind it", miss & _BRANCH[op[nx]] & r["taken"][nx])
            add("D-cache miss with a jump behind it", miss & _JUMP[op[nx]])
        add("mul stalls", new & (r["s_mul"] > 0))

    def _traps(self, r: Cols, key: np.ndarray, op: np.ndarray, word: np.ndarray, ok: np.ndarray) -> None:
        m = self.m
        if "traps" not in m.groups:
            return
        traps = np.flatnonzero(~ok)
        trap_ops = key[traps]
        if self._open_trap >= 0:                   # a trap of the chunk before, not read yet
            traps = np.concatenate([[-1], traps])
            trap_ops = np.concatenate([[self._open_trap], trap_ops])
        reads = np.flatnonzero(ok & np.isin(op, _CSR_OPS) & ((word >> 20) == MCAUSE)
                               & (((word >> 7) & 31) != 0))
        self._open_trap = -1
        if not len(traps):
            return
        k = np.searchsorted(reads, traps)
        nxt = np.append(traps[1:], np.iinfo(np.int64).max)
        has = k < len(reads)
        at = np.where(has, reads[np.minimum(k, max(len(reads) - 1, 0))] if len(reads) else 0, 0)
        read_ok = has & (at < nxt)
        if not read_ok[-1] and not has[-1]:        # the last trap's handler runs in the next chunk
            self._open_trap = int(trap_ops[-1])
            read_ok, traps, trap_ops, at = read_ok[:-1], traps[:-1], trap_ops[:-1], at[:-1]
        self.unattributed += int(np.count_nonzero(~read_ok))
        cause = r["rd_wdata"][at[read_ok]] & M32
        g = m.groups["traps"]
        for code, b in m.cause_bin.items():
            g.counts[b] += int(np.count_nonzero(cause == code))
        irq = trap_ops[read_ok][cause == CAUSE_MTI]
        cls = m.class_of[irq & (_AFTER_WFI - 1)]
        m.add("interrupts", np.where(cls >= 0, m.lut_irq[np.maximum(cls, 0)], -1))
        g = m.groups["interrupts"]
        for flag, name in ((_AFTER_WFI, "timer interrupt waking a wfi"),
                           (_CSR_WRITE, "timer interrupt at a CSR write")):
            if name in g.bins:
                g.counts[g.bins.index(name)] += int(np.count_nonzero(irq & flag))

    def _code(self, r: Cols, op: np.ndarray, ok: np.ndarray) -> None:
        """Words executed after a store wrote them (the width of the last store), and
        whether a fence.i ran between that store and the execution."""
        m = self.m
        if not m.bin_code:
            return
        order = r["order"]
        fencei = order[ok & _FENCEI[op]]
        if len(fencei):
            self._fencei = np.concatenate([self._fencei, fencei])
        st = ok & _STORE[op] & (r["mem_wmask"] != 0)
        s_addr, s_order = (r["mem_addr"][st] & M32) >> 2, order[st]
        s_width = np.bitwise_count(r["mem_wmask"][st].astype(np.uint64)).astype(np.int64)
        e_addr, e_order = (r["pc_rdata"][ok] & M32) >> 2, order[ok]
        old_a, old_o, old_w = self._stored
        addr = np.concatenate([old_a, s_addr, e_addr])
        when = np.concatenate([old_o, s_order, e_order])
        width = np.concatenate([old_w, s_width, np.zeros(len(e_addr), np.int64)])
        idx = np.lexsort((when, addr))
        addr, when, width = addr[idx], when[idx], width[idx]
        is_store = width > 0
        # the index of the last store at or before each event, then whether it is the same word
        last = np.maximum.accumulate(np.where(is_store, np.arange(len(addr)), -1))
        same = (last >= 0) & (addr[np.maximum(last, 0)] == addr)
        hit = ~is_store & same
        w = width[np.maximum(last, 0)][hit]
        g = m.groups["code"]
        for size, b in m.bin_code.items():
            if size:
                g.counts[b] += int(np.count_nonzero(w == size))
        if 0 in m.bin_code and len(self._fencei) and hit.any():
            stored_at, ran_at = when[np.maximum(last, 0)][hit], when[hit]
            f = self._fencei
            g.counts[m.bin_code[0]] += int(np.count_nonzero(
                np.searchsorted(f, stored_at) < np.searchsorted(f, ran_at)))
        # keep the last store to each word
        stores = np.flatnonzero(is_store)
        a = addr[stores]
        keep = np.append(a[1:] != a[:-1], True) if len(a) else np.zeros(0, bool)
        self._stored = (a[keep], when[stores][keep], width[stores][keep])
