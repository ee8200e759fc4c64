"""``chainrv run``: run an ELF on the instruction-set simulator."""

from __future__ import annotations

import argparse
import errno
import sys
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

import numpy as np

from isa.config import IsaConfig, IsaError
from isa.memmap import RAM_BASE, input_data
from simulator import Machine, SimError, format_records
from simulator import state as S
from simulator.elfload import LoadedElf, read_elf
from simulator.machine import SLICE, RunResult
from simulator.srclines import LineTable
from simulator.trace import SymbolMap

from ..argtypes import add_uarch_argument, port, positive, size
from ..errors import CliError
from ..outputs import atomic_file, check_file_target, write_bytes_atomic, write_text_atomic

if TYPE_CHECKING:  # (json, select and socket serve two options: off the start-up path)
    import socket

HELP = "run an RV32 ELF on the instruction-set simulator (UART to stdout, exit status = the program's)"

#: The ISA of an ELF that records none (docs/simulator.md).
DEFAULT_ISA = "rv32im_zicsr_zk_zks"

#: Exit statuses besides the program's own (see docs/simulator.md).
EXIT_TRAP = 3
EXIT_LIMIT = 124


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("elf", metavar="ELF", help="RV32 little-endian executable")
    parser.add_argument("--isa",
                        help="ISA configuration; instructions of other extensions are illegal "
                             f"(default: the one the ELF records in .riscv.attributes, else {DEFAULT_ISA})")
    add_uarch_argument(parser)
    parser.add_argument("--max-instructions", type=positive, metavar="N",
                        help="stop after N instructions (exit status 124)")
    parser.add_argument("--trace", metavar="FILE",
                        help="write one line per retired instruction: cycle, pc, word, disassembly, "
                             "register write, memory access, stall cycles by cause ('-': standard output)")
    parser.add_argument("--trace-only", action="append", metavar="FUNC|START:END",
                        help="with --trace or --pipeview: only instructions in function FUNC or at pc in "
                             "[START, END) (repeatable)")
    parser.add_argument("--pipeview", metavar="FILE",
                        help="write the pipeline view: every instruction's stages, wrong-path fetches and "
                             "stalls as a Kanata log for the Konata viewer (docs/pipeview.md)")
    parser.add_argument("--gdb", type=port, metavar="PORT",
                        help="serve the GDB remote protocol on localhost:PORT (0: any free port; "
                             "see docs/debugging.md)")
    parser.add_argument("--gdb-wait", action="store_true",
                        help="with --gdb: wait for gdb to connect before the first instruction")
    parser.add_argument("--stats", action="store_true",
                        help="print 'instructions=N cycles=N seconds=F mips=F jit_seconds=F', the cache "
                             "and predictor counters and the stall cycles by cause on stderr")
    parser.add_argument("--profile", action="store_true",
                        help="print cycles, instructions and stalls per function on stderr")
    parser.add_argument("--profile-lines", action="store_true",
                        help="also print cycles, instructions and stalls per source line (needs -g)")
    parser.add_argument("--annotate", action="append", default=[], metavar="FUNC|START:END",
                        help="print each instruction of a function (or address range) with its count, "
                             "cycles, stalls by cause and source line on stderr (implies profiling; "
                             "repeatable)")
    parser.add_argument("--profile-json", metavar="FILE",
                        help="write the profile as JSON (implies profiling)")
    parser.add_argument("--profile-speedscope", metavar="FILE",
                        help="write cycles by call stack as a speedscope file (docs/profiling.md)")
    parser.add_argument("--input", metavar="FILE",
                        help="kernel input: data, or a whole input block (header included, as QEMU's "
                             "loader takes it), written at 0x800C0000 (data longer than 131,064 bytes at "
                             "0x80100000, which needs a larger --ram-size: docs/platform.md)")
    parser.add_argument("--ram-size", type=size, default=1 << 20, metavar="BYTES",
                        help="RAM size (default: 1M)")
    parser.add_argument("--dump", action="append", default=[], metavar="SYMBOL=FILE|ADDR:LEN=FILE",
                        help="after the run, write a data object of the program (or LEN bytes of RAM at "
                             "ADDR) to FILE: a program's results beyond standard output (repeatable)")


