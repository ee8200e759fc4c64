"""An interrupted proof takes its solver down with it: SymbiYosys starts the solver in
a process group of its own, so ``sby.run`` kills the whole tree below the run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hdl.formal.sby import _kill_tree

# a parent that starts a child in a session of its own (as SymbiYosys starts a
# solver), writes the child's pid and waits
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
open(sys.argv[1], "w").write(str(child.pid))
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # (a zombie is dead, only not yet reaped)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_kill_tree_takes_down_a_child_in_its_own_session(tmp_path: Path) -> None:
    pidfile = tmp_path / "child"
    proc = subprocess.Popen([sys.executable, "-c", PARENT, str(pidfile)], start_new_session=True)
    try:
        for _ in range(200):
            if pidfile.exists() and pidfile.read_text():
                break
            time.sleep(0.05)
        child = int(pidfile.read_text())
        assert _alive(child)
        _kill_tree(proc.pid)
        proc.wait(timeout=10)
        for _ in range(100):
            if not _alive(child):
                break
            time.sleep(0.05)
        assert not _alive(child), "the child in its own session outlived the kill"
    finally:
        if proc.poll() is None:
            proc.kill()
        if pidfile.exists():
            try:
                os.kill(int(pidfile.read_text()), 9)
            except (OSError, ValueError):
                pass
