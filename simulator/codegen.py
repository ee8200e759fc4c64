"""Generates the ISS execute loop from ``isa.table`` as Python source for Numba.

The dispatch (one branch per table row, calling that row's function of
``isa.semantics``) and the decoder (the table's mask/match) are written out
as source into a cache file whose name is a hash of everything it depends
on, so Numba's on-disk cache (``cache=True``) is reused across processes and
invalidated whenever the table, the semantics or this generator change.

Four variants come from one template: ``run_fast`` (no tracing or
profiling code at all), ``run_prof`` (per-PC counters), ``run_trace``
(one RVFI row per retirement slot) and ``run_watch`` (``run_fast`` plus the
debugger's watchpoint checks on loads and stores, used only while gdb has
watchpoints armed: they would cost ``run_fast`` about 10%).
"""

from __future__ import annotations

import contextlib
import glob
import importlib.machinery
import importlib.util
import logging
import sys
from pathlib import Path
from types import CodeType, ModuleType

import isa.semantics as semantics
from isa import timing
from isa.table import INSNS, Insn

from . import diskcache
from . import platform as P
from . import state as S

#: Op id of an illegal word (one past the table).
ILLEGAL = len(INSNS)

# Hot instructions first: the if-chain is ordered by typical dynamic frequency.
_HOT = ("addi", "lw", "add", "sw", "bne", "beq", "lui", "slli", "srli", "xor", "and", "or",
        "andi", "jal", "bltu", "blt", "bgeu", "bge", "sub", "lbu", "sb", "jalr", "srai",
        "sltu", "ori", "xori", "auipc", "rori", "ror")

#: The RV32I register and immediate ALU instructions share one handler, so
#: that they are one target of the dispatch's indirect jump (a mix of them is
#: then predicted as well as a single op): the handler computes every result
#: with the register form's golden function on ``b`` or, for an immediate
#: form, ``imm`` (chosen without a branch) and picks the one that the decoder
#: stored in the (otherwise unused) rs3 field: the selector in bits 0..3,
#: bit 4 set for an immediate form.
_ALU_GROUP = ("add", "xor", "or", "and", "sll", "srl")
_ALU_TWIN = {"addi": "add", "xori": "xor", "ori": "or", "andi": "and", "slli": "sll", "srli": "srl"}


def _alu_selector(name: str) -> int | None:
    name = _ALU_TWIN.get(name, name)
    return _ALU_GROUP.index(name) if name in _ALU_GROUP else None


_LOAD_ARRAY = {"lb": ("ram8", 0), "lbu": ("ram8", 0), "lh": ("ram16", 1), "lhu": ("ram16", 1),
               "lw": ("ram32", 2)}
_STORE_ARRAY = {"sb": ("ram8", 0, 1), "sh": ("ram16", 1, 2), "sw": ("ram32", 2, 4)}


def _sem_name(name: str) -> str:
    return semantics.SEMANTICS[name].__name__


_NO_VALUE_KINDS = ("load", "store", "branch", "csr", "system", "fence")


def dispatched() -> list[Insn]:
    """Table rows the loop executes: all of them once their semantics exist
    (a row whose golden function is not written yet decodes as illegal)."""
    return [i for i in INSNS if i.kind in _NO_VALUE_KINDS or i.kind in ("jal", "jalr")
            or i.name in semantics.SEMANTICS]


def _decode_fields(insn: Insn) -> list[str]:
    """Source lines computing rd, rs1, rs2, imm of a matched word ``w``."""
    a = insn.args
    out = []
    if "rd" in a:
        out.append("rd = (w >> 7) & 31")
        out.append(f"if rd == 0: rd = {S.RD_SINK}")
    if "rs1" in a:
        out.append("rs1 = (w >> 15) & 31")
    if "rs2" in a:
        out.append("rs2 = (w >> 20) & 31")
    if "rs3" in a:
        out.append("rs3 = (w >> 27) & 31")
    f = insn.fmt
    if "rotimm" in a:
        out.append("imm = (w >> 27) & 31")
    if f in ("I", "L", "Ijalr"):
        out.append("imm = sext(w >> 20, 12)")
    elif f == "S":
        out.append("imm = sext(((w >> 25) << 5) | ((w >> 7) & 31), 12)")
    elif f == "B":
        out.append("imm = sext(((w >> 31) << 12) | (((w >> 7) & 1) << 11) | (((w >> 25) & 63) << 5)"
                   " | (((w >> 8) & 15) << 1), 13)")
    elif f == "J":
        out.append("imm = sext(((w >> 31) << 20) | (((w >> 12) & 255) << 12) | (((w >> 20) & 1) << 11)"
                   " | (((w >> 21) & 1023) << 1), 21)")
    elif f == "U":
        out.append("imm = w & 0xFFFFF000")
    elif f == "Ishift":
        out.append("imm = (w >> 20) & 31")
    elif f == "Rbs":
        out.append("imm = (w >> 30) & 3")
    elif f == "csr":
        out.append("imm = w >> 20")
    elif f == "csri":
        # zimm travels in imm (bits 12..16) so that rs1 holds only registers read
        out.append("imm = (w >> 20) | (((w >> 15) & 31) << 12)")
    elif f == "fence":
        out.append("imm = w >> 20")
    return out


