"""The ISS as a debugger target (``simulator.gdbserver.DebugTarget``).

Breakpoints cost nothing per instruction: each is written into the
pre-decoded array as ``state.BREAK_WORD``, which the compiled loop already
tests for (it shares the "not decoded yet" test) and returns on before
executing. Watchpoints are rows of ``Machine.watch``, compared only on loads
and stores and only while some are armed; the loop stops *before* a watched
access (gdb's RISC-V watchpoints are "non-steppable": gdb itself steps over
the access and then compares the values). Both are armed for one ``resume``
and removed afterwards, so memory reads, ``write_mem`` and the profile never
see them.
"""

from __future__ import annotations

from typing import BinaryIO

from . import state as S
from .csrfile import csr_read, csr_write
from .errors import SimError
from .gdbserver import CSR_REGNUM_BASE, NUM_GPRS, PC_REGNUM, Stop
from .machine import Machine, RunResult

_WATCH_KINDS = {"watch": S.WATCH_WRITE, "rwatch": S.WATCH_READ, "awatch": S.WATCH_WRITE | S.WATCH_READ}


class MachineTarget:
    """Drives a loaded :class:`Machine` for the GDB server."""

    def __init__(self, machine: Machine, stdout: BinaryIO | None = None) -> None:
        self.m = machine
        # the watch variant of the loop has the ideal machine's timing only: under another
        # microarchitecture gdb gets "Could not insert hardware watchpoint"
        self.max_watchpoints = S.WATCH_MAX if machine.uarch.is_ideal else 0
        self.stdout = stdout
        self.reason: int | None = None   # the loop's final reason once the program ended
        self.watch_pc: int | None = None  # pc of the access that the last watch stop is before

    # ------------------------------------------------------------ registers
    def _now(self) -> tuple[int, int]:
        st = self.m.st
        return int(st[S.CYC]) + 1, int(st[S.INSTRET])

    def read_register(self, regnum: int) -> int | None:
        if 0 <= regnum < NUM_GPRS:
            return self.m.reg(regnum) & 0xFFFFFFFF
        if regnum == PC_REGNUM:
            return self.m.pc
        csr = regnum - CSR_REGNUM_BASE
        if 0 <= csr < 4096:
            v = int(csr_read(self.m.st, csr, *self._now()))
            return None if v < 0 else v & 0xFFFFFFFF
        return None

    def write_register(self, regnum: int, value: int) -> bool:
        value &= 0xFFFFFFFF
        if 0 <= regnum < NUM_GPRS:
            if regnum:
                self.m.regs[regnum] = value
            return True
        if regnum == PC_REGNUM:
            self.m.pc = value
            return True
        csr = regnum - CSR_REGNUM_BASE
        if 0 <= csr < 4096 and self.read_register(regnum) is not None:
            return bool(csr_write(self.m.st, csr, value, *self._now()))
        return False

    # ------------------------------------------------------------ memory
    def read_memory(self, addr: int, length: int) -> bytes | None:
        if length < 0:
            return None   # read_mem would slice backwards from the end of RAM
        try:
            return self.m.read_mem(addr, length)
        except SimError:  # outside RAM: gdb shows "Cannot access memory"
            return None

    def write_memory(self, addr: int, data: bytes) -> bool:
        try:
            self.m.write_mem(addr, data)
        except SimError:
            return False
        return True

    # ------------------------------------------------------------ running
    def can_break(self, addr: int) -> bool:
        """Whether a breakpoint at ``addr`` can ever hit: an aligned word of RAM."""
        return self._word_index(addr) is not None

    def _word_index(self, addr: int) -> int | None:
        off = addr - self.m.ram_base
        if off < 0 or off >= self.m.ram_size or off & 3:
            return None
        return off >> 2

    def _arm(self, breakpoints: set[int], skip: int | None) -> list[int]:
        armed = []
        for a in breakpoints:
            i = self._word_index(a)
            if i is not None and a != skip:
                self.m.dec[i] = S.BREAK_WORD
                self.m.forget_code(i, i + 1)  # (a block holding it would run it)
                armed.append(i)
        return armed

    def _disarm(self, armed: list[int]) -> None:
        for i in armed:
            if self.m.dec[i] == S.BREAK_WORD:
                self.m.dec[i] = 0

    def _set_watch(self, watchpoints: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
        # a range must fit the int64 rows; the server only sends 32-bit ones
        rows = [w for w in watchpoints
                if w[0] in _WATCH_KINDS and 0 <= w[1] < 1 << 32 and 0 <= w[2] <= 1 << 32][:S.WATCH_MAX]
        for k, (kind, addr, length) in enumerate(rows):
            self.m.watch[k] = (addr, addr + max(length, 1), _WATCH_KINDS[kind])
        self.m.st[S.WATCH_N] = len(rows)
        return rows

    def _stop(self, r: int, rows: list[tuple[str, int, int]], step: bool = False) -> Stop:
        if r == S.R_SLICE:
            return Stop("step", self.m.pc) if step else Stop("limit")
        if r == S.R_BREAK:
            return Stop("breakpoint", self.m.pc)
        if r == S.R_WATCH:
            # the loop stops before the access; the next resume performs it
            self.watch_pc = self.m.pc
            kind = rows[int(self.m.st[S.WATCH_INDEX])][0]
            return Stop("watch", int(self.m.st[S.WATCH_ADDR]), watch=kind)
        self.reason = r
        res = self.m.result(r)
        if res.stop == "exit":
            return Stop("exited", exit_code=res.exit_code or 0)
        return Stop("trap", self.m.pc, message=res.trap or "", signal=_signal(self.m, r))

    def resume(self, step: bool, breakpoints: set[int],
               watchpoints: list[tuple[str, int, int]], budget: int) -> Stop:
        """Run at most ``budget`` slots (1 to single-step). A breakpoint at the
        current pc is stepped over, as gdb expects when it continues from it."""
        if self.reason is not None:
            return self._stop(self.reason, [])
        pc = self.m.pc
        over_watch, self.watch_pc = pc == self.watch_pc, None
        rows = self._set_watch(watchpoints)
        try:
            if pc in breakpoints or step or over_watch:
                # the first instruction runs without its own breakpoint, and
                # performs the access that the last watch stop was before
                if over_watch:
                    self.m.st[S.WATCH_N] = 0
                armed = self._arm(breakpoints, pc)
                try:
                    r = self.m.run_slots(1, self.stdout)
                finally:
                    self._disarm(armed)
                self.m.st[S.WATCH_N] = len(rows)
                if step or r != S.R_SLICE:
                    return self._stop(r, rows, step)
                budget -= 1
            armed = self._arm(breakpoints, None)
            try:
                r = self.m.run_slots(max(budget, 1), self.stdout)
            finally:
                self._disarm(armed)
            return self._stop(r, rows)
        finally:
            self.m.st[S.WATCH_N] = 0

    def finish(self, stdout: BinaryIO | None = None) -> RunResult:
        """Run to the end with no breakpoint or watchpoint (after a detach)."""
        if self.reason is None:
            r = S.R_SLICE
            while r == S.R_SLICE:
                r = self.m.run_slots(1 << 22, stdout)
            self.reason = r
        return self.m.result(self.reason)


_SIGILL, _SIGTRAP, _SIGBUS, _SIGSEGV = 4, 5, 7, 11


def _signal(m: Machine, r: int) -> int:
    """The POSIX signal gdb shows for a program stopped by an unhandled trap."""
    if r != S.R_TRAP:
        return _SIGTRAP
    cause = int(m.st[S.TRAP_CAUSE])
    if cause == 2:
        return _SIGILL
    if cause in (0, 4, 6):
        return _SIGBUS
    if cause in (1, 5, 7):
        return _SIGSEGV
    return _SIGTRAP
