"""Run an ELF on the independent reference, ``qemu-system-riscv32 -M virt``."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from isa.config import IsaConfig
from isa.memmap import INPUT_ADDR, RAM_SIZE, input_placement

QEMU = "qemu-system-riscv32"
QEMU_FDT_ROOM = 2 << 20


@dataclass
class QemuResult:
    stdout: bytes
    status: int

    @property
    def text(self) -> str:
        return self.stdout.decode("latin-1")


def have_qemu() -> bool:
    return shutil.which(QEMU) is not None


def cpu_flags(isa: IsaConfig | str | None) -> str:
    cfg = IsaConfig.parse(isa or "rv32im_zicsr_zk_zks")
    # QEMU enables Zba/Zbb/Zbc/Zbs by default; they overlap Zbkb/Zbkc (clmul, ror, ...)
    flags = ["rv32", "c=false", "zba=false", "zbb=false", "zbc=false", "zbs=false"]
    for ext in ("zbkb", "zbkc", "zbkx", "zknd", "zkne", "zknh", "zksed", "zksh"):
        flags.append(f"{ext}={'true' if ext in cfg else 'false'}")
    if "m" not in cfg:
        flags.append("m=false")
    return ",".join(flags)


def run_qemu(elf: str | Path, isa: IsaConfig | str | None = None, input_file: str | Path | None = None,
             timeout: float = 60.0, *, input_bytes: bytes | None = None,
             ram_size: int | None = None) -> QemuResult:
    """``elf`` on QEMU. ``input_file`` is an input block already made
    (``isa.memmap.input_block``); ``input_bytes`` is placed as the ISS places
    it (``input_placement``: a large input's data above the default RAM) in
    ``ram_size`` bytes of RAM. QEMU gets ``-m`` 2 MiB more than that: it puts
    its device tree at the top of its RAM, aligned down to 2 MiB, and refuses
    to start where that overlaps the program or the input (its own default
    RAM, 128 MiB, when no ``ram_size`` is given)."""
    cmd = [QEMU, "-M", "virt", "-bios", "none", "-nographic", "-monitor", "none",
           "-serial", "stdio", "-cpu", cpu_flags(isa), "-kernel", str(elf)]
    if ram_size is not None:
        cmd += ["-m", f"{(ram_size + QEMU_FDT_ROOM) >> 10}K"]
    if input_file is not None:
        cmd += ["-device", f"loader,file={input_file},addr={INPUT_ADDR:#x},force-raw=on"]
    with tempfile.TemporaryDirectory() as tmp:
        if input_bytes is not None:
            for n, (addr, piece) in enumerate(input_placement(input_bytes, ram_size or RAM_SIZE)):
                path = Path(tmp) / f"input{n}.bin"
                path.write_bytes(piece)
                cmd += ["-device", f"loader,file={path},addr={addr:#x},force-raw=on"]
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return QemuResult(p.stdout, p.returncode)