def _gen_decoder() -> list[str]:
    lines = [
        "@njit(cache=True)",
        "def sext(v, width):",
        "    s = 1 << (width - 1)",
        "    return ((v & (2 * s - 1)) ^ s) - s",
        "",
        "@njit(cache=True)",
        "def decode_into(i, w, dec, enabled):",
        "    w = np.int64(w) & 0xFFFFFFFF",
        f"    op = {ILLEGAL}",
        "    rd = 0",
        "    rs1 = 0",
        "    rs2 = 0",
        "    rs3 = 0",
        "    imm = 0",
        "    opc = w & 0x7F",
    ]
    by_opc: dict[int, list[Insn]] = {}
    for insn in dispatched():
        by_opc.setdefault(insn.match & 0x7F, []).append(insn)
    first_opc = True
    for opc, insns in by_opc.items():
        lines.append(f"    {'if' if first_opc else 'elif'} opc == {opc:#x}:")
        first_opc = False
        first = True
        for insn in insns:
            lines.append(f"        {'if' if first else 'elif'} (w & {insn.mask:#x}) == {insn.match:#x}:"
                         f"  # {insn.name}")
            first = False
            lines.append(f"            op = {insn.op}")
            lines += [f"            {s}" for s in _decode_fields(insn)]
            sel = _alu_selector(insn.name)
            if sel is not None and "rs3" not in insn.args:
                lines.append(f"            rs3 = {sel | (16 if 'rs2' not in insn.args else 0)}")
    lines += [
        f"    if op != {ILLEGAL} and enabled[op] == 0:",
        f"        op = {ILLEGAL}",
        f"    if op == {ILLEGAL}:",
        f"        rd = {S.RD_SINK}",
        "        rs1 = 0",
        "        rs2 = 0",
        "        rs3 = 0",
        "        imm = 0",
        "    imm = ((imm & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000",
        "    d = op | (rd << 8) | (rs1 << 14) | (rs2 << 19) | (rs3 << 24) | DECODED | (imm << 32)",
        "    dec[i] = d",
        "    return d",
        "",
        "@njit(cache=True)",
        "def decode_word(w, enabled):",
        "    # one word through the same decoder, unpacked (for tests)",
        "    dec = np.zeros(1, np.int64)",
        "    d = decode_into(0, w, dec, enabled)",
        "    return d & 0xFF, (d >> 8) & 63, (d >> 14) & 31, (d >> 19) & 31, d >> 32",
        "",
    ]
    return lines


