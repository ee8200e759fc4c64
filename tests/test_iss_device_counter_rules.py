"""ISS rules that the RTL lockstep exposed, checked against values written
from the specifications (docs/timing.md, the privileged spec, ns16550a)."""

from __future__ import annotations

from isa.asm import assemble
from isa.elfwriter import make_elf
from simulator import Machine

FIN = "lui t0, 0x100\nlui t1, 0x5\naddi t1, t1, 0x555\nsw t1, 0(t0)\n"


def run(tmp_path, body: str) -> Machine:
    elf = tmp_path / "t.elf"
    elf.write_bytes(make_elf([(0x80000000, assemble(body + FIN))], 0x80000000))
    m = Machine()
    m.load_elf(elf)
    res = m.run(max_instructions=10_000)
    assert res.exit_code == 0, res.trap
    return m


def test_wide_uart_reads_cover_lsr(tmp_path) -> None:
    # byte registers at +4 (MCR, reads 0) and +5 (LSR, 0x60): a halfword or word
    # read at +4 returns both bytes, as QEMU's byte-wide serial does
    m = run(tmp_path, "lui t2, 0x10000\nlh a0, 4(t2)\nlw a1, 4(t2)\nlbu a2, 5(t2)\nlw a3, 0(t2)\n")
    assert (m.reg(10), m.reg(11), m.reg(12), m.reg(13)) == (0x6000, 0x6000, 0x60, 0)


def test_mtimecmp_keeps_its_low_word_while_high_is_all_ones(tmp_path) -> None:
    # the usual 32-bit update: high word all ones, then the low word, then the high word
    m = run(tmp_path, """
        li t2, 0x02004000
        li t1, -1
        sw t1, 4(t2)
        li t1, 0x1234
        sw t1, 0(t2)
        lw a0, 0(t2)
        lw a1, 4(t2)
        sw zero, 4(t2)
        lw a2, 0(t2)
        lw a3, 4(t2)
    """)
    assert (m.reg(10), m.reg(11), m.reg(12), m.reg(13)) == (0x1234, 0xFFFFFFFF, 0x1234, 0)


def test_wfi_wakes_at_the_written_mtimecmp(tmp_path) -> None:
    m = run(tmp_path, """
        li t2, 0x02004000
        li t1, -1
        sw t1, 4(t2)
        li t1, 200
        sw t1, 0(t2)
        sw zero, 4(t2)
        li t1, 0x80
        csrw mie, t1
        wfi
        csrr a0, mcycle
    """)
    # docs/timing.md: mtime equals mcycle; the wfi waits in EX until mip & mie, i.e. up to
    # cycle 200 (mtime = mtimecmp), and the csrr is in EX the cycle after: it reads 201
    assert m.reg(10) == 201


def test_mcycle_write_replaces_the_increment(tmp_path) -> None:
    # privileged spec: a CSR write that a counter would otherwise increment is
    # done instead of the increment, so the next instruction reads the value
    m = run(tmp_path, "li t1, 1000\ncsrw mcycle, t1\ncsrr a0, mcycle\nnop\ncsrr a1, mcycle\n")
    assert (m.reg(10), m.reg(11)) == (1000, 1002)


def test_mcycleh_write_leaves_the_low_half_counting(tmp_path) -> None:
    # a non-zero high half (mcycleh is 0 after reset, so writing 0 would show nothing)
    m = run(tmp_path, "li t1, 5\ncsrr a0, mcycle\ncsrw mcycleh, t1\ncsrr a1, mcycle\ncsrr a2, mcycleh\n")
    assert m.reg(11) == m.reg(10) + 2 and m.reg(12) == 5
