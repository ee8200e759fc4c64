"""Cached tool runs (docs/caches.md): the folder ``<step>-<hash of its inputs>`` holds
one run's inputs, logs and ``result.json``.

A run works in a private folder that is renamed into place when it succeeds, so
concurrent runs of one step never share files and a reader finds a whole step or
none; a result that cannot be read or is not of the step's shape is run again; a
failed run's folder is kept as ``<step>.failed`` for its logs. An entry is a folder,
not a file, so it is made here rather than by ``simulator.diskcache.produce``; the
names, the hash and the fallback for an unusable cache folder are diskcache's.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from simulator import diskcache

from .results import SynthError

#: The checkout's folder, as the designs' source locations name it: left out of the
#: keys, so that two checkouts of the same sources share their tool runs.
_ROOT = str(Path(__file__).resolve().parents[2]) + os.sep


def usable_folder(cache_dir: Path) -> Path:
    """``cache_dir``, or a private folder (one warning line) when it cannot be written."""
    folder = diskcache.folder(cache_dir, "synth")
    if folder is None:
        raise SynthError(f"no folder can be written for the tool runs ({cache_dir})")
    return folder


class Step:
    """One tool run, cached under ``cache_dir`` by ``name`` and a hash of ``key_parts``;
    ``valid`` says whether a ``result.json`` read back has the step's shape."""

    def __init__(self, cache_dir: Path, name: str, key_parts: list[str], valid: Callable[[object], bool]):
        parts = [p.replace(_ROOT, "") for p in key_parts]
        self.dir = cache_dir / f"{name}-{diskcache.digest(name, *parts, length=20)}"
        self.done = self.dir / "result.json"
        self.valid = valid

    def run(self, inputs: dict[str, str], produce: Callable[[Path], dict]) -> tuple[dict, float, bool]:
        """The cached result, or ``produce(folder)`` run in a fresh folder holding ``inputs``
        (file name -> text) and published; with the run's seconds and whether it was cached."""
        hit = self._cached()
        if hit is not None:
            return hit, 0.0, True
        with self._work() as work:
            for name, text in inputs.items():
                (work / name).write_text(text)
            t0 = time.perf_counter()
            data = produce(work)
            return self._publish(work, data), round(time.perf_counter() - t0, 1), False

    def _cached(self) -> dict | None:
        try:
            data = json.loads(self.done.read_text())
        except (OSError, ValueError):
            return None
        return data if self.valid(data) else None

    @contextmanager
    def _work(self) -> Iterator[Path]:
        self.dir.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=self.dir.parent, prefix=f".{self.dir.name}.", suffix=".tmp"))
        try:
            yield work
        except BaseException:
            _put_dir(work, self.dir.with_name(self.dir.name + ".failed"))
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)  # gone already unless another run won

    def _publish(self, work: Path, data: dict) -> dict:
        (work / "result.json").write_text(json.dumps(data, indent=1) + "\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(work, 0o777 & ~umask)  # a folder like any other, not mkdtemp's private one
        _put_dir(work, self.dir)
        return data


def _put_dir(src: Path, dst: Path) -> None:
    """Rename the folder ``src`` to ``dst``, setting a previous ``dst`` aside first; when
    another run's folder got there first, ``src`` stays (its result is the same)."""
    try:
        os.rename(src, dst)
        return
    except OSError:
        pass
    old = dst.with_name(f".{dst.name}.{os.getpid()}.old")
    try:
        os.rename(dst, old)
        os.rename(src, dst)
    except OSError:
        pass
    if old.is_dir():
        shutil.rmtree(old, ignore_errors=True)
    else:
        old.unlink(missing_ok=True)