_HELPERS = r'''
@njit(cache=True)
def irq_cycle(st):
    """Retirement cycle from which the timer interrupt is taken (NEVER if masked)."""
    if (st[MSTATUS] & 8) == 0 or (st[MIE] & 0x80) == 0 or st[MTIMECMP] >= NEVER:
        return NEVER
    return st[MTIMECMP] - st[MTIME_DELTA] + CSR_OFS


@njit(cache=True)
def mtime_at(st, c):
    return c - CSR_OFS + st[MTIME_DELTA]


@njit(cache=True)
def csr_read(st, csr, c, instret):
    """Value of ``csr`` for the instruction retiring in cycle ``c``; -1: no such CSR."""
    if csr == 0x300:
        return st[MSTATUS]
    if csr == 0x301:
        return st[MISA]
    if csr == 0x304:
        return st[MIE]
    if csr == 0x305:
        return st[MTVEC]
    if csr == 0x340:
        return st[MSCRATCH]
    if csr == 0x341:
        return st[MEPC]
    if csr == 0x342:
        return st[MCAUSE]
    if csr == 0x343:
        return st[MTVAL]
    if csr == 0x344:
        return 0x80 if mtime_at(st, c) >= st[MTIMECMP] else 0
    if csr == 0xB00 or csr == 0xC00:
        return (c - CSR_OFS + st[MCYCLE_DELTA]) & M
    if csr == 0xB80 or csr == 0xC80:
        return ((c - CSR_OFS + st[MCYCLE_DELTA]) >> 32) & M
    if csr == 0xB02 or csr == 0xC02:
        return (instret + st[MINSTRET_DELTA]) & M
    if csr == 0xB82 or csr == 0xC82:
        return ((instret + st[MINSTRET_DELTA]) >> 32) & M
    if csr == 0xC01:
        return mtime_at(st, c) & M
    if csr == 0xC81:
        return (mtime_at(st, c) >> 32) & M
    if csr >= 0xF11 and csr <= 0xF14:
        return 0
    return -1


@njit(cache=True)
def csr_write(st, csr, v, c, instret):
    """Write ``v``; returns False for a read-only CSR (an illegal instruction)."""
    if (csr >> 10) == 3:
        return False
    if csr == 0x300:
        st[MSTATUS] = (v & 0x88) | 0x1800
    elif csr == 0x304:
        st[MIE] = v & 0x888
    elif csr == 0x305:
        st[MTVEC] = v & 0xFFFFFFFC
    elif csr == 0x340:
        st[MSCRATCH] = v
    elif csr == 0x341:
        st[MEPC] = v & 0xFFFFFFFC
    elif csr == 0x342:
        st[MCAUSE] = v
    elif csr == 0x343:
        st[MTVAL] = v
    elif csr == 0xB00 or csr == 0xB80:
        # the write is done instead of this cycle's increment (privileged spec,
        # "CSR side effects"); the half not written counts on. So the counter
        # holds ``new`` in the cycle after this instruction's EX cycle.
        cur = c - CSR_OFS + st[MCYCLE_DELTA] + 1
        new = (cur & ~M) | v if csr == 0xB00 else (v << 32) | (cur & M)
        st[MCYCLE_DELTA] = new - (c - CSR_OFS + 1)
    elif csr == 0xB02 or csr == 0xB82:
        cur = instret + 1 + st[MINSTRET_DELTA]
        new = (cur & ~M) | v if csr == 0xB02 else (v << 32) | (cur & M)
        # the next instruction reads ``new``
        st[MINSTRET_DELTA] = new - (instret + 1)
    return True


@njit(cache=True)
def dev_load(st, addr, width, c):
    """Read a device register; -1 when nothing answers (an access fault)."""
    if addr >= UART_BASE and addr < UART_BASE + UART_SIZE:
        # byte registers: a wider read returns every byte it covers, LSR included
        o = addr - UART_BASE
        return UART_LSR_VALUE << (8 * (UART_LSR - o)) if o <= UART_LSR and UART_LSR < o + width else 0
    if addr >= FIN_BASE and addr < FIN_BASE + FIN_SIZE:
        return -1 if width == 1 else 0
    if addr >= CLINT_BASE and addr < CLINT_BASE + CLINT_SIZE:
        o = addr - CLINT_BASE
        if o >= CLINT_MTIME and o < CLINT_MTIME + 8:
            v = mtime_at(st, c)
        elif o >= CLINT_MTIMECMP and o < CLINT_MTIMECMP + 8:
            v = st[MTIMECMP_RAW]
        else:
            return 0
        sh = ((o & 7) * 8)
        return (v >> sh) & ((1 << (8 * width)) - 1)
    return -1


@njit(cache=True)
def dev_store(st, uart, addr, v, width, c):
    """Write a device register: 0 done, 1 access fault, 2 finisher exit,
    3 UART buffer full, 4 timer changed, 5 reset requested."""
    if addr >= UART_BASE and addr < UART_BASE + UART_SIZE:
        if addr == UART_BASE:
            n = st[UART_N]
            uart[n] = v & 0xFF
            st[UART_N] = n + 1
            if n + 1 >= uart.shape[0]:
                return 3
        return 0
    if addr >= FIN_BASE and addr < FIN_BASE + FIN_SIZE:
        if width == 1:
            return 1
        if addr == FIN_BASE:
            status = v & 0xFFFF
            if status == FIN_PASS:
                st[EXIT_CODE] = 0
                return 2
            if status == FIN_FAIL:
                st[EXIT_CODE] = (v >> 16) & 0xFFFF
                return 2
            if status == FIN_RESET:
                return 5
        return 0
    if addr >= CLINT_BASE and addr < CLINT_BASE + CLINT_SIZE:
        o = addr - CLINT_BASE
        mask = (1 << (8 * width)) - 1
        if o >= CLINT_MTIMECMP and o < CLINT_MTIMECMP + 8:
            cur = st[MTIMECMP_RAW]
            sh = (o - CLINT_MTIMECMP) * 8
            new = (cur & ~(mask << sh)) | ((v & mask) << sh)
            st[MTIMECMP_RAW] = new
            st[MTIMECMP] = new if new >= 0 and new < NEVER else NEVER
            return 4
        if o >= CLINT_MTIME and o < CLINT_MTIME + 8:
            cur = mtime_at(st, c)
            sh = (o - CLINT_MTIME) * 8
            new = (cur & ~(mask << sh)) | ((v & mask) << sh)
            # mtime holds ``new`` in this store's EX cycle and counts on
            st[MTIME_DELTA] = new - (c - CSR_OFS)
            return 4
        return 0
    return 1
'''


