"""The RTL's pipeline view (docs/pipeview.md): the SoC inside a wrapper that writes a
line per cycle of the pipeline's valid bits, pcs and holds and of the retirement port,
read back into the instructions of the Kanata log (``simulator.kanata``).

Per cycle the line holds what IF sends (``req``, ``pc``), each stage register's valid
bit and pc, the holds of ID, EX and MEM and the redirect from EX (signals of
``hdl/core.py``, read by hierarchical reference), and the retiring instruction's word,
trap bit, next pc and registers. :func:`follow` moves every fetch through the stages with
the core's update rules and checks each step against the pcs the stages hold. The wrapper
is a build of its own: a plain lockstep run pays nothing for it.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from isa.config import IsaConfig
from isa.memmap import RAM_BASE, RAM_SIZE
from isa.retire import RVFI_FIELDS
from isa.uarch import Uarch
from simulator.kanata import STALL_ORDER, KanataWriter, PipeOp, deps_of
from simulator.pipeview import Labels
from simulator.state import STALL_CAUSES
from simulator.trace import SymbolMap

from .cosim import harness

TOP = "pipeview_top"
TESTBENCH = "chainrv.cosim_pipeview_tb"
FLAGS = ("req", "id_valid", "ex_valid", "mem_valid", "wb_valid", "id_hold", "ex_hold", "mem_hold",
         "redirect")
PCS = ("pc", "id_pc", "ex_pc", "mem_pc", "wb_pc")
#: Columns of a line: cycle, flags, the pcs, then the retiring record's word, next pc and
#: {trap, rs1, rs2, rd}; hex digits of each.
DIGITS = (16, 3, *(8 for _ in PCS), 8, 8, 4)
LINE_BYTES = sum(DIGITS) + len(DIGITS)


def wrapper() -> str:
    """The wrapper module: reset, the SoC, the per-cycle log (+pipe=FILE), and ``done``
    once the store to the finisher has retired or +max_cycles=N have passed."""
    wires = " ".join(f"wire {f'[{w - 1}:0] ' if w > 1 else ''}rvfi_{n};" for n, w in RVFI_FIELDS.items())
    ports = ", ".join(f".rvfi_{n}(rvfi_{n})" for n in RVFI_FIELDS)
    fmt = " ".join("%h" for _ in DIGITS) + "\\n"
    flags = ", ".join(f"soc.core.{f}" for f in FLAGS)
    pcs = ", ".join(f"soc.core.{p}" for p in PCS)
    return f"""
