"""Directed programs for the microarchitecture's timing rules (isa/uarch.py,
docs/timing.md "Microarchitecture"): caches, memory latency, prediction and the
multipliers, in the style of ``directed.py`` (whose PROLOGUE, FINISH and HANDLER
they share).

The programs do not check their own results; the lockstep comparison does, record
by record and cycle by cycle, under each configuration. They are written to mean the
same under any geometry: data that must conflict lies 64 KiB apart (the largest
cache, so those lines share one set in every cache of at most 8 ways), and code
that must start or end a line is aligned to 128 bytes (the longest line). The
``far`` programs put code in several 64 KiB blocks (one ELF segment each) so that
the I-side conflicts as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cocotb_tests.directed import BASE, FINISH, HANDLER, PROLOGUE, arm_timer
from isa import encode
from isa.asm import assemble
from isa.elfwriter import make_elf

#: Data lines that share one set in every cache: 64 KiB apart, clear of the code
#: (below 0x80010000), the scratch word block (gp) and the trap log (s1).
FAR_DATA = 0x8001_0800
STRIDE = 0x1_0000
RAM_END = 0x8010_0000
#: Addresses 4 KiB apart: one set in the ``cached`` preset's 4 KiB two-way caches.
NEAR_DATA = 0x800B_1000


def _set_regs() -> str:
    # s10, s11: registers neither the shared PROLOGUE nor HANDLER touch (HANDLER counts
    # interrupts in s2)
    return f"""
    li s10, {FAR_DATA:#x}
    li s11, {STRIDE:#x}
"""


def _conflict() -> str:
    """Loads and stores cycling over more lines of one set than it has ways (conflict
    misses on every access), over exactly 2, 4 or 8 lines (hits once loaded in a cache
    with that many ways), with the stride of a whole cache, of the preset's 4 KiB, and
    of a line."""
    out = [_set_regs()]
    n = 0
    for step, lines, rounds in ((STRIDE, 9, 3), (STRIDE, 3, 3), (STRIDE, 2, 3), (STRIDE, 4, 2),
                                (STRIDE, 8, 2), (0x1000, 3, 3), (0x1000, 5, 2), (16, 12, 2), (128, 6, 2)):
        base = FAR_DATA if step == STRIDE else NEAR_DATA
        n += 1
        out.append(f"""
    li s4, {rounds}
    li s5, {step:#x}
c{n}_round:
    li t0, {base + 8 * n:#x}
    li t1, {lines}
c{n}_line:
    lw t2, 0(t0)
    lbu t3, 5(t0)            # the same line again: a hit
    add t4, t4, t2
    sw t4, 4(t0)
    add t0, t0, s5
    addi t1, t1, -1
    bne t1, zero, c{n}_line
    addi s4, s4, -1
    bne s4, zero, c{n}_round
""")
    # straight-line: loads one cache apart, back to back (miss after miss)
    out.append("    mv t0, s10\n")
    for k in range(10):
        out.append(f"    lw t{2 + k % 3}, 0(t0)\n    add t0, t0, s11\n" if k % 2 else
                   f"    lh t{2 + k % 3}, 2(t0)\n    add t0, t0, s11\n")
    out.append("    mv t0, s10\n    lw t2, 0(t0)\n    lw t3, 0(t0)\n    add t0, t0, s11\n    lw t4, 0(t0)\n")
    return "".join(out)


def _dirty_evict() -> str:
    """Stores dirty more lines of one set than it has ways, then loads evict them (a
    writeback before each refill) and read them back; partial stores (sb, sh) into
    lines that are not cached (write-allocate keeps the rest of the line); a store
    miss then a load of the same word; a dirty line evicted by a store."""
    out = [_set_regs(), "    mv t0, s10\n    li t5, 0x01010101\n"]
    for k in range(10):
        out.append(f"    sw t5, {4 * k}(t0)\n    add t5, t5, a0\n    add t0, t0, s11\n")
    out.append(f"    li t0, {FAR_DATA + 0x400:#x}\n")
    for _ in range(10):         # other lines of the same set: each evicts a dirty line
        out.append("    lw t2, 0(t0)\n    add t0, t0, s11\n")
    out.append("    mv t0, s10\n")
    for k in range(10):         # the stored words come back from RAM
        out.append(f"    lw t{2 + k % 3}, {4 * k}(t0)\n    add t0, t0, s11\n")
    out.append(f"""
    li t0, {FAR_DATA + 0x200:#x}
    sb a0, 1(t0)             # byte store miss: the line is read, one byte changed
    sh a1, 6(t0)             # halfword into the same line: a hit, dirty
    sb a2, 15(t0)
    lw t2, 0(t0)             # read back while cached
    lw t3, 4(t0)
    add t1, t0, s11
    sw a4, 0(t1)             # a store miss, then a load of that word at once
    lw t2, 0(t1)
    add t1, t1, s11
    sh a3, 2(t1)
    lhu t2, 2(t1)
    lb t3, 3(t1)
""")
    # evict the partial stores with stores (a dirty line replaced by another dirty one)
    out.append(f"    li t0, {FAR_DATA + 0x200:#x}\n    li t5, 0x7f\n")
    for k in range(10):
        out.append(f"    add t0, t0, s11\n    sb t5, {k}(t0)\n")
    out.append(f"""
    li t0, {FAR_DATA + 0x200:#x}
    lw t2, 0(t0)             # the partial stores, after their writeback
    lw t3, 4(t0)
    lw t4, 12(t0)
    add t0, t0, s11
    lw t2, 0(t0)
    add t0, t0, s11
    lw t2, 0(t0)
""")
    return "".join(out)


def _miss_both() -> str:
    """A load miss and an I-side miss back to back, both orders: a load or store at
    the end of a 128-byte block (every line ends there), the next instruction at the
    start of a new line; a load that is itself the first word of a new line; a load
    miss then a jump into a line never fetched."""
    out = [_set_regs(), "    mv t0, s10\n"]
    for n, (last, first) in enumerate((
            ("lw t2, 0(t0)", "add t3, a0, a1"),           # D-miss, then an I-miss
            ("lw t2, 0(t0)", "add t3, t2, a1"),           # ... and the new line uses the load
            ("sw a0, 0(t0)", "lw t2, 0(t0)"),             # store miss, then I-miss on a load (hit)
            ("add t3, a0, a1", "lw t2, 0(t0)"),           # I-miss and D-miss on one instruction
            ("lw t2, 0(t0)", "lw t3, 4(t0)"),             # a miss, then I-miss + hit
            ("lw t2, 0(t0)", "mul t3, t2, a0"),
            ("lw t2, 0(t0)", "csrr t3, mcycle"),
    )):
        out.append(f"""
    add t0, t0, s11
    j mb{n}
    .align 7
    .space 124
mb{n}:
    {last}
    {first}
    nop
""")
    # a load miss, then a taken jump to a line that was never fetched
    out.append("""
    add t0, t0, s11
    lw t2, 0(t0)
    j mb_far
    .align 7
    .space 256
mb_far:
    add t0, t0, s11
    lw t2, 0(t0)
    lw t3, 0(t2)             # a load whose address comes from the missed load (0 here: a fault)
    nop
""")
    return "".join(out)


def _miss_branch() -> str:
    """A load miss followed by a taken branch or jump whose fall-through line is not
    cached: the branch is the last word of a 128-byte block, its fall-through the first
    of the next, never executed (a wrong-path fetch there is the rule under test);
    directly after the load, one instruction later, on the loaded value, backward."""
    out = [_set_regs(), "    mv t0, s10\n    la s6, mbr_sub\n"]
    cases = (
        ("lw t2, 0(t0)", "beq zero, zero, {t}"),
        ("lw t2, 0(t0)", "jal zero, {t}"),
        ("lw t2, 0(t0)", "bne t2, a0, {t}"),               # load-use into the branch (t2 != a0)
        ("sw a0, 0(t0)", "beq zero, zero, {t}"),
        ("lw t2, 0(t0)", "jalr ra, 0(s6)"),
        ("lw t2, 0(t0)", "bne zero, zero, {t}"),           # not taken: falls into the new line
        ("lw t2, 0(t0)\n    nop", "blt a1, zero, {t}"),
        ("lw t2, 0(t0)\n    lw t3, 0(t1)", "bge a0, zero, {t}"),   # two misses, then the branch
        ("div t3, a0, a2\n    lw t2, 0(t0)", "bltu zero, a0, {t}"),
        ("lw t2, 0(t0)", "ecall"),                       # a trap redirects the same way
    )
    for n, (before, branch) in enumerate(cases):
        words = before.count("\n") + 2
        out.append(f"""
    add t0, t0, s11
    add t1, t0, s11
    j mbr{n}
    .align 7
    .space {128 - 4 * words}
mbr{n}:
    {before}
    {branch.format(t=f"mbr{n}_t")}
    nop                      # the fall-through, first word of the next line
    nop
    j mbr{n}_t
    .align 7
    .space 128
mbr{n}_t:
""")
    # backward: a loop whose branch ends a line, with a miss in each iteration
    out.append("""
    li t5, 3
    j mbr_loop
    .align 7
    .space 112
mbr_loop:
    add t0, t0, s11
    lw t2, 0(t0)
    addi t5, t5, -1
    bne t5, zero, mbr_loop   # taken twice, then falls into a new line
    nop
    j mbr_end
mbr_sub:
    lw t4, 0(t1)             # the called code misses on the D-side too
    ret
mbr_end:
""")
    return "".join(out)


def _load_use_miss() -> str:
    """The use of a load that missed: at once, one later, as a store's data, as an
    address (a pointer chased through lines that are evicted), in a multiply, a
    division, a CSR write, a branch, jalr's base; and a hit right after a miss."""
    out = [_set_regs()]
    # a chain of pointers, each on a line of the conflicting set: line k holds the address of line k+1
    out.append("    mv t0, s10\n")
    for _ in range(11):
        out.append("    add t1, t0, s11\n    sw t1, 0(t0)\n    mv t0, t1\n")
    out.append("    sw zero, 0(t0)\n    mv t0, s10\n")
    for _ in range(11):            # chase: each load's result is the next load's base
        out.append("    lw t0, 0(t0)\n")
    for k, use in enumerate(("add t3, t2, a0", "sw t2, 8(t1)", "lw t3, 0(t2)", "mul t3, t2, a1",
                             "div t3, a0, t2", "csrrw t3, mscratch, t2", "beq t2, zero, .+8",
                             "sltu t3, a0, t2", "sha256sig0 t3, t2", "lw t3, 4(t1)")):
        out.append(f"""
    li t1, {FAR_DATA + STRIDE * (k % 11):#x}
    lw t2, 0(t1)             # a pointer of the chain: a miss in the smaller caches
    {use}
""")
        if use.startswith("beq"):
            out.append("    nop\n")
    out.append(f"""
    li t1, {FAR_DATA + 0x140:#x}
    lw t2, 0(t1)
    nop
    add t3, t2, a0           # one instruction between
    la t4, lum_ret
    li t1, {FAR_DATA + 0x180:#x}
    sw t4, 0(t1)
    add t5, t1, s11
    lw t2, 0(t5)             # evict it (a 1-way cache) ...
    lw t2, 0(t1)             # ... and load the return address: a miss into jalr
    jalr zero, 0(t2)
    nop
lum_ret:
    lhu t2, 2(t1)            # hits after the miss
    lbu t3, 0(t1)
    add t4, t2, t3
""")
    return "".join(out)


def _mispredict() -> str:
    """Every kind of misprediction: backward not taken (a loop exit), forward taken,
    a branch to pc + 4, jal and jalr (call and return), alternating outcomes, nested
    loops, branches that share a table entry, back-to-back branches, a branch
    predicted taken whose target line is not cached, and predictions after a trap."""
    return """
    li t1, 6
mp_loop:
    addi t1, t1, -1
    bne t1, zero, mp_loop    # backward: taken 5 times, then not taken (the exit)
    beq zero, zero, .+12     # forward taken
    nop
    nop
    bne zero, zero, .+8      # forward not taken
    nop
    beq zero, zero, .+4      # taken, to pc + 4
    bne a0, zero, .+4
    jal ra, mp_fn            # call
    jal ra, mp_fn
    la t3, mp_fn
    jalr ra, 0(t3)
    jal zero, .+8            # jal over one word
    nop
    j mp_fwd
mp_back:
    j mp_after               # jal backward and forward
mp_fwd:
    j mp_back
mp_after:
    li t1, 8                 # alternating: taken, not taken, ...
    li t2, 0
mp_alt:
    xori t2, t2, 1
    beq t2, zero, mp_alt_skip
    addi s7, s7, 1
mp_alt_skip:
    addi t1, t1, -1
    bne t1, zero, mp_alt
    li t4, 3                 # nested: the inner exit every outer iteration
mp_outer:
    li t5, 3
mp_inner:
    addi t5, t5, -1
    bne t5, zero, mp_inner
    addi t4, t4, -1
    bne t4, zero, mp_outer
    li t1, 6                 # two branches 8 bytes apart, opposite outcomes: they share
mp_alias:                    # an entry of a small table (bht:2) and evict each other
    beq zero, zero, .+8
    nop
    bne zero, zero, .+8      # never taken
    addi t1, t1, -1
    bne t1, zero, mp_alias
    li t1, 3
mp_b2b:
    beq t1, zero, mp_b2b_out  # back to back: not taken, then taken
    bne t1, zero, .+4
    beq zero, zero, .+8
    nop
    addi t1, t1, -1
    j mp_b2b
mp_b2b_out:
    li t1, 3                 # a learnt backward branch to a line the loop body evicts? its target
    j mp_far_loop            # line is its own; the first taken prediction meets an I-miss
    .align 7
    .space 120
mp_far_loop:
    addi t1, t1, -1
    bne t1, zero, mp_far_loop
    li t1, 3
mp_trap_loop:                # predictions across a trap and its mret
    ecall
    addi t1, t1, -1
    bne t1, zero, mp_trap_loop
    li t1, 4
mp_div:                      # a branch behind a division (EX held) and behind a multiply
    div t2, a0, a2
    mul t3, a0, a1
    addi t1, t1, -1
    bne t1, zero, mp_div
    j mp_end
mp_fn:
    addi s8, s8, 1
    ret
mp_end:
"""


def _mul_chain() -> str:
    """Multiplications: dependent chains of every kind, a product used at distance 1,
    2 and 3, as a store's data, a branch operand, an address, in a division and a
    CSR write; independent ones back to back; mul then a load-use; a load into mul;
    a product to x0; a trap right after a multiply; a multiply loop."""
    return """
    mul t1, a0, a1
    mulh t1, t1, a0
    mulhsu t1, t1, a1
    mulhu t1, t1, t1
    mul t2, t1, t1
    add t3, t2, a0           # distance 1
    mul t1, a0, a1
    nop
    add t3, t1, a0           # distance 2
    mul t1, a0, a1
    nop
    nop
    add t3, t1, a0           # distance 3
    mul t1, a0, a1
    lw t2, 0(gp)             # a load after a multiply ...
    add t3, t2, t1           # ... and the use of both
    lw t2, 4(gp)
    mul t3, t2, a0           # load-use into a multiply
    mulh t4, t3, t2          # and its product into the next
    mul t1, a0, a1
    sw t1, 16(gp)            # store a product
    mul t1, a2, a2
    beq t1, a2, .+8          # branch on a product (9 != 3)
    nop
    mul t1, a0, a1
    div t2, t1, a2           # a division after a multiply
    mul t1, a0, a1
    mul t2, a1, a2
    mul t3, a2, a0           # independent, back to back
    mulhu t4, a3, a4
    mul zero, a0, a1         # result to x0
    add t2, zero, zero
    mul t1, a0, a1
    csrrw t2, mscratch, t1   # a product into a CSR
    mul t1, a0, a1
    csrr t2, mcycle          # the cycle counter right after a multiply
    li t1, 4
    mul t2, t1, a2           # 12: a product as a load's address offset
    add t2, t2, gp
    lw t3, 0(t2)
    mul t1, a0, a1
    sha256sum0 t2, t1        # a crypto instruction on a product
    mul t1, a0, a1
    ecall                    # a trap right after a multiply
    mul t1, a0, a1
    ecall                    # a trap on the instruction after ...
    add t2, t1, a0           # ... and the product used after the handler
    li t5, 5
mul_loop:
    mul t1, t1, a1
    mulh t2, t1, a0
    addi t5, t5, -1
    bne t5, zero, mul_loop
    mul t1, a3, a4
    mulh t2, a3, a4
    mulhsu t3, a3, a4
    mulhu t4, a3, a4
    add t1, t1, t2
    add t3, t3, t4
""" + f"""
    li t0, {FAR_DATA + 0x300:#x}
    li t6, {STRIDE:#x}
    lw t2, 0(t0)             # a miss: the multiply behind it counts while MEM waits
    mul t3, a0, a1
    add t4, t3, a0
    add t0, t0, t6
    sw a0, 0(t0)             # a store miss, then a division
    div t3, a0, a2
    add t0, t0, t6
    mul t3, a0, a1           # a multiply, then a miss, then the product's use
    lw t2, 0(t0)
    add t4, t3, t2
    add t0, t0, t6
    lw t2, 0(t0)
    mulh t3, t2, t2          # load-use of a miss into a multiply, and its product at once
    mulhu t4, t3, t3
"""


def _trap_miss() -> str:
    """A trap and an mret while a miss is outstanding: ecall, an illegal word, a
    misaligned load, a load and a store access fault, a fetch fault, and mret, each
    right after a load or store that misses; a CSR read of the counters after a miss."""
    out = [_set_regs(), "    mv t0, s10\n"]
    for k, trap in enumerate(("ecall", ".word 0", "lw t3, 1(gp)", "lw t3, 0(zero)", "sw a0, 0(zero)",
                              "ebreak", "csrr t3, mcycle", "csrw cycle, a0")):
        store = k % 2 == 1
        out.append(f"    add t0, t0, s11\n    {'sw a0' if store else 'lw t2'}, 0(t0)\n    {trap}\n")
    out.append("""
    add t0, t0, s11
    lw t2, 0(t0)
    li t4, 0
    jalr ra, 0(t4)           # a fetch fault (the handler returns to ra) after a miss
    la t4, tm_after
    csrw mepc, t4
    add t0, t0, s11
    lw t2, 0(t0)
    mret                     # mret while the load's miss is served
    nop
tm_after:
    la t4, tm_after2
    csrw mepc, t4
    add t0, t0, s11
    sw a0, 0(t0)
    mret                     # ... and a store's
tm_after2:
    add t0, t0, s11
    lw t2, 0(t0)
    add t3, t2, a0
    ecall                    # a trap after a load-use of a miss
    add t0, t0, s11
    lw t2, 0(t0)
    div t3, a0, a2
    ecall
""")
    return "".join(out)


def _timer_miss() -> str:
    """The timer interrupt arriving at every cycle of a stretch of D-misses, I-misses,
    writebacks and a multiply: mtimecmp is set a little ahead, step by step."""
    body = [_set_regs(), """
    li s5, 0x0200BFF8        # mtime
    li s6, 0x02004000        # mtimecmp
    li t1, 0x80
    csrw mie, t1             # MTIE
    csrrsi zero, mstatus, 8  # MIE
    mv t0, s10
"""]
    for k in range(0, 60, 1):
        body.append(arm_timer(k) + f"""    li t0, {FAR_DATA + STRIDE * (k % 14):#x}
    lw t2, 0(t0)             # a miss
    sw t2, 4(t0)             # a hit, dirty
    add t3, t0, s11
    sw a0, 0(t3)             # a store miss (evicting a dirty line, later)
    lw t4, 0(t3)
    mul t5, t4, a1
    j tmr{k}
    .align 6
tmr{k}:
    add t6, t5, t2
""")
    body.append("""
    li t1, -1                # wfi right after a miss, with MIE set: the interrupt wakes it
    sw t1, 4(s6)             # (due after any miss: 2000 cycles)
    lw t1, 0(s5)
    addi t1, t1, 2000
    sw t1, 0(s6)
    sw zero, 4(s6)
    add t0, t0, s11
    lw t2, 0(t0)
    wfi
    nop
    csrrci zero, mstatus, 8
""")
    return "".join(body)


def _far_code() -> tuple[str, dict[int, str]]:
    """Calls into code in 12 blocks 64 KiB apart (one set of every I-cache: more
    lines than ways, so conflict misses on the I-side), each function starting with a
    load that misses on the D-side (both ports miss at once) and ending in ret."""
    blocks = [0x8001_0400 + STRIDE * k for k in range(12)]
    far = {}
    for k, addr in enumerate(blocks):
        far[addr] = f"""
    lw t2, {0x400 + 4 * k}(t0)   # t0 = this block: the data line {0x800 + 4 * k:#x} past it
    add t3, t2, a0
    mul t4, t3, a1
    beq t4, zero, .+8
    addi s7, s7, 1
    ret
"""
    # the last words of RAM: the fetch after ret, on the wrong path, lies outside RAM
    # and touches no cache
    far[RAM_END - 12] = f"""
    lw t2, {0x7f0 - 0x100}(s10)
    lw t3, 0x7f0(s10)
    ret
"""
    main = ["    li s4, 3\nfar_round:\n"]
    for addr in blocks:
        main.append(f"    li t0, {addr:#x}\n    jalr ra, 0(t0)\n")
    main.append(f"    li t0, {RAM_END - 12:#x}\n    jalr ra, 0(t0)\n")
    main.append("    addi s4, s4, -1\n    bne s4, zero, far_round\n")
    for addr in blocks[::3]:            # a call whose return meets a miss on both sides
        main.append(f"    li t0, {addr:#x}\n    jalr ra, 0(t0)\n    lw t5, 0(s10)\n    add s10, s10, s11\n")
    return _set_regs() + "".join(main), far


def _stale_prediction() -> str:
    """Predictions the code no longer matches (a program for machines without caches:
    it stores into code): a branch the table learnt as taken is overwritten by an
    ``addi`` (predicted taken, not a jump at all: a misprediction), and by a branch
    to another target (taken, but not where the table says)."""
    return f"""
    la s3, st_fn
    li t5, 4
st_train:
    jalr ra, 0(s3)           # st_fn's beq, taken: the table learns it
    addi t5, t5, -1
    bne t5, zero, st_train
    li t1, {encode("beq", rs1=0, rs2=0, imm=8):#x}
    sw t1, 0(s3)             # beq zero, zero, .+8: taken, another target
    jalr ra, 0(s3)
    jalr ra, 0(s3)
    li t1, {encode("addi", rd=10, rs1=10, imm=1):#x}
    sw t1, 0(s3)             # addi a0, a0, 1: not a jump at all
    jalr ra, 0(s3)
    jalr ra, 0(s3)
    jalr ra, 0(s3)
    j st_end
st_fn:
    beq zero, zero, .+12
    addi a0, a0, 2
    addi a0, a0, 4
    ret
st_end:
"""


#: Programs that store into code: only for machines without caches (directed.py's
#: ``selfmod`` likewise; docs/timing.md, "Stores into code").
STORES_INTO_CODE = frozenset({"stale_prediction"})


@dataclass(frozen=True)
class Program:
    text: str
    far: dict[int, str] = field(default_factory=dict)   # address -> code placed there


def _programs() -> dict[str, Program]:
    main, far = _far_code()
    return {
        "conflict": Program(_conflict()),
        "dirty_evict": Program(_dirty_evict()),
        "miss_both": Program(_miss_both()),
        "miss_branch": Program(_miss_branch()),
        "load_use_miss": Program(_load_use_miss()),
        "mispredict": Program(_mispredict()),
        "mul_chain": Program(_mul_chain()),
        "trap_miss": Program(_trap_miss()),
        "timer_miss": Program(_timer_miss()),
        "far_code": Program(main, far),
        "stale_prediction": Program(_stale_prediction()),
    }


PROGRAMS: dict[str, Program] = _programs()


def source(name: str) -> str:
    return PROLOGUE + PROGRAMS[name].text + FINISH + HANDLER


def build(name: str, path: Path) -> Path:
    """Assemble program ``name`` (and its code in other blocks) into an ELF at ``path``."""
    prog = PROGRAMS[name]
    segments = [(BASE, assemble(source(name), base=BASE))]
    segments += [(addr, assemble(text, base=addr)) for addr, text in sorted(prog.far.items())]
    path.write_bytes(make_elf(segments, BASE))
    return path
