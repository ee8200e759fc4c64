"""The symbol table and RISC-V attributes of an ELF32 file, read with ``struct``.

What a run needs of the section headers, read without pyelftools: importing it cost
a tenth of a warm ``chainrv run``'s start-up. The layouts are those of the System V
ABI (section header, ``Elf32_Sym``) and of the RISC-V psABI's build attributes (a
``'A'`` version byte, subsections of a length and a vendor name, sub-subsections of
a tag and a length, then attributes: a ULEB128 tag, then a NUL-terminated string
for an odd tag, a ULEB128 number for an even one). Any read outside the file or a
malformed field raises :class:`ValueError`, :class:`IndexError` or ``struct.error``.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

SHT_SYMTAB = 2
SHT_RISCV_ATTRIBUTES = 0x7000_0003
STT_OBJECT, STT_FUNC = 1, 2
TAG_FILE = 1
TAG_RISCV_ARCH = 5
_SHDR = struct.Struct("<10I")
_SYM = struct.Struct("<IIIBBH")


class Section(NamedTuple):
    name: int
    type: int
    offset: int
    size: int
    link: int


class RawSymbol(NamedTuple):
    name: str
    value: int
    size: int
    type: int


def sections(data: bytes) -> list[Section]:
    """The section headers (none when the file has no section table)."""
    shoff, = struct.unpack_from("<I", data, 32)
    shentsize, shnum = struct.unpack_from("<HH", data, 46)
    if shoff == 0:
        return []
    if shentsize < _SHDR.size:
        raise ValueError(f"section header size {shentsize}")
    if shnum == 0:  # more than 0xff00 sections: the count is in section 0's size
        shnum = _SHDR.unpack_from(data, shoff)[5]
    if shoff + shnum * shentsize > len(data):
        raise ValueError("the section table runs past the end of the file")
    out = []
    for k in range(shnum):
        f = _SHDR.unpack_from(data, shoff + k * shentsize)
        out.append(Section(f[0], f[1], f[4], f[5], f[6]))
    return out


def _body(data: bytes, s: Section) -> bytes:
    if s.offset + s.size > len(data):
        raise ValueError("a section runs past the end of the file")
    return data[s.offset:s.offset + s.size]


def _string(table: bytes, at: int) -> str:
    end = table.index(b"\0", at)  # ValueError when unterminated
    return table[at:end].decode("utf-8", "replace")


def symbols(data: bytes, secs: list[Section]) -> list[RawSymbol]:
    """Every named symbol of the ``SHT_SYMTAB`` sections, in file order."""
    out = []
    for s in secs:
        if s.type != SHT_SYMTAB:
            continue
        if s.link >= len(secs):
            raise ValueError(f"symbol table's string table index {s.link}")
        body, names = _body(data, s), _body(data, secs[s.link])
        for k in range(len(body) // _SYM.size):
            name, value, size, info, _, _ = _SYM.unpack_from(body, k * _SYM.size)
            if name:
                out.append(RawSymbol(_string(names, name), value, size, info & 0xF))
    return out


def _uleb(b: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = b[at]  # IndexError past the end
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def riscv_arch(data: bytes, secs: list[Section]) -> str | None:
    """``Tag_RISCV_arch`` of the ``riscv`` vendor's file attributes, if recorded."""
    arch = None
    for s in secs:
        if s.type != SHT_RISCV_ATTRIBUTES:
            continue
        b = _body(data, s)
        if not b or b[0] != ord("A"):
            raise ValueError("attributes section of an unknown version")
        at = 1
        while at < len(b):
            length, = struct.unpack_from("<I", b, at)
            end = at + length
            if length < 5 or end > len(b):
                raise ValueError("attributes subsection length")
            vendor_end = b.index(b"\0", at + 4, end)
            vendor = b[at + 4:vendor_end]
            p = vendor_end + 1
            while vendor == b"riscv" and p < end:
                tag, q = _uleb(b, p)
                size, = struct.unpack_from("<I", b, q)
                sub_end = p + size
                if size < 5 or sub_end > end:
                    raise ValueError("attributes sub-subsection length")
                q += 4
                while tag == TAG_FILE and q < sub_end:
                    attr, q = _uleb(b, q)
                    if attr & 1:  # odd tags hold strings
                        stop = b.index(b"\0", q, sub_end)
                        if attr == TAG_RISCV_ARCH:
                            arch = b[q:stop].decode("ascii", "replace")
                        q = stop + 1
                    else:
                        _, q = _uleb(b, q)
                p = sub_end
            at = end
    return arch
