"""Blocks under a microarchitecture: the UARCH fast loop's steady flow a block at a time.

The steady loop of ``simulator/loop.py`` times one slot at a time: the fetch, the late
operands, the data access, the prediction, the stalls. Inside the steady flow, with
every fetch and data access a hit and every branch as predicted, a slot waits only for
the late results (a load's, a pipelined product's) of the two slots before it. So the
timing of a run of such slots is static but for its first slot, whose slots before it
ran before the block (as under the ideal machine, ``simulator/blocks.py``):
:func:`ublock_build` times a block's words once with the steady loop's rules
(:func:`ublock_time`, the one model of them here), and :func:`run_ublocks` runs whole
blocks, finding at run time only the first slot's wait (:func:`slot_ex`), the lookups
of new I-cache lines (a miss refilled in the block, its wait added), the data accesses
and the prediction. The slots run first; the lines they were fetched from are looked up
after them, in order (each cache keeps its own LRU clock, so the I-side's own order is
all that counts), and the prediction is read last: a slot the block leaves at has
fetched nothing, and nothing is undone. A branch or jump against its prediction (a ``jalr`` always: nothing
predicts it) ends its block whole, as the general slot runs it, and the next block's
first slot waits for the redirect (``MISP_WAIT``: the fetch sent again from the branch's
MEM cycle). Anything else (a data-side miss, a load or store leaving RAM or misaligned, a
wait the summary does not hold) leaves the block before that slot has any effect: the
steady loop runs it, and is the reference the blocks must agree with, the general slot
being its. A block that loops on itself runs its next turns in a turn mode, each as the
one before it, counted together when it stops.

Blocks are made of words the loop has decoded (no word is decoded here, so every word
carries the decode-time marks the general slot gave it) that keep the steady flow:
ALU rows, loads and stores, up to and including the first branch, ``jal`` or ``jalr``
(not one that ``btfn`` predicts taken in ID, and none without a predictor). ``blk``
holds, at a block's first word::

    length | ENDS | rest << 8 | mul << 16 | src << 22 | NONE | last << 29 | GROUPED | reads << 32

``ENDS``: it ends in a branch or jump (``JALR``, bit 7: a ``jalr``); ``rest``: the
cycles from its first slot's retirement to its last's; ``mul``: the ``mul`` stall cycles
in them (the others are load-use); ``src``: the last slot after the first that waited
(0: none); ``last``: the last slot's own wait; ``reads``: the registers the first slot
reads, a bit each. A store into a decoded word, a breakpoint and a write from outside
the loop forget the blocks that may hold the word as they do the ideal machine's
(``blocks.block_forget``), so a kept block's words are decoded."""

from __future__ import annotations

import numpy as np

from isa import semantics
from isa.jitable import jitable
from isa.memmap import RAM_BASE
from isa.semantics import M
from isa.table import INSNS, Insn
from isa.timing import EXTRA_BY_KIND
from isa.uarch import BHT_TAKEN

from . import state as S
from .blocks import B_LEN, B_NONE, GROUP_MIN, MAX_LEN, _reads, block_forget
from .decoder import ILLEGAL, IMM_AT, RD_AT, RS1_AT, RS2_AT, RS3_AT, alu_selector, dispatched
from .jitcache import njit_cached
from .uarch import (
    BP_BHT,
    BP_BTFN,
    BP_NONE,
    DC_ROW,
    IC_ROW,
    LW_CAUSE_AT,
    LW_FIELD,
    LW_READY_AT,
    MISP_WAIT,
    NO_REG,
    P_BHT,
    P_BP,
    P_BT_BASE,
    P_DC_BASE,
    P_DC_SETS,
    P_DC_SHIFT,
    P_DC_WAYS,
    P_IC_BASE,
    P_IC_SETS,
    P_IC_SHIFT,
    P_IC_WAYS,
    P_IC_WORDS,
    P_LATE_MAX,
    P_MEM,
    U_BPM,
    U_CLOCK,
    U_DCLOCK,
    U_DLAST,
    U_DROW,
    U_ICM,
    U_ILAST,
    U_PQ0,
    U_PQ_HEAD,
    U_PQ_MAX,
    U_PQ_N,
    UF_HELD,
    UF_JAL,
    UF_LOAD,
    UW_LATE_AT,
    bht_entry,
    bht_noop,
    bht_row,
)

#: A block's length (at most MAX_LEN), whether it ends in a branch or jump, and in a ``jalr``.
UB_LEN, UB_ENDS, UB_JALR = 0x3F, 1 << 6, 1 << 7
UB_REST_AT, UB_REST = 8, 0xFF
UB_MUL_AT, UB_MUL = 16, 0x3F
UB_SRC_AT, UB_SRC = 22, 0x3F
UB_LAST_AT, UB_LAST = 29, 0x3
UB_GROUPED = 1 << 31
UB_READS_AT, UB_READS = 32, 0xFFFFFFFF
#: The fewest slots of a block without a predictor. Its chain of blocks ends at every taken
#: branch (each one mispredicted), and a call of the block loop costs about as much as six
#: slots of the steady loop: a short block is left to it (a 6-slot loop body under
#: ``fpga``: 1.41 times the time with it made a block, 1.00 without).
MIN_LEN_NO_BP = 8
assert MAX_LEN <= UB_LEN and MAX_LEN <= UB_SRC and UB_SRC_AT + 6 <= 28 and B_NONE == 1 << 28 and B_LEN == 0xFF

#: Why the block loop returned: the steady loop goes on from the slot it stopped at; it
#: leaves at that slot (a branch against its prediction that the block loop left to it);
#: the slot waits for a redirect (the block before it mispredicted: ``uarch.redirect_times``).
UB_GO, UB_STUCK, UB_REDIRECT = 0, 1, 2

# What a block's word is: a slot of it, the end of it (a branch or jump), of the ALU
# group, a ``jalr`` (the end of it, never predicted).
IN_UBLOCK, ENDS_UBLOCK, UGROUPED, UJALR = 1, 2, 4, 8


def in_ublocks(insn: Insn) -> bool:
    """Whether a row can be a slot of a block under a microarchitecture: the rows the
    steady loop runs, and ``jalr`` (no fence, CSR, trap or wait; a row that holds EX, as
    an iterative product, is left out by the op table when the block is made)."""
    if insn.kind == "alu3":
        return not EXTRA_BY_KIND["alu3"]
    return insn.kind in ("alu", "load", "store", "branch", "jal", "jalr")


