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
    bad_outs = paths(files, "full", "folder", "under-file", "missing")
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
