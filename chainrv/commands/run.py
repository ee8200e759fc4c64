"""``chainrv run``: run an ELF on the instruction-set simulator."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from simulator import Machine, SimError, format_records
from simulator.machine import RunResult

from ..errors import CliError

HELP = "run an RV32 ELF on the instruction-set simulator (UART to stdout, exit status = the program's)"

#: Exit statuses besides the program's own (see docs/simulator.md).
EXIT_TRAP = 3
EXIT_LIMIT = 124


def _size(text: str) -> int:
    m = re.fullmatch(r"\s*(0x[0-9a-fA-F]+|\d+)\s*([kKmM]?)(i?[bB]?)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"invalid size '{text}' (e.g. 1048576, 0x100000, 1M)")
    n = int(m.group(1), 0) * {"": 1, "k": 1 << 10, "m": 1 << 20}[m.group(2).lower()]
    return n


def _positive(text: str) -> int:
    try:
        n = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid count '{text}'") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"count must be positive, got {n}")
    return n


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("elf", metavar="ELF", help="RV32 little-endian executable")
    parser.add_argument("--isa", default="rv32im_zicsr_zk_zks",
                        help="ISA configuration; instructions of other extensions are illegal "
                             "(default: rv32im_zicsr_zk_zks)")
    parser.add_argument("--max-instructions", type=_positive, metavar="N",
                        help="stop after N instructions (exit status 124)")
    parser.add_argument("--trace", metavar="FILE",
                        help="write one line per retired instruction: cycle, pc, word, disassembly, "
                             "register write, memory access")
    parser.add_argument("--stats", action="store_true",
                        help="print 'instructions=N cycles=N seconds=F mips=F jit_seconds=F' on stderr")
    parser.add_argument("--profile", action="store_true",
                        help="print cycles, instructions and stalls per function on stderr")
    parser.add_argument("--profile-json", metavar="FILE",
                        help="write the profile as JSON (implies profiling)")
    parser.add_argument("--input", metavar="FILE", help="kernel input block data, written at 0x800C0000")
    parser.add_argument("--ram-size", type=_size, default=1 << 20, metavar="BYTES",
                        help="RAM size (default: 1M)")


def _write_trace(m: Machine, path: str, limit: int | None) -> RunResult:
    try:
        f = open(path, "w")  # noqa: SIM115 - closed below, kept open across chunks
    except OSError as e:
        raise CliError(f"cannot write trace file {path}: {e.strerror}", 2) from None
    with f:
        for recs in m.iter_trace(limit, stdout=sys.stdout.buffer):
            f.write("\n".join(format_records(recs)) + "\n")
    assert m.result is not None
    return m.result


def run(args: argparse.Namespace) -> int:
    try:
        m = Machine(args.isa, args.ram_size)
        m.load_elf(args.elf)
        if args.input is not None:
            try:
                data = Path(args.input).read_bytes()
            except OSError as e:
                raise CliError(f"{args.input}: {e.strerror.lower() if e.strerror else e}", 2) from None
            m.set_input(data)
    except SimError as e:
        raise CliError(str(e), 2) from None
    profile = args.profile or args.profile_json is not None
    if args.trace:
        res = _write_trace(m, args.trace, args.max_instructions)
    else:
        res = m.run(args.max_instructions, stdout=sys.stdout.buffer, profile=profile)
    sys.stdout.flush()
    if args.stats:
        print(f"instructions={res.instret} cycles={res.cycles} seconds={res.seconds:.6f} "
              f"mips={res.mips:.2f} jit_seconds={res.jit_seconds:.3f}", file=sys.stderr)
    if res.profile is not None:
        if args.profile:
            print(res.profile.table(), file=sys.stderr)
        if args.profile_json:
            try:
                Path(args.profile_json).write_text(json.dumps(res.profile.to_json(), indent=1) + "\n")
            except OSError as e:
                raise CliError(f"cannot write {args.profile_json}: {e.strerror}", 2) from None
    if res.stop == "exit":
        assert res.exit_code is not None
        return res.exit_code & 0xFF
    if res.stop == "limit":
        raise CliError(res.trap or "instruction limit reached", EXIT_LIMIT)
    raise CliError(res.trap or "the program stopped", EXIT_TRAP)
