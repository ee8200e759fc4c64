"""The storage of the caches and the branch table in bits, from their geometry alone
(docs/synth.md, "Cache storage").

What the RTL holds per cache (hdl/units/fetch.py, dside.py, lru.py):

* data: ``size * 8`` bits, one line memory per way (``line{w}``, ``sets`` lines of
  ``line * 8`` bits);
* tags: one tag memory per way (``tag{w}``), ``32 - log2(line) - log2(sets)`` bits
  per line (the whole address above the set index; RAM's size does not narrow it);
* valid bits: one per line, flip-flops (``fence.i`` clears them all in one cycle);
* dirty bits (write-back D-cache only): one per line, flip-flops;
* LRU: the rank of every way in every set, ``ceil(log2(ways))`` bits each
  (``lru.py``'s memory); none for a direct-mapped cache. This is the RTL's
  encoding; the minimum for true LRU would be ``ceil(log2(ways!))`` bits per set.

The memories (data, tags, LRU) are what the synthesis keeps as memories; the
valid and dirty bits are flip-flops in the cache's unit.

The branch table (``bp=bht:N``, hdl/units/predictor.py) holds per entry the pc above
the index (``30 - log2(N)`` bits), the target's word address (30) and a 2-bit
counter in one memory, and a valid bit in flip-flops.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from isa.uarch import Cache, Uarch

#: Bits of a branch table entry's target (a word address) and counter.
BHT_TARGET_BITS, BHT_COUNTER_BITS = 30, 2

#: The unit that holds each cache, as ``hdl.core`` names its submodules.
CACHE_UNITS = {"icache": "fetch", "dcache": "dside"}


def _log2(n: int) -> int:
    return (n - 1).bit_length()


@dataclass(frozen=True)
class CacheBits:
    """Storage of one cache, in bits."""

    geometry: str       # SIZE:WAYS:LINE as on the command line
    sets: int
    ways: int
    line_bytes: int
    tag_width: int      # bits of one tag
    data: int
    tag: int
    valid: int
    dirty: int
    lru: int

    @property
    def memory(self) -> int:
        """Bits held in memories (data, tags, LRU ranks): what may map to block RAM."""
        return self.data + self.tag + self.lru

    @property
    def flops(self) -> int:
        """Bits held in flip-flops (valid, dirty)."""
        return self.valid + self.dirty

    @property
    def total(self) -> int:
        return self.memory + self.flops

    def to_json(self) -> dict:
        return {**asdict(self), "memory": self.memory, "flops": self.flops, "total": self.total}


def cache_bits(cache: Cache, write_back: bool) -> CacheBits:
    lines = cache.sets * cache.ways
    tag_width = 32 - _log2(cache.line) - _log2(cache.sets)
    return CacheBits(geometry=str(cache), sets=cache.sets, ways=cache.ways, line_bytes=cache.line,
                     tag_width=tag_width, data=cache.size * 8, tag=lines * tag_width, valid=lines,
                     dirty=lines if write_back else 0,
                     lru=lines * _log2(cache.ways) if cache.ways > 1 else 0)


def storage(uarch: Uarch) -> dict[str, CacheBits]:
    """The storage of each cache the microarchitecture has (the D-cache is write-back)."""
    out = {}
    if uarch.icache is not None:
        out["icache"] = cache_bits(uarch.icache, write_back=False)
    if uarch.dcache is not None:
        out["dcache"] = cache_bits(uarch.dcache, write_back=True)
    return out


@dataclass(frozen=True)
class PredictorBits:
    """Storage of the branch table, in bits."""

    setting: str        # bht:N as on the command line
    entries: int
    tag_width: int      # bits of one tag: the pc above bit 2 and the index
    tag: int
    target: int
    counter: int
    valid: int

    @property
    def memory(self) -> int:
        """Bits held in the memory (tag, target, counter of every entry)."""
        return self.tag + self.target + self.counter

    @property
    def flops(self) -> int:
        return self.valid

    @property
    def total(self) -> int:
        return self.memory + self.flops

    def to_json(self) -> dict:
        return {**asdict(self), "memory": self.memory, "flops": self.flops, "total": self.total}


def predictor_bits(uarch: Uarch) -> PredictorBits | None:
    """The branch table's storage, or None for a predictor without one (none, btfn)."""
    if uarch.bp != "bht":
        return None
    n = uarch.bht
    tag_width = 30 - _log2(n)
    return PredictorBits(setting=f"bht:{n}", entries=n, tag_width=tag_width, tag=n * tag_width,
                         target=n * BHT_TARGET_BITS, counter=n * BHT_COUNTER_BITS, valid=n)
