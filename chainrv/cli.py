"""``chainrv`` entry point: dispatches to one module per subcommand.

Each module in ``chainrv.commands`` defines ``HELP``, ``add_arguments(parser)``
and ``run(args) -> int``. Expected failures raise :class:`CliError`; the user
sees one line and a defined exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import CliError

COMMANDS = ("build", "run", "report", "verilog", "cosim", "synth")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's usage errors exit 2 too
        self.exit(2, f"chainrv: {message}\n")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chainrv", description="RISC-V crypto accelerator simulator")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMANDS:
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


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        status = args._run(args)
    except CliError as e:
        sys.stdout.flush()
        print(f"chainrv: {e}", file=sys.stderr)
        status = e.status
    except KeyboardInterrupt:
        print("chainrv: interrupted", file=sys.stderr)
        status = 130
    except BrokenPipeError:
        status = 1
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
