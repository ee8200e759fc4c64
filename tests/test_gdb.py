"""``chainrv run --gdb``: the real gdb-multiarch (batch mode) against the ISS.

References: a Python model of the debugged C program (its arguments, locals,
memory and exit code), QEMU's own gdb stub running the same gdb script on the
same ELF, binutils ``nm`` for symbol addresses, and the RSP specification for
the interrupt packet.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from isa.asm import assemble
from isa.elfwriter import make_elf

GDB = shutil.which("gdb-multiarch")
QEMU = shutil.which("qemu-system-riscv32")
NM = shutil.which("riscv64-unknown-elf-nm")
TIMEOUT = 120

pytestmark = pytest.mark.skipif(GDB is None or shutil.which("riscv64-unknown-elf-gcc") is None,
                                reason="needs gdb-multiarch and the RISC-V toolchain")

PROG = r"""
#include <stdint.h>
#include "chainrv.h"

volatile uint32_t counter;
uint32_t table[8];

__attribute__((noinline)) uint32_t mix(uint32_t x, uint32_t k)
{
    uint32_t acc = x * 2654435761u;
    acc ^= k;
    table[k & 7] = acc;
    counter = counter + 1;
    return acc;
}

int main(void)
{
    uint32_t s = 7;
    for (uint32_t i = 0; i < 5; i++)
        s = mix(s, i);
    crv_puts("done\n");
    return (int)(s & 0x3f);
}
"""


def model() -> tuple[list[int], int]:
    """The program's table after all calls, and its exit code."""
    table = [0] * 8
    s = 7
    for i in range(5):
        s = ((s * 2654435761) & 0xFFFFFFFF) ^ i
        table[i & 7] = s
    return table, s & 0x3F


def chainrv_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "chainrv.cli", *args]


