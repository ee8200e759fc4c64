"""``FunctionIndex``: the function of a pc by the profile's rule, per pc (``lookup``) and for
every word of RAM at once (``words``, filled by ranges), against the rule written out."""

from __future__ import annotations

import random

import numpy as np
import pytest

from simulator.callgraph import UNKNOWN, FunctionIndex
from simulator.trace import Symbol

BASE = 0x8000_0000


def by_the_rule(functions: list[Symbol], pc: int) -> str:
    """The nearest symbol at or below ``pc`` if ``pc`` is inside it (at least a word), the
    highest symbol for any pc above it, else none."""
    funcs = sorted(functions, key=lambda f: f.addr)
    below = [f for f in funcs if f.addr <= pc]
    if not below:
        return UNKNOWN
    f = below[-1]
    if f is funcs[-1] or pc < f.addr + max(f.size, 4):
        return f.name
    return UNKNOWN


def layout(rng: random.Random) -> list[Symbol]:
    """Functions below, across and above a RAM of 256 words at BASE, with gaps."""
    out, addr = [], BASE + 4 * rng.randrange(-40, 200)
    for k in range(rng.randrange(1, 8)):
        size = 4 * rng.randrange(0, 30)
        out.append(Symbol(f"f{k}", addr, size))
        addr += size + 4 * rng.randrange(0, 20)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_words_follow_the_rule(seed: int) -> None:
    rng = random.Random(seed)
    functions = layout(rng)
    index = FunctionIndex(functions)
    n = 256
    got = [index.names[k] for k in index.words(BASE, n).tolist()]
    assert got == [by_the_rule(functions, BASE + 4 * w) for w in range(n)]
    pcs = np.array([BASE + 4 * w for w in range(-50, n + 50)], np.int64)
    expected = [by_the_rule(functions, int(pc)) for pc in pcs]
    assert [index.names[k] for k in index.lookup(pcs).tolist()] == expected


def test_words_without_functions() -> None:
    index = FunctionIndex([])
    assert [index.names[k] for k in index.words(BASE, 8).tolist()] == [UNKNOWN] * 8
