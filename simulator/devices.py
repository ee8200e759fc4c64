"""The platform's devices (``isa.memmap``): the UART, the test finisher and the CLINT.

The execute loop calls these only for addresses outside RAM. Device registers are
byte registers (the UART) or little-endian 64-bit registers (the CLINT), so an access
of ``width`` bytes reads or writes every byte it covers.
"""

from __future__ import annotations

from isa import timing
from isa.memmap import (
    CLINT_BASE,
    CLINT_MTIME,
    CLINT_MTIMECMP,
    CLINT_SIZE,
    FINISHER_BASE,
    FINISHER_CODE_SHIFT,
    FINISHER_FAIL,
    FINISHER_PASS,
    FINISHER_RESET,
    FINISHER_SIZE,
    UART_BASE,
    UART_LSR,
    UART_LSR_VALUE,
    UART_SIZE,
    UART_THR,
)

from . import state as S
from .jitcache import njit_cached

#: What :func:`dev_store` did, besides a reason for the loop to return (``state.R_*``).
DONE, FAULT, TIMER = -1, -2, -3

_CSR_OFS = timing.CSR_READ_STAGE_OFFSET


@njit_cached
def mtime_at(st, c):
    """mtime as the instruction retiring in cycle ``c`` reads it (in its EX stage)."""
    return c - _CSR_OFS + st[S.MTIME_DELTA]


@njit_cached
def dev_load(st, addr, width, c):
    """The value of a device read; -1 when nothing answers (an access fault)."""
    if addr >= UART_BASE and addr < UART_BASE + UART_SIZE:
        # a wider read returns every byte register it covers, LSR included
        o = addr - UART_BASE
        return UART_LSR_VALUE << (8 * (UART_LSR - o)) if o <= UART_LSR and UART_LSR < o + width else 0
    if addr >= FINISHER_BASE and addr < FINISHER_BASE + FINISHER_SIZE:
        return -1 if width == 1 else 0  # as QEMU's sifive_test: 2- and 4-byte accesses only
    if addr >= CLINT_BASE and addr < CLINT_BASE + CLINT_SIZE:
        o = addr - CLINT_BASE
        if o >= CLINT_MTIME and o < CLINT_MTIME + 8:
            v = mtime_at(st, c)
        elif o >= CLINT_MTIMECMP and o < CLINT_MTIMECMP + 8:
            v = st[S.MTIMECMP_RAW]
        else:
            return 0
        return (v >> ((o & 7) * 8)) & ((1 << (8 * width)) - 1)
    return -1


@njit_cached
def dev_store(st, uart, addr, v, width, c):
    """Do a device write. Returns DONE, FAULT (nothing answers), TIMER (mtime or
    mtimecmp changed: the interrupt cycle must be computed again) or the reason for
    the loop to return after this store (``R_EXIT``, ``R_UART``: the UART buffer is
    full, ``R_RESET``)."""
    if addr >= UART_BASE and addr < UART_BASE + UART_SIZE:
        if addr == UART_BASE + UART_THR:
            n = st[S.UART_N]
            uart[n] = v & 0xFF
            st[S.UART_N] = n + 1
            if n + 1 >= uart.shape[0]:
                return S.R_UART
        return DONE
    if addr >= FINISHER_BASE and addr < FINISHER_BASE + FINISHER_SIZE:
        if width == 1:
            return FAULT
        if addr == FINISHER_BASE:
            status = v & 0xFFFF
            if status == FINISHER_PASS:
                st[S.EXIT_CODE] = 0
                return S.R_EXIT
            if status == FINISHER_FAIL:
                st[S.EXIT_CODE] = (v >> FINISHER_CODE_SHIFT) & 0xFFFF
                return S.R_EXIT
            if status == FINISHER_RESET:
                return S.R_RESET
        return DONE  # other values are ignored, as by QEMU's sifive_test
    if addr >= CLINT_BASE and addr < CLINT_BASE + CLINT_SIZE:
        o = addr - CLINT_BASE
        mask = (1 << (8 * width)) - 1
        if o >= CLINT_MTIMECMP and o < CLINT_MTIMECMP + 8:
            sh = (o - CLINT_MTIMECMP) * 8
            new = (st[S.MTIMECMP_RAW] & ~(mask << sh)) | ((v & mask) << sh)
            st[S.MTIMECMP_RAW] = new
            st[S.MTIMECMP] = new if new >= 0 and new < S.NEVER else S.NEVER
            return TIMER
        if o >= CLINT_MTIME and o < CLINT_MTIME + 8:
            sh = (o - CLINT_MTIME) * 8
            new = (mtime_at(st, c) & ~(mask << sh)) | ((v & mask) << sh)
            # mtime holds ``new`` in this store's EX cycle and counts on
            st[S.MTIME_DELTA] = new - (c - _CSR_OFS)
            return TIMER
        return DONE
    return FAULT
