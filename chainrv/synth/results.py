"""What a synthesis run reports: cells per unit, FPGA resources, Fmax (docs/synth.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


class SynthError(Exception):
    """A problem with the user's request or the design (one line)."""


@dataclass
class Cost:
    """Cells of one module (a unit, the core's own logic, or the total)."""

    cells: int = 0
    nand2: float = 0.0
    dff: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    memories: int = 0        # memories kept whole (cache storage), not in the counts above
    memory_bits: int = 0


@dataclass
class FpgaCost:
    lut4: int = 0
    ff: int = 0
    carry: int = 0
    dsp: int = 0
    lutram: int = 0
    bram: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


@dataclass
class SynthResult:
    isa: str
    target: str
    device: str | None
    generic: dict[str, Cost]             # unit name (and "core", "total") -> cost
    uarch: str = "ideal"
    #: per cache ("icache", "dcache"): its storage in bits from the geometry, the bits the
    #: synthesis kept in memories, and what its unit maps to (chainrv.synth.storage)
    caches: dict[str, dict] = field(default_factory=dict)
    #: the branch table's storage in bits (``bp=bht:N``; empty otherwise), likewise
    predictor: dict = field(default_factory=dict)
    #: the microarchitecture's parts and the units that hold them (``groups``)
    parts: dict[str, dict] = field(default_factory=dict)
    fpga: dict[str, FpgaCost] = field(default_factory=dict)
    fmax_mhz: float | None = None
    #: the clock nextpnr aimed at (it stops improving once that is met)
    pnr_aim_mhz: float | None = None
    utilization: dict[str, dict[str, int]] = field(default_factory=dict)
    #: nextpnr's longest path: delay, logic and routing, levels, ends, units (synth/critical.py)
    critical_path: dict | None = None
    #: Fmax per placement seed (``--seeds``); ``fmax_mhz`` is their median and the
    #: critical path that of the run whose Fmax is the median
    fmax_by_seed: dict[int, float | None] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    cached: dict[str, bool] = field(default_factory=dict)
    tools: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)
