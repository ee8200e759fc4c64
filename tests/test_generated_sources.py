"""Committed files that a script generates are what the script writes today.

A generated file keeps a build free of Python, so it is committed; each
generator is run here and its output compared byte for byte with the file:

* ``firmware/gen_headers.py``: ``chainrv_platform.h`` (from ``isa/memmap.py``)
  and ``chainrv_xchain.h`` (from the Xchain rows of ``isa/table.py``);
* ``kernels/keccak256_xchain/gen_keccak_f1600_xchain.py``: the unrolled
  Keccak-f[1600], its Xchain words encoded by ``isa``;
* ``kernels/bignum/gen_tables.py``: the curve parameters, the signature
  kernels' default vectors and the manifests of both their variants.

``kernels/curve25519/gen_tables.py`` (Ed25519) is checked the same way by
``tests/test_kernels_ed25519.py``, beside the tests of its kernel; it is not
run twice. Every ``gen_*.py`` under ``firmware/`` and ``kernels/`` must be
run by exactly one of the two, and be listed in docs/firmware.md's
"Generated sources" table with the test that checks it.

Also: each intrinsic of ``chainrv_xchain.h`` compiles to the table row it is
named after.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from elftools.elf.elffile import ELFFile
from toolchain import PREFIX, have_toolchain

from chainrv import ROOT
from chainrv.toolchain import INCLUDE, SPECS
from isa import INSNS, decode
from isa.config import IsaConfig


def load(relpath: str) -> ModuleType:
    """A generator script, imported from its path (the folders are no packages)."""
    path = ROOT / relpath
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses and the like look themselves up here
    spec.loader.exec_module(module)
    return module


def _headers() -> dict[Path, Callable[[], str]]:
    return load("firmware/gen_headers.py").OUTPUTS


def _keccak() -> dict[Path, Callable[[], str]]:
    gen = load("kernels/keccak256_xchain/gen_keccak_f1600_xchain.py")
    return {gen.OUTPUT: gen.generate}


def _tables() -> dict[Path, Callable[[], str]]:
    outputs = load("kernels/bignum/gen_tables.py").outputs()
    return {path: (lambda text=text: text) for path, text in outputs.items()}


GENERATORS = {
    "firmware/gen_headers.py": _headers,
    "kernels/keccak256_xchain/gen_keccak_f1600_xchain.py": _keccak,
    "kernels/bignum/gen_tables.py": _tables,
}


#: Generators whose outputs another test compares: script -> that test.
CHECKED_ELSEWHERE = {
    "kernels/curve25519/gen_tables.py": "tests/test_kernels_ed25519.py",
}


def generator_scripts() -> set[str]:
    return {str(p.relative_to(ROOT)) for folder in ("firmware", "kernels")
            for p in (ROOT / folder).rglob("gen_*.py")}


def test_every_generator_is_checked_once() -> None:
    found = generator_scripts()
    assert found, "no gen_*.py found: wrong ROOT?"
    assert not set(GENERATORS) & set(CHECKED_ELSEWHERE)
    unchecked = found - set(GENERATORS) - set(CHECKED_ELSEWHERE)
    assert not unchecked, f"generators whose output no test compares: {sorted(unchecked)}"
    assert not (set(GENERATORS) | set(CHECKED_ELSEWHERE)) - found, "a listed generator is gone"
    for script, test in CHECKED_ELSEWHERE.items():
        # that test loads the script by its folder and file name and compares its outputs
        text = (ROOT / test).read_text()
        folder, name = Path(script).parent.name, Path(script).name
        assert f'"{folder}"' in text and f'"{name}"' in text and ".outputs()" in text, (script, test)


def _doc_table(doc: str, heading: str) -> list[dict[str, str]]:
    """The first Markdown table after a heading, as rows keyed by column title."""
    lines = (ROOT / doc).read_text().split(heading, 1)[1].splitlines()
    rows = [ln for ln in lines[next(i for i, ln in enumerate(lines) if ln.startswith("|")):]]
    rows = rows[:next((i for i, ln in enumerate(rows) if not ln.startswith("|")), len(rows))]
    head = [c.strip() for c in rows[0].strip("|").split("|")]
    return [dict(zip(head, (c.strip() for c in r.strip("|").split("|")), strict=True)) for r in rows[2:]]


def test_firmware_doc_lists_every_generator() -> None:
    rows = {r["script"].strip("`"): r for r in _doc_table("docs/firmware.md", "## Generated sources")}
    assert set(rows) == generator_scripts()
    for script, row in rows.items():
        checker = CHECKED_ELSEWHERE.get(script, "tests/test_generated_sources.py")
        assert row["checked by"].startswith(f"`{checker}`"), script
        assert row["run"] == f"`.venv/bin/python {script}`", script


@pytest.mark.parametrize("script", GENERATORS)
def test_committed_output_is_what_the_generator_writes(script: str) -> None:
    outputs = GENERATORS[script]()
    assert outputs
    stale = [str(path.relative_to(ROOT)) for path, make in outputs.items()
             if not path.is_file() or path.read_bytes() != make().encode()]
    assert not stale, f"out of date: {', '.join(stale)}; run .venv/bin/python {script}"


XCHAIN = [i for i in INSNS if i.ext == "xchain"]


@pytest.mark.skipif(not have_toolchain(), reason="riscv64-unknown-elf toolchain missing")
def test_each_intrinsic_encodes_its_row(tmp_path: Path) -> None:
    # one function per intrinsic; Rrot amounts are 7
    src = tmp_path / "x.c"
    src.write_text('#include "chainrv_xchain.h"\n' + "".join(
        f"uint32_t f_{i.name}(uint32_t a, uint32_t b, uint32_t c) "
        f"{{ return crv_{i.name}(a, b, {'7' if i.fmt == 'Rrot' else 'c'}); }}\n" for i in XCHAIN))
    obj = tmp_path / "x.o"
    subprocess.run([PREFIX + "gcc", "-march=rv32im_zicsr", "-mabi=ilp32", SPECS, "-O2", "-DCHAINRV_XCHAIN=1",
                    "-ffunction-sections", "-I", str(INCLUDE), "-c", str(src), "-o", str(obj)],
                   check=True, capture_output=True)
    cfg = IsaConfig.parse("rv32im_xchain")
    found: dict[str, list[tuple[str, int, int, int]]] = {}
    with obj.open("rb") as f:
        elf = ELFFile(f)
        for sym in elf.get_section_by_name(".symtab").iter_symbols():
            if sym.name.startswith("f_"):
                code = elf.get_section(sym["st_shndx"]).data()[sym["st_value"]:][:sym["st_size"]]
                words = (int.from_bytes(code[k:k + 4], "little") for k in range(0, len(code), 4))
                decoded = (decode(w, cfg) for w in words)
                found[sym.name[2:]] = [(d.name, d.rs1, d.rs2, d.imm) for d in decoded
                                       if d is not None and d.insn.ext == "xchain"]
    for insn in XCHAIN:
        # a, b, c arrive in a0, a1, a2 (x10..x12); imm is rs3's number or the amount
        assert found[insn.name] == [(insn.name, 10, 11, 7 if insn.fmt == "Rrot" else 12)], insn.name
