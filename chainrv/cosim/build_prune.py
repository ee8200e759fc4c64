"""Keep the RTL simulators' build cache (``<cache root>/cocotb``) within a size.

Every change to ``hdl/`` or ``isa/`` names new builds (their folders are keyed by a
hash of the source), and a design's Verilator or Icarus build takes tens to hundreds
of megabytes, so a cache that only grows fills a disk within days of RTL work. Each
use of a design's folder touches its ``.used`` marker; after a new build, the folders
least recently used are removed until the cache fits ``$CHAINRV_BUILD_CACHE_GB``
(default 8). A folder used within the last hour is never removed: a run of another
checkout may be using it.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

#: Marker touched in a design's folder each time one of its builds is used.
USED = ".used"
#: The size the cache is brought under after a new build, in GiB (environment override).
ENV = "CHAINRV_BUILD_CACHE_GB"
DEFAULT_GB = 8.0
#: Folders used more recently than this many seconds are kept whatever the size.
GRACE_SECONDS = 3600


def mark_used(design_folder: Path) -> None:
    """Record that a build in ``design_folder`` is in use now."""
    try:
        (design_folder / USED).touch()
    except OSError:
        pass  # an unwritable folder only loses its place in the order


def limit_bytes() -> int:
    """The cache's size limit from ``$CHAINRV_BUILD_CACHE_GB`` (a bad value: the default)."""
    try:
        gb = float(os.environ.get(ENV, DEFAULT_GB))
    except ValueError:
        gb = DEFAULT_GB
    return int(max(gb, 0.0) * (1 << 30))


def _size(folder: Path) -> int:
    total = 0
    for base, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(base, name)).st_size
            except OSError:
                pass
    return total


def _last_use(folder: Path) -> float:
    for path in (folder / USED, folder):
        try:
            return path.stat().st_mtime
        except OSError:
            pass
    return 0.0  # removed meanwhile (another worker's prune): nothing left to keep


def prune(root: Path, limit: int | None = None, now: float | None = None) -> list[Path]:
    """Remove the least recently used design folders under ``root`` until the rest
    fits ``limit`` bytes (default :func:`limit_bytes`); returns the folders removed."""
    limit = limit_bytes() if limit is None else limit
    now = time.time() if now is None else now
    try:
        folders = [p for p in root.iterdir() if p.is_dir() and not p.is_symlink()]
    except OSError:
        return []
    used = sorted(((_last_use(p), p) for p in folders), reverse=True)  # newest first
    total = 0
    removed = []
    for last, folder in used:
        size = _size(folder)
        if total + size <= limit or now - last < GRACE_SECONDS:
            total += size
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed
