"""The critical path of a placed design, from nextpnr's report (``--report``): where it
starts and ends, its logic levels, logic and routing delay, and the units it crosses.

nextpnr names a cell after the net or signal it drives, in the design's hierarchy
(``soc.core.multiplier.product_MULT18X18D...``), so the unit a cell belongs to is the
submodule in its name: the component after ``soc.core`` (or after ``soc``) that a
further dot follows. Cells of the core's or the SoC's own logic (``soc.core.mem_result_
TRELLIS_FF...``) count as ``core`` or ``soc``. Cells nextpnr makes itself while packing
(``$nextpnr_CCU2C_19$CCU2_COMB0``, a carry cell that starts or ends a split carry chain)
belong to no unit: the path's units skip them.
"""

from __future__ import annotations

from typing import Any


def unit_of(cell: str) -> str | None:
    """The unit a placed cell belongs to (see the module docstring); None for a cell of
    nextpnr's own."""
    if cell.startswith("$nextpnr"):
        return None
    parts = cell.split(".")
    if parts and parts[0] == "soc":
        parts = parts[1:]
        scope = "soc"
        if parts and parts[0] == "core":
            parts = parts[1:]
            scope = "core"
        # a submodule's name is followed by a dot; the last component is the cell's own
        return parts[0] if len(parts) > 1 else scope
    return parts[0] if len(parts) > 1 else "top"


def summarize(report: dict[str, Any]) -> dict[str, Any] | None:
    """The longest of the report's critical paths as a small dict: ``delay_ns``,
    ``logic_ns``, ``routing_ns``, ``levels`` (logic cells passed), ``start``/``end``
    (cell and port), ``units`` (in order, repeats folded); None without a path."""
    paths = [p for p in report.get("critical_paths", []) if p.get("path")]
    if not paths:
        return None
    path = max(paths, key=lambda p: sum(s.get("delay", 0.0) for s in p["path"]))["path"]
    logic = sum(s["delay"] for s in path if s["type"] != "routing")
    routing = sum(s["delay"] for s in path if s["type"] == "routing")
    levels = sum(1 for s in path if s["type"] == "logic")
    units: list[str] = []
    for s in path:
        for end in (s["from"], s["to"]):
            u = unit_of(end["cell"])
            if u is not None and (not units or units[-1] != u):
                units.append(u)
    first, last = path[0]["from"], path[-1]["to"]
    return {"delay_ns": round(logic + routing, 3), "logic_ns": round(logic, 3),
            "routing_ns": round(routing, 3), "levels": levels, "start": f"{first['cell']} ({first['port']})",
            "end": f"{last['cell']} ({last['port']})", "units": units}


def describe(cp: dict[str, Any]) -> list[str]:
    """Text lines for the synthesis table."""
    return [f"critical path {cp['delay_ns']:.2f} ns (logic {cp['logic_ns']:.2f}, "
            f"routing {cp['routing_ns']:.2f}), {cp['levels']} logic levels",
            f"  from {cp['start']}",
            f"  to   {cp['end']}",
            f"  through {' -> '.join(cp['units'])}"]
