"""The ELF loader (``simulator.elfload``) on malformed and unusual files.

Each refusal is exit status 2 with one line on stderr, never a traceback;
the unusual-but-valid files (read from a pipe, linked with plain
``-Ttext=0x80000000`` so that the first segment starts a page early with the
file's headers) run as on QEMU. The RTL's RAM images (``hdl.program``) come
from the same loader, so they refuse the same files with the same message.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from hdl.program import ProgramError, elf_to_words
from isa.asm import assemble
from isa.elfwriter import make_elf
from simulator import SimError
from simulator.elfload import read_elf

RAM_BASE, RAM_SIZE = 0x8000_0000, 1 << 20
GCC = "riscv64-unknown-elf-gcc"
needs_gcc = pytest.mark.skipif(shutil.which(GCC) is None, reason=f"{GCC} not installed")

#: Prints "ok\n" and exits with code 5 through the finisher.
PROGRAM = """
    li a0, 0x10000000
    li a1, 0x6f
    sb a1, 0(a0)
    li a1, 0x6b
    sb a1, 0(a0)
    li a1, 10
    sb a1, 0(a0)
    li t0, 0x100000
    li t1, 0x00053333
    sw t1, 0(t0)
hang:
    j hang
"""
#: The same program for the GNU assembler.
GNU_PROGRAM = ".globl _start\n_start:\n" + PROGRAM

# ELF32 field offsets (System V ABI), written here independently of the loader
E_ENTRY, E_PHOFF, E_PHNUM = 24, 28, 44
P_OFFSET, P_PADDR, P_FILESZ, P_MEMSZ = 4, 12, 16, 20
EHDR, PHDR = 52, 32


def chainrv_run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chainrv.cli", "run", *args], input=stdin,
                          capture_output=True, timeout=300)


def assert_refused(r: subprocess.CompletedProcess, *fragments: str) -> None:
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert b"Traceback" not in r.stderr
    assert len(err.splitlines()) == 1 and err.startswith("chainrv: "), err
    for f in fragments:
        assert f in err, (f, err)


def good_elf() -> bytes:
    code = assemble(PROGRAM, RAM_BASE)
    return make_elf([(RAM_BASE, code), (RAM_BASE + 0x1000, b"data1234")], RAM_BASE)


def patch32(data: bytes, offset: int, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into("<I", out, offset, value)
    return bytes(out)


def phdr(i: int, field: int) -> int:
    return EHDR + i * PHDR + field


def write(tmp_path: Path, data: bytes, name: str = "p.elf") -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


# ------------------------------------------------------------------ a valid file runs

def test_good_elf_runs(tmp_path: Path) -> None:
    r = chainrv_run(write(tmp_path, good_elf()))
    assert (r.returncode, r.stdout, r.stderr) == (5, b"ok\n", b"")


# ------------------------------------------------------------------ malformed segments

def test_file_size_larger_than_memory_size_is_refused(tmp_path: Path) -> None:
    data = good_elf()
    filesz = struct.unpack_from("<I", data, phdr(0, P_FILESZ))[0]
    bad = patch32(data, phdr(0, P_MEMSZ), filesz - 4)
    assert_refused(chainrv_run(write(tmp_path, bad)), "segment 0", "file size", "memory size")


def test_segment_bytes_past_the_end_of_the_file_are_refused(tmp_path: Path) -> None:
    data = good_elf()
    # once silently loaded as zeros: the run then "failed" with an illegal instruction
    bad = patch32(data, phdr(0, P_OFFSET), len(data) - 8)
    assert_refused(chainrv_run(write(tmp_path, bad)), "segment 0", "past the end of the file")


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    data = good_elf()
    (off,) = struct.unpack_from("<I", data, phdr(1, P_OFFSET))
    (size,) = struct.unpack_from("<I", data, phdr(1, P_FILESZ))
    assert_refused(chainrv_run(write(tmp_path, data[:off + size - 3])), "past the end of the file")
    assert_refused(chainrv_run(write(tmp_path, data[:EHDR + 10])), "program headers", "past the end")
    assert_refused(chainrv_run(write(tmp_path, data[:30])), "truncated ELF header")


def test_overlapping_segments_are_refused(tmp_path: Path) -> None:
    data = good_elf()
    bad = patch32(data, phdr(1, P_PADDR), RAM_BASE + 8)      # the data segment onto the code
    assert_refused(chainrv_run(write(tmp_path, bad)), "overlap")


def test_program_header_table_of_the_wrong_entry_size_is_refused(tmp_path: Path) -> None:
    bad = bytearray(good_elf())
    struct.pack_into("<H", bad, 42, 40)                         # e_phentsize
    assert_refused(chainrv_run(write(tmp_path, bytes(bad))), "program header size 40")


# ------------------------------------------------------------------ the entry point

def test_misaligned_entry_is_refused(tmp_path: Path) -> None:
    # the core has no C extension: pc+2 used to run the aligned word around it
    bad = patch32(good_elf(), E_ENTRY, RAM_BASE + 2)
    assert_refused(chainrv_run(write(tmp_path, bad)), "entry point 0x80000002", "multiple of 4")


def test_entry_outside_every_segment_is_refused(tmp_path: Path) -> None:
    bad = patch32(good_elf(), E_ENTRY, RAM_BASE + 0x8000)
    assert_refused(chainrv_run(write(tmp_path, bad)), "entry point 0x80008000", "not in a loadable segment")


# ------------------------------------------------------------------ pipes and FIFOs

def test_elf_from_a_pipe_runs() -> None:
    r = chainrv_run("/dev/stdin", stdin=good_elf())
    assert (r.returncode, r.stdout, r.stderr) == (5, b"ok\n", b"")


def test_elf_from_a_fifo_runs(tmp_path: Path) -> None:
    fifo = tmp_path / "prog.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as f:     # blocks until chainrv opens the FIFO
            f.write(good_elf())

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    r = chainrv_run(str(fifo))
    writer.join(timeout=10)
    assert (r.returncode, r.stdout, r.stderr) == (5, b"ok\n", b"")


def test_not_an_elf_from_a_pipe_is_refused() -> None:
    assert_refused(chainrv_run("/dev/stdin", stdin=b"\0" * 100_000), "not an ELF")


def test_object_file_is_refused(tmp_path: Path) -> None:
    data = bytearray(good_elf())
    struct.pack_into("<H", data, 16, 1)                         # e_type = ET_REL
    assert_refused(chainrv_run(write(tmp_path, bytes(data))), "relocatable object", "link it")


# ------------------------------------------------------------------ headers below RAM (-Ttext=0x80000000)

def gcc_elf(tmp_path: Path, *flags: str) -> Path:
    src = tmp_path / "prog.S"
    src.write_text(GNU_PROGRAM)
    out = tmp_path / "prog.elf"
    subprocess.run([GCC, "-march=rv32im", "-mabi=ilp32", "-nostdlib", *flags, str(src), "-o", str(out)],
                   check=True, capture_output=True)
    return out


def first_load(path: Path) -> dict:
    with open(path, "rb") as f:
        return next(dict(s.header) for s in ELFFile(f).iter_segments() if s["p_type"] == "PT_LOAD")


@needs_gcc
def test_headers_below_ram_are_not_loaded_and_the_program_runs(tmp_path: Path) -> None:
    elf = gcc_elf(tmp_path, "-Ttext=0x80000000")
    seg = first_load(elf)
    # the case at hand: the segment starts a page below RAM, with the ELF and program headers
    assert seg["p_paddr"] < RAM_BASE < seg["p_paddr"] + seg["p_memsz"] and seg["p_offset"] == 0
    r = chainrv_run(str(elf))
    assert (r.returncode, r.stdout, r.stderr) == (5, b"ok\n", b"")
    qemu = pytest.importorskip("qemu")
    if qemu.have_qemu():
        ref = qemu.run_qemu(elf, "rv32im")
        assert (ref.status, ref.stdout) == (5, b"ok\n")


@needs_gcc
def test_other_bytes_below_ram_are_refused(tmp_path: Path) -> None:
    elf = gcc_elf(tmp_path, "-Ttext=0x80000000")
    data = bytearray(elf.read_bytes())
    seg = first_load(elf)
    below = RAM_BASE - seg["p_paddr"]
    data[seg["p_offset"] + below - 4] = 0x13      # a byte that is not a header, just below RAM
    assert_refused(chainrv_run(write(tmp_path, bytes(data), "below.elf")), "outside RAM")


def test_headers_segment_wholly_below_ram_is_skipped(tmp_path: Path) -> None:
    # a separate PT_LOAD for the headers only (as PHDRS/FILEHDR linker scripts make)
    data = bytearray(good_elf())
    struct.pack_into("<IIIIIIII", data, EHDR + PHDR, 1, 0, RAM_BASE - 0x1000, RAM_BASE - 0x1000,
                     EHDR + 2 * PHDR, EHDR + 2 * PHDR, 4, 0x1000)          # replaces the data segment
    r = chainrv_run(write(tmp_path, bytes(data)))
    assert (r.returncode, r.stdout) == (5, b"ok\n")


def test_zero_fill_below_ram_is_refused(tmp_path: Path) -> None:
    # memory beyond the file bytes is not a header: the program would expect it to exist
    data = good_elf()
    seg_end = EHDR + 2 * PHDR
    bad = bytearray(data)
    struct.pack_into("<IIIIIIII", bad, EHDR + PHDR, 1, 0, RAM_BASE - 0x1000, RAM_BASE - 0x1000,
                     seg_end, 0x1004, 4, 0x1000)
    assert_refused(chainrv_run(write(tmp_path, bytes(bad))), "outside RAM")


# ------------------------------------------------------------------ one loader for the ISS and the RTL

BAD = {
    "filesz>memsz": lambda d: patch32(d, phdr(0, P_MEMSZ), 4),
    "past end": lambda d: patch32(d, phdr(0, P_OFFSET), 0x10000),
    "misaligned entry": lambda d: patch32(d, E_ENTRY, RAM_BASE + 2),
    "outside RAM": lambda d: patch32(d, phdr(1, P_PADDR), RAM_BASE + RAM_SIZE),
    "phnum": lambda d: d[:E_PHNUM] + struct.pack("<H", 300) + d[E_PHNUM + 2:],
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_rtl_ram_image_refuses_what_the_iss_refuses(name: str, tmp_path: Path) -> None:
    path = write(tmp_path, BAD[name](good_elf()))
    with pytest.raises(SimError) as iss:
        read_elf(path, RAM_BASE, RAM_SIZE)
    with pytest.raises(ProgramError) as rtl:
        elf_to_words(path, RAM_SIZE)
    assert str(rtl.value) == str(iss.value)


def test_rtl_ram_image_of_a_good_elf(tmp_path: Path) -> None:
    words = elf_to_words(write(tmp_path, good_elf()), RAM_SIZE)
    code = assemble(PROGRAM, RAM_BASE)
    assert words[0] == int.from_bytes(code[:4], "little")
    assert words[0x1000 // 4:0x1000 // 4 + 2] == [int.from_bytes(b"data", "little"),
                                                   int.from_bytes(b"1234", "little")]
