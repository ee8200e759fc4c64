"""Run an ELF on the independent reference, ``qemu-system-riscv32 -M virt``."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from isa.config import IsaConfig
from isa.memmap import INPUT_ADDR

QEMU = "qemu-system-riscv32"


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
             timeout: float = 60.0) -> QemuResult:
    cmd = [QEMU, "-M", "virt", "-bios", "none", "-nographic", "-monitor", "none",
           "-serial", "stdio", "-cpu", cpu_flags(isa), "-kernel", str(elf)]
    if input_file is not None:
        cmd += ["-device", f"loader,file={input_file},addr={INPUT_ADDR:#x},force-raw=on"]
    p = subprocess.run(cmd, capture_output=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return QemuResult(p.stdout, p.returncode)
