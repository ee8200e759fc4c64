"""Trace mode (RVFI records) agrees with the fast loop and with the records' own invariants."""

from __future__ import annotations

import numpy as np

from isa.encoding import decode
from isa.randprog import random_program
from simulator import RVFI_DTYPE, Machine


def test_trace_records_match_fast_run(tmp_path) -> None:
    elf = tmp_path / "r.elf"
    elf.write_bytes(random_program(5, blocks=2).elf())
    fast = Machine()
    fast.load_elf(elf)
    ref = fast.run()
    m = Machine()
    m.load_elf(elf)
    res, recs = m.trace()
    assert recs.dtype == RVFI_DTYPE
    got = (res.stdout, res.instret, res.cycles, res.slots)
    assert got == (ref.stdout, ref.instret, ref.cycles, ref.slots)
    assert len(recs) == res.slots and np.array_equal(recs["order"], np.arange(len(recs)))
    assert recs["cycle"][0] == 4 and recs["cycle"][-1] + 1 == res.cycles
    assert np.all(np.diff(recs["cycle"]) >= 1)
    assert np.all(recs["pc_wdata"][:-1] == recs["pc_rdata"][1:])  # no traps in random programs
    # register fields agree with the instruction word (isa.encoding as the reference)
    for r in recs[:: max(1, len(recs) // 2000)]:
        d = decode(int(r["insn"]))
        assert d is not None
        if r["rd_addr"]:
            assert r["rd_addr"] == d.rd
        if r["mem_wmask"]:
            assert d.insn.kind == "store"


def test_iter_trace_chunks(tmp_path) -> None:
    elf = tmp_path / "r.elf"
    elf.write_bytes(random_program(6, blocks=1).elf())
    m = Machine()
    m.load_elf(elf)
    sizes = [len(c) for c in m.iter_trace(chunk=1000)]
    assert max(sizes) == 1000 and sum(sizes) == m.result.slots
