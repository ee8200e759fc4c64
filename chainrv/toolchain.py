"""Build chainrv programs with ``riscv64-unknown-elf-gcc`` and picolibc.

``build_elf`` compiles each source with the ``-march`` of the requested ISA
configuration, adds the firmware runtime (``firmware/crt0.S``,
``firmware/runtime.c``) compiled for the same ISA, and links with
``firmware/link.ld``.

Two GCC 12 facts shape the flags (see docs/firmware.md):

* ``-march`` is ``IsaConfig.gcc_march()``: ``rv32i``/``rv32im`` plus the
  multi-letter extensions, with ``zicsr`` always present (GCC 12 defaults to
  ISA spec 20191213, where ``csrr`` needs it) and ``zicntr``/``xchain``
  dropped (the assembler rejects them); ``xchain`` becomes
  ``-DCHAINRV_XCHAIN=1``. ``zkt`` is accepted and kept.
* Multilib selection does not match crypto ``-march`` strings and would pick
  the rv64 libraries, so the link step uses the plain ``rv32im`` (or
  ``rv32i``) ``-march`` to take picolibc and libgcc from that multilib.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from isa.config import IsaConfig, IsaError
from simulator import diskcache

from . import firmware
from .errors import CliError
from .outputs import write_text_atomic

GCC = os.environ.get("CHAINRV_GCC", "riscv64-unknown-elf-gcc")
#: The repository's firmware/, installed as chainrv.firmware (pyproject.toml).
FIRMWARE = Path(firmware.__file__).resolve().parent
INCLUDE = FIRMWARE / "include"
LINK_SCRIPT = FIRMWARE / "link.ld"
RUNTIME_SOURCES = (FIRMWARE / "crt0.S", FIRMWARE / "runtime.c")

ABI = "ilp32"
#: picolibc's specs file: include path, TLS model, libc + libgcc link group.
SPECS = "--specs=picolibc.specs"
COMMON_CFLAGS = ("-mcmodel=medany", "-ffunction-sections", "-fdata-sections", "-Wall",
                 "-fno-common", "-std=gnu11")
RUNTIME_OPT = "2"
#: Link flags besides the ISA's. The link script has one segment, readable, writable and
#: executable by design (code and data in one RAM): ld's warning about it says nothing.
LINK_FLAGS = ("-nostartfiles", "-T", str(LINK_SCRIPT), "-Wl,--gc-sections", "-Wl,--no-warn-rwx-segments")
OPT_LEVELS = ("0", "1", "2", "3", "s", "z", "g", "fast")
SOURCE_SUFFIXES = (".c", ".S", ".s")


class BuildError(CliError):
    """A build that failed: bad input, compiler or linker error, no toolchain. ``details``
    holds the tool's whole output, when a tool failed."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message, 2)
        self.details = details


def link_march(cfg: IsaConfig) -> str:
    """``-march`` for the link step: the base multilib picolibc ships."""
    return "rv32im" if "m" in cfg else "rv32i"


def compile_flags(cfg: IsaConfig, opt: str, debug: bool, defines: Iterable[str] = (),
                  extra_cflags: Iterable[str] = ()) -> list[str]:
    flags = [f"-march={cfg.gcc_march()}", f"-mabi={ABI}", SPECS, f"-O{opt}", *COMMON_CFLAGS,
             f"-I{INCLUDE}"]
    if debug:
        flags.append("-g")
    if "xchain" in cfg:
        # GCC does not know the custom extension: kernels select their
        # Xchain paths (chainrv_xchain.h, .insn) on this macro instead.
        flags.append("-DCHAINRV_XCHAIN=1")
    flags += [f"-D{d}" for d in defines]
    flags += list(extra_cflags)
    return flags


def _gcc() -> str:
    path = shutil.which(GCC)
    if path is None:
        raise BuildError(f"{GCC} not found (install gcc-riscv64-unknown-elf and "
                         "picolibc-riscv64-unknown-elf, or run 'make setup')")
    return path


