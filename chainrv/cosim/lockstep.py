"""Lockstep check of the RTL against the ISS (docs/lockstep.md).

The SoC runs inside ``lockstep_top.v``; the ISS runs the same RAM image in trace
mode. On Verilator a C++ driver (``verilated``, ``lockstep_main.cpp``) compares every
record with the ISS's as it retires, the ISS writing its records into the driver
while both run, and stops the RTL at the first difference. On Icarus (through
cocotb) the wrapper writes every retirement as one fixed-width hex line
(``retire_log``), and the two record streams are compared in bulk with numpy after
the run. Either way the first difference is reported with both records, their
disassembly and the records before it.

One interface for both simulators: ``lockstep(elf, isa, sim="icarus" |
"verilator")``. A simulator build is cached per ISA configuration and RAM size
(``harness.Design.key``), so one Verilator model serves every program.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hdl.platform import check_ram_size as soc_ram_size
from isa.config import IsaConfig
from isa.memmap import RAM_BASE, RAM_SIZE
from isa.uarch import Uarch
from simulator import RVFI_DTYPE, Machine, RunResult, SimError, format_records
from simulator.elfload import LoadedElf, read_elf
from simulator.trace import SymbolMap

from . import harness, verilated
from .ram_image import ram_hex
from .record_chunks import RecordChunks
from .retire_log import parse_log, record_rows, verilog_macros

WRAPPER = Path(__file__).resolve().with_name("lockstep_top.v")
TOP = "lockstep_top"
#: The cocotb module the simulator loads: it runs the wrapper until ``done``.
TESTBENCH = f"{__package__}.tb_lockstep"
DEFAULT_MAX_SLOTS = 50_000_000
#: The RTL never runs longer than this, whatever the ISS's cycle count (a wfi may sleep for 2**32 cycles).
DEFAULT_MAX_CYCLES = 200_000_000
#: Agreeing records shown before the first difference.
CONTEXT = 3
#: Cycles the RTL may run past the ISS's last retirement before the wrapper stops it (Icarus).
CYCLE_SLACK = 200


def lockstep_design(isa: IsaConfig | str, ram_size: int = RAM_SIZE,
                    uarch: Uarch | str | None = None) -> harness.Design:
    """The SoC of ``isa`` and ``uarch`` inside the logging wrapper, as one Verilog file."""
    from hdl.verilog import generate

    cfg = IsaConfig.parse(isa)
    u = Uarch.parse(uarch)
    wrapper = verilog_macros() + WRAPPER.read_text()
    # the ideal machine keeps its name (and its cached build)
    tag = "" if u.is_ideal else "_" + hashlib.sha256(str(u.items()).encode()).hexdigest()[:10]
    return harness.Design(
        f"lockstep_{cfg}_{ram_size}{tag}", TOP,
        lambda: settle_at_start(generate(cfg, ram_size, uarch=u)) + "\n" + wrapper,
        {"isa": str(cfg), "ram_size": ram_size, "wrapper": hashlib.sha256(wrapper.encode()).hexdigest(),
         "settle": hashlib.sha256(inspect.getsource(settle_at_start).encode()).hexdigest(),
         **({} if u.is_ideal else {"uarch": u.items()})})


def model_built(isa: IsaConfig | str, sim: str, ram_size: int = RAM_SIZE, uarch: Uarch | str | None = None,
                waves: bool = False) -> bool:
    """Whether the simulator of this configuration is built already (its cache entry is
    stamped): then the RTL generator accepted the configuration, with today's source."""
    design = lockstep_design(isa, ram_size, uarch)
    folder = verilated.build_dir(design, waves) if sim == "verilator" else \
        design.folder() / (f"{sim}-waves" if waves else sim)
    return (folder / harness.BUILT_STAMP).exists()


#: The register Yosys's Verilog reads at the top of every ``always @*`` so that the block
#: runs once at time 0. Icarus does not count a declaration's initial value as an event,
#: so a block whose inputs keep their initial values after time 0 never runs there and
#: its outputs stay x (Verilator evaluates everything at start).
_SETTLE = re.compile(r"^(\s*)reg (\\\$auto\$verilog_backend\S+)\s*=\s*0;$", re.M)


