"""Trap entry, ``mret``, the timer interrupt and ``wfi``: machine mode as the
privileged specification has it, through the golden functions of ``isa.privileged``.

The timer interrupt costs the loop one comparison per instruction: it keeps the
retirement cycle from which the interrupt is taken (:func:`irq_cycle`) and asks
again only when ``mstatus``, ``mie``, ``mtime`` or ``mtimecmp`` change.
"""

from __future__ import annotations

from isa import timing
from isa.csrs import MIE_MTIE
from isa.privileged import interrupt_enabled, mret_mstatus, trap_mstatus, trap_mtval

from . import state as S
from .jitcache import njit_cached


@njit_cached
def timer_cycle(st):
    """The first retirement cycle whose instruction sees mtime >= mtimecmp (in its EX
    stage, as it reads the ``time`` CSR)."""
    return st[S.MTIMECMP] - st[S.MTIME_DELTA] + timing.CSR_READ_STAGE_OFFSET


@njit_cached
def irq_cycle(st):
    """The retirement cycle from which the timer interrupt is taken; NEVER while it is
    masked or mtimecmp is out of mtime's reach."""
    if not interrupt_enabled(st[S.MSTATUS], st[S.MIE]) or st[S.MTIMECMP] >= S.NEVER:
        return S.NEVER
    return timer_cycle(st)


@njit_cached
def wfi_wake(st, c):
    """The retirement cycle of a ``wfi`` that would retire in cycle ``c``: ``c`` when
    the timer is pending, the cycle it will be when ``mie.MTIE`` lets it wake the hart,
    NEVER when nothing can wake it."""
    wake = timer_cycle(st)
    if c >= wake:
        return c
    if (st[S.MIE] & MIE_MTIE) == 0 or st[S.MTIMECMP] >= S.NEVER:
        return S.NEVER
    return wake


@njit_cached
def enter_trap(st, pc, cause, tval):
    """Take a trap at ``pc``: mepc, mcause, mtval and mstatus as trap entry sets them."""
    st[S.MEPC] = pc
    st[S.MCAUSE] = cause
    st[S.MTVAL] = trap_mtval(cause, tval)
    st[S.MSTATUS] = trap_mstatus(st[S.MSTATUS])


@njit_cached
def mret(st):
    """Return from a trap: mstatus as ``mret`` sets it; the pc to go on at (mepc)."""
    st[S.MSTATUS] = mret_mstatus(st[S.MSTATUS])
    return st[S.MEPC]
