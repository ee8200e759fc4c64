"""Outputs are the old version or the new one, never half of each: the report
folder (also under SIGINT), ``chainrv verilog -o`` and ``chainrv synth --json``;
unusable destinations are refused before the long work starts."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import chainrv
import chainrv.kernels
import chainrv.report
from chainrv import outputs
from chainrv.cli import main
from chainrv.errors import CliError

#: The checkout whose chainrv is under test: subprocesses import the same code.
CODE = Path(chainrv.__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(CODE), os.environ.get("PYTHONPATH", "")])}

REPORT = ["report", "--kernels", "sha256", "--isa", "rv32im"]


def run_cli(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main([str(a) for a in argv])
        except SystemExit as e:
            status = e.code
    return status, out.getvalue(), err.getvalue()


def assert_one_line_error(status: int, err: str, *words: str) -> None:
    assert status == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chainrv: "), err
    for w in words:
        assert w in lines[0], err


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def no_kernels(monkeypatch) -> list:
    """Records (and refuses) any kernel build or run."""
    ran: list = []

    def refuse(*args, **kwargs):
        ran.append(args)
        raise AssertionError("a kernel was built or run although the output is unusable")

    monkeypatch.setattr(chainrv.report, "run_variant", refuse)
    monkeypatch.setattr(chainrv.kernels.Kernel, "build", refuse)
    return ran


@pytest.fixture
def unwritable_dir(tmp_path) -> Path:
    """A directory no file can be created in, for root too (root ignores mode bits)."""
    if os.geteuid() != 0:
        d = tmp_path / "read-only"
        d.mkdir()
        d.chmod(0o555)
        yield d
        d.chmod(0o755)
        return
    d = Path("/sys/kernel")       # sysfs: creating a file fails even for root
    try:
        (d / "chainrv-probe").open("w").close()
    except OSError:
        yield d
        return
    pytest.skip("no directory here refuses root's writes")


@pytest.fixture
def old_report(tmp_path) -> Path:
    """An earlier report folder (including a --synth file this run will not write)."""
    folder = tmp_path / "rep"
    folder.mkdir()
    for i, name in enumerate(["report.json", "report.md", "cycles_per_byte.png", "speedup.png",
                              "stalls.png", "synth.json"]):
        (folder / name).write_bytes(f"old {name}\n".encode() + bytes(range(i * 7, i * 7 + 40)))
    return folder


# ---------------------------------------------------------------- the report folder

#: Runs ``chainrv ARGS...`` with the plot writer paused after the plot named
#: argv[1]: "sleep" pauses in ordinary code, "finalizer" in a __del__, where
#: Python prints and drops a KeyboardInterrupt (as in matplotlib's weakref
#: callbacks) and the report used to go on to exit 0.
PAUSE_IN_WRITE = r"""
import sys, time
import chainrv.plots as plots
from chainrv.cli import main

hook_at, how = sys.argv[1], sys.argv[2]
real_save = plots._save

def pause():
    print("test: paused", file=sys.stderr, flush=True)
    time.sleep(2)

class Finalizer:
    def __del__(self):
        pause()

def save(fig, path):
    out = real_save(fig, path)
    if path.name == hook_at:
        if how == "finalizer":
            Finalizer()
        else:
            pause()
    return out