def _dumps(specs: list[str], elf: LoadedElf, ram_size: int) -> list[tuple[int, int, Path]]:
    """``--dump`` specs as (address, length, file), every one checked before the run."""
    out = []
    for spec in specs:
        what, eq, file = spec.rpartition("=")
        if not eq or not what or not file:
            raise CliError(f"--dump: '{spec}' is not SYMBOL=FILE or ADDR:LEN=FILE", 2)
        if ":" in what:
            a, _, n = what.partition(":")
            try:
                addr, length = int(a, 0), int(n, 0)
            except ValueError:
                raise CliError(f"--dump: invalid range '{what}' (ADDR:LEN)", 2) from None
        else:
            sym = next((o for o in elf.objects if o.name == what), None)
            if sym is None:
                raise CliError(f"--dump: no data object '{what}' in the ELF's symbols", 2)
            addr, length = sym.addr, sym.size
        if length <= 0 or addr < RAM_BASE or addr + length > RAM_BASE + ram_size:
            raise CliError(f"--dump: {what} ({length} bytes at {addr:#x}) is not a range of RAM", 2)
        check_file_target(Path(file))  # before the run, not after it
        out.append((addr, length, Path(file)))
    return out


def _trace_ranges(symbols: SymbolMap, specs: list[str], elf_data: bytes = b"",
                  option: str = "--trace-only") -> list[tuple[int, int]]:
    ranges = []
    for spec in specs:
        if ":" in spec:
            lo, _, hi = spec.partition(":")
            try:
                start, end = int(lo, 0), int(hi, 0)
            except ValueError:
                raise CliError(f"{option}: invalid range '{spec}' (START:END)",
                               2) from None
            if end <= start:
                raise CliError(f"{option}: empty range '{spec}'", 2)
            ranges.append((start, end))
        else:
            found = symbols.find(spec)
            if found is None:
                hint = ""
                if f"\0{spec}\0".encode() in elf_data:  # named in the debug information
                    hint = (" (the compiler inlined or removed it: give it __attribute__((noinline)), "
                            "or trace its caller)")
                raise CliError(f"{option}: no function '{spec}' in the ELF's symbols{hint}", 2)
            ranges.append(found)
    return ranges


class _ClosedStream:
    """Standard output when the process was started with it closed: the first
    write fails like a write to a closed descriptor."""

    def write(self, data: bytes) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass


class StdoutError(Exception):
    """Writing the program's output to standard output failed."""


class _Stdout:
    """The program's output stream: standard output, with its write errors told
    apart from those of the trace file."""

    def __init__(self) -> None:
        self._out: BinaryIO = sys.stdout.buffer if sys.stdout is not None else _ClosedStream()

    def write(self, data: bytes) -> int:
        try:
            return self._out.write(data)
        except OSError as e:
            raise StdoutError(e.strerror or str(e)) from None

    def flush(self) -> None:
        try:
            self._out.flush()
        except OSError as e:
            raise StdoutError(e.strerror or str(e)) from None


def _write_trace(m: Machine, path: str, limit: int | None, only: list[str] | None,
                 out: _Stdout, lines: LineTable | None = None, elf_data: bytes = b"") -> RunResult:
    symbols = SymbolMap(m.functions)
    ranges = _trace_ranges(symbols, only, elf_data) if only else []
    if path == "-":  # standard output, between the program's own output, in order
        return _trace_to(m, _StdoutText(out), limit, ranges, symbols, out, lines)
    try:
        f = open(path, "w")  # noqa: SIM115 - closed below, kept open across chunks
    except OSError as e:
        raise CliError(f"cannot write trace file {path}: {e.strerror}", 2) from None
    try:
        with f:
            return _trace_to(m, f, limit, ranges, symbols, out, lines)
    except OSError as e:  # a full disk or an I/O error on the trace file
        raise CliError(f"cannot write trace file {path}: {e.strerror or e}", 2) from None


class _StdoutText:
    """Trace text into the program's output stream (bytes), so that the two keep their order."""

    def __init__(self, out: _Stdout) -> None:
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write(text.encode())


