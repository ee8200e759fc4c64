"""``chainrv cosim``: the RAM size, the ELF checks shared with ``chainrv run``,
pipes, the waveform output and the RTL build cache (docs/lockstep.md).

Unusable input is exit status 2 with one line on stderr, found before any
simulator is built or started; a program that needs more than 1 MiB runs in
lockstep with ``--ram-size``; the waveform file is replaced only by a
finished run; a simulator build that did not finish is redone.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from chainrv.cli import main
from chainrv.cosim import harness, lockstep
from isa.asm import assemble
from isa.elfwriter import make_elf
from simulator import Machine

BASE = 0x8000_0000
ISA = "rv32im"
needs_icarus = pytest.mark.skipif(not harness.have_sim("icarus"), reason="iverilog not installed")
needs_verilator = pytest.mark.skipif(not harness.have_sim("verilator"), reason="verilator not installed")

#: Stores above 1 MiB (just past it, and the last word of 2 MiB), reads both
#: back and prints the low two bytes of their sum: 0x12345678 + 0x100 -> "xW".
HIGH_MEMORY = """
    li t0, 0x80100000
    li t1, 0x12345678
    sw t1, 0(t0)
    li t2, 0x801FFFFC
    li t3, 0x100
    sw t3, 0(t2)
    lw a0, 0(t0)
    lw a1, 0(t2)
    add a0, a0, a1
    li a2, 0x10000000
    sb a0, 0(a2)
    srli a0, a0, 8
    sb a0, 0(a2)
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
"""
FINISH = "li t0, 0x100000\nli t1, 0x5555\nsw t1, 0(t0)\n"


def elf_bytes(src: str = HIGH_MEMORY) -> bytes:
    return make_elf([(BASE, assemble(src, BASE))], BASE)


@pytest.fixture
def high_elf(tmp_path: Path) -> Path:
    p = tmp_path / "high.elf"
    p.write_bytes(elf_bytes())
    return p


def cosim(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["cosim", *argv])
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err
    return status, cap.out, cap.err


# ------------------------------------------------------------------ --ram-size

@needs_icarus
@pytest.mark.xdist_group("lockstep-icarus-rv32im-2M")
def test_ram_size_2m_runs_in_lockstep_on_icarus(high_elf: Path, capsys) -> None:
    status, out, err = cosim(capsys, str(high_elf), "--sim", "icarus", "--isa", ISA, "--ram-size", "2M")
    assert (status, out) == (0, "xW"), err
    assert err.count("\n") == 1 and "in lockstep" in err and "exit code 0" in err


@needs_icarus
@pytest.mark.xdist_group("lockstep-icarus-rv32im-2M")
def test_max_cycles_cut_is_not_a_mismatch(high_elf: Path, capsys) -> None:
    # 13 cycles: retirements in cycles 4..12 (pipeline fill 4, no stall in the
    # first nine instructions: lui; lui addi; sw; lui addi; addi; sw; lw)
    status, _, err = cosim(capsys, str(high_elf), "--sim", "icarus", "--isa", ISA, "--ram-size", "2M",
                           "--max-cycles", "13")
    assert status == 3, err
    assert err.count("\n") == 1 and "in lockstep for 9 records" in err and "--max-cycles" in err


@needs_verilator
@pytest.mark.xdist_group("lockstep-verilator-rv32im-2M")
def test_ram_size_2m_runs_in_lockstep_on_verilator(high_elf: Path, capsys) -> None:
    status, out, err = cosim(capsys, str(high_elf), "--isa", ISA, "--ram-size", "0x200000")
    assert (status, out) == (0, "xW"), err
    assert "in lockstep" in err and "verilator" in err


@needs_icarus
@pytest.mark.xdist_group("lockstep-icarus-rv32im")
def test_default_ram_ends_at_1m_on_both_sides(high_elf: Path, capsys) -> None:
    # both the core and the ISS fault on the first store past 1 MiB, in lockstep
    status, _, err = cosim(capsys, str(high_elf), "--sim", "icarus", "--isa", ISA)
    assert status == 3, err
    assert "in lockstep for" in err and "access fault" in err and "0x80100000" in err


def test_ram_image_is_sparse_and_complete(tmp_path: Path) -> None:
    m = Machine(ISA, 2 << 20)
    m.write_mem(BASE, bytes(range(1, 41)))
    m.write_mem(BASE + 0x1FFFFC, b"\x01\x02\x03\x04")
    path = lockstep.ram_hex(m, tmp_path / "ram.hex")
    # read back as $readmemh does: "@index" sets the word index, each other line one word
    words = np.zeros((2 << 20) // 4, np.uint32)
    index = 0
    for line in path.read_text().split():
        if line.startswith("@"):
            index = int(line[1:], 16)
        else:
            words[index] = int(line, 16)
            index += 1
    assert np.array_equal(words, m.ram32)
    assert path.stat().st_size < 10_000        # two blocks, not 2 MiB of zero lines


# ------------------------------------------------------------------ unusable input: exit 2, no simulation

def _patch32(data: bytes, offset: int, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into("<I", out, offset, value)
    return bytes(out)


BAD_ELFS = {
    "filesz>memsz": (lambda d: _patch32(d, 52 + 20, 4), "exceeds its memory size"),
    "past the end": (lambda d: _patch32(d, 52 + 4, 0x10000), "past the end of the file"),
    "misaligned entry": (lambda d: _patch32(d, 24, BASE + 2), "multiple of 4"),
    "not an ELF": (lambda d: b"#!/bin/sh\n", "not an ELF"),
}


@pytest.fixture
def no_simulation(monkeypatch):
    """Fails the test if an RTL simulation is started."""
    def refuse(*args, **kwargs):
        raise AssertionError("the RTL simulation was started")
    monkeypatch.setattr(lockstep, "run_rtl", refuse)


@pytest.mark.parametrize("name", sorted(BAD_ELFS))
def test_malformed_elf_is_one_line_exit_2(name: str, tmp_path: Path, capsys, no_simulation) -> None:
    make, message = BAD_ELFS[name]
    p = tmp_path / "bad.elf"
    p.write_bytes(make(elf_bytes()))
    status, _, err = cosim(capsys, str(p), "--sim", "icarus", "--isa", ISA)
    assert status == 2 and err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize("size, message", [
    ("3M", "power of two"), ("0", "power of two"), ("1K", "between 4 KiB"), ("512M", "256 MiB"),
])
def test_bad_ram_size_is_one_line_exit_2(size: str, message: str, high_elf: Path, capsys,
                                         no_simulation) -> None:
    status, _, err = cosim(capsys, str(high_elf), "--sim", "icarus", "--ram-size", size)
    assert status == 2 and err.count("\n") == 1 and message in err, err


def test_unparsable_ram_size_is_a_usage_error(high_elf: Path, capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(["cosim", str(high_elf), "--ram-size", "lots"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "invalid size" in err and err.count("\n") == 1


def test_other_unusable_paths_are_exit_2(tmp_path: Path, high_elf: Path, capsys, no_simulation) -> None:
    for argv, message in [
        ([str(tmp_path / "missing.elf")], "no such file"),
        ([str(tmp_path)], "is a directory"),
        ([str(high_elf), "--waves", str(tmp_path)], "is a directory"),
        ([str(high_elf), "--waves", str(tmp_path / "no" / "w.fst")], "no such directory"),
    ]:
        status, _, err = cosim(capsys, *argv, "--sim", "icarus", "--isa", ISA)
        assert status == 2 and err.count("\n") == 1 and message in err, (argv, err)


def test_malformed_elf_in_a_subprocess(tmp_path: Path) -> None:
    # this one used to end in a Python traceback
    p = tmp_path / "bad.elf"
    p.write_bytes(_patch32(elf_bytes(), 52 + 20, 4))
    r = subprocess.run([sys.executable, "-m", "chainrv.cli", "cosim", str(p), "--isa", ISA],
                       capture_output=True, timeout=300)
    assert r.returncode == 2 and b"Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1


# ------------------------------------------------------------------ pipes and the -Ttext layout

@needs_icarus
@pytest.mark.xdist_group("lockstep-icarus-rv32im")
def test_elf_from_a_pipe(tmp_path: Path) -> None:
    program = elf_bytes(f"li a0, 0x10000000\nli a1, 0x70\nsb a1, 0(a0)\n{FINISH}")
    r = subprocess.run([sys.executable, "-m", "chainrv.cli", "cosim", "/dev/stdin", "--sim", "icarus",
                        "--isa", ISA], input=program, capture_output=True, timeout=600)
    assert (r.returncode, r.stdout) == (0, b"p"), r.stderr
    assert b"in lockstep" in r.stderr


@needs_icarus
@pytest.mark.skipif(shutil.which("riscv64-unknown-elf-gcc") is None, reason="no cross compiler")
@pytest.mark.xdist_group("lockstep-icarus-rv32im")
def test_elf_linked_with_plain_ttext(tmp_path: Path, capsys) -> None:
    src = tmp_path / "p.S"
    src.write_text(".globl _start\n_start:\nli a0, 0x10000000\nli a1, 0x71\nsb a1, 0(a0)\n" + FINISH)
    elf = tmp_path / "p.elf"
    subprocess.run(["riscv64-unknown-elf-gcc", "-march=rv32im", "-mabi=ilp32", "-nostdlib",
                    "-Ttext=0x80000000", str(src), "-o", str(elf)], check=True, capture_output=True)
    status, out, err = cosim(capsys, str(elf), "--sim", "icarus", "--isa", ISA)
    assert (status, out) == (0, "q"), err


# ------------------------------------------------------------------ the waveform output

@needs_icarus
@pytest.mark.xdist_group("lockstep-icarus-rv32im")
def test_waveform_replaced_only_by_a_finished_run(tmp_path: Path, high_elf: Path, capsys) -> None:
    waves = tmp_path / "w.fst"
    waves.write_bytes(b"old waveform")
    bad = tmp_path / "bad.elf"
    bad.write_bytes(_patch32(elf_bytes(), 24, BASE + 2))
    status, _, _ = cosim(capsys, str(bad), "--sim", "icarus", "--isa", ISA, "--waves", str(waves))
    assert status == 2 and waves.read_bytes() == b"old waveform"
    good = tmp_path / "good.elf"
    good.write_bytes(elf_bytes(FINISH))
    status, _, err = cosim(capsys, str(good), "--sim", "icarus", "--isa", ISA, "--waves", str(waves))
    assert status == 0, err
    assert waves.stat().st_size > 100 and waves.read_bytes() != b"old waveform"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.elf", "good.elf", "high.elf", "w.fst"]


# ------------------------------------------------------------------ the RTL build cache heals itself

@needs_icarus
def test_unfinished_build_is_redone(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(harness, "BUILD_ROOT", tmp_path / "cache")
    elf = tmp_path / "p.elf"
    elf.write_bytes(elf_bytes(FINISH))
    assert lockstep.lockstep(elf, ISA, "icarus", ram_size=4096).ok
    build = harness.BUILD_ROOT / lockstep.lockstep_design(ISA, 4096).key() / "icarus"
    assert (build / harness.BUILT_STAMP).exists()
    # a build killed while writing its output: newer than the source, unusable, no stamp
    (build / harness.BUILT_STAMP).unlink()
    (build / "sim.vvp").write_text("half a file")
    future = time.time() + 60
    os.utime(build / "sim.vvp", (future, future))
    out = lockstep.lockstep(elf, ISA, "icarus", ram_size=4096)
    assert out.ok and out.iss.exit_code == 0
    assert (build / harness.BUILT_STAMP).exists()


def test_failed_build_is_one_line_exit_1(tmp_path: Path, high_elf: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(harness, "BUILD_ROOT", tmp_path / "cache")
    monkeypatch.setattr(harness, "have_sim", lambda sim: True)

    class Broken:
        def build(self, **kwargs):
            raise RuntimeError("Command failed with return code: 1")

    monkeypatch.setattr(harness, "_runner", lambda sim: Broken())
    status, _, err = cosim(capsys, str(high_elf), "--sim", "icarus", "--isa", ISA, "--ram-size", "4K")
    assert status == 1 and err.count("\n") == 1 and "build failed" in err, err
