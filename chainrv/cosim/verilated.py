"""The Verilator lockstep: the wrapper and ``lockstep_main.cpp`` built into one program,
which compares the RTL's records with the ISS's as they retire (docs/lockstep.md).

No cocotb and no VPI: the C++ driver runs the clock, reads the record from the
wrapper's ports before every rising edge and compares it with the ISS's record of
the same index, which this process writes into the driver's stdin while the ISS
runs (both cores busy, no log file, no parsing). The driver stops at the first
record that differs, is missing or comes late, so a diverging core costs no more
than the cycles up to its first difference.

Builds live beside the cocotb ones (``harness``): ``<design folder>/verilator-<flags hash>``
(``-waves`` for a build with FST tracing), stamped and locked as they are.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from isa.retire import RECORD_FIELDS
from simulator import RVFI_DTYPE

from . import build_prune, harness

DRIVER = Path(__file__).resolve().with_name("lockstep_main.cpp")
PROGRAM = "lockstep_sim"
#: Verilator's -O3, X assignments as fast (the design assigns no X that a record can
#: show: the lockstep would see it), the model's C++ at -O2 (about 1.7x the default -Os).
VERILATOR_FLAGS = ("-O3", "--x-assign", "fast", "--x-initial", "0", "-Wno-fatal", "-Wno-WIDTH",
                   "-Wno-lint", "-Wno-style", "--timescale", "1ns/1ps")
MAKE_FLAGS = ("OPT_FAST=-O2", "OPT_SLOW=-O1", harness.PCH_FLAG)
#: Cycles a record may retire after the ISS's cycle for it before the driver gives up on it.
LATE_CYCLES = 1000
#: Cycles the driver runs on after the ISS's last record, looking for one more.
SLACK_CYCLES = 200
#: ISS records per write into the driver's pipe.
CHUNK = 8192


def build_dir(design: harness.Design, waves: bool) -> Path:
    """The build folder of ``design``'s driver: named by everything that makes it
    besides the design (the driver's source, the flags, the Verilator install)."""
    key = hashlib.sha256(DRIVER.read_bytes())
    key.update(repr((VERILATOR_FLAGS, MAKE_FLAGS, _verilator_root())).encode())
    return design.folder() / f"verilator-{key.hexdigest()[:10]}{'-waves' if waves else ''}"


def _verilator_root() -> str:
    harness.verilator_env()
    return os.environ["VERILATOR_ROOT"]


def build(design: harness.Design, waves: bool = False) -> Path:
    """The driver program of ``design`` (built once, then reused)."""
    out = build_dir(design, waves)
    if (out / harness.BUILT_STAMP).exists() and (out / PROGRAM).exists():
        build_prune.mark_used(out.parent)
        return out / PROGRAM           # built: not even the Verilog is looked at
    source = design.verilog()
    cmd = ["verilator", "--cc", "--exe", "--build", "-j", str(min(4, os.cpu_count() or 1)),
           "--top-module", design.top, "--prefix", "Vtop", "-Mdir", str(out), "-o", PROGRAM,
           *VERILATOR_FLAGS, "-CFLAGS", f"-DCHAINRV_FIELDS={len(RECORD_FIELDS)}",
           "-MAKEFLAGS", " ".join((*MAKE_FLAGS, *harness.objcache())), *(["--trace-fst"] if waves else []),
           str(source), str(DRIVER)]

    def make() -> None:
        _verilator_root()
        with open(out / "build.log", "w") as log:
            r = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False)
        if r.returncode != 0:
            raise RuntimeError(f"verilator exited with {r.returncode}, see {out / 'build.log'}")

    harness.build_once(design.name, out, make)
    return out / PROGRAM


@dataclass
class DriverRun:
    """How the driver's run ended (``stop``: done, mismatch, extra, late, ended) and what
    it kept: the last records (the differing one last) and the UART bytes."""

    stop: str
    exited: bool
    exit_code: int
    sim_cycles: int
    wall_seconds: float
    count: int                  # records the RTL retired (every one before ``tail`` agreed)
    tail: np.ndarray
    uart: bytes
    records: np.ndarray | None = None    # every record, when asked for


def run(program: Path, ram_image: Path, max_cycles: int, workdir: Path, *,
        iss: Iterable[np.ndarray] | None = None, record: bool = False,
        waves: Path | None = None) -> DriverRun:
    """Run the driver until the finisher store retires or ``max_cycles``; with ``iss``
    (chunks of ISS records, consumed to the end whatever the driver does) it compares
    every record; with ``record`` it writes every record it sees."""
    args = [str(program), "--out", str(workdir), f"+ram={ram_image}", f"+max_cycles={max_cycles}",
            "--late", str(LATE_CYCLES), "--slack", str(SLACK_CYCLES)]
    if iss is not None:
        args.append("--compare")
    if record:
        args.append("--records")
    if waves:
        args += ["--trace-file", str(Path(waves).resolve())]
    result = workdir / "result.json"
    result.unlink(missing_ok=True)
    proc = subprocess.Popen(args, stdin=subprocess.PIPE if iss is not None else subprocess.DEVNULL)
    try:
        if iss is not None:
            _feed(proc, iss)
    except BaseException:      # the ISS failed, or Ctrl-C: the driver would wait for records forever
        proc.kill()
        proc.wait()
        raise
    rc = proc.wait()
    if rc != 0 or not result.exists():
        raise AssertionError(f"the Verilator lockstep driver failed (exit status {rc}); see the log above")
    res = json.loads(result.read_text())
    tail = np.fromfile(workdir / "tail.bin", dtype=RVFI_DTYPE)
    records = np.fromfile(workdir / "records.bin", dtype=RVFI_DTYPE) if record else None
    return DriverRun(res["stop"], res["exited"], res["exit_code"], res["sim_cycles"], res["wall_seconds"],
                     res["records"], tail, (workdir / "uart.bin").read_bytes(), records)


def _feed(proc: subprocess.Popen, iss: Iterable[np.ndarray]) -> None:
    """Write the ISS's records into the driver's stdin; once the driver has stopped
    reading (it found a difference, or ended), consume the rest without writing."""
    assert proc.stdin is not None
    fd = proc.stdin.fileno()
    open_ = True
    for part in iss:
        if not open_:
            continue
        view = memoryview(np.ascontiguousarray(part).view(np.uint8))
        try:
            while view:
                view = view[os.write(fd, view):]
        except BrokenPipeError:
            open_ = False
    try:
        proc.stdin.close()
    except BrokenPipeError:
        pass