def settle_at_start(verilog: str) -> str:
    """``verilog`` with each of those registers changed once, 1 ps after time 0 (before
    the first clock edge): every combinational block of the design then runs once."""
    # (Verilator, which evaluates everything at start, would need --timing for the delay)
    return _SETTLE.sub(lambda m: f"{m.group(0)}\n`ifndef VERILATOR\n{m.group(1)}initial #1 {m.group(2)} = 1;"
                                 "\n`endif", verilog)


@dataclass
class RtlRun:
    """What the RTL did: its UART bytes, how it ended, and its records: every one of
    them in ``tail`` (Icarus, or Verilator with ``record``), or, when the Verilator
    driver compared them as they retired, the last few in ``tail`` after ``agreed``
    records that were equal to the ISS's (in ``iss``)."""

    uart: bytes
    exited: bool
    exit_code: int
    sim_cycles: int
    wall_seconds: float
    tail: np.ndarray = field(default_factory=lambda: np.zeros(0, RVFI_DTYPE), repr=False)
    agreed: int = 0
    iss: RecordChunks | None = field(default=None, repr=False)

    @property
    def count(self) -> int:
        """Records the RTL retired."""
        return self.agreed + len(self.tail)

    @property
    def records(self) -> np.ndarray:
        """Every record the RTL retired, as one array (made from the ISS's where they agreed)."""
        if not self.agreed:
            return self.tail
        assert self.iss is not None
        return np.concatenate([self.iss.window(0, self.agreed), self.tail])

    def window(self, lo: int, hi: int) -> np.ndarray:
        """Records ``lo`` to ``hi`` (clipped to the records there are)."""
        lo, hi = max(0, lo), min(hi, self.count)
        if lo >= self.agreed or self.iss is None:
            return self.tail[lo - self.agreed:hi - self.agreed]
        return np.concatenate([self.iss.window(lo, min(hi, self.agreed)),
                               self.tail[:max(0, hi - self.agreed)]])

    @property
    def end_cycle(self) -> int:
        """The cycle after the last retirement (0 when nothing retired)."""
        return int(self.tail["cycle"][-1]) + 1 if len(self.tail) else 0

    @property
    def cycles_per_second(self) -> float:
        return self.sim_cycles / self.wall_seconds if self.wall_seconds > 0 else 0.0


def run_rtl(isa: IsaConfig | str, ram_image: Path, sim: str, max_cycles: int, workdir: Path,
            waves: Path | None = None, ram_size: int = RAM_SIZE, record: bool = True,
            uarch: Uarch | str | None = None, iss: Iterable[np.ndarray] | None = None) -> RtlRun:
    """Run the wrapper on ``sim`` until the finisher store retires or ``max_cycles``;
    without ``record`` no retirement is recorded (free-running speed). On Verilator,
    ``iss`` (chunks of the ISS's records) is compared record by record as the RTL
    runs, which stops at the first difference (``RtlRun.count``, ``RtlRun.tail``)."""
    design = lockstep_design(isa, ram_size, uarch)
    if sim == "verilator":
        compare = iss if record else None
        d = verilated.run(verilated.build(design, bool(waves)), ram_image, max_cycles, workdir,
                          iss=compare, record=record and compare is None, waves=waves)
        run = RtlRun(d.uart, d.exited, d.exit_code, d.sim_cycles, d.wall_seconds)
        if compare is not None:
            run.tail, run.agreed = d.tail, d.count - len(d.tail)
        elif d.records is not None:
            run.tail = d.records
        return run
    log, uart, result = workdir / "rvfi.log", workdir / "uart.log", workdir / "result.json"
    log.unlink(missing_ok=True)
    plusargs = [f"+ram={ram_image}", f"+uart={uart}", f"+max_cycles={max_cycles}"]
    if record:
        plusargs.append(f"+rvfi={log}")
    harness.run(design, TESTBENCH, sim, waves=waves, plusargs=plusargs, env={"RESULT": str(result)})
    res = json.loads(result.read_text())
    uart_bytes = bytes(int(x, 16) for x in uart.read_text().split()) if uart.exists() else b""
    return RtlRun(uart_bytes, res["exited"], res["exit_code"], res["sim_cycles"], res["wall_seconds"],
                  parse_log(log.read_bytes() if log.exists() else b""))


@dataclass
class Outcome:
    """What a lockstep run found; ``ok`` when every record and cycle agreed."""

    ok: bool
    compared: int                        # records compared (and equal, when ok)
    iss: RunResult
    rtl: RtlRun
    report: str = ""                     # the first difference, several lines
    iss_trace: RecordChunks = field(default_factory=RecordChunks, repr=False)
    cut: bool = False                    # max_cycles stopped the RTL before the program ended

    @property
    def cycles(self) -> int:
        return self.iss.cycles

    @property
    def iss_records(self) -> np.ndarray:
        """Every record of the ISS's run, as one array."""
        return self.iss_trace.array()