plots._save = save
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.parametrize("hook_at, how", [("cycles_per_byte.png", "sleep"), ("stalls.png", "finalizer")])
def test_sigint_while_writing_keeps_the_old_report(old_report, hook_at, how):
    before = snapshot(old_report)
    p = subprocess.Popen([sys.executable, "-c", PAUSE_IN_WRITE, hook_at, how, *REPORT, "--out",
                          str(old_report)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=ENV)
    seen = []
    while not seen or seen[-1] != "test: paused\n":
        line = p.stderr.readline()
        assert line, "".join(seen) + p.stderr.read()
        seen.append(line)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    assert err.strip().splitlines() == ["chainrv: interrupted"], err
    assert snapshot(old_report) == before
    assert sorted(q.name for q in old_report.parent.iterdir()) == [old_report.name]   # no leftovers


def test_report_replaces_the_folder_whole(old_report):
    status, out, err = run_cli(*REPORT, "--out", old_report)
    assert status == 0, out + err
    names = sorted(q.name for q in old_report.iterdir())
    assert names == ["cycles_per_byte.png", "flame_sha256.png", "report.html", "report.json", "report.md",
                     "speedup.png", "stalls.png"]
    assert json.loads((old_report / "report.json").read_text())[0]["kernel"] == "sha256"
    assert (old_report / "stalls.png").read_bytes().startswith(b"\x89PNG")
    assert stat.S_IMODE(old_report.stat().st_mode) == 0o777 & ~_umask()
    assert sorted(q.name for q in old_report.parent.iterdir()) == [old_report.name]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _unusable_out(kind: str, tmp_path: Path, unwritable: Path | None) -> Path:
    if kind == "file":
        (tmp_path / "f").write_text("mine")
        return tmp_path / "f"
    if kind == "foreign":
        (tmp_path / "rep").mkdir()
        (tmp_path / "rep" / "notes.txt").write_text("mine")
        (tmp_path / "rep" / "report.json").write_text("[]")
        return tmp_path / "rep"
    if kind == "parent_is_file":
        (tmp_path / "f").write_text("mine")
        return tmp_path / "f" / "rep"
    return unwritable / "rep"


@pytest.mark.parametrize("kind, words", [
    ("file", ["not a directory"]),
    ("foreign", ["notes.txt", "not part of a report"]),
    ("parent_is_file", ["not a directory"]),
    ("unwritable", ["cannot write in"]),
])
def test_unusable_out_is_refused_before_any_kernel(tmp_path, no_kernels, kind, words, request):
    unwritable = request.getfixturevalue("unwritable_dir") if kind == "unwritable" else None
    out = _unusable_out(kind, tmp_path, unwritable)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    status, _, err = run_cli(*REPORT, "--out", out)
    assert_one_line_error(status, err, *words)
    assert no_kernels == []
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_out_holding_the_current_directory_is_refused(tmp_path, no_kernels, monkeypatch):
    (tmp_path / "rep").mkdir()
    monkeypatch.chdir(tmp_path / "rep")
    status, _, err = run_cli(*REPORT, "--out", ".")
    assert_one_line_error(status, err, "current directory")


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_leftovers_of_killed_runs_heal(tmp_path):
    """A run killed mid-write leaves a .new folder; one killed between the two
    renames of the fallback swap leaves the old report as .old and no report."""
    target, dead = tmp_path / "rep", _dead_pid()
    new = tmp_path / f".rep.new-{dead}-abc"
    old = tmp_path / f".rep.old-{dead}-def"
    live = tmp_path / f".rep.new-{os.getpid()}-ghi"      # a run still going: not ours to touch
    for d in (new, old, live):
        d.mkdir()
        (d / "report.json").write_text(d.name)
    outputs.heal_leftovers(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["rep", live.name])
    assert (target / "report.json").read_text() == old.name


def test_replace_dir_without_exchange_and_on_error(tmp_path, monkeypatch):
    """The two-rename fallback (no renameat2) swaps too; an error inside the block
    leaves the old folder and nothing else."""
    target = tmp_path / "rep"
    target.mkdir()
    (target / "report.json").write_text("old")
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    with pytest.raises(RuntimeError), outputs.replace_dir(target) as stage:
        (stage / "report.json").write_text("half")
        raise RuntimeError
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]
    assert (target / "report.json").read_text() == "old"
    with outputs.replace_dir(target) as stage:
        (stage / "report.json").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]
    assert [p.name for p in target.iterdir()] == ["report.json"]
    assert (target / "report.json").read_text() == "new"


# ---------------------------------------------------------------- chainrv verilog

@pytest.fixture
def no_generation(monkeypatch) -> list:
    import hdl.verilog

    calls: list = []

    def generate(*args, **kwargs):
        calls.append(args)
        return "module chainrv_soc(); endmodule\n"

    monkeypatch.setattr(hdl.verilog, "generate", generate)
    return calls


def test_verilog_unwritable_output_fails_before_generating(unwritable_dir, no_generation):
    status, _, err = run_cli("verilog", "-o", unwritable_dir / "soc.v")
    assert_one_line_error(status, err, "cannot write", "soc.v")
    assert no_generation == []


@pytest.mark.parametrize("make, words", [
    (lambda t: t.mkdir(), ["output is a directory"]),
    (lambda t: None, ["no such directory"]),
])
def test_verilog_bad_destination_fails_before_generating(tmp_path, no_generation, make, words):
    target = tmp_path / "soc.v"
    make(target)
    out = target if target.exists() else tmp_path / "missing" / "soc.v"
    status, _, err = run_cli("verilog", "-o", out)
    assert_one_line_error(status, err, *words)
    assert no_generation == []


def test_verilog_replaces_the_output_whole(tmp_path, no_generation):
    out = tmp_path / "soc.v"
    out.write_text("old\n")
    assert run_cli("verilog", "-o", out)[0] == 0
    assert out.read_text() == "module chainrv_soc(); endmodule\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~_umask()
    assert [p.name for p in tmp_path.iterdir()] == ["soc.v"]


