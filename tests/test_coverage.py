"""chainrv coverage: the sampler's counts on a hand-written program against counts
worked out by hand from its listing, and the command's errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainrv.cli import main
from chainrv.coverage import Coverage
from isa.asm import assemble
from isa.config import IsaConfig
from isa.elfwriter import make_elf
from isa.randprog import random_program
from isa.uarch import IDEAL, Uarch

BASE = 0x8000_0000
FULL = "rv32im_zicsr_zk_zks"

# record numbers (the order of retirement) on the left; the hand counts below refer to them
PROGRAM = """
    la t0, handler           # 0 auipc t0   1 addi t0, t0 (t0 from 0: rs1 at distance 1)
    csrw mtvec, t0           # 2 csrrw x0, mtvec, t0 (rs1 distance 1)
    lui gp, 0x80080          # 3
    addi a0, zero, 5         # 4
    sw a0, 0(gp)             # 5 rs1 gp distance 2, rs2 a0 distance 1
    lw a1, 0(gp)             # 6 rs1 gp distance 3
    add a2, a1, a1           # 7 load-use on rs1 and rs2; rs1 = rs2
    beq a2, zero, done       # 8 a2 = 10 from distance 1: not taken, forward
    ecall                    # 9 trap record; the handler reads mcause = 11
done:
    addi a4, zero, 2         # 15 (after the handler's 10..14)
loop:
    addi a4, a4, -1          # 16, 18: a4 from distance 1, then 2 (the bne between)
    bne a4, zero, loop       # 17 taken backward, 19 not taken backward
    lui t0, 0x100            # 20
    lui t1, 0x5              # 21
    addi t1, t1, 0x555       # 22 t1 distance 1
    sw t1, 0(t0)             # 23 rs1 t0 distance 3, rs2 t1 distance 1: the finisher, exit 0
spin:
    j spin
handler:
    csrr t6, mcause          # 10
    csrr t5, mepc            # 11
    addi t5, t5, 4           # 12 t5 distance 1
    csrw mepc, t5            # 13 t5 distance 1
    mret                     # 14
"""


def _nonzero(cov: Coverage, group: str) -> dict[str, int]:
    g = cov.model.groups[group]
    return {b: int(c) for b, c in zip(g.bins, g.counts, strict=True) if c}


def _hand_elf(path: Path) -> Path:
    path.write_bytes(make_elf([(BASE, assemble(PROGRAM, base=BASE))], BASE))
    return path


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Coverage:
    elf = _hand_elf(tmp_path_factory.mktemp("cov") / "hand.elf")
    cov = Coverage(IsaConfig.parse(FULL), IDEAL)
    cov.run(elf, "hand")
    assert cov.failed == []
    return cov


def test_instructions_counted_by_hand(hand: Coverage) -> None:
    assert hand.sampler.records == 24
    assert _nonzero(hand, "instructions") == {
        "lui": 3, "auipc": 1, "beq": 1, "bne": 2, "lw": 1, "sw": 2, "addi": 7, "add": 1,
        "ecall": 1, "mret": 1, "csrrw": 2, "csrrs": 2}


def test_branches_traps_csrs_counted_by_hand(hand: Coverage) -> None:
    assert _nonzero(hand, "branches") == {
        "beq not taken forward": 1, "bne taken backward": 1, "bne not taken backward": 1}
    assert _nonzero(hand, "traps") == {"environment call from M-mode": 1}
    assert _nonzero(hand, "interrupts") == {}
    assert _nonzero(hand, "csrs") == {"mtvec write": 1, "mcause read": 1, "mepc read": 1, "mepc write": 1,
                                      "mtvec by csrrw": 1, "mcause by csrrs": 1,          # 2, 10
                                      "mepc by csrrs": 1, "mepc by csrrw": 1}             # 11, 13
    assert hand.sampler.unattributed == 0


def test_hazards_counted_by_hand(hand: Coverage) -> None:
    assert _nonzero(hand, "hazards") == {
        "load-use rs1 by alu": 1, "load-use rs2 by alu": 1,        # 7
        "load-use: lw then alu": 1,                                # 7
        "rs1 from distance 1": 10,     # 1 2 7 8 12 13 16 17 19 22
        "rs1 from distance 2": 2,      # 5 18
        "rs1 from distance 3": 2,      # 6 23
        "rs2 from distance 1": 3,      # 5 7 23
    }
    assert _nonzero(hand, "code") == {}


def test_operand_sources_counted_by_hand(hand: Coverage) -> None:
    """Each row's sources by where they came from (the distances of the listing above);
    every read with no write to it in the three records before is the register file's."""
    src = _nonzero(hand, "operand sources")
    assert src["add rs1 from distance 1"] == src["add rs2 from distance 1"] == 1      # 7
    assert src["sw rs1 from distance 2"] == 1 and src["sw rs2 from distance 1"] == 2   # 5; 5 23
    assert src["sw rs1 from distance 3"] == 1                                          # 23
    assert src["lw rs1 from distance 3"] == 1                                          # 6
    assert src["beq rs1 from distance 1"] == 1 and src["beq rs2 from the register file"] == 1  # 8
    # addi's rs1: distance 1 at 1 12 16 22, distance 2 at 18, the register file (x0) at 4 15
    assert {k: v for k, v in src.items() if k.startswith("addi ")} == {
        "addi rs1 from distance 1": 4, "addi rs1 from distance 2": 1, "addi rs1 from the register file": 2}


