"""Cycles by call stack, from the retirement trace (docs/profiling.md).

Calls and returns are read from ``jal``/``jalr`` with the RISC-V return-address hints
(the unprivileged spec's table of ``jalr`` register hints; x1 and x5 are link registers):
a jump that writes a link register pushes a frame, a ``jalr`` that reads one and writes
none pops one, and one that reads one link register and writes the other pops, then
pushes (a coroutine swap). Everything else follows from where the pc is: when a slot's pc
lies in another function than the top frame's (a tail call ``j f``/``jr t1`` to a
function's entry, a fall-through into the next symbol, a ``longjmp``), that function
replaces the top frame. A trapped slot pushes a frame for the handler at mtvec; ``mret``
pops frames down to and including the newest trap frame.

Each slot is charged its own cycle and the stall cycles it waited for itself (load-use,
divider, wfi, caches, multiplier), and the redirect cycles the next slot waited for
(taken branch, trap, mret, misprediction) -- the attribution of the ISS's per-PC profile
counters, so that a function's exclusive cycles are its ``--profile`` self cycles. The
cycles before the first retirement are a frame of their own, ``(pipeline fill)``, so the
exclusive cycles of all frames add up to the run's cycles exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .callstack import CALL, MRET, OTHER, RETURN, SWAP, TRAP
from .elfload import Symbol
from .state import REDIRECT_MASK, STALL_CAUSES

#: Stall causes a slot waits for because of the slot before it (charged to that one).
_REDIRECT_COLS = [k for k in range(len(STALL_CAUSES)) if REDIRECT_MASK >> k & 1]
REDIRECT_CAUSES = tuple(STALL_CAUSES[k] for k in _REDIRECT_COLS)

FILL = "(pipeline fill)"
UNKNOWN = "?"            # a pc no function symbol covers (as --profile names it)

_MRET_WORD = 0x30200073
_SCHEMA = "https://www.speedscope.app/file-format-schema.json"


def classify(insn: np.ndarray, trap: np.ndarray) -> np.ndarray:
    """What each slot does to the call stack (OTHER, CALL, RETURN, SWAP, TRAP, MRET)."""
    op = insn & 0x7F
    kind = np.full(len(insn), OTHER, np.int8)
    at = np.nonzero((op == 0x6F) | (op == 0x67) | (insn == _MRET_WORD) | (trap != 0))[0]
    insn, trap, op = insn[at], trap[at], op[at]   # the few jumps, mrets and traps only
    rd = (insn >> 7) & 31
    rs1 = (insn >> 15) & 31
    link_rd = (rd == 1) | (rd == 5)
    link_rs1 = (rs1 == 1) | (rs1 == 5)
    jal = op == 0x6F
    jalr = (op == 0x67) & (((insn >> 12) & 7) == 0)
    k = np.full(len(at), OTHER, np.int8)
    k[(jal & link_rd) | (jalr & link_rd & (~link_rs1 | (rs1 == rd)))] = CALL
    k[jalr & link_rs1 & ~link_rd] = RETURN
    k[jalr & link_rd & link_rs1 & (rs1 != rd)] = SWAP
    k[insn == _MRET_WORD] = MRET
    k[trap != 0] = TRAP
    kind[at] = k
    return kind


class FunctionIndex:
    """pc -> function, by the rule of ``--profile``: the nearest symbol at or below the
    pc when the pc is inside its size (at least one word), or the last symbol. Looked
    up in a table of the words the symbols span (one gather per pc, not a search)."""

    #: Words the table may hold (symbols spread wider are searched instead).
    TABLE_WORDS = 1 << 22

    def __init__(self, functions: list[Symbol]) -> None:
        funcs = sorted(functions, key=lambda f: f.addr)
        self.names = [f.name for f in funcs] + [UNKNOWN]
        self.starts = np.array([f.addr for f in funcs], np.int64)
        self.ends = np.array([f.addr + max(f.size, 4) for f in funcs], np.int64)
        self.table: np.ndarray | None = None
        if not funcs:
            return
        self.last = len(funcs) - 1
        self.lo = int(self.starts[0]) & ~3
        hi = max(int(self.ends.max()), int(self.starts[-1]) + 4)
        self.ends[-1] = 1 << 40
        if (hi - self.lo) >> 2 <= self.TABLE_WORDS:
            self.table = self._search(np.arange(self.lo, hi, 4, dtype=np.int64)).astype(np.int32)

    def _search(self, pc: np.ndarray) -> np.ndarray:
        k = np.searchsorted(self.starts, pc, side="right") - 1
        inside = (k >= 0) & (pc < self.ends[np.maximum(k, 0)])
        return np.where(inside, k, len(self.names) - 1)

    def words(self, base: int, n: int) -> np.ndarray:
        """``lookup`` of the ``n`` words from ``base`` (a multiple of 4), made by filling
        three ranges: those below the table, the table's, those above it."""
        if self.table is None or not len(self.starts):
            return self.lookup(base + 4 * np.arange(n, dtype=np.int64))
        s = (self.lo - base) >> 2   # the word at the table's first entry
        k0 = min(max(s, 0), n)
        k1 = min(max(s + len(self.table), 0), n)
        out = np.empty(n, np.int64)
        out[:k0] = len(self.names) - 1
        out[k0:k1] = self.table[k0 - s:k1 - s]
        out[k1:] = self.last
        return out

    def lookup(self, pc: np.ndarray) -> np.ndarray:
        """Index into ``names`` per pc (the last one, UNKNOWN, for no function)."""
        if not len(self.starts):
            return np.full(len(pc), len(self.names) - 1)
        if self.table is None:
            return self._search(pc)
        w = (pc - self.lo) >> 2
        inside = (w >= 0) & (w < len(self.table))
        out = self.table[np.where(inside, w, 0)]
        if not inside.all():   # below the first symbol: none; above the table: the last one's
            out = np.where(inside, out, np.where(w < 0, len(self.names) - 1, self.last))
        return out


