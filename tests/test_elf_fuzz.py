"""Fuzzing the ELF loader through ``chainrv run``: mutated real ELFs (header and
program header fields, truncation, byte flips) must end with a defined exit
status and at most one line on stderr, never an exception out of ``main``.

Seeds: a two-segment program from ``isa.elfwriter``, a GNU-linked one with
sections and symbols (``-Ttext=0x80000000``: its headers lie below RAM) and a
C program built with the firmware runtime. Runs are bounded by
``--max-instructions``. Quick budget: ``CHAINRV_FUZZ_EXAMPLES`` cases (default
300); ``make regress`` adds ``CHAINRV_FUZZ_EXAMPLES_SLOW`` (default 5000).

Besides "no traceback", the loader's verdict is checked against pyelftools'
independent reading of the same bytes, and the RTL's RAM image
(``hdl.program``) must accept and refuse exactly what the ISS does.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrv.cli import main
from hdl.program import ProgramError, elf_to_words
from isa.asm import assemble
from isa.elfwriter import make_elf
from simulator import SimError
from simulator.elfload import read_elf

RAM_BASE, RAM_SIZE = 0x8000_0000, 1 << 20
MAX_INSTRUCTIONS = "2000"
#: Exit statuses of ``chainrv run``: the program's own (0..255), 2 unusable input, 3 trap, 124 limit.
PROGRAM_STATUSES = range(256)
QUICK = int(os.environ.get("CHAINRV_FUZZ_EXAMPLES", 300))
SLOW = int(os.environ.get("CHAINRV_FUZZ_EXAMPLES_SLOW", 5000))

SOURCE = """
    li a0, 0x10000000
    li a1, 0x80001000
    lw a2, 0(a1)
    sb a2, 0(a0)
    li t0, 0x100000
    li t1, 0x00093333
    sw t1, 0(t0)
