"""Inclusive cycles per function, kept by the profile variant of the loop as it runs.

The rules are those of the call tree built from the trace (``simulator/callgraph.py``,
docs/profiling.md): a jump that writes a link register pushes the target's function, a
``jalr`` that reads one and writes none pops, one that reads one and writes the other
pops and pushes, a trap pushes the handler's function, ``mret`` pops down to and
including the newest handler frame, and a slot whose pc lies in another function than
the top frame's replaces the top frame. Each slot is charged its own cycles and the
redirect cycles the next slot waits for; a slot's effect on the stack follows its
charge, so it is applied when the next slot retires and that charge is known.

A function's inclusive cycles are those charged while it is anywhere on the stack
(recursion counted once): counted from the push of its outermost frame to that
frame's pop, in ``t`` = the retirement cycle of the last slot plus its redirect, which
is the cycles charged so far.

All of it lives in one int64 array ``cg`` (``new_array``): a header, the function of
every RAM word and the bounds of the run of words of that function around it, per
function its frames on the stack, the ``t`` its outermost frame was pushed at and its
inclusive cycles, then the stack (function, handler flag).
"""

from __future__ import annotations

import numpy as np

from isa.memmap import RAM_BASE
from isa.table import INSNS

from .jitcache import njit_cached

#: What a slot does to the call stack (here and in callgraph.classify).
OTHER, CALL, RETURN, SWAP, TRAP, MRET = range(6)
_NAMES = [insn.name for insn in INSNS]
OP_JAL, OP_JALR, OP_MRET = _NAMES.index("jal"), _NAMES.index("jalr"), _NAMES.index("mret")

# the header
H_DEPTH, H_CAP, H_OVERFLOW, H_HELD, H_KIND, H_TARGET = 0, 1, 2, 3, 4, 5
H_NCODE, H_NF, H_BELOW, H_ABOVE, H_FN, H_STACK = 6, 7, 8, 9, 10, 11
HEADER = 16
#: Frames the stack holds; a deeper one marks the inclusive figures unavailable.
CAPACITY = 4096


def new_array(fid: np.ndarray, nfunc: int, below: int, above: int) -> np.ndarray:
    """The array for a run: ``fid`` the function index of every RAM word, ``below`` and
    ``above`` those of pcs below and above RAM, ``nfunc`` how many indexes there are."""
    ncode = len(fid)
    fn = HEADER + 3 * ncode
    cg = np.zeros(fn + 3 * nfunc + 2 * CAPACITY, np.int64)
    cg[H_CAP] = CAPACITY
    cg[H_NCODE] = ncode
    cg[H_NF] = nfunc
    cg[H_BELOW] = below
    cg[H_ABOVE] = above
    cg[H_FN] = fn
    cg[H_STACK] = fn + 3 * nfunc
    cg[HEADER:HEADER + ncode] = fid
    # the run of equal function indexes each word lies in: [its first word, its last + 1)
    edges = np.flatnonzero(np.diff(fid)) + 1
    first = np.concatenate(([0], edges))
    end = np.concatenate((edges, [ncode]))
    lengths = end - first
    cg[HEADER + ncode:HEADER + 2 * ncode] = np.repeat(first, lengths)
    cg[HEADER + 2 * ncode:fn] = np.repeat(end, lengths)
    return cg


def inclusive(cg: np.ndarray, t_end: int) -> np.ndarray | None:
    """Per function index, its inclusive cycles of a run that ended at ``t_end`` (the
    frames still on the stack close there); None when the stack overflowed."""
    if cg[H_OVERFLOW]:
        return None
    fn, nf = int(cg[H_FN]), int(cg[H_NF])
    count = cg[fn:fn + nf]
    start = cg[fn + nf:fn + 2 * nf]
    incl = cg[fn + 2 * nf:fn + 3 * nf].copy()
    open_ = count > 0
    incl[open_] += t_end - start[open_]
    return incl


@njit_cached
def call_kind(op, rd, rs1):
    """What a retired (untrapped) slot does to the stack; ``rd`` as decoded (x0 is
    ``RD_SINK``)."""
    if op == OP_JAL:
        return CALL if rd == 1 or rd == 5 else OTHER
    if op == OP_JALR:
        link_rd = rd == 1 or rd == 5
        link_rs1 = rs1 == 1 or rs1 == 5
        if link_rd:
            if not link_rs1 or rs1 == rd:
                return CALL
            return SWAP
        return RETURN if link_rs1 else OTHER
    if op == OP_MRET:
        return MRET
    return OTHER


@njit_cached(inline=True)
def _fid(cg, pc):
    o = pc - RAM_BASE
    if o < 0:
        return cg[H_BELOW]
    w = o >> 2
    if w >= cg[H_NCODE]:
        return cg[H_ABOVE]
    return cg[HEADER + w]


