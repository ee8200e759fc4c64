"""Per-PC profile counters aggregated per ELF function and per extension."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from isa.table import INSNS

from .callgraph import FunctionIndex
from .srclines import LineTable
from .state import STALL_CAUSES


@dataclass
class FunctionProfile:
    name: str
    addr: int
    instructions: int = 0
    cycles: int = 0
    stalls: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STALL_CAUSES, 0))
    #: cycles with the function anywhere on the call stack (simulator/callstack.py)
    inclusive: int | None = None


@dataclass
class Profile:
    """Cycles, instructions and stall cycles by cause, per function and extension."""

    functions: list[FunctionProfile]
    mix: dict[str, int]            # retired instructions by extension
    total_cycles: int
    total_instructions: int
    #: what a row is: a function (its self cycles), or a source line (``by_line``)
    unit: str = "function (self)"
    #: the per-PC counters it was made from (instructions, cycles, stalls) and RAM's base
    per_pc: tuple[np.ndarray, np.ndarray, np.ndarray, int] | None = field(default=None, repr=False)

    def by_line(self, lines: LineTable) -> Profile:
        """The same counters per source line (``file:line``, docs/simulator.md); the
        instructions no line program covers share one row."""
        assert self.per_pc is not None
        pcnt, pcyc, pstall, ram_base = self.per_pc
        words = np.nonzero(pcnt | pcyc)[0]
        keys = [lines.find(ram_base + 4 * w) or "(no line information)" for w in words.tolist()]
        names = list(dict.fromkeys(keys))
        row = {name: k for k, name in enumerate(names)}
        group = np.array([row[key] for key in keys], dtype=np.int64)
        rows = _aggregate(pcnt, pcyc, pstall, words, group, [(name, 0) for name in names])
        return Profile(rows, self.mix, self.total_cycles, self.total_instructions, "source line", self.per_pc)

    def to_json(self) -> dict:
        return {
            "total_cycles": self.total_cycles,
            "total_instructions": self.total_instructions,
            "functions": [
                {"name": f.name, "addr": f.addr, "instructions": f.instructions, "cycles": f.cycles,
                 "inclusive_cycles": f.inclusive, "stalls": f.stalls} for f in self.functions
            ],
            "mix_by_extension": self.mix,
        }

    def rows(self, threshold: float = 0.001) -> list[FunctionProfile]:
        """The functions with at least ``threshold`` of the cycles (self or inclusive), then
        one row for all the others (``other (N functions)``) and one for the cycles no
        instruction was charged
        (``pipeline fill``: before the first retirement), so that the rows add up to the
        run's cycles."""
        least = threshold * self.total_cycles
        # (a function with few cycles of its own is shown when its callees' make it count)
        shown: list[FunctionProfile] = []
        rest: list[FunctionProfile] = []
        for f in self.functions:
            (shown if f.cycles >= least or (f.inclusive or 0) >= least else rest).append(f)
        rows = list(shown)
        if rest:
            noun = "lines" if self.unit == "source line" else "functions"
            rows.append(_sum(f"other ({len(rest)} {noun})", rest))
        fill = self.total_cycles - sum(f.cycles for f in self.functions)
        if fill:
            rows.append(FunctionProfile("pipeline fill", 0, 0, fill))
        return rows

    def table(self, threshold: float = 0.001) -> str:
        """Self cycles (those of the function's own instructions, callees not included),
        inclusive cycles (callees included) where known, instructions, CPI and stall
        cycles by cause per function, by self cycles: every function with at least
        ``threshold`` of the run's cycles, the rest as one row, and the total. Only the
        stall causes the run had get a column."""
        rows = self.rows(threshold)
        total = _sum("total", rows)  # the run's totals: the rows add up to them
        causes = [c for c in STALL_CAUSES if total.stalls[c]]
        incl = any(f.inclusive is not None for f in rows)
        w = max([len(f.name) for f in rows] + [len(self.unit)])
        head = (f"{self.unit:<{w}} {'cycles':>12} {'%':>6} "
                + (f"{'inclusive':>12} {'%':>6} " if incl else "")
                + f"{'instrs':>12} {'CPI':>5} " + " ".join(f"{c:>10}" for c in causes))

        def pct(cycles: int) -> str:
            return f"{100.0 * cycles / self.total_cycles if self.total_cycles else 0.0:>6.1f}"

        def line(f: FunctionProfile) -> str:
            cpi = f"{f.cycles / f.instructions:>5.2f}" if f.instructions else f"{'':>5}"
            inc = ""
            if incl:
                inc = f"{f.inclusive:>12} {pct(f.inclusive)} " if f.inclusive is not None else " " * 20
            return (f"{f.name:<{w}} {f.cycles:>12} {pct(f.cycles)} {inc}{f.instructions:>12} {cpi} "
                    + " ".join(f"{f.stalls[c]:>10}" for c in causes)).rstrip()

        lines = [head, *(line(f) for f in rows), line(total)]
        mix = ", ".join(f"{k}={v}" for k, v in sorted(self.mix.items(), key=lambda kv: -kv[1]))
        lines.append(f"instruction mix: {mix}")
        return "\n".join(lines)


    def annotate(self, title: str, start: int, end: int, word: Callable[[int], int],
                 lines: LineTable | None = None) -> str:
        """The instructions in [start, end) one per line: address, times retired,
        cycles charged to it, its stall cycles by cause, disassembly and (with
        ``lines``) source line -- the per-PC counters the function's row sums."""
        from isa.disasm import disassemble

        assert self.per_pc is not None
        pcnt, pcyc, pstall, ram_base = self.per_pc
        lo = max(0, (start - ram_base) // 4)
        hi = min(len(pcnt), (end - ram_base + 3) // 4)
        cycles = int(pcyc[lo:hi].sum()) if hi > lo else 0
        pct = 100.0 * cycles / self.total_cycles if self.total_cycles else 0.0
        out = [f"{title} [{start:#010x}, {end:#010x}): {cycles} cycles ({pct:.1f}%), "
               f"{int(pcnt[lo:hi].sum()) if hi > lo else 0} instructions",
               f"{'address':>10} {'count':>10} {'cycles':>10}  {'stalls':<24} instruction"]
        for i in range(lo, hi):
            pc = ram_base + 4 * i
            stalls = ", ".join(f"{c} {int(pstall[i, k])}" for k, c in enumerate(STALL_CAUSES)
                               if pstall[i, k])
            text = disassemble(word(pc), pc).replace("\t", " ")
            where = lines.find(pc) if lines is not None else None
            row = f"{pc:>10x} {int(pcnt[i]):>10} {int(pcyc[i]):>10}  {stalls:<24} {text}"
            out.append(f"{row:<84}  {where}" if where else row)
        return "\n".join(out)


def _sum(name: str, rows: list[FunctionProfile]) -> FunctionProfile:
    """One row holding the sum of ``rows``."""
    out = FunctionProfile(name, 0)
    for f in rows:
        out.instructions += f.instructions
        out.cycles += f.cycles
        for c in STALL_CAUSES:
            out.stalls[c] += f.stalls[c]
    return out


def _aggregate(pcnt: np.ndarray, pcyc: np.ndarray, pstall: np.ndarray, words: np.ndarray,
               group: np.ndarray, labels: list[tuple[str, int]]) -> list[FunctionProfile]:
    """The per-PC counters of ``words`` summed per group (``group[k]``: the row of
    ``words[k]``, ``labels``' (name, address) index), by cycles (rows with no word left out)."""
    n = len(labels)
    inst = np.zeros(n, np.int64)
    cyc = np.zeros(n, np.int64)
    stall = np.zeros((n, len(STALL_CAUSES)), np.int64)
    np.add.at(inst, group, pcnt[words])
    np.add.at(cyc, group, pcyc[words])
    np.add.at(stall, group, pstall[words])
    rows = []
    for g in np.flatnonzero(np.bincount(group, minlength=n)).tolist():  # (np.unique: 6 ms at first use)
        name, addr = labels[g]
        stalls = dict(zip(STALL_CAUSES, stall[g].tolist(), strict=True))
        rows.append(FunctionProfile(name, addr, int(inst[g]), int(cyc[g]), stalls))
    return sorted(rows, key=lambda f: -f.cycles)


def build_profile(pcnt: np.ndarray, pcyc: np.ndarray, pstall: np.ndarray, dec: np.ndarray,
                  index: FunctionIndex, ram_base: int, total_cycles: int,
                  inclusive: dict[str, int] | None = None) -> Profile:
    """The profile of the per-PC counters, by the functions of ``index``; ``inclusive``
    the inclusive cycles by function name, where the run kept them."""
    words = np.nonzero(pcnt | pcyc)[0]
    starts = index.starts.tolist()
    labels = [(name, starts[k] if k < len(starts) else 0) for k, name in enumerate(index.names)]
    mix: dict[str, int] = {}
    ran = np.nonzero(pcnt)[0]
    for d, c in zip(dec[ran].tolist(), pcnt[ran].tolist(), strict=True):
        op = d & 0xFF
        ext = INSNS[op].ext if d and op < len(INSNS) else "illegal"
        mix[ext] = mix.get(ext, 0) + c
    rows = _aggregate(pcnt, pcyc, pstall, words, index.lookup(ram_base + 4 * words), labels)
    if inclusive is not None:
        for f in rows:
            f.inclusive = inclusive.get(f.name, 0)
    return Profile(rows, mix, total_cycles, int(pcnt.sum()), per_pc=(pcnt, pcyc, pstall, ram_base))
