"""chainrv's top layer: the command line and the libraries that need more than one of
isa/, simulator/ and hdl/ -- the firmware toolchain, the kernel catalogue and
report, co-simulation (``chainrv.cosim``) and synthesis (``chainrv.synth``).
See docs/architecture.md."""

from pathlib import Path

#: The folder the packages were imported from: the checkout when running from one
#: (the tests read its other folders through it). Package code never reads from it:
#: an installed chainrv finds its files as package data (pyproject.toml).
ROOT = Path(__file__).resolve().parent.parent
