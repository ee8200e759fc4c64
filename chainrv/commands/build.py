"""``chainrv build``: compile C/asm with the firmware runtime into an ELF."""

from __future__ import annotations

import argparse
import shlex
import sys

from ..errors import CliError
from ..toolchain import BuildError, build_elf

HELP = "compile C/asm sources with the firmware runtime into a platform ELF"

#: Lines of a failing tool's output shown before the one-line error.
MAX_DETAIL_LINES = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", nargs="+", metavar="SRC", help="C (.c) or assembly (.S, .s) sources")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.elf", help="ELF file to write")
    parser.add_argument("--isa", default="rv32im",
                        help="ISA configuration, e.g. rv32im, rv32im_zbkb, rv32im_zicsr_zk_zks "
                             "(default: rv32im)")
    parser.add_argument("-O", dest="opt", default="2", metavar="LEVEL",
                        help="optimisation level: 0 1 2 3 s z g fast (default: 2)")
    parser.add_argument("-g", dest="debug", action="store_true", help="include debug information")
    parser.add_argument("-D", dest="defines", action="append", default=[], metavar="NAME[=VAL]",
                        help="define a preprocessor macro (repeatable)")
    parser.add_argument("-I", dest="include_dirs", action="append", default=[], metavar="DIR",
                        help="add DIR to the include search path (repeatable)")
    parser.add_argument("--cflags", default="", metavar="FLAGS",
                        help="more compiler flags in one shell-quoted string: --cflags='-Wextra -O3'")
    parser.add_argument("--ldflags", default="", metavar="FLAGS",
                        help="more link flags in one shell-quoted string: --ldflags=-Wl,--defsym=X=1")
    parser.add_argument("--map", metavar="FILE", help="write the linker's map to FILE")


def _split(option: str, text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as e:
        raise CliError(f"{option}: {e}", 2) from None


def _show(said: str) -> None:
    lines = said.rstrip("\n").splitlines()
    if len(lines) > MAX_DETAIL_LINES:
        lines = [*lines[:MAX_DETAIL_LINES], f"... ({len(lines) - MAX_DETAIL_LINES} more lines)"]
    if lines:
        print("\n".join(lines), file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    warnings: list[str] = []
    try:
        build_elf(args.sources, args.output, isa=args.isa, opt=args.opt, defines=args.defines,
                  debug=args.debug, extra_cflags=_split("--cflags", args.cflags),
                  include_dirs=args.include_dirs, ldflags=_split("--ldflags", args.ldflags),
                  map_file=args.map, warnings=warnings)
    except BuildError as e:
        for said in [*warnings, e.details]:  # the tools' own words, then the one-line error
            _show(said)
        raise
    for said in warnings:
        _show(said)
    return 0
