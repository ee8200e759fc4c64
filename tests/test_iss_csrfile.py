"""The ISS's CSR file (simulator/csrfile.py) against the CSR table of isa/csrs.py:
which CSRs exist, their reset values, what a write leaves, read-only CSRs."""

from __future__ import annotations

import random

import pytest

from isa.config import IsaConfig
from isa.csrs import BY_CSR_NAME, BY_NUMBER, CSRS, Csr
from isa.privileged import misa_value
from simulator import Machine
from simulator import state as S
from simulator.csrfile import csr_read, csr_write

ISA = "rv32im_zicsr_zk_zks"
REGISTERS = [c for c in CSRS if c.source == "reg"]


def _now(m: Machine) -> tuple[int, int]:
    return int(m.st[S.CYC]) + 1, int(m.st[S.INSTRET])  # the next retirement cycle, instret


def test_exactly_the_table_exists() -> None:
    m = Machine(ISA, ram_size=4096)
    found = {n for n in range(4096) if csr_read(m.st, n, *_now(m)) >= 0}
    assert found == set(BY_NUMBER)


def test_reset_values_are_the_tables() -> None:
    m = Machine(ISA, ram_size=4096)
    for csr in CSRS:
        if csr.source in ("reg", "const"):
            assert csr_read(m.st, csr.number, *_now(m)) == csr.reset, csr.name
    misa = BY_CSR_NAME["misa"]
    assert csr_read(m.st, misa.number, *_now(m)) == misa_value(IsaConfig.parse(ISA))


@pytest.mark.parametrize("csr", REGISTERS, ids=lambda c: c.name)
def test_a_write_leaves_the_writable_bits(csr: Csr) -> None:
    m = Machine(ISA, ram_size=4096)
    rng = random.Random(csr.number)
    for v in [0, 0xFFFFFFFF] + [rng.getrandbits(32) for _ in range(20)]:
        assert csr_write(m.st, csr.number, v, *_now(m))
        assert csr_read(m.st, csr.number, *_now(m)) == (v & csr.wmask) | csr.fixed, (csr.name, hex(v))


@pytest.mark.parametrize("csr", [c for c in CSRS if c.read_only], ids=lambda c: c.name)
def test_read_only_csrs_refuse_writes(csr: Csr) -> None:
    m = Machine(ISA, ram_size=4096)
    before = csr_read(m.st, csr.number, *_now(m))
    assert not csr_write(m.st, csr.number, 0x1234, *_now(m))
    assert csr_read(m.st, csr.number, *_now(m)) == before


@pytest.mark.parametrize("csr", [c for c in CSRS if c.source in ("misa", "mip")], ids=lambda c: c.name)
def test_writes_to_computed_csrs_are_ignored(csr: Csr) -> None:
    m = Machine(ISA, ram_size=4096)
    before = csr_read(m.st, csr.number, *_now(m))
    assert csr_write(m.st, csr.number, 0xFFFFFFFF, *_now(m))
    assert csr_read(m.st, csr.number, *_now(m)) == before
