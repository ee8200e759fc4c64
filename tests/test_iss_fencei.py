"""fence.i on the ISS: the program that rewrites its own code (``directed.fencei_source``)
prints the same on every microarchitecture and on QEMU; fence.i writes the dirty lines
back and costs what docs/timing.md says."""

from __future__ import annotations

import pytest
from qemu import have_qemu, run_qemu

from cocotb_tests import directed
from isa import encode
from simulator import Machine

UARCHS = ("ideal", "mcu", "cached", "ideal,icache=256:1:16,dcache=256:2:16,mem=2",
          "mcu,icache=1k:2:32,dcache=512:1:64,mem=3,bp=bht:8")


@pytest.fixture(scope="module")
def elf(tmp_path_factory):
    return directed.build_fencei(tmp_path_factory.mktemp("fencei") / "fencei.elf")


@pytest.mark.parametrize("uarch", UARCHS)
def test_new_code_runs(elf, uarch: str) -> None:
    m = Machine(directed.FENCEI_ISA, uarch=uarch)
    m.load_elf(elf)
    res = m.run()
    assert res.exit_code == 0, res.trap
    assert res.stdout == directed.FENCEI_UART
    if "dcache" in uarch or uarch == "cached":   # each fence.i wrote the code's line back
        assert res.counters["dcache_writebacks"] >= 10


def test_fencei_is_illegal_without_zifencei(tmp_path) -> None:
    from isa.asm import assemble
    from isa.elfwriter import make_elf

    src = "fence.i\nli t0, 0x100000\nli t1, 0x5555\nsw t1, 0(t0)\n"
    path = tmp_path / "one.elf"
    path.write_bytes(make_elf([(directed.BASE, assemble(src, base=directed.BASE))], directed.BASE))
    stops = {}
    for isa in ("rv32im_zicsr_zk_zks", directed.FENCEI_ISA):
        m = Machine(isa)
        m.load_elf(path)
        stops[isa] = m.run()
    off = stops["rv32im_zicsr_zk_zks"]
    assert off.stop == "trap" and "illegal instruction" in off.trap and "fence.i" in off.trap
    assert stops[directed.FENCEI_ISA].stop == "exit"


def test_cost_on_the_ideal_machine(elf, tmp_path) -> None:
    """fence.i costs a refetch (+2, like a taken jump) and nothing else on the ideal
    machine: the same program with each fence.i replaced by a nop is 2 cycles per
    fence.i faster, with the same instructions."""
    from isa.asm import assemble
    from isa.elfwriter import make_elf

    src = directed.fencei_source().replace("fence.i", "nop")
    plain = tmp_path / "plain.elf"
    plain.write_bytes(make_elf([(directed.BASE, assemble(src, base=directed.BASE))], directed.BASE))
    runs = []
    for path in (elf, plain):
        m = Machine(directed.FENCEI_ISA)
        m.load_elf(path)
        runs.append(m.trace())
    (with_fi, records), (without, _) = runs
    assert with_fi.instret == without.instret
    n = int((records["insn"] == encode("fence.i")).sum())
    assert n == 10      # four after the stores of selfmod, six in the loop
    assert with_fi.cycles - without.cycles == 2 * n


@pytest.mark.skipif(not have_qemu(), reason="needs qemu-system-riscv32")
def test_qemu_agrees(elf) -> None:
    assert run_qemu(elf, directed.FENCEI_ISA).stdout == directed.FENCEI_UART