_LD_PREFIX = re.compile(r"^\S*/(?:riscv64-unknown-elf-)?ld(?:\.bfd)?:\s*")
_PRIORITY = (re.compile(r"\b(?:fatal )?error\b", re.I),
             re.compile(r"undefined reference|multiple definition"), _LD_PREFIX)


def first_error_line(output: str) -> str:
    """The most telling single line of gcc/as/ld output."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    # collect2's "ld returned 1 exit status" only says that ld said something.
    useful = [ln for ln in lines if not ln.startswith("collect2:") and "warning:" not in ln]
    pick = next((ln for pat in _PRIORITY for ln in useful if pat.search(ln)),
                (useful or lines or ["unknown error"])[0])
    # ld prefixes its full path; "ld:" says the same thing.
    return _LD_PREFIX.sub("ld: ", pick)


def _run(cmd: Sequence[str], names: Sequence[tuple[str, str]] = ()) -> str:
    """Run a toolchain command; returns what it said (its warnings). Its first error line
    becomes a :class:`BuildError` carrying the whole output. ``names``: (temporary name,
    name shown) pairs, so that messages name what the user knows; ld's full path is
    shortened to ``ld:``."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           errors="replace")
    except OSError as e:
        raise BuildError(f"cannot run {cmd[0]}: {e.strerror}") from None
    said = "".join(_LD_PREFIX.sub("ld: ", ln) for ln in p.stdout.splitlines(keepends=True))
    for tmp, shown in names:
        said = said.replace(tmp, shown)
    if p.returncode != 0:
        raise BuildError(f"build failed: {first_error_line(said)}", said)
    return said


# ---------------------------------------------------------------- ELF checks

EM_RISCV = 243
ET_REL, ET_EXEC = 1, 2
_EHDR = struct.Struct("<16sHHIIIIIHHHHHH")
_SHDR = struct.Struct("<10I")
_PHDR = struct.Struct("<8I")
SHT_NOBITS, PT_LOAD = 8, 1


def elf_problem(path: Path, e_type: int) -> str | None:
    """What keeps ``path`` from being a whole RV32 little-endian ELF of ``e_type``
    (``ET_REL``: an object, ``ET_EXEC``: a program with a loadable segment), or None.

    Truncation shows as a header, section or segment reaching past the end of the file.
    """
    data = path.read_bytes()
    if len(data) < _EHDR.size:
        return "empty file" if not data else "truncated ELF header"
    (ident, typ, machine, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum,
     _) = _EHDR.unpack_from(data)
    if ident[:4] != b"\x7fELF":
        return "not an ELF file"
    if ident[4:6] != b"\x01\x01":
        return "not a 32-bit little-endian ELF"
    if machine != EM_RISCV:
        return f"ELF for machine {machine}, not RISC-V"
    if typ != e_type:
        return f"ELF type {typ}, expected {e_type}"
    return _sections_problem(data, shoff, shentsize, shnum) or (
        _segments_problem(data, phoff, phentsize, phnum) if e_type == ET_EXEC else None)


def _sections_problem(data: bytes, shoff: int, shentsize: int, shnum: int) -> str | None:
    if shnum == 0 or shentsize != _SHDR.size or shoff + shnum * _SHDR.size > len(data):
        return "section headers missing or truncated"
    for i in range(shnum):
        sh = _SHDR.unpack_from(data, shoff + i * _SHDR.size)
        if sh[1] != SHT_NOBITS and sh[4] + sh[5] > len(data):
            return f"section {i} reaches past the end of the file"
    return None


def _segments_problem(data: bytes, phoff: int, phentsize: int, phnum: int) -> str | None:
    if phnum and (phentsize != _PHDR.size or phoff + phnum * _PHDR.size > len(data)):
        return "program headers truncated"
    loads = [ph for ph in (_PHDR.unpack_from(data, phoff + i * _PHDR.size) for i in range(phnum))
             if ph[0] == PT_LOAD and ph[5] > 0]
    if not loads:
        return "no loadable segment"
    if any(ph[1] + ph[4] > len(data) for ph in loads):
        return "a loadable segment reaches past the end of the file"
    return None


