"""Command-line arguments of every command, fuzzed: whatever the arguments, a command
ends with one of its documented exit statuses (docs/exit-status.md) and, on an
error, one line on stderr; never an exception out of ``chainrv.cli.main``.

The quick budget runs in ``make test``; ``make regress`` (slow) runs the long one."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toolchain import have_toolchain

from chainrv.cli import main

pytestmark = pytest.mark.skipif(not have_toolchain(), reason="riscv64-unknown-elf toolchain missing")

QUICK = int(os.environ.get("CHAINRV_FUZZ_EXAMPLES", 60))
LONG = 2000

HELLO = '#include <stdio.h>\nint main(void) { puts("hi"); return 3; }\n'
BROKEN = "int main(void) { return undefined_name; }\n"
LOOP = "int main(void) { for (;;) ; }\n"


def invoke(argv: list[str]) -> tuple[int, str]:
    """Run ``chainrv argv`` in this process; returns (exit status, stderr)."""
    out = io.TextIOWrapper(io.BytesIO(), write_through=True)
    err = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as e:  # argparse: usage errors (2) and --help (0)
            status = e.code if isinstance(e.code, int) else 2
    return status, err.getvalue()


def check(argv: list[str], allowed: set[int]) -> None:
    status, err = invoke(argv)
    assert status in allowed, f"chainrv {argv!r}: status {status}\n{err}"
    assert "Traceback" not in err, f"chainrv {argv!r}:\n{err}"
    if status == 2 and not err.startswith("usage:"):  # argparse's usage and message
        # the error is one line, the last; --stats or --profile may have printed before it
        last = err.rstrip("\n").split("\n")[-1]
        assert last.startswith("chainrv: "), f"chainrv {argv!r}:\n{err}"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """Paths of every kind an argument may name: good and bad sources and ELFs,
    missing files, folders, a path under a file, an unwritable device."""
    from chainrv.toolchain import build_elf

    d = tmp_path_factory.mktemp("cli")
    (d / "hello.c").write_text(HELLO)
    (d / "broken.c").write_text(BROKEN)
    (d / "loop.c").write_text(LOOP)
    (d / "text.txt").write_text("not a program\n")
    (d / "empty").write_bytes(b"")
    (d / "folder").mkdir()
    (d / "out").mkdir()
    build_elf([d / "hello.c"], d / "hello.elf")
    build_elf([d / "loop.c"], d / "loop.elf")
    (d / "trunc.elf").write_bytes((d / "hello.elf").read_bytes()[:300])
    return {name: str(d / name) for name in
            ("hello.c", "broken.c", "loop.c", "text.txt", "empty", "folder", "hello.elf", "loop.elf",
             "trunc.elf")} | {
        "missing": str(d / "missing"), "under-file": str(d / "text.txt" / "x"), "full": "/dev/full",
        "missing-dir-file": str(d / "no" / "such" / "x"),
        "out": str(d / "out" / "o.elf"), "dir": str(d)}


def paths(files: dict[str, str], *names: str) -> st.SearchStrategy[str]:
    return st.sampled_from([files[n] for n in names])


def mostly(good: st.SearchStrategy[str], bad: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Good values three times in four, so that most examples get past the checks."""
    return st.one_of(good, good, good, bad)


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=12)
ISAS = mostly(st.sampled_from(["rv32im", "rv32i", "rv32im_zicsr_zk_zks", "rv32im_zbkb", "rv32im+zbkb",
                               "rv32im_xchain"]),
              st.one_of(st.sampled_from(["rv64gc", "rv32e", "RV32IM", "", "zk", "rv32im__"]), TEXT))
NUMBERS = mostly(st.integers(1, 10**6).map(str),
                 st.one_of(st.integers(-2**70, 2**70).map(str), st.sampled_from(["0x10", "1e3", "nan", "-0"]),
                           TEXT))
SIZES = mostly(st.sampled_from(["1M", "2M", "1M", "4M", "0x100000", "1MiB"]),
               st.one_of(st.sampled_from(["4096", "4k", "1G", "3G", "0", "1.5M", "64k"]), NUMBERS))


def options(draw, table: dict[str, st.SearchStrategy[str] | None]) -> list[str]:
    argv: list[str] = []
    for flag in draw(st.lists(st.sampled_from(sorted(table)), max_size=5, unique=True)):
        value = table[flag]
        argv += [flag] if value is None else [flag, draw(value)]
    return argv