def _row_flags() -> np.ndarray:
    flags = np.zeros(ILLEGAL + 1, np.int64)
    for insn in dispatched():
        if in_ublocks(insn):
            flags[insn.op] = (
                IN_UBLOCK
                | (ENDS_UBLOCK if insn.kind in ("branch", "jal", "jalr") else 0)
                | (UGROUPED if alu_selector(insn) >= 0 else 0)
                | (UJALR if insn.kind == "jalr" else 0)
            )
    return flags


#: Per op: IN_UBLOCK, ENDS_UBLOCK, UGROUPED, UJALR.
UROW_FLAGS = _row_flags()
assert len(INSNS) == ILLEGAL and UROW_FLAGS[ILLEGAL] == 0


@jitable
def late_word(fl, rd, c):
    """The late-result word of a slot whose op has ``uo`` row 5 ``fl``, writing ``rd``,
    that retired in ``c``; ``NO_REG`` (empty) when its result is not late."""
    late_at = (fl >> UW_LATE_AT) - 1 if rd != S.RD_SINK else -1
    if late_at < 0:
        return NO_REG
    return (c + late_at) << LW_READY_AT | (S.S_LU if fl & UF_LOAD else S.S_MUL) << LW_CAUSE_AT | rd


@jitable
def slot_ex(reads, ex, l1, l2):
    """The EX cycle of a slot that reads the registers ``reads`` (a bit each) and whose
    fetch allows EX in ``ex``, after the late results ``l1`` and ``l2`` (the steady loop's
    words; ``NO_REG``'s bit is never set), and the cause of its wait."""
    cause = S.S_LU
    if (reads >> (l1 & LW_FIELD)) & 1 and l1 >> LW_READY_AT > ex:
        ex = l1 >> LW_READY_AT
        cause = (l1 >> LW_CAUSE_AT) & LW_FIELD
    if (reads >> (l2 & LW_FIELD)) & 1 and l2 >> LW_READY_AT > ex:
        ex = l2 >> LW_READY_AT
        cause = (l2 >> LW_CAUSE_AT) & LW_FIELD
    return ex, cause


@njit_cached
def ublock_time(dec, uo, i, n, cyc, l1, l2, mm, pm, rw):
    """The steady loop's timing of the slots of words ``i`` to ``i + n - 1``, every data
    access a hit and every fetch too but those of the slots in ``mm`` (a bit each, from
    ``i``; each waits ``pm``), the first one's fetch redirected ``rw`` cycles late (0, or
    ``MISP_WAIT`` after a misprediction), after a slot that retired in ``cyc`` with the
    late results ``l1`` and ``l2`` (the steady loop's words: ready cycle, cause, register;
    an empty one is ``NO_REG`` alone). Returns the last slot's retirement cycle, the late
    results after it, the load-use, ``mul`` and fetch stall cycles (the redirect's not
    among them), the last slot that waited (-1: none) and the last slot's own wait."""
    lu = 0
    mul = 0
    ic = 0
    src = -1
    last = 0
    for k in range(n):
        d = dec[i + k]
        fl = uo[5, d & 0xFF]
        rd = (d >> RD_AT) & 63
        p = pm if (mm >> k) & 1 else 0
        r = rw if k == 0 else 0
        e, cause = slot_ex(_reads(d), cyc - 1 + p + r, l1, l2)
        c = e + 2
        last = c - cyc - 1
        if last:
            ic += p
            if cause == S.S_MUL:
                mul += last - p - r
            else:
                lu += last - p - r
            src = k
        w = late_word(fl, rd, c)
        if w != NO_REG:
            l2 = l1
            l1 = w
        elif l1 & LW_FIELD != NO_REG or l2 & LW_FIELD != NO_REG:
            l2 = l1
            l1 = NO_REG
        cyc = c
    return cyc, l1, l2, lu, mul, ic, src, last


@njit_cached
def ublock_build(i, dec, blk, uo, bp):
    """Make the entry of the block that starts at word ``i``; returns its length, 0 when
    none starts there (marked NONE: a word not decoded yet, or one the steady loop leaves
    at, or a block of one slot)."""
    n = 0
    grouped = 0
    words = dec.shape[0]
    ends = 0
    while i + n < words and n < MAX_LEN:
        d = dec[i + n]
        op = d & 0xFF
        f = UROW_FLAGS[op]
        fl = uo[5, op]
        if d & S.DECODED == 0 or f == 0 or fl & UF_HELD:
            break
        if f & UJALR:
            # (with no predictor the block ends before it, whole; a jalr the predictor has
            # an entry for, as it was a branch, is read by the table)
            if bp == BP_NONE or d & S.BHT_SEEN:
                break
        elif f & ENDS_UBLOCK:
            # (predicted taken in ID, the steady loop leaves at it; with no predictor, a
            # branch or jump taken is mispredicted: the block ends before it, whole)
            if bp == BP_NONE or (bp == BP_BTFN and (fl & UF_JAL or d >> IMM_AT < 0)):
                break
        elif d & S.BHT_SEEN:
            break  # a word the predictor has an entry for (it was a branch)
        n += 1
        if f & UGROUPED:
            grouped += 1
        if f & ENDS_UBLOCK:
            ends = UB_ENDS | (UB_JALR if f & UJALR else 0)
            break
    if n >= (MIN_LEN_NO_BP if bp == BP_NONE else 2):
        c0 = 1
        cyc, l1, l2, lu, mul, ic, src, last = ublock_time(dec, uo, i, n, 0, NO_REG, NO_REG, 0, 0, 0)
        rest = cyc - c0
        if rest > UB_REST or mul > UB_MUL or last > UB_LAST:
            n = 0
    else:
        n = 0
    if n == 0:
        blk[i] = blk[i] & ~(B_LEN | B_NONE) | B_NONE
        return 0
    blk[i] = (
        n
        | ends
        | rest << UB_REST_AT
        | mul << UB_MUL_AT
        | max(src, 0) << UB_SRC_AT
        | last << UB_LAST_AT
        | (UB_GROUPED if (n >= 2 * GROUP_MIN and 2 * grouped >= n) or 4 * grouped >= 3 * n else 0)
        | _reads(dec[i]) << UB_READS_AT
    )
    return n


