"""Lockstep regression: the RTL against the ISS, record by record and cycle by
cycle (docs/lockstep.md), on Icarus and Verilator through one interface.

* directed programs (``directed.py``): every forwarding path, load-use,
  branches and jumps, division in flight, CSRs and counters, traps, devices,
  the timer interrupt and WFI;
* every kernel variant of ``kernels/*/kernel.json`` with a short input, on a
  Verilator model built for exactly its ISA;
* seeded random programs of ``isa/randprog.py``.

For every program the total cycle count of the RTL equals the ISS's. The
default run builds a Verilator model per ISA of the kernel variants (the
directed and random programs run on the full ISA's) and small Icarus models
for the reduced ISAs; ``make regress`` (CHAINRV_RUN_SLOW=1) adds the signature
kernels' default vectors, random programs per ISA and more seeds.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from chainrv import toolchain
from chainrv.cosim import harness
from chainrv.cosim.lockstep import lockstep
from cocotb_tests import directed
from isa.config import IsaConfig
from isa.randprog import random_program

FULL = "rv32im_zicsr_zk_zks"
XCHAIN_FULL = FULL + "_xchain"
REDUCED = ("rv32im", "rv32im_zbkb")

needs_icarus = pytest.mark.skipif(not harness.have_sim("icarus"), reason="iverilog not installed")
needs_verilator = pytest.mark.skipif(not harness.have_sim("verilator"), reason="verilator not installed")


def need_compiler() -> None:
    """Skip only when the cross compiler is missing: a build that fails is a failure."""
    if shutil.which(toolchain.GCC) is None:
        pytest.skip(f"{toolchain.GCC} not installed")


def group(sim: str, isa: str):
    """One xdist worker per simulator model, so a model is built once per run."""
    return pytest.mark.xdist_group(f"lockstep-{sim}-{IsaConfig.parse(isa)}")


def check(elf: Path, isa: str, sim: str, input_bytes: bytes | None = None, expect_exit: int | None = 0):
    out = lockstep(elf, isa, sim, input_bytes=input_bytes)
    assert out.ok, out.report
    assert out.iss.stop == "exit", out.iss.trap
    if expect_exit is not None:
        assert out.iss.exit_code == expect_exit
    # the RTL's run length is the ISS's (also checked inside lockstep(); stated here for the reader)
    assert out.rtl.end_cycle == out.iss.cycles
    return out


# ------------------------------------------------------------------ directed programs

@needs_verilator
@group("verilator", FULL)
@pytest.mark.parametrize("name", sorted(directed.PROGRAMS))
def test_directed_verilator(name: str, tmp_path: Path) -> None:
    out = check(directed.build(name, tmp_path / f"{name}.elf"), FULL, "verilator")
    if name == "timer":     # the program really took timer interrupts and woke from wfi
        causes = out.iss_records[out.iss_records["trap"] == 1]
        assert len(causes) >= 40
        # 13 fetches where nothing is mapped fault; the traps beyond those at that
        # address are timer interrupts taken before the fault
        assert (causes["pc_rdata"] == 0x4000_0000).sum() > 13


@needs_icarus
@group("icarus", FULL)
@pytest.mark.parametrize("name", ["forwarding", "traps"])
def test_directed_icarus(name: str, tmp_path: Path) -> None:
    check(directed.build(name, tmp_path / f"{name}.elf"), FULL, "icarus")


@needs_icarus
@pytest.mark.slow
@group("icarus", FULL)
@pytest.mark.parametrize("name", sorted(set(directed.PROGRAMS) - {"forwarding", "traps"}))
def test_directed_icarus_all(name: str, tmp_path: Path) -> None:
    check(directed.build(name, tmp_path / f"{name}.elf"), FULL, "icarus")


# ------------------------------------------------------------------ random programs

def _random_elf(tmp_path: Path, seed: int, isa: str, blocks: int) -> Path:
    elf = tmp_path / f"rand{seed}.elf"
    elf.write_bytes(random_program(seed, isa, blocks=blocks, length=40).elf())
    return elf


#: Random programs per test: a few long programs (no per-block print loop, so nearly
#: every slot is random code) amortize the simulator's start-up.
@needs_verilator
@group("verilator", FULL)
@pytest.mark.parametrize("seed", range(4))
def test_random_verilator(seed: int, tmp_path: Path) -> None:
    check(_random_elf(tmp_path, seed, FULL, blocks=120), FULL, "verilator")


def per_isa(sim: str, isas) -> list:
    return [pytest.param(isa, marks=group(sim, isa), id=isa) for isa in isas]


@needs_icarus
@pytest.mark.parametrize("isa", per_isa("icarus", [*REDUCED, FULL]))
def test_random_icarus(isa: str, tmp_path: Path) -> None:
    check(_random_elf(tmp_path, 100, isa, blocks=10), isa, "icarus")


@needs_verilator
@pytest.mark.slow
@pytest.mark.parametrize("isa", per_isa("verilator", [*REDUCED, FULL]))
@pytest.mark.parametrize("seed", range(1000, 1030))
def test_random_sweep_verilator(isa: str, seed: int, tmp_path: Path) -> None:
    check(_random_elf(tmp_path, seed, isa, blocks=200), isa, "verilator")


# ------------------------------------------------------------------ kernels

def short_input(kernel: str) -> bytes | None:
    """A small valid input for each kernel (its manifest says what it reads)."""
    if kernel.startswith("mining"):
        return bytes(range(76)) + struct.pack("<II", 1000, 3) + b"\xff" * 32
    if kernel.startswith("merkle"):
        return struct.pack("<I", 3) + bytes(range(96))
    if kernel.startswith("eth_ecrecover"):
        # r = 5 is no curve point's x: the square root runs, then "invalid"; and v = 29
        item = bytes(range(32)) + b"".join(v.to_bytes(32, "big") for v in (27, 5, 1))
        return struct.pack("<I", 2) + item + item[:63] + b"\x1d" + item[64:]
    if kernel.startswith("eth_tx"):
        # legacy [1, 1, 21000, to, 0, "", v = 27, r, s]: r = 5 is no curve point's x (the
        # square root runs, then "invalid"); s = n - 1 is high, rejected after the hash
        head = b"\x01\x01\x82\x52\x08\x94" + bytes(range(20)) + b"\x80\x80\x1b\x05"
        n1 = (0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140).to_bytes(32, "big")
        txs = (b"\xdf" + head + b"\x01", b"\xf8\x3f" + head + b"\xa0" + n1)
        return struct.pack("<I", 2) + b"".join(struct.pack("<I", len(t)) + t for t in txs)
    if kernel.startswith("ed25519"):
        # key y = 2 is no curve point (the square root runs, then "invalid"); S = 2^256 - 1 >= L
        key = (2).to_bytes(32, "little")
        recs = (key + bytes(64) + struct.pack("<I", 0),
                key + bytes(32) + b"\xff" * 32 + struct.pack("<I", 3) + b"abc")
        return struct.pack("<I", 2) + b"".join(recs)
    if kernel == "btc_block":
        # the mainnet genesis block: a header that meets its target and one coinbase
        return bytes.fromhex(
            "0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e"
            "67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c01010000000100000000000000000000"
            "00000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f"
            "4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420"
            "666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e039"
            "09a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000")
    if kernel.startswith(("ecdsa", "sm2")):
        return None       # the default vector: long, run under make regress only
    return bytes(range(64))


def _variants(slow: bool) -> list:
    """Every kernel variant with a short input (or, with ``slow``, a long default vector),
    each on the model of its own ISA; the full Xchain ISA's variants run on that model in
    test_lockstep_xchain.py."""
    from chainrv.kernels import all_kernels

    out = []
    for name, k in sorted(all_kernels().items()):
        for isa in k.isas:
            if IsaConfig.parse(isa) == IsaConfig.parse(XCHAIN_FULL):
                continue
            if (short_input(name) is None) == slow:
                out.append(pytest.param(name, isa, id=f"{name}-{isa}", marks=group("verilator", isa)))
    return out


@needs_verilator
@pytest.mark.parametrize(("kernel", "isa"), _variants(slow=False))
def test_kernel_verilator(kernel: str, isa: str) -> None:
    """Each variant, compiled for its ISA, on a core built for exactly that ISA."""
    from chainrv.kernels import all_kernels

    need_compiler()
    out = check(all_kernels()[kernel].build(isa), isa, "verilator", input_bytes=short_input(kernel))
    assert out.rtl.uart == out.iss.stdout and out.rtl.uart.endswith(b"\n")


@needs_verilator
@pytest.mark.slow
@pytest.mark.parametrize(("kernel", "isa"), _variants(slow=True))
def test_kernel_default_vector_verilator(kernel: str, isa: str) -> None:
    """The signature kernels on their default vectors (millions of cycles)."""
    from chainrv.kernels import all_kernels

    need_compiler()
    k = all_kernels()[kernel]
    out = check(k.build(isa), isa, "verilator")
    assert out.rtl.uart.decode() == k.expected_stdout
