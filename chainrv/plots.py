"""Report plots (matplotlib, headless)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from isa.config import IsaConfig  # noqa: E402


def _grouped(ax, kernels, isas, value) -> None:
    width = 0.8 / max(1, len(isas))
    x = np.arange(len(kernels))
    for i, isa in enumerate(isas):
        ax.bar(x + i * width - 0.4 + width / 2, [value(k, isa) for k in kernels], width,
               label=IsaConfig.parse(isa).short_name())
    ax.set_xticks(x, kernels, rotation=30, ha="right")
    ax.legend(fontsize=7)


def plot_all(rows, out_dir: Path, checkpoint: Callable[[], None] = lambda: None) -> list[Path]:
    """The report's three plots; ``checkpoint`` runs after each (where a pending
    interrupt is raised: see chainrv.outputs.InterruptGuard)."""
    from .report import speedups

    kernels = list(dict.fromkeys(r.kernel for r in rows))
    isas = list(dict.fromkeys(r.isa for r in rows))
    by = {(r.kernel, r.isa): r for r in rows}
    paths = []

    fig, ax = plt.subplots(figsize=(10, 5))
    _grouped(ax, kernels, isas, lambda k, i: by[k, i].cycles_per_unit if (k, i) in by else 0)
    units = {r.kernel: r.unit for r in rows}
    ax.set_xticks(ax.get_xticks(), [f"{k} /{units[k]}" for k in kernels], rotation=40, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("cycles per unit of work (log)")
    ax.set_title("Cycles per byte hashed / nonce tried / signature verified")
    paths.append(_save(fig, out_dir / "cycles_per_byte.png"))
    checkpoint()

    sp = speedups(rows)
    fig, ax = plt.subplots(figsize=(10, 5))
    _grouped(ax, kernels, isas, lambda k, i: sp.get((k, i), 0))
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_ylabel("speedup over rv32im")
    ax.set_title("Speedup over rv32im (cycles)")
    paths.append(_save(fig, out_dir / "speedup.png"))
    checkpoint()

    causes = sorted({c for r in rows for c in r.stalls})
    fig, ax = plt.subplots(figsize=(12, 5))
    labels = [f"{r.kernel}\n{r.isa_name}" for r in rows]
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
    return paths


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
