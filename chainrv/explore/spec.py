"""What a sweep covers: kernels x ISA configurations x microarchitectures, and synthesis.

A sweep is given on the command line or in a TOML file (``--spec``); the command
line wins field by field. Microarchitectures are base values (``--uarch``, each
``PRESET[,key=value...]``) crossed with key ranges (``--vary icache=off,1k:2:32``):
every base gets every combination of the ranges' values. Everything is checked
here, before a single point runs (docs/explore.md).
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from isa.uarch import Uarch, UarchError

from ..errors import CliError

#: Fields a spec file may hold, with what each is.
SPEC_FIELDS = {
    "kernels": "list of kernel names",
    "isa": "list of ISA strings",
    "uarch": "list of microarchitectures, PRESET[,KEY=VALUE...]",
    "vary": "table of KEY = [VALUE, ...]",
    "synth": "table: target, device, pnr, cached_only",
}
SYNTH_FIELDS = ("target", "device", "pnr", "cached_only")


@dataclass(frozen=True)
class SynthSpec:
    """Synthesis of each (ISA, microarchitecture): area, and Fmax on an FPGA target."""

    target: str
    device: str | None = None
    pnr: bool = True            # place and route (Fmax); off: area and FPGA cells only
    cached_only: bool = False   # use results already in the synthesis cache, never run the tools

    def label(self) -> str:
        return self.target + (f" {self.device}" if self.device else "")


@dataclass
class Spec:
    kernels: list[str] | None = None         # None: every kernel of the catalogue
    isas: list[str] | None = None            # None: the report's default ISAs
    uarchs: list[str] = field(default_factory=lambda: ["ideal"])
    vary: dict[str, list[str]] = field(default_factory=dict)
    synth: SynthSpec | None = None

    def machines(self) -> list[Uarch]:
        """Every microarchitecture of the sweep, each once (by its canonical string)."""
        return expand_uarchs(self.uarchs, self.vary)


def expand_uarchs(bases: list[str], vary: dict[str, list[str]]) -> list[Uarch]:
    """Each base crossed with every combination of the ranges' values."""
    keys = list(vary)
    out: dict[str, Uarch] = {}
    for base in bases:
        for values in itertools.product(*(vary[k] for k in keys)):
            text = ",".join([base, *(f"{k}={v}" for k, v in zip(keys, values, strict=True))])
            try:
                u = Uarch.parse(text)
            except UarchError as e:
                raise CliError(f"--uarch {text}: {e}") from None
            out.setdefault(str(u), u)
    return list(out.values())


def parse_vary(items: list[str]) -> dict[str, list[str]]:
    """``["icache=off,1k:2:32", "bp=btfn,bht:64"]`` -> {key: [values]}."""
    out: dict[str, list[str]] = {}
    for item in items:
        key, eq, values = item.partition("=")
        key = key.strip().lower()
        vals = [v.strip() for v in values.split(",") if v.strip()]
        if not eq or not key or not vals:
            raise CliError(f"--vary {item}: expected KEY=VALUE[,VALUE...] (e.g. icache=off,1k:2:32)")
        if key in out:
            raise CliError(f"--vary {key} given twice")
        out[key] = list(dict.fromkeys(vals))
    return out


def _strings(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise CliError(f"{where}: expected a non-empty list of strings")
    return list(value)


def load_spec_file(path: Path) -> Spec:
    """A sweep from a TOML file (docs/explore.md shows one)."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as e:
        raise CliError(f"cannot read spec {path}: {e.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise CliError(f"spec {path} is not TOML: {e}") from None
    unknown = sorted(set(data) - set(SPEC_FIELDS))
    if unknown:
        raise CliError(f"spec {path}: unknown field '{unknown[0]}' (known: {', '.join(SPEC_FIELDS)})")
    spec = Spec()
    if "kernels" in data:
        spec.kernels = _strings(data["kernels"], f"spec {path}: kernels")
    if "isa" in data:
        spec.isas = _strings(data["isa"], f"spec {path}: isa")
    if "uarch" in data:
        spec.uarchs = _strings(data["uarch"], f"spec {path}: uarch")
    if "vary" in data:
        vary = data["vary"]
        if not isinstance(vary, dict):
            raise CliError(f"spec {path}: vary must be a table of KEY = [VALUE, ...]")
        spec.vary = {str(k).lower(): list(dict.fromkeys(_strings(v, f"spec {path}: vary.{k}")))
                     for k, v in vary.items()}
    if "synth" in data:
        spec.synth = _synth_table(data["synth"], path)
    return spec


def _synth_table(table: object, path: Path) -> SynthSpec:
    if isinstance(table, str):
        table = {"target": table}
    if not isinstance(table, dict):
        raise CliError(f"spec {path}: synth must be a target name or a table ({', '.join(SYNTH_FIELDS)})")
    unknown = sorted(set(table) - set(SYNTH_FIELDS))
    if unknown:
        raise CliError(f"spec {path}: unknown synth field '{unknown[0]}' (known: {', '.join(SYNTH_FIELDS)})")
    target, device = table.get("target", "ecp5"), table.get("device")
    pnr, cached_only = table.get("pnr", True), table.get("cached_only", False)
    if not isinstance(target, str) or not (device is None or isinstance(device, str)):
        raise CliError(f"spec {path}: synth target and device must be strings")
    if not isinstance(pnr, bool) or not isinstance(cached_only, bool):
        raise CliError(f"spec {path}: synth pnr and cached_only must be true or false")
    return SynthSpec(target, device, pnr, cached_only)


def check_synth(s: SynthSpec) -> SynthSpec:
    """The target and device, checked (the device defaulted to the family's first)."""
    from ..synth import SynthError, check_request

    try:
        device = check_request(s.target, s.device)
    except SynthError as e:
        raise CliError(str(e)) from None
    return SynthSpec(s.target, device, s.pnr and s.target != "generic", s.cached_only)
