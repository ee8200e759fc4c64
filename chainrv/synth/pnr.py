"""Step 3 of the flow: the SoC (core, a 4 KiB RAM in block RAM, UART, finisher,
CLINT; trace port dropped, so 28 I/O pins) flattened, placed and routed by nextpnr
for a stated device: Fmax and device utilisation (docs/synth.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hdl.synth import FPGA_TOP

from . import critical
from .mapping import FF, LUT, fpga_synth_command, leaf_types
from .results import SynthError
from .step_cache import Step
from .tools import log_error, run_tool, tool_version

#: nextpnr device flags and package per family; the first device is the default.
DEVICES: dict[str, dict[str, tuple[str, str]]] = {
    "ice40": {"up5k": ("--up5k", "sg48"), "hx8k": ("--hx8k", "ct256"),
              "lp8k": ("--lp8k", "ct256"), "hx4k": ("--hx4k", "tq144"), "hx1k": ("--hx1k", "tq144")},
    "ecp5": {"25k": ("--25k", "CABGA256"), "45k": ("--45k", "CABGA381"),
             "85k": ("--85k", "CABGA381"), "12k": ("--12k", "CABGA256")},
}

#: Clock the placer aims at (MHz) unless asked for another; Fmax is what it achieved,
#: not this. nextpnr stops improving once the aim is met, so an aim above the expected
#: Fmax (``chainrv synth --pnr-aim``) measures the design's limit, at a longer run.
PNR_TARGET_MHZ = {"ice40": 12.0, "ecp5": 25.0}
#: The aims that may be asked for (MHz).
PNR_AIM_RANGE = (1.0, 1000.0)
PNR_SEED = 1

#: The flow's options beyond the defaults, per family: further options of Yosys's
#: ``synth_ice40``/``synth_ecp5`` (the SoC's netlist for nextpnr) and of nextpnr
#: (after the device, aim and seed). Both are in the pnr step's cache key (the Yosys
#: script and nextpnr's arguments), so a run of another flow is never read back.
SYNTH_OPTS: dict[str, tuple[str, ...]] = {"ice40": (), "ecp5": ()}
PNR_OPTS: dict[str, tuple[str, ...]] = {"ice40": (), "ecp5": ()}

#: Logic cells of each device: ice40 (one LUT4 + one flip-flop each), ecp5 (LUT4s, each
#: with a flip-flop beside it).
_CAPACITY = {"ice40": {"up5k": 5280, "hx8k": 7680, "lp8k": 7680, "hx4k": 3520, "hx1k": 1280},
             "ecp5": {"25k": 24288, "45k": 43848, "85k": 83640, "12k": 12288}}

_UTIL = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%")
_NO_BELS = re.compile(r"no BELs remaining to implement cell type '(\w+)'", re.I)


def _fit_error(log: str, target: str, device: str) -> str | None:
    """nextpnr's 'does not fit' diagnostics as one line, or None for other failures."""
    for line in log.splitlines():
        m = _UTIL.match(line)
        if m and int(m[2]) > int(m[3]):
            return f"design does not fit {target} {device}: needs {m[2]} {m[1]}, the device has {m[3]}"
    for line in log.splitlines():
        m = _NO_BELS.search(line)
        if m:
            return f"design does not fit {target} {device}: ran out of {m[1]} cells"
    return None


def _check_fit(types: dict[str, int], target: str, device: str) -> None:
    """Reject a netlist that exceeds the device before a long placement run (a lower
    bound; nextpnr's own utilisation check catches the rest)."""
    luts = sum(n for t, n in types.items() if t in LUT)
    ffs = sum(n for t, n in types.items() if FF.match(t))
    cap = _CAPACITY[target][device]
    if max(luts, ffs) > cap:
        raise SynthError(f"design does not fit {target} {device}: needs at least {max(luts, ffs)} "
                         f"logic cells ({luts} LUT4, {ffs} flip-flops), the device has {cap}")


def _is_pnr_result(data: object) -> bool:
    return (isinstance(data, dict) and isinstance(data.get("utilization"), dict)
            and "fmax_mhz" in data and isinstance(data["fmax_mhz"], int | float | None)
            and "critical_path" in data)


def check_aim(aim_mhz: float | None) -> None:
    lo, hi = PNR_AIM_RANGE
    if aim_mhz is not None and not lo <= aim_mhz <= hi:    # NaN fails both
        raise SynthError(f"--pnr-aim {aim_mhz:g} must be a clock from {lo:g} to {hi:g} MHz")


