"""The microarchitecture's state in the ISS: caches, memory latency, predictor, multiplier.

The execute loop's ``UARCH`` variants (``simulator/loop.py``) follow the rules of
``docs/timing.md`` ("Microarchitecture") with the helpers here. Two int64 arrays
carry everything, so that a run can be resumed like the rest of the state:

* ``ua``, the parameters (``P_*``, from :func:`new_state`) and the pipeline's timing
  state between slots (``U_*``);
* ``uc``, the storage: per cache line its tag (the line address, -1 when invalid),
  its last-use stamp and its dirty bit; per branch history table entry its tag (the
  branch's pc, -1 when invalid), its target and its 2-bit counter.

True LRU is kept as a stamp per line from a counter per cache that each of its lookups
advances: the least recently used line of a set is the one with the smallest stamp.
"""

from __future__ import annotations

import numpy as np

from isa.jitable import jitable
from isa.table import INSNS
from isa.timing import DIV_EXTRA, PIPELINE_FILL
from isa.uarch import BHT_INIT, BP_KINDS, CRYPTO_EXTS, Cache, Uarch

from .jitcache import njit_cached
from .state import S_BR, S_MISP

# ---- parameters (set once)
P_IC_SETS, P_IC_WAYS, P_IC_SHIFT, P_IC_WORDS = 0, 1, 2, 3
P_DC_SETS, P_DC_WAYS, P_DC_SHIFT, P_DC_WORDS = 4, 5, 6, 7
P_MEM, P_BP, P_BHT, P_MUL_STAGES = 8, 9, 10, 11
P_IC_BASE, P_DC_BASE, P_BT_BASE = 12, 13, 14
#: the most cycles a result is late (op_table's row 4): above 0, a slot may wait for the
#: result of the slot two before it
P_LATE_MAX = 15
# ---- timing state between slots
#: MEM entry cycle of the last slot
U_M = 17
#: send cycle of the next fetch; what it would have been with no redirect and with
#: no busy I-side (the stall accounting splits the difference by cause)
U_F, U_FSEQ, U_FRED = 18, 19, 20
#: the stall cause of the redirect that set U_FRED, and the instruction word charged
U_RCAUSE, U_RSRC = 21, 22
#: the last two results that are late (loads, pipelined products): rd, the first
#: cycle a consumer may be in EX, and the stall cause
U_P1RD, U_P1R, U_P1K, U_P2RD, U_P2R, U_P2K = 23, 24, 25, 26, 27, 28
#: LRU clocks: the I-cache's (U_CLOCK) and the D-cache's
U_CLOCK = 29
U_DCLOCK = 16
#: counters, in the order of COUNTERS
U_CNT0 = 30
COUNTERS: tuple[str, ...] = (
    "icache_hits",
    "icache_misses",
    "dcache_hits",
    "dcache_misses",
    "dcache_writebacks",
    "bp_mispredicts",
)
U_ICH, U_ICM, U_DCH, U_DCM, U_DCWB, U_BPM = range(U_CNT0, U_CNT0 + len(COUNTERS))
#: the line of each cache's last lookup (-1: none) and, for the D-cache, its row: a
#: lookup of the same line again is a hit that changes no LRU order (that line is the
#: most recent of all), so it skips the search
U_ILAST, U_DLAST, U_DROW = 36, 37, 38
#: pending predictor updates (written at the end of a branch's EX cycle, seen by
#: fetches sent in later cycles): a ring of U_PQ_MAX rows (cycle, pc, target, taken)
U_PQ_HEAD, U_PQ_N, U_PQ0, U_PQ_MAX = 40, 41, 42, 4
NUA = U_PQ0 + 4 * U_PQ_MAX

# ``schedule`` is inlined into the loop (``jitable``, scalars only); the functions taking
# the arrays are called only off the common path (a call with arrays pays atomic reference
# counts, several times the work of a hit): the loop itself does a hit in the last line.

#: "no late result" (never equal to a decoded source register)
NO_REG = 40
#: Predictor kinds (``P_BP``), as isa.uarch.BP_KINDS orders them.
BP_NONE, BP_BTFN, BP_BHT = range(3)
#: Row 3 of the op table: what the timing needs to know of an instruction.
UF_BRANCH, UF_JAL, UF_JALR, UF_LOAD, UF_RS3, UF_FENCEI, UF_STORE = 1, 2, 4, 8, 16, 32, 64
#: What may predict or redirect the fetch: such a slot leaves the steady flow.
UF_STEER = UF_BRANCH | UF_JAL | UF_JALR | UF_FENCEI
#: Row 5 of the op table, the steady loop's one word per op: the flags, this bit for an
#: op that holds EX (row 0 not zero), and row 4 plus one from bit ``UW_LATE_AT`` on
UF_HELD, UW_LATE_AT = 128, 8