def _trace_to(m: Machine, f: TextIO | _StdoutText, limit: int | None, ranges: list[tuple[int, int]],
              symbols: SymbolMap, out: _Stdout, lines: LineTable | None = None) -> RunResult:
    """Run in trace mode, writing the text trace (docs/simulator.md) to ``f``."""
    for recs, stalls in m.iter_trace(limit, stdout=out, stalls=True):
        if ranges:
            pc = recs["pc_rdata"]
            keep = np.zeros(len(recs), bool)
            for lo, hi in ranges:
                keep |= (pc >= lo) & (pc < hi)
            recs, stalls = recs[keep], stalls[keep]
        if len(recs):
            f.write("\n".join(format_records(recs, symbols, stalls, lines)) + "\n")
    assert m.result is not None
    return m.result


def _write_speedscope(m: Machine, path: str, limit: int | None, out: _Stdout, elf: str) -> RunResult:
    from simulator.callgraph import build_call_tree

    tree = build_call_tree(m.iter_trace(limit, stdout=out, stalls=True), m.functions)
    write_text_atomic(Path(path), tree.speedscope_json(Path(elf).name))
    assert m.result is not None
    return m.result


def _write_pipeview(m: Machine, path: str, limit: int | None, only: list[str] | None, out: _Stdout,
                    elf_data: bytes) -> RunResult:
    from simulator.pipeview import write_iss_pipeview

    ranges = _trace_ranges(SymbolMap(m.functions), only, elf_data) if only else []
    try:
        with atomic_file(Path(path)) as f:   # made before the run: an unwritable path fails first
            return write_iss_pipeview(m, f, lambda pc: not ranges or any(lo <= pc < hi for lo, hi in ranges),
                                      limit, out)
    except OSError as e:
        raise CliError(f"cannot write pipeline view {path}: {e.strerror or e}", 2) from None


def _listen(port: int) -> socket.socket:
    from simulator.gdbserver import listen  # (only with --gdb: kept off the start-up path)

    try:
        return listen(port)
    except OSError as e:
        why = "address already in use" if e.errno == errno.EADDRINUSE else (e.strerror or str(e)).lower()
        raise CliError(f"cannot listen on port {port}: {why}", 2) from None


def _run_gdb(m: Machine, port: int, wait: bool, out: _Stdout) -> RunResult:
    """Serve gdb; returns the run's result, or raises CliError(…, 0) when gdb
    killed the run or disconnected before the program ended."""
    import select
    import socket

    from simulator.debug import MachineTarget
    from simulator.gdbserver import GdbServer

    target = MachineTarget(m, out)
    with _listen(port) as sock:
        port = sock.getsockname()[1]
        print(f"chainrv: gdb server listening on localhost:{port}"
              + (", waiting for gdb" if wait else ""), file=sys.stderr, flush=True)
        if not wait:
            # like QEMU's -s: run at once; gdb attaching stops the program
            while not select.select([sock], [], [], 0)[0]:
                r = m.run_slots(SLICE, out)
                if r != S.R_SLICE:
                    return m.result(r)
        conn, _ = sock.accept()
    with conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ended = GdbServer(target, conn).serve()
    if ended == "detach" or target.reason is not None:
        return target.finish(out)
    raise CliError(f"gdb {'killed the run' if ended == 'kill' else 'disconnected'} at pc {m.pc:#010x} "
                   f"after {int(m.st[S.INSTRET])} instructions, {int(m.st[S.CYC]) + 1} cycles", 0)


def stats_line(res: RunResult) -> str:
    """The --stats line: counts, speed, the cache and predictor counters (zero for a unit
    that is off), then the stall cycles by cause (``stall_CAUSE=N``)."""
    fields = {"instructions": res.instret, "cycles": res.cycles, "seconds": f"{res.seconds:.6f}",
              "mips": f"{res.mips:.2f}", "jit_seconds": f"{res.jit_seconds:.3f}", **res.counters,
              **{f"stall_{k}": v for k, v in res.stalls.items()}}
    return " ".join(f"{k}={v}" for k, v in fields.items())


def elf_isa(name: str, arch: str | None) -> str:
    """The ISA a run takes from the ELF (its ``Tag_RISCV_arch``), or DEFAULT_ISA."""
    if arch is None:
        return DEFAULT_ISA
    try:
        return str(IsaConfig.from_arch_attribute(arch))
    except IsaError as e:
        raise CliError(f"{name}: the ISA it records ({arch}) is not one chainrv runs: {e}; "
                       "give --isa", 2) from None


