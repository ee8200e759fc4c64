"""Functional units of the core, one per file.

``COMB_UNITS`` lists the single-cycle units that share the
:class:`~hdl.units.base.CombUnit` interface; the core instantiates those that
the ISA configuration enables (:func:`comb_units_for`) and ORs their results.
"""

from __future__ import annotations

from isa.config import IsaConfig

from .alu import ALU
from .base import CombUnit
from .multiplier import Multiplier
from .shifter import Shifter
from .xchain import Xchain
from .zbkb import Zbkb
from .zbkc import Zbkc
from .zbkx import Zbkx
from .zknd import Zknd
from .zkne import Zkne
from .zknh import Zknh
from .zksed import Zksed
from .zksh import Zksh

COMB_UNITS: tuple[type[CombUnit], ...] = (ALU, Shifter, Multiplier, Zbkb, Zbkc, Zbkx,
                                          Zknh, Zksh, Zkne, Zknd, Zksed, Xchain)


def comb_units_for(config: IsaConfig) -> list[type[CombUnit]]:
    """The combinational units a core with ``config`` needs."""
    return [u for u in COMB_UNITS if u.enabled(config)]
