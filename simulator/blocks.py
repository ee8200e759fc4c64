"""Blocks: the ideal machine's fast loop runs a basic block at a time.

A block is a run of consecutive decoded words that can only retire one after the
other without a trap, a wait or a CSR: ALU rows, loads and stores (as long as they
stay in RAM and aligned), up to and including the first branch or jump. Its timing
under the ideal machine is static but for its first slot: each slot one cycle, plus
``LOAD_USE_STALL`` where a slot reads the register the slot before it loaded
(docs/timing.md); the first slot's stall depends on the slot before the block, and
a taken branch's penalty is charged to the slot after it as always. So the fast loop
(:func:`run_blocks`) checks the slice's end and the next interrupt once per block,
and per slot only dispatches; ``simulator/loop.py``'s general slot runs everything
else, one slot at a time, and is the reference the blocks must agree with. A block
that loops on itself (its last word's branch goes back to its first) runs turn after
turn without leaving, each turn's timing the same, counted together when it stops.

One int64 per RAM word, beside the pre-decoded word (``blk``)::

    length | cycles << 8 | stall << 16 | loaded << 20 | NONE | GROUPED | reads << 30

``length``, ``cycles``, ``GROUPED`` and ``reads`` describe the block that starts at the
word (0: none made yet): its slots, their cycles after the first slot's one (every stall
inside it included), whether it takes the ALU group's shared dispatch branch, and the
registers its first slot reads (so that its stall is one shift). ``stall`` is the
word's own load-use stall when the word before it ran just before it, and ``loaded``
the register it loads (``state.NO_LOAD`` if it is not a load); both describe the word
in any block that holds it. ``NONE`` marks a word that starts no block (its row is not
one of them).

Blocks are made from the pre-decoded words when first entered (:func:`block_build`,
which decodes the words ahead), so a block's entry holds as long as its words do.
A store into a decoded word clears it (so it is decoded again when it executes) and
forgets every block that may hold it (:func:`block_forget`), in every loop; in the block
loop the running block ends after that store, and the word's blocks are forgotten once
the block's counts are settled. So a block's words are decoded as long as its entry is
kept, and the block loop runs them untested. A breakpoint set in a word, and a write to
RAM from outside the loop, forget the blocks that may hold it too
(``Machine.forget_code``); the loops also forget them wherever they decode a word.
"""

from __future__ import annotations

import numpy as np

from isa import semantics
from isa.memmap import RAM_BASE
from isa.semantics import M
from isa.table import INSNS, Insn
from isa.timing import EXTRA_BY_KIND, LOAD_USE_STALL, TAKEN_BRANCH_PENALTY

from . import callstack as CS
from . import state as S
from .decoder import ILLEGAL, IMM_AT, RD_AT, RS1_AT, RS2_AT, RS3_AT, alu_selector, decode_into, dispatched
from .jitcache import njit_cached

#: The most slots in one block (its length field has room for 255).
MAX_LEN = 63
B_LEN = 0xFF
B_CYC_AT, B_CYC = 8, 0xFF
B_STALL_AT, B_STALL = 16, 0xF
B_LOADED_AT, B_LOADED = 20, 0x3F
B_NONE = 1 << 28
#: A block run with the ALU rows' shared dispatch branch (decoder.ALU_GROUP)
B_GROUPED = 1 << 29
#: The registers the block's first slot reads, a bit each (x0 to the sink, state.RD_SINK):
#: its load-use stall is the bit of the register the slot before it loaded, and
#: state.NO_LOAD's bit is bit 63, always 0
B_READS_AT = 30
#: The fields of a block's own entry (what block_forget clears).
B_BLOCK = B_LEN | B_CYC << B_CYC_AT | B_NONE | B_GROUPED | ((1 << (S.RD_SINK + 1)) - 1) << B_READS_AT
assert B_READS_AT + S.NO_LOAD == 63 and LOAD_USE_STALL <= B_STALL and S.NO_LOAD <= B_LOADED
assert 1 + (MAX_LEN - 1) * (1 + LOAD_USE_STALL) <= B_CYC

# The kinds of rows a block holds; the control kinds end it.
_BODY_KINDS = ("alu", "load", "store", "fence")
_END_KINDS = ("branch", "jal", "jalr")
IN_BLOCK, ENDS_BLOCK, LOADS, GROUPED, JUMPS = 1, 2, 4, 8, 16
#: A block of at least GROUP_MIN slots, seven in eight of them of the ALU group, runs
#: with the group's shared branch (docs/simulator.md, "Blocks")
GROUP_MIN = 16


def in_blocks(insn: Insn) -> bool:
    """Whether a row can be a block's slot: it retires without a trap of its own
    (loads and stores leave the block when their access would trap or leave RAM),
    a wait, a CSR or a change of the privilege state."""
    if insn.kind == "alu3":
        return not EXTRA_BY_KIND["alu3"]
    return insn.kind in _BODY_KINDS or insn.kind in _END_KINDS


def _row_flags() -> np.ndarray:
    flags = np.zeros(ILLEGAL + 1, np.int64)
    for insn in dispatched():
        if in_blocks(insn):
            flags[insn.op] = (
                IN_BLOCK
                | (ENDS_BLOCK if insn.kind in _END_KINDS else 0)
                | (LOADS if insn.kind == "load" else 0)
                | (GROUPED if alu_selector(insn) >= 0 else 0)
                | (JUMPS if insn.kind in ("jal", "jalr") else 0)
            )
    return flags


