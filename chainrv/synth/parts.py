"""The microarchitecture's parts in a synthesis result: caches, predictor, multiplier,
and the core that is left (docs/synth.md, "Microarchitecture").

Each part is the set of units (Yosys modules kept apart) that holds it. A part
with no unit of its own (the BTFN predictor, the pipelined multiplier: a few
gates and pipeline registers in the core's own logic) is reported as inline,
its cost inside ``core``.
"""

from __future__ import annotations

from isa.config import IsaConfig
from isa.uarch import Uarch

from .results import Cost, FpgaCost
from .storage import CACHE_UNITS, predictor_bits, storage


def part_units(uarch: Uarch, config: IsaConfig) -> dict[str, tuple[str, list[str]]]:
    """Part -> (its setting, the units that hold it; empty when it is inline)."""
    items = uarch.items()
    out: dict[str, tuple[str, list[str]]] = {}
    for cache, unit in CACHE_UNITS.items():
        if getattr(uarch, cache) is not None:
            out[cache] = (items[cache], [unit, f"{unit}.ranks"])
    out["predictor"] = (items["bp"], ["bht"] if uarch.bp == "bht" else [])
    if "m" in config:
        out["multiplier"] = (items["mul"], {"1": ["multiplier"], "iter": ["mul_iter"]}.get(uarch.mul, []))
    return out


def _sum_generic(costs: list[Cost]) -> dict:
    return {"cells": sum(c.cells for c in costs), "nand2": round(sum(c.nand2 for c in costs), 1),
            "dff": sum(c.dff for c in costs), "memory_bits": sum(c.memory_bits for c in costs)}


def _sum_fpga(costs: list[FpgaCost]) -> dict:
    return {k: sum(getattr(c, k) for c in costs) for k in ("lut4", "ff", "carry", "dsp", "lutram", "bram")}


def summarize(uarch: Uarch, config: IsaConfig, generic: dict[str, Cost],
              fpga: dict[str, FpgaCost]) -> tuple[dict[str, dict], dict[str, dict], dict]:
    """(parts, caches, predictor): every part's setting, units and summed cost, ``core``
    holding what no part claims; each cache's storage from its geometry, and the branch
    table's (empty without one), beside the bits the synthesis kept in memories."""
    claimed: set[str] = set()
    parts: dict[str, dict] = {}
    for name, (setting, units) in part_units(uarch, config).items():
        present = [u for u in units if u in generic]
        claimed.update(present)
        # no unit of its own: a few gates in the core's logic, or nothing at all (bp=none)
        entry = {"setting": setting, "units": present, "inline": not units and setting != "none",
                 "generic": _sum_generic([generic[u] for u in present])}
        if fpga:
            entry["fpga"] = _sum_fpga([fpga[u] for u in present if u in fpga])
        parts[name] = entry
    rest = [u for u in generic if u not in claimed and u != "total"]
    core = {"setting": "", "units": rest, "inline": False,
            "generic": _sum_generic([generic[u] for u in rest])}
    if fpga:
        core["fpga"] = _sum_fpga([fpga[u] for u in rest if u in fpga])
    parts = {"core": core, **parts}
    caches = {}
    for name, bits in storage(uarch).items():
        caches[name] = {**bits.to_json(), "synthesized_memory_bits": parts[name]["generic"]["memory_bits"]}
    bht = predictor_bits(uarch)
    predictor = ({**bht.to_json(), "synthesized_memory_bits": parts["predictor"]["generic"]["memory_bits"]}
                 if bht else {})
    return parts, caches, predictor
