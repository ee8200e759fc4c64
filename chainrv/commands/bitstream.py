"""``chainrv bitstream``: the SoC with a program in block RAM, as a bitstream for a board.

Everything that can be refused (board, ISA, microarchitecture, RAM size, the ELF and
whether it fits, the output) is checked before the minutes of synthesis; the output
replaces ``FILE`` only once the bitstream is whole (docs/fpga.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..argtypes import add_uarch_argument, size
from ..errors import CliError
from ..outputs import atomic_file, check_file_target, probe_writable

HELP = "build an FPGA bitstream of the SoC with a program in its RAM, for ULX3S or iCEBreaker"

BOARD_NAMES = ("ulx3s-25f", "ulx3s-85f", "icebreaker")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--board", required=True, metavar="BOARD", help=f"one of {', '.join(BOARD_NAMES)}")
    p.add_argument("--elf", type=Path, required=True, metavar="PROGRAM",
                   help="the program to preload into the RAM (linked as chainrv build links)")
    p.add_argument("--isa", help="ISA configuration of the core (default: the one the ELF records, "
                                 "else rv32im)")
    add_uarch_argument(p)
    p.add_argument("--ram-size", type=size, metavar="BYTES",
                   help="block RAM behind the program, a power of two (default: the largest the board's "
                        "FPGA holds)")
    p.add_argument("--clock", type=float, metavar="MHZ",
                   help="run the SoC at MHZ through the FPGA's PLL (the fastest setting at or below it; "
                        "default: the board oscillator, 25 MHz on ULX3S, 12 MHz on iCEBreaker)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE",
                   help="bitstream to write (.bit for ULX3S, .bin for iCEBreaker)")
    p.add_argument("--cache", type=Path, metavar="DIR",
                   help="cache of tool runs (default: synth/ in the cache folder, docs/caches.md)")


def run(args: argparse.Namespace) -> int:
    from ..bitstream import BOARDS

    board = BOARDS.get(args.board)
    if board is None:
        raise CliError(f"unknown board '{args.board}' (choose from {', '.join(BOARDS)})")
    ram_size = _ram_size(args.ram_size, board)
    words, arch = _program(args.elf, ram_size)
    isa = _core_isa(args.isa, arch, args.elf)
    clock = _clock(board, args.clock)
    if check_file_target(args.output) == args.elf.resolve():
        raise CliError(f"the output {args.output} would overwrite the program")
    if args.cache is not None:
        probe_writable(args.cache)
    try:
        # the temporary file beside the output exists before the long run
        with atomic_file(args.output, binary=True) as f:
            result = _build(board, isa, args.uarch, ram_size, words, clock, args.cache)
            f.write(result.path.read_bytes())  # type: ignore[arg-type]
    except OSError as e:
        raise CliError(f"cannot write {args.output}: {e.strerror}") from None
    _summary(board, result, clock, ram_size, len(words) * 4, args.output)
    return 0


def _clock(board, mhz: float | None):
    """The board oscillator's MHz and no PLL, or the PLL's plan for ``--clock``."""
    from ..bitstream.pll import plan_pll
    from ..synth import SynthError

    osc = board.make_platform().default_clk_frequency / 1e6
    if mhz is None or mhz == osc:
        return osc, None
    if not 1 <= mhz <= 1000:           # NaN fails too
        raise CliError(f"--clock {mhz:g} must be a clock from 1 to 1000 MHz")
    try:
        return osc, plan_pll(board.family, osc, mhz)
    except SynthError as e:
        raise CliError(f"--clock {mhz:g}: {e}") from None


def _ram_size(requested: int | None, board) -> int:
    from hdl.platform import check_ram_size

    if requested is None:
        return board.ram_size
    try:
        check_ram_size(requested)
    except ValueError as e:
        raise CliError(str(e)) from None
    if requested > board.ram_size:
        raise CliError(f"--ram-size {requested} is more block RAM than {board.name} holds "
                       f"(at most {board.ram_size})")
    return requested


def _core_isa(requested: str | None, arch: str | None, elf: Path):
    """The core's ISA: ``--isa``, else the ELF's; refused when the ELF was compiled for
    extensions the core lacks (their instructions would trap, with no one to see it)."""
    from isa.config import IsaConfig, IsaError

    from ..isa_arg import rtl_isa

    try:
        compiled = IsaConfig.from_arch_attribute(arch) if arch else None
    except IsaError as e:
        raise CliError(f"{elf}: the ISA it records ({arch}) is not one chainrv builds: {e}") from None
    isa = rtl_isa(requested or (str(compiled) if compiled else "rv32im"))
    missing = sorted(compiled.extensions - isa.extensions) if compiled else []
    if missing:
        raise CliError(f"{elf} was compiled for {compiled.short_name()}, which a core built for "
                       f"{isa.short_name()} lacks ({', '.join(missing)}): give --isa {compiled.short_name()}")
    return isa


def _program(elf: Path, ram_size: int) -> tuple[list[int], str | None]:
    """The RAM image of the ELF (checked against the 1 MiB region programs are linked
    for), refused when code and data do not fit the board's RAM."""
    from hdl.program import ProgramError, elf_to_words
    from isa.memmap import RAM_BASE, RAM_SIZE
    from simulator.elfload import read_elf
    from simulator.errors import SimError

    if not elf.is_file():
        raise CliError(f"no such file: {elf}")
    try:
        words = elf_to_words(elf, RAM_SIZE)
        loaded = read_elf(elf, RAM_BASE, RAM_SIZE)
        end = max(addr + memsz for addr, _data, memsz in loaded.segments)
    except (ProgramError, SimError, OSError) as e:
        raise CliError(str(e)) from None
    except Exception:
        raise CliError(f"{elf}: not an ELF file") from None
    used = end - RAM_BASE
    if used > ram_size:
        raise CliError(f"{elf}: code and data take {used} bytes, the board's RAM has {ram_size}")
    return words, loaded.arch