@pytest.fixture(scope="module")
def prog(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("gdbprog")
    (d / "prog.c").write_text(PROG)
    elf = d / "prog.elf"
    subprocess.run(chainrv_cmd("build", str(d / "prog.c"), "-o", str(elf), "-g", "-O1"),
                   check=True, capture_output=True, timeout=TIMEOUT)
    return elf


def start_iss(elf: Path, *extra: str) -> tuple[subprocess.Popen, int]:
    """``chainrv run --gdb 0 --gdb-wait``; returns the process and the port it announced."""
    p = subprocess.Popen(chainrv_cmd("run", str(elf), "--gdb", "0", *extra), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    assert p.stderr is not None
    line = p.stderr.readline()
    m = re.search(r"localhost:(\d+)", line)
    if not m:
        p.kill()
        pytest.fail(f"no port announced: {line!r}")
    return p, int(m.group(1))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_gdb(elf: Path, port: int, commands: list[str]) -> str:
    cmd = [GDB, "-batch", "-nx", "-ex", "set architecture riscv:rv32", "-ex", "set confirm off",
           "-ex", f"target remote localhost:{port}"]
    for c in commands:
        cmd += ["-ex", c]
    cmd.append(str(elf))
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    return r.stdout + r.stderr


def finish(p: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = p.communicate(timeout=TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
    return p.returncode, out, err


SESSION = [
    "break mix", "continue",
    "echo @@regs\\n", "info registers pc ra sp gp a0 a1",
    "echo @@args\\n", "p x", "p k",
    "next", "next",
    "echo @@local\\n", "p acc",
    "echo @@stepi\\n", "stepi", "p $pc != mix",
    "delete", "watch counter", "continue", "continue",
    "echo @@watch\\n", "p counter", "delete",
    "echo @@mem\\n", "x/8wx &table",
    "echo @@csr\\n", "p/x $mstatus",
    "continue",
]


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"@@(\w+)\n", text)
    return {parts[k]: parts[k + 1] for k in range(1, len(parts) - 1, 2)}


def test_session_against_model(prog: Path) -> None:
    p, port = start_iss(prog, "--gdb-wait")
    try:
        text = run_gdb(prog, port, SESSION)
    finally:
        status, out, err = finish(p)
    table, code = model()
    s = sections(text)
    assert "Breakpoint 1, mix (x=x@entry=7, k=k@entry=0)" in text, text
    assert re.search(r"\$\d+ = 7\n\$\d+ = 0\n", s["args"]), text
    assert re.search(rf"\$\d+ = {(7 * 2654435761) & 0xFFFFFFFF}\n", s["local"]), text
    assert re.search(r"\$\d+ = 1\n", s["stepi"]), text   # stepi moved the pc
    # two write-watch hits after the breakpoint's call: counter went 0 -> 1 -> 2
    assert "Old value = 0\nNew value = 1" in text and "Old value = 1\nNew value = 2" in text, text
    assert re.search(r"\$\d+ = 2\n", s["watch"]), text
    words = [int(w, 16) for w in re.findall(r"\t0x([0-9a-f]{8})", s["mem"])]
    assert words == table[:2] + [0] * 6, text
    assert re.search(r"\$\d+ = 0x1800\n", s["csr"]), text   # mstatus at reset: MPP = M
    assert re.search(rf"exited with code 0*{code:o}\]", text), text   # gdb prints octal
    assert status == code and out == "done\n", (status, out, err)


@pytest.mark.skipif(QEMU is None, reason="needs qemu-system-riscv32")
def test_session_matches_qemu(prog: Path) -> None:
    """The same gdb script on QEMU's gdb stub: same registers, values, memory."""
    p, port = start_iss(prog, "--gdb-wait")
    try:
        iss = sections(run_gdb(prog, port, SESSION))
    finally:
        finish(p)
    qport = free_port()
    q = subprocess.Popen([QEMU, "-M", "virt", "-bios", "none", "-nographic", "-monitor", "none",
                          "-serial", "stdio", "-kernel", str(prog), "-gdb", f"tcp:127.0.0.1:{qport}", "-S"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", qport), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        # the probe connection above is gone; QEMU accepts the next one
        ref = sections(run_gdb(prog, qport, SESSION))
    finally:
        q.kill()
        q.communicate()
    for key in ("regs", "args", "local", "stepi", "watch", "mem"):
        assert iss[key] == ref[key], (key, iss[key], ref[key])


def test_detach_runs_to_completion(prog: Path) -> None:
    p, port = start_iss(prog, "--gdb-wait")
    try:
        text = run_gdb(prog, port, ["break main", "continue", "detach"])
    finally:
        status, out, err = finish(p)
    assert "Breakpoint 1, main" in text, text
    assert status == model()[1] and out == "done\n", (status, out, err)


def test_kill_reports_state(prog: Path) -> None:
    p, port = start_iss(prog, "--gdb-wait")
    try:
        text = run_gdb(prog, port, ["break mix", "continue", "kill"])
    finally:
        status, out, err = finish(p)
    nm = subprocess.run([NM or "nm", str(prog)], capture_output=True, text=True, check=True).stdout
    mix = int(next(ln.split()[0] for ln in nm.splitlines() if ln.endswith(" mix")), 16)
    assert "Breakpoint 1, mix" in text, text
    assert status == 0 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"chainrv: gdb killed the run at pc {mix:#010x}"), err


def test_runs_without_waiting(prog: Path) -> None:
    """Without --gdb-wait the program runs at once; with no gdb it just ends."""
    r = subprocess.run(chainrv_cmd("run", str(prog), "--gdb", "0"), capture_output=True, text=True,
                       timeout=TIMEOUT, check=False)
    assert r.returncode == model()[1] and r.stdout == "done\n"


def _packet(payload: bytes) -> bytes:
    return b"$" + payload + b"#" + b"%02x" % (sum(payload) & 0xFF)


def _recv_packet(c: socket.socket) -> bytes:
    buf = b""
    while True:
        m = re.search(rb"\$([^#]*)#[0-9a-fA-F]{2}", buf)
        if m:
            return m.group(1)
        data = c.recv(4096)
        assert data, "connection closed"
        buf += data


def test_interrupt_and_disconnect(tmp_path: Path) -> None:
    """Ctrl-C (0x03) stops an endless loop with SIGINT (T02); EOF ends the run."""
    elf = tmp_path / "spin.elf"
    elf.write_bytes(make_elf([(0x80000000, assemble("loop:\n addi a0, a0, 1\n j loop\n"))], 0x80000000))
    p, port = start_iss(elf, "--gdb-wait")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as c:
            c.sendall(_packet(b"c"))
            time.sleep(0.5)
            c.sendall(b"\x03")
            assert _recv_packet(c).startswith(b"T02")
            c.sendall(b"+" + _packet(b"p20"))   # pc: inside the two-instruction loop
            pc = int.from_bytes(bytes.fromhex(_recv_packet(c).decode()), "little")
            assert pc in (0x80000000, 0x80000004)
    finally:
        status, out, err = finish(p)
    assert status == 0 and "chainrv: gdb disconnected at pc 0x8000000" in err, err


def test_port_in_use(prog: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = subprocess.run(chainrv_cmd("run", str(prog), "--gdb", str(port)), capture_output=True, text=True,
                           timeout=TIMEOUT, check=False)
    assert r.returncode == 2
    assert r.stderr == f"chainrv: cannot listen on port {port}: address already in use\n"


@pytest.mark.parametrize("args", [["--gdb", "70000"], ["--gdb", "x"], ["--gdb-wait"]])
def test_bad_gdb_options(prog: Path, args: list[str]) -> None:
    r = subprocess.run(chainrv_cmd("run", str(prog), *args), capture_output=True, text=True,
                       timeout=TIMEOUT, check=False)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and r.stderr.startswith("chainrv: ")


def test_symbolic_and_filtered_trace(prog: Path, tmp_path: Path) -> None:
    nm = subprocess.run([NM or "nm", "-S", str(prog)], capture_output=True, text=True, check=True).stdout
    addr, size = next((int(a, 16), int(n, 16)) for a, n, _, name in
                      (ln.split() for ln in nm.splitlines() if len(ln.split()) == 4) if name == "mix")
    full, only = tmp_path / "full.txt", tmp_path / "only.txt"
    subprocess.run(chainrv_cmd("run", str(prog), "--trace", str(full)), capture_output=True, timeout=TIMEOUT)
    lines = full.read_text().splitlines()
    at_mix = [ln for ln in lines if ln.split()[1] == f"{addr:08x}"]
    assert len(at_mix) == 5 and all("<mix+0x0>" in ln for ln in at_mix)
    subprocess.run(chainrv_cmd("run", str(prog), "--trace", str(full), "--trace-only", "mix"),
                   capture_output=True, timeout=TIMEOUT)
    subprocess.run(chainrv_cmd("run", str(prog), "--trace", str(only), "--trace-only",
                               f"{addr:#x}:{addr + size:#x}"), capture_output=True, timeout=TIMEOUT)
    expect = [ln for ln in lines if addr <= int(ln.split()[1], 16) < addr + size]
    assert expect and full.read_text().splitlines() == expect == only.read_text().splitlines()
    for ln in expect:
        off = int(ln.split()[1], 16) - addr
        assert f"<mix+{off:#x}>" in ln


def test_read_and_access_watchpoints(prog: Path) -> None:
    p, port = start_iss(prog, "--gdb-wait")
    try:
        text = run_gdb(prog, port, ["break main", "continue", "rwatch counter", "continue", "delete",
                                    "awatch table[1]", "continue", "continue"])
    finally:
        status, out, err = finish(p)
    table, code = model()
    # `counter = counter + 1` reads counter (0 on the first call) before writing it
    assert "Hardware read watchpoint 2: counter\n\nValue = 0\n" in text, text
    # the only access to table[1]: the second call's store
    assert f"Hardware access (read/write) watchpoint 3: table[1]\n\nOld value = 0\nNew value = {table[1]}\n" \
        in text, text
    assert status == code


# raw packets that once ended the run with a traceback; each must get an error reply
BAD_PACKETS = ["m", "pzz", "G1", "P1", "Z0,zz,4", "cxyz", "g}", "qXfer:features:read:target.xml:,10",
               "vCont;", "kxyz", "Dxyz"]


def test_malformed_packets_from_gdb(prog: Path) -> None:
    """gdb's `maint packet` sends each bad packet as it is; the stub answers each with an
    error and the session goes on: a breakpoint outside RAM is refused (gdb says so and
    does not run), one on `mix` hits with the right arguments, then kill; no traceback."""
    p, port = start_iss(prog, "--gdb-wait")
    try:
        text = run_gdb(prog, port, [f"maint packet {b}" for b in BAD_PACKETS]
                       + ["break *0", "continue", "delete 1", "break mix", "continue",
                          "echo @@args\\n", "p x", "kill"])
    finally:
        status, out, err = finish(p)
    assert re.findall(r'received: "([^"]*)"', text) == ["E01"] * 7 + ["E00"] + ["E01"] * 3, text
    assert "Cannot insert breakpoint 1.\nCannot access memory at address 0x0" in text, text
    assert "Breakpoint 2, mix (x=x@entry=7, k=k@entry=0)" in text, text
    assert re.search(r"\$\d+ = 7\n", sections(text)["args"]), text
    assert status == 0 and out == "" and "Traceback" not in err, err
    assert len(err.splitlines()) == 1 and err.startswith("chainrv: gdb killed the run at pc "), err
