"""Lockstep of the RTL against the ISS under microarchitecture configurations
(isa/uarch.py): every retirement record and its cycle, as test_lockstep.py does for
the ideal machine.

* every directed program of ``directed.py`` and ``directed_uarch.py``;
* under each preset and a few seeded random configurations (the configuration is
  the test id: random geometries, latencies, predictors, multipliers);
* a few short kernels per preset.

``directed.py``'s ``selfmod`` stores into code that has already run and then runs
it: with an I-cache the stale line would be fetched (the ISA's answer is
``fence.i``, which that program does not use), and with a D-cache the new words
wait in a dirty line that the instruction side does not see. So it runs only under
configurations without caches.

One Verilator model per configuration, built once: the tests of a configuration are
one xdist group (the ideal machine shares test_lockstep.py's model). The long sweep
(more random configurations, every kernel, random programs) is ``make regress``.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from chainrv import toolchain
from chainrv.cosim import harness
from chainrv.cosim.lockstep import lockstep
from cocotb_tests import directed, directed_uarch
from cocotb_tests.plan import (
    FAST_RANDOM,
    FULL,
    PRESET_KERNELS,
    PRESETS,
    Random,
    has_cache,
    model_group,
    short_input,
    uarch_program,
)
from cocotb_tests.references import check_output
from isa.config import IsaConfig
from isa.uarch import Uarch

needs_verilator = pytest.mark.skipif(not harness.have_sim("verilator"), reason="verilator not installed")
needs_icarus = pytest.mark.skipif(not harness.have_sim("icarus"), reason="iverilog not installed")


def need_compiler() -> None:
    """Skip only when the cross compiler is missing: a build that fails is a failure."""
    if shutil.which(toolchain.GCC) is None:
        pytest.skip(f"{toolchain.GCC} not installed")


def random_config(seed: int) -> str:
    """A random configuration: geometries in the whole range, latencies up to 12
    (the rules do not change with the number, the run time does), any predictor and
    multiplier, load-to-use and S-box units."""
    rng = random.Random(seed)

    def cache() -> str:
        if rng.random() < 0.2:
            return "off"
        while True:
            size, ways = 1 << rng.randint(8, 16), rng.choice((1, 2, 4, 8))
            line = rng.choice((16, 32, 64, 128))
            if ways * line <= size:
                return f"{size}:{ways}:{line}"

    bp = rng.choice(["none", "btfn", f"bht:{1 << rng.randint(1, 12)}"])
    mul = rng.choice(["1", "iter:1", "iter:2", "iter:4", "iter:8", "iter:16", "pipe:2", "pipe:3"])
    mem = rng.choice((0, 1, 2, 3, 5, 8, 12))
    ldu = rng.choice((1, 2))
    text = f"ideal,icache={cache()},dcache={cache()},mem={mem},bp={bp},mul={mul},ldu={ldu}"
    return str(Uarch.parse(f"{text},crypto={rng.choice((1, 2))}"))


#: make regress's configurations besides plan.FAST_RANDOM (the first of which is
#: random_config(1): test_fast_random_configuration).
SLOW_RANDOM = tuple(random_config(seed) for seed in (2, *range(100, 107)))


def test_fast_random_configuration() -> None:
    assert FAST_RANDOM[0] == random_config(1)


def group(uarch: str) -> pytest.MarkDecorator:
    """One xdist worker per model; the ideal one is test_lockstep.py's."""
    return pytest.mark.xdist_group(model_group(FULL, uarch))


#: Mismatches found by these tests, for the lead to fix: (configuration, program) -> reason.
KNOWN: dict[tuple[str, str], str] = {}


#: Slots a program may take on the ISS before the lockstep (it bounds the trace's memory).
MAX_SLOTS = 5_000_000


