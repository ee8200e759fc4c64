"""Directed programs for the lockstep regression: every hazard and timing rule
of docs/timing.md, the CSRs, traps, devices and the timer interrupt.

Each program is assembly text for ``isa.asm``; ``build(name, path)`` writes
it as an ELF that ends through the finisher. The programs do not check their
own results: the lockstep comparison does, record by record, against the ISS.
"""

from __future__ import annotations

import re
from pathlib import Path

from isa import encode
from isa.asm import assemble
from isa.elfwriter import make_elf

BASE = 0x8000_0000

PROLOGUE = """
    lui gp, 0x80080          # scratch RAM
    lui s1, 0x80090          # trap log
    la t0, handler
    csrw mtvec, t0
    li a0, 0x12345678
    li a1, -7
    li a2, 3
    li a3, 0x80000000
    li a4, -1
    sw a0, 0(gp)
    sw a1, 4(gp)
    sw a3, 8(gp)
    sw a4, 12(gp)
"""

FINISH = """
    lui t0, 0x100
    lui t1, 0x5
    addi t1, t1, 0x555
    sw t1, 0(t0)
spin:
    j spin
"""

# Logs mcause/mtval, skips the trapping instruction (a fetch fault returns to
# ra instead), and for the timer interrupt pushes mtimecmp out of reach.
HANDLER = """
handler:
    csrr t5, mcause
    sw t5, 0(s1)
    csrr t6, mtval
    sw t6, 4(s1)
    csrr t6, mepc
    sw t6, 8(s1)
    addi s1, s1, 12
    blt t5, zero, h_irq
    li t4, 1
    beq t5, t4, h_fetch
    addi t6, t6, 4
    csrw mepc, t6
    mret
h_fetch:
    csrw mepc, ra
    mret
h_irq:
    li t4, 0x02004004
    li t3, -1
    sw t3, 0(t4)
    addi s2, s2, 1
    mret
"""

FILLER = "    xor s9, s10, s11\n"      # touches none of the registers under test


def _forwarding() -> str:
    producers = {
        "alu": "add t1, a0, a2",
        "lui": "lui t1, 0xABCDE",
        "mul": "mul t1, a0, a1",
        "csr": "csrrw t1, mscratch, a0",
        "load": "lw t1, 4(gp)",          # distance 1 is the load-use case
        "shift": "sll t1, a0, a2",
    }
    consumers = (
        "add t2, t1, a2", "sub t2, a2, t1", "add t2, t1, t1", "sw t1, 16(gp)", "sw a0, 20(gp)",
        "beq t1, a2, .+8", "bne a2, t1, .+8", "xor t2, t1, zero", "csrrw t2, mscratch, t1",
    )
    out = []
    for prod in producers.values():
        for consumer in consumers:
            for distance in (1, 2, 3):
                addr_form = consumer.startswith("sw a0")
                p = prod.replace("t1", "t3") if addr_form else prod
                out.append(f"    {p}\n" + FILLER * (distance - 1))
                if addr_form:      # the store's address register comes from the producer
                    out.append("    andi t3, t3, 0x7c\n    add t3, t3, gp\n    sw a0, 16(t3)\n")
                else:
                    out.append(f"    {consumer}\n")
                    if consumer.startswith(("beq", "bne")):
                        out.append("    nop\n")
    # chains: every instruction needs the one before it (EX->EX each cycle)
    out.append("    add t1, a0, a1\n    add t1, t1, t1\n    xor t1, t1, a0\n    sub t1, a2, t1\n"
               "    mul t1, t1, t1\n    srai t1, t1, 3\n    sw t1, 24(gp)\n    lw t2, 24(gp)\n"
               "    lw t3, 0(gp)\n    add t4, t2, t3\n")
    # the same register written twice in a row: the younger value wins
    out.append("    li t1, 1\n    li t1, 2\n    add t2, t1, t1\n    lw t1, 0(gp)\n    li t1, 5\n"
               "    add t2, t1, t1\n    li t1, 6\n    lw t1, 4(gp)\n    add t2, t1, t1\n")
    return "".join(out)


