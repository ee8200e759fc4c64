"""Design-space exploration: kernels x ISA configurations x microarchitectures on Dask.

``spec`` (what a sweep covers, from the command line or TOML), ``worker`` (what a
Dask worker runs: a point, a synthesis), ``store`` (the SQLite database a sweep
resumes from), ``execute`` (the Dask client side), ``pareto`` and ``outputs``
(the fronts, ``explore.md``, ``explore.csv``, the plots). docs/explore.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import CliError
from .spec import Spec, SynthSpec, check_synth
from .store import DB_NAME, Key, Store, synth_id

__all__ = ["Plan", "Spec", "SynthSpec", "make_plan", "open_out", "sweep"]


@dataclass
class Plan:
    points: list[Key]                 # every point of the sweep, in order
    configs: list[tuple[str, str]]    # every (ISA, microarchitecture) of the points
    synth: SynthSpec | None


def make_plan(spec: Spec) -> Plan:
    """The sweep's points, every name checked (one-line errors, before any work)."""
    from ..report import plan

    machines = spec.machines()
    synth = check_synth(spec.synth) if spec.synth is not None else None
    jobs = plan(spec.kernels, spec.isas, machines)
    points = [(k.name, str(c), str(u)) for k, c, u in jobs]
    if not points:
        raise CliError("the sweep has no points (no kernel runs on the ISAs given)")
    return Plan(points, list(dict.fromkeys((isa, u) for _, isa, u in points)), synth)


def open_out(out: Path) -> Store:
    """The output folder (made when missing) and its database."""
    from ..outputs import probe_writable

    if out.exists() and not out.is_dir():
        raise CliError(f"--out {out}: not a directory")
    probe_writable(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CliError(f"cannot make {out}: {e.strerror}") from None
    return Store(out / DB_NAME)


@dataclass
class Outcome:
    planned: int
    skipped: int
    ran: int
    ok: int
    failed: int
    written: list[Path]
    workers: list[str]


def sweep(plan: Plan, out: Path, scheduler: str | None = None, workers: int | None = None,
          retry_failed: bool = False) -> Outcome:
    """Run the points (and syntheses) that ``out``'s database lacks, then write the
    outputs from it. Raises CliError(status 130) on an interrupt, after which the
    same call resumes."""
    import contextlib

    from . import execute, outputs

    with contextlib.ExitStack() as stack:
        client = None
        if scheduler is not None:
            # an unreachable scheduler is refused before the folder or its database is touched
            execute.check_scheduler(scheduler)
            client = stack.enter_context(execute.dask_client(scheduler, None))
        store = open_out(out)
        stack.callback(store.close)
        request = synth_id(plan.synth) if plan.synth is not None else None
        if retry_failed:
            store.forget_failed(request)
        present = store.keys()
        todo = [p for p in plan.points if p not in present]
        configs = []
        if plan.synth is not None:
            done = store.synth_done(request)
            configs = [c for c in plan.configs if c not in done]
        counts = execute.Counts(total=len(plan.points), skipped=len(plan.points) - len(todo),
                                synth_total=len(configs))
        counts.done, counts.failed = store.tally(plan.points)
        if todo or configs:
            if client is None:
                client = stack.enter_context(execute.dask_client(None, workers))
            progress = execute.Progress(counts)
            try:
                execute.run(client, store, todo, plan.synth, configs, counts, progress, request, plan.points)
            except KeyboardInterrupt:
                ok, bad = store.tally(plan.points)
                raise CliError(f"interrupted: {ok + bad} of {len(plan.points)} points are in "
                               f"{store.path}; run the same command again to resume", 130) from None
        rows = store.rows(plan.points)
        order = {k: n for n, k in enumerate(plan.points)}
        rows.sort(key=lambda r: order[(r["kernel"], r["isa"], r["uarch"])])
        written = outputs.write_all(out, rows, len(plan.points), plan.synth, sorted(counts.workers))
        ok, bad = store.tally(plan.points)
        return Outcome(len(plan.points), counts.skipped, counts.ran, ok, bad, [store.path, *written],
                       sorted(counts.workers))


def default_workers() -> int:
    return os.cpu_count() or 1
