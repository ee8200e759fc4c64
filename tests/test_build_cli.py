"""``chainrv build`` as a user runs it: one-line errors with status 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chainrv import toolchain
from chainrv.toolchain import GCC, BuildError, build_elf

pytestmark = pytest.mark.skipif(shutil.which(GCC) is None, reason="no RISC-V GCC")


def chainrv(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("chainrv")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "chainrv.cli"]
    # (the timeout is generous: a first run compiles the ISS loop)
    return subprocess.run([*cmd, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def one_line_error(p: subprocess.CompletedProcess[str]) -> str:
    assert p.returncode == 2, p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("chainrv: ")
    assert "Traceback" not in p.stderr
    return lines[0]


def tool_error(p: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    """A failed compile or link: the tool's own output on stderr, then the one-line error
    (exit status 2): (that line, the output above it)."""
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr
    *above, last = p.stderr.splitlines()
    assert last.startswith("chainrv: build failed: ")
    assert above, "the compiler's or linker's output is shown"
    return last, "\n".join(above)


def test_success_writes_elf(tmp_path: Path) -> None:
    (tmp_path / "ok.c").write_text("int main(void) { return 0; }\n")
    p = chainrv("build", "ok.c", "-o", "out/ok.elf", "-O", "s", "-g", "-D", "X=1", cwd=tmp_path)
    assert p.returncode == 0 and p.stderr == ""
    assert (tmp_path / "out/ok.elf").read_bytes()[:4] == b"\x7fELF"


def test_missing_source(tmp_path: Path) -> None:
    line = one_line_error(chainrv("build", "nope.c", "-o", "x.elf", cwd=tmp_path))
    assert "nope.c" in line


def test_compile_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.c").write_text("int main(void)\n{\n    return x;\n}\n")
    line, said = tool_error(chainrv("build", "bad.c", "-o", "x.elf", cwd=tmp_path))
    assert line.startswith("chainrv: build failed: bad.c:3:")
    assert "error" in line and "'x'" in line
    assert "    3 |     return x;" in said  # gcc's whole message, the source line included
    assert not (tmp_path / "x.elf").exists()


def test_link_error(tmp_path: Path) -> None:
    (tmp_path / "u.c").write_text("int missing(void);\nint main(void) { return missing(); }\n")
    line, said = tool_error(chainrv("build", "u.c", "-o", "x.elf", cwd=tmp_path))
    assert "undefined reference" in line and "missing" in line


def test_extension_instruction_needs_its_isa(tmp_path: Path) -> None:
    (tmp_path / "a.S").write_text(".globl main\nmain:\n  aes32esi a0, a0, a1, 1\n  ret\n")
    line, said = tool_error(chainrv("build", "a.S", "-o", "x.elf", "--isa", "rv32im", cwd=tmp_path))
    assert "a.S:3" in line and "zkne" in line
    p = chainrv("build", "a.S", "-o", "x.elf", "--isa", "rv32im_zkne", cwd=tmp_path)
    assert p.returncode == 0, p.stderr


def test_overlapping_input_block_is_a_link_error(tmp_path: Path) -> None:
    (tmp_path / "big.c").write_text("char big[800 * 1024];\nint main(void) { return big[7]; }\n")
    line, said = tool_error(chainrv("build", "big.c", "-o", "x.elf", cwd=tmp_path))
    assert "input block" in line


@pytest.mark.parametrize("isa", ["rv32imq", "rv32im_zfoo", "rv64im", "x86"])
def test_unknown_isa(tmp_path: Path, isa: str) -> None:
    (tmp_path / "ok.c").write_text("int main(void) { return 0; }\n")
    line = one_line_error(chainrv("build", "ok.c", "-o", "x.elf", "--isa", isa, cwd=tmp_path))
    assert "ISA" in line or "extension" in line


def test_bad_optimisation_level(tmp_path: Path) -> None:
    (tmp_path / "ok.c").write_text("int main(void) { return 0; }\n")
    line = one_line_error(chainrv("build", "ok.c", "-o", "x.elf", "-O", "9", cwd=tmp_path))
    assert "-O9" in line


def test_missing_toolchain(tmp_path: Path) -> None:
    (tmp_path / "ok.c").write_text("int main(void) { return 0; }\n")
    env_gcc = "riscv-gcc-that-does-not-exist"
    exe = Path(sys.executable).with_name("chainrv")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "chainrv.cli"]
    p = subprocess.run([*cmd, "build", "ok.c", "-o", "x.elf"], cwd=tmp_path, capture_output=True,
                       text=True, env={"PATH": "/usr/bin:/bin", "CHAINRV_GCC": env_gcc}, timeout=120)
    line = one_line_error(p)
    assert env_gcc in line and "not found" in line


# ---------------------------------------------------------------- the output file

MAIN_C = "int main(void) { return 0; }\n"


def sources_and_links(tmp_path: Path) -> None:
    (tmp_path / "same.c").write_text(MAIN_C)
    (tmp_path / "other.c").write_text("int other(void) { return 1; }\n")
    (tmp_path / "sub").mkdir()
    os.link(tmp_path / "same.c", tmp_path / "hard.c")
    (tmp_path / "link.c").symlink_to("same.c")


@pytest.mark.parametrize("out", ["same.c", "./sub/../same.c", "hard.c", "link.c"])
def test_output_that_is_a_source_is_refused(tmp_path: Path, out: str) -> None:
    sources_and_links(tmp_path)
    line = one_line_error(chainrv("build", "other.c", "same.c", "-o", out, cwd=tmp_path))
    assert "same as output" in line
    assert (tmp_path / "same.c").read_text() == MAIN_C


_SPELLING = st.lists(st.sampled_from(["./", "sub/../", "sub/./../", "sub//..//", "./sub/../"]), max_size=4)


@settings(max_examples=int(os.environ.get("CHAINRV_FUZZ_EXAMPLES", 200)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=_SPELLING, absolute=st.booleans(), which=st.sampled_from(["same.c", "hard.c", "link.c"]),
       position=st.integers(0, 2))
def test_every_spelling_of_a_source_is_refused(tmp_path: Path, prefix: list[str], absolute: bool,
                                               which: str, position: int) -> None:
    if not (tmp_path / "same.c").exists():
        sources_and_links(tmp_path)
    out = ("".join(prefix) + which) if not absolute else str(tmp_path / ("".join(prefix) + which))
    sources = [str(tmp_path / "other.c")] * 2
    sources.insert(position, str(tmp_path / "same.c"))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with pytest.raises(BuildError, match="same as output"):
            build_elf(sources, out)
    finally:
        os.chdir(cwd)
    assert (tmp_path / "same.c").read_text() == MAIN_C


@pytest.mark.parametrize("out", ["afile/x.elf", "afile/deeper/x.elf"])
def test_output_under_a_file_is_a_one_line_error(tmp_path: Path, out: str) -> None:
    (tmp_path / "ok.c").write_text(MAIN_C)
    (tmp_path / "afile").write_text("a file\n")
    line = one_line_error(chainrv("build", "ok.c", "-o", out, cwd=tmp_path))
    assert "not a directory" in line and out in line
    assert (tmp_path / "afile").read_text() == "a file\n"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_failed_link_keeps_the_previous_output(tmp_path: Path) -> None:
    (tmp_path / "ok.c").write_text(MAIN_C)
    (tmp_path / "u.c").write_text("int missing(void);\nint main(void) { return missing(); }\n")
    p = chainrv("build", "ok.c", "-o", "prog.elf", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    good = (tmp_path / "prog.elf").read_bytes()
    line, said = tool_error(chainrv("build", "u.c", "-o", "prog.elf", cwd=tmp_path))
    assert "undefined reference" in line and ".tmp" not in line
    assert "u.c.o: in function `main'" in said and "chainrv-build-" not in said
    assert (tmp_path / "prog.elf").read_bytes() == good
    assert leftovers(tmp_path) == []


def test_program_without_loadable_segment_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty runtime object links into an ELF with nothing to load (no _start keeps any
    section alive): the build fails and the previous output stays."""
    (tmp_path / "ok.c").write_text(MAIN_C)
    (tmp_path / "prog.elf").write_bytes(b"previous")
    empty = tmp_path / "empty.o"
    empty.write_bytes(b"")
    monkeypatch.setattr(toolchain, "_runtime_objects", lambda *args: [empty])
    with pytest.raises(BuildError, match="no loadable segment"):
        build_elf([tmp_path / "ok.c"], tmp_path / "prog.elf")
    assert (tmp_path / "prog.elf").read_bytes() == b"previous"
    assert leftovers(tmp_path) == []


