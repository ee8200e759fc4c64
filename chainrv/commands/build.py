"""``chainrv build``: compile C/asm with the firmware runtime into an ELF."""

from __future__ import annotations

import argparse

from ..toolchain import build_elf

HELP = "compile C/asm sources with the firmware runtime into a platform ELF"


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


def run(args: argparse.Namespace) -> int:
    build_elf(args.sources, args.output, isa=args.isa, opt=args.opt, defines=args.defines,
              debug=args.debug)
    return 0