#: ``chainrv verilog`` whose writes fail past 4 KiB (RLIMIT_FSIZE: EFBIG, a
#: stand-in for a full disk) and whose generated text is 64 KiB.
FULL_DISK = r"""
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
import hdl.verilog
hdl.verilog.generate = lambda *a, **k: "// chainrv\n" * 6000
from chainrv.cli import main
sys.exit(main(["verilog", "-o", sys.argv[1]]))
"""


def test_verilog_output_survives_a_failed_write(tmp_path):
    out = tmp_path / "soc.v"
    out.write_text("module old(); endmodule\n")
    p = subprocess.run([sys.executable, "-c", FULL_DISK, str(out)], capture_output=True, text=True, env=ENV,
                       timeout=300)
    assert_one_line_error(p.returncode, p.stderr, "cannot write", "File too large")
    assert out.read_text() == "module old(); endmodule\n"
    assert [q.name for q in tmp_path.iterdir()] == ["soc.v"]


# ---------------------------------------------------------------- chainrv synth --json

@pytest.fixture
def fake_synthesis(monkeypatch) -> list:
    import chainrv.synth
    from chainrv.synth import Cost, SynthResult

    calls: list = []

    def synthesize(isa, *args, **kwargs):
        calls.append(str(isa))
        return SynthResult(str(isa), "generic", None, {"core": Cost(10, 12.5, 2), "total": Cost(10, 12.5, 2)})

    monkeypatch.setattr(chainrv.synth, "synthesize", synthesize)
    return calls


def test_synth_json_unwritable_fails_before_synthesizing(unwritable_dir, fake_synthesis, tmp_path):
    status, _, err = run_cli("synth", "--isa", "rv32im", "--cache", tmp_path / "cache",
                             "--json", unwritable_dir / "synth.json")
    assert_one_line_error(status, err, "cannot write", "synth.json")
    assert fake_synthesis == []


def test_synth_cache_unwritable_is_one_line(unwritable_dir, tmp_path):
    status, _, err = run_cli("synth", "--isa", "rv32im", "--cache", unwritable_dir / "cache")
    assert_one_line_error(status, err, "cannot write in")


def test_synth_json_replaced_whole(tmp_path, fake_synthesis):
    out = tmp_path / "synth.json"
    out.write_text("old")
    status, _, err = run_cli("synth", "--isa", "rv32im", "rv32im_zbkb", "--cache", tmp_path / "cache",
                             "--json", out)
    assert status == 0, err
    data = json.loads(out.read_text())
    assert [d["isa"] for d in data] == ["rv32im_zicsr_zicntr", "rv32im_zicsr_zicntr_zbkb"]
    assert data[0]["generic"]["total"] == {"cells": 10, "nand2": 12.5, "dff": 2, "by_type": {},
                                           "memories": 0, "memory_bits": 0}
    assert [p.name for p in tmp_path.iterdir()] == ["synth.json"]


# ---------------------------------------------------------------- the helpers

def test_atomic_file_writes_through_a_fifo(tmp_path):
    """A destination that is not a regular file (a FIFO, /dev/stdout) is written
    in place, never replaced by a regular file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    outputs.write_text_atomic(fifo, "through the pipe\n")
    reader.join(timeout=30)
    assert got == ["through the pipe\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_atomic_file_follows_a_symlink(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "a.v").write_text("old")
    (tmp_path / "link.v").symlink_to(tmp_path / "real" / "a.v")
    outputs.write_text_atomic(tmp_path / "link.v", "new")
    assert (tmp_path / "link.v").is_symlink()
    assert (tmp_path / "real" / "a.v").read_text() == "new"


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                    reason="signal handlers belong to the main thread")
def test_interrupt_lost_in_a_finalizer_is_raised_at_the_next_check():
    class Finalizer:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt), outputs.InterruptGuard() as guard:
        with guard.deferred():
            Finalizer()
        assert guard.pending
        guard.check()


def test_interrupt_turns_a_failure_it_caused_into_an_interrupt():
    """Ctrl-C kills the compiler too; its failure is reported as the interrupt."""
    with pytest.raises(KeyboardInterrupt), outputs.InterruptGuard() as guard:
        guard.pending = True
        raise CliError("compilation failed")


def test_replaced_file_keeps_its_mode(tmp_path, no_generation):
    out = tmp_path / "soc.v"
    out.write_text("old\n")
    out.chmod(0o640)
    assert run_cli("verilog", "-o", out)[0] == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_verilog_bad_ram_size_with_a_line_break_is_one_line(tmp_path, no_generation):
    status, _, err = run_cli("verilog", "--ram-size", "1\n2", "-o", tmp_path / "soc.v")
    assert_one_line_error(status, err, "invalid size '1\\n2'")
    assert no_generation == []
