"""``chainrv cosim``: run an ELF on the RTL in lockstep with the ISS (docs/lockstep.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import ROOT
from ..errors import CliError
from ..isa_arg import rtl_isa

HELP = "run an ELF on the RTL (Icarus or Verilator) in lockstep with the ISS, cycle for cycle"

#: Exit statuses (docs/lockstep.md).
EXIT_OK, EXIT_MISMATCH, EXIT_USAGE, EXIT_NO_FINISH = 0, 1, 2, 3


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("elf", metavar="ELF", help="RV32 little-endian executable")
    p.add_argument("--sim", choices=("icarus", "verilator"), default="verilator",
                   help="HDL simulator (default: %(default)s; Icarus runs ~1k cycles/s, for small programs)")
    p.add_argument("--isa", default="rv32im_zicsr_zk_zks",
                   help="ISA configuration of both the core and the ISS (default: %(default)s)")
    p.add_argument("--input", type=Path, metavar="FILE",
                   help="kernel input block, written at 0x800C0000 as by 'chainrv run --input'")
    p.add_argument("--waves", type=Path, metavar="FILE",
                   help="write a waveform (FST) of the RTL run to FILE")
    p.add_argument("--max-cycles", type=int, default=200_000_000, metavar="N",
                   help="stop the RTL after N cycles (default: %(default)s)")


def run(args: argparse.Namespace) -> int:

    elf: Path = args.elf if isinstance(args.elf, Path) else Path(args.elf)
    if not elf.is_file():
        raise CliError(f"no such file: {elf}")
    isa = rtl_isa(args.isa)
    data = None
    if args.input is not None:
        try:
            data = args.input.read_bytes()
        except OSError as e:
            raise CliError(f"cannot read input file {args.input}: {e.strerror}") from None
    if args.waves is not None and not args.waves.resolve().parent.is_dir():
        raise CliError(f"no such directory for the waveform: {args.waves.parent}")
    if args.max_cycles <= 0:
        raise CliError(f"--max-cycles must be positive, got {args.max_cycles}")

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from cocotb_tests import harness
    from cocotb_tests.lockstep import lockstep, quiet
    from simulator import SimError

    if not harness.have_sim(args.sim):
        raise CliError(f"{args.sim} is not installed (see 'make setup')")
    log = ROOT / "build" / "cosim" / f"{elf.stem}-{args.sim}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        with quiet(log):     # the simulator's own messages go to the log, not the program's output
            out = lockstep(elf, isa, args.sim, input_bytes=data, waves=args.waves,
                           max_cycles=args.max_cycles)
    except SimError as e:
        raise CliError(str(e)) from None
    except AssertionError as e:
        raise CliError(f"the {args.sim} simulation failed ({e}); log: {log}", EXIT_MISMATCH) from None

    sys.stdout.buffer.write(out.rtl.uart)
    sys.stdout.flush()
    rtl_cycles = int(out.rtl.records["cycle"][-1]) + 1 if len(out.rtl.records) else 0
    speed = f"{out.rtl.cycles_per_second:,.0f} cycles/s on {args.sim}"
    if not out.ok:
        print(out.report, file=sys.stderr)
        if args.waves:
            print(f"waveform: {args.waves}", file=sys.stderr)
        return EXIT_MISMATCH
    if out.iss.stop != "exit":
        print(f"cosim: in lockstep for {out.compared} records, but the program did not reach the "
              f"finisher: {out.iss.trap}", file=sys.stderr)
        return EXIT_NO_FINISH
    print(f"cosim: in lockstep: {out.compared} records, {rtl_cycles} cycles on both, "
          f"exit code {out.iss.exit_code} ({speed})", file=sys.stderr)
    return EXIT_OK
