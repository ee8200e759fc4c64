"""``chainrv run``: exit statuses, messages, stats line, trace and profile outputs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from isa.asm import assemble
from isa.elfwriter import make_elf

HELLO = """
    li a0, 0x10000000
    li a1, 0x68
    sb a1, 0(a0)
    li a1, 10
    sb a1, 0(a0)
    li t0, 0x100000
    li t1, 0x00073333
    sw t1, 0(t0)
"""


def chainrv(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "chainrv.cli", "run", *args], capture_output=True,
                          timeout=300)


def elf_of(tmp_path, src: str, name: str = "p.elf", base: int = 0x80000000) -> str:
    p = tmp_path / name
    p.write_bytes(make_elf([(base, assemble(src, base))], base))
    return str(p)


def test_output_and_exit_code(tmp_path) -> None:
    r = chainrv(elf_of(tmp_path, HELLO), "--stats")
    assert r.returncode == 7          # finisher (7 << 16) | 0x3333
    assert r.stdout == b"h\n"
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1
    fields = dict(f.split("=") for f in lines[0].split())
    counters = ["icache_hits", "icache_misses", "dcache_hits", "dcache_misses", "dcache_writebacks",
                "bp_mispredicts"]
    stalls = ["load_use", "branch", "div", "trap", "mret", "wfi", "icache", "dcache", "mispredict", "mul"]
    assert list(fields) == ["instructions", "cycles", "seconds", "mips", "jit_seconds", *counters,
                            *(f"stall_{c}" for c in stalls)]
    # the ideal machine has no cache or predictor: every counter zero
    assert all(fields[c] == "0" for c in counters)
    # 8 statements, straight-line: isa.asm's li of a value wider than 12 bits is lui+addi
    # (0x10000000, 0x100000, 0x73333), of 0x68 and 10 one addi: 11 instructions, each
    # retired once, the first after the 4-cycle pipeline fill, then one per cycle
    # (docs/timing.md)
    assert len(assemble(HELLO)) == 11 * 4
    assert (int(fields["instructions"]), int(fields["cycles"])) == (11, 15)


@pytest.mark.parametrize("setup,message", [
    (lambda t: str(t / "missing.elf"), "no such file"),
    (lambda t: (t / "x.txt").write_text("hello") and str(t / "x.txt"), "not an ELF"),
])
def test_unusable_files(tmp_path, setup, message) -> None:
    r = chainrv(setup(tmp_path))
    assert r.returncode == 2
    assert message in r.stderr.decode() and len(r.stderr.decode().splitlines()) == 1
    assert b"Traceback" not in r.stderr


def _patch(data: bytes, offset: int, value: bytes) -> bytes:
    return data[:offset] + value + data[offset + len(value):]


def test_wrong_elf_kinds(tmp_path) -> None:
    good = (tmp_path / "g.elf")
    good.write_bytes(make_elf([(0x80000000, assemble(HELLO))], 0x80000000))
    data = good.read_bytes()
    cases = {
        "elf64": (_patch(data, 4, b"\x02"), "ELF64"),
        "big": (_patch(data, 5, b"\x02"), "big-endian"),
        "machine": (_patch(data, 18, b"\x3e\x00"), "expected RISC-V"),
    }
    for name, (blob, msg) in cases.items():
        p = tmp_path / f"{name}.elf"
        p.write_bytes(blob)
        r = chainrv(str(p))
        assert r.returncode == 2, (name, r.stderr)
        assert msg in r.stderr.decode(), (name, r.stderr)
        assert b"Traceback" not in r.stderr


def test_segment_outside_ram_and_bad_isa(tmp_path) -> None:
    p = tmp_path / "far.elf"
    p.write_bytes(make_elf([(0x80000000, assemble(HELLO)), (0x90000000, b"\0" * 16)], 0x80000000))
    r = chainrv(str(p))
    assert r.returncode == 2 and b"outside RAM" in r.stderr
    r = chainrv(elf_of(tmp_path, HELLO), "--isa", "rv32imfd")
    assert r.returncode == 2 and b"Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1
    r = chainrv(elf_of(tmp_path, HELLO), "--input", str(tmp_path / "nope.bin"))
    assert r.returncode == 2 and b"nope.bin" in r.stderr


def test_instruction_limit(tmp_path) -> None:
    r = chainrv(elf_of(tmp_path, "loop: j loop\n"), "--max-instructions", "1000")
    assert r.returncode == 124
    assert b"instruction limit of 1000" in r.stderr and len(r.stderr.splitlines()) == 1


def test_unhandled_trap(tmp_path) -> None:
    r = chainrv(elf_of(tmp_path, "nop\necall\n"))
    assert r.returncode == 3
    msg = r.stderr.decode()
    assert "environment call" in msg and "0x80000004" in msg and "ecall" in msg


def test_trace_file(tmp_path) -> None:
    out = tmp_path / "t.txt"
    r = chainrv(elf_of(tmp_path, HELLO), "--trace", str(out))
    assert r.returncode == 7 and r.stdout == b"h\n"
    lines = out.read_text().splitlines()
    code = assemble(HELLO)
    # one line per instruction: cycle (4 = pipeline fill, then one per cycle), pc, word,
    # disassembly, and the register written or the store, values worked out by hand
    effects = ["x10=10000000", "x10=10000000", "x11=00000068", "store1 [10000000]=68",
               "x11=0000000a", "store1 [10000000]=0a", "x5=00100000", "x5=00100000",
               "x6=00073000", "x6=00073333", "store4 [00100000]=00073333"]
    assert len(lines) == len(effects) == len(code) // 4
    for i, (line, effect) in enumerate(zip(lines, effects, strict=True)):
        f = line.split()
        word = int.from_bytes(code[4 * i:4 * i + 4], "little")
        assert f[:3] == [str(4 + i), f"{0x80000000 + 4 * i:08x}", f"{word:08x}"], line
        assert line.endswith(effect), line
    assert lines[0].split()[3] == "lui" and lines[3].split()[3] == "sb"


def test_profile_outputs(tmp_path) -> None:
    js = tmp_path / "p.json"
    r = chainrv(elf_of(tmp_path, HELLO), "--profile", "--profile-json", str(js))
    assert r.returncode == 7
    assert b"function" in r.stderr and b"instruction mix" in r.stderr
    data = json.loads(js.read_text())
    assert data["total_instructions"] == sum(f["instructions"] for f in data["functions"])
    assert data["mix_by_extension"]["i"] == data["total_instructions"]
