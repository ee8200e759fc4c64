"""Kernel performance reports: every kernel under several ISA configurations.

Each (kernel, ISA) pair is built, run on the ISS with the timing model and
profiling, and its UART output checked against the kernel's known answer.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

from isa.config import IsaConfig, IsaError
from isa.uarch import IDEAL, Uarch, UarchError

from .errors import CliError
from .isa_arg import parse_isa
from .kernels import DEFAULT_ISAS, Kernel, select
from .outputs import probe_writable

T = TypeVar("T")


@dataclass
class Row:
    kernel: str
    isa: str                 # canonical ISA string (machine-readable key)
    bytes: int
    cycles: int
    instret: int
    cpi: float
    cycles_per_byte: float
    stalls: dict[str, int]
    mix: dict[str, int]
    verified: bool
    exit_code: int
    seconds: float
    unit: str = "byte"
    cycles_per_unit: float = 0.0
    extra: dict = field(default_factory=dict)
    units: int = 0           # units of work in the run (``bytes`` for a byte kernel)
    uarch: str = "ideal"     # the microarchitecture (isa/uarch.py), as Uarch's str() writes it
    counters: dict = field(default_factory=dict)   # cache and predictor events

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kernel, self.isa, self.uarch

    @property
    def isa_name(self) -> str:
        """Short display form, e.g. ``rv32im_zk_zks``."""
        return IsaConfig.parse(self.isa).short_name()

    def for_kernel(self, table: Mapping[str, T]) -> T | None:
        """``table``'s entry for this kernel or, for a variant without an entry of
        its own (``baseline`` in its manifest, e.g. ``*_xchain``), for the kernel
        it is a variant of."""
        return table.get(self.kernel) or table.get(self.extra.get("baseline", ""))


def run_variant(kernel: Kernel, isa: IsaConfig, uarch: Uarch = IDEAL) -> Row:
    import simulator

    elf = kernel.build(isa)
    t0 = time.perf_counter()
    res = simulator.run_elf(elf, isa=str(isa), profile=True, uarch=uarch)
    seconds = time.perf_counter() - t0
    out = res.stdout.decode("latin-1")
    verified = res.exit_code == 0 and out == kernel.expected_stdout
    cycles, instret = int(res.cycles), int(res.instret)
    extra = {}
    if "baseline" in kernel.extra:
        extra["baseline"] = kernel.extra["baseline"]
    if "verifies" in kernel.extra:
        extra["cycles_per_verify"] = round(cycles / max(1, int(kernel.extra["verifies"])))
    return Row(
        kernel=kernel.name, isa=str(isa), bytes=kernel.bytes, cycles=cycles, instret=instret,
        cpi=round(cycles / instret, 4) if instret else 0.0,
        cycles_per_byte=round(cycles / kernel.bytes, 3) if kernel.bytes else 0.0,
        stalls={k: int(v) for k, v in res.stalls.items()},
        mix={k: int(v) for k, v in res.profile.mix.items()} if res.profile else {},
        verified=verified, exit_code=int(res.exit_code), seconds=round(seconds, 3), extra=extra,
        unit=kernel.unit, cycles_per_unit=round(cycles / kernel.units, 2) if kernel.units else 0.0,
        units=kernel.units, uarch=str(uarch), counters=dict(res.counters),
    )


class Progress:
    """A one-line progress bar on stderr (a line per step when not a terminal)."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self.tty = stream.isatty()

    def step(self, label: str) -> None:
        width = 30
        filled = width * self.done // max(1, self.total)
        bar = "#" * filled + "-" * (width - filled)
        line = f"[{bar}] {self.done}/{self.total} {label}"
        if self.tty:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.done += 1

    def abandon(self) -> None:
        """End the bar's line so that a following message starts on its own."""
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(f"[{'#' * 30}] {self.total}/{self.total} done\n")
        self.stream.flush()


def parse_isas(isas: Sequence[str] | None) -> list[IsaConfig]:
    return [parse_isa(s) for s in (isas or DEFAULT_ISAS)]


