"""The coverage gate: the programs make test runs in lockstep (``plan.py``), sampled on
the ISS into each configuration's coverage model, must hit every bin (docs/coverage.md).
The lockstep shows the RTL retired the same records, so these are the situations the
regression put the core in. Each configuration's table is printed at the end of the run
(conftest.py) and written to build/coverage/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chainrv import toolchain
from chainrv.coverage import holes, summary
from cocotb_tests.plan import COVERAGE_OUT, Configuration, configurations, sample, write_report


@pytest.mark.parametrize("conf", [pytest.param(c, id=c.name) for c in configurations()])
def test_lockstep_programs_close_the_model(conf: Configuration, tmp_path: Path) -> None:
    if shutil.which(toolchain.GCC) is None:
        pytest.skip(f"{toolchain.GCC} not installed (the kernels and directed programs need it)")
    cov = sample(conf, tmp_path)
    assert cov.failed == [], cov.failed
    write_report(conf, cov, COVERAGE_OUT)
    if conf.gated:
        hit, total = summary(cov.model)["total"]
        missing = {g: h for g, h in holes(cov.model).items() if h}
        assert hit == total, f"{total - hit} of {total} bins not hit: {missing}"
