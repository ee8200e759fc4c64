"""The Kanata log (version 4, the Konata viewer's format) of a pipeline's instructions.

Both the ISS (``simulator.pipeview.iss``) and the RTL (``chainrv.cosim_pipeview``) describe
each instruction as a :class:`PipeOp` in fetch order; :class:`KanataWriter` turns them into
the log, so the two files differ only where the pipelines did. Conventions (docs/pipeview.md):

* lane 0: ``IF`` in the cycle the fetch is sent, ``ID`` from the next cycle, then ``EX``,
  ``MEM`` and ``WB`` from their first cycles; ``R ... 0`` in the cycle after WB;
* a wrong-path fetch: ``IF`` (and ``ID`` when it got there), ``R ... 1`` (flush) in the
  cycle after the redirect squashed it;
* lane 1: the cycles the instruction's retirement waited beyond one after the one before
  it, one stage per stall cause, in the order of :data:`STALL_ORDER`, ending at WB (cut
  at IF when the wait began before the fetch was sent);
* ``W`` from an instruction to the producers of its source registers that were still in
  the pipeline (MEM or WB, forwarded) when it entered EX.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

#: The order of the stall segments on lane 1: the redirect that made the instruction
#: late, its fetch, its operands, its unit, its data access.
STALL_ORDER: tuple[str, ...] = ("branch", "mispredict", "trap", "mret", "icache", "load_use", "mul",
                                "div", "wfi", "dcache")

@dataclass(slots=True)
class PipeOp:
    """One fetched instruction: its stage entry cycles, or a wrong-path fetch (``order`` -1)
    squashed before the cycle ``flush``."""

    pc: int
    label: str                  # the left-pane text: pc and disassembly
    f: int                      # IF: the cycle the fetch was sent
    order: int = -1             # retirement slot, -1 for a wrong-path fetch
    e: int = 0
    m: int = 0
    w: int = 0
    flush: int = 0              # wrong path: the first cycle it is gone
    detail: str = ""            # the mouse-over text
    stalls: Sequence[tuple[str, int]] = ()   # (cause, cycles) in STALL_ORDER
    deps: Sequence[int] = field(default_factory=tuple)   # producer slots (orders)


class KanataWriter:
    """Writes :class:`PipeOp` objects, given in fetch order, as a Kanata 0004 log.

    A later fetch never starts before an earlier one, so every command dated before the
    newest fetch is final and written out: memory stays bounded by the pipeline's depth.
    Commands wait in one bucket per cycle."""

    def __init__(self, out: TextIO, keep: Callable[[int], bool] = lambda pc: True) -> None:
        self.out = out
        self.keep = keep
        self.buckets: dict[int, list[str]] = {}
        self.done = 0           # every cycle before this one is written
        self.next_id = 0
        self.ids: dict[int, tuple[int, int]] = {}   # order -> (file id, WB cycle) of recent slots
        self.cycle: int | None = None
        self.lines: list[str] = ["Kanata\t0004"]

    def add(self, op: PipeOp) -> None:
        self._drain(op.f)
        if not self.keep(op.pc):
            return
        k = self.next_id
        self.next_id += 1
        f = op.f
        first = [f"I\t{k}\t{k}\t0", f"L\t{k}\t0\t{op.label}"]
        if op.detail:
            first.append(f"L\t{k}\t1\t{op.detail}")
        first.append(f"S\t{k}\t0\tIF")
        if op.order < 0:
            at = [(f, first)]
            if f + 1 < op.flush:
                at.append((f + 1, [f"S\t{k}\t0\tID"]))
            at.append((op.flush, [f"R\t{k}\t{k}\t1"]))
            self._put(at)
            return
        e, w = op.e, op.w
        at = [(f, first), (f + 1, [f"S\t{k}\t0\tID"]), (e, [f"S\t{k}\t0\tEX"]), (op.m, [f"S\t{k}\t0\tMEM"]),
              (w, [f"S\t{k}\t0\tWB"]), (w + 1, [f"R\t{k}\t{op.order}\t0"])]
        if op.stalls:   # laid back from WB; a wait from before the fetch is cut at IF
            c = w - sum(n for _, n in op.stalls)
            for cause, n in op.stalls:
                if c + n > f:
                    at.append((max(c, f), [f"S\t{k}\t1\t{cause}"]))
                    at.append((c + n, [f"E\t{k}\t1\t{cause}"]))
                c += n
        for p in op.deps:
            got = self.ids.get(p)
            if got is not None and got[1] >= e:
                at.append((e, [f"W\t{k}\t{got[0]}\t0"]))
        self._put(at)
        self.ids[op.order] = (k, w)
        if len(self.ids) > 64:     # producers further back are long out of the pipeline
            for old in [o for o in self.ids if o < op.order - 32]:
                del self.ids[old]

    def _put(self, at: list[tuple[int, list[str]]]) -> None:
        """File commands by cycle. Instructions come in file-id order and each gives its
        commands in the order they are to be written, so a bucket needs no sorting."""
        buckets = self.buckets
        for cycle, texts in at:
            got = buckets.get(cycle)
            if got is None:
                buckets[cycle] = texts
            else:
                got.extend(texts)

    def _drain(self, before: int | None) -> None:
        buckets, lines = self.buckets, self.lines
        if before is None or before - self.done > 4 * len(buckets):   # few cycles hold commands
            cycles = sorted(c for c in buckets if before is None or c < before)
        else:
            cycles = [c for c in range(self.done, before) if c in buckets]
        for c in cycles:
            lines.append(f"C=\t{c}" if self.cycle is None else f"C\t{c - self.cycle}")
            self.cycle = c
            lines.extend(buckets.pop(c))
        if before is not None:
            self.done = max(self.done, before)
        if len(lines) > 4096 or before is None:
            self.out.write("\n".join(lines) + "\n")
            lines.clear()

    def close(self) -> None:
        """Write every command still held (the end of the run)."""
        self._drain(None)


def deps_of(rs1: int, rs2: int, writers: dict[int, int]) -> tuple[int, ...]:
    """The slots that last wrote ``rs1`` and ``rs2`` (0: no operand), from ``writers``
    (register -> slot): rs1's first."""
    p1 = writers.get(rs1) if rs1 else None
    p2 = writers.get(rs2) if rs2 and rs2 != rs1 else None
    if p1 is None:
        return () if p2 is None else (p2,)
    return (p1,) if p2 is None else (p1, p2)
