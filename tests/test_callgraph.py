"""Cycles by call stack (``chainrv run --profile-speedscope``, simulator/callgraph.py):
a hand-built program whose call tree and cycles are counted by hand from docs/timing.md,
and kernels whose exclusive cycles per function must equal the per-PC profile's.

``data/speedscope-file-format-schema.json`` is speedscope's own schema of its file format,
as its npm package 1.25.0 ships it (``dist/release/file-format-schema.json``, MIT license,
Copyright (c) 2018 Jamie Wong)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from toolchain import have_toolchain, link_asm

from simulator import Machine
from simulator.callgraph import CallTree, build_call_tree

needs_toolchain = pytest.mark.skipif(not have_toolchain(), reason="riscv64-unknown-elf toolchain missing")

SCHEMA = json.loads((Path(__file__).parent / "data" / "speedscope-file-format-schema.json").read_text())
BASE = 0x80000000
ISA = "rv32im_zicsr"

# _start calls f (which calls h), calls g (which tail-calls h: h replaces g), calls s
# through t0 (the alternate link register), then traps on ecall into handler, which
# returns past it with mret; then the finisher store ends the run.
PROGRAM = """
    .globl _start
    .type _start, @function
_start:
    la    t0, handler
    csrw  mtvec, t0
    jal   ra, f
    jal   ra, g
    jal   t0, s
    ecall
    lui   t0, 0x100
    li    t1, 0x5555
    sw    t1, 0(t0)
    .size _start, . - _start

    .type f, @function
f:  addi  a0, zero, 1
    mv    s0, ra
    jal   ra, h
    mv    ra, s0
    ret
    .size f, . - f

    .type g, @function
g:  addi  a0, a0, 1
    j     h
    .size g, . - g

    .type h, @function
h:  addi  a0, a0, 2
    addi  a0, a0, 3
    ret
    .size h, . - h

    .type s, @function
s:  addi  a1, a1, 1
    jr    t0
    .size s, . - s

    .type handler, @function
handler:
    csrr  t2, mepc
    addi  t2, t2, 4
    csrw  mepc, t2
    mret
    .size handler, . - handler
"""

# Counted from docs/timing.md (ideal machine): 1 cycle per slot, +2 after a taken jump,
# a trap entry and mret, each charged to the slot that caused it; 4 cycles of pipeline
# fill before the first retirement.
#   _start: la (2) + csrw + 3 calls (3 each) + ecall (1 + 2) + lui + li (2) + sw = 19
#   f: addi + 2 mv + jal (3) + ret (3) = 9;  h: 2 addi + ret (3) = 5;  g: addi + j (3) = 4
#   s: addi + jr (3) = 4;  handler: 3 + mret (3) = 6
EXPECTED_STACKS = {
    ("(pipeline fill)",): 4,
    ("_start",): 19,
    ("_start", "f"): 9,
    ("_start", "f", "h"): 5,
    ("_start", "g"): 4,
    ("_start", "h"): 5,          # g's tail call: h in g's place
    ("_start", "s"): 4,
    ("_start", "handler"): 6,
}
EXPECTED_CYCLES = 56             # 4 fill + 29 slots + 7 taken jumps x 2 + trap 2 + mret 2


@pytest.fixture(scope="module")
def program(tmp_path_factory) -> Path:
    return link_asm(PROGRAM, tmp_path_factory.mktemp("callgraph"), "p", ISA, BASE)


def replay(doc: dict) -> tuple[dict[tuple[str, ...], int], int]:
    """Cycles per call stack read back from a speedscope evented profile, by the rules
    of its file-format spec (balanced open/close events, ``at`` never decreasing), and
    the profile's end value."""
    assert doc["$schema"] == "https://www.speedscope.app/file-format-schema.json"
    names = [f["name"] for f in doc["shared"]["frames"]]
    (prof,) = doc["profiles"]
    assert prof["type"] == "evented"
    assert prof["unit"] in ("none", "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes")
    stack: list[int] = []
    at = prof["startValue"]
    out: dict[tuple[str, ...], int] = {}
    for e in prof["events"]:
        assert e["at"] >= at and 0 <= e["frame"] < len(names)
        if stack and e["at"] > at:
            key = tuple(names[f] for f in stack)
            out[key] = out.get(key, 0) + e["at"] - at
        at = e["at"]
        if e["type"] == "O":
            stack.append(e["frame"])
        else:
            assert e["type"] == "C" and stack and stack.pop() == e["frame"]
    assert not stack and at == prof["endValue"]
    return out, prof["endValue"]


def chainrv_run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chainrv.cli", "run", "--max-instructions", "1000", *args],
                          capture_output=True,
                          text=True, timeout=300)


@needs_toolchain
def test_hand_built_call_tree(program: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.speedscope.json"
    r = chainrv_run(str(program), "--isa", ISA, "--profile-speedscope", str(out), "--stats")
    assert r.returncode == 0, r.stderr
    assert f"cycles={EXPECTED_CYCLES} " in r.stderr
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, SCHEMA)
    stacks, end = replay(doc)
    assert stacks == EXPECTED_STACKS
    assert end == EXPECTED_CYCLES


@needs_toolchain
@pytest.mark.parametrize("chunk", [65536, 1, 3])     # the trace handed over in pieces of any size
def test_inclusive_and_exclusive_by_function(program: Path, chunk: int) -> None:
    m = Machine(ISA)
    m.load_elf(program)
    tree = build_call_tree(m.iter_trace(chunk=chunk, stalls=True), m.functions)
    assert tree.total == m.result.cycles == EXPECTED_CYCLES
    # (inclusive, exclusive), summed by hand from EXPECTED_STACKS
    assert tree.functions() == {
        "(pipeline fill)": (4, 4), "_start": (52, 19), "f": (14, 9), "h": (10, 10), "g": (4, 4),
        "s": (4, 4), "handler": (6, 6)}


