"""The machine: RAM, pre-decoded instruction arrays, state, and the run driver."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from isa import memmap, timing
from isa.config import IsaConfig, IsaError
from isa.csrs import CAUSE_FETCH_FAULT, CAUSE_NAMES
from isa.table import INSNS
from isa.uarch import Uarch, UarchError

from . import callstack, csrfile, native
from . import state as S
from . import uarch as U
from .callgraph import FunctionIndex
from .elfload import LoadedElf, Symbol, read_elf
from .errors import SimError
from .profile import Profile, build_profile
from .recording import slot_counts
from .trace import RVFI_DTYPE, rows_to_records

#: Instructions per call of the loop: output is flushed at least this often.
SLICE = 1 << 22
UART_BUFFER = 4096


@dataclass
class RunResult:
    exit_code: int | None          # the finisher's code; None when the run did not exit
    stdout: bytes                  # UART output, when it was not streamed to a file
    instret: int                   # retired instructions (traps excluded)
    cycles: int                    # retirement cycle of the last slot + 1
    stalls: dict[str, int]         # penalty cycles by cause
    trap: str | None               # description of an unhandled trap / stop
    seconds: float                 # wall time of the loop, JIT excluded
    jit_seconds: float             # time to compile or load the loop from Numba's cache
    stop: str = "exit"             # exit, limit, trap, wfi, reset
    slots: int = 0                 # retirement slots including traps
    counters: dict[str, int] = field(default_factory=dict)  # cache and predictor events
    profile: Profile | None = field(default=None, repr=False)

    @property
    def mips(self) -> float:
        return self.instret / self.seconds / 1e6 if self.seconds > 0 else 0.0


def _no_profile() -> tuple[np.ndarray, ...]:
    """The profile arrays of the variants that keep none (flow, pstall, pcg)."""
    return (np.zeros((1, S.FLOW_WIDTH), np.int64), np.zeros((1, len(S.STALL_CAUSES)), np.int64),
            np.zeros(1, np.int64))


class Machine:
    """An RV32 hart with RAM and the platform devices (see docs/simulator.md)."""

    def __init__(self, isa: str | IsaConfig = "rv32im_zicsr_zk_zks", ram_size: int = memmap.RAM_SIZE,
                 uarch: str | Uarch | None = None) -> None:
        try:
            self.config = IsaConfig.parse(isa)
            self.uarch = Uarch.parse(uarch)
        except (IsaError, UarchError) as e:
            raise SimError(str(e)) from None
        # the ideal machine runs the loop without the microarchitecture's code
        self._u = "" if self.uarch.is_ideal else "_u"
        self.ua, self.uc = U.new_state(self.uarch)
        self.uo = U.op_table(self.uarch)
        if ram_size < 4096 or ram_size % 4096 or ram_size > (1 << 31):
            raise SimError(f"RAM size {ram_size} must be a multiple of 4096 between 4 KiB and 2 GiB")
        self.ram_base = memmap.RAM_BASE
        self.ram_size = ram_size
        self.ram8 = np.zeros(ram_size, np.uint8)
        self.ram16 = self.ram8.view(np.uint16)
        self.ram32 = self.ram8.view(np.uint32)
        n = ram_size // 4
        # pre-decoded words, packed: op | rd << 8 | rs1 << 14 | rs2 << 19 | rs3 << 24 |
        # DECODED | imm << 32; 0 = not decoded yet, BREAK_WORD = a debugger breakpoint
        self.dec = np.zeros(n, np.int64)
        self.blk = np.zeros(n, np.int64)  # the block that starts at each word (simulator/blocks.py)
        self.enabled = np.array([1 if i.ext in self.config else 0 for i in INSNS] + [0], np.uint8)
        self.regs = np.zeros(S.RD_SINK + 1, np.int64)
        self.st = np.zeros(S.NSTATE, np.int64)
        self.st[S.PC] = memmap.RAM_BASE
        self.st[S.CYC] = timing.PIPELINE_FILL - 1
        self.st[S.LDRD] = S.NO_LOAD
        csrfile.reset(self.st, self.config)
        self.st[S.MTIMECMP] = S.NEVER
        self.st[S.MTIMECMP_RAW] = -1       # all ones, as on the RTL
        self.st[S.PEND_SRC] = -1
        self.uart = np.zeros(UART_BUFFER, np.uint8)
        # debugger watch ranges (lo, hi, kinds); only st[WATCH_N] rows are armed
        self.watch = np.zeros((S.WATCH_MAX, 3), np.int64)
        self._debug_fns: dict[str, object] = {}
        self.debug_seconds = 0.0
        self.debug_jit = 0.0
        self.functions: list[Symbol] = []
        self._out = bytearray()

    # ------------------------------------------------------------ memory
    def _ram_range(self, addr: int, n: int) -> int:
        off = addr - self.ram_base
        if n < 0 or off < 0 or off + n > self.ram_size:
            raise SimError(f"{addr:#x}..{addr + n:#x} is outside RAM")
        return off

    def write_mem(self, addr: int, data: bytes) -> None:
        off = self._ram_range(addr, len(data))
        self.ram8[off:off + len(data)] = np.frombuffer(bytes(data), np.uint8)
        if data:
            self.dec[off // 4:(off + len(data) + 3) // 4] = 0
            self.forget_code(off // 4, (off + len(data) + 3) // 4)

    def forget_code(self, lo: int, hi: int) -> None:
        """Forget every block that may hold a word from index ``lo`` up to ``hi`` (their
        words changed: the block loop runs a block's words without testing them)."""
        from .blocks import forget_words  # (not on a plain run's start-up path)

        forget_words(self.blk, lo, hi)

    def word(self, addr: int) -> int:
        """The little-endian 32-bit word at ``addr`` (in RAM)."""
        return int.from_bytes(self.read_mem(addr, 4), "little")

    def read_mem(self, addr: int, n: int) -> bytes:
        off = self._ram_range(addr, n)
        return self.ram8[off:off + n].tobytes()

    def load_elf(self, path: str | Path | LoadedElf) -> int:
        """Load the PT_LOAD segments (of the file ``path``, or of an ELF read already),
        set the PC to the entry; returns the entry."""
        elf = path if isinstance(path, LoadedElf) else read_elf(path, self.ram_base, self.ram_size)
        for addr, data, memsz in elf.segments:
            self.write_mem(addr, data + bytes(memsz - len(data)))
        self.functions = elf.functions
        self.pc = elf.entry
        return elf.entry

    def set_input(self, data: bytes) -> None:
        """Write the kernel input block (magic, length, data) at 0x800C0000, or a
        larger input's header there and its data above the default RAM
        (``memmap.input_placement``)."""
        try:
            pieces = memmap.input_placement(data, self.ram_size)
        except ValueError as e:
            raise SimError(str(e)) from None
        addr = memmap.INPUT_ADDR
        if addr + memmap.INPUT_REGION > self.ram_base + self.ram_size:
            raise SimError(f"the input block at {addr:#x} lies outside {self.ram_size} bytes of RAM")
        for at, piece in pieces:
            self.write_mem(at, piece)

    # ------------------------------------------------------------ state
    @property
    def pc(self) -> int:
        return int(self.st[S.PC])

    @pc.setter
    def pc(self, value: int) -> None:
        self.st[S.PC] = value & 0xFFFFFFFF

    def reg(self, n: int) -> int:
        return 0 if n == 0 else int(self.regs[n])

    @property
    def mcause(self) -> int:
        """The ``mcause`` CSR: the last trap's cause (the one that ended a run at an
        unhandled trap)."""
        return int(self.st[S.MCAUSE])

    # ------------------------------------------------------------ running
    def _args(self, prof: tuple[np.ndarray, ...], tr: np.ndarray, stop: int) -> tuple:
        return (self.st, self.regs, self.ram8, self.ram16, self.ram32, self.dec, self.blk, self.enabled,
                self.uart, np.int64(stop), *prof, tr, self.watch, self.ua, self.uc, self.uo)

    def _compiled(self, variant: str, args: tuple) -> tuple[object, float]:
        # imported when first needed: commands that never run the ISS skip it, and
        # python -m simulator.codegen can rewrite a loop.py that is out of date
        if self._u and variant == "watch":
            raise SimError("watchpoints need the ideal microarchitecture (--uarch ideal)")
        t0 = time.perf_counter()
        fn = native.load(f"{variant}{self._u}")
        if fn is None:
            import numba

            from . import loop
            fn = getattr(loop, f"run_{variant}{self._u}")
            fn.compile(tuple(numba.typeof(a) for a in args))
        return fn, time.perf_counter() - t0

    def _flush(self, stream: BinaryIO | None) -> None:
        """Hand the UART's bytes to ``stream``, or keep them for the RunResult when
        there is none: streamed output is never held, so memory does not grow with it."""
        n = int(self.st[S.UART_N])
        if n:
            data = self.uart[:n].tobytes()
            self.st[S.UART_N] = 0
            if stream is None:
                self._out += data
            else:
                stream.write(data)
                stream.flush()

    def _resume(self, r: int, limit: int | None) -> bool:
        """Whether the loop returned only to flush or hand over a buffer."""
        if r in (S.R_UART, S.R_TRACE):
            return True
        return r == S.R_SLICE and (limit is None or int(self.st[S.STEPS]) < limit)

    def _stop_at(self, limit: int | None) -> int:
        steps = int(self.st[S.STEPS])
        return steps + SLICE if limit is None else min(limit, steps + SLICE)

    def _drive(self, variant: str, max_instructions: int | None, stdout: BinaryIO | None,
               prof: tuple[np.ndarray, ...], tr: np.ndarray) -> RunResult:
        fn, jit = self._compiled(variant, self._args(prof, tr, 0))
        limit = None if max_instructions is None else int(self.st[S.STEPS]) + max_instructions
        t0 = time.perf_counter()
        while True:
            r = fn(*self._args(prof, tr, self._stop_at(limit)))
            self._flush(stdout)
            if not self._resume(r, limit):
                break
        return self._finish(r, max_instructions, time.perf_counter() - t0, jit)

    def run_slots(self, max_slots: int, stdout: BinaryIO | None = None) -> int:
        """Run the fast loop for at most ``max_slots`` retirement slots; returns why it
        stopped (``state.R_*``: R_SLICE when the slots are used up, R_BREAK at a
        breakpoint word in ``dec``, R_WATCH after an access to an armed watch range,
        or a final reason). Breakpoints and watchpoints are the debugger's
        (``simulator.debug``); ``result(reason)`` describes the run afterwards."""
        tr = np.zeros((1, S.TRACE_WIDTH), np.int64)
        prof = _no_profile()
        # run_watch checks the watch ranges on loads and stores; run_fast has no such code
        variant = "watch" if self.st[S.WATCH_N] > 0 else "fast"
        fn = self._debug_fns.get(variant)
        if fn is None:
            fn, jit = self._compiled(variant, self._args(prof, tr, 0))
            self._debug_fns[variant] = fn
            self.debug_jit += jit
        limit = int(self.st[S.STEPS]) + max_slots
        t0 = time.perf_counter()
        while True:
            r = fn(*self._args(prof, tr, self._stop_at(limit)))  # type: ignore[operator]
            self._flush(stdout)
            if not (r == S.R_UART or (r == S.R_SLICE and int(self.st[S.STEPS]) < limit)):
                break
        self.debug_seconds += time.perf_counter() - t0
        return int(r)

    def result(self, reason: int, max_instructions: int | None = None) -> RunResult:
        """The RunResult of a run driven by ``run_slots`` that ended with ``reason``."""
        return self._finish(reason, max_instructions, self.debug_seconds, self.debug_jit)

    def describe_trap(self) -> str:
        cause = int(self.st[S.TRAP_CAUSE])
        pc = int(self.st[S.TRAP_PC])
        word = int(self.st[S.TRAP_WORD])
        tval = int(self.st[S.TRAP_TVAL])
        from isa.disasm import disassemble
        name = CAUSE_NAMES.get(cause, "unknown")
        text = disassemble(word, pc).replace("\t", " ") if cause != CAUSE_FETCH_FAULT else "(no instruction)"
        return (f"unhandled trap: {name} (mcause {cause:#x}) at pc {pc:#010x}: {text} "
                f"[{word:08x}], mtval {tval:#x}")

    def run(self, max_instructions: int | None = None, stdout: BinaryIO | None = None,
            profile: bool = False) -> RunResult:
        """Run until the finisher, an unhandled trap, or ``max_instructions`` slots."""
        tr = np.zeros((1, S.TRACE_WIDTH), np.int64)
        if not profile:
            return self._drive("fast", max_instructions, stdout, _no_profile(), tr)
        from .blocks import charge_all_runs  # (not on a plain run's start-up path)

        n = self.ram_size // 4
        index = FunctionIndex(self.functions)
        fid = index.words(self.ram_base, n)
        below, above = index.lookup(np.array([0, self.ram_base + self.ram_size], np.int64)).tolist()
        cg = callstack.new_array(fid, len(index.names), below, above)
        # words decoded before are decoded again, the first of each function's run with
        # state.FSTART (the ideal machine's profiled loop finds entries by it)
        self.dec[(self.dec & S.DECODED) != 0] = 0
        self.blk[:] = 0  # (the profiled loop's blocks end at those words, and at jumps)
        flow, pstall = np.zeros((n, S.FLOW_WIDTH), np.int64), np.zeros((n, len(S.STALL_CAUSES)), np.int64)
        prof = (flow, pstall, cg)
        try:
            res = self._drive("prof", max_instructions, stdout, prof, tr)
            charge_all_runs(self.blk, flow, pstall)
        finally:
            self.dec &= ~S.FSTART  # (state.FSTART: no other variant sees it)
            self.blk[:] = 0
        incl = callstack.inclusive(cg, int(self.st[S.CYC]))
        inclusive: dict[str, int] | None = None
        if incl is not None:   # (two symbols may share a name: static functions of two files)
            inclusive = {}
            for name, cycles in zip(index.names, incl.tolist(), strict=True):
                inclusive[name] = inclusive.get(name, 0) + cycles
        pcnt = slot_counts(flow)
        # a slot's cycle, and the stalls charged to it (einsum: a third of sum(axis=1)'s
        # time over a row per RAM word)
        pcyc = pcnt + np.einsum("ij->i", pstall)
        res.profile = build_profile(pcnt, pcyc, pstall, self.dec, index, self.ram_base, res.cycles, inclusive)
        return res

    def iter_trace(self, max_instructions: int | None = None, chunk: int = 65536,
                   stdout: BinaryIO | None = None, stalls: bool = False) -> Iterator:
        """Run in trace mode, yielding arrays of RVFI records (``trace.RVFI_DTYPE``),
        at most ``chunk`` per array, or with ``stalls`` (records, their stall cycles by
        cause as an (n, causes) array); the RunResult is in ``self.result`` at the end."""
        tr = np.zeros((chunk, S.TRACE_WIDTH), np.int64)
        prof = _no_profile()
        fn, jit = self._compiled("trace", self._args(prof, tr, 0))
        limit = None if max_instructions is None else int(self.st[S.STEPS]) + max_instructions
        seconds = 0.0
        while True:
            t0 = time.perf_counter()
            r = fn(*self._args(prof, tr, self._stop_at(limit)))
            seconds += time.perf_counter() - t0
            self._flush(stdout)
            n = int(self.st[S.TRACE_N])
            self.st[S.TRACE_N] = 0
            if n:
                recs = rows_to_records(tr[:n])
                yield (recs, tr[:n, S.TRACE_STALL0:].copy()) if stalls else recs
            if not self._resume(r, limit):
                break
        self.result = self._finish(r, max_instructions, seconds, jit)

    def trace(self, max_instructions: int | None = None) -> tuple[RunResult, np.ndarray]:
        """Run in trace mode; returns the result and all RVFI records."""
        parts = list(self.iter_trace(max_instructions))
        recs = np.concatenate(parts) if parts else np.zeros(0, RVFI_DTYPE)
        return self.result, recs

    def _finish(self, r: int, max_instructions: int | None, seconds: float, jit: float) -> RunResult:
        stop_kind, trap = "exit", None
        if r == S.R_SLICE:
            stop_kind = "limit"
            trap = f"instruction limit of {max_instructions} reached at pc {self.pc:#010x}"
        elif r == S.R_TRAP:
            stop_kind, trap = "trap", self.describe_trap()
        elif r == S.R_WFI:
            stop_kind = "wfi"
            trap = f"wfi at pc {self.pc - 4:#010x} waits for an interrupt that can never come"
        elif r == S.R_RESET:
            stop_kind = "reset"
            trap = "the program requested a reset through the finisher (not supported)"
        stalls = {name: int(self.st[S.STALL0 + k]) for k, name in enumerate(S.STALL_CAUSES)}
        return RunResult(
            exit_code=int(self.st[S.EXIT_CODE]) if stop_kind == "exit" else None,
            stdout=bytes(self._out), instret=int(self.st[S.INSTRET]), cycles=int(self.st[S.CYC]) + 1,
            stalls=stalls, trap=trap, seconds=seconds, jit_seconds=jit, stop=stop_kind,
            slots=int(self.st[S.STEPS]), counters=U.counters(self.ua))


def run_elf(elf: str | Path, isa: str | IsaConfig = "rv32im_zicsr_zk_zks", input_bytes: bytes | None = None,
            max_instructions: int | None = None, stdout: BinaryIO | None = None,
            ram_size: int = memmap.RAM_SIZE, profile: bool = False,
            uarch: str | Uarch | None = None) -> RunResult:
    """Load ``elf`` (and the input block), run it, return the result."""
    m = Machine(isa, ram_size, uarch)
    m.load_elf(elf)
    if input_bytes is not None:
        m.set_input(input_bytes)
    return m.run(max_instructions, stdout=stdout, profile=profile)

