"""Paths and helpers for the GNU RISC-V toolchain used as a reference."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PREFIX = "riscv64-unknown-elf-"
FULL_MARCH = "rv32im_zicsr_zk_zks"


def have_toolchain() -> bool:
    return shutil.which(PREFIX + "as") is not None


def link_asm(source: str, workdir: Path, name: str, march: str, base: int = 0x80000000) -> Path:
    """``source`` (assembly) built by GNU gcc and ld into ``workdir/name.elf``, its text at
    ``base``: a real linker's ELF, section headers and symbols included."""
    src = workdir / f"{name}.S"
    src.write_text(source)
    elf = workdir / f"{name}.elf"
    subprocess.run([PREFIX + "gcc", f"-march={march}", "-mabi=ilp32", "-nostdlib", "-Wl,-N",
                    f"-Wl,-Ttext={base:#x}", str(src), "-o", str(elf)], check=True, capture_output=True)
    return elf


def assemble_words(words: list[int], workdir: Path, march: str = FULL_MARCH) -> Path:
    """An object file holding ``words`` as instructions (``.insn``), at address 0."""
    src = workdir / "words.S"
    src.write_text(".text\n" + "".join(f".insn 4, {w:#010x}\n" for w in words))
    obj = workdir / "words.o"
    subprocess.run([PREFIX + "as", f"-march={march}", "-mabi=ilp32", str(src), "-o", str(obj)],
                   check=True, capture_output=True)
    return obj


def objdump_lines(obj: Path) -> list[tuple[int, int, str]]:
    """(address, word, text) for every instruction, ``-M no-aliases`` style."""
    out = subprocess.run([PREFIX + "objdump", "-d", "-M", "no-aliases", str(obj)],
                         check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0].strip().endswith(":"):
            addr = int(parts[0].strip()[:-1], 16)
            word = int(parts[1].strip(), 16)
            text = "\t".join(p.strip() for p in parts[2:]).split(" <")[0].split(" #")[0]
            rows.append((addr, word, text))
    return rows