def _constants() -> dict[str, int]:
    c = {name: getattr(S, name) for name in dir(S) if name.isupper() and isinstance(getattr(S, name), int)}
    c.update(
        M=0xFFFFFFFF, RAM_BASE=P.RAM_BASE, CSR_OFS=timing.CSR_READ_STAGE_OFFSET,
        UART_BASE=P.UART_BASE, UART_SIZE=P.UART_SIZE, UART_LSR=P.UART_LSR, UART_LSR_VALUE=P.UART_LSR_VALUE,
        FIN_BASE=P.FINISHER_BASE, FIN_SIZE=P.FINISHER_SIZE, FIN_PASS=P.FINISHER_PASS,
        FIN_FAIL=P.FINISHER_FAIL, FIN_RESET=P.FINISHER_RESET,
        CLINT_BASE=P.CLINT_BASE, CLINT_SIZE=P.CLINT_SIZE, CLINT_MTIME=P.CLINT_MTIME,
        CLINT_MTIMECMP=P.CLINT_MTIMECMP,
        FILL=timing.PIPELINE_FILL, LU_STALL=timing.LOAD_USE_STALL, TB=timing.TAKEN_BRANCH_PENALTY,
        DIVX=timing.DIV_EXTRA, TRAPX=timing.TRAP_PENALTY, MRETX=timing.MRET_PENALTY,
        ILLEGAL=ILLEGAL,
    )
    return c


class _Emitter:
    def __init__(self, trace: bool, prof: bool, watch: bool = False) -> None:
        self.trace, self.prof, self.watch = trace, prof, watch
        self.lines: list[str] = []

    def put(self, indent: int, text: str) -> None:
        for ln in text.strip("\n").splitlines():
            self.lines.append("    " * indent + ln)

    def penalty(self, ind: int, amount: str, cause: str) -> None:
        self.put(ind, f"pend = {amount}\npcause = {cause}")
        if self.prof:
            self.put(ind, "psrc = i")

    def mem_trace(self, ind: int, kind: str, width: int, value: str) -> None:
        if not self.trace:
            return
        mask = (1 << width) - 1
        if kind == "load":
            self.put(ind, f"t_ma = addr\nt_rm = {mask}\nt_rd = {value}")
        else:
            self.put(ind, f"t_ma = addr\nt_wm = {mask}\nt_wd = {value} & {(1 << 8 * width) - 1:#x}")


def _watch_check(e: _Emitter, ind: int, width: int, kind: str) -> None:
    """Stop before an access to an armed watch range (gdb steps over the
    access itself, as on hardware triggers); the slot's stall accounting is
    undone after the loop (see _gen_loop). Only the ``watch`` variant has it."""
    if not e.watch:
        return
    e.put(ind, f"""
if wn > 0:
    if watch_hit(st, wp, wn, addr, {width}, {kind}):
        reason = R_WATCH
        break""")