def first_difference(iss: np.ndarray, rtl: np.ndarray, start: int = 0) -> int | None:
    """Index of the first record that differs in any field (or exists on one side only);
    records before ``start`` are known to agree."""
    n = min(len(iss), len(rtl))
    start = min(start, n)
    diff = np.nonzero((record_rows(iss[start:n]) != record_rows(rtl[start:n])).any(axis=1))[0]
    if diff.size:
        return start + int(diff[0])
    return None if len(iss) == len(rtl) else n


def describe(iss: np.ndarray, rtl: np.ndarray, k: int, symbols: SymbolMap | None = None,
             context: int = CONTEXT, base: int = 0) -> str:
    """Both records at index ``k`` with disassembly and cycle, the fields that
    differ, and the ``context`` agreeing records before them. The arrays may be
    windows that start at record ``base``."""
    lines = [f"lockstep mismatch at record {k}"]
    k -= base
    lo = max(0, k - context)
    if lo < k:
        lines.append("  agreeing records before it:")
        lines += [f"    {t}" for t in format_records(iss[lo:k], symbols)]
    for name, recs in (("ISS", iss), ("RTL", rtl)):
        if k < len(recs):
            lines.append(f"  {name}: {format_records(recs[k:k + 1], symbols)[0].strip()}")
        else:
            lines.append(f"  {name}: (no record: its run ended after {base + len(recs)} records)")
    if k < len(iss) and k < len(rtl):
        diffs = [f"{n} ISS {int(iss[k][n]):#x} RTL {int(rtl[k][n]):#x}"
                 for n in RVFI_DTYPE.names if iss[k][n] != rtl[k][n]]
        lines.append("  differing fields: " + "; ".join(diffs))
    return "\n".join(lines)


def check_ram_size(ram_size: int) -> int:
    """``ram_size`` when both the SoC and the ISS can have that much RAM; SimError otherwise."""
    try:
        return soc_ram_size(ram_size)
    except ValueError as e:
        raise SimError(str(e)) from None


def load_program(elf: str | Path | LoadedElf, ram_size: int = RAM_SIZE) -> LoadedElf:
    """The ELF read and validated once for both sides (``simulator.elfload``: the ISS's own loader)."""
    return elf if isinstance(elf, LoadedElf) else read_elf(elf, RAM_BASE, ram_size)


def _machine(isa: IsaConfig | str, ram_size: int, program: LoadedElf, input_bytes: bytes | None,
             uarch: Uarch | str | None = None) -> Machine:
    """A fresh ISS holding ``program`` (as ``Machine.load_elf`` places it) and the input block."""
    m = Machine(isa, ram_size, uarch)
    for addr, data, memsz in program.segments:
        m.write_mem(addr, data + bytes(memsz - len(data)))
    m.functions = program.functions
    m.pc = program.entry
    if input_bytes is not None:
        m.set_input(input_bytes)
    return m


def lockstep(elf: str | Path | LoadedElf, isa: IsaConfig | str = "rv32im_zicsr_zk_zks", sim: str = "icarus",
             *, input_bytes: bytes | None = None, waves: Path | None = None, ram_size: int = RAM_SIZE,
             max_slots: int = DEFAULT_MAX_SLOTS, max_cycles: int = DEFAULT_MAX_CYCLES,
             workdir: Path | None = None, rtl_isa: IsaConfig | str | None = None,
             uarch: Uarch | str | None = None) -> Outcome:
    """Run ``elf`` on the ISS and on the RTL (``sim``) and compare every retirement.

    ``elf`` is a path or a program already read by :func:`load_program` (a
    pipe can be read only once). Unusable input (the ELF, the RAM size, the
    input block) raises SimError before any simulator starts. ``rtl_isa``
    builds the core for another configuration than the ISS's (to see the
    check catch a core that lacks an extension)."""
    check_ram_size(ram_size)
    program = load_program(elf, ram_size)

    def machine() -> Machine:
        return _machine(isa, ram_size, program, input_bytes, uarch)

    m = machine()
    with _workdir(workdir) as wd:
        image = ram_hex(m, wd / "ram.hex")
        if sim == "verilator":
            res, iss, rtl = _streamed(m, max_slots, rtl_isa or isa, image, max_cycles, wd, waves,
                                      ram_size, uarch)
        else:
            # A run without trace (milliseconds) bounds the RTL's; the RTL then runs
            # in its own process while this one traces the ISS (two cores, half the wait).
            limit = min(machine().run(max_slots).cycles + CYCLE_SLACK, max_cycles)
            with ThreadPoolExecutor(1) as pool:
                rtl_run = pool.submit(run_rtl, rtl_isa or isa, image, sim, limit, wd, waves=waves,
                                      ram_size=ram_size, uarch=uarch)
                res, whole = m.trace(max_slots)
                rtl = rtl_run.result()
            iss = RecordChunks([whole])
    return _verdict(res, iss, rtl, max_cycles, SymbolMap(m.functions))


