"""The CSR unit (Amaranth's simulator) against the CSR table of ``isa.csrs`` and the
golden functions of ``isa.privileged``, for every CSR of the table.

A CSR instruction sets a CSR to ``(new & wmask) | fixed`` with ``new`` the golden
``isa.semantics`` of the instruction; trap entry and ``mret`` change the CSRs as
``isa.privileged`` says.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

import pytest
from amaranth.sim import Simulator

from hdl.units.csr import CSRFile
from isa.config import FULL, IsaConfig
from isa.csrs import (
    BY_NUMBER,
    CAUSES,
    CSRS,
    MCAUSE,
    MEPC,
    MIE,
    MIP,
    MIP_MTIP,
    MSTATUS,
    MTVAL,
    MTVEC,
    TIMEH,
    Csr,
)
from isa.privileged import (
    aligned_write,
    interrupt_enabled,
    misa_value,
    mret_mstatus,
    trap_mstatus,
    trap_mtval,
)
from isa.semantics import SEMANTICS
from isa.table import BY_NAME

M = 0xFFFFFFFF
CSR_OPS = ("csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci")
WRITABLE = [c for c in CSRS if not c.read_only]
READ_ONLY = [c for c in CSRS if c.read_only]

Bench = Callable[[object, CSRFile], Awaitable[None]]


def stored(csr: Csr, value: int) -> int:
    """What ``csr`` holds after a CSR instruction writes ``value`` (the table's rule)."""
    return (value & csr.wmask) | csr.fixed


def _simulate(bench: Bench, config: IsaConfig = FULL) -> None:
    dut = CSRFile(config)
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def run(ctx) -> None:
        await bench(ctx, dut)

    sim.add_testbench(run)
    sim.run()


def _read(ctx, dut: CSRFile, number: int) -> int:
    ctx.set(dut.addr, number)
    return ctx.get(dut.rdata)


async def _instruction(ctx, dut: CSRFile, name: str, number: int,
                       src: int, src_zero: bool) -> tuple[int, int]:
    """One CSR instruction in EX, committed when legal (as the core does): (old value, illegal)."""
    ctx.set(dut.access, 1)
    ctx.set(dut.op, BY_NAME[name].op)
    ctx.set(dut.addr, number)
    ctx.set(dut.src, src)
    ctx.set(dut.src_zero, src_zero)
    old, illegal = ctx.get(dut.rdata), ctx.get(dut.illegal)
    ctx.set(dut.commit, not illegal)
    await ctx.tick()
    ctx.set(dut.access, 0)
    ctx.set(dut.commit, 0)
    return old, illegal


def _operand(rng: random.Random, name: str) -> tuple[int, bool]:
    """A source operand and whether its rs1/zimm field is 0 (x[rs1] may be 0 with rs1 != 0)."""
    if rng.random() < 0.25:
        return 0, True
    value = rng.getrandbits(5) if name.endswith("i") else rng.getrandbits(32)
    return value, name.endswith("i") and value == 0


async def _write(ctx, dut: CSRFile, number: int, value: int) -> int:
    """csrrw ``value`` into a writable CSR; the value the table says it then holds."""
    await _instruction(ctx, dut, "csrrw", number, value, False)
    want = stored(BY_NUMBER[number], value)
    assert _read(ctx, dut, number) == want
    return want


@pytest.mark.parametrize("isa", ["rv32i", "rv32im_zicsr_zk_zks"])
def test_reset_values(isa: str) -> None:
    config = IsaConfig.parse(isa)
    mtime = random.Random(1).getrandbits(64)

    async def bench(ctx, dut: CSRFile) -> None:
        ctx.set(dut.mtime, mtime)
        for c in CSRS:
            want = c.reset
            if c.source == "misa":
                want = misa_value(config)
            elif c.source == "time":        # the CLINT's mtime, whatever it is
                want = mtime >> 32 if c.number == TIMEH else mtime & M
            assert _read(ctx, dut, c.number) == want, c.name

    _simulate(bench, config)


def test_csr_instructions_write_by_the_table() -> None:
    """Every CSR instruction on every writable CSR, from random values: the old value
    is read, the new one is the golden result cut by the table's wmask and fixed bits."""
    rng = random.Random(2)

    async def bench(ctx, dut: CSRFile) -> None:
        for c in WRITABLE:
            for name in CSR_OPS:
                for _ in range(10):
                    if c.wmask:
                        ref = await _write(ctx, dut, c.number, rng.getrandbits(32))
                    else:       # writes are ignored (checked below); mtip is 0
                        ref = {"misa": misa_value(FULL), "mip": 0}[c.source]
                    src, zero = _operand(rng, name)
                    old, illegal = await _instruction(ctx, dut, name, c.number, src, zero)
                    assert (old, illegal) == (ref, 0), (c.name, name)
                    if name in ("csrrw", "csrrwi") or not zero:
                        if c.wmask:
                            ref = stored(c, SEMANTICS[name](ref, src))
                    elif c.source == "counter":
                        continue      # no write: the counter just counts on
                    assert _read(ctx, dut, c.number) == ref, (c.name, name, hex(src), zero)

    _simulate(bench)


def test_read_only_csrs_are_illegal_to_write() -> None:
    rng = random.Random(3)

    async def bench(ctx, dut: CSRFile) -> None:
        for c in READ_ONLY:
            for name in CSR_OPS:
                src = rng.getrandbits(5 if name.endswith("i") else 32)
                writes = name in ("csrrw", "csrrwi")
                # csrrs/csrrc write whenever the rs1/zimm field is not 0, even when x[rs1] is 0
                for zero in (False, True):
                    _, illegal = await _instruction(ctx, dut, name, c.number, 0 if zero else src, zero)
                    assert illegal == (writes or not zero), (c.name, name, zero)

    _simulate(bench)


def test_unknown_numbers_are_illegal() -> None:
    rng = random.Random(4)

    async def bench(ctx, dut: CSRFile) -> None:
        for number in sorted(set(range(1 << 12)) - set(BY_NUMBER)):
            ctx.set(dut.access, 1)
            ctx.set(dut.op, BY_NAME[rng.choice(CSR_OPS)].op)
            ctx.set(dut.addr, number)
            ctx.set(dut.src_zero, rng.getrandbits(1))
            assert ctx.get(dut.illegal), hex(number)
            ctx.set(dut.access, 0)       # only a CSR instruction is ever illegal here
            assert not ctx.get(dut.illegal)

    _simulate(bench)


def _from_random_mstatus(seed: int, count: int, check: Callable[..., Awaitable[None]]) -> None:
    """``await check(ctx, dut, rng, mstatus)`` after each of ``count`` random writes of mstatus."""
    rng = random.Random(seed)

    async def bench(ctx, dut: CSRFile) -> None:
        for _ in range(count):
            await check(ctx, dut, rng, await _write(ctx, dut, MSTATUS, rng.getrandbits(32)))

    _simulate(bench)


def test_trap_entry() -> None:
    async def check(ctx, dut: CSRFile, rng: random.Random, ms: int) -> None:
        mtvec = await _write(ctx, dut, MTVEC, rng.getrandbits(32))
        cause = rng.choice(CAUSES).code
        tval, pc = rng.getrandbits(32), rng.getrandbits(32)
        for port, value in ((dut.trap, 1), (dut.cause, cause), (dut.tval, tval), (dut.trap_pc, pc)):
            ctx.set(port, value)
        await ctx.tick()
        ctx.set(dut.trap, 0)
        got = [_read(ctx, dut, n) for n in (MEPC, MCAUSE, MTVAL, MSTATUS)]
        assert got == [aligned_write(pc), cause, trap_mtval(cause, tval), trap_mstatus(ms)], hex(cause)
        assert (ctx.get(dut.mepc), ctx.get(dut.mtvec)) == (aligned_write(pc), mtvec)

    _from_random_mstatus(5, 60, check)


def test_mret() -> None:
    async def check(ctx, dut: CSRFile, rng: random.Random, ms: int) -> None:
        ctx.set(dut.mret, 1)
        await ctx.tick()
        ctx.set(dut.mret, 0)
        assert _read(ctx, dut, MSTATUS) == mret_mstatus(ms)

    _from_random_mstatus(6, 40, check)


def test_timer_interrupt_enable_and_wake() -> None:
    async def check(ctx, dut: CSRFile, rng: random.Random, ms: int) -> None:
        mie = await _write(ctx, dut, MIE, rng.getrandbits(32))
        mtip = rng.getrandbits(1)
        ctx.set(dut.mtip, mtip)
        mip = MIP_MTIP if mtip else 0
        assert _read(ctx, dut, MIP) == mip
        assert ctx.get(dut.irq) == (mtip and interrupt_enabled(ms, mie))
        assert ctx.get(dut.wake) == (mip & mie != 0)

    _from_random_mstatus(7, 40, check)
