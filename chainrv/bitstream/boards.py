"""The boards ``chainrv bitstream`` builds for (docs/fpga.md).

Pins, the oscillator and the device come from amaranth-boards' platform classes;
what is ours is the RAM that fits the device's block RAM, the LED roles
(``hdl.board.LED_ROLES``) and how the bitstream is packed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Board:
    name: str
    platform: str          # "module:Class" of amaranth-boards
    family: str            # ice40 or ecp5 (chainrv.synth's names)
    device: str            # chainrv.synth.pnr.DEVICES' name of the FPGA
    ram_size: int          # bytes of block RAM behind the program (a power of two)
    leds: tuple[str, ...]  # the role of each LED resource, in order
    loader: str            # the command that loads the bitstream into the FPGA's SRAM

    def make_platform(self):
        module, cls = self.platform.split(":")
        return getattr(importlib.import_module(module), cls)()

    @property
    def packer(self) -> str:
        return "ecppack" if self.family == "ecp5" else "icepack"


# RAM sizes: the SoC's RAM has an instruction read port and a data read/write port.
# ECP5 block RAM (DP16KD) is true dual-port, so the RAM takes one copy of 1 KiB per
# DP16KD as Yosys maps it (32 bits with byte enables); the iCE40's SB_RAM40_4K has one
# read and one write port, so each read port gets its own copy of the RAM.
_ULX3S_LEDS = ("run", "pass", "fail", "code0", "code1", "code2", "code3", "code4")
BOARDS: dict[str, Board] = {
    "ulx3s-25f": Board("ulx3s-25f", "amaranth_boards.ulx3s:ULX3S_25F_Platform", "ecp5", "25k",
                       32 << 10, _ULX3S_LEDS, "openFPGALoader -b ulx3s FILE.bit"),
    "ulx3s-85f": Board("ulx3s-85f", "amaranth_boards.ulx3s:ULX3S_85F_Platform", "ecp5", "85k",
                       128 << 10, _ULX3S_LEDS, "openFPGALoader -b ulx3s FILE.bit"),
    # led 0 is the red LED, led 1 the green one
    "icebreaker": Board("icebreaker", "amaranth_boards.icebreaker:ICEBreakerPlatform", "ice40", "up5k",
                        4 << 10, ("fail", "run_pass"), "iceprog -S FILE.bin"),
}
