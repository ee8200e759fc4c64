import os
import sys
from pathlib import Path

import pytest

# tests/qemu.py and friends are plain modules beside the tests.
sys.path.insert(0, str(Path(__file__).parent))


def slow_selected(config: pytest.Config) -> bool:
    """Slow tests run under ``make regress`` (CHAINRV_RUN_SLOW=1) or when ``-m`` selects
    them (``pytest -m slow``); a plain run (``make test``) skips them."""
    if os.environ.get("CHAINRV_RUN_SLOW"):
        return True
    expr = config.getoption("markexpr", "")
    if not expr:
        return False
    from _pytest.mark.expression import Expression

    return Expression.compile(expr).evaluate(lambda name, **_: name == "slow")


def pytest_collection_modifyitems(config, items):
    if slow_selected(config):
        return
    skip = pytest.mark.skip(reason="slow: make regress or pytest -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def kernel_elf():
    """``kernel_elf(name, isa)``: the kernel's ELF, built once (content-hashed
    in the kernel cache, docs/caches.md, so also reused across sessions)."""
    from chainrv.kernels import KERNELS_DIR, load_kernel

    built = {}

    def get(name: str, isa: str) -> Path:
        if (name, isa) not in built:
            built[name, isa] = load_kernel(KERNELS_DIR / name).build(isa)
        return built[name, isa]

    return get