Job = tuple[Kernel, IsaConfig, Uarch]


def plan(kernel_names: list[str] | None, isas: Sequence[str] | None,
         uarchs: Sequence[Uarch] | None = None, folders: list[Path] | None = None) -> list[Job]:
    """The (kernel, ISA, microarchitecture) triples a report runs, known before anything
    is built; a kernel, ISA or microarchitecture named twice (``rv32im RV32IM``) is run once.
    ``folders``: a user's kernel folders (``chainrv.kernels.select``)."""
    kernels = list({k.name: k for k in select(kernel_names, folders)}.values())
    configs = list(dict.fromkeys(parse_isas(isas)))
    machines = list({str(u): u for u in (uarchs or [IDEAL])}.values())
    return [(k, c, u) for k in kernels for c in variants(k, configs, explicit=bool(isas)) for u in machines]


def run_plan(jobs: list[Job], runner: Callable[[Kernel, IsaConfig, Uarch], Row] | None = None,
             checkpoint: Callable[[], None] = lambda: None) -> list[Row]:
    """One row per job; ``checkpoint`` runs between jobs (a pending interrupt raises there)."""
    runner = runner or run_variant
    progress = Progress(len(jobs))
    rows = []
    try:
        for k, c, u in jobs:
            progress.step(f"{k.name} {c.short_name()}" + ("" if u.is_ideal else f" {u}"))
            rows.append(runner(k, c, u))
            checkpoint()
    except BaseException:
        progress.abandon()
        raise
    progress.close()
    return rows


def collect(kernel_names: list[str] | None, isas: Sequence[str] | None,
            runner: Callable[[Kernel, IsaConfig, Uarch], Row] | None = None,
            uarchs: Sequence[Uarch] | None = None) -> list[Row]:
    return run_plan(plan(kernel_names, isas, uarchs), runner)


#: Custom extensions: a kernel whose every manifest ISA has one needs it.
CUSTOM_EXTENSIONS = ("xchain",)


def variants(kernel: Kernel, configs: list[IsaConfig], explicit: bool) -> list[IsaConfig]:
    """The configurations to run ``kernel`` on: the requested ones, except
    those lacking a custom extension the kernel needs (``*_xchain`` variants);
    by default (no ``--isa``) also the manifest's own ISAs, so that such
    variants appear beside the base kernels."""
    own = [IsaConfig.parse(s) for s in kernel.isas]
    needs = [e for e in CUSTOM_EXTENSIONS if own and all(e in c for c in own)]
    chosen = [c for c in configs if all(e in c for e in needs)]
    return chosen if explicit else chosen + [c for c in own if c not in chosen]


def speedups(rows: list[Row]) -> dict[tuple[str, str, str], float]:
    """Speedup over rv32im of the same kernel on the same microarchitecture, or of the
    manifest's ``baseline`` kernel for a variant that has no rv32im build of its own."""
    rv32im = str(IsaConfig.parse("rv32im"))
    base: dict[str, dict[str, int]] = {}
    for r in rows:
        if r.isa == rv32im:
            base.setdefault(r.uarch, {})[r.kernel] = r.cycles
    out = {}
    for r in rows:
        ref = r.for_kernel(base.get(r.uarch, {}))
        if ref and r.cycles:
            out[r.key] = round(ref / r.cycles, 3)
    return out


#: Stall causes that only a microarchitecture other than the ideal one has.
UARCH_CAUSES = frozenset({"icache", "dcache", "mispredict", "mul"})


def _multi_uarch(rows: list[Row]) -> bool:
    """Whether the rows need a microarchitecture column (not all on the ideal machine)."""
    return any(r.uarch != "ideal" for r in rows)


def _speedup(x: float | None) -> str:
    """A speedup, or a dash when the run has no rv32im row to measure it against."""
    return "—" if x is None else f"{x:.2f}x"


