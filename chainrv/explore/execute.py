"""Running a sweep's tasks on Dask and recording each result as it arrives.

Every point is a task (``worker.run_point``); every (ISA, microarchitecture) to be
synthesized is one more (``worker.synth_config``), whatever the number of kernels
run on it. Without ``--scheduler`` a ``distributed.LocalCluster`` of worker
processes is started for the sweep; with it the tasks go to a cluster that Dask's
own ``dask scheduler`` / ``dask worker`` commands run. A worker that dies has its
tasks run again elsewhere by the scheduler (up to ``distributed.scheduler.allowed-failures``
times, then the point is recorded as an error). Results are written to the store by
this process alone, one transaction each, in the order they complete.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import CliError
from .spec import SynthSpec
from .store import Key, Store

#: How long to wait for an existing scheduler before calling it unreachable.
CONNECT_TIMEOUT_S = 5


@dataclass
class Counts:
    done: int = 0        # planned points in the store, ok (earlier runs' included)
    failed: int = 0      # planned points in the store, failed or in error
    total: int = 0
    skipped: int = 0     # present before this run
    ran: int = 0         # completed in this run
    synth_done: int = 0
    synth_total: int = 0
    workers: set[str] = field(default_factory=set)


class Progress:
    """One line on stderr: points done, failed, remaining, and an ETA from the rate so far."""

    def __init__(self, counts: Counts, stream=sys.stderr) -> None:
        self.c, self.stream, self.t0 = counts, stream, time.monotonic()
        self.tty = stream.isatty()
        self._last = 0.0

    def line(self) -> str:
        c = self.c
        finished = c.done + c.failed
        remaining = c.total - finished
        width = 30
        filled = width * finished // max(1, c.total)
        elapsed = time.monotonic() - self.t0
        eta = "--:--"
        if c.ran and remaining:
            eta = _clock(elapsed / c.ran * remaining)
        elif not remaining:
            eta = "0:00"
        synth = f" | synth {c.synth_done}/{c.synth_total}" if c.synth_total else ""
        return (f"[{'#' * filled}{'-' * (width - filled)}] done {c.done} failed {c.failed} "
                f"remaining {remaining} ETA {eta}{synth}")

    def show(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and self.tty and now - self._last < 0.1:
            return
        self._last = now
        if self.tty:
            self.stream.write("\r\033[K" + self.line())
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def end(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    s = int(seconds + 0.5)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int | None) -> Iterator[object]:
    """A client of the given scheduler, or of a local cluster of ``workers`` processes
    (default: one per core) made for the sweep and shut down after it."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise CliError("the distributed package is not installed (pip install dask distributed)") from None
    # Dask's own log lines (a worker lost, a task re-run) would interleave with the progress line
    for name in ("distributed", "distributed.scheduler", "distributed.worker", "distributed.nanny",
                 "distributed.core", "distributed.client"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            why = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise CliError(f"cannot reach the Dask scheduler at {scheduler}: {why}") from None
        try:
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.close(timeout=10)
        return
    n = workers or os.cpu_count() or 1
    with _sigint_ignored():
        # the worker processes inherit SIGINT ignored: a Ctrl-C at the terminal reaches the whole
        # process group, and is this process's to handle (the workers are shut down after it)
        # the scheduler's HTTP server on a free loopback port: its default, 8787, may be another
        # cluster's, and taking another port then warns on stderr
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL)
    client = Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        with contextlib.suppress(Exception):
            client.close(timeout=10)
        with contextlib.suppress(Exception):
            cluster.close(timeout=10)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def check_scheduler(scheduler: str) -> None:
    """Refuse an address that is not ``tcp://HOST:PORT`` (or another Dask protocol) early."""
    proto, sep, rest = scheduler.partition("://")
    host, colon, port = rest.rpartition(":")
    if not sep or proto not in ("tcp", "tls", "inproc", "ws", "wss", "ucx") or not colon or not host \
            or not port.isdigit():
        raise CliError(f"--scheduler {scheduler}: expected tcp://HOST:PORT (e.g. tcp://127.0.0.1:8786)")


def run(client, store: Store, points: list[Key], synth: SynthSpec | None, configs: list[tuple[str, str]],
        counts: Counts, progress: Progress, request: str | None, planned: list[Key]) -> None:
    """Submit every point and synthesis, record each as it completes. A Ctrl-C stops
    waiting (what finished is already committed) and cancels the rest."""
    from distributed import KilledWorker, as_completed

    from . import worker

    kinds: dict[object, tuple[str, tuple]] = {}
    futures = []
    # syntheses first: they are the long tasks, and the scheduler starts them early
    for isa, uarch in configs:
        assert synth is not None
        f = client.submit(worker.synth_config, isa, uarch, synth.target, synth.device, synth.pnr,
                          synth.cached_only, key=f"synth-{isa}-{uarch}-{_unique()}", pure=False, priority=10)
        kinds[f.key] = ("synth", (isa, uarch))
        futures.append(f)
    for kernel, isa, uarch in points:
        f = client.submit(worker.run_point, kernel, isa, uarch, pure=False,
                          key=f"point-{kernel}-{isa}-{uarch}-{_unique()}")
        kinds[f.key] = ("point", (kernel, isa, uarch))
        futures.append(f)
    progress.show(force=True)
    pending = as_completed(futures, loop=client.loop)
    try:
        for fut in pending:
            kind, args = kinds[fut.key]
            try:
                result = fut.result()
            except KilledWorker as e:   # the task killed every worker it ran on: the point's own failure
                result = _lost(kind, args, e)
            except Exception as e:  # noqa: BLE001 - the cluster's failure, not the point's: not recorded
                why = str(e).splitlines()[0] if str(e) else type(e).__name__
                raise CliError(f"the Dask cluster failed ({why}); the points that finished are kept: "
                               "run the same command again to resume", 1) from None
            if kind == "synth":
                counts.synth_done += 1
                store.add_synth(result, request)
            else:
                store.add_point(result, request)
                counts.ran += 1
                counts.workers.add(str(result.get("worker")))
            counts.done, counts.failed = store.tally(planned)
            progress.show()
    except BaseException:
        with contextlib.suppress(Exception):
            client.cancel(futures)
        raise
    finally:
        if progress.tty:
            progress.show(force=True)
        progress.end()


def _unique() -> str:
    """A task key suffix no other client's sweep uses (a shared scheduler keeps results by key)."""
    return f"{os.getpid()}-{time.time_ns()}"


def _lost(kind: str, args: tuple, e: BaseException) -> dict:
    """The result of a task that never returned one (its worker died too often)."""
    text = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}".rstrip(": ")
    if kind == "synth":
        isa, uarch = args
        return {"isa": isa, "uarch": uarch, "status": "error", "error": f"synthesis: {text}", "cost": None}
    kernel, isa, uarch = args
    return {"kernel": kernel, "isa": isa, "uarch": uarch, "status": "error", "error": text, "row": None}
