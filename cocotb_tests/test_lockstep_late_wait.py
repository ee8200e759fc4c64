"""The late-operand wait taken in EX (hdl/core.py, ``wait_in_ex``): with a plain front end
(no predictor, caches or wait states) and a late producer in MEM (``ldu=2`` or
``mul=pipe:3``), the consumer of a load's or a pipelined product's result enters EX and
waits there for the cycles the load-use rule of docs/timing.md gives, instead of waiting
in ID. Every retirement and its cycle must stay those of the ISS, which knows only the
rule: random programs (loads, products, stores into code, timer interrupts, device
accesses) and the directed load-use, product, division and timer programs, in lockstep,
under ``fpga`` (loads 2 cycles late, products 1) and ``ideal,mul=pipe:3`` (loads 1,
products 2, a product in MEM 1: the wait counted from either producer).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cocotb_tests.test_lockstep_uarch import _build, _random_elf, check, group, needs_verilator

CONFIGS = ("fpga", "ideal,mul=pipe:3")


@needs_verilator
# one seed per configuration in make test, the others in make regress
@pytest.mark.parametrize("seed", (3, *(pytest.param(s, marks=pytest.mark.slow) for s in (16, 41))))
@pytest.mark.parametrize("uarch", [pytest.param(u, marks=[group(u)], id=u) for u in CONFIGS])
def test_random_program(uarch: str, seed: int, tmp_path: Path) -> None:
    check(_random_elf(tmp_path, seed, uarch), uarch)


@needs_verilator
@pytest.mark.parametrize("name", ("load_use", "mul_chain", *(pytest.param(n, marks=pytest.mark.slow)
                                                             for n in ("division", "timer", "forwarding"))))
@pytest.mark.parametrize("uarch", [pytest.param(u, marks=[group(u)], id=u) for u in CONFIGS[1:]])
def test_directed(uarch: str, name: str, tmp_path: Path) -> None:
    """fpga runs every directed program in test_lockstep_uarch.py."""
    check(_build(name, tmp_path), uarch, name=name)
