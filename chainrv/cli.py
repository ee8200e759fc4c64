"""``chainrv`` entry point: dispatches to one module per subcommand.

Each module in ``chainrv.commands`` defines ``HELP``, ``add_arguments(parser)``
and ``run(args) -> int``. Expected failures raise :class:`CliError`; the user
sees one line and a defined exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Callable

from .errors import CliError

# numpy's BLAS starts a thread per core at import and chainrv does no linear algebra:
# the threads cost start-up and, spinning, the ISS's time on a small machine
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

COMMANDS = ("build", "run", "report", "verilog", "cosim", "synth", "explore", "coverage",
            "bitstream")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's usage errors exit 2 too
        self.exit(2, f"chainrv: {one_line(message)}\n")


def make_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given the command line, only its command's module is imported (the
    others' imports would cost a short ``chainrv run`` most of its start-up)."""
    parser = _Parser(prog="chainrv", description="RISC-V crypto accelerator simulator")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    first = next((a for a in argv if not a.startswith("-")), None) if argv else None
    for name in (first,) if first in COMMANDS else COMMANDS:
        try:
            mod = importlib.import_module(f"chainrv.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"chainrv.commands.{name}":
                continue
            raise
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None, loaded: Callable[[], None] = lambda: None) -> int:
    """Run one command line; ``loaded`` is called once its command's modules are loaded."""
    if argv is None:
        argv = sys.argv[1:]
    args = make_parser(argv).parse_args(argv)
    loaded()
    try:
        status = args._run(args)
    except CliError as e:
        _flush_stdout()
        print(f"chainrv: {one_line(str(e))}", file=sys.stderr)
        status = e.status
    except KeyboardInterrupt:
        print("chainrv: interrupted", file=sys.stderr)
        status = 130
    except BrokenPipeError:
        status = 1
    if not _flush_stdout() and status == 0:
        print("chainrv: cannot write standard output", file=sys.stderr)
        status = 2
    return status


def one_line(text: str) -> str:
    """``text`` with line breaks and other unprintable characters (a file name may
    hold any) escaped, so that an error message stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _flush_stdout() -> bool:
    """Flush standard output; on a write error (a full disk, a closed pipe) point
    it at /dev/null so that the interpreter's own flush at exit stays silent."""
    if sys.stdout is None:
        return True
    try:
        sys.stdout.flush()
        return True
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return False


def entry() -> int:
    """``main`` as a process of its own (the console script, ``python -m chainrv.cli``).
    The collector is paused while the command's modules load: they allocate much and
    free nothing, so each collection would only walk them again. What is left at exit
    is frozen, so the interpreter's last collections skip it too. Together about a
    sixth of a warm ``chainrv run`` of a small program (docs/simulator.md)."""
    gc.disable()
    try:
        return main(loaded=_collect_from_here)
    finally:
        gc.freeze()


def _collect_from_here() -> None:
    gc.freeze()
    gc.enable()


if __name__ == "__main__":
    sys.exit(entry())
