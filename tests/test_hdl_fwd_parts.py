"""The operand copies' select flip-flops (hdl/core.py, ``forward``; units/fwdsel.py).

A core with Xchain's units has one operand copy for every unit, its select flip-flops
in ``FWD_PARTS`` sets (``fwd_ctl_a``, ``fwd_ctl_a_1``, ...), each for its part of the
operand's bits. A core with crypto units but no Xchain has two copies (``ctl``: the
trap and redirect logic, the ALU and the CSRs; ``ext``: every other unit). Those, and
rv32im's copy per group of consumers under ``fpga`` and the cores built small, keep one
set a copy. The cycles are the lockstep tests' (``test_xchain_fpga``, ``fpga``'s)."""

from __future__ import annotations

import re

import pytest
from amaranth.back import rtlil

from hdl.core import FWD_PARTS, Core


def _selects(isa: str, uarch: str) -> set[str]:
    return set(re.findall(r"\bfwd_[a-z]+_[a-z](?:_\d+)?\b", rtlil.convert(Core(isa, uarch=uarch))))


def _parts(copy: str) -> set[str]:
    return {copy} | {f"{copy}_{n}" for n in range(1, FWD_PARTS)}


def test_xchain_core_splits_its_selects() -> None:
    assert FWD_PARTS == 2
    assert _selects("rv32im_zicsr_zk_zks_xchain", "fpga") == _parts("fwd_ctl_a") | _parts("fwd_ctl_b")


@pytest.mark.parametrize(
    ("isa", "uarch", "copies"),
    [
        ("rv32im_zicsr_zk_zks", "fpga", ("ctl", "ext")),
        ("rv32im", "fpga", ("ctl", "alu", "mul")),
        ("rv32im", "ideal,mul=iter:8", ("ctl",)),
    ],
)
def test_other_cores_keep_one_set_a_copy(isa: str, uarch: str, copies: tuple[str, ...]) -> None:
    assert _selects(isa, uarch) == {f"fwd_{c}_{p}" for c in copies for p in "ab"}