def markdown(rows: list[Row]) -> str:
    sp = speedups(rows)
    # every cause the rows know, except a microarchitecture's that cost nothing in any row
    causes = sorted(c for c in {c for r in rows for c in r.stalls}
                    if c not in UARCH_CAUSES or any(r.stalls.get(c) for r in rows))
    multi = _multi_uarch(rows)
    head = ["kernel", "isa", *(["uarch"] if multi else []), "bytes", "cycles", "instret", "CPI",
            "cycles/byte", "cycles/unit", *[f"stall:{c}" for c in causes], "speedup", "verified"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r.kernel, r.isa_name, *([f"`{r.uarch}`"] if multi else []), str(r.bytes), f"{r.cycles:,}",
                 f"{r.instret:,}", f"{r.cpi:.3f}",
                 f"{r.cycles_per_byte:.2f}", f"{r.cycles_per_unit:,.1f}/{r.unit}",
                 *[f"{r.stalls.get(c, 0):,}" for c in causes],
                 _speedup(sp.get(r.key)), "yes" if r.verified else "**NO**"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def uarch_markdown(rows: list[Row]) -> str:
    """Each kernel and ISA across the microarchitectures of the report: cycles, CPI, cache
    misses, mispredictions and the speedup over the first microarchitecture given."""
    machines = list(dict.fromkeys(r.uarch for r in rows))
    if len(machines) < 2 and not _multi_uarch(rows):
        return ""
    by = {r.key: r for r in rows}
    first = machines[0]
    lines = ["## Microarchitectures", "",
             f"The same kernels on each microarchitecture (`--uarch`, docs/timing.md); speedup over "
             f"`{first}` in cycles.", "",
             "| kernel | isa | uarch | cycles | CPI | I-cache misses | D-cache misses | write-backs "
             "| mispredicts | speedup |", "|---|---|---|---|---|---|---|---|---|---|"]
    for kernel, isa in dict.fromkeys((r.kernel, r.isa) for r in rows):
        ref = by.get((kernel, isa, first))
        for u in machines:
            r = by.get((kernel, isa, u))
            if r is None:
                continue
            c = r.counters
            sp = round(ref.cycles / r.cycles, 3) if ref and r.cycles else None
            lines.append(f"| {kernel} | {r.isa_name} | `{u}` | {r.cycles:,} | {r.cpi:.3f} | "
                         f"{c.get('icache_misses', 0):,} | {c.get('dcache_misses', 0):,} | "
                         f"{c.get('dcache_writebacks', 0):,} | {c.get('bp_mispredicts', 0):,} | "
                         f"{_speedup(sp)} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- blockchain operations

#: The clock of the nominal operations-per-second column, for ISAs without a synthesized Fmax.
NOMINAL_MHZ = 100.0


@dataclass
class Operation:
    """One row of the blockchain-operations table."""

    kernel: str
    isa: str
    uarch: str
    operation: str            # what one operation is: a counted unit, or one pass over the input
    cycles: float             # per operation
    speedup: float | None     # over rv32im of the kernel (of its baseline, for a variant)
    over: str | None          # what ``speedup`` is measured against, for a variant
    xchain_gain: float | None  # a variant over its baseline on the same ISA without xchain
    per_second: float | None  # at the ISA's synthesized Fmax
    per_second_nominal: float


def _without_xchain(isa: str) -> str:
    """The canonical ISA string with the xchain extension taken out."""
    return str(IsaConfig.parse("_".join(e for e in str(IsaConfig.parse(isa)).split("_") if e != "xchain")))


def operations(rows: list[Row], fmax_mhz: Mapping[str, float | None] | None = None) -> list[Operation]:
    """Cycles and operations per second per (kernel, ISA). An operation is the
    kernel's counted unit (a signature verified, a sender recovered, a nonce
    tried, a block validated); a kernel that counts bytes does one operation
    per run (one hash of its whole input, one Merkle root, one encryption)."""
    fmax_mhz = fmax_mhz or {}
    sp = speedups(rows)
    by = {r.key: r for r in rows}
    out = []
    for r in rows:
        counted = r.unit != "byte" and r.units > 0
        per_op = r.cycles / r.units if counted else float(r.cycles)
        base = r.extra.get("baseline")
        gain = None
        if base and "xchain" in IsaConfig.parse(r.isa):
            ref = by.get((base, _without_xchain(r.isa), r.uarch))
            gain = round(ref.cycles / r.cycles, 3) if ref and r.cycles else None
        # an Fmax per ISA is the ideal machine's; another needs its own (ISA, uarch) entry
        mhz = fmax_mhz.get((r.isa, r.uarch)) or (fmax_mhz.get(r.isa) if r.uarch == "ideal" else None)
        out.append(Operation(
            kernel=r.kernel, isa=r.isa, uarch=r.uarch,
            operation=r.unit if counted else f"{r.bytes:,}-byte input",
            cycles=per_op, speedup=sp.get(r.key),
            over=f"{base} rv32im" if base else None, xchain_gain=gain,
            per_second=mhz * 1e6 / per_op if mhz and per_op else None,
            per_second_nominal=NOMINAL_MHZ * 1e6 / per_op if per_op else 0.0))
    return out


def _rate(x: float | None) -> str:
    return "—" if x is None else f"{x:,.1f}" if x < 1000 else f"{x:,.0f}"


def operations_markdown(rows: list[Row], fmax_mhz: Mapping[str, float | None] | None = None) -> str:
    ops = operations(rows, fmax_mhz)
    multi = _multi_uarch(rows)
    have = sorted({IsaConfig.parse(o.isa).short_name() for o in ops if o.per_second is not None})
    lines = ["## Blockchain operations", "",
             "Cycles per operation on the ISS (whole runs: set-up and output included) and operations "
             "per second. An operation is the kernel's counted unit; a kernel that counts bytes does one "
             "per run. Speedup is over rv32im of the same kernel; an Xchain variant's is over its base "
             "kernel on rv32im, and \"xchain gain\" is over its base kernel on the same ISA without "
             "xchain. "
             + (f"Fmax from `chainrv report --synth` for {', '.join(have)}; — where no Fmax was "
                "synthesized for the ISA." if have else
                "No Fmax: run `chainrv report --synth` for operations per second at Fmax; "
                f"the nominal column assumes {NOMINAL_MHZ:g} MHz."), "",
             f"| kernel | isa | {'uarch | ' if multi else ''}operation | cycles/op | speedup over rv32im "
             f"| xchain gain | ops/s at Fmax | ops/s at {NOMINAL_MHZ:g} MHz |",
             "|---|---|---|---|---|---|---|---|" + ("---|" if multi else "")]
    for o in ops:
        sp = _speedup(o.speedup) + (f" (vs {o.over})" if o.over and o.speedup else "")
        gain = _speedup(o.xchain_gain)
        uarch = f"`{o.uarch}` | " if multi else ""
        lines.append(f"| {o.kernel} | {IsaConfig.parse(o.isa).short_name()} | {uarch}{o.operation} | "
                     f"{o.cycles:,.1f} | {sp} | {gain} | {_rate(o.per_second)} | "
                     f"{_rate(o.per_second_nominal)} |")
    return "\n".join(lines) + "\n"


def summary_table(rows: list[Row]) -> str:
    sp = speedups(rows)
    head = (f"{'kernel':<24} {'isa':<22} {'cycles':>12} {'CPI':>6} {'cycles/unit':>18} "
            f"{'speedup':>8} ok")
    out = [head, "-" * len(head)]
    for r in rows:
        per = f"{r.cycles_per_unit:,.1f}/{r.unit}"
        name = r.kernel if r.uarch == "ideal" else f"{r.kernel} @{r.uarch}"
        out.append(f"{name:<24} {r.isa_name:<22} {r.cycles:>12,} {r.cpi:>6.3f} {per:>18} "
                   f"{_speedup(sp.get(r.key)):>8} "
                   f"{'yes' if r.verified else 'NO'}")
    return "\n".join(out)


# ---------------------------------------------------------------- files

#: What a report folder holds. ``--out`` is replaced whole (a folder describes
#: one run, with no stale plots beside new figures), so a folder holding
#: anything else is refused rather than emptied.
REPORT_FILES = frozenset({"report.json", "report.md", "cycles_per_byte.png", "speedup.png", "stalls.png",
                          "synth.json", "speedup_vs_area.png", "uarch.png", "report.html"})


def is_report_file(name: str) -> bool:
    """Whether a report writes a file of that name (``flame_KERNEL.png`` besides REPORT_FILES)."""
    return name in REPORT_FILES or (name.startswith("flame_") and name.endswith(".png"))


def check_out_dir(out: Path) -> Path:
    """The folder ``--out`` names (symlinks followed), checked before any kernel runs."""
    target = Path(os.path.realpath(out))
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        raise CliError(f"--out {out}: the report replaces that folder whole, and it holds the current "
                       "directory")
    if target.exists():
        if not target.is_dir():
            raise CliError(f"--out {out}: not a directory")
        foreign = sorted(_one_line(e.name) for e in target.iterdir() if not is_report_file(e.name))
        if foreign:
            raise CliError(f"--out {out} holds files that are not part of a report ({_some(foreign)}); "
                           "the report replaces its folder whole: choose another folder or move them")
    probe_writable(target.parent)
    return target


def write(rows: list[Row], out_dir: Path, checkpoint: Callable[[], None] = lambda: None,
          fmax_mhz: Mapping[str, float | None] | None = None) -> list[Path]:
    """The report files in ``out_dir`` (a fresh folder; see :func:`chainrv.outputs.replace_dir`);
    ``fmax_mhz`` (per canonical ISA, from ``--synth``) gives operations per second at Fmax."""
    from .plots import plot_all

    written = [out_dir / "report.json", out_dir / "report.md"]
    written[0].write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    by_uarch = uarch_markdown(rows)
    written[1].write_text("# chainrv kernel report\n\n" + markdown(rows) + "\n"
                          + (by_uarch + "\n" if by_uarch else "") + operations_markdown(rows, fmax_mhz))
    checkpoint()
    return written + plot_all(rows, out_dir, checkpoint)


# ---------------------------------------------------------------- regression gate

#: mcycle is a 64-bit counter.
MAX_CYCLES = (1 << 64) - 1

Key = tuple[str, str, str]   # (kernel, canonical ISA string, microarchitecture as str(Uarch))


def _one_line(text: str) -> str:
    """``text`` with control characters escaped, fit for a one-line message."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _show(value: object, limit: int = 40) -> str:
    text = _one_line(repr(value))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _some(items: Sequence[str], n: int = 3) -> str:
    more = f", ... ({len(items) - n} more)" if len(items) > n else ""
    return ", ".join(items[:n]) + more


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


#: Nesting a report never comes near; json's C parser recurses once per level,
#: bounded by the recursion limit, which a library may have raised far beyond
#: what the C stack holds.
_JSON_DEPTH = 1000


def _read_json(path: Path) -> object:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(min(limit, _JSON_DEPTH))
    try:
        return json.loads(path.read_bytes(), parse_constant=_reject_constant)
    except OSError as e:
        raise CliError(f"cannot read baseline {path}: {e.strerror}") from None
    except RecursionError:
        raise CliError(f"baseline {path}: nested too deeply to be a report") from None
    except ValueError as e:
        raise CliError(f"baseline {path} is not JSON: {_one_line(str(e))}") from None
    finally:
        sys.setrecursionlimit(limit)


def _whole_cycles(value: object) -> int | None:
    """Cycles as a report writes them: a whole number (10.0 allowed), 1 .. 2**64-1."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    return value if isinstance(value, int) and 1 <= value <= MAX_CYCLES else None


def _baseline_row(n: int, row: object) -> tuple[Key, int]:
    if not isinstance(row, dict):
        raise ValueError(f"row {n} is not an object but {_show(row)}")
    missing = [f for f in ("kernel", "isa", "cycles") if f not in row]
    if missing:
        raise ValueError(f"row {n} has no {', '.join(missing)}")
    kernel, isa, cycles = row["kernel"], row["isa"], row["cycles"]
    uarch = row.get("uarch", "ideal")     # reports from before microarchitectures: the ideal machine
    if not isinstance(kernel, str) or not kernel:
        raise ValueError(f"row {n}: kernel must be a name, not {_show(kernel)}")
    if not isinstance(isa, str):
        raise ValueError(f"row {n}: isa must be an ISA string, not {_show(isa)}")
    try:
        canonical = str(IsaConfig.parse(isa))
    except IsaError as e:
        raise ValueError(f"row {n}: {e}") from None
    if not isinstance(uarch, str):
        raise ValueError(f"row {n}: uarch must be a microarchitecture string, not {_show(uarch)}")
    try:
        machine = str(Uarch.parse(uarch))
    except UarchError as e:
        raise ValueError(f"row {n}: {e}") from None
    whole = _whole_cycles(cycles)
    if whole is None:
        raise ValueError(f"row {n} ({kernel} {isa}): cycles must be a whole number from 1 to 2**64-1, "
                         f"not {_show(cycles)}")
    return (kernel, canonical, machine), whole


def load_baseline(path: Path) -> dict[Key, int]:
    """Cycles per (kernel, canonical ISA) from an earlier ``report.json``; ISAs may
    be spelled any way ``IsaConfig.parse`` takes (``rv32im_zk_zks`` too)."""
    data = _read_json(path)
    base: dict[Key, int] = {}
    try:
        if not isinstance(data, list):
            raise ValueError(f"expected a list of report rows (a report.json), not {_show(data)}")
        if not data:
            raise ValueError("no rows")
        for n, row in enumerate(data, 1):
            key, cycles = _baseline_row(n, row)
            if key in base:
                raise ValueError(f"row {n} repeats {_pair(*key)}")
            base[key] = cycles
    except ValueError as e:
        raise CliError(f"baseline {path}: {_one_line(str(e))}") from None
    return base


def _pair(kernel: str, isa: str, uarch: str = "ideal") -> str:
    name = f"{_one_line(kernel)} {IsaConfig.parse(isa).short_name()}"
    return name if uarch == "ideal" else f"{name} {uarch}"


def check_matches(jobs: list[Job], baseline: dict[Key, int], path: Path) -> None:
    """Refuse, before anything runs, a baseline that would gate nothing."""
    keys = [(k.name, str(c), str(u)) for k, c, u in jobs]
    if not any(key in baseline for key in keys):
        raise CliError(f"baseline {path} has none of the {len(keys)} kernel/ISA pairs this report runs "
                       f"(baseline: {_some([_pair(*k) for k in baseline])}; "
                       f"run: {_some([_pair(*k) for k in keys])})")


@dataclass
class Gate:
    """The regression gate's verdict over the rows that have a baseline."""

    compared: int
    regressions: list[str]
    unmatched: list[str]      # rows run that the baseline has no entry for: not gated


def gate(rows: list[Row], baseline: dict[Key, int], threshold_pct: float) -> Gate:
    """Rows whose cycles grew more than ``threshold_pct`` percent over the baseline
    (exact arithmetic: a threshold of 0 fails a single extra cycle)."""
    limit = 1 + Fraction(threshold_pct) / 100
    result = Gate(0, [], [])
    for r in rows:
        before = baseline.get(r.key)
        if before is None:
            result.unmatched.append(_pair(*r.key))
            continue
        result.compared += 1
        if r.cycles > before * limit:
            result.regressions.append(
                f"{_pair(*r.key)}: {before:,} -> {r.cycles:,} cycles "
                f"(+{100 * (r.cycles - before) / before:.1f}% > {threshold_pct:g}%)")
    return result