def test_operands_counted_by_hand(hand: Coverage) -> None:
    regs = _nonzero(hand, "operand registers")
    assert regs["add rs1=rs2"] == 1
    assert regs["addi rd=rs1"] == 5            # 1 12 16 18 22
    assert regs["csrrw rd=x0"] == 2            # 2 13
    assert "csrrs rd=x0" not in regs and "beq rs1=rs2" not in regs
    vals = _nonzero(hand, "operand values")
    # addi's rs1: x0 (4 15), 1 and 2 (16 18), the auipc result and mepc (1 12)
    assert {k: v for k, v in vals.items() if k.startswith("addi ")} == {
        "addi rs1=0": 2, "addi rs1=small": 2, "addi rs1=sign": 2}
    assert {k: v for k, v in vals.items() if k.startswith(("beq ", "bne "))} == {
        "beq rs1=small": 1, "beq rs2=0": 1, "bne rs1=small": 1, "bne rs1=0": 1, "bne rs2=0": 2}
    assert vals["sw rs2=small"] == 1           # 5 (a0 = 5; 23 stores 0x5555)
    assert vals["csrrw rs1=sign"] == 2         # the handler's address, mepc + 4


@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_counts_do_not_depend_on_chunks(chunk: int, tmp_path: Path) -> None:
    """Hazards, trap causes and stores into code span pieces of the trace: a random
    program (every group of bins) counts the same in pieces of any size."""
    elf = tmp_path / "r.elf"
    elf.write_bytes(random_program(8, "rv32im_zicsr_zk_zks_zifencei", blocks=3, length=40).elf())
    counts = []
    for size in (chunk, 65536):
        cov = Coverage(IsaConfig.parse("rv32im_zicsr_zk_zks_zifencei"), Uarch.parse("mcu"))
        cov.run(elf, "random", chunk=size)
        counts.append({k: g.counts.tolist() for k, g in cov.model.groups.items()})
        assert cov.failed == [] and cov.sampler.unattributed == 0
    assert counts[0] == counts[1]
    # (a random program ends at the finisher, never at a trap with no handler)
    assert all(sum(c) > 0 for g, c in counts[0].items() if g != "traps without a handler")


