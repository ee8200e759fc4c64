"""Firmware runtime and intrinsics, checked on QEMU (the independent reference).

Programs are built with ``chainrv build`` (the toolchain API), run on
``qemu-system-riscv32 -M virt``; intrinsic results are compared with the
golden functions of ``isa.semantics``.
"""

from __future__ import annotations

import random
import shutil
import struct
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from qemu import have_qemu, run_qemu

from chainrv.toolchain import GCC, build_elf
from isa import semantics as sem
from isa.memmap import INPUT_ADDR, INPUT_MAGIC, RAM_BASE, input_block

pytestmark = [
    pytest.mark.qemu,
    pytest.mark.skipif(shutil.which(GCC) is None, reason="no RISC-V GCC"),
    pytest.mark.skipif(not have_qemu(), reason="no qemu-system-riscv32"),
]

FULL = "rv32im_zicsr_zk_zks"


def build(tmp_path: Path, source: str, isa: str = "rv32im", **kw) -> Path:
    src = tmp_path / "prog.c"
    src.write_text(source)
    return build_elf([src], tmp_path / "prog.elf", isa=isa, **kw)


HELLO = r"""
#include <stdio.h>
#include <string.h>

static const char greeting[] = "chainrv";
char copy[32];          /* .bss */
int answer = 42;        /* .data */

int main(void)
{
    memcpy(copy, greeting, sizeof greeting);
    printf("%s len=%u cmp=%d answer=%d\n", copy, (unsigned)strlen(copy),
           strcmp(copy, "chainrv") == 0, answer);
    puts("line");
    putchar('x');
    putchar('\n');
    return 7;
}
"""


def test_printf_string_and_exit_code(tmp_path: Path) -> None:
    elf = build(tmp_path, HELLO)
    r = run_qemu(elf, "rv32im")
    assert r.text == "chainrv len=7 cmp=1 answer=42\nline\nx\n"
    assert r.status == 7


def test_elf_layout(tmp_path: Path) -> None:
    elf = build(tmp_path, HELLO, isa=FULL)
    with open(elf, "rb") as f:
        e = ELFFile(f)
        assert e.elfclass == 32 and e["e_machine"] == "EM_RISCV"
        assert e["e_entry"] == RAM_BASE
        for seg in e.iter_segments():
            if seg["p_type"] == "PT_LOAD":
                end = seg["p_vaddr"] + seg["p_memsz"]
                assert RAM_BASE <= seg["p_vaddr"] and end <= INPUT_ADDR


EXIT_PATHS = r"""
#include <stdio.h>
#include <stdlib.h>
#include "chainrv.h"
static void flush_note(void) { printf("atexit ran\n"); }
int main(void)
{
    atexit(flush_note);
#if MODE == 0
    return 0;
#elif MODE == 1
    exit(3);
#else
    crv_puts("direct");
    crv_exit(200);
#endif
}
"""


@pytest.mark.parametrize(("mode", "text", "status"), [
    (0, "atexit ran\n", 0),
    (1, "atexit ran\n", 3),
    (2, "direct", 200),   # crv_exit writes the finisher at once: no atexit
])
def test_exit_paths(tmp_path: Path, mode: int, text: str, status: int) -> None:
    elf = build(tmp_path, EXIT_PATHS, defines=[f"MODE={mode}"])
    r = run_qemu(elf, "rv32im")
    assert (r.text, r.status) == (text, status)


PRINT_HELPERS = r"""
#include "chainrv.h"
int main(void)
{
    static const unsigned char b[] = {0x00, 0x0f, 0xa5, 0xff, 0x10};
    crv_print_hex(b, sizeof b); crv_putc('|');
    crv_print_u32(0); crv_putc('|');
    crv_print_u32(4294967295u); crv_putc('|');
    crv_print_u32(1234567); crv_puts("|end");
    return 0;
}
"""


def test_print_helpers(tmp_path: Path) -> None:
    r = run_qemu(build(tmp_path, PRINT_HELPERS), "rv32im")
    assert r.text == "000fa5ff10|0|4294967295|1234567|end"
    assert r.status == 0


