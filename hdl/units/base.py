"""The interface shared by the combinational execution units.

A unit computes ``result`` for the instructions named in ``NAMES`` and drives
0 for every other ``op``: the core ORs all unit results together, so routing
is nothing but the op id that the decoder produced.
"""


from amaranth.hdl import Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from isa.table import BY_NAME


def op_id(name: str) -> int:
    return BY_NAME[name].op


class CombUnit(wiring.Component):
    """``op`` (table op id), ``a`` = x[rs1], ``b`` = x[rs2], ``imm`` -> ``result``."""

    #: Instruction names this unit implements (the core routes by them).
    NAMES: tuple[str, ...] = ()
    #: Extensions that must be enabled for the unit to be generated.
    EXTS: tuple[str, ...] = ()

    op: In(7)
    a: In(32)
    b: In(32)
    imm: In(32)
    result: Out(32)

    def is_op(self, *names: str) -> Value:
        """True when ``op`` is one of ``names``."""
        return self.op.matches(*(op_id(n) for n in names))

    @classmethod
    def enabled(cls, config) -> bool:
        return any(ext in config for ext in cls.EXTS)

    @classmethod
    def active_names(cls, config) -> tuple[str, ...]:
        return tuple(n for n in cls.NAMES if BY_NAME[n].ext in config)
