"""Steps 1 and 2 of the flow: the core mapped to generic gates or to FPGA cells by
Yosys, with cells counted per unit (docs/synth.md).

The units stay separate modules (``keep_hierarchy``) so that their cost can be
read apart; the rest of the core is flattened into the top, which lets Yosys drop
the logic that only fed the trace port.

Writable memories inside units (the caches' tag, line and LRU memories) are
storage, not logic: the generic mapping keeps them whole and counts their bits
(``MEMORY_BITS``); the FPGA mapping lets ``synth_ecp5``/``synth_ice40`` put them in
block RAM, LUT-RAM or flip-flops as it would. The core's own register file (a
memory in the top) and the read-only tables of the units (S-boxes) are mapped to
flip-flops and gates in both, as they always were.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from hdl.synth import CORE_TOP

from .results import Cost, FpgaCost, SynthError
from .step_cache import Step
from .tools import log_error, run_tool, tool_version

#: NAND2-equivalent weight of each generic gate (docs/synth.md gives the source).
NAND2_WEIGHTS: dict[str, float] = {
    "$_NOT_": 0.67, "$_NAND_": 1.0, "$_NOR_": 1.0, "$_AND_": 1.33, "$_OR_": 1.33,
    "$_ANDNOT_": 1.33, "$_ORNOT_": 1.33, "$_XOR_": 2.0, "$_XNOR_": 2.0, "$_MUX_": 2.33,
    "$_DFF_P_": 4.67,
}
GENERIC_GATES = "AND,NAND,OR,NOR,XOR,XNOR,MUX"
#: A memory left whole by the generic mapping, and the pseudo cell type that counts
#: its bits (width times depth) in a unit's cell counts.
MEMORY_CELL = "$mem_v2"
MEMORY_BITS = "memory_bits"

# FPGA primitive -> resource column
LUT = {"SB_LUT4", "LUT4"}
FF = re.compile(r"^(SB_DFF\w*|TRELLIS_FF)$")
_CARRY = {"SB_CARRY", "CCU2C"}
_DSP = {"SB_MAC16", "MULT18X18D"}
_LUTRAM = {"TRELLIS_DPR16X4"}
_BRAM = {"SB_RAM40_4K", "DP16KD"}


def _unit_name(module: str, top: str) -> str:
    """``\\chainrv_core.core.zknh`` -> ``zknh``, ``chainrv_core.core.fetch.ranks`` ->
    ``fetch.ranks`` (both caches have one); the top itself -> ``core``."""
    name = module.lstrip("\\")
    if name == top:
        return "core"
    name = name.removeprefix(f"{top}.")
    return name.removeprefix("core.") if name != "core" else name


def leaf_types(by_type: dict[str, int], modules: set[str]) -> dict[str, int]:
    """Primitive cells only: no submodule instances, no scope markers."""
    return {t: n for t, n in by_type.items() if t != "$scopeinfo" and t.lstrip("\\") not in modules}


def _memory_bits(netlist: dict) -> dict[str, int]:
    """Bits (width x depth) of the memory cells per module, from Yosys's JSON of them."""
    bits: dict[str, int] = {}
    for module, body in netlist.get("modules", {}).items():
        for cell in body.get("cells", {}).values():
            if cell.get("type") == MEMORY_CELL:
                p = cell["parameters"]
                bits[module] = bits.get(module, 0) + int(p["WIDTH"], 2) * int(p["SIZE"], 2)
    return bits


def _stat_per_unit(stat: dict, top: str,
                   memory_bits: dict[str, int] | None = None) -> dict[str, dict[str, int]]:
    modules = {m.lstrip("\\") for m in stat["modules"]}
    out = {_unit_name(mod, top): leaf_types(v["num_cells_by_type"], modules)
           for mod, v in stat["modules"].items()}
    for mod, n in (memory_bits or {}).items():
        if n:
            out[_unit_name(mod, top)][MEMORY_BITS] = n
    total: dict[str, int] = {}
    for types in out.values():
        for t, n in types.items():
            total[t] = total.get(t, 0) + n
    out["total"] = total
    return out


def is_cell_counts(data: object) -> bool:
    return (isinstance(data, dict) and "total" in data
            and all(isinstance(v, dict) and all(isinstance(n, int) for n in v.values())
                    for v in data.values()))


