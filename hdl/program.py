"""Turn an ELF into RAM contents for the SoC (a word list or a ``$readmemh`` file)."""

from __future__ import annotations

from pathlib import Path

from elftools.elf.elffile import ELFFile

from .platform import RAM_BASE


class ProgramError(ValueError):
    """An ELF that cannot be loaded into the SoC's RAM."""


def elf_to_words(path: str | Path, ram_size: int, ram_base: int = RAM_BASE) -> list[int]:
    """Little-endian RAM words holding every loadable segment, up to the last used word."""
    image = bytearray()
    with open(path, "rb") as f:
        elf = ELFFile(f)
        if elf.elfclass != 32 or elf["e_machine"] != "EM_RISCV":
            raise ProgramError(f"{path}: not an RV32 ELF")
        for seg in elf.iter_segments():
            if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
                continue
            start = seg["p_paddr"] - ram_base
            if start < 0 or start + seg["p_memsz"] > ram_size:
                raise ProgramError(f"{path}: segment at {seg['p_paddr']:#x} lies outside RAM")
            data = seg.data()
            end = start + len(data)
            if len(image) < end:
                image.extend(bytes(end - len(image)))
            image[start:end] = data
    image.extend(bytes(-len(image) % 4))
    return [int.from_bytes(image[i:i + 4], "little") for i in range(0, len(image), 4)]


def write_ram_hex(words: list[int], path: str | Path, ram_size: int | None = None) -> Path:
    """A ``$readmemh`` file: one 32-bit word per line from address 0, zero-padded
    to ``ram_size`` bytes when given (simulators warn about short files)."""
    path = Path(path)
    if ram_size is not None:
        words = list(words) + [0] * (ram_size // 4 - len(words))
    path.write_text("".join(f"{w:08x}\n" for w in words))
    return path
