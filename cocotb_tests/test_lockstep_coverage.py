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
from chainrv.coverage import holes, summary, table, to_json
from chainrv.outputs import write_text_atomic
from cocotb_tests.plan import COVERAGE_OUT, Configuration, configurations, report_meta, report_name, sample


@pytest.mark.parametrize("conf", [pytest.param(c, id=c.name) for c in configurations()])
def test_lockstep_programs_close_the_model(conf: Configuration, tmp_path: Path) -> None:
    if shutil.which(toolchain.GCC) is None:
        pytest.skip(f"{toolchain.GCC} not installed (the kernels and directed programs need it)")
    cov = sample(conf, tmp_path)
    assert cov.failed == [], cov.failed
    hit, total = summary(cov.model)["total"]
    text = (f"{conf.isa}, uarch {conf.uarch}: {cov.programs} programs, {cov.sampler.records:,} records"
            f"{'' if conf.gated else ' (a narrow run, not gated)'}\n{table(cov.model)}\n")
    COVERAGE_OUT.mkdir(parents=True, exist_ok=True)
    write_text_atomic(COVERAGE_OUT / f"{report_name(conf)}.txt", text)
    write_text_atomic(COVERAGE_OUT / f"{report_name(conf)}.json", to_json(cov.model, report_meta(conf, cov)))
    if conf.gated:
        missing = {g: h for g, h in holes(cov.model).items() if h}
        assert hit == total, f"{total - hit} of {total} bins not hit: {missing}"