#: Words per line in ``uc``: I-cache (tag, stamp), D-cache (tag, stamp, dirty), predictor.
IC_ROW, DC_ROW, _BT_ROW = 2, 3, 3


def _log2(n: int) -> int:
    return n.bit_length() - 1


_FLAGS = {
    "branch": UF_BRANCH,
    "jal": UF_JAL,
    "jalr": UF_JALR,
    "load": UF_LOAD,
    "store": UF_STORE,
    "alu3": UF_RS3,
    "fencei": UF_FENCEI,
}
MUL_OPS = ("mul", "mulh", "mulhsu", "mulhu")
#: Xchain's multiply-accumulate rows: products of the pipelined multiplier (``mul=pipe``)
MAC_OPS = ("maddlu", "maddhu")


#: Rows of :func:`op_table`.
OP_ROWS = 6


def op_table(u: Uarch) -> np.ndarray:
    """Per op (columns), the rows: 0, cycles EX is held beyond the first; 1, the stages
    of its result (a pipelined multiplier's); 2, whether it is a multiplication (stall
    cause ``mul``); 3, its ``UF_*`` flags; 4, for a result that is late (a load's, a
    pipelined product's), the first cycle a consumer may be in EX less the producer's
    retirement cycle, else -1; 5, rows 0, 3 and 4 in one word (``UF_HELD``)."""
    t = np.zeros((OP_ROWS, len(INSNS) + 1), np.int64)
    t[1, :] = 1
    t[4, :] = -1
    for insn in INSNS:
        if insn.kind == "div":
            t[0, insn.op] = DIV_EXTRA
        if insn.name in MUL_OPS or (insn.name in MAC_OPS and u.mul == "pipe"):
            t[0, insn.op] = u.mul_extra
            t[1, insn.op] = u.mul_stages
            t[2, insn.op] = 1
            if u.mul_stages >= 2:
                t[4, insn.op] = u.mul_stages - 2
        if insn.kind == "load":
            t[4, insn.op] = u.load_late
        if insn.ext in CRYPTO_EXTS:
            t[4, insn.op] = u.crypto_late
        t[3, insn.op] = _FLAGS.get(insn.kind, 0)
    t[5] = t[3] | np.where(t[0] != 0, UF_HELD, 0) | (t[4] + 1) << UW_LATE_AT
    return t


def new_state(u: Uarch) -> tuple[np.ndarray, np.ndarray]:
    """The ``ua`` and ``uc`` arrays of a machine at reset."""
    ua = np.zeros(NUA, np.int64)
    pos = 0

    def cache(c: Cache | None, p_sets: int, row: int) -> int:
        nonlocal pos
        base = pos
        if c is not None:
            ua[p_sets : p_sets + 4] = (c.sets, c.ways, _log2(c.line), c.words)
            pos += c.sets * c.ways * row
        return base

    ua[P_IC_BASE] = cache(u.icache, P_IC_SETS, IC_ROW)
    ua[P_DC_BASE] = cache(u.dcache, P_DC_SETS, DC_ROW)
    ua[P_BT_BASE] = pos
    pos += u.bht * _BT_ROW
    ua[P_MEM] = u.mem
    ua[P_BP] = BP_KINDS.index(u.bp)
    ua[P_BHT] = u.bht
    ua[P_MUL_STAGES] = u.mul_stages
    ua[P_LATE_MAX] = op_table(u)[4].max()
    ua[U_P1RD] = ua[U_P2RD] = NO_REG
    ua[U_ILAST] = ua[U_DLAST] = -1
    # as if a slot had entered MEM in cycle 1, retiring in the cycle before the first
    # instruction may (st[CYC] at reset): no stage held
    ua[U_M] = PIPELINE_FILL - 2
    uc = np.zeros(max(pos, 1), np.int64)
    # every tag invalid; stamps, dirty bits, targets and counters 0
    for base, lines, row in (
        (ua[P_IC_BASE], ua[P_IC_SETS] * ua[P_IC_WAYS], IC_ROW),
        (ua[P_DC_BASE], ua[P_DC_SETS] * ua[P_DC_WAYS], DC_ROW),
        (ua[P_BT_BASE], u.bht, _BT_ROW),
    ):
        uc[base : base + lines * row : row] = -1
    return ua, uc


