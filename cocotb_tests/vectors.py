"""Operand vectors for the unit tests: edge values plus seeded random ones."""

from __future__ import annotations

import random
from collections.abc import Iterator

from isa.encoding import decode
from isa.table import BY_NAME

EDGES = (0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)
M = 0xFFFFFFFF


def random_imm(rng: random.Random, name: str) -> int:
    """The ``imm`` of a random encoding of ``name``, exactly as the decoder yields it."""
    insn = BY_NAME[name]
    word = (rng.getrandbits(32) & ~insn.mask) | insn.match
    d = decode(word)
    assert d is not None and d.insn is insn, name
    return d.imm


def operands(name: str, count: int, seed: int) -> Iterator[tuple[int, int, int, int]]:
    """(a, b, imm, pc): every pair of edge values, then ``count`` random vectors."""
    rng = random.Random(f"{name}:{seed}")
    for a in EDGES:
        for b in EDGES:
            yield a, b, random_imm(rng, name), rng.getrandbits(30) << 2
    for i in range(count):
        a = rng.getrandbits(32) if i % 4 else rng.choice(EDGES) ^ rng.getrandbits(4)
        b = rng.getrandbits(32) if i % 5 else rng.getrandbits(rng.randint(1, 8))
        yield a, b, random_imm(rng, name), rng.getrandbits(30) << 2


def operands3(name: str, count: int, seed: int) -> Iterator[tuple[int, int, int, int, int]]:
    """(a, b, c, imm, pc) for three-source rows: every triple of edge values, then random ones."""
    rng = random.Random(f"{name}:3:{seed}")
    for a in EDGES:
        for b in EDGES:
            for c in EDGES:
                yield a, b, c, random_imm(rng, name), rng.getrandbits(30) << 2
    for i in range(count):
        a = rng.getrandbits(32) if i % 4 else rng.choice(EDGES) ^ rng.getrandbits(4)
        b = rng.getrandbits(32) if i % 5 else rng.getrandbits(rng.randint(1, 8))
        c = rng.getrandbits(32) if i % 3 else rng.choice(EDGES) ^ rng.getrandbits(2)
        yield a, b, c, random_imm(rng, name), rng.getrandbits(30) << 2