def _gen_op(e: _Emitter, insn: Insn, ind: int) -> None:
    name, kind = insn.name, insn.kind
    if kind in ("alu", "div"):
        e.put(ind, f"regs[rd] = {_sem_name(name)}(a, b, imm, pc)")
        if kind == "div":
            # the divider holds EX: the division itself retires DIVX cycles late
            e.put(ind, "c += DIVX\nstalls[S_DIV] += DIVX")
            if e.prof:
                e.put(ind, "pstall[i, S_DIV] += DIVX\npcyc[i] += DIVX")
    elif kind == "alu3":
        # a third source register (rs3 in bits 24..28 of the packed word)
        e.put(ind, "r3 = (d >> 24) & 31")
        e.put(ind, "if r3 == prev_ld and r1 != prev_ld and r2 != prev_ld:\n"
                   "    c += LU_STALL\n    stalls[S_LU] += LU_STALL")
        if e.prof:
            e.put(ind + 1, "pstall[i, S_LU] += LU_STALL\npcyc[i] += LU_STALL")
        e.put(ind, f"regs[rd] = {_sem_name(name)}(a, b, regs[r3], pc)")
        extra = timing.EXTRA_BY_KIND.get("alu3", 0)
        if extra:
            e.penalty(ind, str(extra), "S_DIV")
    elif kind == "jal":
        e.put(ind, """
t = (pc + imm) & M
if t & 3:
    exc = 0
    tval = t
else:""")
        e.put(ind + 1, f"regs[rd] = {_sem_name(name)}(a, b, imm, pc)\nnpc = t")
        e.penalty(ind + 1, "TB", "S_BR")
    elif kind == "jalr":
        e.put(ind, """
t = jalr_target(a, imm)
if t & 3:
    exc = 0
    tval = t
else:""")
        e.put(ind + 1, f"regs[rd] = {_sem_name(name)}(a, b, imm, pc)\nnpc = t")
        e.penalty(ind + 1, "TB", "S_BR")
    elif kind == "branch":
        e.put(ind, f"""
if {_sem_name(name)}(a, b):
    t = (pc + imm) & M
    if t & 3:
        exc = 0
        tval = t
    else:
        npc = t""")
        e.penalty(ind + 2, "TB", "S_BR")
    elif kind == "load":
        arr, sh = _LOAD_ARRAY[name]
        width = 1 << sh
        e.put(ind, "addr = (a + imm) & M")
        _watch_check(e, ind, width, "WATCH_READ")
        if sh:
            e.put(ind, f"if addr & {width - 1}:\n    exc = 4\n    tval = addr\nelse:")
        body = ind + 1 if sh else ind
        e.put(body, f"""
o = addr - RAM_BASE
if o >= 0 and o < size:
    raw = int({arr}[o >> {sh}])
else:
    raw = dev_load(st, addr, {width}, c)
    if raw < 0:
        exc = 5
        tval = addr
if exc < 0:
    regs[rd] = {_sem_name(name)}(raw)
    ldrd = rd""")
        e.mem_trace(body + 1, "load", width, "raw")
    elif kind == "store":
        arr, sh, width = _STORE_ARRAY[name]
        e.put(ind, "addr = (a + imm) & M")
        _watch_check(e, ind, width, "WATCH_WRITE")
        if sh:
            e.put(ind, f"if addr & {width - 1}:\n    exc = 6\n    tval = addr\nelse:")
        body = ind + 1 if sh else ind
        e.put(body, f"""
o = addr - RAM_BASE
if o >= 0 and o < size:
    {arr}[o >> {sh}] = b
    dec[o >> 2] = 0
else:
    ds = dev_store(st, uart, addr, b, {width}, c)
    if ds == 1:
        exc = 7
        tval = addr
    elif ds == 4:
        irq_at = irq_cycle(st)
    elif ds != 0:
        dev_stop = ds""")
        e.mem_trace(body, "store", width, "b")
    elif kind == "csr":
        imm_form = name.endswith("i")
        src = "(imm >> 12)" if imm_form else "a"
        fn = _sem_name(name)
        writes = "True" if name.startswith("csrrw") else (f"{src} != 0" if imm_form else "r1 != 0")
        e.put(ind, f"""
csr = imm & 0xFFF
old = csr_read(st, csr, c, instret)
if old < 0:
    exc = 2
    tval = int(ram32[i])
else:
    if {writes}:
        if not csr_write(st, csr, {fn}(old, {src}), c, instret):
            exc = 2
            tval = int(ram32[i])
        else:
            irq_at = irq_cycle(st)
    if exc < 0:
        regs[rd] = old""")
    elif kind == "system":
        if name == "ecall":
            e.put(ind, "exc = 11")
        elif name == "ebreak":
            e.put(ind, "exc = 3\ntval = pc")  # as Spike and Sail: mtval = the ebreak's pc
        elif name == "mret":
            e.put(ind, """
npc = st[MEPC]
ms = st[MSTATUS]
st[MSTATUS] = ((ms >> 4) & 8) | 0x80 | 0x1800
irq_at = irq_cycle(st)""")
            e.penalty(ind, "MRETX", "S_MRET")
        elif name == "wfi":
            e.put(ind, """
if mtime_at(st, c) < st[MTIMECMP]:
    if (st[MIE] & 0x80) == 0 or st[MTIMECMP] >= NEVER:
        dev_stop = 6
    else:
        wake = st[MTIMECMP] - st[MTIME_DELTA] + CSR_OFS
        stalls[S_WFI] += wake - c""")
            if e.prof:
                e.put(ind + 2, "pstall[i, S_WFI] += wake - c\npcyc[i] += wake - c")
            e.put(ind + 2, "c = wake")
    elif kind == "fence":
        e.put(ind, "pass")
    else:  # pragma: no cover - the table only has the kinds above
        raise ValueError(f"no dispatch for kind {kind} of {name}")


