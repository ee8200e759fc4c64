"""The microarchitecture configuration string (isa/uarch.py): every key, the presets,
the canonical ``str()`` that parses back to the same machine, and a one-line
``UarchError`` for every configuration that names something unknown or impossible."""

from __future__ import annotations

import random

import pytest

from isa.uarch import PRESETS, Cache, Uarch, UarchError

# ------------------------------------------------------------------ presets


def test_default_is_ideal() -> None:
    assert Uarch.parse(None) == Uarch.parse("ideal") == Uarch()
    assert Uarch.parse("ideal").is_ideal
    # the ideal machine: no cache, single-cycle RAM, predict not taken, single-cycle multiplier
    assert Uarch.parse("ideal").items() == {"icache": "off", "dcache": "off", "mem": "0", "bp": "none",
                                            "mul": "1", "ldu": "1", "crypto": "1"}


def test_preset_names() -> None:
    assert set(PRESETS) == {"ideal", "mcu", "cached", "fpga"}
    for name in PRESETS:
        u = Uarch.parse(name)
        assert u.preset == name
        assert str(u) == name       # a preset alone prints as its name
    assert not Uarch.parse("mcu").is_ideal
    assert not Uarch.parse("cached").is_ideal
    assert not Uarch.parse("fpga").is_ideal


def test_mcu_has_no_caches_and_a_small_multiplier() -> None:
    u = Uarch.parse("mcu")
    assert u.icache is None and u.dcache is None
    assert u.mem >= 1                 # wait states on both ports
    assert u.mul == "iter"            # an iterative multiplier: it holds EX
    assert u.mul_extra == 32 // u.mul_n - 1 > 0


def test_cached_has_both_caches_and_a_dynamic_predictor() -> None:
    u = Uarch.parse("cached")
    assert isinstance(u.icache, Cache) and isinstance(u.dcache, Cache)
    assert u.mem > 0
    assert u.bp == "bht" and u.bht >= 2


def test_fpga_is_ideal_memory_with_late_loads_and_products() -> None:
    u = Uarch.parse("fpga")
    assert u.icache is None and u.dcache is None and u.mem == 0 and u.bp == "none"
    # a load's consumer waits two cycles; the product is there in WB
    assert (u.ldu, u.load_late) == (2, 1)
    assert u.mul == "pipe" and u.mul_stages >= 2
    assert Uarch.parse("fpga,ldu=1,mul=1,crypto=1").is_ideal
    assert not Uarch.parse("fpga,ldu=1,mul=1").is_ideal     # the crypto units in MEM
    # the crypto rows' consumer waits as a pipe:2 product's: there in WB
    assert (u.crypto, u.crypto_late) == (2, 0)
    assert Uarch.parse("ideal").crypto_late == -1
    assert Uarch.parse("ideal").load_late == 0


def test_preset_with_overrides_keeps_the_rest() -> None:
    u = Uarch.parse("cached,mem=3")
    c = Uarch.parse("cached")
    assert u.mem == 3
    keep = ("icache", "dcache", "bp", "bht", "mul", "mul_n")
    assert [getattr(u, k) for k in keep] == [getattr(c, k) for k in keep]
    # a key given twice: the last one wins
    assert Uarch.parse("ideal,mem=3,mem=7").mem == 7
    # overriding back to a preset's value gives its machine
    assert Uarch.parse("mcu,mem=0,bp=none,mul=1").same_machine(Uarch.parse("ideal"))
    assert Uarch.parse("mcu,mem=0,bp=none,mul=1").is_ideal


def test_case_and_spaces_are_ignored() -> None:
    assert Uarch.parse(" Cached , MEM=3 ,ICACHE=1K:2:16").items() == \
        Uarch.parse("cached,mem=3,icache=1k:2:16").items()


def test_parse_is_identity_on_a_value() -> None:
    u = Uarch.parse("mcu,mem=5")
    assert Uarch.parse(u) is u


# ------------------------------------------------------------------ every key


def test_example_of_the_issue() -> None:
    u = Uarch.parse("ideal,icache=1k:4:16,dcache=512:2:64,mem=3,bp=bht:16,mul=iter:2")
    assert u.icache == Cache(1024, 4, 16)
    assert (u.icache.sets, u.icache.words) == (16, 4)       # 1024 / (4 * 16); 16 bytes = 4 bus words
    assert u.dcache == Cache(512, 2, 64)
    assert (u.dcache.sets, u.dcache.words) == (4, 16)
    assert u.mem == 3
    assert (u.bp, u.bht) == ("bht", 16)
    assert (u.mul, u.mul_n, u.mul_extra, u.mul_stages) == ("iter", 2, 15, 1)