def test_symlinked_output_is_replaced_as_the_linker_does(tmp_path: Path) -> None:
    """GNU ld replaces a symbolic link at its output with the program; the link's
    target stays as it was."""
    (tmp_path / "ok.c").write_text(MAIN_C)
    (tmp_path / "builds").mkdir()
    (tmp_path / "builds" / "v1.elf").write_bytes(b"old")
    (tmp_path / "latest.elf").symlink_to("builds/v1.elf")
    p = chainrv("build", "ok.c", "-o", "latest.elf", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert not (tmp_path / "latest.elf").is_symlink()
    assert (tmp_path / "latest.elf").read_bytes()[:4] == b"\x7fELF"
    assert (tmp_path / "builds" / "v1.elf").read_bytes() == b"old"


def test_output_to_a_device_is_written_in_place(tmp_path: Path) -> None:
    """/dev/null cannot be replaced by a file (as root, a rename would do just that)."""
    (tmp_path / "ok.c").write_text(MAIN_C)
    p = chainrv("build", "ok.c", "-o", "/dev/null", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert Path("/dev/null").is_char_device()
    assert not [p for p in Path("/dev").glob(".null.*")]


def test_warnings_are_shown_on_success(tmp_path: Path) -> None:
    (tmp_path / "w.c").write_text('int main(void) { int y = "oops"; return y; }\n')
    p = chainrv("build", "w.c", "-o", "w.elf", cwd=tmp_path)
    assert p.returncode == 0
    assert "w.c:1:" in p.stderr and "warning:" in p.stderr and "-Wint-conversion" in p.stderr
    assert "RWX" not in p.stderr  # the link script's one segment is not worth a warning


def test_warnings_before_a_link_error(tmp_path: Path) -> None:
    """An implicit declaration is the real cause of the link error: both are shown."""
    (tmp_path / "e.c").write_text("int main(void) { return undefined_fn(3); }\n")
    line, said = tool_error(chainrv("build", "e.c", "-o", "e.elf", cwd=tmp_path))
    assert "implicit declaration of function 'undefined_fn'" in said
    assert "undefined reference to `undefined_fn'" in line


def test_include_dirs_cflags_ldflags_and_map(tmp_path: Path) -> None:
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "k.h").write_text("#define K 7\n")
    (tmp_path / "k.c").write_text('#include "k.h"\nint main(void) { return K + EXTRA; }\n')
    p = chainrv("build", "k.c", "-o", "k.elf", "-I", "inc", "--cflags=-DEXTRA=2 -Wextra",
                "--ldflags=-Wl,--defsym=chainrv_marker=0x1234", "--map", "k.map", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    run = chainrv("run", "k.elf", cwd=tmp_path)
    assert run.returncode == 9, run.stderr
    mapping = (tmp_path / "k.map").read_text()
    assert "chainrv_marker" in mapping and "0x00001234" in mapping
    assert "OUTPUT(k.elf elf32-littleriscv)" in mapping
    assert "Memory Configuration" in mapping  # GNU ld's map, not something else
    assert "--cflags" in one_line_error(chainrv("build", "k.c", "-o", "k.elf", "--cflags=-D'X", cwd=tmp_path))


def test_cache_key_covers_compiler_version_and_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    key = toolchain.toolchain_key()
    version = subprocess.run([shutil.which(GCC) or GCC, "-dumpfullversion"], capture_output=True,
                             text=True).stdout.strip()
    assert version and version in key
    monkeypatch.setattr(toolchain, "COMMON_CFLAGS", (*toolchain.COMMON_CFLAGS, "-fno-inline"))
    assert toolchain.toolchain_key() != key


ROR_MAIN = """
.globl main
main:
    li a0, 1
    li a1, 1
    .insn r 0x33, 5, 0x30, a0, a0, a1   # ror a0, a0, a1 (Zbkb), unknown to rv32im
    srli a0, a0, 31
    ret
"""


def test_run_takes_the_isa_the_elf_records(tmp_path: Path) -> None:
    (tmp_path / "r.S").write_text(ROR_MAIN)
    assert chainrv("build", "r.S", "-o", "zbkb.elf", "--isa", "rv32im_zbkb", cwd=tmp_path).returncode == 0
    assert chainrv("build", "r.S", "-o", "im.elf", "--isa", "rv32im", cwd=tmp_path).returncode == 0
    ok = chainrv("run", "zbkb.elf", "--stats", cwd=tmp_path)
    assert ok.returncode == 1, ok.stderr          # ror ran: 1 rotated right by 1, bit 31
    illegal = chainrv("run", "im.elf", cwd=tmp_path)
    assert illegal.returncode == 3 and "illegal instruction" in illegal.stderr
    assert chainrv("run", "im.elf", "--isa", "rv32im_zbkb", cwd=tmp_path).returncode == 1
    # an ISA chainrv does not implement, as the ELF records it: a one-line error, unless --isa
    data = (tmp_path / "im.elf").read_bytes()
    assert b"rv32i2p1_m2p0" in data
    (tmp_path / "c.elf").write_bytes(data.replace(b"rv32i2p1_m2p0", b"rv32i2p1_c2p0"))
    line = one_line_error(chainrv("run", "c.elf", cwd=tmp_path))
    assert "rv32i2p1_c2p0" in line and "--isa" in line
    assert chainrv("run", "c.elf", "--isa", "rv32im", cwd=tmp_path).returncode == 3


def test_trace_to_standard_output(tmp_path: Path) -> None:
    (tmp_path / "h.c").write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 3; }\n')
    assert chainrv("build", "h.c", "-o", "h.elf", cwd=tmp_path).returncode == 0
    p = chainrv("run", "h.elf", "--trace", "-", cwd=tmp_path)
    assert p.returncode == 3, p.stderr
    lines = p.stdout.splitlines()
    assert "hi" in lines
    assert any("<main+0x0>" in ln for ln in lines)
    assert sum("store1 [10000000]=" in ln for ln in lines) == 3  # 'h', 'i', '\n' through the UART
    assert not (tmp_path / "-").exists()


LOOP_C = """
int main(void)
{
    volatile unsigned acc = 0;
    for (unsigned i = 0; i < 1000; i++)
        acc += i * 3;
    return acc & 0x7f;
}
"""


def test_source_lines_match_addr2line(tmp_path: Path) -> None:
    """pc -> file:line from the DWARF line programs, against GNU addr2line on every pc
    of the program that it places in a source file of ours."""
    from simulator.elfload import read_elf
    from simulator.srclines import LineTable

    (tmp_path / "loop.c").write_text(LOOP_C)
    assert chainrv("build", "loop.c", "-o", "loop.elf", "-g", "-O1", cwd=tmp_path).returncode == 0
    elf = read_elf(tmp_path / "loop.elf", 0x80000000, 1 << 20)
    table = LineTable.from_elf(elf.data)
    assert table is not None
    addr, data, _ = elf.segments[0]
    pcs = list(range(addr, addr + len(data), 4))[:400]
    a2l = shutil.which("riscv64-unknown-elf-addr2line")
    if a2l is None:
        pytest.skip("no riscv64-unknown-elf-addr2line")
    out = subprocess.run([a2l, "-e", str(tmp_path / "loop.elf"), *(hex(pc) for pc in pcs)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    checked = 0
    for pc, ref in zip(pcs, out, strict=True):
        file, _, line = ref.rpartition(":")
        line = line.split()[0]
        if file.endswith(("loop.c", "runtime.c", "crt0.S")) and line.isdigit() and line != "0":
            assert table.find(pc) == f"{Path(file).name}:{line}", hex(pc)
            checked += 1
    assert checked >= 20


def test_profile_lines(tmp_path: Path) -> None:
    """--profile-lines: cycles per source line, adding up to the run's; the trace names
    each instruction's line; an ELF without line information is a one-line error."""
    import re

    (tmp_path / "loop.c").write_text(LOOP_C)
    assert chainrv("build", "loop.c", "-o", "loop.elf", "-g", "-O1", cwd=tmp_path).returncode == 0
    p = chainrv("run", "loop.elf", "--profile-lines", "--stats", cwd=tmp_path)
    assert p.returncode == (sum(i * 3 for i in range(1000)) & 0x7F), p.stderr
    cycles = int(re.search(r"\bcycles=(\d+)", p.stderr).group(1))
    rows = [re.match(r"^(.*?)\s+(\d+)\s+[\d.]+\s+(\d+)\b", ln) for ln in p.stderr.splitlines()]
    rows = [(m.group(1), int(m.group(2))) for m in rows if m]
    assert rows[-1] == ("total", cycles)
    assert sum(n for _, n in rows[:-1]) == cycles
    # the loop's body and test (lines 5 to 6) hold most of the cycles
    assert rows[0][0] in ("loop.c:5", "loop.c:6") and rows[0][1] > cycles // 4
    assert chainrv("run", "loop.elf", "--trace", "t.txt", cwd=tmp_path).returncode == p.returncode
    trace = (tmp_path / "t.txt").read_text()
    assert re.search(r" loop\.c:[56] ", trace)
    both = chainrv("run", "loop.elf", "--trace", "t.txt", "--profile", cwd=tmp_path)
    assert "--trace" in one_line_error(both)
    (tmp_path / "plain.c").write_text("int main(void) { return 0; }\n")
    assert chainrv("build", "plain.c", "-o", "plain.elf", "--ldflags=-Wl,--strip-debug",
                   cwd=tmp_path).returncode == 0
    assert "-g" in one_line_error(chainrv("run", "plain.elf", "--profile-lines", cwd=tmp_path))


def test_input_as_data_or_as_a_whole_block(tmp_path: Path) -> None:
    """The block file QEMU's loader takes and the bare data give the same run."""
    import hashlib
    import random
    import struct

    from chainrv.kernels import all_kernels

    elf = all_kernels()["sha256"].build("rv32im")
    data = random.Random(3).randbytes(1000)
    (tmp_path / "data.bin").write_bytes(data)
    (tmp_path / "block.bin").write_bytes(struct.pack("<II", 0x49565243, len(data)) + data)
    want = hashlib.sha256(data).hexdigest() + "\n"
    for name in ("data.bin", "block.bin"):
        p = chainrv("run", str(elf), "--input", name, cwd=tmp_path)
        assert (p.returncode, p.stdout) == (0, want), (name, p.stderr)
    # a length that is not the rest of the file: the whole file is data
    odd = struct.pack("<II", 0x49565243, len(data) + 1) + data
    (tmp_path / "odd.bin").write_bytes(odd)
    p = chainrv("run", str(elf), "--input", "odd.bin", cwd=tmp_path)
    assert p.stdout == hashlib.sha256(odd).hexdigest() + "\n"
