"""The S-box units' stages (``crypto``, isa/uarch.py; docs/timing.md "S-box units"):
with ``crypto=2`` (the fpga preset) the AES and SM4 rows (Zkne, Zknd, Zksed) compute in
MEM and their result is there in WB, as a ``pipe:2`` product's: the consumer right
behind waits one cycle, the one after it none. Zknh, Zksh, Zbkb, Zbkc and Zbkx stay in EX.

Each case is a straight-line snippet whose stall cycles are counted by hand from that
rule; the ISS runs it and a run of as many nops, and the difference is the stalls."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.snippets import snippet_stalls

#: (snippet, stalls with crypto=1, stalls with crypto=2), counted by hand.
CASES = [
    ("aes32esi t1, a0, a1, 0\nadd t2, t1, a0", 0, 1),       # adjacent, rs1
    ("aes32dsmi t1, a0, a1, 2\nadd t2, a0, t1", 0, 1),      # adjacent, rs2
    ("sm4ks t1, a0, a1, 1\nnop\nadd t2, t1, a0", 0, 0),     # one between: from WB
    ("aes32esmi t1, t1, a1, 3\naes32esmi t1, t1, a2, 2", 0, 1),   # a chain of rounds
    ("aes32dsi t1, a0, a1, 1\nsw t1, 16(gp)", 0, 1),        # a store's data
    ("sm4ed t1, t1, a1, 0\nsm4ed t1, t1, a2, 1", 0, 1),
    ("sm4ed t1, t1, a1, 0\nnop\nsm4ed t1, t1, a2, 1", 0, 0),
    ("aes32esi zero, a0, a1, 0\nadd t2, zero, a0", 0, 0),  # x0 never waits
    ("aes32esi t1, a0, a1, 0\nadd t2, a1, a0", 0, 0),      # no consumer
    ("sha256sig0 t1, a0\nadd t2, t1, a0", 0, 0),           # Zknh: in EX
    ("sm3p0 t1, a0\nsm3p1 t2, t1", 0, 0),                  # Zksh: in EX
    ("sha512sig0l t1, a0, a1\nxor t2, t1, a2", 0, 0),
    ("ror t1, a0, a1\nadd t2, t1, a0", 0, 0),              # Zbkb: in EX
    ("clmul t1, a0, a1\nadd t2, t1, a0", 0, 0),            # Zbkc: in EX
    ("xperm8 t1, a0, a1\nadd t2, t1, a0", 0, 0),           # Zbkx: in EX
]


@pytest.mark.parametrize("uarch", ["ideal", "ideal,crypto=2", "fpga", "fpga,crypto=1"])
@pytest.mark.parametrize(("snippet", "stall1", "stall2"), CASES,
                         ids=[c[0].replace("\n", "; ") for c in CASES])
def test_crypto_stalls(snippet: str, stall1: int, stall2: int, uarch: str, tmp_path: Path) -> None:
    got = snippet_stalls(snippet, uarch, tmp_path)
    want = stall2 if uarch in ("ideal,crypto=2", "fpga") else stall1
    assert got == want, f"{snippet!r} under {uarch}: {got} stall cycles, the rule says {want}"
