"""Microarchitecture configuration: caches, memory latency, branch predictor, multiplier.

One value, like the ISA configuration, that the ISS, the RTL generator, ``run``,
``cosim``, ``report``, ``verilog`` and ``synth`` all take (``--uarch``), written
``PRESET[,key=value...]``. ``docs/timing.md`` states what each setting costs;
``isa/timing.py`` holds the fixed numbers of the pipeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

#: Cache limits (docs/timing.md, "Caches").
CACHE_SIZES = (256, 64 << 10)
CACHE_WAYS = (1, 2, 4, 8)
CACHE_LINES = (16, 32, 64, 128)
#: RAM latency limits, in cycles.
MEM_MAX = 255
#: Branch history table sizes.
BHT_SIZES = (2, 4096)
#: Iterative multiplier: bits of the second operand retired per cycle.
MUL_ITER_BITS = (1, 2, 4, 8, 16)
#: Pipelined multiplier: stages (1 is the single-cycle multiplier).
MUL_PIPE_STAGES = (2, 3)
#: Load-to-use: the stall cycles of a load's adjacent consumer (1: the load data is
#: forwarded from WB; 2: it is not forwarded, the consumer reads the register file).
LOAD_USE = (1, 2)
#: The S-box units' stages (``crypto``): 1, their result is there at the end of EX (and
#: forwarded from MEM); 2, they compute in MEM from operands registered at the end of EX,
#: and the result is there in WB, as a ``pipe:2`` product's.
CRYPTO_STAGES = (1, 2)
#: The extensions whose rows ``crypto`` times: the scalar AES and SM4 rows, each an S-box
#: lookup and a linear layer. The SHA-2 and SM3 rows (Zknh, Zksh: rotations, shifts and
#: XORs, a level or two of logic) and Zbkb, Zbkc and Zbkx stay single-cycle in EX.
CRYPTO_EXTS = ("zkne", "zknd", "zksed")

#: Predictor kinds, in the order of their codes in the ISS's parameter vector.
BP_KINDS = ("none", "btfn", "bht")
#: Multiplier kinds, likewise.
MUL_KINDS = ("1", "iter", "pipe")

#: BHT counter value given to a newly allocated entry (weakly taken) and the
#: threshold from which an entry predicts taken.
BHT_INIT, BHT_TAKEN = 2, 2


class UarchError(ValueError):
    """A microarchitecture string that names something unknown or impossible."""


@dataclass(frozen=True)
class Cache:
    """A set-associative cache: ``size`` bytes, ``ways`` ways, ``line``-byte lines, true LRU."""

    size: int
    ways: int
    line: int

    @property
    def sets(self) -> int:
        return self.size // (self.ways * self.line)

    @property
    def words(self) -> int:
        """Bus words (32 bits) per line: a refill moves one per cycle."""
        return self.line // 4

    def __str__(self) -> str:
        size = f"{self.size >> 10}k" if self.size >= 1024 else str(self.size)
        return f"{size}:{self.ways}:{self.line}"


@dataclass(frozen=True)
class Uarch:
    """One microarchitecture. ``preset`` is the name it was derived from (for display)."""

    icache: Cache | None = None
    dcache: Cache | None = None
    mem: int = 0
    bp: str = "none"
    bht: int = 0            # entries, when bp == "bht"
    mul: str = "1"
    mul_n: int = 1          # bits per cycle (iter) or stages (pipe)
    ldu: int = 1            # load-to-use stall of the adjacent consumer
    crypto: int = 1         # stages of the S-box units (CRYPTO_EXTS)
    preset: str = "ideal"

    # ------------------------------------------------------------ parsing
    @classmethod
    def parse(cls, text: str | Uarch | None) -> Uarch:
        """``cached``, ``ideal,icache=4k:2:32,mem=10``, ``mcu,mul=iter:4`` ..."""
        if text is None:
            return PRESETS["ideal"]
        if isinstance(text, Uarch):
            return text
        parts = [p.strip() for p in text.strip().lower().split(",")]
        if not parts[0] or "=" in parts[0]:
            raise UarchError(f"microarchitecture '{text}' must start with a preset ({', '.join(PRESETS)})")
        if parts[0] not in PRESETS:
            raise UarchError(f"unknown microarchitecture preset '{parts[0]}' (known: {', '.join(PRESETS)})")
        u = PRESETS[parts[0]]
        for part in parts[1:]:
            key, eq, value = part.partition("=")
            if not eq or not value:
                raise UarchError(f"'{part}' in '{text}' is not key=value")
            if key not in _KEYS:
                raise UarchError(f"unknown microarchitecture key '{key}' (known: {', '.join(_KEYS)})")
            u = _KEYS[key](u, value)
        return u

    # ------------------------------------------------------------ views
    def items(self) -> dict[str, str]:
        """Every key with its value, as written on the command line."""
        return {
            "icache": str(self.icache) if self.icache else "off",
            "dcache": str(self.dcache) if self.dcache else "off",
            "mem": str(self.mem),
            "bp": f"bht:{self.bht}" if self.bp == "bht" else self.bp,
            "mul": self.mul if self.mul == "1" else f"{self.mul}:{self.mul_n}",
            "ldu": str(self.ldu),
            "crypto": str(self.crypto),
        }

    def __str__(self) -> str:
        """The preset, then the keys that differ from it: parses back to an equal value."""
        base = PRESETS[self.preset].items()
        diff = [f"{k}={v}" for k, v in self.items().items() if base[k] != v]
        return ",".join([self.preset, *diff])

    @property
    def is_ideal(self) -> bool:
        """The machine of the fixed timing table: no unit of this configuration costs a cycle."""
        return self.same_machine(PRESETS["ideal"])

    def same_machine(self, other: Uarch) -> bool:
        return self.items() == other.items()

    @property
    def mul_extra(self) -> int:
        """Cycles an iterative multiplication holds EX beyond its first."""
        return 32 // self.mul_n - 1 if self.mul == "iter" else 0

    @property
    def mul_stages(self) -> int:
        """Stages of a pipelined multiplier (1 when single-cycle or iterative)."""
        return self.mul_n if self.mul == "pipe" else 1

    @property
    def load_late(self) -> int:
        """The first cycle a load's consumer may be in EX, less the load's retirement
        cycle: 0 when WB forwards the load data, 1 when only the register file has it."""
        return self.ldu - 1

    @property
    def crypto_late(self) -> int:
        """For an AES or SM4 row's result (``CRYPTO_EXTS``), the first cycle its consumer may be
        in EX less its retirement cycle (as ``load_late``), or -1 when it is not late."""
        return self.crypto - 2


def _pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _size(text: str, what: str) -> int:
    m = re.fullmatch(r"(\d+)([km]?)", text)
    if not m:
        raise UarchError(f"{what} '{text}' is not a size (e.g. 256, 4k)")
    return int(m.group(1)) << {"": 0, "k": 10, "m": 20}[m.group(2)]


def parse_cache(text: str, key: str = "cache") -> Cache | None:
    if text == "off":
        return None
    fields = text.split(":")
    if len(fields) != 3:
        raise UarchError(f"{key}={text}: expected off or SIZE:WAYS:LINE (e.g. 4k:2:32)")
    size = _size(fields[0], f"{key} size")
    try:
        ways, line = int(fields[1]), int(fields[2])
    except ValueError:
        raise UarchError(f"{key}={text}: WAYS and LINE must be numbers") from None
    lo, hi = CACHE_SIZES
    if not _pow2(size) or not lo <= size <= hi:
        raise UarchError(f"{key} size {fields[0]} must be a power of two from {lo} B to {hi >> 10} KiB")
    if ways not in CACHE_WAYS:
        raise UarchError(f"{key} ways {ways} must be one of {', '.join(map(str, CACHE_WAYS))}")
    if line not in CACHE_LINES:
        raise UarchError(f"{key} line {line} must be one of {', '.join(map(str, CACHE_LINES))} bytes")
    if ways * line > size:
        raise UarchError(f"{key}={text}: {ways} ways of {line}-byte lines do not fit in {size} bytes")
    return Cache(size, ways, line)


def _set_icache(u: Uarch, v: str) -> Uarch:
    return replace(u, icache=parse_cache(v, "icache"))


def _set_dcache(u: Uarch, v: str) -> Uarch:
    return replace(u, dcache=parse_cache(v, "dcache"))


def _set_mem(u: Uarch, v: str) -> Uarch:
    if not v.isdigit() or int(v) > MEM_MAX:
        raise UarchError(f"mem={v}: expected a latency in cycles from 0 to {MEM_MAX}")
    return replace(u, mem=int(v))


def _set_bp(u: Uarch, v: str) -> Uarch:
    if v in ("none", "btfn"):
        return replace(u, bp=v, bht=0)
    m = re.fullmatch(r"bht:(\d+)", v)
    lo, hi = BHT_SIZES
    if not m:
        raise UarchError(f"bp={v}: expected none, btfn or bht:ENTRIES")
    n = int(m.group(1))
    if not _pow2(n) or not lo <= n <= hi:
        raise UarchError(f"bp={v}: ENTRIES must be a power of two from {lo} to {hi}")
    return replace(u, bp="bht", bht=n)


def _set_mul(u: Uarch, v: str) -> Uarch:
    if v == "1":
        return replace(u, mul="1", mul_n=1)
    m = re.fullmatch(r"(iter|pipe):(\d+)", v)
    if not m:
        raise UarchError(f"mul={v}: expected 1, iter:BITS or pipe:STAGES")
    kind, n = m.group(1), int(m.group(2))
    allowed = MUL_ITER_BITS if kind == "iter" else MUL_PIPE_STAGES
    if n not in allowed:
        raise UarchError(f"mul={v}: {'BITS' if kind == 'iter' else 'STAGES'} must be one of "
                         f"{', '.join(map(str, allowed))}")
    return replace(u, mul=kind, mul_n=n)


def _set_ldu(u: Uarch, v: str) -> Uarch:
    if not v.isdigit() or int(v) not in LOAD_USE:
        raise UarchError(f"ldu={v}: expected a load-to-use stall of {' or '.join(map(str, LOAD_USE))} cycles")
    return replace(u, ldu=int(v))


def _set_crypto(u: Uarch, v: str) -> Uarch:
    if not v.isdigit() or int(v) not in CRYPTO_STAGES:
        raise UarchError(f"crypto={v}: expected the S-box units' stages, "
                         f"{' or '.join(map(str, CRYPTO_STAGES))}")
    return replace(u, crypto=int(v))


_KEYS = {"icache": _set_icache, "dcache": _set_dcache, "mem": _set_mem, "bp": _set_bp, "mul": _set_mul,
         "ldu": _set_ldu, "crypto": _set_crypto}

#: The presets (docs/timing.md, "Presets", says where each number comes from).
PRESETS: dict[str, Uarch] = {
    # today's machine: single-cycle memory on both ports, predict not taken
    "ideal": Uarch(),
    # a microcontroller without caches: one wait state on both ports, static
    # prediction, a multiplier retiring 8 bits per cycle (4 cycles)
    "mcu": Uarch(mem=1, bp="btfn", mul="iter", mul_n=8, preset="mcu"),
    # 4 KiB two-way caches with 32-byte lines in front of 10-cycle memory,
    # a 64-entry branch history table, a two-stage multiplier
    "cached": Uarch(icache=Cache(4096, 2, 32), dcache=Cache(4096, 2, 32), mem=10,
                    bp="bht", bht=64, mul="pipe", mul_n=2, preset="cached"),
    # the ideal memories, with the cycles an FPGA's clock needs: the load data, the
    # product and the AES and SM4 rows' results reach EX only from the register file or WB
    # (docs/timing.md)
    "fpga": Uarch(mul="pipe", mul_n=2, ldu=2, crypto=2, preset="fpga"),
}

IDEAL = PRESETS["ideal"]