def _load_use() -> str:
    out = []
    for load in ("lw t2, 4(gp)", "lh t2, 6(gp)", "lhu t2, 6(gp)", "lb t2, 7(gp)", "lbu t2, 7(gp)"):
        for use in ("add t3, t2, a0", "add t3, a0, t2", "add t3, t2, t2", "sw t2, 32(gp)",
                    "beq t2, zero, .+8", "csrrw t3, mscratch, t2", "mul t3, t2, a1", "div t3, a0, t2",
                    "srl t3, a0, t2", "sltu t3, t2, a0"):
            out.append(f"    {load}\n    {use}\n")
            if use.startswith("beq"):
                out.append("    nop\n")
    out.append("""
    lw t2, 8(gp)
    lw t3, 0(t2)             # base register from the load (t2 = 0x80000000: the first code word)
    lw t2, 0(gp)
    andi t2, t2, 0           # rd = rs1
    lw zero, 0(gp)
    add t3, zero, zero       # x0 never stalls
    lw t2, 0(gp)
    addi t3, t1, 7           # imm bits 24:20 = 7 = t2: an unused rs2 field
    lw t2, 0(gp)
    slli t3, t1, 7           # shamt 7 in the rs2 field
    lw t2, 0(gp)
    lui t3, 0x738            # rs1 and rs2 fields both 7
    lw t2, 0(gp)
    auipc t3, 0x738
    lw t2, 0(gp)
    csrrwi t3, mscratch, 7   # zimm 7 in the rs1 field
    lw t2, 0(gp)
    jal t3, .+4
    lw t2, 0(gp)
    add t2, t2, t2           # rd = rs = the loaded register
    lw t2, 0(gp)
    nop
    add t3, t2, a0           # one instruction later: no stall
    lw t2, 0(gp)
    lw t3, 4(gp)
    add t4, t2, t3           # the second load's use, the first one's two later
""")
    return "".join(out)


BRANCHES = """
    li t1, 5
    li t2, -5
""" + "".join(f"""
    {b} t1, t2, .+12
    addi s3, s3, 1
    addi s3, s3, 2
    {b} t2, t1, .+12
    addi s3, s3, 4
    addi s3, s3, 8
    {b} t1, t1, .+8
    addi s3, s3, 16
""" for b in ("beq", "bne", "blt", "bge", "bltu", "bgeu")) + """
    li t3, 5
loop1:
    addi t3, t3, -1
    bne t3, zero, loop1      # backward, taken four times
    beq zero, zero, .+4      # taken to the next instruction
    jal ra, sub1
    la t4, sub1
    jalr ra, 0(t4)           # jalr with a forwarded base
    jalr ra, 0(t4)
    addi t4, t4, 4
    lw t5, 0(gp)
    jalr ra, -4(t4)
    lw t5, 0(gp)
    beq t5, a0, .+8          # load-use into a taken branch
    nop
    j after_sub
sub1:
    addi s4, s4, 1
    ret
after_sub:
    jal zero, .+8
    addi s3, s3, 32
"""


DIVISION = """
    div t1, a0, a2
    add t2, t1, t1           # dependent, right after
    divu t1, a0, a2
    add t2, a0, a1           # independent
    rem t1, a1, a2
    remu t3, a1, a2          # back to back
    add t4, t3, t1
    div t1, a0, zero         # by zero
    rem t2, a0, zero
    div t1, a3, a4           # INT_MIN / -1
    rem t2, a3, a4
    lw t3, 4(gp)
    div t1, a0, t3           # load-use into a division
    div zero, a0, a2         # result to x0
    div t1, a0, a2
    sw t1, 40(gp)            # store its result
    div t1, a0, a2
    beq t1, zero, .+8        # branch on it
    bne t1, zero, .+8
    nop
    div t1, a0, a2
    csrr t2, mcycle          # counters after a division
    csrr t3, minstret
    li t5, 3
div_loop:
    divu t1, a0, t5
    addi t5, t5, -1
    bne t5, zero, div_loop
    div t1, a0, a2
    jal ra, .+4              # jump after a division
    mul t1, a0, a1
    mulh t2, a0, a1
    mulhsu t3, a1, a0
    mulhu t4, a1, a1
"""


