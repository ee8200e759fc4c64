"""The ISS's pipeline view (docs/pipeview.md): its pipeline, instruction by instruction,
rebuilt from the trace records and written as a Kanata log (``simulator.kanata``).

A record gives the slot's retirement cycle W and its stall cycles by cause; the rules of
docs/timing.md give the rest, slot after slot:

* MEM entry: M = W - 1 - (its data-side wait, cause ``dcache``);
* EX entry: M - 1 - (cycles its unit holds EX: division, iterative multiplier, wfi) when
  it entered MEM after the slot ahead left it, else the cycle the slot ahead entered MEM;
* fetch: in the last ID cycle of the slot ahead (E - 1); after a redirect from EX in that
  slot's last MEM cycle (W - 1), or when a wrong-path refill ends; after a taken branch
  predicted by ``btfn``, in the cycle ID sent its target.

The I-cache is replayed with the ISS's own functions (``simulator.uarch``) and the branch
table with the rules of docs/timing.md, to know when wrong-path fetches keep the
instruction side busy and where they went. Wrong-path fetches are the one after the
redirecting slot and, when that one's word was there and IF was free in the redirect
cycle, the one sent in that cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO, TextIO

import numpy as np

from isa.config import IsaConfig
from isa.disasm import disassemble
from isa.encoding import decode
from isa.memmap import RAM_BASE
from isa.table import INSNS
from isa.timing import DIV_EXTRA, PIPELINE_FILL
from isa.uarch import BHT_INIT, BHT_TAKEN, CRYPTO_EXTS, Uarch

from . import uarch as U
from .kanata import STALL_ORDER, KanataWriter, PipeOp, deps_of
from .machine import Machine, RunResult
from .state import STALL_CAUSES
from .trace import SymbolMap

_CAUSES = [(c, STALL_CAUSES.index(c)) for c in STALL_ORDER]
_DC, _WFI = STALL_CAUSES.index("dcache"), STALL_CAUSES.index("wfi")
_MUL = ("mul", "mulh", "mulhsu", "mulhu")


class _Info:
    """What the timing needs to know of an instruction word."""

    __slots__ = ("kind", "name", "imm", "rd", "reads", "funct3")

    def __init__(self, word: int, config: IsaConfig) -> None:
        d = decode(word, config)
        self.kind = d.insn.kind if d else "illegal"
        self.name = d.insn.name if d else ""
        self.imm = d.imm if d else 0
        self.rd = (word >> 7) & 31
        self.funct3 = (word >> 12) & 7
        args = d.insn.operands if d else ()
        self.reads = {(word >> at) & 31 for a, at in (("rs1", 15), ("rs2", 20), ("rs3", 27)) if a in args}


def _branch_taken(funct3: int, a: int, b: int) -> bool:
    sa, sb = a - ((a & 0x80000000) << 1), b - ((b & 0x80000000) << 1)
    return {0: a == b, 1: a != b, 4: sa < sb, 5: sa >= sb, 6: a < b, 7: a >= b}.get(funct3, False)


class _Bht:
    """The branch table (docs/timing.md, "Prediction"): updates written at the end of a
    branch's last EX cycle are seen by fetches sent in later cycles."""

    def __init__(self, entries: int) -> None:
        self.n = entries
        self.rows: dict[int, list[int]] = {}
        self.queue: list[tuple[int, int, int, bool]] = []

    def predict(self, pc: int, f: int) -> int | None:
        """The target the table predicts for a fetch of ``pc`` sent in cycle ``f``, or None."""
        while self.queue and self.queue[0][0] < f:
            _, bpc, target, taken = self.queue.pop(0)
            row = self.rows.get((bpc >> 2) & (self.n - 1))
            if row is not None and row[0] == bpc:
                row[2] = min(row[2] + 1, 3) if taken else max(row[2] - 1, 0)
                if taken:
                    row[1] = target
            elif taken:
                self.rows[(bpc >> 2) & (self.n - 1)] = [bpc, target, BHT_INIT]
        row = self.rows.get((pc >> 2) & (self.n - 1))
        return row[1] if row is not None and row[0] == pc and row[2] >= BHT_TAKEN else None