def test_command_table_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cov.json"
    assert main(["coverage", "--random", "1", "--blocks", "2", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    doc = json.loads(out.read_text())
    for group, s in doc["summary"].items():
        if group != "total":
            counts = doc["groups"][group]["bins"].values()
            assert s == {"hit": sum(c > 0 for c in counts), "bins": len(counts)}
            assert any(line.split()[:1] == [group.split()[0]] for line in text.splitlines())
    assert doc["programs"] == 1 and doc["records"] > 0


def test_command_elf_up_to_a_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The first 10 records of the listing: 0..8 and the ecall's trap record."""
    out = tmp_path / "cov.json"
    elf = _hand_elf(tmp_path / "hand.elf")
    assert main(["coverage", str(elf), "--max-instructions", "10", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["records"] == 10
    assert {k: v for k, v in doc["groups"]["instructions"]["bins"].items() if v} == {
        "auipc": 1, "addi": 2, "csrrw": 1, "lui": 1, "sw": 1, "lw": 1, "add": 1, "beq": 1, "ecall": 1}
    assert "instruction limit of 10" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["coverage"],                                  # nothing to measure
    ["coverage", "--random", "0"],
    ["coverage", "--random", "x"],
    ["coverage", "--random", "1", "--isa", "rv32q"],
    ["coverage", "--random", "1", "--uarch", "huge"],
    ["coverage", "/nonexistent/prog.elf"],
    ["coverage", "--random", "1", "--json", "/nonexistent/dir/cov.json"],
    ["coverage", "--random", "1", "--max-instructions", "0"],
])
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        status = main(argv)
    except SystemExit as e:
        status = e.code
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("chainrv: ") and err.count("\n") == 1, err


# ------------------------------------------------------------------ the microarchitecture's bins

EXIT = """
    lui t0, 0x100
    lui t1, 0x5
    addi t1, t1, 0x555
    sw t1, 0(t0)             # the finisher: exit 0 (a device store, no D-cache access)
spin:
    j spin
"""

# Outcomes worked out from docs/timing.md's "Prediction" rules, in the listing's comments.
PREDICT = """
    addi a0, zero, 3
loop:
    addi a0, a0, -1
    bne a0, zero, loop       # backward; taken, taken, not taken
    beq a0, zero, fwd        # forward, taken
    addi a1, zero, 1
fwd:
    bne a0, zero, fwd2       # forward, not taken
    jal ra, func             # a call (jal), then ret (jalr: never predicted, not a bin)
fwd2:
""" + EXIT + """
func:
    ret
"""

# Every access is to set 0 of a 256-byte direct-mapped cache of 16-byte lines.
DCACHE = """
    lui gp, 0x80080
    lw a1, 0(gp)             # load miss: the set is empty
    lw a2, 4(gp)             # load hit: the same line
    sw a1, 8(gp)             # store hit: the line is now dirty
    sw a1, 256(gp)           # store miss, the dirty line written back; the new line dirty
    lw a3, 0(gp)             # load miss, the dirty line written back
    lw a4, 512(gp)           # load miss: the victim (loaded only) is clean
    lw a5, 768(gp)           # load miss, clean victim, with a taken branch right behind it
    beq zero, zero, next
next:
    lw a5, 1024(gp)          # load miss, clean victim, with a jump right behind it
    jal zero, next2
next2:
""" + EXIT

# A 256-byte direct-mapped I-cache of 16-byte lines (addresses from the program's start).
ICACHE = """
    jal zero, far            # 0x00: the jump's target line was never fetched: a miss
back:
    beq zero, zero, far2     # 0x04: taken, to a line never fetched: a miss
    nop
    nop
far:
    jal zero, back           # 0x10: back to the first line, fetched already: a hit
    nop
    nop
    nop
far2:
""" + EXIT                   # 0x20


def _uarch_counts(tmp_path: Path, source: str, uarch: str) -> dict[str, int]:
    elf = tmp_path / "prog.elf"
    elf.write_bytes(make_elf([(BASE, assemble(source, base=BASE))], BASE))
    cov = Coverage(IsaConfig.parse(FULL), Uarch.parse(uarch))
    cov.run(elf, "prog")
    assert cov.failed == []
    return _nonzero(cov, "microarchitecture")


def test_static_prediction_counted_by_hand(tmp_path: Path) -> None:
    """BTFN: a backward branch is predicted taken, a forward one not, every jal taken."""
    assert _uarch_counts(tmp_path, PREDICT, "ideal,bp=btfn") == {
        "branch predicted taken, taken": 2, "branch predicted taken, not taken": 1,
        "branch predicted not taken, taken": 1, "branch predicted not taken, not taken": 1,
        "jal predicted": 1}


def test_table_prediction_counted_by_hand(tmp_path: Path) -> None:
    """The table: a branch or jal it does not hold is predicted not taken; the loop's bne,
    allocated taken (counter 2) by its first run, is predicted taken by the next two
    (the counter goes to 3, then back to 2 on the loop's exit)."""
    assert _uarch_counts(tmp_path, PREDICT, "ideal,bp=bht:16") == {
        "branch predicted taken, taken": 1, "branch predicted taken, not taken": 1,
        "branch predicted not taken, taken": 2, "branch predicted not taken, not taken": 1,
        "jal not predicted": 1}


def test_data_cache_counted_by_hand(tmp_path: Path) -> None:
    assert _uarch_counts(tmp_path, DCACHE, "ideal,dcache=256:1:16,mem=2") == {
        "load hit": 1, "load miss": 4, "load miss with a dirty write-back": 1,
        "store hit": 1, "store miss with a dirty write-back": 1,
        "D-cache miss with a taken branch behind it": 1, "D-cache miss with a jump behind it": 1}


def test_instruction_cache_counted_by_hand(tmp_path: Path) -> None:
    counts = _uarch_counts(tmp_path, ICACHE, "ideal,icache=256:1:16,mem=2")
    assert counts["icache misses"] >= 3          # the lines at 0x00, 0x10, 0x20 (0x30: the run's end)
    assert {k: v for k, v in counts.items() if k.startswith("I-cache")} == {
        "I-cache miss at a jump's target": 1, "I-cache miss at a taken branch's target": 1}


@pytest.mark.parametrize("uarch", ["cached", "ideal,dcache=256:1:16,mem=3,bp=btfn"])
def test_record_bins_add_up_to_the_counters(uarch: str, tmp_path: Path) -> None:
    """The per-record D-port outcomes and mispredictions against the ISS's own counters
    (kept apart from the trace): every RAM access is one hit or one miss, a miss with a
    write-back one write-back, and every misprediction a branch or jal predicted wrong or
    a jalr (never predicted)."""
    from simulator import Machine

    cov = Coverage(IsaConfig.parse(FULL), Uarch.parse(uarch))
    counters = {k: 0 for k in ("dcache_hits", "dcache_misses", "dcache_writebacks", "bp_mispredicts")}
    jalr = 0
    for seed in range(3):
        elf = tmp_path / f"r{seed}.elf"
        elf.write_bytes(random_program(seed, FULL, blocks=6, length=40, selfmod=False).elf())
        cov.run(elf, f"random {seed}")
        m = Machine(FULL, uarch=uarch)
        m.load_elf(elf)
        res, recs = m.trace(1_000_000)
        for k in counters:
            counters[k] += res.counters[k]
        words = recs["insn"][recs["trap"] == 0] & 0x707F
        jalr += int(((words & 0x7F) == 0x67).sum())
    assert cov.failed == []
    c = _nonzero(cov, "microarchitecture")
    get = lambda *names: sum(c.get(n, 0) for n in names)          # noqa: E731
    assert get("load hit", "store hit") == counters["dcache_hits"] > 0
    assert get("load miss", "store miss", "load miss with a dirty write-back",
               "store miss with a dirty write-back") == counters["dcache_misses"] > 0
    assert get("load miss with a dirty write-back", "store miss with a dirty write-back") \
        == counters["dcache_writebacks"] > 0
    wrong = get("branch predicted taken, not taken", "branch predicted not taken, taken",
                "jal not predicted")
    assert wrong + (jalr if Uarch.parse(uarch).bp != "none" else 0) == counters["bp_mispredicts"]


def test_trap_without_a_handler(tmp_path: Path) -> None:
    """A run that ends at an ecall with mtvec left 0: its cause counts without a handler,
    not with one, and nothing waits for a handler's read."""
    elf = tmp_path / "ecall.elf"
    elf.write_bytes(make_elf([(BASE, assemble("addi a0, zero, 1\necall\n", base=BASE))], BASE))
    cov = Coverage(IsaConfig.parse(FULL), IDEAL)
    cov.run(elf, "ecall", unhandled=True)
    assert cov.failed == [] and cov.sampler.unattributed == 0
    assert _nonzero(cov, "traps without a handler") == {"environment call from M-mode": 1}
    assert _nonzero(cov, "traps") == {}
    cov.run(elf, "ecall")                     # not written for it: a failed run
    assert cov.failed and "ecall" in cov.failed[0]


# The timer interrupt taken at a CSR write, then waking a wfi (docs/timing.md: an
# interrupt is taken by the instruction in its first EX cycle while it is pending).
TIMER = """
    la t0, handler
    csrrw zero, mtvec, t0
    lui s0, 0x2004           # mtimecmp
    lui s1, 0x200c
    addi s1, s1, -8          # mtime (0x200bff8)
    sw zero, 4(s0)
    sw zero, 0(s0)           # due now
    addi t1, zero, 0x80
    csrrs zero, mie, t1
    csrrsi zero, mstatus, 8  # enabled: the next instruction takes it
    csrrw zero, mscratch, t1 # a CSR write interrupted (and run again after mret)
    lw t2, 0(s1)
    addi t2, t2, 50
    sw t2, 0(s0)
    sw zero, 4(s0)           # due 50 cycles on
    wfi                      # woken by it
    addi a0, zero, 1         # takes it
""" + EXIT + """
handler:
    csrrs t6, mcause, zero
    addi t5, zero, -1
    sw t5, 4(s0)             # out of reach
    mret
"""


def test_interrupt_at_a_csr_write_and_waking_a_wfi(tmp_path: Path) -> None:
    elf = tmp_path / "timer.elf"
    elf.write_bytes(make_elf([(BASE, assemble(TIMER, base=BASE))], BASE))
    cov = Coverage(IsaConfig.parse(FULL), IDEAL)
    cov.run(elf, "timer")
    assert cov.failed == [] and cov.sampler.unattributed == 0
    assert _nonzero(cov, "interrupts") == {
        "timer interrupt at csr": 1, "timer interrupt at a CSR write": 1,
        "timer interrupt at alu": 1, "timer interrupt waking a wfi": 1}
