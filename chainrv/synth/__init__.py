"""Synthesis of the core with Yosys and nextpnr (YoWASP builds from PyPI; docs/synth.md).

Three steps, each cached on disk by a hash of its input netlist, script and tool
version (``step_cache``):

1. **generic** (``mapping``): the *core* (pipeline, register file, every unit the
   ISA configuration enables, the caches, predictor and multiplier the
   microarchitecture chooses; no RAM, no SoC devices, no trace port) mapped to
   simple gates with ``abc -g``; cells and NAND2-equivalents per unit, the caches'
   memories kept whole and counted in bits (``storage`` has their geometry's bits).
2. **fpga** (``mapping``; ice40/ecp5): the same core mapped with ``synth_ice40`` or
   ``synth_ecp5``; LUT4, flip-flop, carry, DSP, LUT-RAM cells per unit.
3. **pnr** (``pnr``; ice40/ecp5): the SoC placed and routed for a stated device;
   Fmax and device utilisation.

The designs themselves (the core and the SoC with synthesis ports, as RTLIL) are
``hdl.synth``'s; this package runs the tools on them.
"""

from __future__ import annotations

from pathlib import Path

from hdl.synth import core_rtlil, fpga_rtlil
from isa.config import IsaConfig
from isa.uarch import Uarch
from simulator import diskcache

from .mapping import NAND2_WEIGHTS, fpga_cost, generic_cost, map_rtlil
from .parts import summarize
from .pnr import DEVICES, PNR_TARGET_MHZ, check_aim, median_run, place_and_route
from .results import Cost, SynthError, SynthResult
from .step_cache import usable_folder
from .storage import CacheBits, PredictorBits, cache_bits, predictor_bits, storage
from .tools import tool_version

__all__ = ["DEFAULT_CACHE", "NAND2_WEIGHTS", "TARGETS", "CacheBits", "Cost", "PredictorBits", "SynthError",
           "SynthResult", "cache_bits", "check_request", "generic_cost", "map_rtlil", "predictor_bits",
           "storage", "synthesize"]

TARGETS = ("generic", "ice40", "ecp5")
#: Where the tool runs are cached unless told otherwise (docs/caches.md).
DEFAULT_CACHE = diskcache.cache_root() / "synth"


def check_request(target: str, device: str | None, aim_mhz: float | None = None) -> str | None:
    """Validate target, device and nextpnr's aim; returns the device (the family
    default when None)."""
    check_aim(aim_mhz)
    if target not in TARGETS:
        raise SynthError(f"unknown target '{target}' (choose from {', '.join(TARGETS)})")
    if target == "generic":
        if device is not None:
            raise SynthError("--device applies to the ice40 and ecp5 targets only")
        return None
    devices = DEVICES[target]
    if device is None:
        return next(iter(devices))
    if device not in devices:
        raise SynthError(f"unknown {target} device '{device}' (choose from {', '.join(devices)})")
    return device


def synthesize(isa: IsaConfig | str, target: str = "generic", device: str | None = None,
               cache_dir: Path = DEFAULT_CACHE, pnr: bool = True,
               uarch: Uarch | str | None = None, pnr_aim_mhz: float | None = None,
               seeds: int = 1) -> SynthResult:
    """Cells per unit (generic, and FPGA when ``target`` is one) and Fmax after P&R, for
    the core of ``isa`` built for the microarchitecture ``uarch`` (default ideal);
    ``pnr_aim_mhz`` is the clock nextpnr aims at (default the family's); with ``seeds``
    above 1, nextpnr places and routes with seeds 1..N and the Fmax is their median."""
    config = IsaConfig.parse(isa)
    u = Uarch.parse(uarch)
    device = check_request(target, device, pnr_aim_mhz)
    cache_dir = usable_folder(cache_dir)
    il = core_rtlil(config, u)
    # the configuration joins every cache key (the RTLIL already differs per uarch)
    key = f"{config} {u.items()}"
    result = SynthResult(isa=str(config), target=target, device=device, generic={}, uarch=str(u),
                         tools={"yosys": tool_version("yosys")})
    generic, result.seconds["generic"], result.cached["generic"] = map_rtlil(il, "generic", None, cache_dir,
                                                                             key=key)
    result.generic = {unit: generic_cost(types) for unit, types in generic.items()}
    if target != "generic":
        mapped, result.seconds["fpga"], result.cached["fpga"] = map_rtlil(il, target, device, cache_dir,
                                                                          key=key)
        result.fpga = {unit: fpga_cost(types) for unit, types in mapped.items()}
        if pnr:
            tool = f"nextpnr-{target}"
            result.tools[tool] = tool_version(tool)
            fpga_il = fpga_rtlil(config, u)
            runs = []
            for seed in range(1, max(1, seeds) + 1):
                placed, secs, cached = place_and_route(fpga_il, target, device, cache_dir, key=key,
                                                       aim_mhz=pnr_aim_mhz, seed=seed)
                runs.append(placed)
                result.fmax_by_seed[seed] = placed["fmax_mhz"]
                result.seconds["pnr"] = result.seconds.get("pnr", 0.0) + secs
                result.cached["pnr"] = result.cached.get("pnr", True) and cached
            placed = median_run(runs)  # its Fmax, critical path and utilisation
            result.fmax_mhz, result.utilization = placed["fmax_mhz"], placed["utilization"]
            result.critical_path = placed["critical_path"]
            result.pnr_aim_mhz = PNR_TARGET_MHZ[target] if pnr_aim_mhz is None else float(pnr_aim_mhz)
    result.parts, result.caches, result.predictor = summarize(u, config, result.generic, result.fpga)
    return result
