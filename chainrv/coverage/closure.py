"""The closure table (per group: bins hit / total, percent, the holes) and its JSON."""

from __future__ import annotations

import json
import textwrap

from .model import Model


def summary(model: Model) -> dict[str, tuple[int, int]]:
    """Bins hit and total per group, and ``total`` over all groups."""
    out = {name: (int((g.counts > 0).sum()), len(g.bins)) for name, g in model.groups.items()}
    out["total"] = (sum(h for h, _ in out.values()), sum(t for _, t in out.values()))
    return out


def holes(model: Model) -> dict[str, list[str]]:
    return {name: [b for b, c in zip(g.bins, g.counts, strict=True) if c == 0]
            for name, g in model.groups.items()}


def _pct(hit: int, total: int) -> str:
    return f"{100.0 * hit / total:.1f}%" if total else "-"


def table(model: Model, width: int = 100) -> str:
    """The closure table: one line per group, its holes wrapped below it."""
    s = summary(model)
    w = max(20, *(len(name) for name in model.groups))
    lines = [f"{'group':<{w}} {'hit':>6} {'bins':>6} {'covered':>8}", "-" * (w + 23)]
    gaps = holes(model)
    for name in model.groups:
        hit, total = s[name]
        lines.append(f"{name:<{w}} {hit:>6} {total:>6} {_pct(hit, total):>8}")
        if gaps[name]:
            lines += textwrap.wrap("holes: " + ", ".join(gaps[name]), width,
                                   initial_indent="  ", subsequent_indent="    ")
    hit, total = s["total"]
    lines += ["-" * (w + 23), f"{'total':<{w}} {hit:>6} {total:>6} {_pct(hit, total):>8}"]
    return "\n".join(lines)


def to_json(model: Model, meta: dict[str, object]) -> str:
    """Every bin's count per group, the summary and what was run (``meta``)."""
    s = summary(model)
    doc = {
        **meta,
        "isa": str(model.config),
        "uarch": str(model.uarch),
        "summary": {k: {"hit": h, "bins": t} for k, (h, t) in s.items()},
        "groups": {name: {"bins": dict(zip(g.bins, (int(c) for c in g.counts), strict=True))}
                   for name, g in model.groups.items()},
    }
    return json.dumps(doc, indent=1) + "\n"
