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

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from isa.config import IsaConfig, IsaError

from .errors import CliError

GCC = os.environ.get("CHAINRV_GCC", "riscv64-unknown-elf-gcc")
FIRMWARE = Path(__file__).resolve().parent.parent / "firmware"
INCLUDE = FIRMWARE / "include"
LINK_SCRIPT = FIRMWARE / "link.ld"
RUNTIME_SOURCES = (FIRMWARE / "crt0.S", FIRMWARE / "runtime.c")

ABI = "ilp32"
#: picolibc's specs file: include path, TLS model, libc + libgcc link group.
SPECS = "--specs=picolibc.specs"
COMMON_CFLAGS = ("-mcmodel=medany", "-ffunction-sections", "-fdata-sections", "-Wall",
                 "-fno-common", "-std=gnu11")
RUNTIME_OPT = "2"
OPT_LEVELS = ("0", "1", "2", "3", "s", "z", "g", "fast")
SOURCE_SUFFIXES = (".c", ".S", ".s")


class BuildError(CliError):
    """A build that failed: bad input, compiler or linker error, no toolchain."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 2)


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


def _run(cmd: Sequence[str]) -> None:
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           errors="replace")
    except OSError as e:
        raise BuildError(f"cannot run {cmd[0]}: {e.strerror}") from None
    if p.returncode != 0:
        raise BuildError(f"build failed: {first_error_line(p.stdout)}")


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chainrv" / "runtime"


def _runtime_objects(gcc: str, cfg: IsaConfig, debug: bool) -> list[Path]:
    """crt0 and runtime objects for ``cfg``, cached by flags and source content."""
    flags = compile_flags(cfg, RUNTIME_OPT, debug)
    key = hashlib.sha256()
    key.update("\0".join([gcc, *flags]).encode())
    for src in (*RUNTIME_SOURCES, *sorted(INCLUDE.glob("*.h"))):
        key.update(src.name.encode() + b"\0" + src.read_bytes())
    folder = _cache_dir() / key.hexdigest()[:20]
    objs = [folder / (src.stem + ".o") for src in RUNTIME_SOURCES]
    if all(o.is_file() for o in objs):
        return objs
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = Path(tempfile.mkdtemp(prefix="chainrv-runtime-"))
        objs = [folder / (src.stem + ".o") for src in RUNTIME_SOURCES]
    for src, obj in zip(RUNTIME_SOURCES, objs, strict=True):
        # Concurrent builds write a private file and rename it into place.
        tmp = obj.with_name(f"{obj.stem}.{os.getpid()}.tmp.o")
        _run([gcc, *flags, "-c", str(src), "-o", str(tmp)])
        os.replace(tmp, obj)
    return objs


def build_elf(sources: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str],
              isa: str | IsaConfig = "rv32im", opt: str = "2", defines: Iterable[str] = (),
              debug: bool = False, extra_cflags: Iterable[str] = ()) -> Path:
    """Compile and link ``sources`` into the ELF ``out``; returns its path.

    Raises :class:`BuildError` (a ``CliError`` with status 2 and a one-line
    message) on a missing source, an unknown ISA string, a compiler or linker
    error, or a missing toolchain.
    """
    try:
        cfg = IsaConfig.parse(isa)
    except IsaError as e:
        raise BuildError(str(e)) from None
    opt = str(opt)
    if opt not in OPT_LEVELS:
        raise BuildError(f"unknown optimisation level '-O{opt}' (expected one of {', '.join(OPT_LEVELS)})")
    if not sources:
        raise BuildError("no source files given")
    srcs = [Path(s) for s in sources]
    for s in srcs:
        if not s.is_file():
            raise BuildError(f"no such source file: {s}")
    out_path = Path(out)
    if out_path.is_dir():
        raise BuildError(f"output is a directory: {out_path}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    defines = list(defines)
    extra_cflags = list(extra_cflags)

    gcc = _gcc()
    runtime = _runtime_objects(gcc, cfg, debug)
    flags = compile_flags(cfg, opt, debug, defines, extra_cflags)
    with tempfile.TemporaryDirectory(prefix="chainrv-build-") as tmp:
        objs: list[str] = []
        for i, src in enumerate(srcs):
            if src.suffix in SOURCE_SUFFIXES:
                obj = Path(tmp) / f"{i}_{src.stem}.o"
                _run([gcc, *flags, "-c", str(src), "-o", str(obj)])
                objs.append(str(obj))
            else:  # objects and archives go straight to the linker
                objs.append(str(src))
        _run([gcc, f"-march={link_march(cfg)}", f"-mabi={ABI}", SPECS, "-nostartfiles",
              "-T", str(LINK_SCRIPT), *(str(o) for o in runtime), *objs,
              "-Wl,--gc-sections", "-o", str(out_path)])
    return out_path