def _gen_loop(variant: str) -> list[str]:
    trace, prof, watch = variant == "trace", variant == "prof", variant == "watch"
    e = _Emitter(trace, prof, watch)
    e.put(0, f"""
@njit(cache=True)
def run_{variant}(st, regs, ram8, ram16, ram32, dec, enabled, uart, stop,
        pcnt, pcyc, pstall, tr, wp):
    size = ram8.shape[0]
    pc = st[PC]
    cyc = st[CYC]
    pend = st[PEND]
    ldrd = st[LDRD]
    instret = st[INSTRET]
    steps = st[STEPS]
    psrc = st[PEND_SRC]
    pcause = st[PEND_CAUSE]
    stalls = st[STALL0:STALL0 + 6]
    irq_at = irq_cycle(st)
    reason = R_SLICE""")
    if watch:
        e.put(1, "wn = st[WATCH_N]")
    e.put(0, """
    while True:
        if steps >= stop:
            reason = R_SLICE
            break
        exc = -1
        tval = 0
        dev_stop = 0
        o = pc - RAM_BASE""")
    if trace:
        e.put(2, "t_ma = 0\nt_rm = 0\nt_wm = 0\nt_rd = 0\nt_wd = 0")
        e.put(2, "r1 = 0\nr2 = 0\na = 0\nb = 0\nrd = RD_SINK")
    e.put(2, """
c = cyc + 1 + pend
if pend != 0:
    stalls[pcause] += pend""")
    if prof:
        e.put(3, "if psrc >= 0:\n    pcyc[psrc] += pend\n    pstall[psrc, pcause] += pend")
    # a breakpoint (a word without the DECODED bit) shares the "undecoded" test;
    # the stall accounting done so far is undone after the loop
    e.put(2, """
pend = 0
if o < 0 or o >= size:
    i = -1
    exc = 1
    tval = pc
else:
    i = o >> 2
    d = dec[i]
    if (d & DECODED) == 0:
        if d != 0:
            reason = R_BREAK
            break
        d = decode_into(i, int(ram32[i]), dec, enabled)
    op = d & 0xFF
    rd = (d >> 8) & 63
    r1 = (d >> 14) & 31
    r2 = (d >> 19) & 31
    imm = d >> 32
    if r1 == ldrd or r2 == ldrd:
        c += LU_STALL
        stalls[S_LU] += LU_STALL""")
    if prof:
        e.put(4, "pstall[i, S_LU] += LU_STALL\npcyc[i] += LU_STALL")
    if prof:
        e.put(2, "if i >= 0:\n    pcnt[i] += 1\n    pcyc[i] += 1")
    if any(i.kind == "alu3" for i in dispatched()):
        e.put(2, "prev_ld = ldrd")
    e.put(2, "ld0 = ldrd\nldrd = NO_LOAD" if watch else "ldrd = NO_LOAD")
    e.put(2, """
if i >= 0 and c >= irq_at:
    exc = 0x80000007
elif i >= 0:
    a = regs[r1]
    b = regs[r2]
    npc = (pc + 4) & M""")
    group = [x for x in dispatched() if _alu_selector(x.name) is not None and "rs3" not in x.args]
    e.put(3, "if " + " or ".join(f"op == {x.op}" for x in group) + ":  # " + " ".join(x.name for x in group))
    e.put(4, "im = -((d >> 28) & 1)\nbb = (imm & M & im) | (b & ~im)\nsel = d >> 24")
    for k, name in enumerate(_ALU_GROUP):
        e.put(4, f"x{k} = {_sem_name(name)}(a, bb, 0, pc)")
    # a tree of selects (cmov), not a memory table: it adds little latency to
    # the dependency chains of the guest program
    e.put(4, """
v01 = x1 if sel & 1 else x0
v23 = x3 if sel & 1 else x2
v45 = x5 if sel & 1 else x4
v03 = v23 if sel & 2 else v01
regs[rd] = v45 if sel & 4 else v03""")
    hot = [next(x for x in INSNS if x.name == n) for n in _HOT]
    order = [x for x in hot + [x for x in dispatched() if x.name not in _HOT] if x not in group]
    for insn in order:
        e.put(3, f"elif op == {insn.op}:  # {insn.name}")
        _gen_op(e, insn, 4)
    e.put(3, "else:\n    exc = 2\n    tval = int(ram32[i])")
    # ---- after the instruction: trap or retire
    e.put(2, "if exc >= 0:")
    if trace:
        e.put(3, """
t = tn_row(st, tr)
tr[t, 0] = steps
tr[t, 1] = int(ram32[i]) if i >= 0 else 0
tr[t, 2] = 1
tr[t, 3] = pc
tr[t, 4] = st[MTVEC]
tr[t, 16] = c""")
    e.put(3, """
st[MEPC] = pc
st[MCAUSE] = exc
st[MTVAL] = 0 if exc >= 0x80000000 else tval
ms = st[MSTATUS]
st[MSTATUS] = ((ms & 8) << 4) | 0x1800
irq_at = NEVER
cyc = c
steps += 1
if st[MTVEC] == 0:
    st[TRAP_CAUSE] = exc
    st[TRAP_PC] = pc
    st[TRAP_TVAL] = st[MTVAL]
    st[TRAP_WORD] = int(ram32[i]) if i >= 0 else 0
    reason = R_TRAP
    break
pc = st[MTVEC]""")
    e.penalty(3, "TRAPX", "S_TRAP")
    if trace:
        e.put(3, "if tn_full(st, tr):\n    reason = R_TRACE\n    break")
    e.put(3, "continue")
    if trace:
        e.put(2, """
t = tn_row(st, tr)
tr[t, 0] = steps
tr[t, 1] = int(ram32[i])
tr[t, 2] = 0
tr[t, 3] = pc
tr[t, 4] = npc
tr[t, 5] = r1
tr[t, 6] = a if r1 != 0 else 0
tr[t, 7] = r2
tr[t, 8] = b if r2 != 0 else 0
tr[t, 9] = rd if rd != RD_SINK else 0
tr[t, 10] = regs[rd] if rd != RD_SINK else 0
tr[t, 11] = t_ma
tr[t, 12] = t_rm
tr[t, 13] = t_wm
tr[t, 14] = t_rd
tr[t, 15] = t_wd
tr[t, 16] = c""")
    e.put(2, """
cyc = c
instret += 1
steps += 1
pc = npc
if dev_stop != 0:
    if dev_stop == 2:
        reason = R_EXIT
    elif dev_stop == 3:
        reason = R_UART
    elif dev_stop == 5:
        reason = R_RESET
    else:
        reason = R_WFI
    break""")
    if trace:
        e.put(2, "if tn_full(st, tr):\n    reason = R_TRACE\n    break")
    # a breakpoint or watch stop is before an instruction or its access: undo
    # the slot's stall accounting, the only state changed so far, so that pc
    # and all state are as before it
    e.put(1, """
if reason == R_BREAK:
    pend = c - cyc - 1
    if pend != 0:
        stalls[pcause] -= pend""")
    if watch:
        e.put(1, """
elif reason == R_WATCH:
    lu = LU_STALL if r1 == ld0 or r2 == ld0 else 0
    pend = c - cyc - 1 - lu
    if pend != 0:
        stalls[pcause] -= pend
    stalls[S_LU] -= lu
    ldrd = ld0""")
    e.put(1, """
st[PC] = pc
st[CYC] = cyc
st[PEND] = pend
st[LDRD] = ldrd
st[INSTRET] = instret
st[STEPS] = steps
st[PEND_SRC] = psrc
st[PEND_CAUSE] = pcause
return reason
""")
    return [ln for ln in e.lines if ln is not None]