@dataclass
class CallTree:
    """Cycles by call stack: nodes (a frame under a parent node) with their exclusive
    cycles, and the evented timeline (open/close a frame at a cycle count)."""

    names: list[str]                        # frame names, indexed by frame id
    parent: list[int] = field(default_factory=list)     # per node; -1 for a root
    frame: list[int] = field(default_factory=list)      # per node
    exclusive: list[int] = field(default_factory=list)  # per node
    events: list[tuple[int, int, int]] = field(default_factory=list)  # (open 1 / close 0, at, frame)
    total: int = 0

    def inclusive(self) -> list[int]:
        """Per node: its exclusive cycles and those of every node below it."""
        inc = list(self.exclusive)
        for n in range(len(inc) - 1, -1, -1):   # children are made after their parents
            if self.parent[n] >= 0:
                inc[self.parent[n]] += inc[n]
        return inc

    def functions(self) -> dict[str, tuple[int, int]]:
        """Per function name: (inclusive, exclusive) cycles; a function's inclusive
        cycles are those spent with it anywhere on the stack (recursion counted once)."""
        inc = self.inclusive()
        out: dict[str, list[int]] = {}
        for n, f in enumerate(self.frame):
            row = out.setdefault(self.names[f], [0, 0])
            row[1] += self.exclusive[n]
            p = self.parent[n]
            while p >= 0 and self.frame[p] != f:
                p = self.parent[p]
            if p < 0:                         # the outermost call of this function on the stack
                row[0] += inc[n]
        return {k: (v[0], v[1]) for k, v in out.items()}

    def speedscope(self, name: str) -> dict:
        """The speedscope file (its file-format schema, an evented profile). The schema's
        units have no cycles: the unit is ``none`` and every value is a cycle count."""
        used = sorted({f for _, _, f in self.events})     # the ELF's other functions never ran
        number = {f: k for k, f in enumerate(used)}
        events = [{"type": "O" if o else "C", "at": at, "frame": number[f]} for o, at, f in self.events]
        return {
            "$schema": _SCHEMA,
            "shared": {"frames": [{"name": self.names[f]} for f in used]},
            "profiles": [{"type": "evented", "name": f"{name} (cycles)", "unit": "none",
                          "startValue": 0, "endValue": self.total, "events": events}],
            "name": name,
            "activeProfileIndex": 0,
            "exporter": "chainrv",
        }

    def speedscope_json(self, name: str) -> str:
        return json.dumps(self.speedscope(name), separators=(",", ":")) + "\n"