def run(args: argparse.Namespace) -> int:
    try:
        elf = read_elf(args.elf, RAM_BASE, args.ram_size)
        m = Machine(args.isa or elf_isa(args.elf, elf.arch), args.ram_size, args.uarch)
        m.load_elf(elf)
        if args.input is not None:
            try:
                data = Path(args.input).read_bytes()
            except OSError as e:
                raise CliError(f"{args.input}: {e.strerror.lower() if e.strerror else e}", 2) from None
            m.set_input(input_data(data))
    except SimError as e:
        raise CliError(str(e), 2) from None
    profile = args.profile or args.profile_lines or args.profile_json is not None or bool(args.annotate)
    annotate = [(spec, *r) for spec in args.annotate
                for r in _trace_ranges(SymbolMap(m.functions), [spec], elf.data, "--annotate")]
    lines = LineTable.from_elf(elf.data) if args.trace or args.profile_lines or annotate else None
    if args.profile_lines and lines is None:
        raise CliError(f"--profile-lines: {args.elf} has no line information (build it with -g)", 2)
    if args.gdb_wait and args.gdb is None:
        raise CliError("--gdb-wait needs --gdb PORT", 2)
    if args.trace_only and not (args.trace or args.pipeview):
        raise CliError("--trace-only needs --trace FILE or --pipeview FILE", 2)
    if args.pipeview and (args.trace or profile or args.gdb is not None or args.profile_speedscope):
        raise CliError("--pipeview cannot be combined with --trace, --profile, --profile-speedscope or --gdb "
                       "(it runs in trace mode: run twice)", 2)
    if args.gdb is not None and (args.trace or profile or args.max_instructions):
        raise CliError("--gdb cannot be combined with --trace, --profile or --max-instructions", 2)
    if args.trace and profile:  # the trace variant keeps no per-PC counters: run twice instead
        raise CliError("--trace cannot be combined with --profile, --profile-lines, --profile-json or "
                       "--annotate", 2)
    if args.profile_speedscope and (args.trace or profile or args.gdb is not None):
        raise CliError("--profile-speedscope cannot be combined with --trace, --profile or --gdb "
                       "(it runs in trace mode: run twice)", 2)
    dumps = _dumps(args.dump, elf, args.ram_size)
    for target in (args.profile_json, args.profile_speedscope):
        if target:
            check_file_target(Path(target))  # before the run, not after it
    out = _Stdout()
    try:
        if args.gdb is not None:
            res = _run_gdb(m, args.gdb, args.gdb_wait, out)
        elif args.profile_speedscope:
            res = _write_speedscope(m, args.profile_speedscope, args.max_instructions, out, args.elf)
        elif args.pipeview:
            res = _write_pipeview(m, args.pipeview, args.max_instructions, args.trace_only, out, elf.data)
        elif args.trace:
            res = _write_trace(m, args.trace, args.max_instructions, args.trace_only, out, lines, elf.data)
        else:
            res = m.run(args.max_instructions, stdout=out, profile=profile)
        out.flush()
    except StdoutError as e:
        raise CliError(f"cannot write standard output: {e}", 2) from None
    for addr, length, file in dumps:  # whatever the stop: a trapped program's data tells why
        write_bytes_atomic(file, m.read_mem(addr, length))
    if args.stats:
        print(stats_line(res), file=sys.stderr)
    if res.profile is not None:
        if args.profile:
            print(res.profile.table(), file=sys.stderr)
        if args.profile_lines:
            assert lines is not None
            print(res.profile.by_line(lines).table(), file=sys.stderr)
        for spec, start, end in annotate:
            print(res.profile.annotate(spec, start, end, m.word, lines), file=sys.stderr)
        if args.profile_json:
            import json

            write_text_atomic(Path(args.profile_json), json.dumps(res.profile.to_json(), indent=1) + "\n")
    if res.stop == "exit":
        assert res.exit_code is not None
        return res.exit_code & 0xFF
    if res.stop == "limit":
        raise CliError(res.trap or "instruction limit reached", EXIT_LIMIT)
    raise CliError(res.trap or "the program stopped", EXIT_TRAP)
