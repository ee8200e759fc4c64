"""Trace mode (RVFI records) agrees with the fast loop and with the records' own invariants."""

from __future__ import annotations

import numpy as np

from isa.encoding import decode
from isa.randprog import BASE, SCRATCH, Program, random_program
from simulator import RVFI_DTYPE, Machine


def test_trace_records_match_fast_run(tmp_path) -> None:
    elf = tmp_path / "r.elf"
    prog = random_program(5, blocks=6)
    elf.write_bytes(prog.elf())
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
    # traps included: a trap's next pc is the handler, where the next record starts
    assert np.all(recs["pc_wdata"][:-1] == recs["pc_rdata"][1:])
    assert recs["trap"].any()
    _replay(recs, prog)


M32 = 0xFFFFFFFF


def _sx(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return (value - (1 << bits) if value >> (bits - 1) else value) & M32


#: results written out by hand (not isa.semantics, which the ISS itself compiles)
_BY_HAND = {
    "add": lambda a, b, i, pc: a + b, "sub": lambda a, b, i, pc: a - b,
    "xor": lambda a, b, i, pc: a ^ b, "or": lambda a, b, i, pc: a | b, "and": lambda a, b, i, pc: a & b,
    "addi": lambda a, b, i, pc: a + i, "xori": lambda a, b, i, pc: a ^ i, "andi": lambda a, b, i, pc: a & i,
    "ori": lambda a, b, i, pc: a | i, "slli": lambda a, b, i, pc: a << i, "srli": lambda a, b, i, pc: a >> i,
    "lui": lambda a, b, i, pc: i, "auipc": lambda a, b, i, pc: pc + i,
    "jal": lambda a, b, i, pc: pc + 4, "jalr": lambda a, b, i, pc: pc + 4,
    "mul": lambda a, b, i, pc: a * b,
}


def _replay(recs: np.ndarray, prog: Program) -> None:
    """Every record against a register file and a memory replayed from the records
    themselves: source values, load data, addresses, and the results of the
    instructions above and of loads computed here."""
    mem = bytearray(1 << 20)
    mem[:len(prog.code)] = prog.code
    mem[SCRATCH - BASE:SCRATCH - BASE + len(prog.scratch)] = prog.scratch
    regs = [0] * 32
    checked = {"rd": 0, "load": 0, "store": 0}
    for r in recs:
        d = decode(int(r["insn"]))
        pc = int(r["pc_rdata"])
        if d is None or r["trap"]:
            assert r["rd_addr"] == 0 and r["mem_wmask"] == 0
            continue
        for field in ("rs1", "rs2"):
            if r[f"{field}_addr"]:
                assert r[f"{field}_addr"] == getattr(d, field)
                assert r[f"{field}_rdata"] == regs[int(r[f"{field}_addr"])], (hex(pc), field)
        a, b, kind = int(r["rs1_rdata"]), int(r["rs2_rdata"]), d.insn.kind
        addr = int(r["mem_addr"])
        if kind in ("load", "store"):
            assert addr == (a + d.imm) & M32, hex(pc)
        in_ram = 0x8000_0000 <= addr < 0x8010_0000
        if kind == "load" and in_ram:
            width = {"lb": 1, "lbu": 1, "lh": 2, "lhu": 2, "lw": 4}[d.insn.name]
            raw = int.from_bytes(mem[addr - 0x8000_0000:addr - 0x8000_0000 + width], "little")
            assert r["mem_rmask"] == (1 << width) - 1 and r["mem_rdata"] == raw, hex(pc)
            want = _sx(raw, 8 * width) if d.insn.name in ("lb", "lh") else raw
            assert r["rd_addr"] == d.rd and (d.rd == 0 or r["rd_wdata"] == want), hex(pc)
            checked["load"] += 1
        if r["mem_wmask"]:
            assert kind == "store"
            width = {"sb": 1, "sh": 2, "sw": 4}[d.insn.name]
            assert r["mem_wmask"] == (1 << width) - 1 and r["mem_wdata"] == b & ((1 << 8 * width) - 1)
            if in_ram:
                at = addr - 0x8000_0000
                mem[at:at + width] = int(r["mem_wdata"]).to_bytes(width, "little")
            checked["store"] += 1
        if d.insn.name in _BY_HAND and d.rd:
            assert r["rd_addr"] == d.rd
            assert r["rd_wdata"] == _BY_HAND[d.insn.name](a, b, d.imm & M32, pc) & M32, hex(pc)
            checked["rd"] += 1
        if r["rd_addr"]:
            assert r["rd_addr"] == d.rd
            regs[int(r["rd_addr"])] = int(r["rd_wdata"])
    assert min(checked.values()) > 50, checked


def test_iter_trace_chunks(tmp_path) -> None:
    elf = tmp_path / "r.elf"
    elf.write_bytes(random_program(6, blocks=8).elf())
    m = Machine()
    m.load_elf(elf)
    ref, recs = m.trace()
    assert len(recs) > 2500
    m = Machine()
    m.load_elf(elf)
    chunks = list(m.iter_trace(chunk=1000))
    assert [len(c) for c in chunks] == [1000] * (len(recs) // 1000) + [len(recs) % 1000]
    # the chunks are the whole trace's records, in order, and the run ends alike
    assert np.array_equal(np.concatenate(chunks), recs)
    assert (m.result.slots, m.result.cycles, m.result.stdout) == (ref.slots, ref.cycles, ref.stdout)