_WATCH_HELPER = '''
@njit(cache=True)
def watch_hit(st, wp, wn, addr, width, kind):
    """Whether an access overlaps an armed watch range of ``kind`` (noted in st)."""
    for k in range(wn):
        if (wp[k, 2] & kind) != 0 and addr < wp[k, 1] and addr + width > wp[k, 0]:
            st[WATCH_ADDR] = max(addr, wp[k, 0])
            st[WATCH_INDEX] = k
            return True
    return False
'''


_TRACE_HELPERS = '''
@njit(cache=True)
def tn_row(st, tr):
    t = st[TRACE_N]
    tr[t, :] = 0
    st[TRACE_N] = t + 1
    return t


@njit(cache=True)
def tn_full(st, tr):
    return st[TRACE_N] >= tr.shape[0]
'''


def generate_source() -> str:
    consts = _constants()
    names = sorted({_sem_name(i.name) for i in dispatched() if i.name in semantics.SEMANTICS})
    out = [
        '"""Generated by simulator/codegen.py from isa/table.py: do not edit."""',
        "import numpy as np",
        "from numba import njit",
        "from isa.semantics import jalr_target, " + ", ".join(names),
        "",
    ]
    out += [f"{k} = {v}" for k, v in sorted(consts.items())]
    out += _gen_decoder()
    out.append(_HELPERS)
    out.append(_WATCH_HELPER)
    out.append(_TRACE_HELPERS)
    for variant in ("fast", "prof", "trace", "watch"):
        out += _gen_loop(variant)
        out.append("")
    return "\n".join(out) + "\n"


