"""The load-to-use key (``ldu``, isa/uarch.py; docs/timing.md "Data"): with ``ldu=2`` a
load's consumer enters EX no earlier than the cycle after the load retired, so the
consumer right behind the load waits two cycles and the one after it one cycle; with
``ldu=1`` (ideal) only the adjacent one waits, one cycle.

Each case is a straight-line snippet whose stall cycles are counted by hand from that
rule; the ISS runs it with and without the snippet and the difference of the cycle
counts must be the snippet's instructions plus those stalls."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.snippets import snippet_cycles, snippet_stalls

#: (snippet, stalls with ldu=1, stalls with ldu=2), counted by hand from the rule above.
CASES = [
    ("lw t1, 0(gp)\nadd t2, t1, a0", 1, 2),           # adjacent, rs1
    ("lw t1, 0(gp)\nadd t2, a0, t1", 1, 2),           # adjacent, rs2
    ("lw t1, 0(gp)\nnop\nadd t2, t1, a0", 0, 1),      # one between
    ("lw t1, 0(gp)\nnop\nnop\nadd t2, t1, a0", 0, 0),  # two between: from the register file
    ("lw t1, 0(gp)\nsw t1, 16(gp)", 1, 2),            # a store's data
    ("lw t1, 0(gp)\nlw t2, 4(gp)\nadd t3, t1, t2", 1, 2),  # both: the second load is adjacent
    ("lw t1, 0(gp)\nlw t2, 4(gp)\nadd t3, t1, a0", 0, 1),  # the first load, one between
    ("lw t1, 0(gp)\nadd t2, a0, a1\nadd t3, t1, a0", 0, 1),
    ("lw zero, 0(gp)\nadd t2, zero, a0", 0, 0),       # x0 never waits
    ("lw t1, 0(gp)\nlui t2, 0x1", 0, 0),              # lui reads no register
    ("lw t1, 0(gp)\nmul t2, t1, a1", 1, 2),           # into the multiplier
    ("lbu t1, 1(gp)\nnop\nsub t2, a0, t1", 0, 1),     # a byte load
    ("lw t1, 0(gp)\ncsrw mscratch, t1", 1, 2),        # into a CSR
]


@pytest.mark.parametrize("uarch", ["ideal", "ideal,ldu=2", "fpga"])
@pytest.mark.parametrize(("snippet", "stall1", "stall2"), CASES,
                         ids=[c[0].replace("\n", "; ") for c in CASES])
def test_load_use_stalls(snippet: str, stall1: int, stall2: int, uarch: str, tmp_path: Path) -> None:
    got = snippet_stalls(snippet, uarch, tmp_path)
    want = stall2 if "ldu=2" in uarch or uarch == "fpga" else stall1
    assert got == want, f"{snippet!r} under {uarch}: {got} stall cycles, the rule says {want}"


@pytest.mark.parametrize(("uarch", "want"), [("ideal", 1), ("ideal,ldu=2", 2)])
def test_pointer_chase(uarch: str, want: int, tmp_path: Path) -> None:
    """A load whose result is the next load's base: each link waits as a use."""
    setup = "sw gp, 16(gp)\nnop\nnop\nnop\n"
    chain = "lw t1, 16(gp)\nlw t1, 16(t1)\nlw t1, 16(t1)\nlw t1, 16(t1)\n"
    base = snippet_cycles(setup + "\n".join(["nop"] * 4), uarch, tmp_path)
    got = snippet_cycles(setup + chain, uarch, tmp_path) - base
    assert got == 3 * want


XCHAIN = "rv32im_zicsr_zk_zks_xchain"


@pytest.mark.parametrize(("uarch", "want"), [("ideal", 0), ("ideal,mul=pipe:2", 1), ("ideal,mul=pipe:3", 2),
                                             ("ideal,mul=iter:8", 0), ("fpga", 1)])
@pytest.mark.parametrize("mac", ["maddlu", "maddhu"])
def test_mac_is_a_pipelined_product(uarch: str, want: int, mac: str, tmp_path: Path) -> None:
    """docs/timing.md, "Multiplier": under mul=pipe:S Xchain's MAC rows wait like mul
    (the adjacent consumer: 1 cycle with pipe:2, 2 with pipe:3); otherwise they are
    single-cycle (the iterative multiplier does not hold them either)."""
    base = snippet_cycles("nop\nnop", uarch, tmp_path, XCHAIN)
    got = snippet_cycles(f"{mac} t2, a0, a1, a2\nadd t3, t2, a0", uarch, tmp_path, XCHAIN) - base
    assert got == want
    # no consumer, no wait
    assert snippet_cycles(f"{mac} t2, a0, a1, a2\nadd t3, a3, a0", uarch, tmp_path, XCHAIN) == base