CSRS = """
    csrr t1, mcycle
    csrr t2, cycle
    csrr t3, time
    csrr t4, minstret
    csrr t5, instret
    csrr t1, mcycleh
    csrr t2, cycleh
    csrr t3, timeh
    csrr t4, minstreth
    csrr t5, instreth
    li t1, 1000
    csrw mcycle, t1
    csrr t2, mcycle
    nop
    csrr t2, mcycle
    li t1, 77
    csrw minstret, t1
    csrr t2, minstret
    csrr t2, minstret
    csrw mcycleh, zero
    csrr t2, mcycleh
    csrrwi zero, mcycle, 5
    csrr t2, mcycle
    csrw minstreth, a2
    csrr t2, minstreth
    csrr t2, instreth
    csrw mscratch, a0
    csrrs t1, mscratch, a2
    csrrc t2, mscratch, a4
    csrrwi t3, mscratch, 21
    csrrsi t4, mscratch, 8
    csrrci t5, mscratch, 1
    csrr t1, mscratch
    csrr t1, misa
    csrr t2, mhartid
    csrr t3, mvendorid
    csrr t4, marchid
    csrr t5, mimpid
    csrr t1, mstatus
    csrr t2, mie
    csrr t3, mip
    csrr t4, mtvec
    li t1, 0x888
    csrw mie, t1
    csrr t2, mie
    csrw mie, zero
    csrw mepc, a1
    csrr t2, mepc
    csrw mcause, a0
    csrr t2, mcause
    csrw mtval, a0
    csrr t2, mtval
    lw t1, 0(gp)
    csrr t2, mcycle          # after a load-use-free load
    lw t1, 0(gp)
    csrrw t2, mscratch, t1   # load-use into a CSR write
    csrr t3, mscratch
"""


TRAPS = """
    ecall
    ebreak
    .word 0x00000000
    .word 0xffffffff
    csrr t1, 0x7c0           # no such CSR
    csrw cycle, a0           # read-only CSR
    csrrs t1, mhartid, a0    # read-only CSR, written
    csrrs t1, mhartid, zero  # read-only CSR, only read: fine
    lw t1, 1(gp)
    lw t1, 2(gp)
    lh t1, 3(gp)
    lhu t1, 1(gp)
    sw a0, 3(gp)
    sh a0, 1(gp)
    lb t1, 1(gp)             # byte accesses are never misaligned
    li t2, 0
    lw t1, 0(t2)             # access faults
    sw a0, 4(t2)
    li t2, 0x20000000
    lw t1, 0(t2)
    sb a0, 0(t2)
    li t2, 0x00100000        # the finisher: byte accesses fault, wider reads give 0
    lb t1, 0(t2)
    lbu t1, 1(t2)
    sb a0, 0(t2)
    lh t1, 0(t2)
    lw t1, 0(t2)
    lw t1, 8(t2)
    sw a0, 8(t2)             # not the exit register: ignored
    sh a2, 0(t2)             # not a finisher code: ignored
    la t2, t_target
    addi t2, t2, 2
    jalr ra, 0(t2)           # misaligned jump target
    beq zero, zero, .+6      # misaligned branch target, taken
    beq a0, zero, .+6        # not taken: no trap
    jal ra, .+10
    li t2, 0
    jalr ra, 0(t2)           # fetch access fault at 0 (the handler returns to ra)
    li t2, 0x80200000
    jalr ra, 0(t2)           # fetch beyond RAM
    lw t1, 0(gp)
    ecall                    # a trap right after a load (no use)
    lw t1, 0(gp)
    sw t1, 1(gp)             # load-use into a misaligned store
    div t1, a0, a2
    ecall                    # trap after a division
    la t1, after_mret
    csrw mepc, t1
    mret                     # plain mret: jumps to mepc
t_target:
    nop
after_mret:
    nop
"""


DEVICES = """
    li t2, 0x10000000        # UART
    lb t1, 5(t2)             # LSR
    lbu t1, 5(t2)
    lh t1, 4(t2)
    lhu t1, 4(t2)
    lw t1, 4(t2)
    lw t1, 0(t2)
    lb t1, 0(t2)
    lb t1, 6(t2)
    lw t1, 8(t2)
    li t3, 0x41
    sb t3, 0(t2)             # 'A'
    sw t3, 0(t2)
    sb t3, 1(t2)             # not THR: ignored
    li t2, 0x02000000        # CLINT
    li t4, 0xBFF8
    add t4, t4, t2
    lw t1, 0(t4)             # mtime
    lw t1, 4(t4)
    lh t1, 0(t4)
    lhu t1, 2(t4)
    lb t1, 1(t4)
    lbu t1, 4(t4)
    csrr t3, time
    li t4, 0x4000
    add t4, t4, t2
    lw t1, 0(t4)             # mtimecmp, never written
    lw t1, 4(t4)
    lb t1, 3(t4)
    lw t1, 8(t2)             # unmapped CLINT word
    li t4, 0xBFF8
    add t4, t4, t2
    li t1, 100000
    sw t1, 0(t4)             # mtime write, then reads
    lw t3, 0(t4)
    csrr t3, time
    csrr t5, mcycle
    sw zero, 4(t4)
    lw t3, 4(t4)
    sh a2, 2(t4)
    lw t3, 0(t4)
    sb a2, 1(t4)
    lw t3, 0(t4)
    csrr t3, time
    li t4, 0x4000
    add t4, t4, t2
    sw a0, 0(t4)             # mtimecmp: far in the future (high word first)
    lw t1, 0(t4)
    sh a2, 2(t4)
    lw t1, 0(t4)
    sb a2, 5(t4)
    lw t1, 4(t4)
    li t1, -1
    sw t1, 4(t4)
    sw t1, 0(t4)
"""


