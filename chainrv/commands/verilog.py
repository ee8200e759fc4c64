"""``chainrv verilog``: write the SoC as Verilog (Amaranth's bundled Yosys).

The output is checked (and its temporary file created) before the generation,
which takes tens of seconds, and replaces ``FILE.v`` only once it is whole.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..argtypes import add_uarch_argument, size
from ..errors import CliError
from ..isa_arg import rtl_isa
from ..outputs import atomic_file, check_file_target

HELP = "write the SoC (core with its caches, predictor and multiplier; RAM, UART, finisher, CLINT) as Verilog"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--isa", default="rv32im_zicsr_zk_zks",
                   help="ISA configuration, e.g. rv32im, rv32im_zbkb (default: %(default)s)")
    p.add_argument("--ram-size", type=size, default=1 << 20, metavar="BYTES",
                   help="RAM size, a power of two (default: 1M)")
    p.add_argument("--elf", type=Path, default=None,
                   help="bake this program into the RAM (default: load it at run time with +ram=FILE)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.v")
    add_uarch_argument(p)


def run(args: argparse.Namespace) -> int:
    from hdl.platform import check_ram_size
    from hdl.verilog import generate

    isa = rtl_isa(args.isa)
    try:
        check_ram_size(args.ram_size)
    except ValueError as e:
        raise CliError(str(e)) from None
    out: Path = args.output
    check_file_target(out)
    init = _program(args.elf, args.ram_size)
    try:
        # the temporary file beside ``out`` exists before the long generation
        with atomic_file(out) as f:
            f.write(generate(isa, args.ram_size, init, uarch=args.uarch))
    except OSError as e:
        raise CliError(f"cannot write {out}: {e.strerror}") from None
    return 0


def _program(elf: Path | None, ram_size: int) -> list[int] | None:
    """The RAM image of ``--elf``, or None (loaded at run time)."""
    from hdl.program import ProgramError, elf_to_words

    if elf is None:
        return None
    if not elf.is_file():
        raise CliError(f"no such file: {elf}")
    try:
        return elf_to_words(elf, ram_size)
    except (ProgramError, OSError) as e:
        raise CliError(str(e)) from None
    except Exception:
        raise CliError(f"{elf}: not an ELF file") from None
