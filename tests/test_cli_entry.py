"""The console script (``chainrv.cli.entry``): the collector paused while a command's
modules load, running again while the command runs (a long sweep must not keep its
garbage), and ``main``'s ``loaded`` hook called between the two."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chainrv import cli
from isa.asm import assemble
from isa.elfwriter import make_elf
from isa.memmap import RAM_BASE

# the finisher's pass code, written at once
TINY = "li t0, 0x100000\nli t1, 0x5555\nsw t1, 0(t0)\n"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    elf = tmp_path / "tiny.elf"
    elf.write_bytes(make_elf([(RAM_BASE, assemble(TINY))], RAM_BASE))
    return elf


def test_loaded_runs_after_the_command_is_loaded_and_before_it_runs(tiny: Path, monkeypatch) -> None:
    events: list[str] = []
    import chainrv.commands.run as run_command

    real = run_command.run

    def spy(args) -> int:
        events.append("run")
        return real(args)

    monkeypatch.setattr(run_command, "run", spy)
    assert cli.main(["run", str(tiny)], loaded=lambda: events.append("loaded")) == 0
    assert events == ["loaded", "run"]


SPY = """
import gc, sys
import chainrv.commands.run as r
real = r.run
def spy(args):
    print("collector", "on" if gc.isenabled() else "off", file=sys.stderr)
    return real(args)
r.run = spy
from chainrv.cli import entry
sys.argv = ["chainrv", "run", sys.argv[1]]
print("before", "on" if gc.isenabled() else "off", file=sys.stderr)
status = entry()
print("after", "frozen" if gc.get_freeze_count() else "not frozen", file=sys.stderr)
sys.exit(status)
"""


def test_entry_collects_again_while_the_command_runs(tiny: Path) -> None:
    p = subprocess.run([sys.executable, "-c", SPY, str(tiny)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    lines = p.stderr.splitlines()
    assert lines[0] == "before on"
    assert "collector on" in lines
    assert lines[-1] == "after frozen"


def test_python_m_runs_the_entry(tiny: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "chainrv.cli", "run", "--stats", str(tiny)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    words = len(assemble(TINY)) // 4  # (straight-line: each word retires once)
    assert p.stderr.startswith(f"instructions={words} "), p.stderr
