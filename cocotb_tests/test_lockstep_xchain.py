"""Lockstep of the Xchain core (docs/xchain.md) against the ISS.

* a directed program: rs3 forwarded from every producer at distances 1, 2
  and 3 (EX/MEM, MEM/WB, register file), rs3 also named as rs1/rs2, the
  rs3 load-use stall (one stall when rs3 repeats rs1/rs2), x0 as rs3, and
  an Rrot rotate amount that only looks like a loaded register (no stall);
* seeded random programs that mix Xchain rows into the base instructions;
* the Xchain kernels: Keccak-256 on a short input by default, ECDSA and SM2
  on their default vectors (millions of cycles) under ``-m slow``.

The cycle count of every run equals the ISS's, so the stall rules are
checked as well as the values.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chainrv.cosim import harness
from chainrv.cosim.lockstep import lockstep
from cocotb_tests import directed
from cocotb_tests.plan import RANDOM_XCHAIN, Random, short_input
from cocotb_tests.references import check_output
from isa.asm import assemble
from isa.elfwriter import make_elf
from isa.encoding import decode

ISA = "rv32im_zicsr_zk_zks_xchain"

pytestmark = [
    pytest.mark.skipif(not harness.have_sim("verilator"), reason="verilator not installed"),
    pytest.mark.xdist_group(f"lockstep-verilator-{ISA}"),   # one model build per run
]

FILLER = directed.FILLER


def _rs3_program() -> str:
    producers = (
        "add t1, a0, a2", "lui t1, 0xABCDE", "mul t1, a0, a1", "csrrw t1, mscratch, a0",
        "lw t1, 4(gp)", "maddhu t1, a0, a4, a4", "subco t1, a2, a0, a4", "xorrol t1, a0, a1, 7",
    )
    consumers = (
        "maddlu t2, a0, a1, t1", "maddhu t2, a4, a4, t1", "cadd t2, a4, a1, t1",
        "addc t2, a0, a1, t1", "addco t2, a4, a3, t1", "subc t2, a2, a1, t1", "subco t2, a2, a4, t1",
        "xor3 t2, a0, a1, t1", "andnxor t2, a0, a1, t1",
        "maddlu t2, t1, a1, t1", "addco t2, a4, t1, t1", "xor3 t2, t1, t1, t1",
        "rolxor t2, t1, a0, 6", "xorrol t2, a0, t1, 31",
    )
    out = []
    for prod in producers:
        for consumer in consumers:
            for distance in (1, 2, 3):
                out.append(f"    {prod}\n" + FILLER * (distance - 1) + f"    {consumer}\n    sw t2, 40(gp)\n")
    # load-use: rs3 alone, rs3 = rs1, rs3 = rs2, all three, x0 as rs3 and as rd of the load
    for use in ("addc t3, a0, a1, t2", "addc t3, t2, a1, t2", "maddhu t3, a0, t2, t2",
                "xor3 t3, t2, t2, t2", "andnxor t3, a4, a0, t2", "addc t3, t2, a1, a2",
                "addc t3, a0, t2, zero"):
        out.append(f"    lw t2, 12(gp)\n    {use}\n")
    out.append("    lw zero, 0(gp)\n    addc t3, a0, a1, zero\n")
    # t2 is x7: a rotate amount of 7 is a number, not a read of t2 (no stall)
    out.append("    lw t2, 0(gp)\n    rolxor t3, a0, a1, 7\n    lw t2, 0(gp)\n    xorrol t3, a0, a1, 7\n")
    # a carry chain and a MAC sequence, each instruction feeding the next through rs3
    out.append("    li t0, 0\n    addc t3, a4, a4, t0\n    addco t0, a4, a4, t0\n    addc t4, a3, a3, t0\n"
               "    addco t0, a3, a3, t0\n    subc t3, zero, a4, t0\n    subco t0, zero, a4, t0\n"
               "    maddhu t5, a4, a4, t0\n    maddlu t0, a4, a4, t0\n    cadd t6, t5, t0, t5\n")
    return "".join(out)


def _check(elf: Path, input_bytes: bytes | None = None):
    out = lockstep(elf, ISA, "verilator", input_bytes=input_bytes)
    assert out.ok, out.report
    assert out.iss.stop == "exit", out.iss.trap
    assert out.iss.exit_code == 0
    assert out.rtl.end_cycle == out.iss.cycles
    return out


def test_rs3_forwarding_and_load_use(tmp_path: Path) -> None:
    src = directed.PROLOGUE + _rs3_program() + directed.FINISH + directed.HANDLER
    elf = tmp_path / "rs3.elf"
    elf.write_bytes(make_elf([(directed.BASE, assemble(src, base=directed.BASE))], directed.BASE))
    out = _check(elf)
    # no Xchain word trapped: every one reached a unit
    assert not out.iss_records["trap"].any()


@pytest.mark.parametrize("prog", RANDOM_XCHAIN, ids=lambda p: str(p.seed))
def test_random_with_xchain(prog: Random, tmp_path: Path) -> None:
    """Xchain rows with random rs3 (often a register written just before, or loaded:
    the rs3 forwarding paths and load-use stall) and rotate amounts."""
    out = _check(prog.write(ISA, tmp_path))
    r4 = [d for d in map(decode, out.iss_records["insn"].tolist()) if d is not None and d.insn.fmt == "R4"]
    assert sum(d.imm != 0 for d in r4) > 0.8 * len(r4) > 500


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2000, 2020))
def test_random_with_xchain_sweep(seed: int, tmp_path: Path) -> None:
    _check(Random(seed, 200).write(ISA, tmp_path))


def _kernel(name: str):
    from chainrv.kernels import all_kernels

    if shutil.which("riscv64-unknown-elf-gcc") is None:
        pytest.skip("no RISC-V cross compiler")
    return all_kernels()[name]


def _xchain_kernels(slow: bool) -> list[str]:
    """Every Xchain variant of the catalogue whose input is short (or, with
    ``slow``, whose default vector is long: those run under make regress)."""
    from chainrv.kernels import all_kernels

    return [name for name in sorted(all_kernels()) if name.endswith("_xchain")
            and (short_input(name) is None) == slow]


@pytest.mark.parametrize("name", _xchain_kernels(slow=False))
def test_xchain_kernels_short(name: str) -> None:
    out = _check(_kernel(name).build(ISA), input_bytes=short_input(name))
    check_output(name, short_input(name), out)


@pytest.mark.slow
@pytest.mark.parametrize("name", _xchain_kernels(slow=True))
def test_xchain_kernels_default_vectors(name: str) -> None:
    k = _kernel(name)
    out = _check(k.build(ISA))
    assert out.rtl.uart.decode() == k.expected_stdout