def counters(ua: np.ndarray) -> dict[str, int]:
    return {name: int(ua[U_CNT0 + k]) for k, name in enumerate(COUNTERS)}


# ------------------------------------------------------------------ caches
@njit_cached
def _lookup(ua, uc, base, sets, ways, shift, row, addr):
    """Find ``addr``'s line in a cache: (its row index, hit). On a miss the row is the
    victim's (the lowest invalid way, else the least recently used) and still holds it."""
    line = addr >> shift
    first = base + (line & (sets - 1)) * ways * row
    victim = first
    for w in range(ways):
        r = first + w * row
        if uc[r] == line:
            return r, True
        if uc[victim] >= 0 and (uc[r] < 0 or uc[r + 1] < uc[victim + 1]):
            victim = r
    return victim, False


@njit_cached
def ifetch(ua, uc, addr):
    """Cycles a fetch from RAM waits beyond the first (docs/timing.md, "Fetch"): the
    search, for a fetch outside the line of the last lookup (the loop counts a fetch
    inside it as a hit itself; calls with arrays cost atomic reference counts, so the
    common case makes none)."""
    line = addr >> ua[P_IC_SHIFT]
    ua[U_ILAST] = line
    r, hit = _lookup(ua, uc, ua[P_IC_BASE], ua[P_IC_SETS], ua[P_IC_WAYS], ua[P_IC_SHIFT], IC_ROW, addr)
    ua[U_CLOCK] += 1
    uc[r + 1] = ua[U_CLOCK]
    if hit:
        ua[U_ICH] += 1
        return 0
    ua[U_ICM] += 1
    uc[r] = line
    return ua[P_MEM] + ua[P_IC_WORDS]


@njit_cached
def daccess(ua, uc, addr, store):
    """Cycles a load or store to RAM holds MEM beyond the first (docs/timing.md, "Data"):
    the search, for an access outside the line of the last one."""
    r, hit = _lookup(ua, uc, ua[P_DC_BASE], ua[P_DC_SETS], ua[P_DC_WAYS], ua[P_DC_SHIFT], DC_ROW, addr)
    ua[U_DLAST] = addr >> ua[P_DC_SHIFT]
    ua[U_DROW] = r
    ua[U_DCLOCK] += 1
    uc[r + 1] = ua[U_DCLOCK]
    q = 0
    if hit:
        ua[U_DCH] += 1
    else:
        ua[U_DCM] += 1
        q = ua[P_MEM] + ua[P_DC_WORDS]
        if uc[r] >= 0 and uc[r + 2] != 0:
            ua[U_DCWB] += 1
            q += ua[P_MEM] + ua[P_DC_WORDS]
        uc[r] = addr >> ua[P_DC_SHIFT]
        uc[r + 2] = 0
    if store:
        uc[r + 2] = 1
    return q


@njit_cached
def dflush(ua, uc):
    """fence.i's MEM cycles beyond the first: every dirty line written back (a cycle to
    read it, then ``mem`` + one per word) and marked clean."""
    sets = ua[P_DC_SETS]
    if sets == 0:
        return 0
    n = 0
    base = ua[P_DC_BASE]
    for r in range(base, base + sets * ua[P_DC_WAYS] * DC_ROW, DC_ROW):
        if uc[r] >= 0 and uc[r + 2] != 0:
            n += 1
            uc[r + 2] = 0
    ua[U_DCWB] += n
    return n * (1 + ua[P_MEM] + ua[P_DC_WORDS])


@njit_cached
def iflush(ua, uc, keep):
    """fence.i: every I-cache line invalid, except the one holding ``keep`` (a wrong-path
    refill that ends after the invalidation installs its line; -1: none)."""
    sets = ua[P_IC_SETS]
    if sets == 0:
        return
    ua[U_ILAST] = -1
    line = keep >> ua[P_IC_SHIFT] if keep >= 0 else -2
    base = ua[P_IC_BASE]
    for r in range(base, base + sets * ua[P_IC_WAYS] * IC_ROW, IC_ROW):
        if uc[r] != line:
            uc[r] = -1


# ------------------------------------------------------------------ predictor
@jitable
def bht_row(base, entries, pc):
    """The row of ``uc`` holding the table entry of ``pc`` (direct-mapped on pc[2:])."""
    return base + ((pc >> 2) & (entries - 1)) * _BT_ROW