class IssPipeline:
    """Turns the ISS's trace records into :class:`PipeOp` objects in fetch order."""

    def __init__(self, config: IsaConfig | str, uarch: Uarch | str | None, image: np.ndarray,
                 labels: Labels) -> None:
        self.config = IsaConfig.parse(config)
        self.u = u = Uarch.parse(uarch)
        self.image = image                  # RAM words as loaded (wrong-path fetches' words)
        self.labels = labels
        self.infos: dict[int, _Info] = {}
        self.bht = _Bht(u.bht) if u.bp == "bht" else None
        self.ua, self.uc = U.new_state(u) if u.icache is not None else (None, None)
        self.ideal_fetch = u.icache is None and u.mem == 0
        # the pipelined multiplier's products: mul*, and Xchain's MAC rows with it
        self.mul_stages = u.mul_stages if "m" in self.config or "xchain" in self.config else 1
        self.muls = _MUL + (("maddlu", "maddhu") if u.mul == "pipe" else ())
        # the AES and SM4 rows computed in MEM (crypto=2): late as a pipe:2 product
        self.cryptos = frozenset(i.name for i in INSNS if u.crypto == 2 and i.ext in CRYPTO_EXTS)
        # the slot before the first, as the ISS's reset state has it
        self.pe, self.pm, self.pw = PIPELINE_FILL - 3, PIPELINE_FILL - 2, PIPELINE_FILL - 1
        self.prev_mul_rd = 0               # rd of the slot ahead if its result is late in MEM
        self.ldu = u.ldu                   # (a pipe:3 product, a load with ldu=2)
        self.next_f = 0
        self.writers: dict[int, int] = {}

    def _info(self, word: int) -> _Info:
        got = self.infos.get(word)
        if got is None:
            got = self.infos[word] = _Info(word, self.config)
        return got

    def _in_ram(self, pc: int) -> bool:
        return 0 <= pc - RAM_BASE < 4 * len(self.image)

    def _fetch_wait(self, pc: int) -> int:
        """Cycles a fetch of ``pc`` (in RAM) waits beyond the first; replays the I-cache."""
        if self.ua is None:
            return self.u.mem
        if pc >> self.ua[U.P_IC_SHIFT] == self.ua[U.U_ILAST]:
            return 0
        return int(U.ifetch(self.ua, self.uc, pc))

    def feed(self, recs: np.ndarray, stalls: np.ndarray) -> Iterator[PipeOp]:
        none = [0] * stalls.shape[1]
        waited = stalls.any(axis=1).tolist()
        rows = stalls.tolist()
        for k, r in enumerate(recs.tolist()):
            yield from self._slot(r, rows[k] if waited[k] else none)

    def _slot(self, r: tuple, st: list[int]) -> Iterator[PipeOp]:
        (order, word, trap, pc, npc, rs1, a, rs2, b, rd, _, _, _, _, _, _, w) = r
        u, bp = self.u, self.u.bp
        in_ram = self._in_ram(pc)
        info = self._info(word) if in_ram else None
        f = self.next_f
        if in_ram:
            self._fetch_wait(pc)
        m = w - 1 - st[_DC]
        kind = info.kind if info else "illegal"
        extra = 0
        if not trap:
            if kind == "div":
                extra = DIV_EXTRA
            elif info is not None and info.name in _MUL:
                extra = u.mul_extra
            elif info is not None and info.name == "wfi":
                extra = st[_WFI]
        e = m - 1 - extra if m > self.pw else self.pm
        # the prediction IF or ID made, and what happened
        pred, ptk = (pc + 4) & 0xFFFFFFFF, False
        if info is not None:
            if bp == "btfn" and ((kind == "branch" and info.imm < 0) or kind == "jal"):
                pred, ptk = (pc + info.imm) & 0xFFFFFFFF, True
            elif self.bht is not None:
                t = self.bht.predict(pc, f)
                if t is not None:
                    pred, ptk = t, True
        taken = not trap and (kind in ("jal", "jalr") or
                              (kind == "branch" and _branch_taken(info.funct3, a, b)))  # type: ignore[union-attr]
        ft = self.pw - 1 if self.pm <= e <= self.pw - 2 else e
        if trap or info is None or info.name == "mret" or kind == "fencei":
            exred = True
        elif bp == "none":
            exred = taken
        else:
            exred = ptk != taken or (taken and pred != npc)
        stall_list = [(c, st[k]) for c, k in _CAUSES if st[k]] if w > self.pw + 1 else []
        lab = self.labels
        yield PipeOp(pc, lab.label(pc, word), f, order, e, m, w,
                     detail=lab.detail(pc, stall_list, npc if trap else None), stalls=stall_list,
                     deps=deps_of(rs1, rs2, self.writers))
        if rd:
            self.writers[rd] = order
        if self.bht is not None and not trap and kind in ("branch", "jal"):
            self.bht.queue.append((m - 1, pc, (pc + info.imm) & 0xFFFFFFFF, taken))  # type: ignore[union-attr]
        if not exred:
            self.next_f = ft if bp == "btfn" and ptk else e - 1
        else:
            yield from self._wrong_path(pc, word, info, trap, pred, ptk, ft, e, m, w)
        late_mem = info is not None and ((self.mul_stages == 3 and info.name in self.muls)
                                         or (self.ldu == 2 and info.kind == "load"))
        self.prev_mul_rd = info.rd if late_mem and not trap else 0
        self.pe, self.pm, self.pw = e, m, w

    def _wrong_path(self, pc: int, word: int, info: _Info | None, trap: int, pred: int, ptk: bool,
                    ft: int, e: int, m: int, w: int) -> Iterator[PipeOp]:
        """The fetches a redirect from EX in cycle m - 1 squashed; sets the next fetch's cycle."""
        red = m - 1
        f1 = ft if self.u.bp == "btfn" and ptk else e - 1
        look = f1 + 1
        busy = -1
        ready1: int | None = None
        if self.ideal_fetch or not self._in_ram(pred):
            ready1 = look
        elif red >= look + 1:       # it looked up before the redirect: the I-side works on
            p1 = self._fetch_wait(pred)
            busy = ready1 = look + p1
        lab = self.labels
        word1 = int(self.image[(pred - RAM_BASE) >> 2]) if self._in_ram(pred) else 0
        yield PipeOp(pred, lab.label(pred, word1), f1, flush=red + 1,
                     detail=lab.detail(pred, wrong_path=True))
        if f1 < red and ready1 is not None and ready1 <= red and not self._load_use(word1, info, trap, red):
            pred2 = (pred + 4) & 0xFFFFFFFF
            if self.bht is not None:
                t = self.bht.predict(pred, f1)
                if t is not None:
                    pred2 = t
            word2 = int(self.image[(pred2 - RAM_BASE) >> 2]) if self._in_ram(pred2) else 0
            yield PipeOp(pred2, lab.label(pred2, word2), red, flush=red + 1,
                         detail=lab.detail(pred2, wrong_path=True))
        fred = w - 1
        if info is not None and info.kind == "fencei" and not trap and self.ua is not None:
            U.iflush(self.ua, self.uc, pred if busy > fred else -1)
        self.next_f = max(fred, busy)

    def _load_use(self, word1: int, info: _Info | None, trap: int, red: int) -> bool:
        """Whether the wrong-path instruction in ID waits in the redirect cycle for a late
        result: of the redirecting slot (a load, a pipelined product) or of the one in MEM."""
        reads = self._info(word1).reads - {0}
        if not reads or info is None:
            return False
        late = (info.kind == "load" or (self.mul_stages >= 2 and info.name in self.muls)
                or info.name in self.cryptos)
        if late and info.rd in reads:
            return True
        return self.pm <= red < self.pw and self.prev_mul_rd in reads