def generic_cost(types: dict[str, int]) -> Cost:
    """Gates and their NAND2-equivalents; memories kept whole are counted apart, in bits."""
    mem_bits = types.get(MEMORY_BITS, 0)
    gates = {t: n for t, n in types.items() if t not in (MEMORY_CELL, MEMORY_BITS)}
    unknown = set(gates) - set(NAND2_WEIGHTS)
    if unknown:
        raise SynthError(f"generic mapping left cells without a NAND2 weight: {', '.join(sorted(unknown))}")
    return Cost(cells=sum(gates.values()),
                nand2=round(sum(NAND2_WEIGHTS[t] * n for t, n in gates.items()), 1),
                dff=gates.get("$_DFF_P_", 0), by_type=dict(sorted(gates.items())),
                memories=types.get(MEMORY_CELL, 0), memory_bits=mem_bits)


def fpga_cost(types: dict[str, int]) -> FpgaCost:
    def count(names) -> int:
        return sum(n for t, n in types.items() if t in names)
    return FpgaCost(lut4=count(LUT), ff=sum(n for t, n in types.items() if FF.match(t)),
                    carry=count(_CARRY), dsp=count(_DSP), lutram=count(_LUTRAM), bram=count(_BRAM),
                    by_type=dict(sorted(types.items())))


def fpga_synth_command(target: str, device: str | None, top: str, opts: tuple[str, ...] = ()) -> str:
    """Yosys's synthesis command for an FPGA family (the UP5K has DSP blocks for the
    multiplier), with ``opts`` (further options of ``synth_ice40``/``synth_ecp5``) after it."""
    if target == "ice40":
        cmd = f"synth_ice40 -top {top}" + (" -dsp" if device == "up5k" else "")
    else:
        cmd = f"synth_ecp5 -top {top}"
    return " ".join([cmd, *opts])


def _map_script(target: str, device: str | None, top: str, keep: str) -> str:
    head = f"read_rtlil design.il\nhierarchy -top {top}\nsetattr -mod -set keep_hierarchy 1 {keep}\n"
    if target == "generic":
        # `synth -flatten` step by step, with one change: memory_map only in the top
        # (the register file) and for read-only tables (S-boxes), so the units'
        # writable memories (cache storage) stay whole.
        # Then flip-flops with enable or reset become plain DFFs plus gates, so that
        # one NAND2 weight per cell type holds.
        body = (f"synth -top {top} -flatten -run begin:fine\n"
                f"opt -fast -full\nmemory_map {top} r:WR_PORTS=0\n"
                "opt -full\ntechmap\nopt -fast\nabc\nopt -fast\n"
                "hierarchy -check\ncheck\n"
                f"dfflegalize -cell $_DFF_P_ 01\nabc -g {GENERIC_GATES}\nopt_clean\n"
                f"select t:{MEMORY_CELL}\nwrite_json -selected memories.json\nselect -clear\n")
    else:
        body = fpga_synth_command(target, device, top) + "\n"
    return head + body + "tee -q -o stat.json stat -json\n"


def map_rtlil(il: str, target: str, device: str | None, cache_dir: Path, top: str = CORE_TOP,
              keep: str = f"{CORE_TOP}.core.*",
              key: str = "") -> tuple[dict[str, dict[str, int]], float, bool]:
    """Cell types per module of ``top`` (modules matching ``keep`` stay separate, the
    rest is flattened into the top, reported as "core"), plus "total"; the run's
    seconds and whether it came from the cache. A generic mapping counts the bits
    of the memories it keeps as ``MEMORY_BITS``. ``key`` (the configuration's name)
    joins the cache key."""
    script = _map_script(target, device, top, keep)

    def produce(work: Path) -> dict:
        res = run_tool("yosys", ["-q", "-l", "yosys.log", "map.ys"], work)
        if res.returncode != 0:
            raise SynthError(f"yosys ({target}) failed: {log_error(res.stdout + res.stderr)}")
        mems = work / "memories.json"
        return _stat_per_unit(json.loads((work / "stat.json").read_text()), top,
                              _memory_bits(json.loads(mems.read_text())) if mems.exists() else None)

    step = Step(cache_dir, f"map-{target}", [il, script, tool_version("yosys"), key], is_cell_counts)
    return step.run({"design.il": il, "map.ys": script}, produce)