@njit_cached
def run_ublocks(
    st,
    regs,
    ram8,
    ram16,
    ram32,
    dec,
    blk,
    ua,
    uc,
    uo,
    pflow,
    pstall,
    stop,
    irq_at,
    pc,
    cyc,
    steps,
    l1,
    l2,
    rsrc,
    pcause,
):
    """Run whole blocks from ``pc`` in the steady flow while they end before slot ``stop``
    and before cycle ``irq_at``, from the steady loop's state (``l1``, ``l2``: its late
    results; ``rsrc``: the last word that waited or branched; ``pcause``; each cache's last
    line in ``ua``) and back to it; returns it with the data side's hits and why it
    stopped (``UB_GO``, ``UB_STUCK``, ``UB_REDIRECT``). A block left at a slot it cannot
    run settles the slots before it."""
    size = ram8.shape[0]
    stalls = st[S.STALL0 : S.STALL0 + len(S.STALL_CAUSES)]
    p_ic_sets = ua[P_IC_SETS]
    p_ic_shift = ua[P_IC_SHIFT]
    p_ic_ways = ua[P_IC_WAYS]
    p_ic_base = ua[P_IC_BASE]
    wm = ua[P_IC_WORDS] - 1  # a fetch from a word at a line's start looks the line up
    pm = ua[P_MEM] + ua[P_IC_WORDS]  # a fetch's wait for a refill
    # (a line's words, a shift; the most a fetch can wait: a block's bound on its end)
    ws, pw = (p_ic_shift - 2, pm) if p_ic_sets != 0 else (0, 0)
    p_dc_sets = ua[P_DC_SETS]
    p_dc_shift = ua[P_DC_SHIFT]
    p_dc_ways = ua[P_DC_WAYS]
    p_dc_base = ua[P_DC_BASE]
    p_bp = ua[P_BP]
    p_bht = ua[P_BHT]
    p_bt_base = ua[P_BT_BASE]
    late2 = ua[P_LATE_MAX] > 0  # a result late for the slot two after it
    ilast = ua[U_ILAST]  # each cache's last line (and the D-cache's row)
    dlast = ua[U_DLAST]
    drow = ua[U_DROW]
    lu = 0  # load-use, mul, fetch and redirect stall cycles, added to their counters once
    mu = 0
    ic = 0
    mis = 0
    dch = 0
    # rw: the wait of the next block's first slot for the redirect of a misprediction
    # (MISP_WAIT) by the block before it, whose branch or jump set mp
    rw = 0
    # A block that loops on itself (its branch taken back to its first word, predicted so
    # by a saturated entry with no update queued, every fetch a hit in at most two lines)
    # runs its next turns in the turn mode (tm): each as the one before it, its fetches'
    # stamps (tn of them) and counts settled when it stops. Its lines' rows: ra, rb (the
    # line of word xs on), tc: a turn's cycles, tlu and tmu its stalls, tt: turns run.
    tm = m2 = False
    ra = rb = xs = tc = tlu = tmu = tt = tn = 0
    i = j = n = end = ctl = 0
    e = dl = d2 = last = rest = 0
    ptk = tk = False
    pred = npc = imm = 0
    cw = -1
    mm = dly = xlu = xmu = xic = 0
    msrc = -1
    c0 = e0 = k0 = 0
    jr = 0
    mp = False
    while True:
        j = i  # (nothing of the next block ran)
        cw = -1  # a word of code a store of the block wrote (the block ended after it)
        if tm:  # another turn like the last
            if steps + n > stop or cyc + tc >= irq_at:
                break
            tk = False
        else:
            o = pc - RAM_BASE
            if o < 0 or o >= size:
                break
            i = o >> 2
            j = i
            e = blk[i]
            n = e & UB_LEN
            if n == 0:
                if e & B_NONE or ublock_build(i, dec, blk, uo, p_bp) == 0:
                    break
                e = blk[i]
                n = e & UB_LEN
            if steps + n > stop:
                break
            rest = (e >> UB_REST_AT) & UB_REST
            last = (e >> UB_LAST_AT) & UB_LAST
            end = i + n
            dl = dec[end - 1]
            ctl = end - 1 if e & UB_ENDS else end  # its branch or jump
            jr = e & UB_JALR  # (a jalr: nothing predicts it, no update is queued)
            ptk = False
            pred = 0
            tk = False
            npc = 0
            # Whether the block may run, found before its fetches are looked up (they are
            # looked up once its slots ran, so that a slot it leaves at fetched nothing;
            # each cache has a clock of its own, so the I-side's order is all that counts):
            # the first slot's EX without a miss is the earliest (e0 below is never less),
            # the block's end with every line missing the latest
            e0, k0 = slot_ex((e >> UB_READS_AT) & UB_READS, cyc - 1 + rw, l1, l2)
            # (the summary times the second slot as if no result were late from before it)
            if l1 >> LW_READY_AT > e0 + 1 and (_reads(dec[i + 1]) >> (l1 & LW_FIELD)) & 1:
                break
            if e0 + 2 + rest + (((end - 1) >> ws) - (i >> ws) + 1) * pw >= irq_at:
                break  # an interrupt may be taken in the block: the steady loop's
        # ---- generated: ublock (python -m simulator.codegen) ----
        if e & UB_GROUPED:
            while j < end:
                d = dec[j]
                op = d & 0xFF
                rd = (d >> RD_AT) & 63
                a = regs[(d >> RS1_AT) & 31]
                b = regs[(d >> RS2_AT) & 31]
                imm = d >> IMM_AT
                pc = RAM_BASE + (j << 2)
                if (
                    op == 18
                    or op == 21
                    or op == 22
                    or op == 23
                    or op == 24
                    or op == 25
                    or op == 27
                    or op == 29
                    or op == 32
                    or op == 33
                    or op == 35
                    or op == 36
                ):  # addi xori ori andi slli srli add sll xor srl or and
                    # ALU_GROUP (simulator/decoder.py): every result, then a tree of selects (cmovs, not a
                    # memory table: they add little latency to the guest program's dependency chains)
                    sel = d >> RS3_AT
                    # the operand: b, or imm for an immediate form (selector bit 4), without a branch
                    im = -((sel >> 4) & 1)
                    bb = (imm & M & im) | (b & ~im)
                    x0 = semantics.add(a, bb, 0, pc)
                    x1 = semantics.xor(a, bb, 0, pc)
                    x2 = semantics.or_(a, bb, 0, pc)
                    x3 = semantics.and_(a, bb, 0, pc)
                    x4 = semantics.sll(a, bb, 0, pc)
                    x5 = semantics.srl(a, bb, 0, pc)
                    v01 = x1 if sel & 1 else x0
                    v23 = x3 if sel & 1 else x2
                    v45 = x5 if sel & 1 else x4
                    v03 = v23 if sel & 2 else v01
                    regs[rd] = v45 if sel & 4 else v03
                elif op == 12:  # lw
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if addr & 3:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    regs[rd] = semantics.lw(int(ram32[o >> 2]))
                elif op == 17:  # sw
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if addr & 3:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    ram32[o >> 2] = b
                    if p_dc_sets != 0:
                        uc[drow + 2] = 1
                    if dec[o >> 2]:  # into code: the block ends after it (cw: its blocks forgotten)
                        dec[o >> 2] = 0
                        cw = o >> 2
                        end = j + 1
                elif op == 5:  # bne
                    if semantics.bne(a, b):
                        npc = (pc + imm) & M
                        tk = True
                        if npc & 3:
                            break
                elif op == 4:  # beq
                    if semantics.beq(a, b):
                        npc = (pc + imm) & M
                        tk = True
                        if npc & 3:
                            break
                elif op == 0:  # lui
                    regs[rd] = semantics.lui(a, b, imm, pc)
                elif op == 2:  # jal
                    npc = (pc + imm) & M
                    tk = True
                    if npc & 3:
                        break
                    regs[rd] = semantics.jal(a, b, imm, pc)
                elif op == 8:  # bltu
                    if semantics.bltu(a, b):
                        npc = (pc + imm) & M
                        tk = True
                        if npc & 3:
                            break
                elif op == 6:  # blt
                    if semantics.blt(a, b):
                        npc = (pc + imm) & M
                        tk = True
                        if npc & 3:
                            break
                elif op == 9:  # bgeu
                    if semantics.bgeu(a, b):
                        npc = (pc + imm) & M
                        tk = True
                        if npc & 3:
                            break
                elif op == 7:  # bge
                    if semantics.bge(a, b):
                        npc = (pc + imm) & M
                        tk = True
                        if npc & 3:
                            break
                elif op == 28:  # sub
                    regs[rd] = semantics.sub(a, b, imm, pc)
                elif op == 13:  # lbu
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    regs[rd] = semantics.lbu(int(ram8[o]))
                elif op == 15:  # sb
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    ram8[o] = b
                    if p_dc_sets != 0:
                        uc[drow + 2] = 1
                    if dec[o >> 2]:  # into code: the block ends after it (cw: its blocks forgotten)
                        dec[o >> 2] = 0
                        cw = o >> 2
                        end = j + 1
                elif op == 3:  # jalr
                    npc = semantics.jalr_target(a, imm)
                    tk = True
                    if npc & 3:
                        break
                    regs[rd] = semantics.jalr(a, b, imm, pc)
                elif op == 26:  # srai
                    regs[rd] = semantics.srai(a, b, imm, pc)
                elif op == 31:  # sltu
                    regs[rd] = semantics.sltu(a, b, imm, pc)
                elif op == 1:  # auipc
                    regs[rd] = semantics.auipc(a, b, imm, pc)
                elif op == 61:  # rori
                    regs[rd] = semantics.rori(a, b, imm, pc)
                elif op == 60:  # ror
                    regs[rd] = semantics.ror(a, b, imm, pc)
                elif op == 10:  # lb
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    regs[rd] = semantics.lb(int(ram8[o]))
                elif op == 11:  # lh
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if addr & 1:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    regs[rd] = semantics.lh(int(ram16[o >> 1]))
                elif op == 14:  # lhu
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if addr & 1:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    regs[rd] = semantics.lhu(int(ram16[o >> 1]))
                elif op == 16:  # sh
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if addr & 1:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    ram16[o >> 1] = b
                    if p_dc_sets != 0:
                        uc[drow + 2] = 1
                    if dec[o >> 2]:  # into code: the block ends after it (cw: its blocks forgotten)
                        dec[o >> 2] = 0
                        cw = o >> 2
                        end = j + 1
                elif op == 19:  # slti
                    regs[rd] = semantics.slti(a, b, imm, pc)
                elif op == 20:  # sltiu
                    regs[rd] = semantics.sltiu(a, b, imm, pc)
                elif op == 30:  # slt
                    regs[rd] = semantics.slt(a, b, imm, pc)
                elif op == 34:  # sra
                    regs[rd] = semantics.sra(a, b, imm, pc)
                elif op == 48:  # mul
                    regs[rd] = semantics.mul(a, b, imm, pc)
                elif op == 49:  # mulh
                    regs[rd] = semantics.mulh(a, b, imm, pc)
                elif op == 50:  # mulhsu
                    regs[rd] = semantics.mulhsu(a, b, imm, pc)
                elif op == 51:  # mulhu
                    regs[rd] = semantics.mulhu(a, b, imm, pc)
                elif op == 56:  # andn
                    regs[rd] = semantics.andn(a, b, imm, pc)
                elif op == 57:  # orn
                    regs[rd] = semantics.orn(a, b, imm, pc)
                elif op == 58:  # xnor
                    regs[rd] = semantics.xnor(a, b, imm, pc)
                elif op == 59:  # rol
                    regs[rd] = semantics.rol(a, b, imm, pc)
                elif op == 62:  # pack
                    regs[rd] = semantics.pack(a, b, imm, pc)
                elif op == 63:  # packh
                    regs[rd] = semantics.packh(a, b, imm, pc)
                elif op == 64:  # brev8
                    regs[rd] = semantics.brev8(a, b, imm, pc)
                elif op == 65:  # rev8
                    regs[rd] = semantics.rev8(a, b, imm, pc)
                elif op == 66:  # zip
                    regs[rd] = semantics.zip_(a, b, imm, pc)
                elif op == 67:  # unzip
                    regs[rd] = semantics.unzip(a, b, imm, pc)
                elif op == 68:  # clmul
                    regs[rd] = semantics.clmul(a, b, imm, pc)
                elif op == 69:  # clmulh
                    regs[rd] = semantics.clmulh(a, b, imm, pc)
                elif op == 70:  # xperm4
                    regs[rd] = semantics.xperm4(a, b, imm, pc)
                elif op == 71:  # xperm8
                    regs[rd] = semantics.xperm8(a, b, imm, pc)
                elif op == 72:  # sha256sum0
                    regs[rd] = semantics.sha256sum0(a, b, imm, pc)
                elif op == 73:  # sha256sum1
                    regs[rd] = semantics.sha256sum1(a, b, imm, pc)
                elif op == 74:  # sha256sig0
                    regs[rd] = semantics.sha256sig0(a, b, imm, pc)
                elif op == 75:  # sha256sig1
                    regs[rd] = semantics.sha256sig1(a, b, imm, pc)
                elif op == 76:  # sha512sum0r
                    regs[rd] = semantics.sha512sum0r(a, b, imm, pc)
                elif op == 77:  # sha512sum1r
                    regs[rd] = semantics.sha512sum1r(a, b, imm, pc)
                elif op == 78:  # sha512sig0l
                    regs[rd] = semantics.sha512sig0l(a, b, imm, pc)
                elif op == 79:  # sha512sig0h
                    regs[rd] = semantics.sha512sig0h(a, b, imm, pc)
                elif op == 80:  # sha512sig1l
                    regs[rd] = semantics.sha512sig1l(a, b, imm, pc)
                elif op == 81:  # sha512sig1h
                    regs[rd] = semantics.sha512sig1h(a, b, imm, pc)
                elif op == 82:  # sm3p0
                    regs[rd] = semantics.sm3p0(a, b, imm, pc)
                elif op == 83:  # sm3p1
                    regs[rd] = semantics.sm3p1(a, b, imm, pc)
                elif op == 84:  # aes32esi
                    regs[rd] = semantics.aes32esi(a, b, imm, pc)
                elif op == 85:  # aes32esmi
                    regs[rd] = semantics.aes32esmi(a, b, imm, pc)
                elif op == 86:  # aes32dsi
                    regs[rd] = semantics.aes32dsi(a, b, imm, pc)
                elif op == 87:  # aes32dsmi
                    regs[rd] = semantics.aes32dsmi(a, b, imm, pc)
                elif op == 88:  # sm4ed
                    regs[rd] = semantics.sm4ed(a, b, imm, pc)
                elif op == 89:  # sm4ks
                    regs[rd] = semantics.sm4ks(a, b, imm, pc)
                elif op == 90:  # maddlu
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.maddlu(a, b, regs[r3], pc)
                elif op == 91:  # maddhu
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.maddhu(a, b, regs[r3], pc)
                elif op == 92:  # cadd
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.cadd(a, b, regs[r3], pc)
                elif op == 93:  # addc
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.addc(a, b, regs[r3], pc)
                elif op == 94:  # addco
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.addco(a, b, regs[r3], pc)
                elif op == 95:  # subc
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.subc(a, b, regs[r3], pc)
                elif op == 96:  # subco
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.subco(a, b, regs[r3], pc)
                elif op == 97:  # xor3
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.xor3(a, b, regs[r3], pc)
                elif op == 98:  # andnxor
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.andnxor(a, b, regs[r3], pc)
                elif op == 99:  # rolxor
                    regs[rd] = semantics.rolxor(a, b, imm, pc)
                elif op == 100:  # xorrol
                    regs[rd] = semantics.xorrol(a, b, imm, pc)
                else:
                    break
                j += 1
        else:
            while j < end:
                d = dec[j]
                op = d & 0xFF
                rd = (d >> RD_AT) & 63
                a = regs[(d >> RS1_AT) & 31]
                b = regs[(d >> RS2_AT) & 31]
                imm = d >> IMM_AT
                pc = RAM_BASE + (j << 2)
                if op == 18:  # addi
                    regs[rd] = semantics.addi(a, b, imm, pc)
                elif op == 12:  # lw
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if addr & 3:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    regs[rd] = semantics.lw(int(ram32[o >> 2]))
                elif op == 27:  # add
                    regs[rd] = semantics.add(a, b, imm, pc)
                elif op == 17:  # sw
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if addr & 3:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    ram32[o >> 2] = b
                    if p_dc_sets != 0:
                        uc[drow + 2] = 1
                    if dec[o >> 2]:  # into code: the block ends after it (cw: its blocks forgotten)
                        dec[o >> 2] = 0
                        cw = o >> 2
                        end = j + 1
                elif op == 5:  # bne
                    if semantics.bne(a, b):
                        npc = (pc + imm) & M
                        tk = True
                        if npc & 3:
                            break
                elif op == 4:  # beq
                    if semantics.beq(a, b):
                        npc = (pc + imm) & M
                        tk = True
                        if npc & 3:
                            break
                elif op == 0:  # lui
                    regs[rd] = semantics.lui(a, b, imm, pc)
                elif op == 24:  # slli
                    regs[rd] = semantics.slli(a, b, imm, pc)
                elif op == 25:  # srli
                    regs[rd] = semantics.srli(a, b, imm, pc)
                elif op == 32:  # xor
                    regs[rd] = semantics.xor(a, b, imm, pc)
                elif op == 36:  # and
                    regs[rd] = semantics.and_(a, b, imm, pc)
                elif op == 35:  # or
                    regs[rd] = semantics.or_(a, b, imm, pc)
                elif op == 23:  # andi
                    regs[rd] = semantics.andi(a, b, imm, pc)
                elif op == 2:  # jal
                    npc = (pc + imm) & M
                    tk = True
                    if npc & 3:
                        break
                    regs[rd] = semantics.jal(a, b, imm, pc)
                elif op == 8:  # bltu
                    if semantics.bltu(a, b):
                        npc = (pc + imm) & M
                        tk = True
                        if npc & 3:
                            break
                elif op == 6:  # blt
                    if semantics.blt(a, b):
                        npc = (pc + imm) & M
                        tk = True
                        if npc & 3:
                            break
                elif op == 9:  # bgeu
                    if semantics.bgeu(a, b):
                        npc = (pc + imm) & M
                        tk = True
                        if npc & 3:
                            break
                elif op == 7:  # bge
                    if semantics.bge(a, b):
                        npc = (pc + imm) & M
                        tk = True
                        if npc & 3:
                            break
                elif op == 28:  # sub
                    regs[rd] = semantics.sub(a, b, imm, pc)
                elif op == 13:  # lbu
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    regs[rd] = semantics.lbu(int(ram8[o]))
                elif op == 15:  # sb
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    ram8[o] = b
                    if p_dc_sets != 0:
                        uc[drow + 2] = 1
                    if dec[o >> 2]:  # into code: the block ends after it (cw: its blocks forgotten)
                        dec[o >> 2] = 0
                        cw = o >> 2
                        end = j + 1
                elif op == 3:  # jalr
                    npc = semantics.jalr_target(a, imm)
                    tk = True
                    if npc & 3:
                        break
                    regs[rd] = semantics.jalr(a, b, imm, pc)
                elif op == 26:  # srai
                    regs[rd] = semantics.srai(a, b, imm, pc)
                elif op == 31:  # sltu
                    regs[rd] = semantics.sltu(a, b, imm, pc)
                elif op == 22:  # ori
                    regs[rd] = semantics.ori(a, b, imm, pc)
                elif op == 21:  # xori
                    regs[rd] = semantics.xori(a, b, imm, pc)
                elif op == 1:  # auipc
                    regs[rd] = semantics.auipc(a, b, imm, pc)
                elif op == 61:  # rori
                    regs[rd] = semantics.rori(a, b, imm, pc)
                elif op == 60:  # ror
                    regs[rd] = semantics.ror(a, b, imm, pc)
                elif op == 10:  # lb
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    regs[rd] = semantics.lb(int(ram8[o]))
                elif op == 11:  # lh
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if addr & 1:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    regs[rd] = semantics.lh(int(ram16[o >> 1]))
                elif op == 14:  # lhu
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if addr & 1:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    regs[rd] = semantics.lhu(int(ram16[o >> 1]))
                elif op == 16:  # sh
                    addr = (a + imm) & M
                    o = addr - RAM_BASE
                    if o < 0 or o >= size:
                        break
                    if addr & 1:
                        break
                    if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
                        dlw = addr >> p_dc_shift
                        df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
                        dr = -1
                        for w in range(p_dc_ways):
                            if uc[df + w * DC_ROW] == dlw:
                                dr = df + w * DC_ROW
                        if dr < 0:
                            break
                        clk = ua[U_DCLOCK] + 1
                        ua[U_DCLOCK] = clk
                        uc[dr + 1] = clk
                        dlast = dlw
                        drow = dr
                    dch += 1
                    ram16[o >> 1] = b
                    if p_dc_sets != 0:
                        uc[drow + 2] = 1
                    if dec[o >> 2]:  # into code: the block ends after it (cw: its blocks forgotten)
                        dec[o >> 2] = 0
                        cw = o >> 2
                        end = j + 1
                elif op == 19:  # slti
                    regs[rd] = semantics.slti(a, b, imm, pc)
                elif op == 20:  # sltiu
                    regs[rd] = semantics.sltiu(a, b, imm, pc)
                elif op == 29:  # sll
                    regs[rd] = semantics.sll(a, b, imm, pc)
                elif op == 30:  # slt
                    regs[rd] = semantics.slt(a, b, imm, pc)
                elif op == 33:  # srl
                    regs[rd] = semantics.srl(a, b, imm, pc)
                elif op == 34:  # sra
                    regs[rd] = semantics.sra(a, b, imm, pc)
                elif op == 48:  # mul
                    regs[rd] = semantics.mul(a, b, imm, pc)
                elif op == 49:  # mulh
                    regs[rd] = semantics.mulh(a, b, imm, pc)
                elif op == 50:  # mulhsu
                    regs[rd] = semantics.mulhsu(a, b, imm, pc)
                elif op == 51:  # mulhu
                    regs[rd] = semantics.mulhu(a, b, imm, pc)
                elif op == 56:  # andn
                    regs[rd] = semantics.andn(a, b, imm, pc)
                elif op == 57:  # orn
                    regs[rd] = semantics.orn(a, b, imm, pc)
                elif op == 58:  # xnor
                    regs[rd] = semantics.xnor(a, b, imm, pc)
                elif op == 59:  # rol
                    regs[rd] = semantics.rol(a, b, imm, pc)
                elif op == 62:  # pack
                    regs[rd] = semantics.pack(a, b, imm, pc)
                elif op == 63:  # packh
                    regs[rd] = semantics.packh(a, b, imm, pc)
                elif op == 64:  # brev8
                    regs[rd] = semantics.brev8(a, b, imm, pc)
                elif op == 65:  # rev8
                    regs[rd] = semantics.rev8(a, b, imm, pc)
                elif op == 66:  # zip
                    regs[rd] = semantics.zip_(a, b, imm, pc)
                elif op == 67:  # unzip
                    regs[rd] = semantics.unzip(a, b, imm, pc)
                elif op == 68:  # clmul
                    regs[rd] = semantics.clmul(a, b, imm, pc)
                elif op == 69:  # clmulh
                    regs[rd] = semantics.clmulh(a, b, imm, pc)
                elif op == 70:  # xperm4
                    regs[rd] = semantics.xperm4(a, b, imm, pc)
                elif op == 71:  # xperm8
                    regs[rd] = semantics.xperm8(a, b, imm, pc)
                elif op == 72:  # sha256sum0
                    regs[rd] = semantics.sha256sum0(a, b, imm, pc)
                elif op == 73:  # sha256sum1
                    regs[rd] = semantics.sha256sum1(a, b, imm, pc)
                elif op == 74:  # sha256sig0
                    regs[rd] = semantics.sha256sig0(a, b, imm, pc)
                elif op == 75:  # sha256sig1
                    regs[rd] = semantics.sha256sig1(a, b, imm, pc)
                elif op == 76:  # sha512sum0r
                    regs[rd] = semantics.sha512sum0r(a, b, imm, pc)
                elif op == 77:  # sha512sum1r
                    regs[rd] = semantics.sha512sum1r(a, b, imm, pc)
                elif op == 78:  # sha512sig0l
                    regs[rd] = semantics.sha512sig0l(a, b, imm, pc)
                elif op == 79:  # sha512sig0h
                    regs[rd] = semantics.sha512sig0h(a, b, imm, pc)
                elif op == 80:  # sha512sig1l
                    regs[rd] = semantics.sha512sig1l(a, b, imm, pc)
                elif op == 81:  # sha512sig1h
                    regs[rd] = semantics.sha512sig1h(a, b, imm, pc)
                elif op == 82:  # sm3p0
                    regs[rd] = semantics.sm3p0(a, b, imm, pc)
                elif op == 83:  # sm3p1
                    regs[rd] = semantics.sm3p1(a, b, imm, pc)
                elif op == 84:  # aes32esi
                    regs[rd] = semantics.aes32esi(a, b, imm, pc)
                elif op == 85:  # aes32esmi
                    regs[rd] = semantics.aes32esmi(a, b, imm, pc)
                elif op == 86:  # aes32dsi
                    regs[rd] = semantics.aes32dsi(a, b, imm, pc)
                elif op == 87:  # aes32dsmi
                    regs[rd] = semantics.aes32dsmi(a, b, imm, pc)
                elif op == 88:  # sm4ed
                    regs[rd] = semantics.sm4ed(a, b, imm, pc)
                elif op == 89:  # sm4ks
                    regs[rd] = semantics.sm4ks(a, b, imm, pc)
                elif op == 90:  # maddlu
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.maddlu(a, b, regs[r3], pc)
                elif op == 91:  # maddhu
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.maddhu(a, b, regs[r3], pc)
                elif op == 92:  # cadd
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.cadd(a, b, regs[r3], pc)
                elif op == 93:  # addc
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.addc(a, b, regs[r3], pc)
                elif op == 94:  # addco
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.addco(a, b, regs[r3], pc)
                elif op == 95:  # subc
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.subc(a, b, regs[r3], pc)
                elif op == 96:  # subco
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.subco(a, b, regs[r3], pc)
                elif op == 97:  # xor3
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.xor3(a, b, regs[r3], pc)
                elif op == 98:  # andnxor
                    r3 = (d >> RS3_AT) & 31
                    regs[rd] = semantics.andnxor(a, b, regs[r3], pc)
                elif op == 99:  # rolxor
                    regs[rd] = semantics.rolxor(a, b, imm, pc)
                elif op == 100:  # xorrol
                    regs[rd] = semantics.xorrol(a, b, imm, pc)
                else:
                    break
                j += 1
        # ---- end of generated: ublock ----
        if tm:
            if j == i + n and (not tk or npc != pred):  # the last turn, its branch against the
                j = ctl  # prediction: left before it (no slot after the branch had run)
                break
            if j == i + n:  # another whole turn
                cyc += tc
                steps += n
                tt += 1
                continue
            break
        # The fetches of the slots that ran, in order: the first slot's line, then each
        # line that starts in the block; mm: the slots whose fetch missed, a bit each (their
        # refill done). With results late for one slot at most, a miss after the first slot
        # delays the rest of the block by its wait less the slot's own: dly; xlu, xmu: the
        # slots' own waits it took away; msrc: the last slot that missed.
        mm = 0
        dly = xlu = xmu = xic = 0
        msrc = -1
        if p_ic_sets != 0:
            f = i
            while f < j:
                il = (RAM_BASE + (f << 2)) >> p_ic_shift
                if il != ilast:
                    first = p_ic_base + (il & (p_ic_sets - 1)) * p_ic_ways * IC_ROW
                    row = -1  # the hit, else the victim (uarch._lookup's choice)
                    for w in range(p_ic_ways):
                        if uc[first + w * IC_ROW] == il:
                            row = first + w * IC_ROW
                    clk = ua[U_CLOCK] + 1
                    ua[U_CLOCK] = clk
                    ilast = il
                    if row < 0:
                        row = first
                        for w in range(1, p_ic_ways):
                            r = first + w * IC_ROW
                            if uc[row] >= 0 and (uc[r] < 0 or uc[r + 1] < uc[row + 1]):
                                row = r
                        uc[row] = il
                        ua[U_ICM] += 1
                        mm |= 1 << (f - i)
                        if f > i:
                            # its wait replaces the slot's own (at most the one for the
                            # slot before it, when no result is late for two slots), and
                            # every later slot waits as long
                            dp = dec[f - 1]
                            w = late_word(uo[5, dp & 0xFF], (dp >> RD_AT) & 63, 0)
                            sw = 0
                            if w != NO_REG and (_reads(dec[f]) >> (w & LW_FIELD)) & 1:
                                sw = (w >> LW_READY_AT) + 1
                                if (w >> LW_CAUSE_AT) & LW_FIELD == S.S_MUL:
                                    xmu -= sw
                                else:
                                    xlu -= sw
                            dly += pm - sw
                            xic += pm
                            msrc = f - i
                    uc[row + 1] = clk
                f = (f | wm) + 1
        if mm & 1:  # the first slot's wait, its fetch's refill in it
            e0, k0 = slot_ex((e >> UB_READS_AT) & UB_READS, cyc - 1 + rw + pm, l1, l2)
        c0 = e0 + 2
        # the prediction the branch or jump had to bear out, read as the steady loop reads
        # it (after the updates written before its fetch)
        mp = False
        if j == i + n and ctl < j:
            if p_bp == BP_BHT and not jr:
                if mm > 1 and late2:  # the slot before it retired then
                    cb = ublock_time(dec, uo, i, ctl - i, cyc, l1, l2, mm, pm, rw)[0]
                else:
                    cb = c0 + rest + dly - 1 - (pm if mm >> (ctl - i) & 1 else last)
                while ua[U_PQ_N] > 0 and ua[U_PQ0 + 4 * ua[U_PQ_HEAD]] < cb - 3:
                    q = U_PQ0 + 4 * ua[U_PQ_HEAD]  # (uarch.bht_drain, without a call)
                    row = bht_row(p_bt_base, p_bht, ua[q + 1])
                    uc[row], uc[row + 1], uc[row + 2] = bht_entry(
                        uc[row], uc[row + 1], uc[row + 2], ua[q + 1], ua[q + 2], ua[q + 3]
                    )
                    ua[U_PQ_HEAD] = (ua[U_PQ_HEAD] + 1) % U_PQ_MAX
                    ua[U_PQ_N] -= 1
                pcc = RAM_BASE + (ctl << 2)
                row = bht_row(p_bt_base, p_bht, pcc)
                if uc[row] == pcc and uc[row + 2] >= BHT_TAKEN:
                    pred = uc[row + 1]
                    ptk = True
            mp = ptk != tk or (tk and pred != npc)
        if j == i + n:  # the whole block ran
            if mm <= 1 or not late2:  # its summary's timing (the first slot's fetch in e0)
                p0 = pm if mm & 1 else 0
                ic += p0 + xic
                d0 = c0 - cyc - 1 - p0 - rw
                if k0 == S.S_MUL:
                    mu += d0
                else:
                    lu += d0
                mb = (e >> UB_MUL_AT) & UB_MUL
                mu += mb + xmu
                lu += rest - (n - 1) - mb + xlu
                src = (e >> UB_SRC_AT) & UB_SRC
                if src == 0 and c0 == cyc + 1:  # (0: no slot after the first waited)
                    src = -1
                if msrc > src:
                    src = msrc
                cyc = c0 + rest + dly
                # the late results after it: its last two slots'
                d2 = dec[end - 2]
                l2 = late_word(
                    uo[5, d2 & 0xFF], (d2 >> RD_AT) & 63, cyc - 1 - (pm if mm >> (n - 1) & 1 else last)
                )
                l1 = late_word(uo[5, dl & 0xFF], (dl >> RD_AT) & 63, cyc)
            else:  # a fetch after the first missed: slot by slot
                cyc, l1, l2, slu, smu, sic, src, last = ublock_time(dec, uo, i, n, cyc, l1, l2, mm, pm, rw)
                lu += slu
                mu += smu
                ic += sic
            mis += rw
            steps += n
            if ctl < end:
                rsrc = ctl
                if tk:
                    pcause = S.S_BR
                # the update, written at the end of its EX cycle (left out when it would
                # change nothing: uarch.bht_noop)
                if p_bp == BP_BHT and not jr:
                    pcc = RAM_BASE + (ctl << 2)
                    row = bht_row(p_bt_base, p_bht, pcc)
                    tgt = (pcc + imm) & M
                    if ua[U_PQ_N] != 0 or not bht_noop(uc[row], uc[row + 1], uc[row + 2], pcc, tgt, tk):
                        q = U_PQ0 + 4 * ((ua[U_PQ_HEAD] + ua[U_PQ_N]) & (U_PQ_MAX - 1))
                        ua[q] = cyc - 2
                        ua[q + 1] = pcc
                        ua[q + 2] = tgt
                        ua[q + 3] = 1 if tk else 0
                        ua[U_PQ_N] += 1
            elif src >= 0:
                rsrc = i + src
            pc = npc if tk else RAM_BASE + (end << 2)
            rw = 0
            if mp:  # the next fetch redirected in its MEM cycle (the general slot's rules)
                ua[U_BPM] += 1
                rw = MISP_WAIT
            if cw >= 0:
                block_forget(cw, blk, pflow, pstall)
            elif ctl < end and tk and not mp and npc == RAM_BASE + (i << 2) and mm == 0 and p_bp == BP_BHT:
                # a loop on itself: its next turns in the turn mode, when each will be as
                # the next one (taken as predicted, no update queued, the next turn's first
                # slot waiting for nothing the summary does not hold, at most two lines)
                pcc = RAM_BASE + (ctl << 2)
                row = bht_row(p_bt_base, p_bht, pcc)
                la = npc >> p_ic_shift
                lb = pcc >> p_ic_shift
                if (
                    ua[U_PQ_N] == 0
                    and uc[row] == pcc
                    and uc[row + 1] == npc
                    and uc[row + 2] >= BHT_TAKEN
                    and bht_noop(uc[row], uc[row + 1], uc[row + 2], pcc, npc, True)
                    and (p_ic_sets == 0 or lb <= la + 1)
                    and not (l1 >> LW_READY_AT > cyc and (_reads(dec[i + 1]) >> (l1 & LW_FIELD)) & 1)
                ):
                    e0, k0 = slot_ex((e >> UB_READS_AT) & UB_READS, cyc - 1, l1, l2)
                    d0 = e0 + 1 - cyc
                    mb = (e >> UB_MUL_AT) & UB_MUL
                    tc = d0 + 1 + rest
                    tlu = rest - (n - 1) - mb + (0 if k0 == S.S_MUL else d0)
                    tmu = mb + (d0 if k0 == S.S_MUL else 0)
                    tm = True
                    tt = 0
                    ptk = True
                    pred = npc
                    d2 = dec[end - 2]
                    m2 = p_ic_sets != 0 and lb == la + 1
                    if m2:  # (both lines were fetched in this turn)
                        xs = ((lb << p_ic_shift) - RAM_BASE) >> 2
                        first = p_ic_base + (la & (p_ic_sets - 1)) * p_ic_ways * IC_ROW
                        for w in range(p_ic_ways):
                            if uc[first + w * IC_ROW] == la:
                                ra = first + w * IC_ROW
                        first = p_ic_base + (lb & (p_ic_sets - 1)) * p_ic_ways * IC_ROW
                        for w in range(p_ic_ways):
                            if uc[first + w * IC_ROW] == lb:
                                rb = first + w * IC_ROW
            continue
        break  # left at slot j
    if tm:  # the turn mode's counts, its last whole turn having ended in cyc
        pc = RAM_BASE + (i << 2)  # (the slots' pc was the last one's)
        lu += tt * tlu
        mu += tt * tmu
        l2 = late_word(uo[5, d2 & 0xFF], (d2 >> RD_AT) & 63, cyc - 1 - last)
        l1 = late_word(uo[5, dl & 0xFF], (dl >> RD_AT) & 63, cyc)
        if m2:  # its fetches' stamps: line a then line b each turn, then those of a part turn
            tn = 2 * tt
            lb_last = tt > 0
            if j > i:
                tn += 1
                lb_last = False
            if j > xs:
                tn += 1
                lb_last = True
            if tn:
                clk = ua[U_CLOCK] + tn
                ua[U_CLOCK] = clk
                if lb_last:
                    uc[rb + 1] = clk
                    ilast = uc[rb]
                    if tn > 1:
                        uc[ra + 1] = clk - 1
                else:
                    uc[ra + 1] = clk
                    ilast = uc[ra]
                    if tn > 1:
                        uc[rb + 1] = clk - 1
    # left at slot j, before it had any effect: the slots before it, one at a time
    leave = UB_GO
    if j > i:
        cyc, l1, l2, slu, smu, sic, src, last = ublock_time(dec, uo, i, j - i, cyc, l1, l2, mm, pm, rw)
        lu += slu
        mu += smu
        ic += sic
        mis += rw
        if src >= 0:
            rsrc = i + src
        steps += j - i
        pc = RAM_BASE + (j << 2)
    elif rw:
        leave = UB_REDIRECT
    if cw >= 0:
        block_forget(cw, blk, pflow, pstall)
    if j == ctl and ctl < end:  # its branch against its prediction (the steady loop leaves too)
        leave = UB_STUCK
    stalls[S.S_LU] += lu
    stalls[S.S_MUL] += mu
    stalls[S.S_IC] += ic
    stalls[S.S_MISP] += mis
    if p_dc_sets == 0:
        dch = 0
    ua[U_ILAST] = ilast
    ua[U_DLAST] = dlast
    ua[U_DROW] = drow
    return pc, cyc, steps, l1, l2, dch, rsrc, pcause, leave