"""

#: ELF32 header fields (offset, size) and program header fields (offset in the entry, size).
EHDR_FIELDS = {"e_type": (16, 2), "e_machine": (18, 2), "e_version": (20, 4), "e_entry": (24, 4),
               "e_phoff": (28, 4), "e_shoff": (32, 4), "e_flags": (36, 4), "e_ehsize": (40, 2),
               "e_phentsize": (42, 2), "e_phnum": (44, 2), "e_shentsize": (46, 2), "e_shnum": (48, 2),
               "e_shstrndx": (50, 2), "ei_class": (4, 1), "ei_data": (5, 1)}
PHDR_FIELDS = {"p_type": 0, "p_offset": 4, "p_vaddr": 8, "p_paddr": 12, "p_filesz": 16, "p_memsz": 20,
               "p_flags": 24, "p_align": 28}


def _seeds(tmp: Path) -> dict[str, bytes]:
    seeds = {"elfwriter": make_elf([(RAM_BASE, assemble(SOURCE, RAM_BASE)),
                                    (RAM_BASE + 0x1000, b"Z\n\0\0")], RAM_BASE)}
    gcc = "riscv64-unknown-elf-gcc"
    if shutil.which(gcc):
        src = tmp / "s.S"
        src.write_text(".globl _start\n.type _start, @function\n_start:\n" + SOURCE +
                       ".size _start, .-_start\n.data\n.word 0x0a5a\n")
        out = tmp / "gnu.elf"
        subprocess.run([gcc, "-march=rv32im", "-mabi=ilp32", "-nostdlib", "-Ttext=0x80000000",
                        "-Tdata=0x80001000", str(src), "-o", str(out)], check=True, capture_output=True)
        seeds["gnu"] = out.read_bytes()
        with contextlib.suppress(Exception):    # needs picolibc; the other seeds suffice without it
            from chainrv.toolchain import build_elf
            c = tmp / "main.c"
            c.write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 4; }\n')
            seeds["firmware"] = build_elf([c], tmp / "fw.elf", isa="rv32im").read_bytes()
    return seeds


_TMP = Path(tempfile.mkdtemp(prefix="chainrv-elf-fuzz-"))
SEEDS = _seeds(_TMP)


def _phnum(data: bytes) -> int:
    return struct.unpack_from("<H", data, 44)[0] if len(data) >= 46 else 0


def _phoff(data: bytes) -> int:
    return struct.unpack_from("<I", data, 28)[0] if len(data) >= 32 else 52


# ------------------------------------------------------------------ mutations

def _values(bits: int, old: int, length: int) -> st.SearchStrategy[int]:
    top = (1 << bits) - 1
    interesting = [0, 1, 2, 3, 4, 32, 52, top, top >> 1, (top >> 1) + 1, length, length - 1, length + 1]
    if bits == 32:
        interesting += [RAM_BASE, RAM_BASE + 2, RAM_BASE - 0x1000, RAM_BASE + RAM_SIZE,
                        RAM_BASE + RAM_SIZE - 4, RAM_SIZE, 0x1000, 0x1014, 0xFFFF_F000]
    near = st.integers(-64, 64).map(lambda d: (old + d) & top)
    return st.one_of(st.sampled_from([v & top for v in interesting]), near, st.integers(0, top))


@dataclass
class Mutation:
    kind: str
    where: int
    value: int

    def apply(self, data: bytes) -> bytes:
        out = bytearray(data)
        if self.kind == "truncate":
            return bytes(out[:self.where])
        if self.kind == "flip":
            if out:
                out[self.where % len(out)] ^= self.value or 1
            return bytes(out)
        size = int(self.kind)           # a field write: 1, 2 or 4 bytes at ``where``
        if self.where + size <= len(out):
            out[self.where:self.where + size] = self.value.to_bytes(size, "little")
        return bytes(out)


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> Mutation:
    kind = draw(st.sampled_from(["ehdr", "ehdr", "phdr", "phdr", "phdr", "truncate", "flip"]))
    if kind == "truncate":
        return Mutation("truncate", draw(st.integers(0, len(data))), 0)
    if kind == "flip":
        return Mutation("flip", draw(st.integers(0, len(data) - 1)), draw(st.integers(1, 255)))
    if kind == "ehdr":
        off, size = EHDR_FIELDS[draw(st.sampled_from(sorted(EHDR_FIELDS)))]
    else:
        n = max(1, min(_phnum(data), 8))
        off = _phoff(data) + 32 * draw(st.integers(0, n - 1)) + PHDR_FIELDS[draw(st.sampled_from(
            sorted(PHDR_FIELDS)))]
        size = 4
    old = int.from_bytes(data[off:off + size], "little") if off + size <= len(data) else 0
    return Mutation(str(size), off, draw(_values(8 * size, old, len(data))))


@st.composite
def mutated_elfs(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = SEEDS[name]
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        data = draw(mutations(data)).apply(data)
    return name, data


# ------------------------------------------------------------------ the checks

def run_cli(path: Path) -> tuple[int, str]:
    """``chainrv run`` in this process: (status, stderr); an exception fails the test."""
    out = io.TextIOWrapper(io.BytesIO(), write_through=True)
    err = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["run", str(path), "--max-instructions", MAX_INSTRUCTIONS])
    return status, err.getvalue()


def independent_problems(data: bytes) -> list[str]:
    """What pyelftools' reading of ``data`` says a loader must refuse (a subset of
    the checks: the segment table only)."""
    problems = []
    with contextlib.suppress(Exception):    # what pyelftools cannot parse is judged by the CLI check
        elf = ELFFile(io.BytesIO(data))
        for seg in elf.iter_segments():
            h = seg.header
            if h["p_type"] != "PT_LOAD":
                continue
            if h["p_filesz"] > h["p_memsz"]:
                problems.append("filesz > memsz")
            elif h["p_offset"] + h["p_filesz"] > len(data):
                problems.append("past the end")
        if elf["e_entry"] % 4:
            problems.append("misaligned entry")
    return problems


def check(data: bytes) -> None:
    path = _TMP / f"case-{os.getpid()}.elf"
    path.write_bytes(data)
    status, err = run_cli(path)
    assert "Traceback" not in err
    assert err.count("\n") <= 1, err
    assert status in PROGRAM_STATUSES, status
    try:
        read_elf(path, RAM_BASE, RAM_SIZE)
        iss_error = None
    except SimError as e:
        iss_error = str(e)
    if iss_error is not None:
        assert (status, err) == (2, f"chainrv: {iss_error}\n")
    else:
        assert not independent_problems(data), independent_problems(data)
    try:
        elf_to_words(path, RAM_SIZE)
        rtl_error = None
    except ProgramError as e:
        rtl_error = str(e)
    assert rtl_error == iss_error


def test_seeds_run() -> None:
    """Unmutated, every seed is accepted and runs to its own exit code."""
    expected = {"elfwriter": 9, "gnu": 9, "firmware": 4}
    for name, data in SEEDS.items():
        path = _TMP / f"{name}.elf"
        path.write_bytes(data)
        assert run_cli(path) == (expected[name], ""), name


FUZZ = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(max_examples=QUICK, **FUZZ)
@given(mutated_elfs())
def test_mutated_elfs(case: tuple[str, bytes]) -> None:
    check(case[1])


@pytest.mark.slow
@settings(max_examples=SLOW, **FUZZ)
@given(mutated_elfs())
def test_mutated_elfs_long(case: tuple[str, bytes]) -> None:
    check(case[1])
