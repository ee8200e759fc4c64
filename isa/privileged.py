"""Golden semantics of what is not one instruction's result: CSR writes, trap entry
and ``mret`` — each the whole effect, written once (as Spike's ``mret.h``).

Like ``isa.semantics``, these are plain functions on unsigned 32-bit integers,
compiled inline into the Numba ISS through ``register_jitable`` and used as the
reference by the HDL's tests. Numbers come from ``isa.csrs``.
"""

from __future__ import annotations

from .config import IsaConfig
from .csrs import ALIGN4, BY_NUMBER, MIE, MIE_MTIE, MSTATUS, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP
from .jitable import jitable

# the table's masks, as plain ints the jitted functions close over
_MSTATUS_WMASK = BY_NUMBER[MSTATUS].wmask
_MSTATUS_FIXED = BY_NUMBER[MSTATUS].fixed
_MIE_WMASK = BY_NUMBER[MIE].wmask


@jitable
def mstatus_write(v):
    """mstatus after a CSR write of ``v``: MIE and MPIE as written, MPP = M."""
    return (v & _MSTATUS_WMASK) | _MSTATUS_FIXED


@jitable
def mie_write(v):
    return v & _MIE_WMASK


@jitable
def aligned_write(v):
    """mtvec and mepc: 4-byte-aligned addresses (direct mode, no C extension)."""
    return v & ALIGN4


@jitable
def trap_mstatus(ms):
    """mstatus on trap entry: MPIE <- MIE, MIE <- 0, MPP <- M."""
    return ((ms & MSTATUS_MIE) << 4) | MSTATUS_MPP


@jitable
def mret_mstatus(ms):
    """mstatus after ``mret``: MIE <- MPIE, MPIE <- 1, MPP <- M."""
    return ((ms & MSTATUS_MPIE) >> 4) | MSTATUS_MPIE | MSTATUS_MPP


@jitable
def trap_mtval(cause, tval):
    """mtval on trap entry: 0 for interrupts, else what the cause defines."""
    return 0 if cause >> 31 else tval & 0xFFFFFFFF


@jitable
def interrupt_enabled(mstatus, mie):
    """Whether a pending machine timer interrupt is taken."""
    return (mstatus & MSTATUS_MIE) != 0 and (mie & MIE_MTIE) != 0


def misa_value(config: IsaConfig) -> int:
    """misa for an ISA configuration: MXL = 32, I, and M when present."""
    v = 1 << 30 | 1 << 8
    if "m" in config:
        v |= 1 << 12
    return v
