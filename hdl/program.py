"""Turn an ELF into RAM contents for the SoC (a word list or a ``$readmemh`` file)."""

from __future__ import annotations

from pathlib import Path

from isa.memmap import RAM_BASE


class ProgramError(ValueError):
    """An ELF that cannot be loaded into the SoC's RAM."""


def elf_to_words(path: str | Path, ram_size: int, ram_base: int = RAM_BASE) -> list[int]:
    """Little-endian RAM words holding every loadable segment, up to the last used word.

    The ELF is read and checked by the ISS's loader, so the RTL and the ISS
    accept and refuse the same files."""
    from simulator.elfload import read_elf
    from simulator.errors import SimError

    try:
        elf = read_elf(path, ram_base, ram_size)
    except SimError as e:
        raise ProgramError(str(e)) from None
    image = bytearray()
    for addr, data, _memsz in elf.segments:
        start = addr - ram_base
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