@needs_toolchain
@pytest.mark.parametrize("uarch", ["ideal", "mcu", "cached", "fpga"])
def test_profile_inclusive_cycles(program: Path, uarch: str) -> None:
    """``--profile``'s inclusive cycles, kept by the loop as it runs: by hand on the ideal
    machine (EXPECTED_STACKS summed per function), and under every preset the inclusive
    cycles of the call tree built from the trace."""
    m = Machine(ISA, uarch=uarch)
    m.load_elf(program)
    profile = m.run(profile=True).profile
    assert profile is not None
    got = {f.name: f.inclusive for f in profile.functions}
    if uarch == "ideal":
        assert got == {"_start": 52, "f": 14, "h": 10, "g": 4, "s": 4, "handler": 6}
    m = Machine(ISA, uarch=uarch)
    m.load_elf(program)
    tree = build_call_tree(m.iter_trace(stalls=True), m.functions)
    assert got == {name: inc for name, (inc, _) in tree.functions().items() if name != "(pipeline fill)"}
    table = profile.table()
    assert table.splitlines()[0].split()[:6] == ["function", "(self)", "cycles", "%", "inclusive", "%"]


def _check_tree(tree: CallTree, cycles: int) -> None:
    inc = tree.inclusive()
    roots = [n for n, p in enumerate(tree.parent) if p < 0]
    assert sum(tree.exclusive) == cycles
    assert sum(inc[n] for n in roots) == cycles
    for n, p in enumerate(tree.parent):   # a node's cycles: its own and its children's
        kids = [k for k, q in enumerate(tree.parent) if q == n]
        assert inc[n] == tree.exclusive[n] + sum(inc[k] for k in kids)
        assert p < n


@needs_toolchain
@pytest.mark.parametrize("kernel,isa,uarch", [
    ("ecdsa_secp256k1", "rv32im", "ideal"),
    ("sha256", "rv32im_zicsr_zk_zks", "cached,bp=bht:64,mul=iter:4"),
])
def test_exclusive_cycles_are_the_profile_self_cycles(kernel_elf, kernel: str, isa: str, uarch: str) -> None:
    elf = kernel_elf(kernel, isa)
    m = Machine(isa, uarch=uarch)
    m.load_elf(elf)
    profile = m.run(profile=True).profile        # the loop's own per-PC counters
    assert profile is not None
    m = Machine(isa, uarch=uarch)
    m.load_elf(elf)
    tree = build_call_tree(m.iter_trace(stalls=True), m.functions)
    assert tree.total == m.result.cycles == profile.total_cycles
    _check_tree(tree, profile.total_cycles)
    exclusive = {name: ex for name, (_, ex) in tree.functions().items() if ex}
    fill = profile.total_cycles - sum(f.cycles for f in profile.functions)
    assert exclusive == {**{f.name: f.cycles for f in profile.functions if f.cycles}, "(pipeline fill)": fill}
    # the loop's own call stack (simulator/callstack.py) gives the trace's inclusive cycles
    inclusive = {name: inc for name, (inc, _) in tree.functions().items() if name != "(pipeline fill)"}
    assert {f.name: f.inclusive for f in profile.functions} == {
        name: inc for name, inc in inclusive.items() if name in {f.name for f in profile.functions}}
    if kernel.startswith("ecdsa"):     # calls nest: the verifier's share is under its caller
        inclusive = {name: inc for name, (inc, _) in tree.functions().items()}
        assert inclusive["ecdsa_verify"] > 0.9 * profile.total_cycles


@needs_toolchain
def test_unwritable_output_is_refused_before_the_run(program: Path, tmp_path: Path) -> None:
    for target, text in ((tmp_path / "no" / "p.json", "no such directory"), (tmp_path, "is a directory")):
        r = chainrv_run(str(program), "--isa", ISA, "--profile-speedscope", str(target), "--stats")
        assert r.returncode == 2 and "Traceback" not in r.stderr
        assert r.stderr.count("\n") == 1 and text in r.stderr, r.stderr   # no stats line: nothing ran
    r = chainrv_run(str(program), "--isa", ISA, "--profile-speedscope", str(tmp_path / "p.json"), "--profile")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "cannot be combined" in r.stderr
    assert not (tmp_path / "p.json").exists()


@needs_toolchain
def test_flame_graph_boxes(program: Path, tmp_path: Path) -> None:
    from chainrv.flamegraph import layout, plot_flame

    m = Machine(ISA)
    m.load_elf(program)
    tree = build_call_tree(m.iter_trace(stalls=True), m.functions)
    boxes = {tuple(_stack(tree, n)): (depth, left, width) for n, depth, left, width in layout(tree, 0)}
    # roots and children side by side by name, each as wide as its inclusive cycles (EXPECTED_STACKS)
    assert boxes == {
        ("(pipeline fill)",): (0, 0, 4), ("_start",): (0, 4, 52),
        ("_start", "f"): (1, 4, 14), ("_start", "f", "h"): (2, 4, 5), ("_start", "g"): (1, 18, 4),
        ("_start", "h"): (1, 22, 5), ("_start", "handler"): (1, 27, 6), ("_start", "s"): (1, 33, 4)}
    assert {tuple(_stack(tree, n)) for n, *_ in layout(tree, 5 / 56)} == \
        {("_start",), ("_start", "f"), ("_start", "f", "h"), ("_start", "h"), ("_start", "handler")}  # >= 5
    assert plot_flame(tree, tmp_path / "f.png", "p").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _stack(tree: CallTree, n: int) -> list[str]:
    names = []
    while n >= 0:
        names.insert(0, tree.names[tree.frame[n]])
        n = tree.parent[n]
    return names