# ---------------------------------------------------------------- run
@st.composite
def run_argv(draw, files: dict[str, str]) -> list[str]:
    bad_elfs = paths(files, "trunc.elf", "text.txt", "empty", "folder", "missing", "hello.c")
    elf = draw(mostly(paths(files, "hello.elf", "loop.elf"), st.one_of(bad_elfs, TEXT)))
    bad_outs = paths(files, "full", "folder", "under-file", "missing-dir-file")
    flags = options(draw, {
        "--isa": ISAS, "--max-instructions": NUMBERS, "--stats": None, "--profile": None,
        "--trace": mostly(paths(files, "out"), bad_outs),
        "--trace-only": mostly(st.sampled_from(["main", "0x80000000:0x80001000", "puts"]),
                               st.one_of(st.sampled_from(["5:1", "nope", ":", "0x:1"]), TEXT)),
        "--profile-json": mostly(paths(files, "out"), bad_outs),
        "--input": mostly(paths(files, "hello.c", "empty", "hello.elf"), paths(files, "folder", "missing")),
        "--ram-size": SIZES, "--gdb-wait": None})
    if elf == files["loop.elf"] and "--max-instructions" not in flags:
        flags += ["--max-instructions", "100000"]
    return ["run", elf, *flags]


def _fuzz_run(files: dict[str, str], examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(run_argv(files))
    def case(argv: list[str]) -> None:
        with contextlib.chdir(files["dir"]):
            check(argv, set(range(256)))  # the program's own status, or 2, 3, 124

    case()


def test_run_arguments(files) -> None:
    _fuzz_run(files, QUICK)


@pytest.mark.slow
def test_run_arguments_long(files) -> None:
    _fuzz_run(files, LONG)


# ---------------------------------------------------------------- build
@st.composite
def build_argv(draw, files: dict[str, str]) -> list[str]:
    bad_sources = paths(files, "broken.c", "text.txt", "empty", "folder", "missing", "hello.elf")
    sources = draw(st.lists(mostly(paths(files, "hello.c"), st.one_of(bad_sources, TEXT)), max_size=3))
    out = draw(mostly(paths(files, "out"), st.one_of(paths(files, "folder", "under-file", "full", "hello.c"),
                                                     TEXT)))
    flags = options(draw, {"--isa": ISAS, "-O": mostly(st.sampled_from(["0", "2", "s", "fast"]),
                                                       st.one_of(st.just("9"), TEXT)),
                           "-D": mostly(st.sampled_from(["X", "X=1"]),
                                        st.one_of(st.sampled_from(["=", "X Y"]), TEXT)),
                           "-g": None})
    return ["build", *sources, "-o", out, *flags]


def _fuzz_build(files: dict[str, str], examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(build_argv(files))
    def case(argv: list[str]) -> None:
        before = Path(files["hello.c"]).read_text()
        with contextlib.chdir(files["dir"]):
            check(argv, {0, 2})
        assert Path(files["hello.c"]).read_text() == before  # a source is never overwritten

    case()


def test_build_arguments(files) -> None:
    _fuzz_build(files, max(QUICK // 3, 10))


@pytest.mark.slow
def test_build_arguments_long(files) -> None:
    _fuzz_build(files, LONG // 4)


# ------------------------------------------------ report, verilog, cosim, synth
# A valid call of these runs for seconds to minutes, so each example holds exactly
# one bad argument among good ones: the command must refuse it (status 2, one
# line) before it starts its long work.
@st.composite
def one_bad(draw, command: str,
            args: list[tuple[str | None, st.SearchStrategy, st.SearchStrategy]]) -> list[str]:
    """``args``: (flag or None for a positional, good values, bad values)."""
    bad = draw(st.integers(0, len(args) - 1))
    argv = [command]
    for k, (flag, good, wrong) in enumerate(args):
        if k != bad and flag not in (None, "--out", "-o") and not draw(st.booleans()):
            continue  # optional and left out
        value = draw(wrong if k == bad else good)
        argv += [value] if flag is None else [flag, value]
    return argv


BAD_ISAS = st.one_of(st.sampled_from(["rv64gc", "rv32e", "", "zk", "rv32im__", "rv32im_zbkb_nope"]),
                     TEXT.filter(lambda s: not s.lower().startswith("rv32")))
BAD_COUNTS = st.one_of(st.sampled_from(["0", "-1", "nan", "inf", "1e3", "0x", "", "12abc"]),
                       TEXT.filter(lambda s: not s.strip().isdigit()))
BAD_PERCENTS = st.one_of(st.sampled_from(["-1", "nan", "inf", "-inf", "1e999", "", "12abc", "5%"]),
                         TEXT.filter(lambda s: not s.strip().isdigit()))
BAD_SIZES = st.one_of(st.sampled_from(["0", "3M", "1000", "1.5M", "4G", "-1M", "1T", ""]), TEXT)


def command_argv(files: dict[str, str], command: str) -> st.SearchStrategy[list[str]]:
    bad_out = paths(files, "folder", "under-file", "missing-dir-file")
    good_isa = st.sampled_from(["rv32im", "rv32im_zbkb", "rv32im_zicsr_zk_zks"])
    table = {
        "report": [("--kernels", st.just("sha256"),
                    st.one_of(st.sampled_from(["nope", "sha256/", ""]), TEXT)),
                   ("--isa", good_isa, BAD_ISAS),
                   ("--out", paths(files, "report-out"),
                    paths(files, "folder-with-file", "under-file", "hello.c")),
                   ("--baseline", paths(files, "baseline"),
                    paths(files, "hello.c", "empty", "folder", "missing", "bad-baseline")),
                   ("--threshold", st.sampled_from(["5", "0", "12.5"]), BAD_PERCENTS)],
        "verilog": [("--isa", good_isa, BAD_ISAS),
                    ("--ram-size", st.sampled_from(["1M", "64k"]), BAD_SIZES),
                    ("--elf", paths(files, "hello.elf"),
                     paths(files, "text.txt", "missing", "folder", "trunc.elf")),
                    ("-o", paths(files, "v-out"), bad_out)],
        "cosim": [(None, paths(files, "hello.elf"),
                   st.one_of(paths(files, "text.txt", "missing", "folder", "trunc.elf", "empty"), TEXT)),
                  ("--sim", st.sampled_from(["verilator", "icarus"]), st.sampled_from(["vcs", "", "xsim"])),
                  ("--isa", good_isa, BAD_ISAS),
                  ("--input", paths(files, "hello.c"), paths(files, "folder", "missing")),
                  ("--waves", paths(files, "waves"), bad_out),
                  ("--max-cycles", st.sampled_from(["100000", "5000000"]), BAD_COUNTS),
                  ("--ram-size", st.sampled_from(["1M", "2M"]), BAD_SIZES)],
        "synth": [("--isa", good_isa, BAD_ISAS),
                  ("--target", st.sampled_from(["generic", "ecp5", "ice40"]),
                   st.one_of(st.sampled_from(["xilinx", "", "ECP5X"]), TEXT)),
                  ("--json", paths(files, "json-out"), bad_out),
                  ("--cache", paths(files, "cache-dir"), paths(files, "under-file", "hello.c"))],
    }
    return one_bad(command, table[command])


@pytest.fixture(scope="module")
def more_files(files) -> dict[str, str]:
    d = Path(files["dir"])
    (d / "folder-with-file").mkdir()
    (d / "folder-with-file" / "keep.txt").write_text("mine\n")
    (d / "baseline.json").write_text('[{"kernel": "sha256", "isa": "rv32im", "cycles": 250000}]\n')
    (d / "bad-baseline.json").write_text('[{"kernel": "sha256", "isa": "rv32im", "cycles": 1e999}]\n')
    return files | {"report-out": str(d / "report"), "baseline": str(d / "baseline.json"),
                    "bad-baseline": str(d / "bad-baseline.json"),
                    "folder-with-file": str(d / "folder-with-file"),
                    "v-out": str(d / "out" / "soc.v"),
                    "waves": str(d / "out" / "w.fst"), "json-out": str(d / "out" / "s.json"),
                    "cache-dir": str(d / "out" / "cache")}


def _fuzz_command(files: dict[str, str], command: str, examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(command_argv(files, command))
    def case(argv: list[str]) -> None:
        with contextlib.chdir(files["dir"]):
            status, err = invoke(argv)
        assert status == 2, f"chainrv {argv!r}: status {status}\n{err}"
        assert "Traceback" not in err, f"chainrv {argv!r}:\n{err}"
        assert err.startswith("usage:") or err.rstrip("\n").split("\n")[-1].startswith("chainrv: "), err
        assert Path(files["folder-with-file"], "keep.txt").read_text() == "mine\n"

    case()


@pytest.mark.parametrize("command", ["report", "verilog", "cosim", "synth"])
def test_one_bad_argument_is_refused(more_files, command: str) -> None:
    _fuzz_command(more_files, command, QUICK // 2)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["report", "verilog", "cosim", "synth"])
def test_one_bad_argument_is_refused_long(more_files, command: str) -> None:
    _fuzz_command(more_files, command, LONG // 4)
