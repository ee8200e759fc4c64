"""The designs the cocotb tests build: single units, a bank of all units, the SoC."""


from amaranth import Module, Signal
from amaranth.back import verilog
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from chainrv.cosim.harness import Design
from hdl.units import COMB_UNITS
from hdl.units.base import CombUnit
from hdl.units.divider import Divider

UNITS: dict[str, type[CombUnit]] = {u.__name__.lower(): u for u in COMB_UNITS}


def unit_design(name: str) -> Design:
    cls = UNITS[name]
    return Design(f"unit_{name}", f"unit_{name}",
                  lambda: verilog.convert(cls(), name=f"unit_{name}", strip_internal_attrs=True))


class UnitBank(wiring.Component):
    """Every combinational unit behind one port set, results ORed (as in the core)."""

    op: In(7)
    a: In(32)
    b: In(32)
    imm: In(32)
    pc: In(32)
    c: In(32)
    result: Out(32)

    def elaborate(self, platform):
        m = Module()
        acc = Signal(32)
        for cls in COMB_UNITS:
            unit = cls()
            m.submodules[cls.__name__.lower()] = unit
            m.d.comb += [unit.op.eq(self.op), unit.a.eq(self.a), unit.b.eq(self.b), unit.imm.eq(self.imm)]
            if hasattr(unit, "pc"):
                m.d.comb += unit.pc.eq(self.pc)
            if hasattr(unit, "c"):
                m.d.comb += unit.c.eq(self.c)
            acc = acc | unit.result
        m.d.comb += self.result.eq(acc)
        return m


def bank_design() -> Design:
    return Design("unit_bank", "unit_bank",
                  lambda: verilog.convert(UnitBank(), name="unit_bank", strip_internal_attrs=True))


def divider_design() -> Design:
    return Design("divider", "divider",
                  lambda: verilog.convert(Divider(), name="divider", strip_internal_attrs=True))


def soc_design(isa: str = "rv32im_zicsr_zk_zks", ram_size: int = 256 * 1024) -> Design:
    from hdl.verilog import TOP, generate

    return Design(f"soc_{isa}_{ram_size}", TOP, lambda: generate(isa, ram_size),
                  {"isa": isa, "ram_size": ram_size})
