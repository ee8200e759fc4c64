"""Per-PC profile counters aggregated per ELF function and per extension."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from isa.table import INSNS

from .elfload import Symbol
from .state import STALL_CAUSES


@dataclass
class FunctionProfile:
    name: str
    addr: int
    instructions: int = 0
    cycles: int = 0
    stalls: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STALL_CAUSES, 0))


@dataclass
class Profile:
    """Cycles, instructions and stall cycles by cause, per function and extension."""

    functions: list[FunctionProfile]
    mix: dict[str, int]            # retired instructions by extension
    total_cycles: int
    total_instructions: int

    def to_json(self) -> dict:
        return {
            "total_cycles": self.total_cycles,
            "total_instructions": self.total_instructions,
            "functions": [
                {"name": f.name, "addr": f.addr, "instructions": f.instructions, "cycles": f.cycles,
                 "stalls": f.stalls} for f in self.functions
            ],
            "mix_by_extension": self.mix,
        }

    def rows(self, threshold: float = 0.001) -> list[FunctionProfile]:
        """The functions with at least ``threshold`` of the cycles, then one row for all the
        others (``other (N functions)``) and one for the cycles no instruction was charged
        (``pipeline fill``: before the first retirement), so that the rows add up to the
        run's cycles."""
        shown = [f for f in self.functions if f.cycles >= threshold * self.total_cycles]
        rest = self.functions[len(shown):]
        rows = list(shown)
        if rest:
            other = FunctionProfile(f"other ({len(rest)} functions)", 0)
            for f in rest:
                other.instructions += f.instructions
                other.cycles += f.cycles
                for c in STALL_CAUSES:
                    other.stalls[c] += f.stalls[c]
            rows.append(other)
        fill = self.total_cycles - sum(f.cycles for f in self.functions)
        if fill:
            rows.append(FunctionProfile("pipeline fill", 0, 0, fill))
        return rows

    def table(self, threshold: float = 0.001) -> str:
        """Self cycles (those of the function's own instructions, callees not included),
        instructions, CPI and stall cycles by cause per function, by cycles: every
        function with at least ``threshold`` of the run's cycles, the rest as one row,
        and the total. Only the stall causes the run had get a column."""
        rows = self.rows(threshold)
        total = FunctionProfile("total", 0, self.total_instructions, self.total_cycles)
        for f in self.functions:
            for c in STALL_CAUSES:
                total.stalls[c] += f.stalls[c]
        causes = [c for c in STALL_CAUSES if total.stalls[c]]
        w = max([len(f.name) for f in rows] + [len("function (self)")])
        head = (f"{'function (self)':<{w}} {'cycles':>12} {'%':>6} {'instrs':>12} {'CPI':>5} "
                + " ".join(f"{c:>10}" for c in causes))

        def line(f: FunctionProfile) -> str:
            pct = 100.0 * f.cycles / self.total_cycles if self.total_cycles else 0.0
            cpi = f"{f.cycles / f.instructions:>5.2f}" if f.instructions else f"{'':>5}"
            return (f"{f.name:<{w}} {f.cycles:>12} {pct:>6.1f} {f.instructions:>12} {cpi} "
                    + " ".join(f"{f.stalls[c]:>10}" for c in causes)).rstrip()

        lines = [head, *(line(f) for f in rows), line(total)]
        mix = ", ".join(f"{k}={v}" for k, v in sorted(self.mix.items(), key=lambda kv: -kv[1]))
        lines.append(f"instruction mix: {mix}")
        return "\n".join(lines)


def build_profile(pcnt: np.ndarray, pcyc: np.ndarray, pstall: np.ndarray, dec: np.ndarray,
                  symbols: list[Symbol], ram_base: int, total_cycles: int) -> Profile:
    hit = np.nonzero(pcnt | pcyc)[0]
    starts = [s.addr for s in symbols]
    funcs: dict[str, FunctionProfile] = {}
    mix: dict[str, int] = {}
    for i in hit:
        pc = ram_base + 4 * int(i)
        k = bisect.bisect_right(starts, pc) - 1
        if k >= 0 and (pc < symbols[k].addr + max(symbols[k].size, 4) or k == len(symbols) - 1):
            name, addr = symbols[k].name, symbols[k].addr
        else:
            name, addr = "?", 0
        fp = funcs.setdefault(name, FunctionProfile(name, addr))
        fp.instructions += int(pcnt[i])
        fp.cycles += int(pcyc[i])
        for c, cause in enumerate(STALL_CAUSES):
            fp.stalls[cause] += int(pstall[i, c])
        op = int(dec[i]) & 0xFF
        ext = INSNS[op].ext if dec[i] and op < len(INSNS) else "illegal"
        mix[ext] = mix.get(ext, 0) + int(pcnt[i])
    ordered = sorted(funcs.values(), key=lambda f: -f.cycles)
    return Profile(ordered, mix, total_cycles, int(pcnt.sum()))
