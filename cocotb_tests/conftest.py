import json
import os
import time

import pytest

from cocotb_tests.plan import COVERAGE_OUT

#: the coverage gate's tables (test_lockstep_coverage.py) written after this are this run's
_START = time.time()


def pytest_collection_modifyitems(config, items):
    """Long sweeps are marked ``slow`` and run only under ``make regress``
    (CHAINRV_RUN_SLOW=1) or when ``-m`` selects them (``pytest -m slow``), as in
    tests/conftest.py."""
    if os.environ.get("CHAINRV_RUN_SLOW"):
        return
    expr = config.getoption("markexpr", "")
    if expr:
        from _pytest.mark.expression import Expression

        if Expression.compile(expr).evaluate(lambda name, **_: name == "slow"):
            return
    skip = pytest.mark.skip(reason="slow: make regress or pytest -m slow")
    for item in items:
        if "slow" in item.keywords and item.nodeid.startswith("cocotb_tests/"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    """The coverage summary of the lockstep programs: one line per configuration (the
    tables with their holes are in build/coverage/*.txt)."""
    if not COVERAGE_OUT.is_dir():
        return
    docs = []
    for path in sorted(COVERAGE_OUT.glob("coverage_*.json")):
        try:
            if path.stat().st_mtime >= _START:
                docs.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    if not docs:
        return
    terminalreporter.section("functional coverage of the lockstep programs (build/coverage/)")
    for doc in docs:
        s = doc["summary"]["total"]
        pct = 100.0 * s["hit"] / s["bins"] if s["bins"] else 0.0
        note = "" if doc.get("gated", True) else "  (a narrow run, not gated)"
        name = doc.get("configuration", doc["uarch"])
        terminalreporter.write_line(f"{name:<70} {s['hit']:>5} / {s['bins']:<5} {pct:6.1f}%{note}")
