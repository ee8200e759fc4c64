"""chainrv as a user installs it: the wheel built from this checkout, installed with pip
into a folder of its own and run from a folder outside the checkout.

The wheel must hold every module and every firmware and kernel source of the checkout
(pyproject.toml lists its packages by hand), the installed commands must find what
they read as package data, and they must write their caches and outputs to the cache
folder or the current folder, never into the installed package. The dependencies come
from this environment (``PYTHONPATH`` names the install folder only).

The wheel is built and installed once for the module, on one xdist worker; the
co-simulation (a Verilator model of its own, unless ``cocotb_tests`` built it
already) runs under ``make regress`` only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chainrv import ROOT
from chainrv.kernels import KERNELS_DIR, load_kernel
from chainrv.toolchain import GCC
from simulator import run_elf

pytestmark = [
    pytest.mark.skipif(shutil.which(GCC) is None, reason="no RISC-V GCC"),
    pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                       reason="not a git checkout"),
    pytest.mark.xdist_group("wheel"),
]

#: The folders the wheel installs, and where: the packages as they are, firmware/ and
#: kernels/ inside chainrv (their .py files are generators, not shipped, but for the
#: package markers and firmware/gen_headers.py, a module of its package).
INSTALLED_AS = {"isa": "isa", "simulator": "simulator", "hdl": "hdl", "chainrv": "chainrv",
                "firmware": "chainrv/firmware", "kernels": "chainrv/kernel_sources"}

HELLO_C = '#include <stdio.h>\nint main(void) { printf("hello from the wheel\\n"); return 7; }\n'


def checkout_files() -> list[str]:
    """The checkout's files (tracked, and new ones not ignored), relative to it."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return [f for f in out.splitlines() if (ROOT / f).is_file()]


def shipped(relpath: str) -> str | None:
    """Where the wheel puts a file of the checkout, or None when it does not ship it."""
    top, _, rest = relpath.partition("/")
    if top not in INSTALLED_AS:
        return None
    if top == "kernels" and rest.endswith(".py") and "/" in rest:
        return None
    return f"{INSTALLED_AS[top]}/{rest}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built by pip from a copy of the checkout's files (the build leaves
    its own folders in the source tree)."""
    tmp = tmp_path_factory.mktemp("wheel")
    for rel in checkout_files():
        (tmp / "src" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, tmp / "src" / rel)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"),
                    str(tmp / "src")], check=True, capture_output=True, timeout=600)
    (found,) = (tmp / "dist").glob("chainrv-*.whl")
    return found


@pytest.fixture(scope="module")
def site(wheel: Path) -> Path:
    target = wheel.parent.parent / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, timeout=600)
    return target


def chainrv(site: Path, cwd: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(site))
    return subprocess.run([sys.executable, "-m", "chainrv.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


def package_files(site: Path) -> set[Path]:
    """The installed files, less Python's and Numba's own caches (``__pycache__``, docs/caches.md)."""
    return {p for p in site.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A working folder outside the checkout, holding a small C program."""
    work = tmp_path / "work"
    work.mkdir()
    assert not work.resolve().is_relative_to(ROOT)
    (work / "hello.c").write_text(HELLO_C)
    return work


def test_wheel_holds_every_module_and_source(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {dst for f in checkout_files() if (dst := shipped(f))}
    assert expected - names == set()
    assert "chainrv/cosim/lockstep_top.v" in names and "chainrv/firmware/link.ld" in names


def test_installed_packages_are_the_wheels(site: Path, outside: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(site))
    code = ("import chainrv, chainrv.cosim, chainrv.firmware, chainrv.kernel_sources, chainrv.synth, "
            "hdl, isa, simulator\n"
            "for m in (chainrv, chainrv.cosim, chainrv.firmware, chainrv.kernel_sources, chainrv.synth, "
            "hdl, isa, simulator): print(m.__file__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=outside, env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert len(out) == 8
    for path in out:
        assert Path(path).is_relative_to(site), path


def test_build_run_report_synth_from_another_folder(site: Path, outside: Path) -> None:
    before = package_files(site)
    p = chainrv(site, outside, "build", "hello.c", "-o", "hello.elf", "--isa", "rv32im")
    assert p.returncode == 0, p.stderr
    p = chainrv(site, outside, "run", "hello.elf", "--isa", "rv32im", "--profile")
    assert (p.returncode, p.stdout.splitlines()[0]) == (7, "hello from the wheel"), p.stderr

    p = chainrv(site, outside, "report", "--kernels", "sha256", "--isa", "rv32im", "--out", "rep")
    assert p.returncode == 0, p.stderr
    (row,) = json.loads((outside / "rep" / "report.json").read_text())
    # the checkout's ISS on the checkout's build of the kernel: the same cycles
    elf = load_kernel(KERNELS_DIR / "sha256").build("rv32im")
    assert (row["kernel"], row["cycles"]) == ("sha256", run_elf(elf, isa="rv32im").cycles)

    p = chainrv(site, outside, "synth", "--isa", "rv32im")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("rv32im") and "\ntotal " in p.stdout

    assert package_files(site) == before
    assert {f.name for f in outside.iterdir()} == {"hello.c", "hello.elf", "rep"}


@pytest.mark.slow
def test_cosim_from_another_folder(site: Path, outside: Path) -> None:
    from chainrv.cosim import harness

    if not harness.have_sim("verilator"):
        pytest.skip("verilator not installed")
    before = package_files(site)
    assert chainrv(site, outside, "build", "hello.c", "-o", "hello.elf", "--isa", "rv32im").returncode == 0
    p = chainrv(site, outside, "cosim", "hello.elf", "--sim", "verilator", "--isa", "rv32im",
                "--ram-size", "2M")
    assert (p.returncode, p.stdout) == (0, "hello from the wheel\n"), p.stderr
    assert "in lockstep" in p.stderr and "exit code 7" in p.stderr
    assert package_files(site) == before
    assert {f.name for f in outside.iterdir()} == {"hello.c", "hello.elf"}
