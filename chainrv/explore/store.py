"""The sweep's results: an SQLite database, ``DIR/explore.sqlite``.

``points`` holds one row per (kernel, ISA, microarchitecture), written in its own
transaction as the result arrives: a sweep stopped in any way (Ctrl-C, a killed
client, a killed worker) keeps every point that finished, and the next run skips
them. ``synth`` holds one row per synthesized (ISA, microarchitecture, target);
a point's cost columns (area, Fmax, throughput at Fmax) are joined from it, when
its point arrives or when the synthesis does, whichever is later.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from simulator.state import STALL_CAUSES
from simulator.uarch import COUNTERS

from ..errors import CliError
from ..report import NOMINAL_MHZ
from .spec import SynthSpec

DB_NAME = "explore.sqlite"

Key = tuple[str, str, str]   # kernel, canonical ISA, str(Uarch)

#: Columns of ``points`` after the key, in order, with their SQL types.
POINT_COLUMNS: dict[str, str] = {
    "status": "TEXT NOT NULL",          # ok | failed (known answer) | error (build, run, synthesis)
    "error": "TEXT",
    "verified": "INTEGER", "exit_code": "INTEGER",
    "cycles": "INTEGER", "instret": "INTEGER", "cpi": "REAL",
    "bytes": "INTEGER", "unit": "TEXT", "units": "INTEGER",
    "operation": "TEXT", "cycles_per_op": "REAL",
    **{f"stall_{c}": "INTEGER" for c in STALL_CAUSES},
    **{c: "INTEGER" for c in COUNTERS},
    "stalls": "TEXT", "counters": "TEXT", "mix": "TEXT",   # JSON, as the report row has them
    "synth": "TEXT",                    # what the cost columns come from (target, device, pnr)
    "area_nand2": "REAL", "memory_bits": "INTEGER", "lut4": "INTEGER", "ff": "INTEGER", "bram": "INTEGER",
    "fmax_mhz": "REAL",
    "throughput": "REAL",               # operations per second at Fmax
    "throughput_nominal": "REAL",       # operations per second at NOMINAL_MHZ
    "sim_s": "REAL", "wall_s": "REAL", "worker": "TEXT", "finished_at": "REAL",
}
COST_COLUMNS = ("synth", "area_nand2", "memory_bits", "lut4", "ff", "bram", "fmax_mhz", "throughput")

SYNTH_COLUMNS: dict[str, str] = {
    "status": "TEXT NOT NULL",          # ok | missing (cached_only) | error
    "error": "TEXT", "got": "TEXT",
    "nand2": "REAL", "cells": "INTEGER", "dff": "INTEGER", "memory_bits": "INTEGER",
    "lut4": "INTEGER", "ff": "INTEGER", "bram": "INTEGER", "fmax_mhz": "REAL",
    "seconds": "REAL", "wall_s": "REAL", "worker": "TEXT", "finished_at": "REAL",
}


def synth_id(s: SynthSpec) -> str:
    """The synthesis request a ``synth`` row answers (its part of the key)."""
    return f"{s.target}:{s.device or ''}:{'pnr' if s.pnr else 'map'}:{'cached' if s.cached_only else 'run'}"


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.db = sqlite3.connect(path, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")   # readers (tests, a user) never block the sweep
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._create()
        except sqlite3.DatabaseError as e:
            raise CliError(f"{path}: not a usable sweep database ({e})") from None

    def _create(self) -> None:
        cols = ", ".join(f"{c} {t}" for c, t in POINT_COLUMNS.items())
        scols = ", ".join(f"{c} {t}" for c, t in SYNTH_COLUMNS.items())
        with self.db:
            self.db.execute(f"CREATE TABLE IF NOT EXISTS points (kernel TEXT NOT NULL, isa TEXT NOT NULL, "
                            f"uarch TEXT NOT NULL, {cols}, PRIMARY KEY (kernel, isa, uarch))")
            self.db.execute(f"CREATE TABLE IF NOT EXISTS synth (isa TEXT NOT NULL, uarch TEXT NOT NULL, "
                            f"request TEXT NOT NULL, {scols}, PRIMARY KEY (isa, uarch, request))")
            have = {r[1] for r in self.db.execute("PRAGMA table_info(points)")}
        missing = [c for c in ("kernel", "isa", "uarch", *POINT_COLUMNS) if c not in have]
        if missing:
            raise sqlite3.DatabaseError(f"table points has no column {missing[0]}")

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------ reads
    def keys(self, statuses: Iterable[str] | None = None) -> set[Key]:
        q = "SELECT kernel, isa, uarch FROM points"
        if statuses is None:
            return {tuple(r) for r in self.db.execute(q)}
        marks = ",".join("?" * len(tuple(statuses)))
        return {tuple(r) for r in self.db.execute(q + f" WHERE status IN ({marks})", tuple(statuses))}

    def rows(self, keys: Iterable[Key] | None = None) -> list[dict]:
        cur = self.db.execute("SELECT * FROM points ORDER BY kernel, isa, uarch")
        names = [d[0] for d in cur.description]
        out = [dict(zip(names, r, strict=True)) for r in cur]
        if keys is not None:
            wanted = set(keys)
            out = [r for r in out if (r["kernel"], r["isa"], r["uarch"]) in wanted]
        return out

    def tally(self, keys: Iterable[Key]) -> tuple[int, int]:
        """(ok, not ok) among ``keys`` present in the store."""
        cur = self.db.execute("SELECT kernel, isa, uarch, status FROM points")
        status = {tuple(r[:3]): r[3] for r in cur}
        found = [status[k] for k in keys if k in status]
        ok = sum(1 for s in found if s == "ok")
        return ok, len(found) - ok

    def synth_result(self, isa: str, uarch: str, request: str) -> dict | None:
        cur = self.db.execute("SELECT * FROM synth WHERE isa=? AND uarch=? AND request=?",
                              (isa, uarch, request))
        row = cur.fetchone()
        return None if row is None else dict(zip([d[0] for d in cur.description], row, strict=True))

    def synth_done(self, request: str) -> set[tuple[str, str]]:
        """Configurations with a synthesis outcome; one the cache did not hold (``missing``)
        is looked up again next time, as the cache may hold it by then."""
        return {tuple(r) for r in self.db.execute("SELECT isa, uarch FROM synth WHERE request=? "
                                                  "AND status != 'missing'", (request,))}

    # ------------------------------------------------------------ writes
    def forget_failed(self, request: str | None) -> int:
        """``--retry-failed``: points that failed or erred, and failed syntheses, go."""
        with self.db:
            n = self.db.execute("DELETE FROM points WHERE status != 'ok'").rowcount
            if request is not None:
                self.db.execute("DELETE FROM synth WHERE request=? AND status='error'", (request,))
        return n

    def add_point(self, result: dict, synth_request: str | None) -> str:
        """Record one point's result (one transaction); joined with its configuration's
        synthesis when that is known. Returns the point's final status."""
        row = result.get("row") or {}
        stalls, counters = row.get("stalls", {}), row.get("counters", {})
        values: dict[str, object] = {
            "kernel": result["kernel"], "isa": result["isa"], "uarch": result["uarch"],
            "status": result["status"], "error": result.get("error"),
            "verified": None if not row else int(bool(row["verified"])), "exit_code": row.get("exit_code"),
            "cycles": row.get("cycles"), "instret": row.get("instret"), "cpi": row.get("cpi"),
            "bytes": row.get("bytes"), "unit": row.get("unit"), "units": row.get("units"),
            "operation": result.get("operation"), "cycles_per_op": result.get("cycles_per_op"),
            **{f"stall_{c}": stalls.get(c) if row else None for c in STALL_CAUSES},
            **{c: counters.get(c) if row else None for c in COUNTERS},
            "stalls": json.dumps(stalls) if row else None, "counters": json.dumps(counters) if row else None,
            "mix": json.dumps(row.get("mix", {})) if row else None,
            "throughput_nominal": (NOMINAL_MHZ * 1e6 / result["cycles_per_op"]
                                   if result.get("cycles_per_op") else None),
            "sim_s": row.get("seconds"), "wall_s": result.get("wall_s"), "worker": result.get("worker"),
            "finished_at": time.time(),
        }
        if synth_request is not None:
            s = self.synth_result(result["isa"], result["uarch"], synth_request)
            if s is not None:
                values.update(_cost_values(s, values["cycles_per_op"], values["status"], values["error"]))
        cols = list(values)
        with self.db:
            self.db.execute(f"INSERT OR REPLACE INTO points ({', '.join(cols)}) VALUES "
                            f"({', '.join('?' * len(cols))})", [values[c] for c in cols])
        return str(values["status"])

    def add_synth(self, result: dict, request: str) -> list[Key]:
        """Record one synthesis and join it to the points of its configuration already
        present (one transaction). Returns the points it turned into errors."""
        cost = result.get("cost") or {}
        values = {"isa": result["isa"], "uarch": result["uarch"], "request": request,
                  "status": result["status"], "error": result.get("error"), "got": result.get("got"),
                  **{c: cost.get(c) for c in ("nand2", "cells", "dff", "memory_bits", "lut4", "ff", "bram",
                                               "fmax_mhz", "seconds")},
                  "wall_s": result.get("wall_s"), "worker": result.get("worker"), "finished_at": time.time()}
        cols = list(values)
        broken: list[Key] = []
        with self.db:
            self.db.execute(f"INSERT OR REPLACE INTO synth ({', '.join(cols)}) VALUES "
                            f"({', '.join('?' * len(cols))})", [values[c] for c in cols])
            points = self.db.execute("SELECT kernel, cycles_per_op, status, error FROM points "
                                     "WHERE isa=? AND uarch=?", (result["isa"], result["uarch"])).fetchall()
            for kernel, per_op, status, error in points:
                upd = _cost_values(values, per_op, status, error)
                if upd["status"] == "error" and status != "error":
                    broken.append((kernel, result["isa"], result["uarch"]))
                sets = ", ".join(f"{c}=?" for c in upd)
                self.db.execute(f"UPDATE points SET {sets} WHERE kernel=? AND isa=? AND uarch=?",
                                [*upd.values(), kernel, result["isa"], result["uarch"]])
        return broken


def _cost_values(s: dict, cycles_per_op: float | None, status: object, error: object) -> dict[str, object]:
    """A point's cost columns from its configuration's ``synth`` row; a synthesis
    error makes the point an error (its run's figures stay)."""
    out: dict[str, object] = {"status": status, "error": error}
    if s["status"] == "error":
        if status == "ok":
            out["status"] = "error"
        out["error"] = "; ".join(str(e) for e in (error, s["error"]) if e)
        return {**out, **dict.fromkeys(COST_COLUMNS)}
    if s["status"] == "missing":
        return {**out, **dict.fromkeys(COST_COLUMNS)}
    fmax = s["fmax_mhz"]
    return {**out, "synth": s["got"], "area_nand2": s["nand2"], "memory_bits": s["memory_bits"],
            "lut4": s["lut4"], "ff": s["ff"], "bram": s["bram"], "fmax_mhz": fmax,
            "throughput": fmax * 1e6 / cycles_per_op if fmax and cycles_per_op else None}
