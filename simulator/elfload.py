"""ELF loading with pyelftools: validation, PT_LOAD segments, function symbols."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from .errors import SimError


@dataclass(frozen=True)
class Symbol:
    name: str
    addr: int
    size: int


@dataclass
class LoadedElf:
    entry: int
    segments: list[tuple[int, bytes, int]]  # (address, file bytes, memory size)
    functions: list[Symbol]


def read_elf(path: str | Path, ram_base: int, ram_size: int) -> LoadedElf:
    """Parse and validate an RV32 little-endian executable for this RAM."""
    p = Path(path)
    try:
        f = p.open("rb")
    except FileNotFoundError:
        raise SimError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise SimError(f"{p}: is a directory") from None
    except OSError as e:
        raise SimError(f"{p}: cannot read ({e.strerror})") from None
    with f:
        if f.read(4) != b"\x7fELF":
            raise SimError(f"{p}: not an ELF file")
        f.seek(0)
        try:
            elf = ELFFile(f)
            if elf.elfclass != 32:
                raise SimError(f"{p}: ELF{elf.elfclass} file, expected a 32-bit RISC-V ELF")
            if not elf.little_endian:
                raise SimError(f"{p}: big-endian ELF, expected little-endian RISC-V")
            if elf["e_machine"] != "EM_RISCV":
                raise SimError(f"{p}: ELF for machine {elf['e_machine']}, expected RISC-V")
            segments = []
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
                    continue
                addr, memsz = seg["p_paddr"], seg["p_memsz"]
                if addr < ram_base or addr + memsz > ram_base + ram_size:
                    raise SimError(f"{p}: segment {addr:#x}..{addr + memsz:#x} is outside RAM "
                                   f"({ram_base:#x}..{ram_base + ram_size:#x})")
                segments.append((addr, seg.data()[:seg["p_filesz"]], memsz))
            if not segments:
                raise SimError(f"{p}: no loadable segment")
            entry = elf["e_entry"]
            if not ram_base <= entry < ram_base + ram_size:
                raise SimError(f"{p}: entry point {entry:#x} is outside RAM")
            functions = []
            symtab = elf.get_section_by_name(".symtab")
            if isinstance(symtab, SymbolTableSection):
                for sym in symtab.iter_symbols():
                    if sym["st_info"]["type"] == "STT_FUNC" and sym.name:
                        functions.append(Symbol(sym.name, sym["st_value"], sym["st_size"]))
        except (ELFError, ValueError, KeyError, IndexError, struct.error) as e:
            if isinstance(e, SimError):
                raise
            raise SimError(f"{p}: malformed ELF file ({e})") from None
    return LoadedElf(entry, segments, sorted(functions, key=lambda s: s.addr))
