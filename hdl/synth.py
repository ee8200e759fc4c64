"""The designs that synthesis reads (docs/synth.md), as RTLIL.

* ``CoreTop``: the core with its memory ports and timer inputs, the trace port
  left open, so that synthesis drops the logic that only fed it; its units are
  submodules (``chainrv_core.core.<unit>``), counted apart.
* ``FpgaTop``: the SoC with a small RAM (block RAM on an FPGA), only the UART and
  the finisher reaching pins.

Both are built for a microarchitecture (``isa.uarch``; default ideal): its caches,
predictor and multiplier are units of the core like any other.

Running Yosys and nextpnr on them is the ``chainrv.synth`` package's part.
"""

from __future__ import annotations

import fnmatch

from amaranth import Module
from amaranth.back import rtlil
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from isa.config import IsaConfig
from isa.uarch import Uarch

from .buses import DBusSignature, IBusSignature
from .core import Core
from .soc import SoC

CORE_TOP = "chainrv_core"
FPGA_TOP = "chainrv_fpga"
FPGA_RAM_SIZE = 4096


class CoreTop(wiring.Component):
    """The core with its memory ports and timer inputs; the trace port is left open."""

    def __init__(self, config: IsaConfig, uarch: Uarch | str | None = None):
        self.config = config
        self.uarch = Uarch.parse(uarch)
        super().__init__({"ibus": Out(IBusSignature), "dbus": Out(DBusSignature),
                          "mtip": In(1), "mtime": In(64)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = core = Core(self.config, uarch=self.uarch)
        wiring.connect(m, wiring.flipped(self.ibus), core.ibus)
        wiring.connect(m, wiring.flipped(self.dbus), core.dbus)
        m.d.comb += [core.mtip.eq(self.mtip), core.mtime.eq(self.mtime)]
        return m


class FpgaTop(wiring.Component):
    """The SoC with a small RAM; only the UART and finisher reach pins."""

    def __init__(self, config: IsaConfig, ram_size: int = FPGA_RAM_SIZE, uarch: Uarch | str | None = None):
        self.config, self.ram_size = config, ram_size
        self.uarch = Uarch.parse(uarch)
        super().__init__({"uart_valid": Out(1), "uart_data": Out(8),
                          "finish_valid": Out(1), "finish_code": Out(16)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.soc = soc = SoC(self.config, self.ram_size, uarch=self.uarch)
        m.d.comb += [self.uart_valid.eq(soc.uart_valid), self.uart_data.eq(soc.uart_data),
                     self.finish_valid.eq(soc.finish_valid), self.finish_code.eq(soc.finish_code)]
        return m


def core_rtlil(config: IsaConfig, uarch: Uarch | str | None = None) -> str:
    return rtlil.convert(CoreTop(config, uarch), name=CORE_TOP)


#: Units the placed design keeps as modules of their own (``keep_hierarchy``; names as
#: ``fnmatch`` patterns). The decoder and the load-use rule work on the word that the
#: block RAM returns late in ID, and IF and ID wait on the rule; flattened into the
#: core, the logic mapper (which does not know the RAM's read delay) trades their depth
#: for area against the core's longer paths. The copies of the forwarding selects
#: (``units/fwdsel.py``, ``fwd_<group>_<operand>``) are equal flip-flops that Yosys
#: would merge back into one within a module.
KEEP_APART = ("decoder", "hazard", "fwd_*")


def keep_apart(il: str, units: tuple[str, ...] = KEEP_APART) -> str:
    """``il`` with ``keep_hierarchy`` on the modules of ``units``."""
    out = []
    for line in il.splitlines(keepends=True):
        name = line.split()[1].rsplit(".", 1)[-1] if line.startswith("module \\") else None
        if name is not None and any(fnmatch.fnmatchcase(name, p) for p in units):
            out.append("attribute \\keep_hierarchy 1\n")
        out.append(line)
    return "".join(out)


def fpga_rtlil(config: IsaConfig, uarch: Uarch | str | None = None) -> str:
    return keep_apart(rtlil.convert(FpgaTop(config, uarch=uarch), name=FPGA_TOP))
