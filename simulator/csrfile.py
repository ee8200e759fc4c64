"""The CSR file: every CSR of ``isa.csrs``, read and written on the state vector.

Which CSRs exist, which are read-only and where each value comes from is the CSR
table's; what a write leaves in a register is ``isa.privileged``'s. The lookup
arrays below are made from the table when this module is imported, and Numba
compiles them in as constants.
"""

from __future__ import annotations

import numpy as np

from isa import timing
from isa.config import IsaConfig
from isa.csrs import CSRS, MEPC, MIE, MIP_MTIP, MSTATUS, MTVEC, Csr
from isa.privileged import aligned_write, mie_write, misa_value, mstatus_write

from . import state as S
from .devices import mtime_at
from .jitcache import njit_cached

#: Where each register CSR (source "reg") lives in the state vector.
SLOT: dict[str, int] = {"mstatus": S.MSTATUS, "mie": S.MIE, "mtvec": S.MTVEC, "mscratch": S.MSCRATCH,
                        "mepc": S.MEPC, "mcause": S.MCAUSE, "mtval": S.MTVAL}

# How a CSR is read (the table's "source"); absent numbers are illegal.
ABSENT, REG, CONST, MISA, MIP, CYCLE, INSTRET, TIME = range(8)


def _how(csr: Csr) -> int:
    if csr.source in ("counter", "time"):
        # the counter is in the name (cycle, time, instret; "m" for the machine's
        # writable copy), its upper half is the "h" CSR
        counter = csr.name.removeprefix("m").removesuffix("h")
        return {"cycle": CYCLE, "instret": INSTRET, "time": TIME}[counter]
    return {"reg": REG, "const": CONST, "misa": MISA, "mip": MIP}[csr.source]


def _tables() -> tuple[np.ndarray, ...]:
    how = np.full(4096, ABSENT, np.int8)
    read_only, slot, shift = np.zeros(4096, np.int8), np.zeros(4096, np.int8), np.zeros(4096, np.int8)
    wmask, reset = np.zeros(4096, np.int64), np.zeros(4096, np.int64)
    for csr in CSRS:
        how[csr.number] = _how(csr)
        read_only[csr.number] = csr.read_only
        slot[csr.number] = SLOT.get(csr.name, 0)
        shift[csr.number] = 32 if how[csr.number] in (CYCLE, INSTRET, TIME) and csr.name.endswith("h") else 0
        wmask[csr.number] = csr.wmask
        reset[csr.number] = csr.reset
    return how, read_only, slot, shift, wmask, reset


HOW, _READ_ONLY, _SLOT, _SHIFT, _WMASK, _RESET = _tables()

_M = 0xFFFFFFFF
_CSR_OFS = timing.CSR_READ_STAGE_OFFSET


def reset(st: np.ndarray, config: IsaConfig) -> None:
    """The CSRs' reset values: the table's, misa from the ISA configuration."""
    for csr in CSRS:
        if csr.source == "reg":
            st[SLOT[csr.name]] = csr.reset
    st[S.MISA] = misa_value(config)


@njit_cached
def _cycles(st, c):
    """mcycle as the instruction retiring in cycle ``c`` reads it (in its EX stage)."""
    return c - _CSR_OFS + st[S.MCYCLE_DELTA]


@njit_cached
def csr_read(st, csr, c, instret):
    """The value of ``csr`` for the instruction retiring in cycle ``c`` after
    ``instret`` others; -1 when there is no such CSR."""
    how = HOW[csr]
    if how == REG:
        return st[_SLOT[csr]]
    if how == ABSENT:
        return -1
    if how == CONST:
        return _RESET[csr]
    if how == MISA:
        return st[S.MISA]
    if how == MIP:
        return MIP_MTIP if mtime_at(st, c) >= st[S.MTIMECMP] else 0
    if how == CYCLE:
        v = _cycles(st, c)
    elif how == INSTRET:
        v = instret + st[S.MINSTRET_DELTA]
    else:
        v = mtime_at(st, c)
    return (v >> _SHIFT[csr]) & _M


@njit_cached
def _written(csr, v):
    """What a register CSR holds after a write of ``v``."""
    if csr == MSTATUS:
        return mstatus_write(v)
    if csr == MIE:
        return mie_write(v)
    if csr == MTVEC or csr == MEPC:
        return aligned_write(v)
    return v & _WMASK[csr]


@njit_cached
def _with_half(cur, v, shift):
    """The 64-bit counter ``cur`` with the half at ``shift`` replaced by ``v``."""
    return (cur & ~(_M << shift)) | (v << shift)


@njit_cached
def csr_write(st, csr, v, c, instret):
    """Write ``v`` to ``csr`` (one that exists) for the instruction retiring in cycle
    ``c``; False for a read-only CSR (an illegal instruction). Writes to misa and mip
    are ignored."""
    if _READ_ONLY[csr]:
        return False
    how = HOW[csr]
    if how == REG:
        st[_SLOT[csr]] = _written(csr, v)
    elif how == CYCLE:
        # the write is done instead of this cycle's increment (privileged spec, "CSR
        # side effects"); the half not written counts on. So the counter holds the new
        # value in the cycle after this instruction's EX cycle.
        now = c - _CSR_OFS + 1
        st[S.MCYCLE_DELTA] = _with_half(now + st[S.MCYCLE_DELTA], v, _SHIFT[csr]) - now
    elif how == INSTRET:
        # the next instruction reads the new value
        st[S.MINSTRET_DELTA] = _with_half(instret + 1 + st[S.MINSTRET_DELTA], v, _SHIFT[csr]) - (instret + 1)
    return True
