"""The ISA a compiler records in an ELF (``Tag_RISCV_arch``) as a configuration."""

from __future__ import annotations

import pytest

from isa.config import IsaConfig, IsaError


@pytest.mark.parametrize(("tag", "isa"), [
    ("rv32i2p1_m2p0_zicsr2p0_zmmul1p0", "rv32im_zicsr_zicntr"),
    ("rv32i2p1_zicsr2p0_zmmul1p0", "rv32im_zicsr_zicntr"),
    ("rv32i2p1_m2p0_zicsr2p0_zmmul1p0_zbkb1p0_zbkc1p0_zbkx1p0_zkn1p0_zknd1p0_zkne1p0_zknh1p0_zks1p0"
     "_zksed1p0_zksh1p0_zkt1p0", "rv32im_zicsr_zicntr_zbkb_zbkc_zbkx_zknd_zkne_zknh_zksed_zksh_zkt"),
    ("rv32i2p0", "rv32i_zicsr_zicntr"),
])
def test_from_arch_attribute(tag: str, isa: str) -> None:
    assert str(IsaConfig.from_arch_attribute(tag)) == isa


@pytest.mark.parametrize("tag", ["rv32i2p1_m2p0_a2p1_c2p0", "rv64i2p1_m2p0", "rv32i2p1_zfoo1p0"])
def test_from_arch_attribute_refuses(tag: str) -> None:
    with pytest.raises(IsaError):
        IsaConfig.from_arch_attribute(tag)
