"""The platform facts of ``isa/memmap.py`` as the firmware states them.

``chainrv.h`` (through the generated ``chainrv_platform.h``) is checked by the
compiler, constant by constant; ``firmware/link.ld`` by the symbols of a
linked program and the message of its overlap check; ``runtime.c`` and
``crt0.S`` by having no number of their own for any of it.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from qemu import have_qemu, run_qemu
from toolchain import PREFIX, have_toolchain

from chainrv.toolchain import FIRMWARE, INCLUDE, LINK_SCRIPT, SPECS, BuildError, build_elf
from isa import memmap as M

needs_toolchain = pytest.mark.skipif(not have_toolchain(), reason="riscv64-unknown-elf toolchain missing")

#: Every platform macro of chainrv.h and the value it must have.
HEADER_FACTS: dict[str, int] = {
    "CRV_UART_BASE": M.UART_BASE,
    "CRV_UART_THR": M.UART_THR,
    "CRV_UART_RBR": M.UART_RBR,
    "CRV_UART_LSR": M.UART_LSR,
    "CRV_UART_LSR_DR": M.UART_LSR_DR,
    "CRV_UART_LSR_THRE": M.UART_LSR_THRE,
    "CRV_FINISHER": M.FINISHER_BASE,
    "CRV_FINISHER_PASS": M.FINISHER_PASS,
    "CRV_FINISHER_FAIL": M.FINISHER_FAIL,
    "CRV_FINISHER_RESET": M.FINISHER_RESET,
    "CRV_FINISHER_CODE_SHIFT": M.FINISHER_CODE_SHIFT,
    "CRV_CLINT_BASE": M.CLINT_BASE,
    "CRV_CLINT_MTIMECMP": M.CLINT_MTIMECMP,
    "CRV_CLINT_MTIME": M.CLINT_MTIME,
    "CRV_MTIMECMP": M.CLINT_BASE + M.CLINT_MTIMECMP,
    "CRV_MTIME": M.CLINT_BASE + M.CLINT_MTIME,
    "CRV_CLOCK_HZ": 100_000_000,  # docs/firmware.md: the nominal clock, 100 MHz
    "CRV_RAM_BASE": M.RAM_BASE,
    "CRV_RAM_SIZE": M.RAM_SIZE,
    "CRV_RAM_TOP": M.RAM_BASE + M.RAM_SIZE,
    "CRV_INPUT_ADDR": M.INPUT_ADDR,
    "CRV_INPUT_REGION": M.INPUT_REGION,
    "CRV_INPUT_HEADER": M.INPUT_HEADER,
    "CRV_INPUT_MAGIC": M.INPUT_MAGIC,
    "CRV_INPUT_MAX": M.INPUT_MAX,
    "CRV_INPUT_LARGE_ADDR": M.INPUT_LARGE_ADDR,
    "CRV_INPUT_LARGE_MAX": M.INPUT_LARGE_MAX,
}


@needs_toolchain
def test_header_states_every_constant(tmp_path: Path) -> None:
    src = tmp_path / "facts.c"
    src.write_text('#include "chainrv.h"\n' + "".join(
        f'_Static_assert({name} == {value:#x}u, "{name}");\n' for name, value in HEADER_FACTS.items()))
    r = subprocess.run([PREFIX + "gcc", "-march=rv32im", "-mabi=ilp32", SPECS, "-fsyntax-only",
                        "-I", str(INCLUDE), str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_header_defines_no_platform_macro_unchecked() -> None:
    # a macro added to the generated header gets a line in HEADER_FACTS
    text = (INCLUDE / "chainrv_platform.h").read_text()
    assert set(re.findall(r"^#define (CRV_\w+)", text, re.M)) == set(HEADER_FACTS)


def test_the_uart_model_is_what_the_firmware_polls() -> None:
    # crv_putc waits for THRE; the reader reports EOF unless DR is set
    assert M.UART_LSR_VALUE & M.UART_LSR_THRE
    assert not M.UART_LSR_VALUE & M.UART_LSR_DR


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """The symbols, and the entry point as ``_entry``, of a program linked with link.ld."""
    d = tmp_path_factory.mktemp("linked")
    (d / "p.c").write_text("int main(void) { return 0; }\n")
    with build_elf([d / "p.c"], d / "p.elf").open("rb") as f:
        elf = ELFFile(f)
        syms = {s.name: s["st_value"] for s in elf.get_section_by_name(".symtab").iter_symbols()}
        return syms | {"_entry": elf["e_entry"]}


@needs_toolchain
def test_linker_script_states_the_memory_map(linked: dict[str, int]) -> None:
    assert linked["_entry"] == linked["_start"] == linked["__ram_start"] == M.RAM_BASE
    assert linked["__stack"] == M.RAM_BASE + M.RAM_SIZE
    assert linked["__input_start"] == linked["__heap_end"] == M.INPUT_ADDR
    assert linked["__input_end"] == M.INPUT_ADDR + M.INPUT_REGION
    assert linked["__input_end"] <= linked["__stack"]
    # a larger input's data starts where the stack does and goes up: nothing is linked there
    assert linked["__stack"] == M.INPUT_LARGE_ADDR


@needs_toolchain
def test_overlap_check_names_the_input_block(tmp_path: Path) -> None:
    # a .noinit buffer as large as the room below the input block cannot fit
    room = M.INPUT_ADDR - M.RAM_BASE
    (tmp_path / "big.c").write_text(f'char big[{room}] __attribute__((section(".noinit")));\n'
                                    "int main(void) { return big[7]; }\n")
    with pytest.raises(BuildError) as e:
        build_elf([tmp_path / "big.c"], tmp_path / "big.elf")
    assert f"input block at 0x{M.INPUT_ADDR:08X}" in str(e.value)
    assert f"({room // 1024} KiB available)" in str(e.value)


def test_linker_script_numbers_are_the_memory_map() -> None:
    # every number link.ld writes (outside comments) is one of memmap's
    text = re.sub(r"/\*.*?\*/", "", LINK_SCRIPT.read_text(), flags=re.S)
    text = re.sub(r'"[^"]*"', "", text)
    numbers = {int(n, 16) for n in re.findall(r"\b0x([0-9A-Fa-f]+)\b", text)}
    allowed = {M.RAM_BASE, M.INPUT_ADDR, M.INPUT_REGION, 0x800}  # 0x800: the gp offset of the psABI
    assert numbers <= allowed, sorted(hex(n) for n in numbers - allowed)
    assert re.search(r"LENGTH\s*=\s*(\d+)M\b", text).group(1) == str(M.RAM_SIZE >> 20)


def test_runtime_writes_no_platform_number() -> None:
    for src in (FIRMWARE / "runtime.c", FIRMWARE / "crt0.S"):
        code = re.sub(r'/\*.*?\*/|"(?:\\.|[^"\\])*"', "", src.read_text(), flags=re.S)
        assert not re.findall(r"\b0x[0-9A-Fa-f]+", code), src.name


# ---------------------------------------------------------------- inputs larger than the block

MIB = 1 << 20


def test_an_input_that_fits_the_block_is_placed_as_always() -> None:
    for n in (0, 1, M.INPUT_MAX):
        data = os.urandom(n)
        for ram in (M.RAM_SIZE, 4 * MIB):
            assert M.input_placement(data, ram) == [(M.INPUT_ADDR, M.input_block(data))]


def test_a_larger_input_keeps_its_header_in_the_block_and_its_data_above_the_default_ram() -> None:
    assert M.INPUT_LARGE_ADDR == M.RAM_BASE + M.RAM_SIZE
    for n, ram in ((M.INPUT_MAX + 1, 2 * MIB), (MIB, 2 * MIB), (MIB + 1, 3 * MIB), (3 * MIB, 4 * MIB)):
        data = os.urandom(n)
        header = M.INPUT_MAGIC.to_bytes(4, "little") + n.to_bytes(4, "little")
        assert M.input_placement(data, ram) == [(M.INPUT_ADDR, header), (M.INPUT_LARGE_ADDR, data)]
        assert M.INPUT_LARGE_ADDR + n <= M.RAM_BASE + ram


@pytest.mark.parametrize("n,ram,need", [(M.INPUT_MAX + 1, M.RAM_SIZE, 2), (MIB + 1, 2 * MIB, 3),
                                        (3 * MIB + 1, 4 * MIB, 5)])
def test_a_ram_too_small_names_the_ram_that_holds_the_input(n: int, ram: int, need: int) -> None:
    with pytest.raises(ValueError) as e:
        M.input_placement(bytes(n), ram)
    assert f"--ram-size {need}M holds it" in str(e.value)
    M.input_placement(bytes(n), need * MIB)   # and that RAM does


def _chainrv(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chainrv.cli", *args], capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def sha256_zk(kernel_elf) -> Path:
    return kernel_elf("sha256", "rv32im_zicsr_zk_zks")


@needs_toolchain
def test_a_larger_input_is_read_whole_on_the_iss_and_qemu(sha256_zk: Path, tmp_path: Path) -> None:
    """An existing kernel (sha256, through crv_input) hashes an input above the block's size."""
    data = os.urandom(MIB)
    (tmp_path / "in.bin").write_bytes(data)
    want = hashlib.sha256(data).hexdigest() + "\n"
    r = _chainrv("run", str(sha256_zk), "--input", str(tmp_path / "in.bin"), "--ram-size", "2M")
    assert (r.returncode, r.stdout.decode()) == (0, want), r.stderr
    if have_qemu():
        q = run_qemu(sha256_zk, "rv32im_zicsr_zk_zks", input_bytes=data, ram_size=2 * MIB)
        assert (q.status, q.text) == (0, want)


@needs_toolchain
def test_a_larger_input_without_the_ram_is_one_line_and_exit_2(sha256_zk: Path, tmp_path: Path) -> None:
    (tmp_path / "in.bin").write_bytes(bytes(MIB + 1))
    r = _chainrv("run", str(sha256_zk), "--input", str(tmp_path / "in.bin"), "--ram-size", "2M")
    err = r.stderr.decode()
    assert r.returncode == 2 and r.stdout == b"" and len(err.splitlines()) == 1, err
    assert "--ram-size 3M holds it" in err and "Traceback" not in err
