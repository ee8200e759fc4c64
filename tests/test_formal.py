"""The formal proofs (hdl/formal/proofs.py; docs/verification.md): every execution unit
against its independent spec, the whole core's retirement properties, and the mutants
that those checks must catch. Marker ``formal``; the deep ones are also ``slow``."""

from __future__ import annotations

import pytest
from amaranth import Elaboratable, Module, Signal
from amaranth.hdl import Assert, Assume, ResetSignal

from hdl.formal import mutants, sby
from hdl.formal.proofs import PROOFS, Proof

pytestmark = [
    pytest.mark.formal,
    pytest.mark.skipif(bool(sby.missing_tools(())), reason=f"missing {', '.join(sby.missing_tools(()))}"),
]


def _param(p: Proof):
    marks = [] if p.quick else [pytest.mark.slow]
    return pytest.param(p, id=p.name, marks=marks)


@pytest.mark.parametrize("proof", [_param(p) for p in PROOFS])
def test_proof(proof: Proof, tmp_path) -> None:
    harness = proof.build()
    missing = sby.missing_tools((proof.solver,))
    if missing:
        pytest.skip(f"missing {', '.join(missing)}")
    result = sby.run(harness, harness.ports, tmp_path, mode=proof.mode, depth=proof.depth, timeout=3600,
                     solver=proof.solver)
    assert result.status == proof.expect, f"{proof.what}: {result.status}\n{result.summary()}"


def test_every_mutant_is_checked() -> None:
    """Each mutant of hdl/formal/mutants.py has a check that must catch it in make test."""
    caught = {p.name.removeprefix("mutant_") for p in PROOFS if p.expect == "FAIL" and p.quick}
    assert set(mutants.MUTANTS) <= caught
    # the unit-only mutants (no lockstep run) have a check, in make regress at least
    assert set(mutants.UNIT_ONLY) <= {p.name.removeprefix("mutant_") for p in PROOFS if p.expect == "FAIL"}


@pytest.mark.parametrize("key", sorted({**mutants.MUTANTS, **mutants.UNIT_ONLY}))
def test_mutant_changes_its_module(key: str) -> None:
    """The mutation applies to today's source (or the test must be rewritten)."""
    assert mutants.load(key).__name__.endswith(f"__mutant_{key}")


def test_mutation_error_names_the_mutant(monkeypatch) -> None:
    gone = mutants.Mutant("hdl.core", (("text that is not in the core", "x"),), "nothing")
    monkeypatch.setitem(mutants.MUTANTS, "gone", gone)
    with pytest.raises(mutants.MutationError, match="mutant gone"):
        mutants.load("gone")


class _Counter(Elaboratable):
    """A 3-bit counter from 0 and the claim that it stays below ``limit``: true for
    every depth when ``limit`` is 8, false from cycle 5 on when it is 5."""

    def __init__(self, limit: int):
        self.limit = limit
        self.ports: list = []

    def elaborate(self, platform):
        m = Module()
        count = Signal(3)
        m.d.sync += count.eq(count + 1)
        m.d.comb += [Assume(~ResetSignal()), Assert(count < self.limit)]
        return m


@pytest.mark.parametrize("solver", sorted(set(sby.SOLVER_COMMANDS) - {sby.SOLVER}))
def test_other_solver_answers(solver: str, tmp_path) -> None:
    """Each solver a proof may name besides the default (which every quick proof uses)
    runs under SymbiYosys and tells a pass from a fail."""
    if sby.missing_tools((solver,)):
        pytest.skip(f"missing {', '.join(sby.missing_tools((solver,)))}")
    for limit, expect in ((8, "PASS"), (5, "FAIL")):
        h = _Counter(limit)
        assert sby.run(h, h.ports, tmp_path / str(limit), depth=8, solver=solver).status == expect


def test_unknown_solver_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown solver"):
        sby.run(None, [], tmp_path, solver="z3")


def test_every_solver_named_is_known() -> None:
    assert {p.solver for p in PROOFS} <= set(sby.SOLVER_COMMANDS)


def _legal_by_table(word: int, config) -> bool:
    """Legal by isa/table.py's rows and isa/csrs.py's CSRs (what the decoder and the ISS
    are built from)."""
    from isa.csrs import BY_NUMBER
    from isa.encoding import decode

    d = decode(word, config)
    if d is None:
        return False
    if d.insn.kind != "csr":
        return True
    number = word >> 20
    writes = d.insn.name in ("csrrw", "csrrwi") or (word >> 15) & 0x1F != 0
    return number in BY_NUMBER and not (writes and BY_NUMBER[number].read_only)


def test_legality_predicate_agrees_with_the_isa_table() -> None:
    """The cause check's legality predicate (``specs.legal_rv32i_zicsr``, written from the
    specifications) and the ISA's table agree on every row of RV32I with Zicsr with random
    fields, on CSR words for every CSR number the hart has and random ones, and on random
    words: the two are written apart, so a difference is a mistake in one of them."""
    import random

    from amaranth.sim import Simulator

    from hdl.formal.specs import legal_rv32i_zicsr
    from isa.config import IsaConfig
    from isa.csrs import BY_NUMBER
    from isa.table import INSNS

    config = IsaConfig.parse("rv32i_zicsr")
    rng = random.Random(5)
    words = []
    for insn in INSNS:
        for _ in range(40):
            words.append((rng.getrandbits(32) & ~insn.mask) | insn.match)
        if insn.kind == "csr":
            for number in [*BY_NUMBER, *(rng.getrandbits(12) for _ in range(40))]:
                for rs1 in (0, rng.randrange(1, 32)):
                    words.append(number << 20 | rs1 << 15 | (insn.match & 0x7FFF) | rng.getrandbits(5) << 7)
    words += [rng.getrandbits(32) for _ in range(2000)]
    words += [rng.getrandbits(25) << 7 | rng.getrandbits(5) << 2 | 3 for _ in range(2000)]
    m = Module()
    w = Signal(32)
    legal = Signal()
    m.d.comb += legal.eq(legal_rv32i_zicsr(w))
    wrong = []

    async def bench(ctx):
        for word in words:
            ctx.set(w, word)
            if bool(ctx.get(legal)) != _legal_by_table(word, config):
                wrong.append(hex(word))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert not wrong, f"{len(wrong)} words differ, e.g. {wrong[:5]}"