# ---------------------------------------------------------------- intrinsics
UNARY = ["brev8", "rev8", "zip", "unzip", "sha256sum0", "sha256sum1", "sha256sig0", "sha256sig1",
         "sm3p0", "sm3p1"]
BINARY = ["ror", "rol", "andn", "orn", "xnor", "pack", "packh", "clmul", "clmulh", "xperm4", "xperm8",
          "sha512sum0r", "sha512sum1r", "sha512sig0l", "sha512sig0h", "sha512sig1l", "sha512sig1h"]
BYTE_SELECT = ["aes32esi", "aes32esmi", "aes32dsi", "aes32dsmi", "sm4ed", "sm4ks"]
RORI_AMOUNTS = [0, 1, 7, 16, 31]


def _golden(name: str):
    return getattr(sem, name, None) or getattr(sem, name + "_")


def _intrinsics_program(pairs: list[tuple[int, int]]) -> str:
    lines = ["#include <stdio.h>", '#include "chainrv_crypto.h"',
             "static volatile uint32_t A[] = {" + ", ".join(f"{a:#x}u" for a, _ in pairs) + "};",
             "static volatile uint32_t B[] = {" + ", ".join(f"{b:#x}u" for _, b in pairs) + "};",
             "#define P(n, v) printf(\"%s %u %08lx\\n\", n, i, (unsigned long)(v))",
             "int main(void) {", f"  for (unsigned i = 0; i < {len(pairs)}; i++) {{",
             "    uint32_t a = A[i], b = B[i];"]
    lines += [f'    P("{n}", crv_{n}(a));' for n in UNARY]
    lines += [f'    P("{n}", crv_{n}(a, b));' for n in BINARY]
    lines += [f'    P("rori{k}", crv_rori(a, {k}));' for k in RORI_AMOUNTS]
    lines += [f'    P("{n}{bs}", crv_{n}(a, b, {bs}));' for n in BYTE_SELECT for bs in range(4)]
    lines += ["  }", "  return 0;", "}"]
    return "\n".join(lines) + "\n"


def _expected(pairs: list[tuple[int, int]]) -> str:
    out = []
    for i, (a, b) in enumerate(pairs):
        rows = [(n, _golden(n)(a, 0, 0, 0)) for n in UNARY]
        rows += [(n, _golden(n)(a, b, 0, 0)) for n in BINARY]
        rows += [(f"rori{k}", sem.rori(a, 0, k, 0)) for k in RORI_AMOUNTS]
        rows += [(f"{n}{bs}", _golden(n)(a, b, bs, 0)) for n in BYTE_SELECT for bs in range(4)]
        out += [f"{name} {i} {v:08x}\n" for name, v in rows]
    return "".join(out)


@pytest.mark.parametrize("opt", ["0", "2"])
def test_every_intrinsic_matches_golden(tmp_path: Path, opt: str) -> None:
    rng = random.Random(20240501)
    pairs = [(0, 0), (0xFFFFFFFF, 0xFFFFFFFF), (0x12345678, 0x9ABCDEF0), (0x80000001, 31)]
    pairs += [(rng.getrandbits(32), rng.getrandbits(32)) for _ in range(8)]
    elf = build(tmp_path, _intrinsics_program(pairs), isa=FULL, opt=opt)
    r = run_qemu(elf, FULL)
    assert r.status == 0
    assert r.text == _expected(pairs)


def test_crypto_header_harmless_in_rv32im(tmp_path: Path) -> None:
    src = ('#include "chainrv_crypto.h"\n#include <stdio.h>\nint main(void) {\n'
           "#ifdef __riscv_zbkb\n  puts(\"zbkb\");\n#else\n  puts(\"base\");\n#endif\n  return 0;\n}\n")
    assert run_qemu(build(tmp_path, src, isa="rv32im"), "rv32im").text == "base\n"
    assert run_qemu(build(tmp_path, src, isa="rv32im_zbkb"), "rv32im_zbkb").text == "zbkb\n"