def _build(board, isa, uarch, ram_size: int, words: list[int], clock, cache: Path | None):
    from hdl.board import BoardTop

    from ..bitstream import TimingError, build
    from ..synth import DEFAULT_CACHE, SynthError
    from ..synth.step_cache import usable_folder

    osc, pll = clock
    mhz = pll.out_mhz if pll else osc
    try:
        top = BoardTop(isa, ram_size, words, mhz * 1e6, uarch=uarch, leds=board.leds,
                       pll=(pll.family, pll.params) if pll else None)
        return build(board, top, mhz, usable_folder(cache or DEFAULT_CACHE),
                     key=f"{isa} {uarch.items()} {ram_size}")
    except ValueError as e:
        raise CliError(str(e)) from None
    except SynthError as e:
        raise CliError(f"{board.name}: {e}", status=1 if isinstance(e, TimingError) else 2) from None


def _summary(board, result, clock, ram_size: int, image: int, out: Path) -> None:
    util = ", ".join(f"{k} {v['used']}/{v['available']}" for k, v in result.utilization.items()
                     if k in ("TRELLIS_COMB", "TRELLIS_FF", "DP16KD", "MULT18X18D", "ICESTORM_LC",
                              "ICESTORM_RAM", "ICESTORM_DSP"))
    how = "cached" if result.cached else f"{result.seconds:.0f} s"
    print(f"{out}: {board.name}, {out.stat().st_size} bytes ({how})")
    osc, pll = clock
    source = f"PLL from the {osc:g} MHz oscillator" if pll else "board oscillator"
    print(f"clock {result.clock_mhz:g} MHz ({source}), Fmax {result.fmax_mhz:g} MHz")
    print(f"program image {image} of {ram_size} bytes of RAM; {util}")
    print(f"load: {board.loader.replace('FILE.bit', str(out)).replace('FILE.bin', str(out))}")
