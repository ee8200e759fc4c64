"""Content-hashed cache entries on disk: written atomically, checked when read, made again when damaged.

The caches of chainrv (docs/caches.md) -- the firmware runtime objects, the kernel
ELFs -- follow one set of rules, kept here:

* an entry's name carries a hash of everything it is made from (:func:`digest`), so
  an entry is never updated in place: changed inputs give a new name;
* an entry is made in a temporary file in its own folder and renamed into place
  (:func:`produce`), so a reader -- another process filling the same cache at the
  same moment included -- sees no file or a whole one, never a half-written one;
* an entry is checked before it is used (:func:`cached`); one that fails its check
  is made again in the same run: a damaged cache costs time, never a failed command;
* a cache folder that cannot be written is replaced by a private folder under the
  temporary folder, with one warning line (:func:`folder`).

Deleting any cache folder is therefore always safe. This module imports nothing of
the project, so that simulator/ and chainrv/ can share it.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import logging
import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

#: Environment variable naming the cache root (docs/caches.md).
ENV = "CHAINRV_CACHE_DIR"

#: What is wrong with the file at a path, or None when it is a good entry. A check may
#: raise OSError; that counts as damage too.
Check = Callable[[Path], "str | None"]
#: Writes an entry to the (temporary) path it is given.
Make = Callable[[Path], None]

#: Temporary files older than this in a cache folder were left by killed processes.
STALE_SECONDS = 24 * 3600

log = logging.getLogger("chainrv.cache")


class BadEntry(ValueError):
    """A freshly made entry failed its own check: the maker is at fault, not the cache."""


def cache_root() -> Path:
    """``$CHAINRV_CACHE_DIR``, else ``$XDG_CACHE_HOME/chainrv``, else ``~/.cache/chainrv``."""
    env = os.environ.get(ENV)
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "chainrv"


def digest(*parts: bytes | str, length: int = 16) -> str:
    """Hex SHA-256 of ``parts``; each is length-prefixed, so no two part lists collide."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:length]


# ---------------------------------------------------------------- entries

def problem(path: Path, check: Check) -> str | None:
    """What is wrong with the entry at ``path``: "missing", unreadable, or ``check``'s finding."""
    try:
        if not path.exists():
            return "missing"
        if not path.is_file():
            return "not a regular file"
        return check(path)
    except OSError as e:
        return f"unreadable ({e.strerror or e})"


def produce(path: Path, make: Make, check: Check, mode: int = 0o666) -> Path:
    """Make ``path`` in a temporary file beside it, check it, then rename it into place.

    Whatever was at ``path`` stays untouched when ``make`` raises or the result fails
    ``check`` (then :class:`BadEntry`). ``mode`` is masked by the umask, as for any
    newly created file.
    """
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    done = False
    try:
        make(tmp)
        bad = problem(tmp, check)
        if bad is not None:
            raise BadEntry(f"{path.name}: {bad}")
        os.chmod(tmp, mode & ~_umask())
        os.replace(tmp, path)
        done = True
    finally:
        if not done:
            tmp.unlink(missing_ok=True)
    return path


def cached(path: Path, make: Make, check: Check, mode: int = 0o666) -> Path:
    """``path`` when it passes ``check``; otherwise made again (:func:`produce`) now."""
    bad = problem(path, check)
    if bad is None:
        return path
    if bad != "missing":
        log.info("chainrv: cache entry %s is damaged (%s); making it again", path, bad)
        _remove(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep(path.parent)
    return produce(path, make, check, mode)


def _rmtree(path: Path) -> None:
    import shutil  # (its imports, compressors included, would cost every run's start-up)

    shutil.rmtree(path, ignore_errors=True)


def _remove(path: Path) -> None:
    """Clear the way for a new entry (a directory in its place included)."""
    if path.is_dir() and not path.is_symlink():
        _rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _sweep(folder: Path) -> None:
    """Delete temporary files that killed processes left behind (never a live one: too young)."""
    old = time.time() - STALE_SECONDS
    for tmp in folder.glob(".*.tmp"):
        try:
            if tmp.stat().st_mtime < old:
                tmp.unlink()
        except OSError:
            pass


@functools.cache
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------- folders

_warned: set[Path] = set()


def folder(preferred: Path, name: str) -> Path | None:
    """``preferred`` (created, and proven writable); when that fails, ``name`` under a
    private temporary folder, with one warning line; None when nothing can be written."""
    try:
        return writable(preferred)
    except OSError as e:
        why = (e.strerror or str(e)).lower()
    private = _private_root()
    fallback = None if private is None else private / name
    if preferred not in _warned:
        _warned.add(preferred)
        log.warning("chainrv: warning: cache folder %s is not usable (%s); %s", preferred, why,
                    f"using {fallback}" if fallback else "working without a cache")
    if fallback is None:
        return None
    try:
        return writable(fallback)
    except OSError:
        return None


def cache_folder(name: str) -> Path | None:
    """The cache folder ``name`` under :func:`cache_root` (see :func:`folder`)."""
    return folder(cache_root() / name, name)


def writable(path: Path) -> Path:
    """``path``, created and proven writable; OSError when it is not."""
    path.mkdir(parents=True, exist_ok=True)
    tempfile.TemporaryFile(dir=path).close()  # a folder can exist and still refuse files
    return path


def _private_root() -> Path | None:
    """``$TMPDIR/chainrv-cache-<uid>`` when it is a folder only this user can enter
    (so later runs reuse it), else a fresh folder removed when the process ends."""
    uid = os.getuid()
    shared = Path(tempfile.gettempdir()) / f"chainrv-cache-{uid}"
    try:
        shared.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(shared)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == uid and not st.st_mode & 0o077:
            return shared
    except OSError:
        pass
    try:
        fresh = Path(tempfile.mkdtemp(prefix="chainrv-cache-"))
    except OSError:
        return None
    atexit.register(_rmtree, fresh)
    return fresh