def arm_timer(k: int) -> str:
    """mtimecmp (at s6) set to mtime (at s5) + ``k``: high word all ones first, so the
    compare never passes halfway through."""
    return f"""
    li t1, -1
    sw t1, 4(s6)
    lw t1, 0(s5)
    addi t1, t1, {k}
    sw t1, 0(s6)
    sw zero, 4(s6)
"""


def _timer() -> str:
    body = ["""
    li s5, 0x0200BFF8        # mtime
    li s6, 0x02004000        # mtimecmp
    li t1, 0x80
    csrw mie, t1             # MTIE
    csrrsi zero, mstatus, 8         # MIE
"""]
    mix = """
    lw t2, 0(gp)
    add t3, t2, a0
    div t3, a0, a2
    beq t3, zero, .+8
    mul t4, t3, a1
    jal ra, .+8
    nop
    csrr t5, mcycle
    sw t4, 44(gp)
    lw t2, 4(gp)
    sw t2, 48(gp)
"""
    for k in range(0, 48, 1):
        body.append(arm_timer(k) + mix)
    body.append("""
    li t1, -1                # wfi with MIE set: the interrupt is taken
    sw t1, 4(s6)
    lw t1, 0(s5)
    addi t1, t1, 30
    sw t1, 0(s6)
    sw zero, 4(s6)
    wfi
    addi s7, s7, 1
    csrrci zero, mstatus, 8         # wfi with MIE clear: wakes without a trap
    li t1, -1
    sw t1, 4(s6)
    lw t1, 0(s5)
    addi t1, t1, 25
    sw t1, 0(s6)
    sw zero, 4(s6)
    wfi
    addi s7, s7, 1
    wfi                      # still pending: retires like a nop
    csrr t1, mip
    li t1, -1
    sw t1, 4(s6)
    csrr t1, mip
    csrrsi zero, mstatus, 8
    sw zero, 4(s6)           # pending at once: taken right after the store
    nop
    nop
    li t1, 100
    sw t1, 0(s5)             # a store to mtime moves the next interrupt
    li t1, 300
    sw t1, 0(s6)
    sw zero, 4(s6)
    li s8, 200
t_spin:
    addi s8, s8, -1
    bne s8, zero, t_spin
    li s3, 0x40000000        # where nothing is mapped
""")
    # the timer falling due around a jump there: the interrupt comes before the
    # instruction access fault of the fetch it interrupts (docs/hdl.md)
    for k in range(0, 12):
        body.append(arm_timer(k) + "    jalr ra, 0(s3)\n")
    body.append("""
    csrrci zero, mstatus, 8
    sw zero, 0(s6)           # pending, MIE clear ...
    sw zero, 4(s6)
    li t1, 0x80
    csrrs zero, mstatus, t1  # ... MPIE: mret turns MIE on as it jumps
    csrw mepc, s3
    la ra, t_after
    mret
t_after:
    csrrci zero, mstatus, 8
""")
    return "".join(body)


def _addi_a0(imm: int) -> int:
    return encode("addi", rd=10, rs1=10, imm=imm)


# Stores over code that has already run (and so is pre-decoded in the ISS):
# a word, an upper halfword and one byte, each followed by a jump into the
# changed code at once, and a word changed seven instructions ahead of
# straight-line execution. Each a0 is sent to the UART, so QEMU's output
# checks the ISS too (tests/test_iss_selfmod.py). Code that falls through into
# a word stored fewer than four slots earlier is outside the contract
# (docs/timing.md).
SELFMOD = f"""
    lui s4, 0x10000
    li a0, 0
    la s3, sm_fn
    jalr ra, 0(s3)           # a0 = 1
    sb a0, 0(s4)
    li t1, {_addi_a0(100):#x}
    sw t1, 0(s3)             # addi a0, a0, 100
    jalr ra, 0(s3)           # a0 = 101
    sb a0, 0(s4)
    li t1, {_addi_a0(-5) >> 16:#x}
    sh t1, 2(s3)             # upper half: addi a0, a0, -5
    jalr ra, 0(s3)           # a0 = 96
    sb a0, 0(s4)
    li t1, {_addi_a0(59) >> 24:#x}
    sb t1, 3(s3)             # top byte: addi a0, a0, 59
    jalr ra, 0(s3)           # a0 = 155
    sb a0, 0(s4)
    la t0, sm_ahead
    li t1, {_addi_a0(7):#x}
    sw t1, 0(t0)             # addi a0, a0, 7, seven slots ahead
    nop
    nop
    nop
    nop
    nop
    nop
sm_ahead:
    addi a0, a0, 1           # runs as a0 += 7: a0 = 162
    sb a0, 0(s4)
    j sm_end
sm_fn:
    addi a0, a0, 1
    ret
sm_end:
"""

