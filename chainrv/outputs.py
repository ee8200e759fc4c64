"""Output files and folders that are either the old version or the new one, never half.

* :func:`atomic_file`: the destination is checked (and a temporary file made
  beside it) *before* the caller spends time generating; the temporary file
  replaces the destination with ``os.replace`` only when everything is written.
* :func:`replace_dir`: a folder written whole into a temporary sibling and
  swapped into place at the end (``renameat2(RENAME_EXCHANGE)`` where the
  kernel has it, else two renames); leftovers of killed runs are healed by the
  next one.
* :class:`InterruptGuard`: SIGINT that cannot be lost in a finalizer.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from .errors import CliError


def _umask_mode(base: int) -> int:
    mask = os.umask(0)
    os.umask(mask)
    return base & ~mask


# ---------------------------------------------------------------- files

def check_file_target(path: Path) -> Path:
    """The real path to write ``path`` through (symlinks followed), or a
    one-line error when it cannot be written: a folder, no parent folder."""
    real = Path(os.path.realpath(path))
    if real.is_dir():
        raise CliError(f"output is a directory: {path}")
    if not real.parent.is_dir():
        what = "not a directory" if real.parent.exists() else "no such directory"
        raise CliError(f"{what}: {path.parent}")
    return real


@contextlib.contextmanager
def atomic_file(path: Path, binary: bool = False) -> Iterator[TextIO]:
    """A text (or ``binary``) file to write ``path``'s new content into; it replaces ``path``
    only if the ``with`` block ends normally. The temporary file is created on
    entry, so an unwritable destination fails before any work is done.

    A destination that exists and is not a regular file (``/dev/stdout``, a
    FIFO) is written in place: it cannot be replaced, and needs not be."""
    real = check_file_target(path)
    if real.exists() and not stat.S_ISREG(real.stat().st_mode):
        with _opened(path, lambda: open(real, "wb" if binary else "w")) as f:
            yield f
        return
    fd, tmp = _opened(path, lambda: tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".tmp"))
    try:
        with os.fdopen(fd, "wb" if binary else "w") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())     # the content is on disk before the name points at it
        # an existing file keeps its mode; a new one gets a plain write's, not mkstemp's 0600
        os.chmod(tmp, stat.S_IMODE(real.stat().st_mode) if real.exists() else _umask_mode(0o666))
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _opened(path: Path, opener):
    try:
        return opener()
    except OSError as e:
        raise CliError(f"cannot write {path}: {e.strerror}") from None


def write_text_atomic(path: Path, text: str) -> None:
    """``path.write_text(text)``, atomically, with a one-line error."""
    try:
        with atomic_file(path) as f:
            f.write(text)
    except OSError as e:
        raise CliError(f"cannot write {path}: {e.strerror}") from None


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """``path.write_bytes(data)``, atomically, with a one-line error."""
    try:
        with atomic_file(path, binary=True) as f:
            f.write(data)  # type: ignore[arg-type]
    except OSError as e:
        raise CliError(f"cannot write {path}: {e.strerror}") from None


# ---------------------------------------------------------------- folders

def probe_writable(directory: Path) -> None:
    """Fail now, not after minutes of work, when ``directory`` (or, when it does
    not exist yet, its nearest existing ancestor) cannot take a new entry.
    Permission bits are not enough: root ignores them, read-only mounts do not."""
    anchor = directory
    while not anchor.exists() and anchor != anchor.parent:
        anchor = anchor.parent
    if not anchor.is_dir():
        raise CliError(f"not a directory: {anchor}")
    try:
        os.rmdir(tempfile.mkdtemp(dir=anchor, prefix=".chainrv-probe-"))
    except OSError as e:
        raise CliError(f"cannot write in {anchor}: {e.strerror}") from None


def _leftover_re(name: str) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(name)}\.(new|old)-(\d+)-\w+")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _rmtree(path: Path, ignore_errors: bool = False) -> None:
    import shutil  # (folder outputs only: its imports would cost every run's start-up)

    shutil.rmtree(path, ignore_errors=ignore_errors)


def heal_leftovers(target: Path) -> None:
    """Remove what killed runs left beside ``target``; a killed run that had
    already moved the old folder away (two-rename fallback) gets it back."""
    pattern = _leftover_re(target.name)
    for entry in sorted(target.parent.iterdir()):
        m = pattern.fullmatch(entry.name)
        if not m or _alive(int(m.group(2))):
            continue
        if m.group(1) == "old" and not target.exists():
            os.rename(entry, target)
        else:
            _rmtree(entry, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_tree(root: Path) -> None:
    for p in root.rglob("*"):
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _swap_in(stage: Path, target: Path) -> None:
    if not target.exists():
        os.rename(stage, target)
    elif _exchange(stage, target):
        _rmtree(stage)                # after the exchange, stage holds the old folder
    else:
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
        os.rename(target, old)
        os.rename(stage, target)      # a kill between the renames: heal_leftovers restores old
        _rmtree(old)


@contextlib.contextmanager
def replace_dir(target: Path, before_swap: Callable[[], None] = lambda: None) -> Iterator[Path]:
    """A fresh folder beside ``target`` to write into; when the ``with`` block
    ends normally (and ``before_swap``, the last chance to cancel, returns) it
    takes ``target``'s place whole and the old folder is removed; otherwise it
    is removed and ``target`` is left as it was."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        heal_leftovers(target)
        stage = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new-{os.getpid()}-"))
    except OSError as e:
        raise CliError(f"cannot write in {target.parent}: {e.strerror}") from None
    try:
        os.chmod(stage, _umask_mode(0o777))
        yield stage
        _fsync_tree(stage)
        before_swap()
        _swap_in(stage, target)
    except OSError as e:
        _rmtree(stage, ignore_errors=True)
        raise CliError(f"cannot write {target}: {e.strerror}") from None
    except BaseException:
        _rmtree(stage, ignore_errors=True)
        raise


# ---------------------------------------------------------------- interrupts

class InterruptGuard:
    """SIGINT handling that loses nothing.

    Python runs a signal handler at whatever bytecode is next; when that is a
    finalizer (a weakref callback while matplotlib drops a figure), the
    KeyboardInterrupt it raises is printed as "Exception ignored" and dropped,
    and the command went on to exit 0. Here every SIGINT is also recorded and
    re-raised at :meth:`check`; inside :meth:`deferred` it is only recorded, so
    a write phase is never cut between two of its own checkpoints.
    """

    def __init__(self) -> None:
        self.pending = False
        self._defer = False
        self._previous = None

    def _handler(self, signum, frame) -> None:
        self.pending = True
        if not self._defer:
            raise KeyboardInterrupt

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        if self.pending and (exc_type is None or issubclass(exc_type, CliError)):
            # e.g. a compiler killed by the same Ctrl-C reports a failed build
            raise KeyboardInterrupt from None

    def check(self) -> None:
        if self.pending:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        self._defer = True
        try:
            yield
        finally:
            self._defer = False
