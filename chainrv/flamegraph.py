"""Flame graphs of a run's call tree (simulator.callgraph), as PNG (matplotlib, headless).

Each box is a call stack: its width is the stack's inclusive cycles, the boxes above
it are its callees; roots at the bottom, children ordered by name so that the same
stacks of two runs stand at the same place, as in Brendan Gregg's flame graphs.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from simulator.callgraph import CallTree  # noqa: E402

#: Boxes narrower than this share of the run are left out (unreadable, and many).
MIN_SHARE = 0.002


def _colour(name: str) -> tuple[float, float, float]:
    """A warm colour per function name, the same in every graph."""
    h = zlib.crc32(name.encode())
    r, g, b = h & 0xFF, (h >> 8) & 0xFF, (h >> 16) & 0xFF
    return 0.85 + 0.15 * r / 255, 0.35 + 0.45 * g / 255, 0.1 + 0.15 * b / 255


def layout(tree: CallTree, min_share: float = MIN_SHARE) -> list[tuple[int, int, int, int]]:
    """(node, depth, left, width) of every box drawn, in cycles."""
    inc = tree.inclusive()
    kids: dict[int, list[int]] = {}
    for n, p in enumerate(tree.parent):
        kids.setdefault(p, []).append(n)
    floor = min_share * max(1, tree.total)

    def by_name(nodes: list[int]) -> list[int]:
        return sorted(nodes, key=lambda k: tree.names[tree.frame[k]])

    boxes = []
    todo = []           # (node, depth, left): children from their parent's left edge
    x = 0
    for n in by_name(kids.get(-1, [])):
        todo.append((n, 0, x))
        x += inc[n]
    while todo:
        n, depth, left = todo.pop()
        if inc[n] < floor:
            continue
        boxes.append((n, depth, left, inc[n]))
        for k in by_name(kids.get(n, [])):
            todo.append((k, depth + 1, left))
            left += inc[k]
    return boxes


def plot_flame(tree: CallTree, path: Path, title: str) -> Path:
    boxes = layout(tree)
    depth = max((d for _, d, _, _ in boxes), default=0) + 1
    height = 1.2 + 0.28 * depth
    fig, ax = plt.subplots(figsize=(12, height))
    # fixed margins, in inches: tight_layout would draw the figure once more
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.65 / height, top=1 - 0.4 / height)
    total = max(1, tree.total)
    names = [tree.names[tree.frame[n]] for n, _, _, _ in boxes]
    ax.barh([d for _, d, _, _ in boxes], [w for _, _, _, w in boxes], left=[x for _, _, x, _ in boxes],
            height=0.92, color=[_colour(name) for name in names], edgecolor="white", linewidth=0.4,
            align="edge")
    for name, (_, d, left, width) in zip(names, boxes, strict=True):
        if width > 0.04 * total:   # room for the name and the share
            label = f"{name} {100 * width / total:.1f}%"
            chars = int(width / total * 160)
            if len(label) > chars:
                label = label[:max(chars - 1, 1)] + "…"
            ax.text(left + width / 2, d + 0.46, label, ha="center", va="center", fontsize=7, clip_on=True)
    ax.set_xlim(0, total)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_ylim(0, depth)
    ax.set_yticks([])
    ax.set_xlabel("cycles (inclusive: a box and everything above it)")
    ax.set_title(title, fontsize=10)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