#: a0 after each step of SELFMOD, as its UART bytes.
SELFMOD_UART = bytes([1, 101, 96, 155, 162])


def fencei_source() -> str:
    """SELFMOD with a fence.i (Zifencei) after every store into code, then a loop that
    rewrites one of its own instructions six times (the line stays in both caches, and
    dirty in a write-back D-cache): with caches only fence.i makes the stores reach the
    instruction side (docs/timing.md, "fence.i")."""
    body = re.sub(r"^(\s+s[bhw] t1, .*)$", r"\1\n    fence.i", SELFMOD, flags=re.M)
    loop = f"""
    li s5, 0
    li s6, 6
    la s7, fi_site
fi_loop:
    slli t1, s5, 20
    li t2, {_addi_a0(0):#x}
    or t1, t1, t2            # addi a0, a0, s5
    sw t1, 0(s7)
    fence.i
fi_site:
    nop
    addi s5, s5, 1
    bne s5, s6, fi_loop
    sb a0, 0(s4)             # 162 + 0 + 1 + ... + 5
"""
    return PROLOGUE + body + loop + FINISH + HANDLER


#: FENCEI's UART bytes.
FENCEI_UART = SELFMOD_UART + bytes([162 + sum(range(6))])
#: The ISA FENCEI needs (Zifencei).
FENCEI_ISA = "rv32im_zicsr_zifencei_zk_zks"


def build_fencei(path: Path) -> Path:
    path.write_bytes(make_elf([(BASE, assemble(fencei_source(), base=BASE))], BASE))
    return path


PROGRAMS: dict[str, str] = {
    "forwarding": _forwarding(),
    "load_use": _load_use(),
    "branches": BRANCHES,
    "division": DIVISION,
    "csrs": CSRS,
    "traps": TRAPS,
    "devices": DEVICES,
    "timer": _timer(),
    "selfmod": SELFMOD,
}


def source(name: str) -> str:
    return PROLOGUE + PROGRAMS[name] + FINISH + HANDLER


def build(name: str, path: Path) -> Path:
    """Assemble program ``name`` into an ELF at ``path``."""
    code = assemble(source(name), base=BASE)
    path.write_bytes(make_elf([(BASE, code)], BASE))
    return path


# Traps with no handler: mtvec keeps its reset value 0, so the run ends at the trap
# (chainrv run: exit status 3; the lockstep compares the records up to it). One program
# per cause of isa/csrs.py, each a few instructions before it.
_UNHANDLED_HEAD = """
    lui gp, 0x80080          # scratch RAM
    lui t0, 0x40000          # where nothing answers
    li a0, 0x12345678
"""
UNHANDLED: dict[str, str] = {
    "fetch_misaligned": "    la t1, far\n    jalr zero, 2(t1)\nfar:\n    nop\n",
    "fetch_fault": "    jalr zero, 0(t0)\n",
    "illegal": "    .word 0x00000000\n",
    "breakpoint": "    ebreak\n",
    "load_misaligned": "    lw a1, 1(gp)\n",
    "load_fault": "    lw a1, 0(t0)\n",
    "store_misaligned": "    sw a0, 2(gp)\n",
    "store_fault": "    sw a0, 0(t0)\n",
    "ecall": "    ecall\n",
    # mtimecmp = mtime + 20 (high word first), then MTIE and MIE: the interrupt comes in
    # the loop
    "timer": """
    li t2, 0x0200bff8        # mtime
    li t3, 0x02004000        # mtimecmp
    lw a1, 0(t2)
    addi a1, a1, 20
    sw zero, 4(t3)
    sw a1, 0(t3)
    li a2, 0x80
    csrrs zero, mie, a2
    csrrsi zero, mstatus, 8
wait:
    j wait
""",
}


def build_unhandled(name: str, path: Path) -> Path:
    """The program of ``UNHANDLED[name]``: it ends at that trap (no handler)."""
    code = assemble(_UNHANDLED_HEAD + UNHANDLED[name] + FINISH, base=BASE)
    path.write_bytes(make_elf([(BASE, code)], BASE))
    return path
