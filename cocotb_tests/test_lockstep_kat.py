"""The signature kernels on every vector of their known-answer sets, in lockstep on
Verilator (``make regress``: 115 million cycles in all).

The sets are those the QEMU tests check (``tests/test_kernels_sig.py``,
``tests/test_kernels_p256.py``): valid signatures, both signs of s, corrupted
digests, signatures and keys, out-of-range r and s, keys off the curve. Their
verdicts come from independent references (the ``ecdsa`` package, pyca
``cryptography``, gmssl), never from the kernels; here the RTL must print them,
every record and cycle agreeing with the ISS.
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

import pytest

from chainrv import toolchain
from chainrv.cosim import harness
from chainrv.cosim.lockstep import lockstep
from isa.config import IsaConfig

ISA = "rv32im"
#: kernel -> (module of tests/, function making the set, its seed), as the QEMU tests use them
SETS = {
    "ecdsa_secp256k1": ("test_kernels_sig", "k1_records", 1),
    "ecdsa_p256": ("test_kernels_p256", "edge_records", 1),
    "sm2": ("test_kernels_sig", "sm2_records", 2),
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not harness.have_sim("verilator"), reason="verilator not installed"),
    pytest.mark.xdist_group(f"lockstep-verilator-{IsaConfig.parse(ISA)}"),   # the model's other tests
]


def known_answers(kernel: str) -> list:
    """The set's records (digest, key, r, s, verdict), made by the QEMU tests' own code."""
    import importlib

    tests = str(Path(__file__).resolve().parents[1] / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)       # tests/ is a folder of plain modules (tests/conftest.py)
    module, make, seed = SETS[kernel]
    return getattr(importlib.import_module(module), make)(random.Random(seed))


@pytest.mark.parametrize("kernel", sorted(SETS))
def test_known_answer_set_in_lockstep(kernel: str) -> None:
    from chainrv.kernels import all_kernels

    if shutil.which(toolchain.GCC) is None:
        pytest.skip(f"{toolchain.GCC} not installed")
    records = known_answers(kernel)
    from test_kernels_sig import batch, verdicts  # on the path now (known_answers)

    assert len(records) >= 14 and any(ok for *_, ok in records) and not all(ok for *_, ok in records)
    out = lockstep(all_kernels()[kernel].build(ISA), ISA, "verilator", input_bytes=batch(records),
                   max_slots=10**8)          # ECDSA P-256: 35 records, 56 million instructions
    assert out.ok, out.report
    assert out.iss.stop == "exit" and out.iss.exit_code == 0 and out.rtl.end_cycle == out.iss.cycles
    assert out.rtl.uart.decode() == verdicts(records)
