"""A minimal little-endian ELF32 RISC-V executable writer (for generated programs)."""

from __future__ import annotations

import struct

EM_RISCV = 243
PT_LOAD = 1
SHT_STRTAB = 3


def make_elf(segments: list[tuple[int, bytes]], entry: int) -> bytes:
    """One PT_LOAD program header per ``(address, data)`` segment, and a section table of
    only the null section and ``.shstrtab`` (loaders such as Spike's require one)."""
    ehsize, phentsize = 52, 32
    offset = ehsize + phentsize * len(segments)
    phdrs = b""
    body = b""
    for addr, data in segments:
        pad = (-(offset + len(body))) % 4
        body += bytes(pad)
        phdrs += struct.pack("<IIIIIIII", PT_LOAD, offset + len(body), addr, addr,
                             len(data), len(data), 7, 4)
        body += data
    names = b"\0.shstrtab\0"
    strtab_at = offset + len(body)
    body += names + bytes((-(strtab_at + len(names))) % 4)
    shoff = offset + len(body)
    sections = bytes(40) + struct.pack("<IIIIIIIIII", 1, SHT_STRTAB, 0, 0, strtab_at, len(names), 0, 0, 1, 0)
    ident = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)
    header = ident + struct.pack("<HHIIIIIHHHHHH", 2, EM_RISCV, 1, entry, ehsize, shoff, 0,
                                 ehsize, phentsize, len(segments), 40, 2, 1)
    return header + phdrs + body + sections