class Labels:
    """Left-pane labels (``pc disassembly``) and mouse-over details, cached per word."""

    def __init__(self, symbols: SymbolMap, config: IsaConfig | None = None) -> None:
        self.symbols = symbols
        self.config = config
        self.cache: dict[tuple[int, int], str] = {}

    def label(self, pc: int, word: int) -> str:
        got = self.cache.get((pc, word))
        if got is None:
            got = f"{pc:08x} " + disassemble(word, pc, self.config).replace("\t", " ")
            self.cache[(pc, word)] = got
        return got

    def detail(self, pc: int, stalls: Sequence[tuple[str, int]] = (), trap_to: int | None = None,
               wrong_path: bool = False) -> str:
        if not stalls and trap_to is None and not wrong_path:
            return self.symbols.label(pc)
        parts = [self.symbols.label(pc)]
        if wrong_path:
            parts.append("wrong path, squashed")
        if trap_to is not None:
            parts.append(f"trap -> {trap_to:08x}")
        if stalls:
            parts.append("stall " + ", ".join(f"{c} {n}" for c, n in stalls))
        return "; ".join(p for p in parts if p)


def write_iss_pipeview(m: Machine, out: TextIO, keep: Callable[[int], bool] = lambda pc: True,
                       max_instructions: int | None = None, stdout: BinaryIO | None = None) -> RunResult:
    """Run ``m`` (loaded, not started) in trace mode, writing its pipeline view to ``out``;
    ``keep(pc)`` selects the instructions shown."""
    pipe = IssPipeline(m.config, m.uarch, m.ram32.copy(), Labels(SymbolMap(m.functions), m.config))
    w = KanataWriter(out, keep)
    for recs, stalls in m.iter_trace(max_instructions, stdout=stdout, stalls=True):
        for op in pipe.feed(recs, stalls):
            w.add(op)
    w.close()
    assert m.result is not None
    return m.result
