"""docs/firmware.md's walkthrough, run as written: every command of its block, in an
empty folder, with ``chainrv`` on the PATH; then what the text says it gives."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chainrv.toolchain import GCC

ROOT = Path(__file__).resolve().parents[1]
MARK = "<!-- walkthrough:"

pytestmark = pytest.mark.skipif(shutil.which(GCC) is None, reason="no RISC-V GCC")


def walkthrough() -> str:
    text = (ROOT / "docs" / "firmware.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text[text.index(MARK):], re.S)
    assert block is not None
    return block.group(1)


def test_walkthrough_runs_as_written(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    p = subprocess.run(["bash", "-e", "-c", walkthrough()], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    out = p.stdout.splitlines()
    assert out.count("d9384dc5") >= 4 and "a4e5738c" in out       # FNV-1a, checked below
    assert "function (self)" in p.stderr and re.search(r"^fnv\.c:\d+ ", p.stderr, re.M)
    assert re.search(r"^fnv1a +\d+", p.stderr, re.M)
    assert "stall_icache=" in p.stderr
    trace = (tmp_path / "trace.txt").read_text().splitlines()
    assert trace and all("<fnv1a+" in ln and " fnv.c:" in ln for ln in trace)
    rows = json.loads((tmp_path / "report" / "report.json").read_text())
    assert [(r["kernel"], r["verified"]) for r in rows] == [("fnv1a", True)]
    assert "regression gate: 1 of 1 rows compared" in p.stdout


def fnv1a(data: bytes) -> str:
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return f"{h:08x}"


def test_the_walkthroughs_answers() -> None:
    """The hashes the walkthrough prints and its manifest expects, computed here."""
    assert fnv1a(bytes(i % 256 for i in range(4096))) == "d9384dc5"
    assert fnv1a(b"hello, chainrv") == "a4e5738c"
    assert '"expected_stdout": "d9384dc5\\n"' in walkthrough()
