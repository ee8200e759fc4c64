"""``chainrv bitstream``: the SoC with a program in block RAM, for a real FPGA board
(docs/fpga.md). ``boards`` names the boards, ``flow`` runs the tools."""

from .boards import BOARDS, Board
from .flow import Bitstream, TimingError, build

__all__ = ["BOARDS", "Bitstream", "Board", "TimingError", "build"]
