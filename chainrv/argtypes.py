"""Argument types shared by the commands: one spelling of sizes, counts and ports."""

from __future__ import annotations

import argparse
import re

from isa.uarch import IDEAL, PRESETS, Uarch, UarchError

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def size(text: str) -> int:
    """Bytes: ``1048576``, ``0x100000``, ``1M``, ``1MiB``, ``512k``, ``1G``."""
    m = re.fullmatch(r"\s*(0x[0-9a-fA-F]+|\d+)\s*([kKmMgG]?)(?:i?[bB])?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"invalid size '{text}' (e.g. 1048576, 0x100000, 1M, 1G)")
    return int(m.group(1), 0) * _UNITS[m.group(2).lower()]


def positive(text: str) -> int:
    try:
        n = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid count '{text}'") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"count must be positive, got {n}")
    return n


def port(text: str) -> int:
    try:
        n = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port '{text}'") from None
    if not 0 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"port {n} is out of range 0..65535")
    return n


def uarch(text: str) -> Uarch:
    """A microarchitecture, ``PRESET[,key=value...]`` (isa/uarch.py, docs/timing.md)."""
    try:
        return Uarch.parse(text)
    except UarchError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_uarch_argument(parser: argparse.ArgumentParser) -> None:
    """``--uarch``, the same for every command that takes it."""
    parser.add_argument("--uarch", type=uarch, default=IDEAL, metavar="PRESET[,KEY=VALUE...]",
                        help=f"microarchitecture: a preset ({', '.join(PRESETS)}) and keys icache, dcache "
                             "(off or SIZE:WAYS:LINE), mem (cycles), bp (none, btfn, bht:N), "
                             "mul (1, iter:BITS, pipe:STAGES); default ideal (docs/timing.md)")