def _verdict(res: RunResult, iss: RecordChunks, rtl: RtlRun, max_cycles: int, symbols: SymbolMap) -> Outcome:
    """Compare the two runs; only the records from a little before the RTL's ``agreed``
    ones on are read (the records before were compared as they retired)."""
    # max_cycles stopped the RTL before the program's end: what the RTL retired
    # before that cycle is all there is to compare
    cut = not rtl.exited and max_cycles < res.cycles
    n_iss = iss.count_before(max_cycles) if cut else len(iss)
    # The ISS's run may end without the finisher (an unhandled trap, a wfi that
    # never wakes, the slot limit); the RTL runs on, so compare what the ISS has.
    n_got = rtl.count if rtl.exited else min(rtl.count, n_iss)
    base = max(0, min(rtl.agreed, n_iss, n_got) - CONTEXT)
    # one ISS record past the RTL's last, so that a missing record shows as a difference
    iss_w, got_w = iss.window(base, min(n_iss, n_got + 1)), rtl.window(base, n_got)
    k = first_difference(iss_w, got_w, rtl.agreed - base)
    if k is not None:
        return Outcome(False, base + k, res, rtl, describe(iss_w, got_w, base + k, symbols, base=base), iss)
    if cut:
        return Outcome(True, n_iss, res, rtl, "", iss, cut=True)
    problems = []
    if rtl.exited != (res.stop == "exit") or (rtl.exited and rtl.exit_code != res.exit_code):
        problems.append(f"exit: ISS {res.stop} {res.exit_code}, RTL "
                        f"{'exit ' + str(rtl.exit_code) if rtl.exited else 'no finisher store'}")
    if rtl.exited and rtl.end_cycle != res.cycles:
        problems.append(f"cycle count: ISS {res.cycles}, RTL {rtl.end_cycle}")
    if rtl.uart != res.stdout[:len(rtl.uart)] or (rtl.exited and rtl.uart != res.stdout):
        problems.append(f"UART output: ISS {res.stdout[-60:]!r}, RTL {rtl.uart[-60:]!r}")
    if problems:
        return Outcome(False, n_iss, res, rtl, "lockstep mismatch after the last record: "
                       + "; ".join(problems), iss)
    return Outcome(True, n_iss, res, rtl, "", iss)


def _streamed(m: Machine, max_slots: int, isa: IsaConfig | str, image: Path, max_cycles: int, wd: Path,
              waves: Path | None, ram_size: int, uarch: Uarch | str | None
              ) -> tuple[RunResult, RecordChunks, RtlRun]:
    """The ISS traced chunk by chunk into the Verilator driver, which compares as the RTL
    runs; the RTL's records are then the ISS's up to its tail (they agreed) and the tail."""
    parts: list[np.ndarray] = []

    def chunks() -> Iterator[np.ndarray]:
        for part in m.iter_trace(max_slots, chunk=verilated.CHUNK):
            parts.append(part)
            yield part

    rtl = run_rtl(isa, image, "verilator", max_cycles, wd, waves=waves, ram_size=ram_size, uarch=uarch,
                  iss=chunks())
    rtl.iss = RecordChunks(parts)
    return m.result, rtl.iss, rtl


@contextlib.contextmanager
def _workdir(given: Path | None) -> Iterator[Path]:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    d = Path(tempfile.mkdtemp(prefix="chainrv-lockstep-"))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@contextlib.contextmanager
def quiet(log: Path) -> Iterator[None]:
    """Send this process's stdout and stderr (the simulator's chatter) to ``log``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log, "w") as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
