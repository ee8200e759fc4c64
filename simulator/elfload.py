"""ELF loading: validation, PT_LOAD segments, function symbols.

The one loader of the project: the ISS (``Machine.load_elf``), the lockstep
harness and the SoC's RAM images all go through :func:`read_elf`, so every
side accepts and refuses the same files. The file is read whole (pipes and
FIFOs work), the ELF and program headers are checked field by field, and
the symbol table and attributes are read by ``simulator/elfsyms.py``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from . import elfsyms
from .errors import SimError

#: ELF32 header after e_ident, and one program header (little-endian).
_EHDR = struct.Struct("<HHIIIIIHHHHHH")
_PHDR = struct.Struct("<IIIIIIII")
EHDR_SIZE = 16 + _EHDR.size             # 52
PHDR_SIZE = _PHDR.size                  # 32
ET_REL, ET_EXEC, ET_DYN = 1, 2, 3
EM_RISCV = 243
PT_LOAD = 1
PN_XNUM = 0xFFFF
#: Larger files are refused rather than read into memory (``/dev/zero`` with an ELF header...).
MAX_FILE_SIZE = 1 << 30
_MACHINES = {3: "x86", 8: "MIPS", 20: "PowerPC", 21: "PowerPC64", 40: "ARM", 62: "x86-64", 183: "AArch64"}


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
    stack: int | None = None       # the ``__stack`` symbol of chainrv's link script
    arch: str | None = None        # Tag_RISCV_arch of its .riscv.attributes, when it has one
    data: bytes = field(default=b"", repr=False)  # the whole file (its debug information)
    objects: list[Symbol] = field(default_factory=list)  # STT_OBJECT symbols (data), by address


@dataclass(frozen=True)
class _Header:
    etype: int
    entry: int
    phoff: int
    phentsize: int
    phnum: int


@dataclass(frozen=True)
class _Phdr:
    index: int
    type: int
    offset: int
    paddr: int
    filesz: int
    memsz: int


def read_elf(path: str | Path, ram_base: int, ram_size: int) -> LoadedElf:
    """Read, parse and validate an RV32 little-endian executable for this RAM."""
    p = Path(path)
    return parse_elf(read_file(p), ram_base, ram_size, str(p))


def read_file(p: Path) -> bytes:
    """The whole file, from a regular file, a pipe or a FIFO; SimError when unreadable."""
    try:
        with p.open("rb") as f:
            if f.read(4) != b"\x7fELF":
                raise SimError(f"{p}: not an ELF file")
            data = _read_rest(f, b"\x7fELF")
    except FileNotFoundError:
        raise SimError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise SimError(f"{p}: is a directory") from None
    except OSError as e:
        raise SimError(f"{p}: cannot read ({e.strerror or e})") from None
    if len(data) > MAX_FILE_SIZE:
        raise SimError(f"{p}: larger than {MAX_FILE_SIZE >> 20} MiB, not a program")
    return data


def _read_rest(f: BinaryIO, data: bytes) -> bytes:
    """``data`` and the rest of ``f``, in chunks: at most one byte past MAX_FILE_SIZE."""
    buf = bytearray(data)
    while len(buf) <= MAX_FILE_SIZE:
        chunk = f.read(min(1 << 20, MAX_FILE_SIZE + 1 - len(buf)))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def parse_elf(data: bytes, ram_base: int, ram_size: int, name: str = "ELF") -> LoadedElf:
    """Validate ``data`` (a whole ELF file) for RAM ``[ram_base, ram_base + ram_size)``.

    Every refusal is a one-line SimError naming ``name``."""
    hdr = _header(data, name)
    phdrs = _program_headers(data, hdr, name)
    headers = ((0, EHDR_SIZE), (hdr.phoff, hdr.phoff + hdr.phnum * hdr.phentsize))
    segments = [s for ph in phdrs if ph.type == PT_LOAD
                for s in [_segment(data, ph, headers, ram_base, ram_size, name)] if s is not None]
    if not segments:
        raise SimError(f"{name}: no loadable segment")
    _check_overlaps(segments, name)
    _check_entry(hdr.entry, segments, ram_base, ram_size, name)
    functions, stack, arch, objects = _symbols(data, name)
    if stack is not None and stack > ram_base + ram_size:
        # crt0 sets sp to __stack; the first push would fault far from any cause the user sees
        raise SimError(f"{name}: its stack starts at {stack:#x} (__stack), past the end of RAM at "
                       f"{ram_base + ram_size:#x}; programs linked with firmware/link.ld need "
                       f"{(stack - ram_base) >> 10} KiB of RAM or more")
    return LoadedElf(hdr.entry, segments, functions, stack, arch, data, objects)


def _header(data: bytes, name: str) -> _Header:
    if data[:4] != b"\x7fELF":
        raise SimError(f"{name}: not an ELF file")
    if len(data) < EHDR_SIZE:
        raise SimError(f"{name}: truncated ELF header ({len(data)} of {EHDR_SIZE} bytes)")
    if data[4] != 1:
        kind = "ELF64 file" if data[4] == 2 else f"invalid ELF class {data[4]}"
        raise SimError(f"{name}: {kind}, expected a 32-bit RISC-V ELF")
    if data[5] != 1:
        kind = "big-endian ELF" if data[5] == 2 else f"invalid ELF data encoding {data[5]}"
        raise SimError(f"{name}: {kind}, expected little-endian RISC-V")
    (etype, machine, _version, entry, phoff, _shoff, _flags, _ehsize, phentsize, phnum,
     *_rest) = _EHDR.unpack_from(data, 16)
    if machine != EM_RISCV:
        what = _MACHINES.get(machine, f"machine {machine}")
        raise SimError(f"{name}: ELF for {what}, expected RISC-V")
    if etype == ET_REL:
        raise SimError(f"{name}: a relocatable object file, not an executable (link it first)")
    if etype not in (ET_EXEC, ET_DYN):
        raise SimError(f"{name}: ELF type {etype} is not an executable")
    return _Header(etype, entry, phoff, phentsize, phnum)


def _program_headers(data: bytes, hdr: _Header, name: str) -> list[_Phdr]:
    if hdr.phnum == 0:
        raise SimError(f"{name}: no program headers (no loadable segment)")
    if hdr.phnum == PN_XNUM:
        raise SimError(f"{name}: too many program headers ({PN_XNUM} or more)")
    if hdr.phentsize != PHDR_SIZE:
        raise SimError(f"{name}: program header size {hdr.phentsize}, expected {PHDR_SIZE}")
    end = hdr.phoff + hdr.phnum * PHDR_SIZE
    if end > len(data):
        raise SimError(f"{name}: program headers {hdr.phoff:#x}..{end:#x} lie past the end of the "
                       f"file ({len(data):#x} bytes)")
    out = []
    for i in range(hdr.phnum):
        ptype, offset, _vaddr, paddr, filesz, memsz, _flags, _align = \
            _PHDR.unpack_from(data, hdr.phoff + i * PHDR_SIZE)
        out.append(_Phdr(i, ptype, offset, paddr, filesz, memsz))
    return out


def _segment(data: bytes, ph: _Phdr, headers: tuple[tuple[int, int], ...], ram_base: int,
             ram_size: int, name: str) -> tuple[int, bytes, int] | None:
    """``(address, file bytes, memory size)`` of a PT_LOAD segment, or None when
    nothing of it is to be loaded."""
    what = f"{name}: segment {ph.index}"
    if ph.filesz > ph.memsz:
        raise SimError(f"{what}: file size {ph.filesz:#x} exceeds its memory size {ph.memsz:#x}")
    if ph.offset + ph.filesz > len(data):
        raise SimError(f"{what}: file bytes {ph.offset:#x}..{ph.offset + ph.filesz:#x} lie past the end "
                       f"of the file ({len(data):#x} bytes; truncated?)")
    if ph.memsz == 0:
        return None
    addr, memsz = ph.paddr, ph.memsz
    body = data[ph.offset:ph.offset + ph.filesz]
    # Linked with plain -Ttext=RAM_BASE, the first segment starts a page early
    # to hold the file's headers: QEMU and Spike run such files, and so do we,
    # as long as what lies below RAM is nothing but those headers.
    below = min(ram_base, addr + memsz) - addr
    if below > 0 and below <= len(body) and _only_headers(data, ph.offset, below, headers):
        addr, body, memsz = addr + below, body[below:], memsz - below
        if memsz == 0:
            return None
    ram_end = ram_base + ram_size
    if addr < ram_base or addr + memsz > ram_end:
        raise SimError(f"{what} {ph.paddr:#x}..{ph.paddr + ph.memsz:#x} is outside RAM "
                       f"({ram_base:#x}..{ram_end:#x})")
    return addr, body, memsz


def _only_headers(data: bytes, offset: int, n: int, headers: tuple[tuple[int, int], ...]) -> bool:
    """Whether file bytes ``[offset, offset + n)`` are ELF or program headers,
    or zero padding after them."""
    rest = bytearray(data[offset:offset + n])
    for lo, hi in headers:
        lo, hi = max(lo, offset), min(hi, offset + n)
        if lo < hi:
            rest[lo - offset:hi - offset] = bytes(hi - lo)
    return not rest.strip(b"\0")


def _check_overlaps(segments: list[tuple[int, bytes, int]], name: str) -> None:
    spans = sorted((addr, addr + memsz) for addr, _, memsz in segments)
    for (lo0, hi0), (lo1, hi1) in zip(spans, spans[1:], strict=False):
        if lo1 < hi0:
            raise SimError(f"{name}: segments {lo0:#x}..{hi0:#x} and {lo1:#x}..{hi1:#x} overlap")


def _check_entry(entry: int, segments: list[tuple[int, bytes, int]], ram_base: int, ram_size: int,
                 name: str) -> None:
    if not ram_base <= entry < ram_base + ram_size:
        raise SimError(f"{name}: entry point {entry:#x} is outside RAM")
    if entry % 4:
        raise SimError(f"{name}: entry point {entry:#x} is not a multiple of 4 "
                       f"(no compressed instructions on this core)")
    if not any(addr <= entry < addr + memsz for addr, _, memsz in segments):
        raise SimError(f"{name}: entry point {entry:#x} is not in a loadable segment")


def _symbols(data: bytes, name: str) -> tuple[list[Symbol], int | None, str | None, list[Symbol]]:
    """STT_FUNC symbols of the symbol table, by address (none without one), the value
    of ``__stack`` when the program defines it, the ISA its attributes record, and
    the STT_OBJECT symbols by address."""
    stack = None
    functions, objects = [], []
    try:
        secs = elfsyms.sections(data)
        for sym in elfsyms.symbols(data, secs):
            if sym.type == elfsyms.STT_FUNC:
                functions.append(Symbol(sym.name, sym.value, sym.size))
            elif sym.type == elfsyms.STT_OBJECT:
                objects.append(Symbol(sym.name, sym.value, sym.size))
            elif sym.name == "__stack":
                stack = sym.value
        arch = elfsyms.riscv_arch(data, secs)
    except (ValueError, IndexError, struct.error) as e:
        raise SimError(f"{name}: malformed section headers or symbol table "
                       f"({type(e).__name__}: {_one_line(e)})") from None
    return sorted(functions, key=lambda s: s.addr), stack, arch, sorted(objects, key=lambda s: s.addr)


def _one_line(e: Exception) -> str:
    text = " ".join(str(e).split())
    return text if len(text) <= 120 else text[:117] + "..."
