"""Verilog generation of the SoC with Amaranth's bundled Yosys.

Without a program the RAM is the Verilog module ``hdl.soc.RAM_VERILOG``,
appended to the output: it loads the ``$readmemh`` file named by the
``+ram=FILE`` plusarg at time 0, so one Verilog build (and one compiled
simulator) serves every program (``hdl.program.write_ram_hex`` makes that
file from an ELF), and its size is a parameter, so any RAM size generates in
seconds.
"""

from __future__ import annotations

from amaranth.back import verilog

from isa.config import IsaConfig
from isa.memmap import RAM_SIZE
from isa.uarch import Uarch

from .soc import RAM_VERILOG, SoC

TOP = "chainrv_soc"


def generate(isa: IsaConfig | str = "rv32im_zicsr_zk_zks", ram_size: int = RAM_SIZE,
             init: list[int] | None = None, uarch: Uarch | str | None = None) -> str:
    """The SoC as Verilog (top module ``chainrv_soc``, clock ``clk``, reset ``rst``).

    With ``init`` the program is baked into the RAM; without it the RAM loads
    from ``+ram=FILE`` at time 0.
    """
    soc = SoC(IsaConfig.parse(isa), ram_size, init, external_ram=not init, uarch=uarch)
    text = verilog.convert(soc, name=TOP, strip_internal_attrs=True)
    return text if init else text + "\n" + RAM_VERILOG