def nextpnr_argv(target: str, device: str, aim_mhz: float | None = None, seed: int = PNR_SEED,
                 opts: tuple[str, ...] | None = None) -> list[str]:
    """nextpnr's arguments, ``opts`` (default ``PNR_OPTS``) last. Without an aim and
    options they are the family default's, word for word: they are part of the cache
    key, so results made before ``aim_mhz`` existed stay valid."""
    flag, package = DEVICES[target][device]
    freq = PNR_TARGET_MHZ[target] if aim_mhz is None else float(aim_mhz)
    return [flag, "--package", package, "--json", "netlist.json", "--freq", str(freq),
            "--seed", str(seed), "--report", "pnr.json", "-q", "-l", "nextpnr.log",
            "--pcf-allow-unconstrained" if target == "ice40" else "--lpf-allow-unconstrained",
            *(PNR_OPTS[target] if opts is None else opts)]


def place_and_route(il: str, target: str, device: str, cache_dir: Path, key: str = "",
                    aim_mhz: float | None = None, seed: int = PNR_SEED,
                    synth_opts: tuple[str, ...] | None = None,
                    pnr_opts: tuple[str, ...] | None = None) -> tuple[dict, float, bool]:
    """Fmax and utilisation of the design ``il`` (top ``FPGA_TOP``) on ``device``; the
    run's seconds and whether it came from the cache. ``key`` (the configuration's
    name) joins the cache key; ``aim_mhz`` is the clock nextpnr aims at (default
    ``PNR_TARGET_MHZ``); ``synth_opts`` and ``pnr_opts`` replace the family's
    ``SYNTH_OPTS`` and ``PNR_OPTS``."""
    check_aim(aim_mhz)
    step, script, argv = pnr_step(il, target, device, cache_dir, key, aim_mhz, seed, synth_opts, pnr_opts)
    # a design slower than the aim is a result (its Fmax), not an error; the flag changes
    # nextpnr's exit status only, not the placement or the report, so it stays out of the
    # cache key and results cached before it remain valid
    run_argv = [*argv, "--timing-allow-fail"]
    return step.run({"design.il": il, "pnr.ys": script}, lambda work: _run(work, target, device, run_argv))


def pnr_step(il: str, target: str, device: str, cache_dir: Path, key: str = "",
             aim_mhz: float | None = None, seed: int = PNR_SEED,
             synth_opts: tuple[str, ...] | None = None,
             pnr_opts: tuple[str, ...] | None = None) -> tuple[Step, str, list[str]]:
    """The cached step of ``place_and_route``, its Yosys script and nextpnr's arguments:
    the design, the script (with the Yosys options) and the arguments (with nextpnr's)
    are its key."""
    command = fpga_synth_command(target, device, FPGA_TOP,
                                 SYNTH_OPTS[target] if synth_opts is None else synth_opts)
    script = f"read_rtlil design.il\n{command} -json netlist.json\ntee -q -o stat.json stat -json\n"
    argv = nextpnr_argv(target, device, aim_mhz, seed, pnr_opts)
    step = Step(cache_dir, f"pnr-{target}-{device}",
                [il, script, " ".join(argv), tool_version("yosys"), tool_version(f"nextpnr-{target}"), key],
                _is_pnr_result)
    return step, script, argv


def _run(work: Path, target: str, device: str, argv: list[str]) -> dict:
    """Yosys then nextpnr in ``work``: Fmax and the device utilisation."""
    res = run_tool("yosys", ["-q", "-l", "yosys.log", "pnr.ys"], work)
    if res.returncode != 0:
        raise SynthError(f"yosys ({target}) failed: {log_error(res.stdout + res.stderr)}")
    stat = json.loads((work / "stat.json").read_text())
    _check_fit(leaf_types(stat["design"]["num_cells_by_type"], {m.lstrip("\\") for m in stat["modules"]}),
               target, device)
    res = run_tool(f"nextpnr-{target}", argv, work)
    log = (work / "nextpnr.log").read_text() if (work / "nextpnr.log").exists() else ""
    log += res.stdout + res.stderr
    if res.returncode != 0:
        raise SynthError(_fit_error(log, target, device) or f"nextpnr-{target} failed: {log_error(log)}")
    report = json.loads((work / "pnr.json").read_text())
    fmax = min((c["achieved"] for c in report.get("fmax", {}).values()), default=None)
    util = {k: {"used": v["used"], "available": v["available"]}
            for k, v in report.get("utilization", {}).items() if v["used"]}
    return {"fmax_mhz": round(fmax, 2) if fmax else None, "utilization": util,
            "critical_path": critical.summarize(report)}


def median_run(runs: list[dict]) -> dict:
    """The run whose Fmax is the median of ``runs`` (of an even count, the lower middle
    one: a conservative figure); a run with no Fmax counts as the slowest."""
    return sorted(runs, key=lambda r: r["fmax_mhz"] or 0.0)[(len(runs) - 1) // 2]
