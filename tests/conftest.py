import os
import sys
from pathlib import Path

import pytest

# tests/qemu.py and friends are plain modules beside the tests.
sys.path.insert(0, str(Path(__file__).parent))


def pytest_collection_modifyitems(config, items):
    if os.environ.get("CHAINRV_RUN_SLOW"):
        return
    skip = pytest.mark.skip(reason="slow: set CHAINRV_RUN_SLOW=1 (make regress)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
