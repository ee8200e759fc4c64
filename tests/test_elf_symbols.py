"""The loader's own reading of symbol tables and RISC-V attributes
(``simulator/elfsyms.py``) against pyelftools' reading of the same files: GCC-built
kernels of several ISAs (their ``Tag_RISCV_arch`` differs), and section tables
damaged at random, which must give the loader's one-line error and nothing else."""

from __future__ import annotations

import io

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import RISCVAttributesSection, SymbolTableSection
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrv.kernels import all_kernels
from simulator import SimError
from simulator.elfload import parse_elf

RAM_BASE, RAM_SIZE = 0x8000_0000, 1 << 20
CASES = [("sha256", "rv32im"), ("sha256", "rv32im_zicsr_zk_zks"), ("ecdsa_secp256k1", "rv32im"),
         ("keccak256_xchain", "rv32im_zicsr_zk_zks_xchain")]


def pyelftools_reading(data: bytes) -> tuple[list, list, int | None, str | None]:
    """Functions and objects (name, address, size) by address, ``__stack``, the arch tag."""
    elf = ELFFile(io.BytesIO(data))
    functions, objects, stack, arch = [], [], None, None
    for section in elf.iter_sections():
        if isinstance(section, RISCVAttributesSection):
            for sub in section.iter_subsections():
                for subsub in sub.iter_subsubsections():
                    for attr in subsub.iter_attributes():
                        if attr.tag == "TAG_ARCH":
                            arch = str(attr.value)
        elif isinstance(section, SymbolTableSection) and section["sh_type"] == "SHT_SYMTAB":
            for sym in section.iter_symbols():
                kind = sym["st_info"]["type"]
                row = (sym.name, sym["st_value"], sym["st_size"])
                if kind == "STT_FUNC" and sym.name:
                    functions.append(row)
                elif kind == "STT_OBJECT" and sym.name:
                    objects.append(row)
                elif sym.name == "__stack":
                    stack = sym["st_value"]
    return sorted(functions, key=lambda r: r[1]), sorted(objects, key=lambda r: r[1]), stack, arch


def ours(data: bytes) -> tuple[list, list, int | None, str | None]:
    loaded = parse_elf(data, RAM_BASE, RAM_SIZE)
    rows = [[(s.name, s.addr, s.size) for s in syms] for syms in (loaded.functions, loaded.objects)]
    return rows[0], rows[1], loaded.stack, loaded.arch


@pytest.fixture(scope="module")
def elfs() -> dict[tuple[str, str], bytes]:
    ks = all_kernels()
    return {(k, isa): ks[k].build(isa).read_bytes() for k, isa in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_symbols_and_arch_equal_pyelftools(elfs: dict, case: tuple[str, str]) -> None:
    data = elfs[case]
    expected = pyelftools_reading(data)
    assert expected[0] and expected[3], "the kernel has symbols and an arch tag"
    assert expected[3].startswith("rv32i")
    assert ours(data) == expected


def _section_table(data: bytes) -> tuple[int, int]:
    shoff = int.from_bytes(data[32:36], "little")
    shnum = int.from_bytes(data[48:50], "little")
    return shoff, shnum * 40


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.data())
def test_damaged_section_tables_are_one_line_errors(elfs: dict, data: st.DataObject) -> None:
    base = bytearray(elfs[CASES[0]])
    shoff, size = _section_table(bytes(base))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(shoff, shoff + size - 4) | st.integers(32, 50))
        base[at:at + 4] = data.draw(st.integers(0, 0xFFFF_FFFF)).to_bytes(4, "little")
    try:
        ours(bytes(base))
    except SimError as e:
        assert "\n" not in str(e)
