"""Our disassembler prints what GNU objdump (-M no-aliases) prints."""

import random

import pytest
from test_isa_table import random_operands
from toolchain import FULL_MARCH, assemble_words, have_toolchain, objdump_lines

from isa import INSNS, encode
from isa.disasm import CSR_NAMES, disassemble

pytestmark = pytest.mark.skipif(not have_toolchain(), reason="needs riscv64-unknown-elf binutils")

PER_INSN = 60


def _operands(insn, rng):
    ops = random_operands(insn, rng)
    if insn.fmt in ("csr", "csri"):
        # objdump names every CSR it knows; we name the ones this core has.
        ops["imm"] = rng.choice(sorted(CSR_NAMES))
    if insn.fmt == "fence":
        # binutils only disassembles fm=0 with rs1 = rd = 0.
        ops.update(rd=0, rs1=0, imm=rng.randrange(256))
    if insn.kind == "fencei":
        # fence.i's fields are reserved: the core ignores them (Zifencei), binutils prints
        # only the all-zero form as fence.i
        ops.update(rd=0, rs1=0, imm=0)
    return ops


def test_every_instruction_matches_objdump(tmp_path):
    rng = random.Random(7)
    words = []
    # Xchain's custom opcodes print as .4byte in objdump: tests/test_xchain_isa.py
    for insn in (i for i in INSNS if i.ext != "xchain"):
        for _ in range(PER_INSN):
            words.append(encode(insn.name, **_operands(insn, rng)))
    words.append(0x8330000F)  # fence.tso
    # objdump takes the extensions it decodes from the object's arch attribute
    rows = objdump_lines(assemble_words(words, tmp_path, march=FULL_MARCH + "_zifencei"))
    assert len(rows) == len(words)
    mismatches = []
    for (addr, word, ref), ours_word in zip(rows, words, strict=True):
        assert word == ours_word
        ours = disassemble(word, addr)
        if ours != ref:
            mismatches.append(f"{word:08x}: objdump '{ref}' ours '{ours}'")
    assert mismatches == [], "\n".join(mismatches[:20])
