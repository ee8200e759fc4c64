"""The ``chainrv`` command line: a thin layer over isa/, simulator/ and hdl/."""

from pathlib import Path

#: The project checkout (firmware/ and kernels/ are read from here).
ROOT = Path(__file__).resolve().parent.parent
