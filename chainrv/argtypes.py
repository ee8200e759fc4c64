"""Argument types shared by the commands: one spelling of sizes, counts and ports."""

from __future__ import annotations

import argparse
import re

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
