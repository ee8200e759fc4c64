"""The sweep's files beside its database: ``explore.md``, ``explore.csv``,
``pareto_<kernel>.png``; each written to a temporary file and renamed into place."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from pathlib import Path

from ..errors import CliError
from ..outputs import write_text_atomic
from ..report import NOMINAL_MHZ
from .pareto import Front, fronts, label
from .spec import SynthSpec

CSV_SKIP = ("mix",)   # the instruction mix stays in the database (JSON), not one CSV cell


def _si(x: float | None) -> str:
    if x is None:
        return "—"
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= div:
            return f"{x / div:,.2f} {suffix}"
    return f"{x:,.2f}"


def _n(x: float | None, digits: int = 0) -> str:
    return "—" if x is None else f"{x:,.{digits}f}"


def _per_op(x: float | None) -> str:
    """Cycles per operation: whole for a whole run, one decimal for a counted unit."""
    return _n(x, 0 if x is not None and float(x).is_integer() else 1)


def markdown(rows: list[dict], planned: int, synth: SynthSpec | None, workers: list[str]) -> str:
    ok = sum(r["status"] == "ok" for r in rows)
    bad = [r for r in rows if r["status"] != "ok"]
    kernels = list(dict.fromkeys(r["kernel"] for r in rows))
    isas = list(dict.fromkeys(r["isa"] for r in rows))
    uarchs = list(dict.fromkeys(r["uarch"] for r in rows))
    lines = ["# chainrv design-space exploration", "",
             f"{planned} points: {len(kernels)} kernels x {len(isas)} ISAs x {len(uarchs)} "
             f"microarchitectures (a kernel runs only on the ISAs it can use); {len(rows)} recorded, "
             f"{ok} ok, {len(bad)} failed.",
             f"Synthesis: {_synth_text(synth)}.",
             *([f"Workers this run: {len(workers)} ({', '.join(sorted(workers))})."] if workers else []), "",
             "Area: NAND2-equivalents of the core's logic (generic gate mapping; cache storage counted apart "
             "in bits); Fmax: nextpnr on the FPGA target. Throughput: operations per second, one operation "
             "being the kernel's counted unit (a signature verified, ...) or one pass over its input (a hash "
             "of its default message). A point is Pareto-optimal when no other point of its kernel has at "
             "most its area and at least its throughput (docs/explore.md).", ""]
    for f in fronts(rows):
        lines += _kernel_section(f)
    if bad:
        lines += ["## Failed points", "", "| kernel | isa | uarch | status | error |",
                  "|---|---|---|---|---|"]
        for r in bad:
            lines.append(f"| {r['kernel']} | {_short(r['isa'])} | `{r['uarch']}` | {r['status']} | "
                         f"{_cell(r['error'])} |")
        lines.append("")
    return "\n".join(lines)


def _synth_text(s: SynthSpec | None) -> str:
    if s is None:
        return "none (no area: the points are ranked by throughput at the nominal clock only)"
    what = "area and Fmax" if s.pnr else "area"
    return f"{s.label()}, {what}" + (", from the synthesis cache only" if s.cached_only else "")


def _short(isa: str) -> str:
    from isa.config import IsaConfig

    return IsaConfig.parse(isa).short_name()


def _cell(text: object) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def _kernel_section(f: Front) -> list[str]:
    head = f"| configuration | area (NAND2-eq) | memory bits | Fmax (MHz) | cycles/op | {f.metric_label()} |"
    rule = "|---|---|---|---|---|---|"
    lines = [f"## {f.kernel}", ""]
    if not f.at_fmax and f.front:
        lines += [f"Not every configuration has an Fmax: throughput is compared at {NOMINAL_MHZ:g} MHz "
                  "(cycles per operation).", ""]

    def cells(r: dict) -> str:
        return (f"| {label(r)} | {_n(r['area_nand2'])} | {_n(r['memory_bits'])} | {_n(r['fmax_mhz'], 2)} | "
                f"{_per_op(r['cycles_per_op'])} | {_si(r[f.metric])} |")

    if f.front:
        lines += [f"Pareto-optimal ({len(f.front)} of {len(f.front) + len(f.dominated)} with an area), "
                  "by area:", "", head, rule, *(cells(r) for r in f.front), ""]
    if f.dominated:
        lines += ["Dominated:", "", head + " dominated by |", rule + "---|",
                  *(cells(r) + f" {label(by)} |" for r, by in f.dominated), ""]
    if f.unplaced:
        ranked = sorted(f.unplaced, key=lambda r: -(r["throughput_nominal"] or 0))
        lines += [f"Without an area ({len(ranked)}), by throughput:", "", head, rule,
                  *(cells({**r, f.metric: r[f.metric] or r["throughput_nominal"]}) for r in ranked), ""]
    return lines


def csv_text(rows: list[dict]) -> str:
    buf = io.StringIO()
    if rows:
        names = [c for c in rows[0] if c not in CSV_SKIP]
        w = csv.DictWriter(buf, names, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return buf.getvalue()


def plot(f: Front, path: Path) -> Path | None:
    """Throughput against area, every point placed, the front joined; None when no
    point of the kernel has an area."""
    placed = f.front + [r for r, _ in f.dominated]
    if not placed:
        return None
    from ..plots import _save, plt

    fig, ax = plt.subplots(figsize=(10, 6))
    dom = [r for r, _ in f.dominated]
    ax.scatter([r["area_nand2"] for r in dom], [r[f.metric] for r in dom], color="grey", s=25,
               label="dominated", zorder=2)
    xs, ys = [r["area_nand2"] for r in f.front], [r[f.metric] for r in f.front]
    ax.step(xs, ys, where="post", color="tab:red", lw=1.2, zorder=3)
    ax.scatter(xs, ys, color="tab:red", s=40, label="Pareto front", zorder=4)
    ys_all = [r[f.metric] for r in placed]
    if max(ys_all) > 10 * min(ys_all):
        from matplotlib.ticker import ScalarFormatter

        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_minor_formatter(ScalarFormatter())
    lo, hi = ax.get_xlim()
    ax.set_xlim(lo, hi + 0.2 * (hi - lo))      # room for the labels of the largest configurations
    _labels(ax, placed, f)
    ax.set_xlabel("core area (NAND2-equivalents, logic)")
    per = f" (one op: a pass over the {f.operation})" if f.unit == "ops" else ""
    ax.set_ylabel(f.metric_label() + per)
    ax.set_title(f"{f.kernel}: throughput against area")
    ax.grid(True, lw=0.3)
    ax.legend(fontsize=8, loc="best")
    return _save_atomic(fig, path, _save)


#: Label offsets (points) tried in turn, so that labels of nearby points do not overlap.
_OFFSETS = [(4, 3), (4, -9), (4, 12), (4, -18), (4, 21), (4, -27), (4, 30), (4, -36), (4, 39)]


def _labels(ax, placed: list[dict], f: Front) -> None:
    """Each point's configuration beside it, at the first offset clear of the labels placed."""
    fig = ax.figure
    fig.canvas.draw()   # the axes' final limits and scales, for the display coordinates below
    taken: list[tuple[float, float, float]] = []     # x, y (display pixels) and width of each label
    px = fig.dpi / 72
    for r in sorted(placed, key=lambda r: (r["area_nand2"], r[f.metric])):
        x, y = ax.transData.transform((r["area_nand2"], r[f.metric]))
        text = label(r)
        width = 3.6 * px * len(text)        # about a 6-point font's character width
        for dx, dy in _OFFSETS:
            lx, ly = x + dx * px, y + dy * px
            if all(abs(ly - ty) > 8 * px or lx > tx + tw or lx + width < tx for tx, ty, tw in taken):
                break
        taken.append((lx, ly, width))
        ax.annotate(text, (r["area_nand2"], r[f.metric]), fontsize=6, xytext=(dx, dy),
                    textcoords="offset points", color="black" if r in f.front else "dimgrey",
                    arrowprops={"arrowstyle": "-", "color": "lightgrey", "lw": 0.5} if dy != 3 else None)


def _save_atomic(fig, path: Path, save) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".png")
    os.close(fd)
    try:
        save(fig, Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def write_all(out: Path, rows: list[dict], planned: int, synth: SynthSpec | None,
              workers: list[str]) -> list[Path]:
    written = [out / "explore.md", out / "explore.csv"]
    write_text_atomic(written[0], markdown(rows, planned, synth, workers))
    write_text_atomic(written[1], csv_text(rows))
    try:
        for f in fronts(rows):
            p = plot(f, out / f"pareto_{f.kernel}.png")
            if p is not None:
                written.append(p)
    except OSError as e:
        raise CliError(f"cannot write {out}: {e.strerror}") from None
    return written
