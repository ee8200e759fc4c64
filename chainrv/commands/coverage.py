"""``chainrv coverage``: functional coverage of programs run on the ISS (docs/coverage.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from isa.memmap import RAM_BASE, RAM_SIZE
from simulator import SimError
from simulator.elfload import read_elf

from ..argtypes import add_uarch_argument, positive
from ..errors import CliError
from ..isa_arg import parse_isa
from ..outputs import check_file_target, write_text_atomic

HELP = "measure functional coverage (instructions, operands, branches, traps, CSRs, hazards) on the ISS"

DEFAULT_ISA = "rv32im_zicsr_zk_zks"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("elf", nargs="*", metavar="ELF", help="programs to run (each to its end)")
    parser.add_argument("--random", type=positive, metavar="N",
                        help="also run N random programs of isa/randprog.py (seeds SEED..SEED+N-1)")
    parser.add_argument("--seed", type=int, default=0, metavar="SEED", help="first random seed (default 0)")
    parser.add_argument("--blocks", type=positive, default=20, metavar="N",
                        help="blocks per random program (default 20)")
    parser.add_argument("--isa", default=DEFAULT_ISA,
                        help=f"ISA configuration the programs run under and the bins derive from "
                             f"(default {DEFAULT_ISA})")
    add_uarch_argument(parser)
    parser.add_argument("--max-instructions", type=positive, metavar="N",
                        help="stop each ELF after N instructions (its records so far count)")
    parser.add_argument("--json", metavar="FILE", help="write every bin's count as JSON")


def run(args: argparse.Namespace) -> int:
    from ..coverage import Coverage, table, to_json

    config = parse_isa(args.isa)
    if not args.elf and not args.random:
        raise CliError("nothing to measure: give ELF files or --random N")
    json_path = check_file_target(Path(args.json)) if args.json else None
    elfs = []
    for name in args.elf:
        try:
            elfs.append((name, read_elf(name, RAM_BASE, RAM_SIZE)))
        except SimError as e:
            raise CliError(str(e)) from None
    cov = Coverage(config, args.uarch)
    for name, elf in elfs:
        cov.run(elf, name, max_instructions=args.max_instructions)
    for seed in range(args.seed, args.seed + (args.random or 0)):
        cov.run_random(seed, blocks=args.blocks)
    print(f"coverage of {cov.programs} program(s), {cov.sampler.records:,} records, "
          f"ISA {config.short_name()}, uarch {args.uarch}")
    print(table(cov.model))
    for line in cov.failed:
        print(f"chainrv: warning: {line}", file=sys.stderr)
    if json_path is not None:
        write_text_atomic(json_path, to_json(cov.model, {
            "programs": cov.programs, "records": cov.sampler.records,
            "elfs": args.elf, "random": args.random or 0, "seed": args.seed, "blocks": args.blocks}))
    return 0
