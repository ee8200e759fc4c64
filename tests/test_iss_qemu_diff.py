"""Differential tests: random programs (isa.randprog) on the ISS and on QEMU print the same."""

from __future__ import annotations

import pytest
from qemu import have_qemu, run_qemu

from isa.randprog import random_program
from simulator import Machine

pytestmark = [pytest.mark.qemu, pytest.mark.skipif(not have_qemu(), reason="qemu-system-riscv32 missing")]

PROGRAMS_PER_CASE = 15
BLOCKS = 20


def _compare(seed: int, isa: str, tmp_path) -> None:
    prog = random_program(seed, isa, blocks=BLOCKS, qemu=True)
    elf = tmp_path / f"rand{seed}.elf"
    elf.write_bytes(prog.elf())
    ref = run_qemu(elf, isa)
    m = Machine(isa)
    m.load_elf(elf)
    res = m.run(max_instructions=10_000_000)
    assert res.trap is None, f"seed {seed}: {res.trap}"
    if res.stdout != ref.stdout:
        a, b = ref.stdout.splitlines(), res.stdout.splitlines()
        k = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        pytest.fail(f"seed {seed} ({isa}): line {k} differs: qemu {a[k:k + 1]} iss {b[k:k + 1]}")
    assert res.exit_code == ref.status == 0


@pytest.mark.parametrize("case", range(10))
def test_random_programs_full_isa(case: int, tmp_path) -> None:
    # 10 cases x 15 programs x 20 blocks = 3000 random blocks
    for seed in range(case * PROGRAMS_PER_CASE, (case + 1) * PROGRAMS_PER_CASE):
        _compare(seed, "rv32im_zicsr_zk_zks", tmp_path)


@pytest.mark.parametrize("isa", ["rv32im", "rv32i", "rv32im_zbkb_zbkc_zbkx",
                                 "rv32im_zknh_zksh_zkne_zknd_zksed"])
def test_random_programs_reduced_isa(isa: str, tmp_path) -> None:
    for seed in range(1000, 1005):
        _compare(seed, isa, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("case", range(20))
def test_random_programs_many(case: int, tmp_path) -> None:
    for seed in range(10_000 + case * 100, 10_000 + (case + 1) * 100):
        _compare(seed, "rv32im_zicsr_zk_zks", tmp_path)
