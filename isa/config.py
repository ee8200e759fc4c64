"""ISA configuration: the set of extensions a core, a run or a build supports.

One value is accepted everywhere (ISS, toolchain flags, kernels, HDL generator)
so that a report can compare ``rv32im`` against ``rv32im_zbkb`` against
``rv32im_zicsr_zk_zks``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Extensions this project implements, in canonical (ISA-string) order.
EXTENSIONS: tuple[str, ...] = (
    "i", "m", "zicsr", "zicntr", "zifencei",
    "zbkb", "zbkc", "zbkx", "zknd", "zkne", "zknh", "zksed", "zksh",
    "zkt", "xchain",
)

#: Always present: machine mode needs the CSR instructions and counters.
ALWAYS: frozenset[str] = frozenset({"i", "zicsr", "zicntr"})

#: Shorthands from the scalar crypto specification, expanded on parsing.
#: ``zk`` also names Zkr (the entropy source); this core has no seed CSR, so
#: Zkr is accepted inside the shorthand but contributes nothing.
SHORTHANDS: dict[str, tuple[str, ...]] = {
    "zkn": ("zbkb", "zbkc", "zbkx", "zkne", "zknd", "zknh"),
    "zks": ("zbkb", "zbkc", "zbkx", "zksed", "zksh"),
    "zk": ("zkn", "zkt"),
    "zkr": (),
}


class IsaError(ValueError):
    """An ISA string that names something this project does not implement."""


def _expand(name: str, out: set[str]) -> None:
    if name in SHORTHANDS:
        for sub in SHORTHANDS[name]:
            _expand(sub, out)
    elif name in EXTENSIONS:
        out.add(name)
    else:
        raise IsaError(f"unknown ISA extension '{name}'")


@dataclass(frozen=True)
class IsaConfig:
    """A set of extension names (lower case, expanded)."""

    extensions: frozenset[str]

    @classmethod
    def parse(cls, text: str | IsaConfig) -> IsaConfig:
        """Parse ``rv32im``, ``rv32im_zbkb``, ``rv32im+zk+zks``, ``rv32i_m`` ..."""
        if isinstance(text, IsaConfig):
            return text
        s = text.strip().lower()
        m = re.fullmatch(r"rv32([a-z]*)((?:[_+][a-z][a-z0-9]*)*)", s)
        if not m:
            raise IsaError(f"not an RV32 ISA string: '{text}' (expected e.g. rv32im_zbkb)")
        exts: set[str] = set(ALWAYS)
        singles = m.group(1)
        if not singles.startswith("i") and not singles.startswith("g"):
            raise IsaError(f"ISA string '{text}' must start with rv32i")
        for letter in singles:
            if letter == "g":
                raise IsaError("rv32g needs F and D, which this core does not implement")
            if letter not in ("i", "m"):
                raise IsaError(f"unknown ISA extension '{letter}' in '{text}'")
            exts.add(letter)
        for part in re.split(r"[_+]", m.group(2))[1:]:
            if len(part) == 1:
                _expand(part, exts)
            else:
                _expand(part, exts)
        return cls(frozenset(exts))

    @classmethod
    def from_arch_attribute(cls, tag: str) -> IsaConfig:
        """The configuration an ELF's ``Tag_RISCV_arch`` names (``rv32i2p1_m2p0_zicsr2p0_
        zmmul1p0_zbkb1p0``...): versions dropped, ``zmmul`` (multiplication only) read as
        part of M. Xchain has no name the compiler knows, so it never appears here."""
        parts = [re.sub(r"\d+p\d+$", "", p) for p in tag.strip().lower().split("_")]
        if not parts or not parts[0].startswith("rv32"):
            raise IsaError(f"not an RV32 ISA attribute: '{tag}'")
        base = parts[0]
        rest = [p for p in parts[1:] if p and p != "zmmul"]
        if "zmmul" in parts[1:] and "m" not in rest and "m" not in base[4:]:
            rest.append("m")
        return cls.parse("_".join([base, *rest]))

    def __contains__(self, ext: str) -> bool:
        return ext in self.extensions

    def __str__(self) -> str:
        base = "rv32i" + ("m" if "m" in self.extensions else "")
        rest = [e for e in EXTENSIONS if len(e) > 1 and e in self.extensions]
        return "_".join([base, *rest])

    @property
    def name(self) -> str:
        return str(self)

    def short_name(self) -> str:
        """The shortest equivalent ISA string: shorthands folded back in and
        the always-present zicsr/zicntr left out (``rv32im_zk_zks``)."""
        rest = set(self.extensions) - ALWAYS - {"m"}
        parts: list[str] = []
        zkn, zks = set(SHORTHANDS["zkn"]), set(SHORTHANDS["zks"])
        if zkn <= rest and "zkt" in rest:
            parts.append("zk")
            rest -= zkn | {"zkt"}
            if zks - {"zbkb", "zbkc", "zbkx"} <= rest:
                parts.append("zks")
                rest -= zks
        elif zkn <= rest:
            parts.append("zkn")
            rest -= zkn
        if zks <= rest:
            parts.append("zks")
            rest -= zks
        parts += [e for e in EXTENSIONS if e in rest]
        base = "rv32i" + ("m" if "m" in self.extensions else "")
        return "_".join([base, *parts])

    def has_all(self, *exts: str) -> bool:
        return all(e in self.extensions for e in exts)

    def gcc_march(self) -> str:
        """``-march`` for compiling (GCC 12 knows no ``zicntr``/``xchain``)."""
        base = "rv32i" + ("m" if "m" in self.extensions else "")
        known = [e for e in EXTENSIONS
                 if len(e) > 1 and e in self.extensions and e not in ("zicntr", "xchain")]
        return "_".join([base, *known])


RV32IM = IsaConfig.parse("rv32im")
FULL = IsaConfig.parse("rv32im_zicsr_zicntr_zk_zks")
