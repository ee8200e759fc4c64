"""What runs on a Dask worker: one point (a kernel run) or one synthesis.

Plain module-level functions, pickled by reference: a worker process imports
this module once and keeps the ISS's compiled loop loaded from one point to
the next (Numba's disk cache makes the first load in a process cheap as well).
Each function returns a plain dict and never raises for a failure of the point
itself (a kernel that does not verify, a build or synthesis error): that is
recorded, and the sweep goes on.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict

from ..errors import CliError


def worker_name() -> str:
    """The Dask worker's address, or host:pid outside a worker."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"


@functools.cache
def _catalogue() -> dict:
    from ..kernels import all_kernels

    return all_kernels()


def run_point(kernel: str, isa: str, uarch: str) -> dict:
    """One kernel on one ISA and microarchitecture, as ``chainrv report`` runs it
    (``chainrv.report.run_variant``): the report row, the cycles per operation,
    the status (``ok``, ``failed``: the known answer did not match, ``error``)."""
    from isa.config import IsaConfig
    from isa.uarch import Uarch

    from .. import report

    t0 = time.perf_counter()
    out: dict = {"kernel": kernel, "isa": isa, "uarch": uarch, "row": None, "error": None}
    try:
        row = report.run_variant(_catalogue()[kernel], IsaConfig.parse(isa), Uarch.parse(uarch))
        op = report.operations([row])[0]
        out["row"] = asdict(row)
        out["cycles_per_op"], out["operation"] = op.cycles, op.operation
        out["status"] = "ok" if row.verified else "failed"
        if not row.verified:
            out["error"] = f"known-answer check failed (exit status {row.exit_code})"
    except CliError as e:
        out["status"], out["error"] = "error", str(e)
    except Exception as e:  # noqa: BLE001 - a point's own failure is data, not the sweep's end
        out["status"], out["error"] = "error", f"{type(e).__name__}: {e}"
    out["wall_s"] = round(time.perf_counter() - t0, 4)
    out["worker"] = worker_name()
    return out


# ---------------------------------------------------------------- synthesis

class NotCached(Exception):
    """A synthesis step that the cache does not hold (``cached_only``)."""


_PATCH_LOCK = threading.Lock()


@contextlib.contextmanager
def _cache_only() -> Iterator[None]:
    """Synthesis steps served from the cache only: a missing step raises NotCached
    instead of running Yosys or nextpnr. chainrv.synth has no such switch, so its
    step runner is swapped for the duration (under a lock: a worker may run
    several threads)."""
    from ..synth import step_cache

    original = step_cache.Step.run

    def cached(self, inputs, produce):
        hit = self._cached()
        if hit is None:
            raise NotCached(self.dir.name)
        return hit, 0.0, True

    with _PATCH_LOCK:
        step_cache.Step.run = cached
        try:
            yield
        finally:
            step_cache.Step.run = original


def _cost(res) -> dict:
    total = res.generic["total"]
    fpga = res.fpga.get("total") if res.fpga else None
    return {"nand2": total.nand2, "cells": total.cells, "dff": total.dff, "memory_bits": total.memory_bits,
            "lut4": fpga.lut4 if fpga else None, "ff": fpga.ff if fpga else None,
            "bram": fpga.bram if fpga else None, "fmax_mhz": res.fmax_mhz,
            "seconds": sum(res.seconds.values()), "all_cached": all(res.cached.values())}


def synth_config(isa: str, uarch: str, target: str, device: str | None, pnr: bool,
                 cached_only: bool = False) -> dict:
    """Area (NAND2-equivalents of the core) and, after place and route on an FPGA
    target, Fmax of one (ISA, microarchitecture): ``chainrv.synth.synthesize`` with
    its cache. ``cached_only``: what the cache holds, falling back to fewer steps
    (no Fmax, then the generic area alone); ``status`` ``missing`` when it holds none."""
    from ..synth import DEFAULT_CACHE, SynthError, synthesize

    t0 = time.perf_counter()
    out: dict = {"isa": isa, "uarch": uarch, "status": "ok", "error": None, "cost": None, "got": None}
    attempts = [(target, device, pnr)]
    if cached_only:
        attempts += [(target, device, False), ("generic", None, False)]
    try:
        for t, d, p in dict.fromkeys(attempts):
            try:
                if cached_only:
                    with _cache_only():
                        res = synthesize(isa, t, d, DEFAULT_CACHE, pnr=p, uarch=uarch)
                else:
                    res = synthesize(isa, t, d, DEFAULT_CACHE, pnr=p, uarch=uarch)
            except NotCached:
                continue
            out["cost"], out["got"] = _cost(res), f"{t}{' ' + d if d else ''}{' pnr' if p else ''}"
            break
        else:
            out["status"], out["error"] = "missing", "not in the synthesis cache"
    except SynthError as e:
        out["status"], out["error"] = "error", f"synthesis: {e}"
    except CliError as e:
        out["status"], out["error"] = "error", f"synthesis: {e}"
    except Exception as e:  # noqa: BLE001 - recorded against the configuration's points
        out["status"], out["error"] = "error", f"synthesis: {type(e).__name__}: {e}"
    out["wall_s"] = round(time.perf_counter() - t0, 3)
    out["worker"] = worker_name()
    return out