def cache_dir() -> Path:
    """The cache root (docs/caches.md); the loop lives in its ``iss`` folder."""
    return diskcache.cache_root()


def loop_source() -> tuple[str, str]:
    """The generated module's source and the digest that names its cache file: it covers
    the source, ``isa/semantics.py`` and this generator."""
    src = generate_source()
    return src, diskcache.digest(src, Path(semantics.__file__).read_bytes(), Path(__file__).read_bytes())


_loaded: ModuleType | None = None
log = logging.getLogger("chainrv.cache")


def load_loop() -> ModuleType:
    """Import the generated loop module, from the cache folder when it can be used.

    A damaged or foreign cache file is rewritten, an unusable cache folder is replaced
    by a private one (docs/caches.md), and damaged Numba cache entries of the module's
    functions are deleted and compiled again when first used.
    """
    global _loaded
    if _loaded is None:
        src, digest = loop_source()
        name = f"chainrv_iss_loop_{digest}"
        mod = _import_cached(name, digest, src) or _import_uncached(name, src)
        _heal_numba_caches(mod)
        _loaded = mod
    return _loaded


def _import_cached(name: str, digest: str, src: str) -> ModuleType | None:
    """The module from its file in the cache folder; None when no file can be used."""
    folder = diskcache.cache_folder("iss")
    if folder is None:
        return None
    path = folder / f"iss_loop_{digest}.py"
    try:
        diskcache.cached(path, lambda tmp: tmp.write_text(src, encoding="utf-8"),
                         lambda p: None if p.read_text(encoding="utf-8", errors="replace") == src
                         else "not the generator's source")
        return _exec_file(name, path, src)
    except Exception as e:  # OSError, or Numba finding no folder for its own cache
        log.warning("chainrv: warning: cannot use the ISS cache file %s (%s); compiling without it",
                    path, e)
        sys.modules.pop(name, None)
        return None


def _exec_file(name: str, path: Path, src: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    exec(_bytecode(name, path, src), mod.__dict__)
    return mod


def _bytecode(name: str, path: Path, src: str) -> CodeType:
    """Python's bytecode cache of the checked file when it is sound, else ``src`` compiled."""
    try:
        return importlib.machinery.SourceFileLoader(name, str(path)).get_code(name)
    except Exception:  # a damaged .pyc whose header still matches: drop it
        Path(importlib.util.cache_from_source(str(path))).unlink(missing_ok=True)
        return compile(src, str(path), "exec")


def _import_uncached(name: str, src: str) -> ModuleType:
    """The module from memory, Numba's on-disk cache off (nowhere to write)."""
    mod = ModuleType(name)
    sys.modules[name] = mod
    exec(compile(src.replace("@njit(cache=True)", "@njit"), f"<{name}>", "exec"), mod.__dict__)
    return mod


def _heal_numba_caches(mod: ModuleType) -> None:
    """Give every cached function of ``mod`` a Numba cache that repairs itself."""
    from numba.core.caching import FunctionCache

    class HealingCache(FunctionCache):
        """Numba's per-function cache, except that a damaged index or data file (which
        Numba reports as an exception on every later compile) is deleted and the
        function compiled again."""

        def load_overload(self, sig, target_context):
            try:
                return super().load_overload(sig, target_context)
            except Exception as e:
                self._drop(e)
                return None

        def save_overload(self, sig, data):
            try:
                super().save_overload(sig, data)
            except Exception as e:  # a damaged index (written meanwhile) blocks the save
                self._drop(e)
                with contextlib.suppress(Exception):  # the compiled function is good all the same
                    super().save_overload(sig, data)

        def _drop(self, why: Exception) -> None:
            index = Path(self._cache_file._index_path)
            log.info("chainrv: damaged Numba cache entry %s (%s); compiling again", index, why)
            for f in [index, *index.parent.glob(glob.escape(index.stem) + ".*.nbc")]:
                with contextlib.suppress(OSError):
                    f.unlink(missing_ok=True)

    for obj in vars(mod).values():
        cache = getattr(obj, "_cache", None)
        if isinstance(cache, FunctionCache):
            cache.__class__ = HealingCache  # the same cache (and folder), healing methods added
