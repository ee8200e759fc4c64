"""``chainrv run --dump SYMBOL=FILE|ADDR:LEN=FILE``: a program's data written to host
files after the run (the documented way out for results beyond standard output,
docs/firmware.md), checked against values computed here and the ELF's own bytes."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from chainrv.cli import main
from chainrv.toolchain import GCC, build_elf
from simulator.elfload import read_elf

pytestmark = pytest.mark.skipif(shutil.which(GCC) is None, reason="no RISC-V GCC")

SRC = r"""
#include <stdint.h>
#include <stdio.h>
uint32_t table[48];
uint8_t note[5] = "hello";
int main(int argc, char **argv) {
    (void)argv;
    for (int i = 0; i < 48; i++) table[i] = (uint32_t)i * 2654435761u;
    note[0] = 'j';
    if (argc > 99) puts("unused");
    __asm__ volatile (".word 0");  /* an illegal instruction: the run stops with a trap */
    return 0;
}
"""


@pytest.fixture(scope="module")
def elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("dump")
    (d / "p.c").write_text(SRC)
    return build_elf([d / "p.c"], d / "p.elf", isa="rv32im")


def test_dump_objects_and_ranges(elf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["run", str(elf), "--dump", f"table={tmp_path / 't.bin'}", "--dump",
                   f"note={tmp_path / 'n.bin'}", "--dump", f"0x80000000:16={tmp_path / 'h.bin'}"])
    assert status == 3 and "illegal instruction" in capsys.readouterr().err  # dumped all the same
    want = [(i * 2654435761) & 0xFFFFFFFF for i in range(48)]
    assert struct.unpack("<48I", (tmp_path / "t.bin").read_bytes()) == tuple(want)
    assert (tmp_path / "n.bin").read_bytes() == b"jello"
    loaded = read_elf(elf, 0x80000000, 1 << 20)
    first = next(body for addr, body, _ in loaded.segments if addr == 0x80000000)
    assert (tmp_path / "h.bin").read_bytes() == first[:16]


@pytest.mark.parametrize("spec,message", [
    ("nosuch=x.bin", "no data object 'nosuch'"),
    ("table", "is not SYMBOL=FILE"),
    ("0x10:4=x.bin", "is not a range of RAM"),
    ("0x80000000:zz=x.bin", "invalid range"),
    ("table=/nonexistent-dir/x.bin", "no such directory"),
])
def test_bad_dumps_exit_2_before_the_run(elf: Path, capsys: pytest.CaptureFixture[str], spec: str,
                                         message: str) -> None:
    assert main(["run", str(elf), "--dump", spec]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.splitlines()) == 1 and "illegal" not in err