@jitable
def bht_entry(tag, target, counter, pc, new_target, taken):
    """A table entry (its tag, target and counter) after the update of branch ``pc``:
    a hit counts up or down (and learns the target if taken), a taken miss installs."""
    if tag == pc:
        counter = min(counter + 1, 3) if taken else max(counter - 1, 0)
        if taken:
            target = new_target
    elif taken:
        tag = pc
        target = new_target
        counter = BHT_INIT
    return tag, target, counter


@jitable
def bht_noop(tag, target, counter, pc, new_target, taken):
    """Whether the update of branch ``pc`` leaves its table entry as it is (a saturated
    counter, a not-taken miss). Queued behind no other update, such an update is left
    out: the table changes only when the queue is drained, in order, so it would still
    find the entry as it is now, and change nothing."""
    return bht_entry(tag, target, counter, pc, new_target, taken) == (tag, target, counter)


@njit_cached
def bht_drain(ua, uc, f):
    """Apply the queued updates written before cycle ``f`` (the loop reads the table for
    a fetch sent in ``f`` after this, and queues each branch's update itself; its steady
    loop drains the queue itself, with ``bht_entry``, to make no call)."""
    while ua[U_PQ_N] > 0:
        q = U_PQ0 + 4 * ua[U_PQ_HEAD]
        if ua[q] >= f:
            break
        r = bht_row(ua[P_BT_BASE], ua[P_BHT], ua[q + 1])
        uc[r], uc[r + 1], uc[r + 2] = bht_entry(uc[r], uc[r + 1], uc[r + 2], ua[q + 1], ua[q + 2], ua[q + 3])
        ua[U_PQ_HEAD] = (ua[U_PQ_HEAD] + 1) % U_PQ_MAX
        ua[U_PQ_N] -= 1


# ------------------------------------------------------------------ schedule
@jitable
def steady_times(cyc):
    """The timing state the steady flow stands for (fetch, ID, EX and MEM each one cycle
    behind the next, no redirect pending) after a slot that retired in ``cyc``:
    (u_f, u_m, u_fseq, u_fred, u_rcause)."""
    return cyc - 3, cyc - 1, cyc - 3, cyc - 3, S_BR


#: The wait of the slot after a misprediction (or a ``jalr``) by a slot of the steady
#: flow: its fetch is redirected in the mispredicting slot's MEM cycle, two cycles after
#: the steady flow would have sent it (no wrong-path fetch is looked up: the redirect
#: squashes it in its lookup cycle).
MISP_WAIT = 2


@jitable
def redirect_times(cyc):
    """The timing state after a slot of the steady flow that retired in ``cyc`` and
    mispredicted (``steady_times`` but for the fetch, sent again from its MEM cycle):
    (u_f, u_m, u_fseq, u_fred, u_rcause)."""
    f, m, fseq, fred, _ = steady_times(cyc)
    return f + MISP_WAIT, m, fseq, fred + MISP_WAIT, S_MISP


@jitable
def shift_late(p1rd, p1r, p1k, rd, late_at, c, cause):
    """The last two late results (rd, first EX cycle of a consumer, stall cause; the
    newer first) after a slot that retired in ``c`` and whose result, in ``rd``, is
    late by ``late_at`` (-1: not late; an empty entry, ``NO_REG`` with cycle and cause 0)."""
    if late_at < 0:
        return NO_REG, 0, 0, p1rd, p1r, p1k
    return rd, c + late_at, cause, p1rd, p1r, p1k


#: The steady loop keeps each of the last two late results in one word (two loop-carried
#: values instead of six): ready cycle << LW_READY_AT | stall cause << LW_CAUSE_AT | rd
#: (packed and unpacked in the loop itself: helper calls there measured 5-8% slower).
LW_CAUSE_AT, LW_READY_AT, LW_FIELD = 8, 16, 0xFF


@jitable
def is_steady(u_f, u_m, u_fseq, u_fred, cyc):
    """Whether the timing state is the steady flow's after a slot that retired in ``cyc``."""
    return u_m == u_f + 2 and cyc == u_f + 3 and u_fseq == u_f and u_fred == u_f


@jitable
def schedule(ready, late, extra, m_prev, w_prev):
    """The MEM-entry cycle of a slot whose word is in ID and ready in cycle ``ready``,
    whose operands allow EX from cycle ``late``, and that holds EX ``extra`` cycles more,
    behind a slot that entered MEM in ``m_prev`` and WB in ``w_prev``: (E, M)."""
    e = max(ready + 1, m_prev, late)
    if m_prev < e < w_prev:  # the previous slot holds MEM (a data-side wait): nothing moves
        e = w_prev
    return e, max(e + 1 + extra, w_prev)
