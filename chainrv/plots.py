"""Report plots (matplotlib, headless)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from isa.config import IsaConfig  # noqa: E402


def _label(series: tuple[str, str]) -> str:
    isa, uarch = series
    name = IsaConfig.parse(isa).short_name()
    return name if uarch == "ideal" else f"{name} @{uarch}"


def _grouped(ax, kernels, series, value, label=_label) -> None:
    width = 0.8 / max(1, len(series))
    x = np.arange(len(kernels))
    for i, s in enumerate(series):
        ax.bar(x + i * width - 0.4 + width / 2, [value(k, s) for k in kernels], width, label=label(s))
    ax.set_xticks(x, kernels, rotation=30, ha="right")
    ax.legend(fontsize=7)


def plot_all(rows, out_dir: Path, checkpoint: Callable[[], None] = lambda: None) -> list[Path]:
    """The report's three plots; ``checkpoint`` runs after each (where a pending
    interrupt is raised: see chainrv.outputs.InterruptGuard)."""
    from .report import speedups

    kernels = list(dict.fromkeys(r.kernel for r in rows))
    # one bar per (ISA, microarchitecture), grouped by microarchitecture
    machines = list(dict.fromkeys(r.uarch for r in rows))
    series = [(i, u) for u in machines for i in dict.fromkeys(r.isa for r in rows if r.uarch == u)]
    by = {(r.kernel, r.isa, r.uarch): r for r in rows}
    paths = []

    def cycles(k, s):
        return by[k, *s].cycles_per_unit if (k, *s) in by else 0

    fig, ax = plt.subplots(figsize=(10, 5))
    _grouped(ax, kernels, series, cycles)
    units = {r.kernel: r.unit for r in rows}
    ax.set_xticks(ax.get_xticks(), [f"{k} /{units[k]}" for k in kernels], rotation=40, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("cycles per unit of work (log)")
    ax.set_title("Cycles per byte hashed / nonce tried / signature verified")
    paths.append(_save(fig, out_dir / "cycles_per_byte.png"))
    checkpoint()

    sp = speedups(rows)
    fig, ax = plt.subplots(figsize=(10, 5))
    _grouped(ax, kernels, series, lambda k, s: sp.get((k, *s), 0))
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_ylabel("speedup over rv32im")
    ax.set_title("Speedup over rv32im (cycles)")
    paths.append(_save(fig, out_dir / "speedup.png"))
    checkpoint()

    causes = sorted({c for r in rows for c in r.stalls})
    fig, ax = plt.subplots(figsize=(12, 5))
    labels = [f"{r.kernel}\n{r.isa_name}" + ("" if r.uarch == "ideal" else f"\n{r.uarch}") for r in rows]
    bottom = np.zeros(len(rows))
    for c in causes:
        frac = np.array([r.stalls.get(c, 0) / r.cycles if r.cycles else 0 for r in rows])
        ax.bar(range(len(rows)), frac, bottom=bottom, label=c)
        bottom += frac
    ax.set_xticks(range(len(rows)), labels, rotation=60, ha="right", fontsize=6)
    ax.set_ylabel("stall cycles / total cycles")
    ax.set_title("Stall breakdown")
    ax.legend(fontsize=7)
    paths.append(_save(fig, out_dir / "stalls.png"))
    checkpoint()

    if len(machines) > 1:   # cycles relative to the first microarchitecture, per ISA
        fig, ax = plt.subplots(figsize=(10, 5))
        isas = list(dict.fromkeys(r.isa for r in rows))
        rel = [(i, u) for i in isas for u in machines[1:]]

        def ratio(k, s):
            a, b = by.get((k, s[0], machines[0])), by.get((k, *s))
            return a.cycles / b.cycles if a and b and b.cycles else 0

        _grouped(ax, kernels, rel, ratio)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_ylabel(f"speedup over {machines[0]} (cycles)")
        ax.set_title("Each microarchitecture against the first")
        paths.append(_save(fig, out_dir / "uarch.png"))
        checkpoint()
    return paths


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