# ---------------------------------------------------------------- input block
INPUT_PROG = r"""
#include "chainrv.h"
int main(void)
{
    uint32_t n = 12345;
    const uint8_t *p = crv_input(&n);
    if (!p) { crv_puts("none "); crv_print_u32(n); crv_putc('\n'); return 0; }
    crv_print_u32(n); crv_putc(' ');
    crv_print_hex(p, n); crv_putc('\n');
    return (int)((uintptr_t)p == CRV_INPUT_ADDR + 8);
}
"""


def test_input_block(tmp_path: Path) -> None:
    elf = build(tmp_path, INPUT_PROG)
    assert run_qemu(elf, "rv32im").text == "none 0\n"
    data = random.Random(5).randbytes(300)
    blob = tmp_path / "in.bin"
    blob.write_bytes(input_block(data))
    r = run_qemu(elf, "rv32im", input_file=blob)
    assert r.text == f"{len(data)} {data.hex()}\n"
    assert r.status == 1
    blob.write_bytes(struct.pack("<II", INPUT_MAGIC ^ 1, 4) + b"abcd")   # wrong magic
    assert run_qemu(elf, "rv32im", input_file=blob).text == "none 0\n"


# ---------------------------------------------------------------- counters
COUNTERS = r"""
#include <stdio.h>
#include "chainrv.h"
static volatile uint32_t sink;
int main(void)
{
    uint32_t c0 = crv_rdcycle(), i0 = crv_rdinstret();
    uint64_t c64 = crv_rdcycle64(), i64 = crv_rdinstret64(), t64 = crv_rdtime64();
    for (uint32_t k = 0; k < 2000000; k++) sink += k;
    uint64_t t_mmio = *(volatile uint64_t *)CRV_MTIME;
    uint64_t t64b = crv_rdtime64();
    uint64_t c64b = crv_rdcycle64(), i64b = crv_rdinstret64();
    uint32_t c1 = crv_rdcycle(), i1 = crv_rdinstret();
    printf("%d %d %d %d %d %d\n", c1 - c0 > 0, i1 - i0 > 0, c64b > c64, i64b > i64,
           t64b > t64, t64 <= t_mmio && t_mmio <= t64b);
    return 0;
}
"""


def test_counters_increase(tmp_path: Path) -> None:
    r = run_qemu(build(tmp_path, COUNTERS), "rv32im")
    assert (r.text, r.status) == ("1 1 1 1 1 1\n", 0)


def test_default_trap_handler_is_opt_in(tmp_path: Path) -> None:
    src = r"""
#include "chainrv.h"
extern void crv_default_trap(void);
int main(void)
{
    __asm__ volatile ("csrw mtvec, %0" :: "r"(crv_default_trap));
    __asm__ volatile (".word 0");   /* illegal instruction */
    return 0;
}
"""
    r = run_qemu(build(tmp_path, src), "rv32im")
    assert r.status == 3
    assert "trap: mcause=0x00000002" in r.text


BSS_PROG = r"""
#include "chainrv.h"
volatile uint32_t zeroes[256];               /* .bss; volatile: really read */
int main(void)
{
    uint32_t acc = 0;
    for (unsigned i = 0; i < 256; i++)
        acc |= zeroes[i];
    crv_print_u32(acc);
    return 0;
}
"""


def test_crt0_clears_bss(tmp_path: Path) -> None:
    """RAM pre-filled with garbage (QEMU loader device) must read as zero in .bss."""
    import subprocess

    from qemu import QEMU, cpu_flags

    elf = build(tmp_path, BSS_PROG)
    with open(elf, "rb") as f:
        syms = ELFFile(f).get_section_by_name(".symtab")
        start = syms.get_symbol_by_name("__bss_start")[0]["st_value"]
        end = syms.get_symbol_by_name("__bss_end")[0]["st_value"]
    assert end - start >= 1024
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\xa5" * (end - start))
    cmd = [QEMU, "-M", "virt", "-bios", "none", "-nographic", "-monitor", "none", "-serial", "stdio",
           "-cpu", cpu_flags("rv32im"), "-kernel", str(elf),
           "-device", f"loader,file={junk},addr={start:#x},force-raw=on"]
    p = subprocess.run(cmd, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert (p.stdout, p.returncode) == (b"0", 0)