def _iss_ends(elf: Path, uarch: str, input_bytes: bytes | None, name: str) -> int:
    """The program's slots on the ISS; a run that does not end is the program's fault
    under this configuration for ``timer`` (skipped), a failure for any other."""
    from simulator import Machine

    m = Machine(FULL, uarch=uarch)
    m.load_elf(elf)
    if input_bytes is not None:
        m.set_input(input_bytes)
    res = m.run(MAX_SLOTS)
    if res.stop != "exit" and name == "timer":
        # directed.py's timer sets its last interrupt 30 cycles ahead of a wfi; with slow
        # fetches (no I-cache, many wait states) the code in between takes longer, the
        # interrupt comes before the wfi and the wfi then waits for ever
        pytest.skip(f"timer: its wfi waits for ever under {uarch} (the interrupt comes first)")
    assert res.stop == "exit", f"--uarch {uarch}: {res.trap}"
    return res.slots


def check(elf: Path, uarch: str, input_bytes: bytes | None = None, expect_exit: int | None = 0,
          sim: str = "verilator", name: str = ""):
    slots = _iss_ends(elf, uarch, input_bytes, name)
    out = lockstep(elf, FULL, sim, input_bytes=input_bytes, uarch=uarch, max_slots=slots + 1)
    assert out.ok, f"--uarch {uarch}\n{out.report}"
    assert out.iss.stop == "exit", out.iss.trap
    if expect_exit is not None:
        assert out.iss.exit_code == expect_exit
    assert out.rtl.end_cycle == out.iss.cycles
    return out


def _build(name: str, tmp_path: Path) -> Path:
    mod = directed_uarch if name in directed_uarch.PROGRAMS else directed
    return mod.build(name, tmp_path / f"{name}.elf")


def _directed_params(uarchs: tuple[str, ...]) -> list:
    out = []
    for u in uarchs:
        for name in [*sorted(directed.PROGRAMS), *sorted(directed_uarch.PROGRAMS)]:
            if (name == "selfmod" or name in directed_uarch.STORES_INTO_CODE) and has_cache(u):
                continue      # stores into code need fence.i with caches (module docstring)
            if Uarch.parse(u).is_ideal and name in directed.PROGRAMS:
                continue      # test_lockstep.py runs those on the ideal machine
            marks = [group(u)]
            if (u, name) in KNOWN:
                marks.append(pytest.mark.xfail(reason=KNOWN[u, name], strict=True))
            out.append(pytest.param(u, name, marks=marks, id=f"{u}-{name}"))
    return out


# ------------------------------------------------------------------ directed programs


@needs_verilator
@pytest.mark.parametrize(("uarch", "name"), _directed_params(PRESETS + FAST_RANDOM))
def test_directed(uarch: str, name: str, tmp_path: Path) -> None:
    out = check(_build(name, tmp_path), uarch, name=name)
    if name in ("timer", "timer_miss"):     # the interrupts were really taken
        assert int((out.iss_records["trap"] == 1).sum()) >= 20
    if name in ("dirty_evict", "conflict") and Uarch.parse(uarch).dcache is not None:
        assert out.iss.counters["dcache_misses"] > 0
        if name == "dirty_evict":
            assert out.iss.counters["dcache_writebacks"] > 0


@needs_verilator
@pytest.mark.slow
@pytest.mark.parametrize(("uarch", "name"), _directed_params(SLOW_RANDOM))
def test_directed_sweep(uarch: str, name: str, tmp_path: Path) -> None:
    check(_build(name, tmp_path), uarch, name=name)


# ------------------------------------------------------------------ kernels


def _kernel_elf(kernel: str) -> Path:
    from chainrv.kernels import all_kernels

    need_compiler()
    return all_kernels()[kernel].build(FULL)


def _kernel_params() -> list:
    return [pytest.param(u, k, marks=[group(u)], id=f"{u}-{k}")
            for u, kernels in PRESET_KERNELS.items() for k in kernels]


@needs_verilator
@pytest.mark.parametrize(("uarch", "kernel"), _kernel_params())
def test_kernel(uarch: str, kernel: str) -> None:
    out = check(_kernel_elf(kernel), uarch, input_bytes=short_input(kernel))
    check_output(kernel, short_input(kernel), out)


def _all_kernels() -> list[str]:
    from chainrv.kernels import all_kernels

    return sorted(k for k, v in all_kernels().items() if FULL in v.isas and short_input(k) is not None)


