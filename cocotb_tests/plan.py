"""The programs ``make test`` runs in lockstep, per configuration (ISA, microarchitecture).

The lockstep tests parametrize from these lists, and the coverage gate
(``test_lockstep_coverage.py``, ``make coverage``) samples the same programs on the ISS,
so what the gate says was covered is what the RTL ran (docs/coverage.md).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from isa.randprog import random_program
from isa.uarch import Uarch

#: Where make test's coverage gate writes each configuration's table and bins.
COVERAGE_OUT = Path(__file__).resolve().parent.parent / "build" / "coverage"

FULL = "rv32im_zicsr_zk_zks"
XCHAIN = FULL + "_xchain"
REDUCED = ("rv32im", "rv32im_zbkb")
#: The microarchitecture presets the lockstep runs besides the ideal machine.
PRESETS = ("ideal", "mcu", "cached", "fpga")


def has_cache(uarch: str) -> bool:
    u = Uarch.parse(uarch)
    return u.icache is not None or u.dcache is not None


@dataclass(frozen=True)
class Random:
    """A program of ``isa/randprog.py``: ``blocks`` blocks of ``length`` items; stores into
    code only where the machine has no cache (with one they need fence.i: docs/timing.md)."""

    seed: int
    blocks: int
    selfmod: bool = True
    length: int = 40

    @property
    def name(self) -> str:
        return f"random {self.seed} ({self.blocks} blocks)"

    def elf(self, isa: str) -> bytes:
        return random_program(self.seed, isa, blocks=self.blocks, length=self.length,
                              selfmod=self.selfmod).elf()

    def write(self, isa: str, folder: Path) -> Path:
        path = folder / f"rand{self.seed}_{self.blocks}.elf"
        path.write_bytes(self.elf(isa))
        return path


#: The full ISA on the ideal machine (Verilator): a few long programs amortize the
#: simulator's start-up, nearly every slot random code.
RANDOM_FULL = tuple(Random(seed, 120) for seed in range(4))
#: Each ISA on Icarus (its x start state finds what Verilator's zeros hide).
RANDOM_ICARUS = Random(100, 10)
#: The reduced ISAs' own models (Verilator): long enough to close their coverage.
RANDOM_REDUCED = Random(16, 80)
#: Xchain on the ideal machine (Verilator).
RANDOM_XCHAIN = tuple(Random(seed, 100) for seed in range(3))


def uarch_program(uarch: str) -> Random:
    """The random program of each microarchitecture in make test: long enough to close its
    coverage model (the predictor's outcomes, the caches' misses, the multiplier's waits)."""
    return Random(16, 80, selfmod=not has_cache(uarch))


#: Three short kernels per preset (test_lockstep.py runs every kernel on ideal).
PRESET_KERNELS = {"mcu": ("sha256", "keccak256", "aes128"), "cached": ("sha256", "sm3", "ripemd160"),
                  "fpga": ("sha256", "keccak256", "sm4")}
#: Configurations of make test besides the presets (a model build each): a random one, and
#: one without caches (where the programs that store into code run) with the dynamic
#: predictor, the three-stage multiplier, the two-cycle load-to-use and the S-box units in
#: MEM. make regress adds more (test_lockstep_uarch.py).
FAST_RANDOM = ("ideal,icache=32k:8:128,dcache=512:8:16,mem=2,bp=bht:8,mul=iter:1,crypto=2",
               "ideal,mem=3,bp=bht:16,mul=pipe:3,ldu=2,crypto=2")


def short_input(kernel: str) -> bytes | None:
    """A small valid input for each kernel (its manifest says what it reads); None for the
    signature kernels whose default vector is long (run under make regress only)."""
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
        return None
    return bytes(range(64))


# ------------------------------------------------------------------ the coverage gate's view


@dataclass(frozen=True)
class Directed:
    """A program of directed.py or directed_uarch.py (or the fence.i program)."""

    name: str

    def write(self, isa: str, folder: Path) -> Path:
        from cocotb_tests import directed, directed_uarch

        if self.name == "fencei":
            return directed.build_fencei(folder / "fencei.elf")
        mod = directed_uarch if self.name in directed_uarch.PROGRAMS else directed
        return mod.build(self.name, folder / f"{self.name}.elf")


@dataclass(frozen=True)
class Kernel:
    """A kernel compiled for ``isa``, with its short input."""

    name: str
    isa: str

    def write(self, isa: str, folder: Path) -> Path:
        from chainrv.kernels import all_kernels

        return all_kernels()[self.name].build(self.isa)


@dataclass(frozen=True)
class Unhandled:
    """A program of directed.UNHANDLED: it ends at a trap with no handler."""

    name: str

    def write(self, isa: str, folder: Path) -> Path:
        from cocotb_tests import directed

        return directed.build_unhandled(self.name, folder / f"unhandled_{self.name}.elf")


Program = Random | Directed | Kernel | Unhandled


def unhandled_programs() -> tuple[Unhandled, ...]:
    from cocotb_tests import directed

    return tuple(Unhandled(n) for n in directed.UNHANDLED)


@dataclass(frozen=True)
class Configuration:
    """An ISA on a microarchitecture and the programs make test runs on it in lockstep.
    ``gated``: the runs claim the configuration's whole coverage model (the coverage gate
    fails below 100 %); the others are narrow runs of one mechanism, reported only."""

    isa: str
    uarch: str
    programs: tuple[Program, ...]
    gated: bool = True

    @property
    def name(self) -> str:
        return f"{self.isa}-{self.uarch}"

    @property
    def xdist_group(self) -> str:
        return model_group(self.isa, self.uarch)


def model_group(isa: str, uarch: str = "ideal", sim: str = "verilator") -> str:
    """The xdist group of the lockstep tests on one simulator model (one worker builds it,
    once a run): the ISA as its configuration writes it, the microarchitecture unless ideal."""
    from isa.config import IsaConfig

    u = Uarch.parse(uarch)
    return f"lockstep-{sim}-{IsaConfig.parse(isa)}" + ("" if u.is_ideal else f"-{u}")


def kernel_variants() -> list[Kernel]:
    """Every kernel variant with a short input, each compiled for its own ISA, but the
    Xchain ones (test_lockstep_xchain.py runs those)."""
    from chainrv.kernels import all_kernels

    return [Kernel(name, isa) for name, k in sorted(all_kernels().items()) for isa in k.isas
            if "xchain" not in isa and short_input(name) is not None]


def directed_for(uarch: str) -> list[Directed]:
    """The directed programs test_lockstep_uarch.py runs under ``uarch`` (every program of
    both files; without those that store into code when the machine has a cache)."""
    from cocotb_tests import directed, directed_uarch

    names = [*sorted(directed.PROGRAMS), *sorted(directed_uarch.PROGRAMS)]
    return [Directed(n) for n in names
            if not ((n == "selfmod" or n in directed_uarch.STORES_INTO_CODE) and has_cache(uarch))]


def configurations(kernels: bool = True) -> list[Configuration]:
    """Every configuration make test runs in lockstep, with its programs. Every kernel
    variant counts for the full ISA on the ideal machine (each runs there on a model of its
    own ISA, a subset, whose instructions retire alike); with ``kernels`` only (they need
    the cross compiler)."""
    from cocotb_tests import directed

    unhandled = unhandled_programs()
    full = [*(Directed(n) for n in sorted(directed.PROGRAMS)), *RANDOM_FULL, RANDOM_ICARUS, *unhandled]
    if kernels:
        full += kernel_variants()
    out = [Configuration(FULL, "ideal", tuple(full)),
           *(Configuration(isa, "ideal", (RANDOM_ICARUS, RANDOM_REDUCED, *unhandled)) for isa in REDUCED),
           Configuration(XCHAIN, "ideal", (*RANDOM_XCHAIN, *unhandled))]
    for u in ("mcu", "cached", "fpga", *FAST_RANDOM):
        progs: list[Program] = [*directed_for(u), uarch_program(u), *unhandled]
        if kernels:
            progs += [Kernel(k, FULL) for k in PRESET_KERNELS.get(u, ())]
        out.append(Configuration(FULL, u, tuple(progs)))
    out.append(Configuration(directed.FENCEI_ISA, "cached", (Directed("fencei"),), gated=False))
    return out


def sample(conf: Configuration, folder: Path):
    """The configuration's programs run on the ISS, each record sampled into its coverage
    model (``chainrv.coverage.Coverage``); ``folder`` holds the programs built."""
    from chainrv.coverage import Coverage
    from isa.config import IsaConfig

    cov = Coverage(IsaConfig.parse(conf.isa), Uarch.parse(conf.uarch))
    for prog in conf.programs:
        cov.run(prog.write(conf.isa, folder), prog.name, unhandled=isinstance(prog, Unhandled),
                input_bytes=short_input(prog.name) if isinstance(prog, Kernel) else None)
    return cov


def report(conf: Configuration, cov) -> str:
    """The configuration's closure table under a line saying what was run."""
    from chainrv.coverage import table

    return (f"{conf.isa}, uarch {conf.uarch}: {cov.programs} programs, {cov.sampler.records:,} records"
            f"{'' if conf.gated else ' (a narrow run, not gated)'}\n{table(cov.model)}\n")


def write_report(conf: Configuration, cov, folder: Path) -> str:
    """The table (``coverage_<configuration>.txt``) and every bin's count with the summary
    (``.json``, what conftest.py's summary lines read) into ``folder``; returns the table."""
    from chainrv.coverage import to_json
    from chainrv.outputs import write_text_atomic

    text = report(conf, cov)
    name = "coverage_" + conf.name.replace(",", "_").replace("=", "-").replace(":", "-")
    meta = {"configuration": f"{conf.isa}, {conf.uarch}", "gated": conf.gated,
            "programs": cov.programs, "records": cov.sampler.records}
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / f"{name}.txt", text)
    write_text_atomic(folder / f"{name}.json", to_json(cov.model, meta))
    return text
