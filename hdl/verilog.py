"""Verilog generation of the SoC with Amaranth's bundled Yosys.

The RAM's initial block is replaced by a ``$readmemh`` of the file named by
the ``+ram=FILE`` plusarg, so one Verilog build (and one compiled simulator)
serves every program: ``hdl.program.write_ram_hex`` makes that file from an
ELF.
"""

from __future__ import annotations

import re

from amaranth.back import verilog

from isa.config import IsaConfig

from .platform import RAM_SIZE_DEFAULT
from .soc import RAM_NAME, SoC

TOP = "chainrv_soc"

_RAM_DECL = re.compile(
    r"(?P<decl>[ \t]*reg \[31:0\] " + RAM_NAME + r" \[(?P<top>\d+):0\];\n)"
    r"(?P<init>[ \t]*initial begin\n(?:[ \t]*" + RAM_NAME + r"\[\d+\] = 32'd0;\n)*[ \t]*end\n)?")

_LOADER = """\
  initial begin : ram_load
    reg [8*1024-1:0] ram_file;
    integer i;
    for (i = 0; i < {depth}; i = i + 1) {name}[i] = 32'd0;
    if ($value$plusargs("ram=%s", ram_file)) $readmemh(ram_file, {name});
  end
"""


def make_loadable(text: str) -> str:
    """Swap the RAM's zero initialisation for a plusarg-driven ``$readmemh``."""
    match = _RAM_DECL.search(text)
    if match is None:
        raise RuntimeError(f"RAM array '{RAM_NAME}' not found in the generated Verilog")
    loader = _LOADER.format(name=RAM_NAME, depth=int(match["top"]) + 1)
    return text[:match.start()] + match["decl"] + loader + text[match.end():]


def generate(isa: IsaConfig | str = "rv32im_zicsr_zk_zks", ram_size: int = RAM_SIZE_DEFAULT,
             init: list[int] | None = None) -> str:
    """The SoC as Verilog (top module ``chainrv_soc``, clock ``clk``, reset ``rst``).

    With ``init`` the program is baked into the RAM; without it the RAM loads
    from ``+ram=FILE`` at time 0.
    """
    soc = SoC(IsaConfig.parse(isa), ram_size, init)
    text = verilog.convert(soc, name=TOP, strip_internal_attrs=True)
    return text if init else make_loadable(text)
