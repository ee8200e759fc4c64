"""Kernel performance reports: every kernel under several ISA configurations.

Each (kernel, ISA) pair is built, run on the ISS with the timing model and
profiling, and its UART output checked against the kernel's known answer.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

from isa.config import IsaConfig

from .errors import CliError
from .isa_arg import parse_isa
from .kernels import DEFAULT_ISAS, Kernel, select

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

    @property
    def isa_name(self) -> str:
        """Short display form, e.g. ``rv32im_zk_zks``."""
        return IsaConfig.parse(self.isa).short_name()

    def for_kernel(self, table: Mapping[str, T]) -> T | None:
        """``table``'s entry for this kernel or, for a variant without an entry of
        its own (``baseline`` in its manifest, e.g. ``*_xchain``), for the kernel
        it is a variant of."""
        return table.get(self.kernel) or table.get(self.extra.get("baseline", ""))


def run_variant(kernel: Kernel, isa: IsaConfig) -> Row:
    import simulator

    elf = kernel.build(isa)
    t0 = time.perf_counter()
    res = simulator.run_elf(elf, isa=str(isa), profile=True)
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

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(f"[{'#' * 30}] {self.total}/{self.total} done\n")
        self.stream.flush()


def parse_isas(isas: Sequence[str] | None) -> list[IsaConfig]:
    return [parse_isa(s) for s in (isas or DEFAULT_ISAS)]


def collect(kernel_names: list[str] | None, isas: Sequence[str] | None,
            runner: Callable[[Kernel, IsaConfig], Row] = run_variant) -> list[Row]:
    kernels = select(kernel_names)
    configs = parse_isas(isas)
    jobs = [(k, c) for k in kernels for c in variants(k, configs, explicit=bool(isas))]
    progress = Progress(len(jobs))
    rows = []
    for k, c in jobs:
        progress.step(f"{k.name} {c.short_name()}")
        rows.append(runner(k, c))
    progress.close()
    return rows


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


def speedups(rows: list[Row]) -> dict[tuple[str, str], float]:
    """Speedup over rv32im of the same kernel, or of the manifest's
    ``baseline`` kernel for a variant that has no rv32im build of its own."""
    base = {r.kernel: r.cycles for r in rows if r.isa == str(IsaConfig.parse("rv32im"))}
    out = {}
    for r in rows:
        ref = r.for_kernel(base)
        if ref and r.cycles:
            out[r.kernel, r.isa] = round(ref / r.cycles, 3)
    return out


def markdown(rows: list[Row]) -> str:
    sp = speedups(rows)
    causes = sorted({c for r in rows for c in r.stalls})
    head = ["kernel", "isa", "bytes", "cycles", "instret", "CPI", "cycles/byte", "cycles/unit",
            *[f"stall:{c}" for c in causes], "speedup", "verified"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r.kernel, r.isa_name, str(r.bytes), f"{r.cycles:,}", f"{r.instret:,}", f"{r.cpi:.3f}",
                 f"{r.cycles_per_byte:.2f}", f"{r.cycles_per_unit:,.1f}/{r.unit}",
                 *[f"{r.stalls.get(c, 0):,}" for c in causes],
                 f"{sp.get((r.kernel, r.isa), 0):.2f}x", "yes" if r.verified else "**NO**"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def summary_table(rows: list[Row]) -> str:
    sp = speedups(rows)
    head = (f"{'kernel':<24} {'isa':<22} {'cycles':>12} {'CPI':>6} {'cycles/unit':>18} "
            f"{'speedup':>8} ok")
    out = [head, "-" * len(head)]
    for r in rows:
        per = f"{r.cycles_per_unit:,.1f}/{r.unit}"
        out.append(f"{r.kernel:<24} {r.isa_name:<22} {r.cycles:>12,} {r.cpi:>6.3f} {per:>18} "
                   f"{sp.get((r.kernel, r.isa), 0):>7.2f}x "
                   f"{'yes' if r.verified else 'NO'}")
    return "\n".join(out)


def write(rows: list[Row], out_dir: Path) -> list[Path]:
    from .plots import plot_all

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        written = [out_dir / "report.json", out_dir / "report.md"]
        written[0].write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
        written[1].write_text("# chainrv kernel report\n\n" + markdown(rows))
    except OSError as e:
        raise CliError(f"cannot write report to {out_dir}: {e.strerror}") from None
    return written + plot_all(rows, out_dir)


def regressions(rows: list[Row], baseline_file: Path, threshold_pct: float) -> list[str]:
    """Kernels whose cycles grew more than ``threshold_pct`` over the baseline."""
    try:
        old = json.loads(baseline_file.read_text())
        base = {(r["kernel"], r["isa"]): int(r["cycles"]) for r in old}
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CliError(f"cannot read baseline {baseline_file}: {e}") from None
    out = []
    for r in rows:
        before = base.get((r.kernel, r.isa))
        if before and r.cycles > before * (1 + threshold_pct / 100):
            out.append(f"{r.kernel} {r.isa}: {before:,} -> {r.cycles:,} cycles "
                       f"(+{100 * (r.cycles - before) / before:.1f}% > {threshold_pct}%)")
    return out