#: The signature kernels' short inputs still take 140k-250k instructions (a square
#: root): several million cycles with a slow multiplier and memory.
LONG_KERNELS = ("ed25519", "eth_ecrecover", "eth_tx")


def _sweep_kernel_params() -> list:
    """Every kernel (its short input) under mcu and cached; four of the short ones per
    random configuration, taken in turn."""
    out = [pytest.param(u, k, marks=[group(u)], id=f"{u}-{k}")
           for u in ("mcu", "cached") for k in _all_kernels()]
    short = [k for k in _all_kernels() if k not in LONG_KERNELS]
    for n, u in enumerate(SLOW_RANDOM):
        for k in (short[(4 * n + j) % len(short)] for j in range(4)) if short else ():
            out.append(pytest.param(u, k, marks=[group(u)], id=f"{u}-{k}"))
    return out


@needs_verilator
@pytest.mark.slow
@pytest.mark.parametrize(("uarch", "kernel"), _sweep_kernel_params())
def test_kernel_sweep(uarch: str, kernel: str) -> None:
    out = check(_kernel_elf(kernel), uarch, input_bytes=short_input(kernel))
    check_output(kernel, short_input(kernel), out)


# ------------------------------------------------------------------ random programs


def _random_elf(tmp_path: Path, seed: int, uarch: str) -> Path:
    """A short program (8 blocks), stores into code only without caches (they need
    fence.i with caches)."""
    return Random(seed, 8, selfmod=not has_cache(uarch)).write(FULL, tmp_path)


@needs_verilator
@pytest.mark.parametrize("uarch", [pytest.param(u, marks=[group(u)], id=u)
                                   for u in ("mcu", "cached", "fpga", *FAST_RANDOM)])
def test_random_program(uarch: str, tmp_path: Path) -> None:
    """The long program that closes each configuration's coverage model (plan.py)."""
    check(uarch_program(uarch).write(FULL, tmp_path), uarch)


@needs_verilator
@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2000, 2003))
@pytest.mark.parametrize("uarch", [pytest.param(u, marks=[group(u)], id=u)
                                   for u in ("mcu", "cached", *SLOW_RANDOM)])
def test_random_program_sweep(uarch: str, seed: int, tmp_path: Path) -> None:
    check(_random_elf(tmp_path, seed, uarch), uarch)


# ------------------------------------------------------------------ Icarus

#: Icarus starts every register at x and does not count a declaration's initial value
#: as an event: this test found combinational blocks that never ran there (fixed in
#: chainrv/cosim/lockstep.py, settle_at_start).
ICARUS_UARCHS = ("ideal,bp=btfn", "ideal,mul=iter:8", "ideal,mul=pipe:3", "ideal,mem=1",
                 "ideal,dcache=256:1:16", "ideal,icache=256:1:16", "ideal,bp=bht:4", "mcu", "cached")


@needs_icarus
@pytest.mark.xdist_group("lockstep-icarus-uarch")
@pytest.mark.parametrize("uarch", ICARUS_UARCHS)
def test_icarus(uarch: str, tmp_path: Path) -> None:
    """The other simulator (a model takes seconds to build): its x start state finds
    what Verilator's zeros hide."""
    check(_build("mul_chain", tmp_path), uarch, sim="icarus", name="mul_chain")


# ------------------------------------------------------------------ the programs hit their rules (ISS only)


def _iss(name: str, uarch: str, tmp_path: Path):
    from simulator import Machine

    m = Machine(FULL, uarch=uarch)
    m.load_elf(_build(name, tmp_path))
    res, recs = m.trace(1_000_000)
    assert res.stop == "exit" and res.exit_code == 0, res.trap
    pc = recs["pc_rdata"]
    fetched = int(((pc >= 0x8000_0000) & (pc < 0x8010_0000)).sum())
    return res, recs, res.counters["icache_hits"] + res.counters["icache_misses"] - fetched


