"""Pareto fronts of throughput against area, per kernel.

A point is on the front when no other point of the same kernel has at most its
area and at least its throughput, one of the two strictly. Throughput is
operations per second at the configuration's Fmax when every point compared has
one; otherwise (no place and route, or a configuration without an Fmax) all of the
kernel's points are compared at the nominal clock (``chainrv.report.NOMINAL_MHZ``),
which ranks them by cycles per operation alone. Points without an area (no
synthesis, or none cached) cannot be placed and are listed apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from isa.config import IsaConfig

from ..report import NOMINAL_MHZ


@dataclass
class Front:
    kernel: str
    metric: str                    # "throughput" (at Fmax) or "throughput_nominal"
    unit: str                      # what one operation is
    operation: str = ""            # as the report names it: a counted unit, or "4,096-byte input"
    front: list[dict] = field(default_factory=list)       # by area, ascending
    dominated: list[tuple[dict, dict]] = field(default_factory=list)   # (point, a front point dominating it)
    unplaced: list[dict] = field(default_factory=list)    # ok, but no area

    @property
    def at_fmax(self) -> bool:
        return self.metric == "throughput"

    def metric_label(self) -> str:
        return f"{self.unit}/s at Fmax" if self.at_fmax else f"{self.unit}/s at {NOMINAL_MHZ:g} MHz"


def label(row: dict) -> str:
    """A configuration's short name: ISA (Zk, Zks shortened) and microarchitecture."""
    return f"{IsaConfig.parse(row['isa']).short_name()} {row['uarch']}"


def dominates(a: dict, b: dict, metric: str) -> bool:
    return (a["area_nand2"] <= b["area_nand2"] and a[metric] >= b[metric]
            and (a["area_nand2"] < b["area_nand2"] or a[metric] > b[metric]))


def fronts(rows: list[dict]) -> list[Front]:
    """One front per kernel (in the order the rows first name them), from the points
    whose status is ok."""
    out = []
    for kernel in dict.fromkeys(r["kernel"] for r in rows):
        ok = [r for r in rows if r["kernel"] == kernel and r["status"] == "ok"]
        if not ok:
            continue
        placed = [r for r in ok if r["area_nand2"] is not None]
        metric = "throughput" if placed and all(r["throughput"] for r in placed) else "throughput_nominal"
        op = ok[0]["operation"] or ""
        unit = "ops" if op.endswith("input") else op
        f = Front(kernel, metric, unit, op, unplaced=[r for r in ok if r["area_nand2"] is None])
        f.front = [r for r in placed if not any(dominates(o, r, metric) for o in placed if o is not r)]
        for r in placed:
            # dominance is transitive, so some point of the front dominates each other point;
            # the cheapest of them is the most useful to name
            beaters = [o for o in f.front if dominates(o, r, metric)]
            if beaters:
                f.dominated.append((r, min(beaters, key=lambda o: (o["area_nand2"], -o[metric]))))
        f.front.sort(key=lambda r: (r["area_nand2"], -r[metric]))
        f.dominated.sort(key=lambda p: (p[0]["area_nand2"], -p[0][metric]))
        out.append(f)
    return out