@njit_cached(inline=True)
def _push(cg, f, trap, t):
    d = cg[H_DEPTH]
    if d >= cg[H_CAP]:
        cg[H_OVERFLOW] = 1
        return
    nf = cg[H_NF]
    c = cg[H_FN] + f
    cg[c] += 1
    if cg[c] == 1:
        cg[c + nf] = t
    s = cg[H_STACK]
    cg[s + d] = f
    cg[s + cg[H_CAP] + d] = trap
    cg[H_DEPTH] = d + 1


@njit_cached(inline=True)
def _pop(cg, t):
    d = cg[H_DEPTH] - 1
    nf = cg[H_NF]
    f = cg[cg[H_STACK] + d]
    c = cg[H_FN] + f
    cg[c] -= 1
    if cg[c] == 0:
        cg[c + 2 * nf] += t - cg[c + nf]
    cg[H_DEPTH] = d


@njit_cached(inline=True)
def _top_trap(cg):
    s = cg[H_STACK] + cg[H_CAP]
    return cg[s + cg[H_DEPTH] - 1]


@njit_cached(inline=True)
def _effect(cg, kind, target, t):
    if kind == CALL:
        _push(cg, target, 0, t)
    elif kind == RETURN:
        if cg[H_DEPTH] > 1 and _top_trap(cg) == 0:
            _pop(cg, t)
    elif kind == SWAP:
        if cg[H_DEPTH] > 1 and _top_trap(cg) == 0:
            _pop(cg, t)
        _push(cg, target, 0, t)
    elif kind == TRAP:
        _push(cg, target, 1, t)
    elif kind == MRET:
        s = cg[H_STACK] + cg[H_CAP]
        handler = False
        for d in range(cg[H_DEPTH]):
            if cg[s + d] != 0:
                handler = True
        if handler:
            while _top_trap(cg) == 0:
                _pop(cg, t)
            _pop(cg, t)


@njit_cached(inline=True)
def enter(cg, pc, t):
    """A slot at ``pc`` begins: the last slot's held effect, at ``t`` (the last slot's
    retirement cycle plus the redirect this one waited for), then this slot's function
    on top. (The ideal machine's profiled loop calls it as the slot starts, once it
    knows the slot enters other words than the top frame's or follows an effect.)"""
    if cg[H_OVERFLOW]:
        return
    if cg[H_HELD] != 0:
        _effect(cg, cg[H_KIND], cg[H_TARGET], t)
        cg[H_HELD] = 0
        if cg[H_OVERFLOW]:
            return
    f = _fid(cg, pc)
    d = cg[H_DEPTH]
    if d == 0:
        _push(cg, f, 0, t)
    else:
        s = cg[H_STACK]
        if cg[s + d - 1] != f:
            trap = cg[s + cg[H_CAP] + d - 1]
            _pop(cg, t)
            _push(cg, f, trap, t)


@njit_cached(inline=True)
def retire(cg, pc, kind, target, t):
    """A slot at ``pc`` retired (or trapped): ``enter``, then this slot's effect held
    until the next."""
    enter(cg, pc, t)
    if cg[H_OVERFLOW]:
        return
    cg[H_HELD] = 1
    cg[H_KIND] = kind
    cg[H_TARGET] = _fid(cg, target) if kind != OTHER else 0


# The stack's functions are compiled into their callers: a profiled run's calls and
# returns are mostly made in the block loop (simulator/blocks.py), and a call that takes
# the stack's array pays its reference counts (ECDSA profiled: 0.58 s -> 0.55). The
# general loop calls copies of ``enter`` and ``retire`` instead (``loop.cs_enter``,
# ``loop.cs_retire``): inlined at its every site they doubled its compile time.

# Most slots change nothing: no effect held from the last slot, none of their own, in the
# function of the top frame. After ``retire`` that is the function of the slot's word, so
# the loop keeps the bounds of that word's run of the function (``run_first``, ``run_end``;
# an empty run while an effect is held) in locals, and calls ``enter`` and ``retire`` only
# for the other slots: they are too big to inline, and a call per slot would cost more
# than the rest of the profile. Which slots those are, the loop finds with tests it makes
# anyway (docs/simulator.md, "The profiled loop"); ``call_kind`` only for jumps.


@njit_cached
def dead(cg):
    """Whether the stack overflowed (then nothing more is kept)."""
    return cg[H_OVERFLOW] != 0


@njit_cached
def run_first(cg, w):
    """The first word of the run of ``w``'s function that holds RAM word ``w``."""
    return cg[HEADER + cg[H_NCODE] + w]


@njit_cached
def run_end(cg, w):
    """The word after that run."""
    return cg[HEADER + 2 * cg[H_NCODE] + w]


@njit_cached
def starts_run(cg, w):
    """Whether RAM word ``w`` is the first of its function's run (a slot there from the
    word before enters another function)."""
    return w > 0 and cg[HEADER + cg[H_NCODE] + w] == w


@njit_cached
def bounds(cg, o):
    """``run_first`` and ``run_end`` of the word at RAM offset ``o``; an empty run when
    ``o`` is outside RAM (that slot faults)."""
    w = o >> 2
    if o < 0 or w >= cg[H_NCODE]:
        return 0, 0
    return run_first(cg, w), run_end(cg, w)