def test_aim_caches(tmp_path: Path) -> None:
    """Under ``cached``: the conflict and eviction programs miss and write back, the
    far code misses on the I-side at every call, a miss under a taken branch and a
    trap after a miss make the wrong-path fetch look up the I-cache."""
    res, _, _ = _iss("conflict", "cached", tmp_path)
    assert res.counters["dcache_misses"] > 80 and res.counters["dcache_writebacks"] > 40
    res, _, _ = _iss("dirty_evict", "cached", tmp_path)
    assert res.counters["dcache_writebacks"] >= 10
    res, _, _ = _iss("far_code", "cached", tmp_path)
    assert res.counters["icache_misses"] >= 36          # 12 blocks of one set, 3 rounds
    for name in ("miss_branch", "trap_miss"):
        _, _, wrong_path = _iss(name, "cached", tmp_path)
        assert wrong_path > 0, name


@pytest.mark.parametrize("bp", ["btfn", "bht:2", "bht:64"])
def test_aim_mispredict(bp: str, tmp_path: Path) -> None:
    res, _, _ = _iss("mispredict", f"ideal,bp={bp}", tmp_path)
    assert res.counters["bp_mispredicts"] >= 20
    assert res.stalls["mispredict"] == 2 * res.counters["bp_mispredicts"]


def test_aim_stale_prediction(tmp_path: Path) -> None:
    """Five mispredictions of the overwritten branch (the table keeps predicting taken
    for an addi until its counter drops: two, then it stays not taken)."""
    res, _, _ = _iss("stale_prediction", "ideal,bp=bht:16", tmp_path)
    trained, _, _ = _iss("stale_prediction", "ideal,bp=none", tmp_path)
    assert res.counters["bp_mispredicts"] >= 4 and trained.counters["bp_mispredicts"] == 0


@pytest.mark.parametrize("mul", ["iter:4", "pipe:3"])
def test_aim_mul(mul: str, tmp_path: Path) -> None:
    res, _, _ = _iss("mul_chain", f"ideal,mul={mul}", tmp_path)
    assert res.stalls["mul"] > 10


def test_aim_timer(tmp_path: Path) -> None:
    _, recs, _ = _iss("timer_miss", "cached", tmp_path)
    assert int((recs["trap"] == 1).sum()) >= 60     # one interrupt per step, and the traps


# ------------------------------------------------------------------ Xchain under fpga

XCHAIN = "rv32im_zicsr_zk_zks_xchain"


@needs_verilator
@pytest.mark.xdist_group(f"lockstep-verilator-{IsaConfig.parse(XCHAIN)}-fpga")
@pytest.mark.parametrize("what", ["rs3", "random", "keccak256_xchain"])
def test_xchain_fpga(what: str, tmp_path: Path) -> None:
    """The pipelined multiply-accumulate (maddlu/maddhu as products of ``mul=pipe``),
    the third read port read a cycle ahead and the two-cycle load-to-use of ``fpga``:
    test_lockstep_xchain.py's rs3 program, a random program with Xchain rows and the
    Keccak-256 kernel, in lockstep."""
    from cocotb_tests.test_lockstep_xchain import _rs3_program
    from isa.asm import assemble
    from isa.elfwriter import make_elf

    input_bytes = None
    if what == "rs3":
        src = directed.PROLOGUE + _rs3_program() + directed.FINISH + directed.HANDLER
        elf = tmp_path / "rs3.elf"
        elf.write_bytes(make_elf([(directed.BASE, assemble(src, base=directed.BASE))], directed.BASE))
    elif what == "random":
        elf = Random(7, 100).write(XCHAIN, tmp_path)
    else:
        from chainrv.kernels import all_kernels

        need_compiler()
        elf = all_kernels()[what].build(XCHAIN)
        input_bytes = short_input(what)
    out = lockstep(elf, XCHAIN, "verilator", input_bytes=input_bytes, uarch="fpga")
    assert out.ok, out.report
    assert out.iss.stop == "exit", out.iss.trap
    assert out.rtl.end_cycle == out.iss.cycles
    # the products were late: consumers waited (cause mul)
    if what == "rs3":
        assert out.iss.stalls["mul"] > 0
