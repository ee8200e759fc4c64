"""Straight-line snippets run on the ISS between the directed programs' prologue and
finish, for tests whose expected stall cycles are counted by hand from a timing rule."""

from __future__ import annotations

from pathlib import Path

from cocotb_tests.directed import BASE, FINISH, HANDLER, PROLOGUE
from isa.asm import assemble
from isa.elfwriter import make_elf
from simulator import Machine

FULL = "rv32im_zicsr_zk_zks"


def snippet_cycles(body: str, uarch: str, tmp_path: Path, isa: str = FULL) -> int:
    """The cycles of the program that runs ``body`` and exits (it must exit)."""
    elf = tmp_path / "snippet.elf"
    src = PROLOGUE + body + "\n" + FINISH + HANDLER
    elf.write_bytes(make_elf([(BASE, assemble(src, base=BASE))], BASE))
    m = Machine(isa, uarch=uarch)
    m.load_elf(elf)
    res = m.run(10_000)
    assert res.stop == "exit"
    return res.cycles


def snippet_stalls(body: str, uarch: str, tmp_path: Path, isa: str = FULL) -> int:
    """The stall cycles of ``body``: its cycles less those of as many nops (no stalls:
    nops read nothing)."""
    nops = "\n".join(["nop"] * len(body.splitlines()))
    return snippet_cycles(body, uarch, tmp_path, isa) - snippet_cycles(nops, uarch, tmp_path, isa)
