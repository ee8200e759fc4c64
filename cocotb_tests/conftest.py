import os

import pytest


def pytest_collection_modifyitems(config, items):
    """Long sweeps are marked ``slow`` and run only under ``make regress``."""
    if os.environ.get("CHAINRV_RUN_SLOW"):
        return
    skip = pytest.mark.skip(reason="slow: set CHAINRV_RUN_SLOW=1 (make regress)")
    for item in items:
        if "slow" in item.keywords and item.nodeid.startswith("cocotb_tests/"):
            item.add_marker(skip)