@pytest.mark.parametrize(("text", "size"), [
    ("256", 256), ("512", 512), ("1k", 1024), ("1024", 1024), ("2k", 2048), ("4k", 4096),
    ("8192", 8192), ("16k", 16384), ("32k", 32768), ("64k", 65536), ("65536", 65536),
])
def test_cache_sizes(text: str, size: int) -> None:
    for key in ("icache", "dcache"):
        u = Uarch.parse(f"ideal,{key}={text}:1:16")
        assert getattr(u, key) == Cache(size, 1, 16)
        assert getattr(u, "dcache" if key == "icache" else "icache") is None


@pytest.mark.parametrize("ways", [1, 2, 4, 8])
@pytest.mark.parametrize("line", [16, 32, 64, 128])
def test_cache_ways_and_lines(ways: int, line: int) -> None:
    u = Uarch.parse(f"ideal,dcache=4k:{ways}:{line}")
    assert u.dcache == Cache(4096, ways, line)
    assert u.dcache.sets * ways * line == 4096
    assert u.dcache.words == line // 4


def test_cache_off() -> None:
    u = Uarch.parse("cached,icache=off,dcache=off")
    assert u.icache is None and u.dcache is None
    assert u.items()["icache"] == u.items()["dcache"] == "off"


def test_smallest_and_largest_geometries() -> None:
    assert Uarch.parse("ideal,icache=256:2:128").icache.sets == 1       # one set, two whole-cache ways
    assert Uarch.parse("ideal,icache=256:1:128").icache.sets == 2
    assert Uarch.parse("ideal,icache=64k:8:16").icache.sets == 512


@pytest.mark.parametrize("mem", [0, 1, 10, 254, 255])
def test_mem(mem: int) -> None:
    assert Uarch.parse(f"ideal,mem={mem}").mem == mem


@pytest.mark.parametrize(("text", "kind", "n"), [
    ("none", "none", 0), ("btfn", "btfn", 0), ("bht:2", "bht", 2), ("bht:64", "bht", 64),
    ("bht:4096", "bht", 4096),
])
def test_bp(text: str, kind: str, n: int) -> None:
    u = Uarch.parse(f"ideal,bp={text}")
    assert (u.bp, u.bht) == (kind, n)
    assert u.items()["bp"] == text


def test_bp_switching_from_bht_clears_its_size() -> None:
    u = Uarch.parse("cached,bp=btfn")
    assert (u.bp, u.bht) == ("btfn", 0)


@pytest.mark.parametrize(("text", "extra", "stages"), [
    ("1", 0, 1), ("iter:1", 31, 1), ("iter:2", 15, 1), ("iter:4", 7, 1), ("iter:8", 3, 1),
    ("iter:16", 1, 1), ("pipe:2", 0, 2), ("pipe:3", 0, 3),
])
def test_mul(text: str, extra: int, stages: int) -> None:
    u = Uarch.parse(f"ideal,mul={text}")
    # an iterative multiplier retires BITS bits of the second operand per cycle: 32 / BITS cycles in EX
    assert (u.mul_extra, u.mul_stages) == (extra, stages)
    assert u.items()["mul"] == text


# ------------------------------------------------------------------ canonical str()


def _random_uarch(rng: random.Random) -> str:
    parts = [rng.choice(sorted(PRESETS))]
    for key in rng.sample(["icache", "dcache", "mem", "bp", "mul", "ldu", "crypto"], rng.randint(0, 7)):
        if key in ("icache", "dcache"):
            if rng.random() < 0.2:
                value = "off"
            else:
                size = 1 << rng.randint(8, 16)
                line = rng.choice([16, 32, 64, 128])
                ways = rng.choice([w for w in (1, 2, 4, 8) if w * line <= size])
                text = f"{size >> 10}k" if size >= 1024 and rng.random() < 0.5 else str(size)
                value = f"{text}:{ways}:{line}"
        elif key == "mem":
            value = str(rng.randint(0, 255))
        elif key == "bp":
            value = rng.choice(["none", "btfn", f"bht:{1 << rng.randint(1, 12)}"])
        elif key in ("ldu", "crypto"):
            value = rng.choice(["1", "2"])
        else:
            value = rng.choice(["1", *(f"iter:{b}" for b in (1, 2, 4, 8, 16)), "pipe:2", "pipe:3"])
        parts.append(f"{key}={value}")
    return ",".join(parts)


def test_str_round_trip_random() -> None:
    rng = random.Random(16)
    for _ in range(500):
        text = _random_uarch(rng)
        u = Uarch.parse(text)
        s = str(u)
        back = Uarch.parse(s)
        assert back == u, (text, s)
        assert str(back) == s                      # canonical: a fixed point
        # only keys that differ from the preset are written, in the fixed key order
        keys = [p.split("=")[0] for p in s.split(",")[1:]]
        assert keys == [k for k in ("icache", "dcache", "mem", "bp", "mul", "ldu", "crypto") if k in keys]
        base = PRESETS[u.preset].items()
        assert all(base[k] != u.items()[k] for k in keys)