class CallTreeBuilder:
    """Feed it the trace's chunks (records and their stall columns) in order; ``finish``
    gives the CallTree. A slot is held back until the next one's stalls are known."""

    def __init__(self, functions: list[Symbol]) -> None:
        self.index = FunctionIndex(functions)
        self.tree = CallTree([*self.index.names, FILL])
        self.children: dict[tuple[int, int], int] = {}
        self.stack: list[int] = []            # node ids, innermost last
        self.traps: list[bool] = []           # whether each stack entry is a handler's
        self.t = 0                            # cycles charged so far
        self.fn = -1                          # function of the last slot charged
        self.held: tuple[np.ndarray, ...] | None = None   # the last slot: pc, insn, trap, target, cost
        self.first = True
        self.cycle = 0                        # retirement cycle of the last slot fed

    # ------------------------------------------------------------ the stack
    def _node(self, frame: int) -> int:
        parent = self.stack[-1] if self.stack else -1
        key = (parent, frame)
        n = self.children.get(key)
        if n is None:
            tree = self.tree
            n = self.children[key] = len(tree.frame)
            tree.parent.append(parent)
            tree.frame.append(frame)
            tree.exclusive.append(0)
        return n

    def _push(self, frame: int, trap: bool = False) -> None:
        self.stack.append(self._node(frame))
        self.traps.append(trap)
        self.tree.events.append((1, self.t, frame))

    def _pop(self) -> None:
        n = self.stack.pop()
        self.traps.pop()
        self.tree.events.append((0, self.t, self.tree.frame[n]))

    def _enter(self, frame: int) -> None:
        """Make ``frame`` the top frame (the function the slot's pc is in)."""
        if not self.stack:
            self._push(frame)
        elif self.tree.frame[self.stack[-1]] != frame:
            trap = self.traps[-1]
            self._pop()
            self._push(frame, trap)

    def _charge(self, cycles: int) -> None:
        if cycles:
            self.t += cycles
            self.tree.exclusive[self.stack[-1]] += cycles

    def _effect(self, kind: int, target: int) -> None:
        if kind == CALL:
            self._push(target)
        elif kind == RETURN:
            if len(self.stack) > 1 and not self.traps[-1]:
                self._pop()
        elif kind == SWAP:
            if len(self.stack) > 1 and not self.traps[-1]:
                self._pop()
            self._push(target)
        elif kind == TRAP:
            self._push(target, trap=True)
        elif kind == MRET and any(self.traps):
            while not self.traps[-1]:
                self._pop()
            self._pop()

    # ------------------------------------------------------------ the slots
    def feed(self, recs: np.ndarray, stalls: np.ndarray) -> None:
        if not len(recs):
            return
        pc, insn, trap, target, cycle = (np.ascontiguousarray(recs[k])
                                         for k in ("pc_rdata", "insn", "trap", "pc_wdata", "cycle"))
        redirect = stalls[:, _REDIRECT_COLS[0]].copy()
        for k in _REDIRECT_COLS[1:]:
            redirect += stalls[:, k]
        # a slot's cycles since the last retirement are 1 + all its stalls (simulator/state.py)
        first = 1 + int(stalls[0].sum())
        own = np.diff(cycle, prepend=self.cycle if self.held is not None else cycle[0] - first) - redirect
        cost = own.copy()
        cost[:-1] += redirect[1:]
        if self.held is not None:          # the slot held back waited for this chunk's first
            h_pc, h_insn, h_trap, h_target, h_cost = self.held
            self._slots(h_pc, h_insn, h_trap, h_target, h_cost + redirect[:1])
        elif self.first:                   # the cycles before the first retirement
            fill = int(cycle[0]) + 1 - int(own[0])
            if fill:
                self._push(len(self.tree.names) - 1)
                self._charge(fill)
                self._pop()
        self.first = False
        self.cycle = int(cycle[-1])
        self._slots(pc[:-1], insn[:-1], trap[:-1], target[:-1], cost[:-1])
        self.held = (pc[-1:], insn[-1:], trap[-1:], target[-1:], cost[-1:])

    def _slots(self, pc: np.ndarray, insn: np.ndarray, trap: np.ndarray, target: np.ndarray,
               cost: np.ndarray) -> None:
        n = len(pc)
        if not n:
            return
        fn = self.index.lookup(pc)
        kind = classify(insn, trap)
        prev = np.empty_like(fn)
        prev[0] = self.fn
        prev[1:] = fn[:-1]
        marks = np.nonzero((kind != OTHER) | (fn != prev))[0]
        cum = np.concatenate([[0], np.cumsum(cost)])
        first = int(marks[0]) if len(marks) else n
        self._charge(int(cum[first]))         # slots in the function the last chunk ended in
        ends = np.append(marks[1:], n)
        rest = cum[ends] - cum[marks + 1]     # the slots after a mark, up to the next one
        stack, frame, exclusive = self.stack, self.tree.frame, self.tree.exclusive
        # (the calls _enter, _charge and _effect written out: this runs per call and return)
        for f, c, k, t, r in zip(fn[marks].tolist(), cost[marks].tolist(), kind[marks].tolist(),
                                 self.index.lookup(target[marks]).tolist(), rest.tolist(), strict=True):
            if not stack or frame[stack[-1]] != f:
                self._enter(f)
            self.t += c
            exclusive[stack[-1]] += c
            if k != OTHER:
                self._effect(k, t)
            self.t += r
            exclusive[stack[-1]] += r
        self.fn = int(fn[-1])

    def finish(self) -> CallTree:
        if self.held is not None:
            self._slots(*self.held)
            self.held = None
        while self.stack:
            self._pop()
        self.tree.total = self.t
        return self.tree


def build_call_tree(chunks: Iterable[tuple[np.ndarray, np.ndarray]], functions: list[Symbol]) -> CallTree:
    """The CallTree of a run's trace (``Machine.iter_trace(stalls=True)``)."""
    b = CallTreeBuilder(functions)
    for recs, stalls in chunks:
        b.feed(recs, stalls)
    return b.finish()
