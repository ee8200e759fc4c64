"""``chainrv run --pipeview``: the ISS's pipeline view (docs/pipeview.md), read back by a
parser of the Kanata format written here, against stage cycles worked out by hand from
docs/timing.md; its filters and its output errors. The RTL's view and its equality with
this one are cocotb_tests/test_pipeview_rtl.py's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from isa.asm import assemble
from isa.elfwriter import make_elf

BASE = 0x8000_0000
#: slot 3 waits for slot 2's load (+1); slot 4 jumps (+2 on the target, the two
#: instructions after the jump fetched and squashed)
PROGRAM = """
    lui t0, 0x80001
    addi t0, t0, 16
    lw t1, 0(t0)
    add t2, t1, t1
    j skip
    addi t3, zero, 1
    addi t3, zero, 2
skip:
    addi t4, t2, 1
"""
#: docs/timing.md on the ideal machine: the first instruction is fetched in cycle 0 and
#: retires in 4; each one after retires 1 + penalties later; its fetch is sent in the last
#: ID cycle of the one before; a redirect from EX (the jump's EX cycle 7) squashes what IF
#: and ID hold and the target is fetched in the next cycle.
EXPECTED = {   # pc: (IF, ID, EX, MEM, WB, end), end = the R command's cycle
    BASE + 0x00: (0, 1, 2, 3, 4, 5),
    BASE + 0x04: (1, 2, 3, 4, 5, 6),
    BASE + 0x08: (2, 3, 4, 5, 6, 7),
    BASE + 0x0C: (3, 4, 6, 7, 8, 9),     # two cycles in ID: the load-use stall
    BASE + 0x10: (5, 6, 7, 8, 9, 10),
    BASE + 0x1C: (8, 9, 10, 11, 12, 13),
}
WRONG_PATH = {BASE + 0x14: (6, 7, 8), BASE + 0x18: (7, None, 8)}   # IF, ID, flush
STALLS = {BASE + 0x0C: [("load_use", 7, 8)], BASE + 0x1C: [("branch", 10, 12)]}
#: consumer -> producers still in MEM or WB when it entered EX
DEPS = {BASE + 0x04: [BASE], BASE + 0x08: [BASE + 0x04], BASE + 0x0C: [BASE + 0x08]}


def parse_kanata(text: str) -> dict[int, dict]:
    """Per instruction id: its pc (from the left-pane label), stage start cycles by lane,
    lane-1 segments, the R command's cycle and kind, and its producers (W)."""
    lines = text.splitlines()
    assert lines[0] == "Kanata\t0004"
    assert lines[1].startswith("C=\t")
    cycle = 0
    ops: dict[int, dict] = {}
    for line in lines[1:]:
        cmd, *args = line.split("\t")
        if cmd == "C=":
            cycle = int(args[0])
        elif cmd == "C":
            assert int(args[0]) > 0
            cycle += int(args[0])
        elif cmd == "I":
            k = int(args[0])
            assert k == len(ops), "ids are given in order"
            ops[k] = {"stages": {}, "lane1": [], "deps": [], "start": cycle}
        else:
            op = ops[int(args[0])]
            assert "end" not in op, f"command after R: {line}"
            if cmd == "L" and args[1] == "0":
                op["pc"] = int(args[2].split()[0], 16)
            elif cmd == "S" and args[1] == "0":
                op["stages"][args[2]] = cycle
            elif cmd == "S" and args[1] == "1":
                op["lane1"].append([args[2], cycle, None])
            elif cmd == "E" and args[1] == "1":
                assert op["lane1"][-1][0] == args[2] and op["lane1"][-1][2] is None
                op["lane1"][-1][2] = cycle
            elif cmd == "W":
                op["deps"].append(int(args[1]))
            elif cmd == "R":
                op["end"], op["flushed"] = cycle, args[2] == "1"
    assert all("end" in op for op in ops.values()), "every instruction ends with R"
    return ops


def chainrv(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chainrv.cli", "run", *args], capture_output=True,
                          timeout=300)


@pytest.fixture(scope="module")
def elf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pipeview") / "prog.elf"
    path.write_bytes(make_elf([(BASE, assemble(PROGRAM, base=BASE))], BASE))
    return path


def test_stages_by_hand(elf: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.kanata"
    r = chainrv(str(elf), "--max-instructions", "6", "--pipeview", str(out))
    assert r.returncode == 124, r.stderr.decode()   # the limit: the program has no end
    ops = parse_kanata(out.read_text())
    by_pc = {op["pc"]: op for op in ops.values()}
    assert [op["pc"] for op in ops.values()] == [*list(EXPECTED)[:5], *WRONG_PATH, BASE + 0x1C]
    for pc, (f, d, e, m, w, end) in EXPECTED.items():
        op = by_pc[pc]
        assert op["stages"] == {"IF": f, "ID": d, "EX": e, "MEM": m, "WB": w}, hex(pc)
        assert (op["end"], op["flushed"]) == (end, False)
        assert [tuple(s) for s in op["lane1"]] == STALLS.get(pc, [])
        assert sorted(ops[k]["pc"] for k in op["deps"]) == DEPS.get(pc, [])
    for pc, (f, d, end) in WRONG_PATH.items():
        op = by_pc[pc]
        want = {"IF": f} if d is None else {"IF": f, "ID": d}
        assert (op["stages"], op["end"], op["flushed"]) == (want, end, True)


def test_only_the_range(elf: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.kanata"
    r = chainrv(str(elf), "--max-instructions", "6", "--pipeview", str(out),
                "--trace-only", f"{BASE + 0x0C:#x}:{BASE + 0x18:#x}")
    assert r.returncode == 124
    ops = parse_kanata(out.read_text())
    assert [op["pc"] for op in ops.values()] == [BASE + 0x0C, BASE + 0x10, BASE + 0x14]
    assert ops[0]["stages"]["EX"] == 6 and ops[0]["deps"] == []   # its producer is not shown


@pytest.mark.parametrize(("target", "message"), [
    ("no/such/dir/p.kanata", "no such directory"),
    (".", "output is a directory"),
])
def test_unwritable_before_the_run(elf: Path, tmp_path: Path, target: str, message: str) -> None:
    r = chainrv(str(elf), "--max-instructions", "6", "--pipeview", str(tmp_path / target))
    err = r.stderr.decode()
    assert r.returncode == 2 and len(err.splitlines()) == 1 and message in err, err
    assert "Traceback" not in err and list(tmp_path.iterdir()) == []


def test_one_trace_mode_at_a_time(elf: Path, tmp_path: Path) -> None:
    r = chainrv(str(elf), "--pipeview", str(tmp_path / "p"), "--trace", str(tmp_path / "t"))
    assert r.returncode == 2 and b"cannot be combined" in r.stderr
    r = chainrv(str(elf), "--trace-only", "main")
    assert r.returncode == 2 and b"--trace-only needs" in r.stderr
