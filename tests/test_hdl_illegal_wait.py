"""An illegal word right after a late producer (hdl/core.py, the wait held in EX).

An illegal word reads no register, so the ISS never makes it wait: it traps in its first
EX cycle. The load-use rule's decode (units/hazard.py) is exact for that reason: a decode
exact for legal words only (``decoder.output_terms``, as the decoder's other outputs)
says that the words below, each illegal in the lockstep's ISA, read their register
field, so a core with that decode must drop their wait in EX (docs/synth.md, row 29).
Each word right after a load and a product of that register and one instruction later,
in lockstep with the ISS under the configurations that hold the wait in EX: every
retirement and its cycle (slow, the Verilator models: ``make regress``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hdl.units.decoder import output_terms
from isa.table import FIELDS, INSNS

UARCHS = ("fpga", "ideal,mul=pipe:3")
#: The register the producers write and the words name (t1).
REG = 6
#: Opcodes whose illegal words are tried: OP, OP-IMM, LOAD, STORE, BRANCH, custom-0/1.
OPCODES = (0x33, 0x13, 0x03, 0x23, 0x63, 0x0B, 0x2B)


def _illegal_readers(isa) -> list[tuple[str, int]]:
    """(source, word): for each source field the ISA has, a few illegal words of the
    opcodes above with that field naming REG (the other register fields x0) that the
    legal-words-only decode says read it."""
    rows = [i for i in INSNS if i.ext in isa]
    sources = sorted({n for i in rows for n in ("rs1", "rs2", "rs3") if n in i.operands})
    found = []
    for name in sources:
        terms = output_terms(rows, lambda i, n=name: n in i.operands)
        hi, lo = FIELDS[name]
        words = []
        for opcode in OPCODES:
            for funct3 in range(8):
                for funct7 in (0x02, 0x41, 0x7F):
                    w = (funct7 << 25) | (funct3 << 12) | opcode | (REG << lo)
                    assert (w >> lo) & ((1 << (hi - lo + 1)) - 1) == REG
                    if any((w & i.mask) == i.match for i in rows):
                        continue
                    if any((w & mask) == value for mask, value in terms):
                        words.append(w)
        found += [(name, w) for w in words[:: max(1, len(words) // 6)][:6]]
    return found


def _program(words: list[int]) -> str:
    body = []
    for w in words:
        for producer in ("lw t1, 0(gp)", "mul t1, a0, a2"):
            body += [f"    {producer}", f"    .word {w:#010x}"]
            body += [f"    {producer}", "    xor s9, s10, s11", f"    .word {w:#010x}"]
    return "\n".join(body) + "\n"


def test_words_are_illegal_readers() -> None:
    """The words exist for every source of the lockstep's ISA (else the program below
    would not test the inexact decode)."""
    from cocotb_tests.test_lockstep_uarch import FULL

    by_source = {}
    for name, w in _illegal_readers(FULL):
        by_source.setdefault(name, []).append(w)
    assert set(by_source) == {"rs1", "rs2"}
    assert all(len(ws) >= 3 for ws in by_source.values())


def _group(uarch: str):
    from cocotb_tests.test_lockstep_uarch import group

    return group(uarch)


@pytest.mark.slow
@pytest.mark.parametrize("uarch", [pytest.param(u, marks=[_group(u)], id=u) for u in UARCHS])
def test_illegal_after_late_producer(uarch: str, tmp_path: Path) -> None:
    from cocotb_tests import directed
    from cocotb_tests.test_lockstep_uarch import FULL, check, needs_verilator
    from isa.asm import assemble
    from isa.elfwriter import make_elf

    if needs_verilator.args[0]:
        pytest.skip("verilator not installed")
    words = [w for _, w in _illegal_readers(FULL)]
    src = directed.PROLOGUE + _program(words) + directed.FINISH + directed.HANDLER
    elf = tmp_path / "illegal_wait.elf"
    elf.write_bytes(make_elf([(directed.BASE, assemble(src, base=directed.BASE))], directed.BASE))
    check(elf, uarch)