def test_str_examples() -> None:
    assert str(Uarch.parse("ideal,icache=1024:4:16")) == "ideal,icache=1k:4:16"
    assert str(Uarch.parse("ideal,dcache=512:2:64")) == "ideal,dcache=512:2:64"
    assert str(Uarch.parse("cached,mem=10")) == "cached"             # the preset's own value
    assert str(Uarch.parse("cached,icache=off")) == "cached,icache=off"
    assert str(Uarch.parse("mcu,mul=iter:8,bp=bht:16")) == "mcu,bp=bht:16"


def test_items_keys() -> None:
    for name in PRESETS:
        assert list(Uarch.parse(name).items()) == ["icache", "dcache", "mem", "bp", "mul", "ldu", "crypto"]


# ------------------------------------------------------------------ bad configurations

BAD = [
    # sizes that are not a power of two
    ("ideal,icache=768:1:16", "power of two"),
    ("ideal,dcache=3k:2:32", "power of two"),
    ("ideal,dcache=0:1:16", "power of two"),
    # out of range sizes (256 B .. 64 KiB)
    ("ideal,icache=128:1:16", "256"),
    ("ideal,icache=128k:2:32", "64"),
    ("ideal,icache=1m:2:32", "64"),
    # lines that do not fit: ways x line larger than the cache (no line can exceed a
    # 256-byte cache by itself within the limits, so these are the ways x line case)
    ("ideal,icache=256:4:128", "do not fit"),
    ("ideal,dcache=256:8:64", "do not fit"),
    ("ideal,dcache=512:8:128", "do not fit"),
    # ways and lines out of range
    ("ideal,icache=4k:3:32", "ways"),
    ("ideal,icache=4k:16:32", "ways"),
    ("ideal,icache=4k:0:32", "ways"),
    ("ideal,dcache=4k:2:8", "line"),
    ("ideal,dcache=4k:2:24", "line"),
    ("ideal,dcache=4k:2:256", "line"),
    # malformed cache values
    ("ideal,icache=4k:2", "SIZE:WAYS:LINE"),
    ("ideal,icache=4k:2:32:1", "SIZE:WAYS:LINE"),
    ("ideal,icache=on", "SIZE:WAYS:LINE"),
    ("ideal,icache=4x:2:32", "not a size"),
    ("ideal,icache=4k:two:32", "numbers"),
    # unknown keys and presets
    ("ideal,l2cache=4k:2:32", "unknown microarchitecture key"),
    ("ideal,MEMORY=3", "unknown microarchitecture key"),
    ("fast", "unknown microarchitecture preset"),
    ("cached2,mem=1", "unknown microarchitecture preset"),
    ("mem=3", "must start with a preset"),
    ("", "must start with a preset"),
    ("ideal,mem", "not key=value"),
    ("ideal,mem=", "not key=value"),
    ("ideal,", "not key=value"),
    # mem
    ("ideal,mem=-1", "mem="),
    ("ideal,mem=256", "mem="),
    ("ideal,mem=1.5", "mem="),
    ("ideal,mem=ten", "mem="),
    # bp
    ("ideal,bp=gshare", "bp="),
    ("ideal,bp=bht", "bp="),
    ("ideal,bp=bht:", "bp="),
    ("ideal,bp=bht:1", "ENTRIES"),
    ("ideal,bp=bht:3", "ENTRIES"),
    ("ideal,bp=bht:8192", "ENTRIES"),
    ("ideal,bp=btfn:4", "bp="),
    # mul
    ("ideal,mul=2", "mul="),
    ("ideal,mul=iter", "mul="),
    ("ideal,mul=iter:3", "BITS"),
    ("ideal,mul=iter:32", "BITS"),
    ("ideal,mul=iter:0", "BITS"),
    ("ideal,mul=pipe:1", "STAGES"),
    ("ideal,mul=pipe:4", "STAGES"),
    ("ideal,mul=booth:2", "mul="),
    # ldu
    ("ideal,ldu=0", "ldu="),
    ("ideal,ldu=3", "ldu="),
    ("ideal,ldu=two", "ldu="),
    ("ideal,ldu=-1", "ldu="),
    # crypto
    ("ideal,crypto=0", "crypto="),
    ("ideal,crypto=3", "crypto="),
    ("ideal,crypto=mem", "crypto="),
]


@pytest.mark.parametrize(("text", "says"), BAD, ids=[b[0] or "empty" for b in BAD])
def test_bad_configuration(text: str, says: str) -> None:
    with pytest.raises(UarchError) as e:
        Uarch.parse(text)
    msg = str(e.value)
    assert msg and "\n" not in msg           # one line
    assert says.lower() in msg.lower(), msg
    assert isinstance(e.value, ValueError)   # callers that catch ValueError see it too