module {TOP} (
  input wire clk,
  output reg done = 1'b0,
  output reg exited = 1'b0,
  output reg [15:0] exit_code = 16'd0,
  output wire [63:0] cycle
);
  reg [1:0] rst_count = 2'd0;
  wire rst = rst_count != 2'd3;
  always @(posedge clk) if (rst) rst_count <= rst_count + 2'd1;
  {wires}
  wire uart_valid, finish_valid;
  wire [7:0] uart_data;
  wire [15:0] finish_code;
  chainrv_soc soc (.clk(clk), .rst(rst), .cycle(cycle), {ports},
    .uart_valid(uart_valid), .uart_data(uart_data), .finish_valid(finish_valid), .finish_code(finish_code));
  integer fd = 0;
  reg [63:0] max_cycles = 64'hFFFF_FFFF_FFFF_FFFF;
  reg [1023*8:0] path;
  initial begin
    if ($value$plusargs("pipe=%s", path)) fd = $fopen(path, "w");
    if (!$value$plusargs("max_cycles=%d", max_cycles)) max_cycles = 64'hFFFF_FFFF_FFFF_FFFF;
  end
  reg finishing = 1'b0;
  always @(posedge clk) begin
    if (!rst && !done) begin
      if (fd != 0) $fwrite(fd, "{fmt}", cycle, {{{flags}}}, {pcs}, rvfi_insn, rvfi_pc_wdata,
                           {{rvfi_trap, rvfi_rs1_addr, rvfi_rs2_addr, rvfi_rd_addr}});
      if (finish_valid) begin
        finishing <= 1'b1;
        exit_code <= finish_code;
      end
      if ((finishing && rvfi_valid) || cycle + 64'd1 >= max_cycles) begin
        done <= 1'b1;
        exited <= finishing && rvfi_valid;
        if (fd != 0) $fclose(fd);
      end
    end
  end
endmodule
"""


def pipeview_design(isa: IsaConfig | str, ram_size: int = RAM_SIZE,
                    uarch: Uarch | str | None = None) -> harness.Design:
    from hdl.verilog import generate

    from .cosim.lockstep import settle_at_start

    cfg, u = IsaConfig.parse(isa), Uarch.parse(uarch)
    text = wrapper()
    return harness.Design(
        f"pipeview_{cfg}_{ram_size}_{hashlib.sha256(str(u.items()).encode()).hexdigest()[:10]}", TOP,
        lambda: settle_at_start(generate(cfg, ram_size, uarch=u)) + "\n" + text,
        {"isa": str(cfg), "ram_size": ram_size, "uarch": u.items(),
         "wrapper": hashlib.sha256(text.encode()).hexdigest()})


def run_pipeview_rtl(isa: IsaConfig | str, ram_image: Path, sim: str, max_cycles: int, workdir: Path,
                     ram_size: int = RAM_SIZE, uarch: Uarch | str | None = None) -> np.ndarray:
    """Run the wrapper until the finisher store retires or ``max_cycles``: its lines."""
    pipe, result = workdir / "pipe.log", workdir / "result.json"
    plusargs = [f"+ram={ram_image}", f"+max_cycles={max_cycles}", f"+pipe={pipe}"]
    harness.run(pipeview_design(isa, ram_size, uarch), TESTBENCH, sim, plusargs=plusargs,
                env={"RESULT": str(result)})
    return parse_cycles(pipe.read_bytes() if pipe.exists() else b"")


def parse_cycles(data: bytes) -> np.ndarray:
    """The per-cycle lines as an (n, columns) int64 array (ValueError on X or Z)."""
    rows = np.frombuffer(data[:len(data) - len(data) % LINE_BYTES], np.uint8).reshape(-1, LINE_BYTES)
    out = np.zeros((len(rows), len(DIGITS)), np.int64)
    col = 0
    for k, d in enumerate(DIGITS):
        text = rows[:, col:col + d].astype(np.int64)
        v = np.where(text >= ord("a"), text - ord("a") + 10, text - ord("0"))
        if ((v < 0) | (v > 15)).any():
            raise ValueError("the RTL's pipeline log holds a value that is not a number (X or Z)")
        for j in range(d):
            out[:, k] = (out[:, k] << 4) | v[:, j]
        col += d + 1
    return out


class PipelineError(AssertionError):
    """The stages' pcs disagree with the fetches followed through them."""


@dataclass
class _Fetch:
    pc: int
    f: int
    d: int = -1
    e: int = -1
    m: int = -1
    w: int = -1
    flush: int = -1
    word: int = 0           # the retirement port's record, for a fetch that reached WB
    npc: int = 0
    regs: int = 0           # {trap, rs1, rs2, rd}


def follow(cycles: np.ndarray) -> list[_Fetch]:
    """Every fetch the RTL sent, in order, with the cycles it entered each stage (or was
    squashed), following ``hdl/core.py``: IF sends into ID unless EX redirects; ID moves to
    EX when it does not hold, EX to MEM and MEM to WB when they do not hold; a redirect
    empties ID and EX (what EX held goes on to MEM) and squashes what IF sends."""
    bit = {name: 1 << (len(FLAGS) - 1 - k) for k, name in enumerate(FLAGS)}
    fetches: list[_Fetch] = []
    sid = sex = smem = swb = None       # the fetch in each stage
    for t, fl, pc, id_pc, ex_pc, mem_pc, wb_pc, word, npc, regs in cycles.tolist():
        for stage, valid, got in ((sid, "id_valid", id_pc), (sex, "ex_valid", ex_pc),
                                  (smem, "mem_valid", mem_pc), (swb, "wb_valid", wb_pc)):
            if (stage is not None) != bool(fl & bit[valid]) or (stage is not None and stage.pc != got):
                raise PipelineError(f"cycle {t}: {valid[:-6].upper()} holds {got:08x} (valid "
                                    f"{int(bool(fl & bit[valid]))}), expected "
                                    f"{'nothing' if stage is None else f'{stage.pc:08x}'}")
        if swb is not None:
            swb.word, swb.npc, swb.regs = word, npc, regs
        new = None
        if fl & bit["req"]:
            new = _Fetch(pc, t)
            fetches.append(new)
        mem_hold = fl & bit["mem_hold"]
        nwb = smem if not mem_hold else None
        nmem = smem if mem_hold else (None if fl & bit["ex_hold"] else sex)
        if fl & bit["redirect"]:
            nex = nid = None
            for gone in (sid, new):
                if gone is not None:
                    gone.flush = t + 1
        else:
            nex = sex if fl & bit["ex_hold"] else (None if fl & bit["id_hold"] else sid)
            nid = sid if fl & bit["id_hold"] else new
        for stage, attr in ((nid, "d"), (nex, "e"), (nmem, "m"), (nwb, "w")):
            if stage is not None and getattr(stage, attr) < 0:
                setattr(stage, attr, t + 1)
        sid, sex, smem, swb = nid, nex, nmem, nwb
    if len(cycles):     # what moved on after the last line was not seen there
        end = int(cycles[-1, 0])
        for f in fetches:
            if f.w > end:
                f.w = -1
            if f.flush > end + 1:
                f.flush = -1
    return fetches


def pipe_ops(fetches: list[_Fetch], stalls: np.ndarray, labels: Labels,
             image: np.ndarray) -> Iterator[PipeOp]:
    """The :class:`PipeOp` of each fetch that retired (with the k-th row of ``stalls``,
    cycles by cause, for the k-th) or was squashed; the run's end cuts the rest."""
    k = 0
    writers: dict[int, int] = {}
    cause = [STALL_CAUSES.index(c) for c in STALL_ORDER]
    for f in fetches:
        if f.w >= 0 and k < len(stalls):
            st = [(c, int(stalls[k, j])) for c, j in zip(STALL_ORDER, cause, strict=True) if stalls[k, j]]
            trap, rs1, rs2, rd = f.regs >> 15 & 1, f.regs >> 10 & 31, f.regs >> 5 & 31, f.regs & 31
            yield PipeOp(f.pc, labels.label(f.pc, f.word), f.f, k, f.e, f.m, f.w,
                         detail=labels.detail(f.pc, st, f.npc if trap else None), stalls=st,
                         deps=deps_of(rs1, rs2, writers))
            if rd:
                writers[rd] = k
            k += 1
        elif f.flush >= 0:
            off = f.pc - RAM_BASE
            word = int(image[off >> 2]) if 0 <= off < 4 * len(image) else 0
            yield PipeOp(f.pc, labels.label(f.pc, word), f.f, flush=f.flush,
                         detail=labels.detail(f.pc, wrong_path=True))
        else:
            break


def rtl_pipeview(program, isa: IsaConfig | str, sim: str, out: TextIO, *, uarch: Uarch | str | None = None,
                 ram_size: int = RAM_SIZE, input_bytes: bytes | None = None, max_cycles: int = 200_000_000,
                 keep: Callable[[int], bool] = lambda pc: True) -> int:
    """Run ``program`` (``lockstep.load_program``) on the RTL and write its pipeline view to
    ``out``; returns the instructions retired. The stall causes on lane 1 are the ISS's
    (the RTL keeps no such account): a trace run of the program gives them, slot by slot,
    after checking that its slots retired at the same pcs in the same cycles."""
    from .cosim.lockstep import _machine
    from .cosim.ram_image import ram_hex

    m = _machine(isa, ram_size, program, input_bytes, uarch)
    image = m.ram32.copy()
    wd = Path(tempfile.mkdtemp(prefix="chainrv-pipeview-"))
    try:
        cycles = run_pipeview_rtl(isa, ram_hex(m, wd / "ram.hex"), sim, max_cycles, wd, ram_size, uarch)
    finally:
        shutil.rmtree(wd, ignore_errors=True)
    fetches = follow(cycles)
    retired = [f for f in fetches if f.w >= 0]
    parts = list(m.iter_trace(max(len(retired), 1), stalls=True))
    recs = np.concatenate([r for r, _ in parts])[:len(retired)]
    stalls = np.concatenate([s for _, s in parts])[:len(retired)]
    for k, (r, f) in enumerate(zip(recs, retired, strict=False)):
        if int(r["pc_rdata"]) != f.pc or int(r["cycle"]) != f.w:
            raise PipelineError(f"slot {k}: the ISS retired {int(r['pc_rdata']):08x} in cycle "
                                f"{int(r['cycle'])}, the RTL {f.pc:08x} in cycle {f.w}")
    w = KanataWriter(out, keep)
    for op in pipe_ops(fetches, stalls, Labels(SymbolMap(program.functions), IsaConfig.parse(isa)), image):
        w.add(op)
    w.close()
    return len(retired)


def check_target(path: str) -> None:
    """A one-line error (exit 2) now, before any simulation, when ``path`` cannot be written."""
    from .outputs import check_file_target, probe_writable

    probe_writable(check_file_target(Path(path)).parent)


def write_file(path: str, program, isa: IsaConfig | str, sim: str, log: Path, **kw) -> int:
    """:func:`rtl_pipeview` into ``path``, replaced only once complete; the simulator's
    messages go to ``log``. A failed run is exit 1 with one line, as a lockstep failure."""
    from .cosim.lockstep import quiet
    from .errors import CliError
    from .outputs import atomic_file

    try:
        with atomic_file(Path(path)) as f, quiet(log):
            return rtl_pipeview(program, isa, sim, f, **kw)
    except (AssertionError, ValueError) as e:
        why = " ".join(str(e).split())
        raise CliError(f"the {sim} pipeline view failed ({why}); log: {log}", 1) from None
    except OSError as e:
        raise CliError(f"cannot write pipeline view {path}: {e.strerror or e}", 2) from None