#: Per op: IN_BLOCK, ENDS_BLOCK, LOADS, GROUPED, JUMPS.
ROW_FLAGS = _row_flags()
assert len(INSNS) == ILLEGAL and ROW_FLAGS[ILLEGAL] == 0


@njit_cached
def _reads(d):
    """The registers the pre-decoded word ``d`` waits for a load into, a bit each (the
    general loop's load-use test: rs1, rs2, and rs3 where the row reads it)."""
    reads = 1 << ((d >> RS1_AT) & 31) | 1 << ((d >> RS2_AT) & 31)
    if d & S.READS_RS3:
        reads |= 1 << ((d >> RS3_AT) & 31)
    return reads


@njit_cached
def block_build(i, dec, blk, ram32, enabled, pcg, prof, pflow, pstall):
    """Make the entry of the block that starts at word ``i`` (decoding its words as
    needed); returns its length, 0 when the word starts none (marked NONE). The
    profiled loop's blocks (``prof``) hold no jump (a call or return) and no word that
    begins a function's run, which it decodes with state.FSTART as the general loop
    does: a block begins at such a word, or ends before it, so that the call stack
    changes only at a block's first slot and its last."""
    n = 0
    cycles = 1
    grouped = 0
    prev = S.NO_LOAD
    words = dec.shape[0]
    while i + n < words and n < MAX_LEN:
        j = i + n
        d = dec[j]
        if d == 0:
            d = decode_into(j, int(ram32[j]), dec, enabled)
            block_forget(j, blk, pflow, pstall)
            if prof and CS.starts_run(pcg, j):
                d |= S.FSTART
                dec[j] = d
        if d & S.DECODED == 0:  # a breakpoint
            break
        f = ROW_FLAGS[d & ~S.FSTART & 0xFF]  # (the profiled loop marks a function's first word)
        if f == 0 or (prof and n > 0 and d & S.FSTART):
            break
        stall = LOAD_USE_STALL * ((_reads(d) >> prev) & 1)  # (NO_LOAD's bit: never set)
        if n > 0:
            cycles += 1 + stall
        prev = (d >> RD_AT) & 63 if f & LOADS else S.NO_LOAD
        if n == 0:  # (its stall is that of the blocks that hold the word before it)
            blk[j] = blk[j] & ~(B_LOADED << B_LOADED_AT) | prev << B_LOADED_AT
        else:
            blk[j] = blk[j] & B_BLOCK | stall << B_STALL_AT | prev << B_LOADED_AT
        n += 1
        if f & GROUPED:
            grouped += 1
        if f & ENDS_BLOCK:
            break
    if n == 0:
        blk[i] |= B_NONE
    else:
        blk[i] = (
            _reads(dec[i]) << B_READS_AT
            | blk[i] & ~B_BLOCK
            | n
            | cycles << B_CYC_AT
            | (B_GROUPED if n >= GROUP_MIN and 8 * grouped >= 7 * n else 0)
        )
    return n


@njit_cached
def block_forget(j, blk, pflow, pstall):
    """Forget every block that may hold word ``j`` (which is being decoded anew), having
    charged the stalls of its counted runs (the profiled loop's ``pflow`` has a row per
    word; the other variants pass one row)."""
    profiled = pflow.shape[0] == blk.shape[0]
    for k in range(max(0, j - MAX_LEN + 1), j + 1):
        if profiled and (pflow[k, S.FLOW_RUNS] != 0 or pflow[k, S.FLOW_LOOPS] != 0):
            charge_runs(k, blk, pflow, pstall)
        blk[k] &= ~B_BLOCK


def forget_words(blk: np.ndarray, lo: int, hi: int) -> None:
    """:func:`block_forget` for the words from ``lo`` up to ``hi`` between runs (a write
    to RAM from outside the loop, a breakpoint set): no counts wait then, as a profiled
    run settles its own when it ends (:func:`charge_all_runs`)."""
    blk[max(0, lo - MAX_LEN + 1) : hi] &= ~B_BLOCK


@njit_cached
def charge_runs(i, blk, pflow, pstall):
    """Charge the stalls inside the block at word ``i``, once for each of its full runs
    that the profiled block loop counted (``pflow[i, FLOW_RUNS]``: a count a run instead of
    a charge to each word that waited), to those words; and count each of its turns
    (``FLOW_LOOPS``: a taken branch from its last word to its first) as a run that ended
    at its last word and one that began at its first."""
    n = blk[i] & B_LEN
    runs = pflow[i, S.FLOW_RUNS]
    for k in range(i + 1, i + n):
        pstall[k, S.S_LU] += runs * ((blk[k] >> B_STALL_AT) & B_STALL)
    pflow[i, S.FLOW_BEGAN] += pflow[i, S.FLOW_LOOPS]
    pflow[i + n - 1, S.FLOW_ENDED] += pflow[i, S.FLOW_LOOPS]
    pflow[i, S.FLOW_RUNS] = 0
    pflow[i, S.FLOW_LOOPS] = 0


def charge_all_runs(blk: np.ndarray, flow: np.ndarray, pstall: np.ndarray) -> None:
    """:func:`charge_runs` for every block that has counts, once the profiled run has
    ended (its Python form: a warm profiled run loads no Numba)."""
    for i in np.flatnonzero(flow[:, S.FLOW_RUNS] | flow[:, S.FLOW_LOOPS]).tolist():
        charge_runs.py_func(i, blk, flow, pstall)


