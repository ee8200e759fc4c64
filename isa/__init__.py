"""The instruction set: one table, and everything derived from it."""

from .config import FULL, RV32IM, IsaConfig, IsaError
from .encoding import Decoded, decode, encode, lookup
from .table import BY_NAME, INSNS, Insn

__all__ = ["BY_NAME", "FULL", "INSNS", "RV32IM", "Decoded", "Insn", "IsaConfig",
           "IsaError", "decode", "encode", "lookup"]
