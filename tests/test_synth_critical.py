"""The critical path summary of chainrv synth (chainrv/synth/critical.py) on a report
written here, whose delays, levels and units are counted by hand."""

from __future__ import annotations

from chainrv.synth.critical import describe, summarize, unit_of


def _seg(kind: str, delay: float, a: str, b: str, pa: str = "Q", pb: str = "D") -> dict:
    return {"type": kind, "delay": delay, "from": {"cell": a, "port": pa}, "to": {"cell": b, "port": pb}}


REPORT = {"critical_paths": [
    {"from": "clk", "to": "clk", "path": [  # a shorter one: 3 ns
        _seg("clk-to-q", 1.0, "soc.core.pc_FF", "soc.core.pc_FF"),
        _seg("routing", 2.0, "soc.core.pc_FF", "soc.core.fetch.addr_LUT4"),
    ]},
    {"from": "clk", "to": "clk", "path": [  # the longest: 1.5 + 4.0 + 0.5 + 3.0 + 0.25 + 1.0 + 0.75
        _seg("clk-to-q", 1.5, "soc.ram.1.1", "soc.ram.1.1", "DOB7", "DOB7"),
        _seg("routing", 4.0, "soc.ram.1.1", "soc.core.lsu.data_LUT4_Z", "DOB7", "A"),
        _seg("logic", 0.5, "soc.core.lsu.data_LUT4_Z", "soc.core.lsu.data_LUT4_Z", "A", "Z"),
        _seg("routing", 3.0, "soc.core.lsu.data_LUT4_Z", "soc.core.multiplier.product_MULT18X18D", "Z", "A0"),
        _seg("logic", 0.25, "soc.core.multiplier.product_MULT18X18D",
             "soc.core.multiplier.product_MULT18X18D"),
        _seg("routing", 1.0, "soc.core.multiplier.product_MULT18X18D", "soc.core.mem_result_TRELLIS_FF_Q_3"),
        _seg("setup", 0.75, "soc.core.mem_result_TRELLIS_FF_Q_3", "soc.core.mem_result_TRELLIS_FF_Q_3",
             "DI", "DI"),
    ]},
]}


def test_units_from_cell_names() -> None:
    assert unit_of("soc.core.multiplier.product_MULT18X18D_P9") == "multiplier"
    assert unit_of("soc.core.regfile.1.3_DO_3_LUT4") == "regfile"
    assert unit_of("soc.core.mem_result_TRELLIS_FF_Q_11") == "core"
    assert unit_of("soc.ram.1.1") == "ram"
    assert unit_of("soc.uart_tx_FF") == "soc"
    assert unit_of("$nextpnr_CCU2C_19$CCU2_COMB0") is None          # made by nextpnr's packer


def test_cells_of_nextpnr_join_no_unit() -> None:
    """A carry chain that nextpnr split runs through cells it named itself: the units
    on either side of them stay one."""
    path = [_seg("clk-to-q", 0.5, "soc.core.fwd.from_wb_FF", "soc.core.fwd.from_wb_FF"),
            _seg("routing", 1.0, "soc.core.fwd.from_wb_FF", "soc.core.addr_CCU2C"),
            _seg("logic", 0.25, "soc.core.addr_CCU2C", "$nextpnr_CCU2C_19$CCU2_COMB0"),
            _seg("logic", 0.25, "$nextpnr_CCU2C_19$CCU2_COMB0", "soc.core.addr_FF"),
            _seg("setup", 0.5, "soc.core.addr_FF", "soc.core.addr_FF", "M", "M")]
    cp = summarize({"critical_paths": [{"path": path}]})
    assert cp is not None and cp["units"] == ["fwd", "core"] and cp["levels"] == 2


def test_summary_of_the_longest_path() -> None:
    cp = summarize(REPORT)
    assert cp is not None
    assert cp["delay_ns"] == 11.0 and cp["routing_ns"] == 8.0 and cp["logic_ns"] == 3.0
    assert cp["levels"] == 2
    assert cp["start"] == "soc.ram.1.1 (DOB7)" and cp["end"] == "soc.core.mem_result_TRELLIS_FF_Q_3 (DI)"
    assert cp["units"] == ["ram", "lsu", "multiplier", "core"]
    assert describe(cp)[0] == "critical path 11.00 ns (logic 3.00, routing 8.00), 2 logic levels"
    assert summarize({"critical_paths": []}) is None and summarize({}) is None


def test_the_median_seed_run_is_reported() -> None:
    from chainrv.synth.pnr import median_run, nextpnr_argv

    runs = [{"fmax_mhz": f, "seed": k} for k, f in enumerate([31.5, 29.0, 30.2], start=1)]
    assert median_run(runs)["seed"] == 3                      # 29.0 < 30.2 < 31.5
    assert median_run(runs[:2])["seed"] == 2                  # of two, the slower
    assert median_run([{"fmax_mhz": None}, {"fmax_mhz": 20.0}, {"fmax_mhz": 25.0}])["fmax_mhz"] == 20.0
    assert nextpnr_argv("ecp5", "25k", seed=3)[nextpnr_argv("ecp5", "25k").index("--seed") + 1] == "3"