#: Which variant is being compiled (simulator/loop.py makes both)
PROF = False


def run_blocks(st, regs, ram8, ram16, ram32, dec, blk, enabled, stop, irq_at, pflow, pstall, pcg):
    """Run whole blocks from ``st[PC]`` while they end before slot ``stop`` and before
    cycle ``irq_at`` (the next interrupt); the state is read from and written back to
    ``st`` as the general loop keeps it. Returns the slots run.

    The profiled variant (``PROF``) keeps the general loop's counts: runs of slots
    (``pflow``), stalls charged to the slot that waits or, for a branch's penalty, to the
    branch (``pstall``), and the call stack (``pcg``, simulator/callstack.py) as the
    general slot does: a block's first slot after a jump or trap, or at the first word of
    a function's run entered from outside it, enters its function; its last slot, a jump,
    may call or return. The words of the top frame's function's run and whether the next
    slot goes to the stack come and go through ``st`` (``CS_FIRST``, ``CS_END``,
    ``CS_GO``)."""
    size = ram8.shape[0]
    pc, cyc, pend, pcause, psrc, ldrd, steps, instret = S.kept(st)
    s0 = steps
    stalls = st[S.STALL0 : S.STALL0 + len(S.STALL_CAUSES)]
    lu = 0  # load-use and taken-branch stall cycles, added to their counters once
    br = 0
    # (PROF: the run and call-stack state stays in st, state.keep_profile's slots: it is
    # used once a block, and as locals it would take registers from the slot loop)
    while True:
        o = pc - RAM_BASE
        if o < 0 or o >= size:
            break
        i = o >> 2
        e = blk[i]
        n = e & B_LEN
        if n == 0:
            if e & B_NONE or block_build(i, dec, blk, ram32, enabled, pcg, PROF, pflow, pstall) == 0:
                break
            e = blk[i]
            n = e & B_LEN
        if steps + n > stop:
            break
        cycles = (e >> B_CYC_AT) & B_CYC
        lu0 = LOAD_USE_STALL * ((e >> (B_READS_AT + ldrd)) & 1)
        c = cyc + pend + lu0  # (the first slot's cycle, less one)
        if c + cycles >= irq_at:  # an interrupt taken in the block
            break
        p0 = pend
        pend = 0
        end = i + n
        # A block that loops on itself (a taken branch from its last word to its first)
        # runs its next turns here, each counted once: `turns` whole turns before the
        # one that runs now (settled below), checked against `stop` and `irq_at` with the
        # steps and the last cycle the next turn would reach (`sn`, `cn`)
        turns = 0
        sn = cn = tc = 0
        cw = -1  # a word of code a store of the block wrote (the block ended after it)
        while True:
            j = i
            npc = 0  # a taken branch's or jump's target (it sets pend)
            # ---- generated: block (python -m simulator.codegen) ----
            if e & B_GROUPED:
                while j < end:
                    d = dec[j]
                    if PROF:
                        d &= ~S.FSTART  # (a block's first word may begin a function's run)
                    op = d & 0xFF
                    rd = (d >> RD_AT) & 63
                    a = regs[(d >> RS1_AT) & 31]
                    b = regs[(d >> RS2_AT) & 31]
                    imm = d >> IMM_AT
                    pc = RAM_BASE + (j << 2)
                    if (
                        op == 18
                        or op == 21
                        or op == 22
                        or op == 23
                        or op == 24
                        or op == 25
                        or op == 27
                        or op == 29
                        or op == 32
                        or op == 33
                        or op == 35
                        or op == 36
                    ):  # addi xori ori andi slli srli add sll xor srl or and
                        # ALU_GROUP (simulator/decoder.py): every result, then a tree of selects (cmovs, not a
                        # memory table: they add little latency to the guest program's dependency chains)
                        sel = d >> RS3_AT
                        # the operand: b, or imm for an immediate form (selector bit 4), without a branch
                        im = -((sel >> 4) & 1)
                        bb = (imm & M & im) | (b & ~im)
                        x0 = semantics.add(a, bb, 0, pc)
                        x1 = semantics.xor(a, bb, 0, pc)
                        x2 = semantics.or_(a, bb, 0, pc)
                        x3 = semantics.and_(a, bb, 0, pc)
                        x4 = semantics.sll(a, bb, 0, pc)
                        x5 = semantics.srl(a, bb, 0, pc)
                        v01 = x1 if sel & 1 else x0
                        v23 = x3 if sel & 1 else x2
                        v45 = x5 if sel & 1 else x4
                        v03 = v23 if sel & 2 else v01
                        regs[rd] = v45 if sel & 4 else v03
                    elif op == 12:  # lw
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        if addr & 3:
                            break
                        regs[rd] = semantics.lw(int(ram32[o >> 2]))
                    elif op == 17:  # sw
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        if addr & 3:
                            break
                        ram32[o >> 2] = b
                        if dec[o >> 2]:  # into code: the block ends after it (cw: its blocks forgotten)
                            dec[o >> 2] = 0
                            cw = o >> 2
                            end = j + 1
                    elif op == 5:  # bne
                        if semantics.bne(a, b):
                            npc = (pc + imm) & M
                            if npc & 3:
                                break
                            pend = TAKEN_BRANCH_PENALTY
                    elif op == 4:  # beq
                        if semantics.beq(a, b):
                            npc = (pc + imm) & M
                            if npc & 3:
                                break
                            pend = TAKEN_BRANCH_PENALTY
                    elif op == 0:  # lui
                        regs[rd] = semantics.lui(a, b, imm, pc)
                    elif op == 2:  # jal
                        npc = (pc + imm) & M
                        if npc & 3:
                            break
                        regs[rd] = semantics.jal(a, b, imm, pc)
                        pend = TAKEN_BRANCH_PENALTY
                    elif op == 8:  # bltu
                        if semantics.bltu(a, b):
                            npc = (pc + imm) & M
                            if npc & 3:
                                break
                            pend = TAKEN_BRANCH_PENALTY
                    elif op == 6:  # blt
                        if semantics.blt(a, b):
                            npc = (pc + imm) & M
                            if npc & 3:
                                break
                            pend = TAKEN_BRANCH_PENALTY
                    elif op == 9:  # bgeu
                        if semantics.bgeu(a, b):
                            npc = (pc + imm) & M
                            if npc & 3:
                                break
                            pend = TAKEN_BRANCH_PENALTY
                    elif op == 7:  # bge
                        if semantics.bge(a, b):
                            npc = (pc + imm) & M
                            if npc & 3:
                                break
                            pend = TAKEN_BRANCH_PENALTY
                    elif op == 28:  # sub
                        regs[rd] = semantics.sub(a, b, imm, pc)
                    elif op == 13:  # lbu
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        regs[rd] = semantics.lbu(int(ram8[o]))
                    elif op == 15:  # sb
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        ram8[o] = b
                        if dec[o >> 2]:  # into code: the block ends after it (cw: its blocks forgotten)
                            dec[o >> 2] = 0
                            cw = o >> 2
                            end = j + 1
                    elif op == 3:  # jalr
                        npc = semantics.jalr_target(a, imm)
                        if npc & 3:
                            break
                        regs[rd] = semantics.jalr(a, b, imm, pc)
                        pend = TAKEN_BRANCH_PENALTY
                    elif op == 26:  # srai
                        regs[rd] = semantics.srai(a, b, imm, pc)
                    elif op == 31:  # sltu
                        regs[rd] = semantics.sltu(a, b, imm, pc)
                    elif op == 1:  # auipc
                        regs[rd] = semantics.auipc(a, b, imm, pc)
                    elif op == 61:  # rori
                        regs[rd] = semantics.rori(a, b, imm, pc)
                    elif op == 60:  # ror
                        regs[rd] = semantics.ror(a, b, imm, pc)
                    elif op == 10:  # lb
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        regs[rd] = semantics.lb(int(ram8[o]))
                    elif op == 11:  # lh
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        if addr & 1:
                            break
                        regs[rd] = semantics.lh(int(ram16[o >> 1]))
                    elif op == 14:  # lhu
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        if addr & 1:
                            break
                        regs[rd] = semantics.lhu(int(ram16[o >> 1]))
                    elif op == 16:  # sh
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        if addr & 1:
                            break
                        ram16[o >> 1] = b
                        if dec[o >> 2]:  # into code: the block ends after it (cw: its blocks forgotten)
                            dec[o >> 2] = 0
                            cw = o >> 2
                            end = j + 1
                    elif op == 19:  # slti
                        regs[rd] = semantics.slti(a, b, imm, pc)
                    elif op == 20:  # sltiu
                        regs[rd] = semantics.sltiu(a, b, imm, pc)
                    elif op == 30:  # slt
                        regs[rd] = semantics.slt(a, b, imm, pc)
                    elif op == 34:  # sra
                        regs[rd] = semantics.sra(a, b, imm, pc)
                    elif op == 37:  # fence
                        pass
                    elif op == 48:  # mul
                        regs[rd] = semantics.mul(a, b, imm, pc)
                    elif op == 49:  # mulh
                        regs[rd] = semantics.mulh(a, b, imm, pc)
                    elif op == 50:  # mulhsu
                        regs[rd] = semantics.mulhsu(a, b, imm, pc)
                    elif op == 51:  # mulhu
                        regs[rd] = semantics.mulhu(a, b, imm, pc)
                    elif op == 56:  # andn
                        regs[rd] = semantics.andn(a, b, imm, pc)
                    elif op == 57:  # orn
                        regs[rd] = semantics.orn(a, b, imm, pc)
                    elif op == 58:  # xnor
                        regs[rd] = semantics.xnor(a, b, imm, pc)
                    elif op == 59:  # rol
                        regs[rd] = semantics.rol(a, b, imm, pc)
                    elif op == 62:  # pack
                        regs[rd] = semantics.pack(a, b, imm, pc)
                    elif op == 63:  # packh
                        regs[rd] = semantics.packh(a, b, imm, pc)
                    elif op == 64:  # brev8
                        regs[rd] = semantics.brev8(a, b, imm, pc)
                    elif op == 65:  # rev8
                        regs[rd] = semantics.rev8(a, b, imm, pc)
                    elif op == 66:  # zip
                        regs[rd] = semantics.zip_(a, b, imm, pc)
                    elif op == 67:  # unzip
                        regs[rd] = semantics.unzip(a, b, imm, pc)
                    elif op == 68:  # clmul
                        regs[rd] = semantics.clmul(a, b, imm, pc)
                    elif op == 69:  # clmulh
                        regs[rd] = semantics.clmulh(a, b, imm, pc)
                    elif op == 70:  # xperm4
                        regs[rd] = semantics.xperm4(a, b, imm, pc)
                    elif op == 71:  # xperm8
                        regs[rd] = semantics.xperm8(a, b, imm, pc)
                    elif op == 72:  # sha256sum0
                        regs[rd] = semantics.sha256sum0(a, b, imm, pc)
                    elif op == 73:  # sha256sum1
                        regs[rd] = semantics.sha256sum1(a, b, imm, pc)
                    elif op == 74:  # sha256sig0
                        regs[rd] = semantics.sha256sig0(a, b, imm, pc)
                    elif op == 75:  # sha256sig1
                        regs[rd] = semantics.sha256sig1(a, b, imm, pc)
                    elif op == 76:  # sha512sum0r
                        regs[rd] = semantics.sha512sum0r(a, b, imm, pc)
                    elif op == 77:  # sha512sum1r
                        regs[rd] = semantics.sha512sum1r(a, b, imm, pc)
                    elif op == 78:  # sha512sig0l
                        regs[rd] = semantics.sha512sig0l(a, b, imm, pc)
                    elif op == 79:  # sha512sig0h
                        regs[rd] = semantics.sha512sig0h(a, b, imm, pc)
                    elif op == 80:  # sha512sig1l
                        regs[rd] = semantics.sha512sig1l(a, b, imm, pc)
                    elif op == 81:  # sha512sig1h
                        regs[rd] = semantics.sha512sig1h(a, b, imm, pc)
                    elif op == 82:  # sm3p0
                        regs[rd] = semantics.sm3p0(a, b, imm, pc)
                    elif op == 83:  # sm3p1
                        regs[rd] = semantics.sm3p1(a, b, imm, pc)
                    elif op == 84:  # aes32esi
                        regs[rd] = semantics.aes32esi(a, b, imm, pc)
                    elif op == 85:  # aes32esmi
                        regs[rd] = semantics.aes32esmi(a, b, imm, pc)
                    elif op == 86:  # aes32dsi
                        regs[rd] = semantics.aes32dsi(a, b, imm, pc)
                    elif op == 87:  # aes32dsmi
                        regs[rd] = semantics.aes32dsmi(a, b, imm, pc)
                    elif op == 88:  # sm4ed
                        regs[rd] = semantics.sm4ed(a, b, imm, pc)
                    elif op == 89:  # sm4ks
                        regs[rd] = semantics.sm4ks(a, b, imm, pc)
                    elif op == 90:  # maddlu
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.maddlu(a, b, regs[r3], pc)
                    elif op == 91:  # maddhu
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.maddhu(a, b, regs[r3], pc)
                    elif op == 92:  # cadd
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.cadd(a, b, regs[r3], pc)
                    elif op == 93:  # addc
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.addc(a, b, regs[r3], pc)
                    elif op == 94:  # addco
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.addco(a, b, regs[r3], pc)
                    elif op == 95:  # subc
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.subc(a, b, regs[r3], pc)
                    elif op == 96:  # subco
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.subco(a, b, regs[r3], pc)
                    elif op == 97:  # xor3
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.xor3(a, b, regs[r3], pc)
                    elif op == 98:  # andnxor
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.andnxor(a, b, regs[r3], pc)
                    elif op == 99:  # rolxor
                        regs[rd] = semantics.rolxor(a, b, imm, pc)
                    elif op == 100:  # xorrol
                        regs[rd] = semantics.xorrol(a, b, imm, pc)
                    else:
                        break
                    j += 1
            else:
                while j < end:
                    d = dec[j]
                    if PROF:
                        d &= ~S.FSTART  # (a block's first word may begin a function's run)
                    op = d & 0xFF
                    rd = (d >> RD_AT) & 63
                    a = regs[(d >> RS1_AT) & 31]
                    b = regs[(d >> RS2_AT) & 31]
                    imm = d >> IMM_AT
                    pc = RAM_BASE + (j << 2)
                    if op == 18:  # addi
                        regs[rd] = semantics.addi(a, b, imm, pc)
                    elif op == 12:  # lw
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        if addr & 3:
                            break
                        regs[rd] = semantics.lw(int(ram32[o >> 2]))
                    elif op == 27:  # add
                        regs[rd] = semantics.add(a, b, imm, pc)
                    elif op == 17:  # sw
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        if addr & 3:
                            break
                        ram32[o >> 2] = b
                        if dec[o >> 2]:  # into code: the block ends after it (cw: its blocks forgotten)
                            dec[o >> 2] = 0
                            cw = o >> 2
                            end = j + 1
                    elif op == 5:  # bne
                        if semantics.bne(a, b):
                            npc = (pc + imm) & M
                            if npc & 3:
                                break
                            pend = TAKEN_BRANCH_PENALTY
                    elif op == 4:  # beq
                        if semantics.beq(a, b):
                            npc = (pc + imm) & M
                            if npc & 3:
                                break
                            pend = TAKEN_BRANCH_PENALTY
                    elif op == 0:  # lui
                        regs[rd] = semantics.lui(a, b, imm, pc)
                    elif op == 24:  # slli
                        regs[rd] = semantics.slli(a, b, imm, pc)
                    elif op == 25:  # srli
                        regs[rd] = semantics.srli(a, b, imm, pc)
                    elif op == 32:  # xor
                        regs[rd] = semantics.xor(a, b, imm, pc)
                    elif op == 36:  # and
                        regs[rd] = semantics.and_(a, b, imm, pc)
                    elif op == 35:  # or
                        regs[rd] = semantics.or_(a, b, imm, pc)
                    elif op == 23:  # andi
                        regs[rd] = semantics.andi(a, b, imm, pc)
                    elif op == 2:  # jal
                        npc = (pc + imm) & M
                        if npc & 3:
                            break
                        regs[rd] = semantics.jal(a, b, imm, pc)
                        pend = TAKEN_BRANCH_PENALTY
                    elif op == 8:  # bltu
                        if semantics.bltu(a, b):
                            npc = (pc + imm) & M
                            if npc & 3:
                                break
                            pend = TAKEN_BRANCH_PENALTY
                    elif op == 6:  # blt
                        if semantics.blt(a, b):
                            npc = (pc + imm) & M
                            if npc & 3:
                                break
                            pend = TAKEN_BRANCH_PENALTY
                    elif op == 9:  # bgeu
                        if semantics.bgeu(a, b):
                            npc = (pc + imm) & M
                            if npc & 3:
                                break
                            pend = TAKEN_BRANCH_PENALTY
                    elif op == 7:  # bge
                        if semantics.bge(a, b):
                            npc = (pc + imm) & M
                            if npc & 3:
                                break
                            pend = TAKEN_BRANCH_PENALTY
                    elif op == 28:  # sub
                        regs[rd] = semantics.sub(a, b, imm, pc)
                    elif op == 13:  # lbu
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        regs[rd] = semantics.lbu(int(ram8[o]))
                    elif op == 15:  # sb
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        ram8[o] = b
                        if dec[o >> 2]:  # into code: the block ends after it (cw: its blocks forgotten)
                            dec[o >> 2] = 0
                            cw = o >> 2
                            end = j + 1
                    elif op == 3:  # jalr
                        npc = semantics.jalr_target(a, imm)
                        if npc & 3:
                            break
                        regs[rd] = semantics.jalr(a, b, imm, pc)
                        pend = TAKEN_BRANCH_PENALTY
                    elif op == 26:  # srai
                        regs[rd] = semantics.srai(a, b, imm, pc)
                    elif op == 31:  # sltu
                        regs[rd] = semantics.sltu(a, b, imm, pc)
                    elif op == 22:  # ori
                        regs[rd] = semantics.ori(a, b, imm, pc)
                    elif op == 21:  # xori
                        regs[rd] = semantics.xori(a, b, imm, pc)
                    elif op == 1:  # auipc
                        regs[rd] = semantics.auipc(a, b, imm, pc)
                    elif op == 61:  # rori
                        regs[rd] = semantics.rori(a, b, imm, pc)
                    elif op == 60:  # ror
                        regs[rd] = semantics.ror(a, b, imm, pc)
                    elif op == 10:  # lb
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        regs[rd] = semantics.lb(int(ram8[o]))
                    elif op == 11:  # lh
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        if addr & 1:
                            break
                        regs[rd] = semantics.lh(int(ram16[o >> 1]))
                    elif op == 14:  # lhu
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        if addr & 1:
                            break
                        regs[rd] = semantics.lhu(int(ram16[o >> 1]))
                    elif op == 16:  # sh
                        addr = (a + imm) & M
                        o = addr - RAM_BASE
                        if o < 0 or o >= size:
                            break
                        if addr & 1:
                            break
                        ram16[o >> 1] = b
                        if dec[o >> 2]:  # into code: the block ends after it (cw: its blocks forgotten)
                            dec[o >> 2] = 0
                            cw = o >> 2
                            end = j + 1
                    elif op == 19:  # slti
                        regs[rd] = semantics.slti(a, b, imm, pc)
                    elif op == 20:  # sltiu
                        regs[rd] = semantics.sltiu(a, b, imm, pc)
                    elif op == 29:  # sll
                        regs[rd] = semantics.sll(a, b, imm, pc)
                    elif op == 30:  # slt
                        regs[rd] = semantics.slt(a, b, imm, pc)
                    elif op == 33:  # srl
                        regs[rd] = semantics.srl(a, b, imm, pc)
                    elif op == 34:  # sra
                        regs[rd] = semantics.sra(a, b, imm, pc)
                    elif op == 37:  # fence
                        pass
                    elif op == 48:  # mul
                        regs[rd] = semantics.mul(a, b, imm, pc)
                    elif op == 49:  # mulh
                        regs[rd] = semantics.mulh(a, b, imm, pc)
                    elif op == 50:  # mulhsu
                        regs[rd] = semantics.mulhsu(a, b, imm, pc)
                    elif op == 51:  # mulhu
                        regs[rd] = semantics.mulhu(a, b, imm, pc)
                    elif op == 56:  # andn
                        regs[rd] = semantics.andn(a, b, imm, pc)
                    elif op == 57:  # orn
                        regs[rd] = semantics.orn(a, b, imm, pc)
                    elif op == 58:  # xnor
                        regs[rd] = semantics.xnor(a, b, imm, pc)
                    elif op == 59:  # rol
                        regs[rd] = semantics.rol(a, b, imm, pc)
                    elif op == 62:  # pack
                        regs[rd] = semantics.pack(a, b, imm, pc)
                    elif op == 63:  # packh
                        regs[rd] = semantics.packh(a, b, imm, pc)
                    elif op == 64:  # brev8
                        regs[rd] = semantics.brev8(a, b, imm, pc)
                    elif op == 65:  # rev8
                        regs[rd] = semantics.rev8(a, b, imm, pc)
                    elif op == 66:  # zip
                        regs[rd] = semantics.zip_(a, b, imm, pc)
                    elif op == 67:  # unzip
                        regs[rd] = semantics.unzip(a, b, imm, pc)
                    elif op == 68:  # clmul
                        regs[rd] = semantics.clmul(a, b, imm, pc)
                    elif op == 69:  # clmulh
                        regs[rd] = semantics.clmulh(a, b, imm, pc)
                    elif op == 70:  # xperm4
                        regs[rd] = semantics.xperm4(a, b, imm, pc)
                    elif op == 71:  # xperm8
                        regs[rd] = semantics.xperm8(a, b, imm, pc)
                    elif op == 72:  # sha256sum0
                        regs[rd] = semantics.sha256sum0(a, b, imm, pc)
                    elif op == 73:  # sha256sum1
                        regs[rd] = semantics.sha256sum1(a, b, imm, pc)
                    elif op == 74:  # sha256sig0
                        regs[rd] = semantics.sha256sig0(a, b, imm, pc)
                    elif op == 75:  # sha256sig1
                        regs[rd] = semantics.sha256sig1(a, b, imm, pc)
                    elif op == 76:  # sha512sum0r
                        regs[rd] = semantics.sha512sum0r(a, b, imm, pc)
                    elif op == 77:  # sha512sum1r
                        regs[rd] = semantics.sha512sum1r(a, b, imm, pc)
                    elif op == 78:  # sha512sig0l
                        regs[rd] = semantics.sha512sig0l(a, b, imm, pc)
                    elif op == 79:  # sha512sig0h
                        regs[rd] = semantics.sha512sig0h(a, b, imm, pc)
                    elif op == 80:  # sha512sig1l
                        regs[rd] = semantics.sha512sig1l(a, b, imm, pc)
                    elif op == 81:  # sha512sig1h
                        regs[rd] = semantics.sha512sig1h(a, b, imm, pc)
                    elif op == 82:  # sm3p0
                        regs[rd] = semantics.sm3p0(a, b, imm, pc)
                    elif op == 83:  # sm3p1
                        regs[rd] = semantics.sm3p1(a, b, imm, pc)
                    elif op == 84:  # aes32esi
                        regs[rd] = semantics.aes32esi(a, b, imm, pc)
                    elif op == 85:  # aes32esmi
                        regs[rd] = semantics.aes32esmi(a, b, imm, pc)
                    elif op == 86:  # aes32dsi
                        regs[rd] = semantics.aes32dsi(a, b, imm, pc)
                    elif op == 87:  # aes32dsmi
                        regs[rd] = semantics.aes32dsmi(a, b, imm, pc)
                    elif op == 88:  # sm4ed
                        regs[rd] = semantics.sm4ed(a, b, imm, pc)
                    elif op == 89:  # sm4ks
                        regs[rd] = semantics.sm4ks(a, b, imm, pc)
                    elif op == 90:  # maddlu
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.maddlu(a, b, regs[r3], pc)
                    elif op == 91:  # maddhu
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.maddhu(a, b, regs[r3], pc)
                    elif op == 92:  # cadd
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.cadd(a, b, regs[r3], pc)
                    elif op == 93:  # addc
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.addc(a, b, regs[r3], pc)
                    elif op == 94:  # addco
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.addco(a, b, regs[r3], pc)
                    elif op == 95:  # subc
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.subc(a, b, regs[r3], pc)
                    elif op == 96:  # subco
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.subco(a, b, regs[r3], pc)
                    elif op == 97:  # xor3
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.xor3(a, b, regs[r3], pc)
                    elif op == 98:  # andnxor
                        r3 = (d >> RS3_AT) & 31
                        regs[rd] = semantics.andnxor(a, b, regs[r3], pc)
                    elif op == 99:  # rolxor
                        regs[rd] = semantics.rolxor(a, b, imm, pc)
                    elif op == 100:  # xorrol
                        regs[rd] = semantics.xorrol(a, b, imm, pc)
                    else:
                        break
                    j += 1
            # ---- end of generated: block ----
            if j < end or npc != RAM_BASE + (i << 2):
                break
            if turns == 0:  # its first turn ran whole: is its next one like every later one?
                lu0s = LOAD_USE_STALL * ((e >> (B_READS_AT + ((blk[end - 1] >> B_LOADED_AT) & B_LOADED))) & 1)
                tc = TAKEN_BRANCH_PENALTY + lu0s + cycles
                sn = steps + n
                cn = c + cycles
                # The profiled loop counts its turns together only once the block was
                # entered as each of them will be: after its own branch (its wait charged
                # to that branch, its load-use stall lu0s) with the call stack left as it
                # is (that branch neither a call nor a return, the block in the top frame's
                # run: the last turn's end would have set CS_GO otherwise)
                if PROF and (pcause != S.S_BR or psrc != end - 1 or st[S.CS_GO]):
                    break
            sn += n
            cn += tc
            if sn > stop or cn >= irq_at:
                break
            turns += 1
            pend = 0
        if turns:  # turns 0 .. turns - 1 ran whole; the one that ran now begins after them
            if pcause == S.S_BR:
                br += p0
            else:
                stalls[pcause] += p0
            lu0s = tc - TAKEN_BRANCH_PENALTY - cycles
            br += (turns - 1) * TAKEN_BRANCH_PENALTY
            lu += lu0 + (turns - 1) * lu0s + turns * (cycles - n)
            cyc = c + cycles + (turns - 1) * tc
            steps += turns * n
            if PROF:  # (turn 0 was entered as a later turn: its wait and stall are theirs)
                pstall[end - 1, S.S_BR] += turns * TAKEN_BRANCH_PENALTY
                pstall[i, S.S_LU] += turns * lu0s
                if cycles != n:
                    pflow[i, S.FLOW_RUNS] += turns
                pflow[i, S.FLOW_LOOPS] += turns
                st[S.F_AT] = i
                st[S.F_CUT] = steps
            p0 = TAKEN_BRANCH_PENALTY
            pcause = S.S_BR
            if PROF:
                psrc = end - 1
            lu0 = lu0s
            ldrd = (blk[end - 1] >> B_LOADED_AT) & B_LOADED
            c = cyc + p0 + lu0
        if j == i:  # its first slot cannot run here
            pend = p0
            pc = RAM_BASE + (i << 2)
            break
        if pcause == S.S_BR:
            br += p0
        else:
            stalls[pcause] += p0
        if PROF:
            if p0 and psrc >= 0:
                pstall[psrc, pcause] += p0
            if lu0:
                pstall[i, S.S_LU] += lu0
            t0 = cyc + (p0 if (S.REDIRECT_MASK >> pcause) & 1 else 0)  # (callstack.py's t)
            if st[S.CS_GO]:  # the slot after a jump out of the run, or an effect
                st[S.CS_GO] = 0
                CS.enter(pcg, RAM_BASE + (i << 2), t0)
                st[S.CS_FIRST], st[S.CS_END] = CS.bounds(pcg, i << 2)
            if dec[i] & S.FSTART and not CS.dead(pcg) and (i < st[S.CS_FIRST] or i >= st[S.CS_END]):
                CS.enter(pcg, RAM_BASE + (i << 2), t0)  # entered in sequence
                st[S.CS_FIRST] = CS.run_first(pcg, i)
                st[S.CS_END] = CS.run_end(pcg, i)
        if j == i + n:
            c += cycles
            lu += lu0 + cycles - n
            if PROF and cycles != n:  # its stalls, charged to the slots that waited later
                pflow[i, S.FLOW_RUNS] += 1  # (charge_runs: a count instead of a charge a slot)
        else:  # left early: the slots that ran
            c += 1
            lu += lu0
            for k in range(i + 1, j):
                s = (blk[k] >> B_STALL_AT) & B_STALL
                c += 1 + s
                lu += s
                if PROF:
                    pstall[k, S.S_LU] += s
        if pend:
            pcause = S.S_BR
        steps += j - i
        cyc = c
        ldrd = (blk[j - 1] >> B_LOADED_AT) & B_LOADED
        if j < end:  # left early
            pc = RAM_BASE + (j << 2)
            break
        pc = npc if pend else RAM_BASE + (j << 2)
        if PROF and pend:  # a taken branch: its run ends, one begins at its target
            psrc = j - 1
            if npc == RAM_BASE + (i << 2):  # a turn of a loop on itself (counted by charge_runs)
                pflow[i, S.FLOW_LOOPS] += 1
                st[S.F_AT] = i
                st[S.F_CUT] = steps
            elif npc != RAM_BASE + (j << 2):
                pflow[j - 1, S.FLOW_ENDED] += 1
                st[S.F_AT] = -1
                if npc - RAM_BASE >= 0 and npc - RAM_BASE < size:
                    st[S.F_AT] = (npc - RAM_BASE) >> 2
                    st[S.F_CUT] = steps
                    pflow[(npc - RAM_BASE) >> 2, S.FLOW_BEGAN] += 1
            if not CS.dead(pcg):
                dl = dec[j - 1] & ~S.FSTART
                kind = CS.call_kind(dl & 0xFF, (dl >> RD_AT) & 63, (dl >> RS1_AT) & 31)
                if kind != CS.OTHER:
                    # t of the jump: the slot before it retired, plus the jump's own
                    # wait for a redirect (only a block's first slot has one)
                    t = t0 if j - 1 == i else c - 1 - ((blk[j - 1] >> B_STALL_AT) & B_STALL)
                    CS.retire(pcg, RAM_BASE + ((j - 1) << 2), kind, npc, t)
                nw = (npc - RAM_BASE) >> 2
                st[S.CS_GO] = 1 if kind != CS.OTHER or nw < st[S.CS_FIRST] or nw >= st[S.CS_END] else 0
        if cw >= 0:  # its counts settled, every block that may hold the word is forgotten
            block_forget(cw, blk, pflow, pstall)
    stalls[S.S_LU] += lu
    stalls[S.S_BR] += br
    S.keep(st, pc, cyc, pend, pcause, psrc, ldrd, steps, instret + steps - s0)
    return steps - s0
