import os

import pytest


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
