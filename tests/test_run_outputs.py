"""``chainrv run``: the input block's limits, write errors on its outputs, and output that
is streamed and never held (the platform facts the firmware shares with the ISS are
checked in test_platform_facts.py)."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from toolchain import have_toolchain

from chainrv.argtypes import size
from chainrv.toolchain import build_elf
from simulator import Machine

needs_toolchain = pytest.mark.skipif(not have_toolchain(), reason="riscv64-unknown-elf toolchain missing")

ZK = "rv32im_zicsr_zk_zks"
#: docs/platform.md: a 128 KiB region, an 8-byte header, then the data
LARGEST_INPUT = 0x20000 - 8

PRINTER = r"""
#include "chainrv.h"
int main(void)
{
    for (int i = 0; i < %d; i++)
        crv_puts("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
    return 5;
}
"""


def chainrv(*args: str, stdout: object = subprocess.PIPE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chainrv.cli", "run", *args], stdout=stdout,
                          stderr=subprocess.PIPE, timeout=300)


def one_line_error(r: subprocess.CompletedProcess, status: int, text: str) -> None:
    err = r.stderr.decode()
    assert r.returncode == status, err
    assert "Traceback" not in err and len(err.splitlines()) == 1 and text in err, err


@pytest.fixture(scope="module")
def printer(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("printer")
    (d / "p.c").write_text(PRINTER % 1000)  # 65,000 bytes of output
    return build_elf([d / "p.c"], d / "p.elf")


# ---------------------------------------------------------------- the input block
@needs_toolchain
@pytest.mark.parametrize("size", [LARGEST_INPUT + 1, 0x20000, 0x20000 + 1])
def test_input_that_does_not_fit_is_refused(kernel_elf, tmp_path: Path, size: int) -> None:
    # 131,065..131,072 bytes used to pass the ISS's check and fail the firmware's:
    # the kernel then hashed its default vector and exited 0
    data = tmp_path / "in.bin"
    data.write_bytes(bytes(size))
    r = chainrv(str(kernel_elf("sha256", ZK)), "--input", str(data))
    one_line_error(r, 2, f"holds at most {LARGEST_INPUT}")
    assert r.stdout == b""


@needs_toolchain
def test_largest_input_is_hashed(kernel_elf, tmp_path: Path) -> None:
    payload = os.urandom(LARGEST_INPUT)
    data = tmp_path / "in.bin"
    data.write_bytes(payload)
    r = chainrv(str(kernel_elf("sha256", ZK)), "--input", str(data))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == hashlib.sha256(payload).hexdigest()


# ---------------------------------------------------------------- write errors
@needs_toolchain
def test_stdout_on_a_full_disk(printer: Path) -> None:
    with open("/dev/full", "wb") as full:
        r = chainrv(str(printer), stdout=full)
    one_line_error(r, 2, "cannot write standard output: No space left on device")


@needs_toolchain
def test_stdout_closed(printer: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "chainrv.cli", "run", str(printer)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=300,
                       preexec_fn=lambda: os.close(1))
    one_line_error(r, 2, "cannot write standard output")


@needs_toolchain
def test_trace_on_a_full_disk(printer: Path) -> None:
    r = chainrv(str(printer), "--trace", "/dev/full")
    one_line_error(r, 2, "cannot write trace file /dev/full: No space left on device")


@needs_toolchain
def test_streamed_output_is_not_held(printer: Path) -> None:
    m = Machine(ZK)
    m.load_elf(printer)
    sink = io.BytesIO()
    res = m.run(stdout=sink)
    assert res.exit_code == 5 and len(sink.getvalue()) == 65_000
    assert res.stdout == b""  # nothing kept beside the stream
    m = Machine(ZK)
    m.load_elf(printer)
    assert len(m.run().stdout) == 65_000  # without a stream the result holds it


# ---------------------------------------------------------------- sizes
@pytest.mark.parametrize("text,expected", [("1G", 1 << 30), ("2g", 1 << 31), ("1GiB", 1 << 30),
                                           ("512k", 1 << 19), ("0x100000", 1 << 20), ("3M", 3 << 20)])
def test_size_suffixes(text: str, expected: int) -> None:
    assert size(text) == expected


# ---------------------------------------------------------------- RAM smaller than the program's stack
@needs_toolchain
def test_ram_smaller_than_the_link_scripts_stack_is_refused(printer: Path) -> None:
    # firmware/link.ld puts __stack at 0x80100000: with 512 KiB of RAM the first push
    # used to fault with a store access fault deep in the runtime
    r = chainrv(str(printer), "--ram-size", "512k")
    one_line_error(r, 2, "its stack starts at 0x80100000 (__stack), past the end of RAM at 0x80080000")
    r = chainrv(str(printer), "--ram-size", "2M")  # more RAM than the stack needs is fine
    assert r.returncode == 5 and len(r.stdout) == 65_000
