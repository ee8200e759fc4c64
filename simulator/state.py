"""Layout of the int64 state vector shared by Python and the execute loop.

The loop keeps hot values in locals and writes them back here whenever it
returns, so a run can be resumed (UART flushes, trace chunks, time slices).
"""

from __future__ import annotations

from isa.retire import RECORD_FIELDS

from .jitcache import njit_cached

PC, CYC, PEND, LDRD, INSTRET, STEPS = 0, 1, 2, 3, 4, 5
MSTATUS, MIE, MTVEC, MEPC, MCAUSE, MTVAL, MSCRATCH = 6, 7, 8, 9, 10, 11, 12
MCYCLE_DELTA, MINSTRET_DELTA, MTIMECMP, MTIME_DELTA = 13, 14, 15, 16
EXIT_CODE, TRAP_CAUSE, TRAP_PC, TRAP_TVAL, TRAP_WORD = 17, 18, 19, 20, 21
UART_N, MISA, TRACE_N, PEND_SRC, PEND_CAUSE = 22, 23, 24, 25, 26
#: Debugger watchpoints: how many rows of the watch array are armed; the last hit.
WATCH_N, WATCH_ADDR, WATCH_INDEX = 27, 28, 29
#: mtimecmp as the program wrote it (64 bits, as int64); MTIMECMP is the value the
#: comparisons use, NEVER for anything at or above 2**62 (out of mtime's reach).
MTIMECMP_RAW = 30
STALL0 = 32  # STALL0 + cause index: stall cycles by cause
#: The trace variant's copy of the stall counters at its last record (each record
#: gets the difference); in the state vector, so that the loop allocates nothing.
SEEN0 = 48
#: The profiled loop's open run (its first word, the slots then), the words of the top
#: frame's function's run and whether the next slot goes to the call stack, handed to
#: the block loop and back (simulator/blocks.py, keep_profile). Scratch, as SEEN0's.
F_AT, F_CUT, CS_FIRST, CS_END, CS_GO = 58, 59, 60, 61, 62
NSTATE = 64

#: Stall causes (index into the stall counters and the profile columns).
STALL_CAUSES: tuple[str, ...] = (
    "load_use",
    "branch",
    "div",
    "trap",
    "mret",
    "wfi",
    "icache",
    "dcache",
    "mispredict",
    "mul",
)
S_LU, S_BR, S_DIV, S_TRAP, S_MRET, S_WFI, S_IC, S_DC, S_MISP, S_MUL = range(10)
assert SEEN0 + len(STALL_CAUSES) <= F_AT and CS_GO < NSTATE
#: The causes that are the wait for a redirect (a taken branch or jump, a trap, ``mret``,
#: a misprediction), as a mask of cause bits: the call tree charges them to the slot
#: that redirected (simulator/callstack.py, callgraph.py).
REDIRECT_MASK = (1 << S_BR) | (1 << S_TRAP) | (1 << S_MRET) | (1 << S_MISP)

#: Why the loop returned.
R_SLICE, R_EXIT, R_TRAP, R_UART, R_TRACE, R_WFI, R_RESET, R_BREAK, R_WATCH = range(9)
#: No reason to return after the current instruction.
NO_STOP = -1

#: ``LDRD`` value meaning "the previous instruction was not a load".
NO_LOAD = 33
#: Pre-decoded ``rd`` of instructions writing x0: a sink register never read.
RD_SINK = 32

#: Bit 29 of every pre-decoded word (bits 29..31 hold no field). 0 means
#: undecoded and a debugger breakpoint is BREAK_WORD, which lacks the bit, so
#: one test per instruction catches both: the loop returns R_BREAK before
#: executing a breakpoint word.
DECODED = 1 << 29
BREAK_WORD = 1
#: Bit 7 of a word that begins a function's run of words, set when the ideal machine's
#: profiled loop decodes it: that loop finds the slots that enter a function in sequence
#: with the fetch's own DECODED test (simulator/loop.py), and takes it off the word it
#: dispatches on. ``Machine.run(profile=True)`` takes it off every word when it returns,
#: so no other variant sees it: the loop's op is the byte (``d & 0xFF``: a mask of 7 bits
#: instead cost 7-10% of the mining kernel's loop).
FSTART = 1 << 7
#: Bit 30 of a pre-decoded word that is not a branch or ``jal`` but whose pc the branch
#: table still holds (a branch was there before the word was rewritten): the table is
#: read for such a word too. It is set when the word is decoded (only branches and
#: ``jal`` allocate entries, so none can appear for it later).
BHT_SEEN = 1 << 30
#: Bit 31 of a pre-decoded word whose instruction reads a third source register (the
#: rs3 field; Xchain's R4 rows): the load-use test looks at it too.
READS_RS3 = 1 << 31
#: Watch array rows: (lo, hi, kinds) with kinds = WATCH_WRITE | WATCH_READ bits.
WATCH_WRITE, WATCH_READ = 1, 2
WATCH_MAX = 16

#: mtimecmp at reset: never fires until written.
NEVER = 1 << 62

#: Columns of a trace buffer row: the retirement record (simulator.trace), then the
#: cycles the slot waited, by stall cause (the order of STALL_CAUSES): its share of
#: the run's stall counters, so that the gap between two retirements is accounted for.
TRACE_COLS: tuple[str, ...] = RECORD_FIELDS
TRACE_STALL0 = len(RECORD_FIELDS)
TRACE_WIDTH = TRACE_STALL0 + len(STALL_CAUSES)

#: The profiled loop's ``flow``, a row per RAM word: the runs of slots that began and
#: that ended at the word (recording.slot_counts); and, for the block that starts at it,
#: its full runs whose inner stalls are not charged to its words yet and its turns of a
#: loop on itself not yet counted as a run ended and begun (blocks.charge_runs)
FLOW_BEGAN, FLOW_ENDED, FLOW_RUNS, FLOW_LOOPS = 0, 1, 2, 3
FLOW_WIDTH = 4


@njit_cached
def keep(st, pc, cyc, pend, pcause, psrc, ldrd, steps, instret):
    """The loop's hot state from its locals into the state vector (where the next call,
    or the block loop, reads it: :func:`kept`)."""
    st[PC] = pc
    st[CYC] = cyc  # retirement cycle of the last slot
    st[PEND] = pend  # penalty cycles the next slot waits for (taken branch, trap, mret)
    st[PEND_CAUSE] = pcause
    st[PEND_SRC] = psrc  # the instruction the pending penalty is charged to (profile)
    st[LDRD] = ldrd  # rd of the last slot if it was a load, else NO_LOAD
    st[STEPS] = steps  # retirement slots, trapped ones included
    st[INSTRET] = instret


@njit_cached
def kept(st):
    """The state :func:`keep` wrote, in its order."""
    return st[PC], st[CYC], st[PEND], st[PEND_CAUSE], st[PEND_SRC], st[LDRD], st[STEPS], st[INSTRET]


@njit_cached
def keep_profile(st, f_at, f_cut, cs_first, cs_end, cs_go):
    """The profiled loop's run and call-stack locals into the state vector (:func:`kept_profile`)."""
    st[F_AT] = f_at
    st[F_CUT] = f_cut
    st[CS_FIRST] = cs_first
    st[CS_END] = cs_end
    st[CS_GO] = 1 if cs_go else 0


@njit_cached
def kept_profile(st):
    """The values :func:`keep_profile` wrote, in its order."""
    return st[F_AT], st[F_CUT], st[CS_FIRST], st[CS_END], st[CS_GO] != 0