def object_problem(path: Path) -> str | None:
    return elf_problem(path, ET_REL)


def program_problem(path: Path) -> str | None:
    return elf_problem(path, ET_EXEC)


# ---------------------------------------------------------------- runtime objects

def toolchain_key(gcc: str | None = None) -> str:
    """Names the compiler and this module's flags for cache keys: the compiler's path,
    size, time and version (an upgrade changes them), and every flag a build adds besides
    its ISA's and the caller's."""
    gcc = gcc or shutil.which(GCC) or GCC
    flags = " ".join((ABI, SPECS, *COMMON_CFLAGS, RUNTIME_OPT, *LINK_FLAGS))
    try:
        st = os.stat(gcc)
    except OSError:
        return f"{gcc} {flags}"
    return f"{gcc} {st.st_size} {st.st_mtime_ns} {_version(gcc)} {flags}"


@functools.cache
def _version(gcc: str) -> str:
    try:
        p = subprocess.run([gcc, "-dumpfullversion"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "?"
    return p.stdout.strip() or "?"


def _runtime_objects(gcc: str, cfg: IsaConfig, debug: bool, scratch: Path) -> list[Path]:
    """crt0 and runtime objects for ``cfg``, cached by compiler, flags and source content
    (docs/caches.md); in ``scratch`` when no cache folder can be written."""
    flags = compile_flags(cfg, RUNTIME_OPT, debug)
    inputs = [src.name.encode() + b"\0" + src.read_bytes()
              for src in (*RUNTIME_SOURCES, *sorted(INCLUDE.glob("*.h")))]
    key = diskcache.digest(toolchain_key(gcc), *flags, *inputs, length=20)
    folder = (diskcache.cache_folder("runtime") or scratch) / key
    return [_runtime_object(gcc, flags, src, folder / (src.stem + ".o")) for src in RUNTIME_SOURCES]


def _runtime_object(gcc: str, flags: list[str], src: Path, obj: Path) -> Path:
    try:
        return diskcache.cached(obj, lambda tmp: _run([gcc, *flags, "-c", str(src), "-o", str(tmp)]),
                                object_problem)
    except diskcache.BadEntry as e:
        raise BuildError(f"build failed: {src.name} compiled to an unusable object ({e})") from None
    except OSError as e:
        raise BuildError(f"cannot write the runtime object {obj}: {_reason(e)}") from None


# ---------------------------------------------------------------- build

def _reason(e: OSError) -> str:
    if isinstance(e, FileExistsError | NotADirectoryError):
        return "a path component is not a directory"
    return (e.strerror or str(e)).lower()


def _check_sources(sources: Sequence[str | os.PathLike[str]]) -> list[Path]:
    if not sources:
        raise BuildError("no source files given")
    srcs = [Path(s) for s in sources]
    for s in srcs:
        if not s.is_file():
            raise BuildError(f"no such source file: {s}")
    return srcs


def _output_path(out: str | os.PathLike[str], srcs: list[Path]) -> Path:
    """Where the ELF goes: never onto a source, never into a path that cannot be a folder."""
    path = Path(out)
    if path.is_dir():
        raise BuildError(f"output is a directory: {out}")
    if path.exists():
        for s in srcs:
            if os.path.samefile(s, path):
                raise BuildError(f"input file {s} is the same as output file {out}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BuildError(f"cannot create the output folder of {out}: {_reason(e)}") from None
    return path


def _write_program(out: Path, shown: str, link: list[str], scratch: Path,
                   names: Sequence[tuple[str, str]] = ()) -> str:
    """Link into a temporary file beside ``out``, check it, then rename it over ``out``: a
    failed build leaves no partial file and keeps the previous ``out``. An ``out`` that
    exists and is no regular file (``/dev/null``, a FIFO) cannot be replaced: the checked
    program is written into it. Returns what the linker said."""
    said = []

    def make(tmp: Path) -> None:
        said.append(_run([*link, "-o", str(tmp)], [(str(tmp), shown), *names]))

    special = out.exists() and not out.is_file()
    try:
        made = diskcache.produce(scratch / "program.elf" if special else out, make, program_problem,
                                 mode=0o777)
        if special:
            with out.open("wb") as f:
                f.write(made.read_bytes())
    except diskcache.BadEntry as e:
        raise BuildError(f"build failed: the linked program is unusable ({e})") from None
    except OSError as e:
        raise BuildError(f"cannot write {shown}: {_reason(e)}") from None
    return "".join(said)


def build_elf(sources: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str],
              isa: str | IsaConfig = "rv32im", opt: str = "2", defines: Iterable[str] = (),
              debug: bool = False, extra_cflags: Iterable[str] = (), include_dirs: Iterable[str] = (),
              ldflags: Iterable[str] = (), map_file: str | os.PathLike[str] | None = None,
              warnings: list[str] | None = None) -> Path:
    """Compile and link ``sources`` into the ELF ``out``; returns its path.

    ``include_dirs`` become ``-I``, ``extra_cflags`` go to every compile and ``ldflags``
    to the link; ``map_file`` receives the linker's map. What the compiler and linker
    said on success (their warnings) is appended to ``warnings``.

    ``out`` is replaced atomically, and only by a program with a loadable segment.
    Raises :class:`BuildError` (a ``CliError`` with status 2 and a one-line
    message; ``details``, the tool's whole output) on a missing source, an output that
    is a source or cannot be written, an unknown ISA string, a compiler or linker
    error, or a missing toolchain.
    """
    try:
        cfg = IsaConfig.parse(isa)
    except IsaError as e:
        raise BuildError(str(e)) from None
    opt = str(opt)
    if opt not in OPT_LEVELS:
        raise BuildError(f"unknown optimisation level '-O{opt}' (expected one of {', '.join(OPT_LEVELS)})")
    srcs = _check_sources(sources)
    out_path = _output_path(out, srcs)
    gcc = _gcc()
    flags = compile_flags(cfg, opt, debug, list(defines),
                          [*(f"-I{d}" for d in include_dirs), *extra_cflags])
    said = warnings if warnings is not None else []
    link_extra = list(ldflags)
    try:
        scratch = tempfile.TemporaryDirectory(prefix="chainrv-build-")
    except OSError as e:
        raise BuildError(f"cannot create a temporary folder: {_reason(e)}") from None
    with scratch as tmp:
        runtime = _runtime_objects(gcc, cfg, debug, Path(tmp))
        if map_file is not None:
            link_extra.append(f"-Wl,-Map={Path(tmp) / 'out.map'}")
        objs: list[str] = []
        names: list[tuple[str, str]] = []  # the linker names objects by their temporary paths
        for i, src in enumerate(srcs):
            if src.suffix in SOURCE_SUFFIXES:
                obj = Path(tmp) / f"{i}_{src.stem}.o"
                names.append((str(obj), f"{src}.o"))
                said.append(_run([gcc, *flags, "-c", str(src), "-o", str(obj)]))
                objs.append(str(obj))
            else:  # objects and archives go straight to the linker
                objs.append(str(src))
        said.append(_write_program(out_path, str(out), [
            gcc, f"-march={link_march(cfg)}", f"-mabi={ABI}", SPECS, *LINK_FLAGS,
            *(str(o) for o in runtime), *objs, *link_extra], Path(tmp), names))
        if map_file is not None:
            _write_map(Path(tmp) / "out.map", Path(map_file), str(out))
    said[:] = [s for s in said if s.strip()]
    return out_path


def _write_map(made: Path, map_file: Path, shown: str) -> None:
    """The linker's map, naming the output the user asked for, replaced atomically."""
    text = re.sub(r"^OUTPUT\((.*) (elf32-\S+)\)$", lambda m: f"OUTPUT({shown} {m.group(2)})",
                  made.read_text(errors="replace"), flags=re.M)
    try:
        write_text_atomic(map_file, text)
    except OSError as e:
        raise BuildError(f"cannot write the map file {map_file}: {_reason(e)}") from None
