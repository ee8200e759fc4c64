"""The dispatches in simulator/loop.py and simulator/blocks.py are what
``python -m simulator.codegen`` writes today, the files are ruff-clean, and a loop
whose dispatch is of another table refuses to load."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from simulator import codegen


@pytest.mark.parametrize("path", [codegen.LOOP, codegen.BLOCKS], ids=lambda p: p.name)
def test_loop_is_what_the_generator_writes(path) -> None:
    text = path.read_text(encoding="utf-8")
    assert codegen.render(text, path) == text, "out of date: run .venv/bin/python -m simulator.codegen"


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff not installed")
@pytest.mark.parametrize("path", [codegen.LOOP, codegen.BLOCKS], ids=lambda p: p.name)
def test_loop_is_formatted_and_clean(path) -> None:
    for cmd in (["format", "--check"], ["check"]):
        p = subprocess.run([sys.executable, "-m", "ruff", *cmd, path], capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr


def test_dispatch_of_another_table_is_refused() -> None:
    text = codegen.LOOP.read_text(encoding="utf-8")
    stale = text.replace('"lui auipc ', '"auipc lui ', 1)
    assert stale != text
    module = {"__name__": "simulator.stale_loop", "__package__": "simulator"}
    with pytest.raises(ImportError, match="python -m simulator.codegen"):
        exec(compile(stale, str(codegen.LOOP), "exec"), module)
