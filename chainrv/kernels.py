"""The kernel catalogue: ``kernels/<name>/kernel.json`` manifests and their builds."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from isa.config import IsaConfig
from simulator import diskcache

from . import kernel_sources
from .errors import CliError
from .toolchain import FIRMWARE, build_elf, program_problem, toolchain_key

#: The repository's kernels/, installed as chainrv.kernel_sources (pyproject.toml).
KERNELS_DIR = Path(kernel_sources.__file__).resolve().parent
BUILD_DIR = diskcache.cache_root() / "kernels"
DEFAULT_ISAS = ("rv32im", "rv32im_zbkb", "rv32im_zicsr_zk_zks")


#: Units of work a manifest counts in a field of its own: unit -> field.
COUNTED_UNITS = {"verify": "verifies", "recovery": "recoveries", "block": "blocks"}


@dataclass
class Kernel:
    name: str
    directory: Path
    description: str
    sources: list[Path]
    isas: list[str]
    bytes: int
    expected_stdout: str
    extra: dict = field(default_factory=dict)

    @property
    def unit(self) -> str:
        """What one unit of work is: a byte hashed, a nonce tried, a signature
        verified, a sender recovered."""
        counted = next((u for u, key in COUNTED_UNITS.items() if key in self.extra), None)
        return self.extra.get("unit") or counted or "byte"

    @property
    def units(self) -> int:
        """Units of work in the default vector (``bytes`` counts nonces for mining)."""
        key = COUNTED_UNITS.get(self.unit)
        return int(self.extra[key]) if key else self.bytes

    def elf_path(self, isa: IsaConfig, opt: str = "2") -> Path:
        """Where this variant's ELF lives; the name carries a hash of its inputs."""
        h = diskcache.digest(f"{isa} -O{opt}", toolchain_key(),
                             *(src.read_bytes() for src in self._all_inputs()), length=12)
        return BUILD_DIR / self.name / f"{isa}-{h}.elf"

    def _all_inputs(self) -> list[Path]:
        fw = sorted(FIRMWARE.rglob("*.[chS]")) + sorted(FIRMWARE.glob("*.ld"))
        dirs = {self.directory, KERNELS_DIR / "common", *(s.parent for s in self.sources)}
        headers = sorted(h for d in dirs for h in d.glob("*.h"))
        return [*self.sources, *headers, *fw]

    def build(self, isa: IsaConfig | str, opt: str = "2") -> Path:
        """The variant's ELF, built when missing or damaged (docs/caches.md)."""
        cfg = IsaConfig.parse(isa)
        out = self.elf_path(cfg, opt)
        if diskcache.problem(out, program_problem) is None:
            return out
        try:
            where = diskcache.writable(out.parent)
        except OSError:  # the cache folder's own fallback (docs/caches.md)
            where = diskcache.cache_folder(f"kernels/{self.name}")
        if where is None:
            raise CliError(f"cannot write kernel builds to {out.parent} or any cache folder")
        sources = [str(s) for s in self.sources]
        try:
            return diskcache.cached(where / out.name,
                                    lambda tmp: build_elf(sources, tmp, isa=str(cfg), opt=opt),
                                    program_problem, mode=0o777)
        except (OSError, diskcache.BadEntry) as e:
            raise CliError(f"cannot build kernel {self.name} for {cfg.short_name()}: {e}") from None


def load_kernel(directory: Path) -> Kernel:
    manifest = directory / "kernel.json"
    if not manifest.is_file():
        raise CliError(f"{directory}: no kernel.json (a kernel folder holds its manifest: docs/firmware.md)")
    try:
        data = json.loads(manifest.read_text())
        return Kernel(
            name=data["name"],
            directory=directory,
            description=data.get("description", ""),
            sources=[(directory / s).resolve() for s in data["sources"]],
            isas=list(data.get("isas", DEFAULT_ISAS)),
            bytes=int(data["bytes"]),
            expected_stdout=data["expected_stdout"],
            extra={k: v for k, v in data.items()
                   if k not in ("name", "description", "sources", "isas", "bytes", "expected_stdout")},
        )
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CliError(f"bad kernel manifest {manifest}: {e}") from None


def all_kernels() -> dict[str, Kernel]:
    out = {}
    for manifest in sorted(KERNELS_DIR.glob("*/kernel.json")):
        k = load_kernel(manifest.parent)
        out[k.name] = k
    return out


def select(names: list[str] | None, folders: list[Path] | None = None) -> list[Kernel]:
    """The kernels ``names`` picks from the catalogue and the kernel ``folders`` of a
    user (each with its ``kernel.json``); no names: the folders' kernels, or without
    folders the whole catalogue."""
    catalogue = all_kernels()
    own: dict[str, Kernel] = {}
    for folder in folders or []:
        k = load_kernel(folder)
        if k.name in catalogue or k.name in own:
            raise CliError(f"{folder}: kernel name '{k.name}' is taken (by the catalogue or another folder)")
        own[k.name] = k
    if not names:
        return list(own.values()) if own else list(catalogue.values())
    catalogue |= own
    unknown = [n for n in names if n not in catalogue]
    if unknown:
        raise CliError(f"unknown kernel '{unknown[0]}' (known: {', '.join(catalogue)})")
    return [catalogue[n] for n in names]
