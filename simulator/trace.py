"""Retirement records (RVFI style) and the text trace format.

One record per retirement slot, including trapped slots (``trap = 1``).
Field conventions (what the lockstep comparison relies on):

* ``order``: slot number from 0; ``cycle``: retirement cycle (docs/timing.md).
* ``insn``: the instruction word (0 when the fetch itself faulted).
* ``rs1_addr``/``rs2_addr``: the registers the instruction reads (0 when its
  format has no such operand); ``*_rdata`` their values (0 for x0).
* ``rd_addr``/``rd_wdata``: 0/0 when nothing is written or rd is x0.
* ``mem_addr``: the effective byte address of the load or store;
  ``mem_rmask``/``mem_wmask``: ``(1 << width) - 1`` (not shifted by the
  address); ``mem_rdata``: the raw bytes read (zero-extended, before sign
  extension); ``mem_wdata``: the bytes written (low ``width`` bytes of rs2).
* A trap slot has ``trap = 1``, ``pc_wdata`` = the handler address (mtvec),
  and every register and memory field 0.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence

import numpy as np

from .elfload import Symbol
from .srclines import LineTable
from .state import STALL_CAUSES, TRACE_COLS

#: numpy dtype of the records returned by ``Machine.iter_trace``.
RVFI_DTYPE = np.dtype([(name, np.int64) for name in TRACE_COLS])


def rows_to_records(rows: np.ndarray) -> np.ndarray:
    """The records of (n, TRACE_WIDTH) trace buffer rows as a structured RVFI array (a copy)."""
    return np.array(rows[:, :len(TRACE_COLS)], dtype=np.int64, order="C").view(RVFI_DTYPE).reshape(-1)


def stall_label(stalls: np.ndarray) -> str:
    """``stall icache 12, load_use 1``: a slot's stall cycles by cause (the causes it waited for)."""
    parts = [f"{STALL_CAUSES[k]} {int(n)}" for k, n in enumerate(stalls) if n]
    return "stall " + ", ".join(parts) if parts else ""


def _disassembler() -> Callable[[int, int], str]:
    try:
        from isa.disasm import disassemble
    except ImportError:  # pragma: no cover - the disassembler ships with isa/
        return lambda word, pc: f".4byte\t{word:#x}"
    return disassemble


class SymbolMap:
    """pc -> ``<function+offset>`` from the ELF's function symbols. A symbol
    without a size (an assembly label) covers up to the next symbol."""

    def __init__(self, functions: Sequence[Symbol]) -> None:
        self.funcs = sorted(functions, key=lambda f: f.addr)
        self.addrs = [f.addr for f in self.funcs]
        self.cache: dict[int, str] = {}

    def find(self, name: str) -> tuple[int, int] | None:
        """The address range [start, end) of function ``name``."""
        for k, f in enumerate(self.funcs):
            if f.name == name:
                end = f.addr + f.size if f.size else (
                    self.addrs[k + 1] if k + 1 < len(self.addrs) else f.addr + 4)
                return f.addr, max(end, f.addr + 4)
        return None

    def label(self, pc: int) -> str:
        got = self.cache.get(pc)
        if got is None:
            k = bisect.bisect_right(self.addrs, pc) - 1
            got = ""
            # the nearest symbol at or below pc (bisect: pc is before the next one)
            if k >= 0 and (self.funcs[k].size == 0 or pc < self.addrs[k] + self.funcs[k].size):
                got = f"<{self.funcs[k].name}+{pc - self.addrs[k]:#x}>"
            self.cache[pc] = got
        return got


def format_records(records: np.ndarray, symbols: SymbolMap | None = None,
                   stalls: np.ndarray | None = None, lines: LineTable | None = None) -> list[str]:
    """Text trace lines: cycle, pc, word, disassembly, ``<function+offset>`` when
    ``symbols`` are given, ``file:line`` when ``lines`` cover the pc, register write,
    memory access, and with ``stalls`` (a row of cycles by cause per record) the cycles
    the slot waited before it retired."""
    dis = _disassembler()
    # the columns as Python ints (a numpy scalar per field would cost more than the
    # formatting), and what depends only on the pc and word formatted once per pair
    col = {name: records[name].tolist() for name in (
        "cycle", "pc_rdata", "insn", "trap", "pc_wdata", "rd_addr", "rd_wdata", "mem_rmask",
        "mem_wmask", "mem_addr", "mem_rdata", "mem_wdata")}
    stalled = stalls.any(axis=1).tolist() if stalls is not None and len(stalls) else []
    static: dict[tuple[int, int], str] = {}
    out = []
    for n in range(len(records)):
        pc, word = col["pc_rdata"][n], col["insn"][n]
        head = static.get((pc, word))
        if head is None:
            text = dis(word, pc).replace("\t", " ")
            head = f"{pc:08x} {word:08x} {text:<36}"
            if symbols is not None:
                head += f" {symbols.label(pc):<24}"
            if lines is not None:
                head += f" {lines.find(pc) or '':<20}"
            static[(pc, word)] = head
        parts = [f"{col['cycle'][n]:>10} {head}"]
        if col["trap"][n]:
            parts.append(f"trap -> {col['pc_wdata'][n]:08x}")
        else:
            if col["rd_addr"][n]:
                parts.append(f"x{col['rd_addr'][n]}={col['rd_wdata'][n]:08x}")
            if col["mem_rmask"][n]:
                w = bin(col["mem_rmask"][n]).count("1")
                parts.append(f"load{w} [{col['mem_addr'][n]:08x}]={col['mem_rdata'][n]:0{2 * w}x}")
            if col["mem_wmask"][n]:
                w = bin(col["mem_wmask"][n]).count("1")
                parts.append(f"store{w} [{col['mem_addr'][n]:08x}]={col['mem_wdata'][n]:0{2 * w}x}")
        if stalled and stalled[n]:
            parts.append(stall_label(stalls[n]))
        out.append(" ".join(parts).rstrip())
    return out
