"""What the loop records besides the machine's state: retirement records (the trace
variant) and per-PC cycle and stall counters (the profile variant).

A record is one row of the int64 trace buffer ``tr``, its columns those of
``isa.retire.RECORD_FIELDS`` (conventions in ``simulator/trace.py``) and then the
slot's stall cycles by cause (``state.TRACE_STALL0``); ``st[TRACE_N]`` counts the rows
filled.
"""

from __future__ import annotations

import numpy as np

from isa.retire import COL

from . import state as S
from .jitcache import njit_cached

_ORDER, _INSN, _TRAP, _CYCLE = COL["order"], COL["insn"], COL["trap"], COL["cycle"]
_PC_RDATA, _PC_WDATA = COL["pc_rdata"], COL["pc_wdata"]
_RS1_ADDR, _RS1_RDATA = COL["rs1_addr"], COL["rs1_rdata"]
_RS2_ADDR, _RS2_RDATA = COL["rs2_addr"], COL["rs2_rdata"]
_RD_ADDR, _RD_WDATA = COL["rd_addr"], COL["rd_wdata"]
_MEM_ADDR, _MEM_RMASK, _MEM_WMASK = COL["mem_addr"], COL["mem_rmask"], COL["mem_wmask"]
_MEM_RDATA, _MEM_WDATA = COL["mem_rdata"], COL["mem_wdata"]


@njit_cached
def _new_row(st, tr, order, insn, pc, c):
    t = st[S.TRACE_N]
    tr[t, :] = 0
    st[S.TRACE_N] = t + 1
    tr[t, _ORDER] = order
    tr[t, _INSN] = insn
    tr[t, _PC_RDATA] = pc
    tr[t, _CYCLE] = c
    return t


@njit_cached
def record_trap(st, tr, order, insn, pc, handler, c):
    """Record a trapped slot (every register and memory field 0)."""
    t = _new_row(st, tr, order, insn, pc, c)
    tr[t, _TRAP] = 1
    tr[t, _PC_WDATA] = handler


@njit_cached
def record_retire(st, tr, order, insn, pc, npc, r1, a, r2, b, rd, wdata, mem, c):
    """Record a retired instruction: it read ``a`` from x[r1] and ``b`` from x[r2] and
    wrote ``wdata`` to x[rd] (``state.RD_SINK``: nothing written); ``mem`` holds its
    memory access (addr, rmask, wmask, rdata, wdata), all 0 when it made none."""
    t = _new_row(st, tr, order, insn, pc, c)
    tr[t, _PC_WDATA] = npc
    tr[t, _RS1_ADDR] = r1
    tr[t, _RS1_RDATA] = a if r1 != 0 else 0
    tr[t, _RS2_ADDR] = r2
    tr[t, _RS2_RDATA] = b if r2 != 0 else 0
    if rd != S.RD_SINK:
        tr[t, _RD_ADDR] = rd
        tr[t, _RD_WDATA] = wdata
    tr[t, _MEM_ADDR], tr[t, _MEM_RMASK], tr[t, _MEM_WMASK], tr[t, _MEM_RDATA], tr[t, _MEM_WDATA] = mem


@njit_cached
def record_stalls(st, tr, stalls, seen):
    """Write into the last record the stall cycles charged since the one before:
    ``stalls`` less ``seen`` (the counters then), which becomes ``stalls``."""
    t = st[S.TRACE_N] - 1
    for k in range(stalls.shape[0]):
        tr[t, S.TRACE_STALL0 + k] = stalls[k] - seen[k]
        seen[k] = stalls[k]


@njit_cached
def trace_full(st, tr):
    """Whether the trace buffer has no free row left (the loop returns to hand it over)."""
    return st[S.TRACE_N] >= tr.shape[0]


def slot_counts(flow: np.ndarray) -> np.ndarray:
    """The slots of every RAM word, from the profile loop's ``flow`` (state.FLOW_*).

    A count per slot would be a store per slot, which costs the loop more than anything
    else the profile does; the loop counts runs instead: ``flow[w, FLOW_BEGAN]`` the runs
    of consecutive slots that began at word ``w`` (reached other than from the slot at
    ``w - 1``), ``flow[w, FLOW_ENDED]`` those that ended there (a taken branch or jump, a
    trap, the end of a call of the loop). A word's slots are then the runs begun at or
    before it minus those ended before it.
    """
    began = np.cumsum(flow[:, S.FLOW_BEGAN])
    ended = np.cumsum(flow[:, S.FLOW_ENDED])
    ended[1:] = ended[:-1].copy()
    ended[0] = 0
    return began - ended


@njit_cached
def charge(pstall, i, cause, n):
    """Charge ``n`` stall cycles of ``cause`` to the instruction word ``i`` (its cycles are
    its slots plus its stalls: the loop keeps no third array for them)."""
    pstall[i, cause] += n
