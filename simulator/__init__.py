"""The chainrv instruction-set simulator (Numba), see docs/simulator.md."""

from .errors import SimError
from .machine import Machine, RunResult, run_elf
from .trace import RVFI_DTYPE, format_records

__all__ = ["RVFI_DTYPE", "Machine", "RunResult", "SimError", "format_records", "run_elf"]
