"""The RTL simulators' build cache keeps within its size: least recently used first,
never a folder used within the grace period."""

from __future__ import annotations

import os
from pathlib import Path

from chainrv.cosim import build_prune
from chainrv.cosim.harness import build_once

MB = 1 << 20
NOW = 1_000_000_000.0


def _design(root: Path, name: str, size: int, used_ago: float) -> Path:
    folder = root / name
    (folder / "verilator-x").mkdir(parents=True)
    (folder / "verilator-x" / "Vtop").write_bytes(b"\0" * size)
    marker = folder / build_prune.USED
    marker.touch()
    os.utime(marker, (NOW - used_ago, NOW - used_ago))
    return folder


def test_least_recently_used_go_first(tmp_path: Path) -> None:
    days = 86400.0
    a = _design(tmp_path, "a", 3 * MB, 1 * days)    # newest
    b = _design(tmp_path, "b", 3 * MB, 2 * days)
    c = _design(tmp_path, "c", 3 * MB, 3 * days)
    d = _design(tmp_path, "d", 3 * MB, 4 * days)    # oldest
    removed = build_prune.prune(tmp_path, limit=7 * MB, now=NOW)
    assert sorted(p.name for p in removed) == ["c", "d"]
    assert a.exists() and b.exists() and not c.exists() and not d.exists()


def test_recent_use_is_kept_over_the_limit(tmp_path: Path) -> None:
    recent = _design(tmp_path, "recent", 5 * MB, 60.0)     # used a minute ago
    older = _design(tmp_path, "older", 5 * MB, 30 * 60.0)  # half an hour ago
    old = _design(tmp_path, "old", 5 * MB, 2 * 3600.0)     # two hours ago
    removed = build_prune.prune(tmp_path, limit=1 * MB, now=NOW)
    assert removed == [old]
    assert recent.exists() and older.exists()


def test_the_limit_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv(build_prune.ENV, "0.5")
    assert build_prune.limit_bytes() == 512 * MB
    monkeypatch.setenv(build_prune.ENV, "lots")
    assert build_prune.limit_bytes() == int(build_prune.DEFAULT_GB * (1 << 30))


def test_a_new_build_prunes_and_a_reused_one_does_not(tmp_path: Path, monkeypatch) -> None:
    stale = _design(tmp_path, "stale", 2 * MB, 3 * 86400.0)
    monkeypatch.setenv(build_prune.ENV, "0.001")           # about 1 MB
    fresh = tmp_path / "fresh" / "icarus"
    build_once("fresh", fresh, lambda: (fresh / "sim.vvp").write_bytes(b"x"))
    assert not stale.exists()                                 # the new build made room
    assert (fresh.parent / build_prune.USED).exists()         # and marked its design used
    stale2 = _design(tmp_path, "stale2", 2 * MB, 3 * 86400.0)
    build_once("fresh", fresh, lambda: None)                  # stamped already: reused
    assert stale2.exists()
