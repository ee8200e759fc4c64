"""The ISS's cache counters against an independent cache model.

``LruCache`` below is written from the rule of docs/timing.md / issue 16 alone, not
from simulator/uarch.py: a set-associative cache, true LRU, an invalid way filled
first (the lowest index), and for the D-cache write-back, write-allocate (a store
marks its line dirty; evicting a dirty line is one writeback). The ISS's own trace
is replayed through it:

* D-side: every load and store of a retired instruction to RAM is one lookup (device
  accesses bypass the cache). The trace shows all of them, so the D-cache's hits,
  misses and writebacks must equal ``RunResult.counters`` exactly, for any
  configuration.
* I-side: every slot whose pc lies in RAM fetched once (retired and trapped slots
  alike), in order. A fetch on a wrong path (after a redirect) looks the I-cache up
  only when the redirecting slot stayed in EX for two cycles or more waiting for
  MEM (simulator/loop.py, the UARCH block: ``um - 1 >= look + 1``). With
  ``dcache=off`` and ``mem=0`` nothing ever holds MEM, so the I-side lookups are
  exactly the trace's fetches and the counts must match exactly; otherwise the
  number of lookups lies between the trace's fetches and those plus one per
  redirecting slot.
* ``bp=btfn``: a static rule, so its mispredictions can be counted from the trace
  too (backward branches predicted taken, forward not taken, ``jal`` taken at its
  target, ``jalr`` never predicted).
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from chainrv import toolchain
from isa import memmap
from isa.randprog import random_program
from simulator import Machine

FULL = "rv32im_zicsr_zk_zks"
RAM_LO = memmap.RAM_BASE
RAM_HI = memmap.RAM_BASE + memmap.RAM_SIZE


# ------------------------------------------------------------------ the model


class LruCache:
    """A set-associative cache with true LRU replacement, write-back, write-allocate."""

    def __init__(self, size: int, ways: int, line: int) -> None:
        assert size % (ways * line) == 0
        self.line = line
        self.nsets = size // (ways * line)
        self.tags: list[list[int | None]] = [[None] * ways for _ in range(self.nsets)]
        self.dirty: list[list[bool]] = [[False] * ways for _ in range(self.nsets)]
        # per set, the valid ways from least to most recently used
        self.order: list[list[int]] = [[] for _ in range(self.nsets)]
        self.hits = self.misses = self.writebacks = 0

    def access(self, addr: int, store: bool = False) -> bool:
        """One lookup; True on a hit."""
        block = addr // self.line
        s = block % self.nsets
        tags, order = self.tags[s], self.order[s]
        hit = block in tags
        if hit:
            self.hits += 1
            w = tags.index(block)
            order.remove(w)
        else:
            self.misses += 1
            if None in tags:
                w = tags.index(None)             # the lowest invalid way
            else:
                w = order.pop(0)                 # the least recently used
                if self.dirty[s][w]:
                    self.writebacks += 1
            tags[w] = block
            self.dirty[s][w] = False
        order.append(w)
        if store:
            self.dirty[s][w] = True
        return hit


def test_model_lru_order() -> None:
    """The model itself, on sequences worked out by hand."""
    c = LruCache(64, 2, 16)     # two sets of two 16-byte ways
    assert c.nsets == 2
    # set 0 holds lines 0, 32, 64, ... (addresses); A = 0, B = 32, C = 64
    assert [c.access(a) for a in (0, 32, 0, 64, 32, 0)] == [False, False, True, False, False, False]
    # C evicted B (B was least recent after A's hit); then B evicted A; then A evicted C
    assert c.access(32) and not c.access(64)
    assert (c.hits, c.misses) == (2, 6)
    # set 1 is untouched by all this
    assert not c.access(16) and c.access(20) and c.access(31)


def test_model_invalid_way_first() -> None:
    c = LruCache(64, 4, 16)     # one set of four ways
    for a in (0, 16, 32, 48):
        c.access(a)
    assert c.tags[0] == [0, 1, 2, 3]       # filled in way order
    c.access(0)                             # 0 most recent: 16 is now the LRU
    c.access(64)
    assert c.tags[0] == [0, 4, 2, 3]


def test_model_write_back_write_allocate() -> None:
    c = LruCache(32, 1, 16)     # two direct-mapped sets
    c.access(0, store=True)     # store miss: allocates, dirty
    c.access(4)                 # hit
    c.access(32)                # conflict: evicts the dirty line
    assert (c.hits, c.misses, c.writebacks) == (1, 2, 1)
    c.access(0)                 # clean 32 evicted: no writeback
    assert c.writebacks == 1
    c.access(16, store=True)
    c.access(48, store=True)    # other set: dirty 16 written back, 48 dirty now
    c.access(16)                # dirty 48 written back
    assert (c.misses, c.writebacks) == (6, 3)


# ------------------------------------------------------------------ configurations


@dataclass(frozen=True)
class Geometry:
    size: int
    ways: int
    line: int

    def __str__(self) -> str:
        return f"{self.size}:{self.ways}:{self.line}"

    def model(self) -> LruCache:
        return LruCache(self.size, self.ways, self.line)


def random_geometry(rng: random.Random, max_log: int = 16) -> Geometry:
    """Sizes 256 B .. 64 KiB, 1..8 ways, 16..128-byte lines (at least one set)."""
    while True:
        g = Geometry(1 << rng.randint(8, max_log), rng.choice((1, 2, 4, 8)), rng.choice((16, 32, 64, 128)))
        if g.ways * g.line <= g.size:
            return g


def random_uarch(rng: random.Random, icache: bool = True, dcache: bool = True,
                 mem: int | None = None, max_log: int = 16) -> tuple[str, Geometry | None, Geometry | None]:
    ig = random_geometry(rng, max_log) if icache else None
    dg = random_geometry(rng, max_log) if dcache else None
    bp = rng.choice(["none", "btfn", f"bht:{1 << rng.randint(1, 8)}"])
    mul = rng.choice(["1", "iter:4", "iter:16", "pipe:2", "pipe:3"])
    m = rng.choice([0, 1, 3, 10]) if mem is None else mem
    text = (f"ideal,icache={ig or 'off'},dcache={dg or 'off'},mem={m},bp={bp},mul={mul}")
    return text, ig, dg


# ------------------------------------------------------------------ programs

#: Short kernels with a 64-byte input (a few thousand to 15k instructions each).
KERNELS = ("sha256", "keccak256", "sm3", "aes128", "ripemd160", "sha512", "sm4", "merkle_btc")



def need_compiler() -> None:
    """Skip only when the cross compiler is missing: a build that fails is a failure."""
    if shutil.which(toolchain.GCC) is None:
        pytest.skip(f"{toolchain.GCC} not installed")


def _kernel_elf(name: str, isa: str = FULL) -> Path:
    from chainrv.kernels import all_kernels

    need_compiler()
    return all_kernels()[name].build(isa)


def _directed_elf(name: str, tmp_path: Path) -> Path:
    from cocotb_tests import directed, directed_uarch

    mod = directed_uarch if name in directed_uarch.PROGRAMS else directed
    return mod.build(name, tmp_path / f"{name}.elf")


def _random_elf(seed: int, tmp_path: Path) -> Path:
    elf = tmp_path / f"rand{seed}.elf"
    elf.write_bytes(random_program(seed, FULL, blocks=6, length=40).elf())
    return elf


def stress_source(seed: int, calls: int = 600) -> str:
    """Assembly that stresses replacement on both sides: 48 small functions of random
    loads and stores over 24 KiB (six base registers 4 KiB apart) and some UART reads
    (which bypass the cache), called in a skewed random order so that some lines stay
    hot and others are evicted."""
    from cocotb_tests.directed import FINISH

    rng = random.Random(seed)
    nfun = 48
    out = ["    lui gp, 0x80080\n    li a5, 0x10000000\n"]
    out += [f"    li s{k}, {0x8008_1000 + 0x1000 * k:#x}\n" for k in range(6)]
    weights = [1.0 / (k + 1) for k in range(nfun)]
    order = rng.choices(range(nfun), weights=weights, k=calls)
    rng.shuffle(perm := list(range(nfun)))       # hot functions scattered over the code
    out += [f"    jal ra, f{perm[f]}\n" for f in order]
    out.append(FINISH)
    for f in range(nfun):
        out.append(f"f{f}:\n")
        for _ in range(rng.randint(3, 16)):
            kind = rng.random()
            base = f"s{rng.randrange(6)}"
            off = rng.randrange(-2048, 2044) & ~3
            if kind < 0.35:
                out.append(f"    lw t0, {off}({base})\n")
            elif kind < 0.6:
                out.append(f"    sw t1, {off}({base})\n")
            elif kind < 0.7:
                out.append(f"    sb t1, {off + rng.randrange(4)}({base})\n")
            elif kind < 0.8:
                out.append(f"    lhu t2, {off + 2 * rng.randrange(2)}({base})\n")
            elif kind < 0.85:
                out.append("    lbu t3, 5(a5)\n")              # UART LSR: a device, no lookup
            else:
                out.append("    add t1, t1, t0\n")
        out.append("    ret\n")
    return "".join(out)


def _stress_elf(seed: int, tmp_path: Path) -> Path:
    from isa.asm import assemble
    from isa.elfwriter import make_elf

    elf = tmp_path / f"stress{seed}.elf"
    elf.write_bytes(make_elf([(RAM_LO, assemble(stress_source(seed), base=RAM_LO))], RAM_LO))
    return elf


def trace(elf: Path, uarch: str, input_bytes: bytes | None = None):
    m = Machine(FULL, uarch=uarch)
    m.load_elf(elf)
    if input_bytes is not None:
        m.set_input(input_bytes)
    res, recs = m.trace(5_000_000)
    assert res.stop == "exit", res.trap
    return res, recs


# ------------------------------------------------------------------ replay


def _in_ram(a: np.ndarray) -> np.ndarray:
    return (a >= RAM_LO) & (a < RAM_HI)


def replay_d(recs: np.ndarray, g: Geometry) -> LruCache:
    c = g.model()
    mem = (recs["mem_rmask"] != 0) | (recs["mem_wmask"] != 0)
    acc = (recs["trap"] == 0) & mem & _in_ram(recs["mem_addr"])
    for addr, wmask in zip(recs["mem_addr"][acc].tolist(), recs["mem_wmask"][acc].tolist(), strict=True):
        c.access(addr, wmask != 0)
    return c


def fetches(recs: np.ndarray) -> list[int]:
    """The pc of every slot that fetched from RAM, retired or trapped, in order."""
    pc = recs["pc_rdata"]
    return pc[_in_ram(pc)].tolist()


def replay_i(recs: np.ndarray, g: Geometry) -> LruCache:
    c = g.model()
    for pc in fetches(recs):
        c.access(pc)
    return c


def redirect_slots(recs: np.ndarray) -> int:
    """Slots that may redirect the fetch in EX: traps, branches, jumps, mret."""
    op = recs["insn"] & 0x7F
    retired = recs["trap"] == 0
    ctl = retired & ((op == 0x63) | (op == 0x6F) | (op == 0x67) | (recs["insn"] == 0x30200073))
    return int(np.count_nonzero(ctl | ~retired))


def btfn_mispredicts(recs: np.ndarray) -> int:
    """Mispredictions of backward-taken/forward-not-taken, from the trace alone."""
    n = 0
    for insn, trap, a, b in zip(recs["insn"].tolist(), recs["trap"].tolist(), recs["rs1_rdata"].tolist(),
                                recs["rs2_rdata"].tolist(), strict=True):
        if trap:
            continue
        op = insn & 0x7F
        if op == 0x67:                       # jalr: never predicted, always redirects
            n += 1
        elif op == 0x63:
            f3 = (insn >> 12) & 7
            sa, sb = a - ((a & 0x80000000) << 1), b - ((b & 0x80000000) << 1)
            taken = {0: a == b, 1: a != b, 4: sa < sb, 5: sa >= sb, 6: a < b, 7: a >= b}[f3]
            backward = insn >> 31 == 1       # the sign of the B-immediate
            n += backward != taken
    return n


def check_counts(res, recs: np.ndarray, ig: Geometry | None, dg: Geometry | None, icache_exact: bool) -> None:
    cnt = res.counters
    if dg is None:
        assert (cnt["dcache_hits"], cnt["dcache_misses"], cnt["dcache_writebacks"]) == (0, 0, 0)
    else:
        d = replay_d(recs, dg)
        assert (cnt["dcache_hits"], cnt["dcache_misses"], cnt["dcache_writebacks"]) == \
            (d.hits, d.misses, d.writebacks)
    if ig is None:
        assert (cnt["icache_hits"], cnt["icache_misses"]) == (0, 0)
    elif icache_exact:
        i = replay_i(recs, ig)
        assert (cnt["icache_hits"], cnt["icache_misses"]) == (i.hits, i.misses)
    else:
        n = len(fetches(recs))
        assert n <= cnt["icache_hits"] + cnt["icache_misses"] <= n + redirect_slots(recs)


# ------------------------------------------------------------------ D-cache, exact, any configuration


def _cases(seed: int, n: int, programs: tuple[str, ...], **kw) -> list:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        text, ig, dg = random_uarch(rng, **kw)
        prog = programs[k % len(programs)]
        out.append(pytest.param(prog, text, ig, dg, id=f"{prog}-{text}"))
    return out


@pytest.mark.parametrize(("kernel", "uarch", "ig", "dg"), _cases(1600, 16, KERNELS))
def test_kernel_counts(kernel: str, uarch: str, ig: Geometry, dg: Geometry) -> None:
    res, recs = trace(_kernel_elf(kernel), uarch, bytes(range(64)))
    assert res.counters["dcache_misses"] > 0
    check_counts(res, recs, ig, dg, icache_exact=False)


@pytest.mark.parametrize("seed", range(6))
def test_random_program_counts(seed: int, tmp_path: Path) -> None:
    text, ig, dg = random_uarch(random.Random(1700 + seed))
    res, recs = trace(_random_elf(seed, tmp_path), text)
    check_counts(res, recs, ig, dg, icache_exact=False)


#: directed.py's programs (selfmod aside: it stores into code) and directed_uarch.py's
#: (conflicts in one set of any cache, dirty evictions, code in twelve 64 KiB blocks).
DIRECTED = ("forwarding", "load_use", "branches", "division", "csrs", "traps", "devices", "timer",
            "conflict", "dirty_evict", "miss_both", "miss_branch", "load_use_miss", "mispredict",
            "mul_chain", "trap_miss", "timer_miss", "far_code")


@pytest.mark.parametrize(("name", "uarch", "ig", "dg"), _cases(1800, len(DIRECTED), DIRECTED))
def test_directed_counts(name: str, uarch: str, ig: Geometry, dg: Geometry, tmp_path: Path) -> None:
    res, recs = trace(_directed_elf(name, tmp_path), uarch)
    check_counts(res, recs, ig, dg, icache_exact=False)


@pytest.mark.parametrize("kernel", ["sha256", "sha512"])
def test_dirty_evictions_are_counted(kernel: str) -> None:
    """A 256-byte D-cache cannot hold a hash's state and message: lines are evicted
    dirty, and every writeback the model sees the ISS counts."""
    g = Geometry(256, 2, 32)
    res, recs = trace(_kernel_elf(kernel), f"ideal,dcache={g},mem=2", bytes(range(64)))
    d = replay_d(recs, g)
    assert d.writebacks > 10
    check_counts(res, recs, None, g, icache_exact=True)


@pytest.mark.parametrize("seed", range(6))
def test_stress_counts(seed: int, tmp_path: Path) -> None:
    """Caches smaller than the 24 KiB the stress program touches: replacement decides."""
    text, ig, dg = random_uarch(random.Random(2200 + seed), max_log=13)
    res, recs = trace(_stress_elf(seed, tmp_path), text)
    assert res.counters["dcache_writebacks"] > 0
    check_counts(res, recs, ig, dg, icache_exact=False)


# ------------------------------------------------------------------ I-cache: exact when no wrong-path lookup


@pytest.mark.parametrize("seed", range(6))
def test_icache_exact_stress(seed: int, tmp_path: Path) -> None:
    text, ig, dg = random_uarch(random.Random(2300 + seed), dcache=False, mem=0, max_log=12)
    res, recs = trace(_stress_elf(100 + seed, tmp_path), text)
    check_counts(res, recs, ig, dg, icache_exact=True)



@pytest.mark.parametrize(("kernel", "uarch", "ig", "dg"), _cases(1900, 8, KERNELS, dcache=False, mem=0))
def test_icache_exact_kernels(kernel: str, uarch: str, ig: Geometry, dg: None) -> None:
    res, recs = trace(_kernel_elf(kernel), uarch, bytes(range(64)))
    assert res.counters["icache_misses"] > 0
    check_counts(res, recs, ig, dg, icache_exact=True)


@pytest.mark.parametrize(("name", "uarch", "ig", "dg"),
                         _cases(2000, len(DIRECTED), DIRECTED, dcache=False, mem=0))
def test_icache_exact_directed(name: str, uarch: str, ig: Geometry, dg: None, tmp_path: Path) -> None:
    res, recs = trace(_directed_elf(name, tmp_path), uarch)
    check_counts(res, recs, ig, dg, icache_exact=True)


@pytest.mark.parametrize("seed", range(4))
def test_icache_exact_random_programs(seed: int, tmp_path: Path) -> None:
    text, ig, dg = random_uarch(random.Random(2100 + seed), dcache=False, mem=0)
    res, recs = trace(_random_elf(100 + seed, tmp_path), text)
    check_counts(res, recs, ig, dg, icache_exact=True)


def test_icache_conflict_misses() -> None:
    """A direct-mapped 256-byte I-cache thrashes on any kernel loop bigger than it."""
    g = Geometry(256, 1, 16)
    res, recs = trace(_kernel_elf("sha256"), f"ideal,icache={g}", bytes(range(64)))
    i = replay_i(recs, g)
    assert i.misses > len(fetches(recs)) // 20
    assert (res.counters["icache_hits"], res.counters["icache_misses"]) == (i.hits, i.misses)


# ------------------------------------------------------------------ static prediction


@pytest.mark.parametrize("kernel", ["sha256", "aes128", "merkle_btc"])
def test_btfn_mispredicts(kernel: str) -> None:
    u = "ideal,bp=btfn,icache=1k:2:16,dcache=1k:2:16,mem=2"
    res, recs = trace(_kernel_elf(kernel), u, bytes(range(64)))
    assert res.counters["bp_mispredicts"] == btfn_mispredicts(recs) > 0


def test_btfn_mispredicts_directed(tmp_path: Path) -> None:
    res, recs = trace(_directed_elf("branches", tmp_path), "mcu")
    assert res.counters["bp_mispredicts"] == btfn_mispredicts(recs) > 0


def test_no_predictor_counts_nothing() -> None:
    res, _ = trace(_kernel_elf("sha256"), "cached,bp=none", bytes(range(64)))
    assert res.counters["bp_mispredicts"] == 0


# ------------------------------------------------------------------ the long sweep (make regress)

SLOW_KERNELS = ("sha256", "sha256d", "keccak256", "sha3_256", "sm3", "aes128", "ripemd160", "sha512", "sm4",
                "merkle_btc", "merkle_sm3", "mining", "btc_block")


@pytest.mark.slow
@pytest.mark.parametrize(("kernel", "uarch", "ig", "dg"), _cases(3000, 60, SLOW_KERNELS))
def test_kernel_counts_sweep(kernel: str, uarch: str, ig: Geometry, dg: Geometry) -> None:
    inp = None if kernel == "btc_block" else bytes(range(64))
    res, recs = trace(_kernel_elf(kernel), uarch, inp)
    check_counts(res, recs, ig, dg, icache_exact=False)


@pytest.mark.slow
@pytest.mark.parametrize(("kernel", "uarch", "ig", "dg"), _cases(3100, 40, SLOW_KERNELS, dcache=False, mem=0))
def test_icache_exact_sweep(kernel: str, uarch: str, ig: Geometry, dg: None) -> None:
    inp = None if kernel == "btc_block" else bytes(range(64))
    res, recs = trace(_kernel_elf(kernel), uarch, inp)
    check_counts(res, recs, ig, dg, icache_exact=True)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(60))
def test_stress_sweep(seed: int, tmp_path: Path) -> None:
    rng = random.Random(3300 + seed)
    exact = seed % 2 == 0
    text, ig, dg = random_uarch(rng, dcache=not exact, mem=0 if exact else None,
                                max_log=rng.choice((12, 14, 16)))
    res, recs = trace(_stress_elf(1000 + seed, tmp_path), text)
    check_counts(res, recs, ig, dg, icache_exact=exact)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(40))
def test_random_program_sweep(seed: int, tmp_path: Path) -> None:
    rng = random.Random(3200 + seed)
    exact = seed % 2 == 0
    text, ig, dg = random_uarch(rng, dcache=not exact, mem=0 if exact else None)
    res, recs = trace(_random_elf(500 + seed, tmp_path), text)
    check_counts(res, recs, ig, dg, icache_exact=exact)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "uarch", "ig", "dg"), _cases(3400, 4 * len(DIRECTED), DIRECTED, max_log=13))
def test_directed_sweep(name: str, uarch: str, ig: Geometry, dg: Geometry, tmp_path: Path) -> None:
    res, recs = trace(_directed_elf(name, tmp_path), uarch)
    check_counts(res, recs, ig, dg, icache_exact=False)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "uarch", "ig", "dg"),
                         _cases(3500, 2 * len(DIRECTED), DIRECTED, dcache=False, mem=0, max_log=12))
def test_icache_exact_directed_sweep(name: str, uarch: str, ig: Geometry, dg: None, tmp_path: Path) -> None:
    res, recs = trace(_directed_elf(name, tmp_path), uarch)
    check_counts(res, recs, ig, dg, icache_exact=True)
