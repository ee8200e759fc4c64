"""Writes the dispatch of the execute loop (``simulator/loop.py``) from ``isa/table.py``.

The dispatch is the chain of ``elif op == ...`` branches in :func:`simulator.loop.run`,
one per table row, each calling the row's golden function of ``isa/semantics.py``
and charging its timing from ``isa/timing.py``. It is generated because it is one
branch per row and must sit inside the loop's own function body: LLVM turns the
chain on the dense row numbers into one jump table. Everything else in the loop is
written by hand. The block loop of ``simulator/blocks.py`` has a dispatch of its own,
written the same way. Run ``python -m simulator.codegen`` after changing the table, the
kinds or this file; ``--check`` only tells whether the files are up to date.

Dispatch cost: one indirect jump per instruction, whose target the host CPU predicts
from the recent path. A varied mix of the most common RV32I ALU instructions
(SHA-256 on rv32im interleaves ``xor``, ``srli``, ``slli``, ``or``, ``add``)
mispredicts often, and each mispredict costs more than executing the instruction,
so ``add xor or and sll srl`` and their immediate forms share one branch
(docs/simulator.md, "Dispatch").
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from isa import semantics, timing
from isa.semantics import LOAD_WIDTH, STORE_WIDTH
from isa.table import BY_NAME, INSNS, Insn

from .blocks import in_blocks
from .decoder import ALU_GROUP, ALU_IMM, alu_selector, dispatched
from .ublocks import in_ublocks

LOOP = Path(__file__).with_name("loop.py")
BLOCKS = Path(__file__).with_name("blocks.py")
UBLOCKS = Path(__file__).with_name("ublocks.py")

# Hot instructions first: the chain is ordered by typical dynamic frequency.
_HOT = ("addi", "lw", "add", "sw", "bne", "beq", "lui", "slli", "srli", "xor", "and", "or",
        "andi", "jal", "bltu", "blt", "bgeu", "bge", "sub", "lbu", "sb", "jalr", "srai",
        "sltu", "ori", "xori", "auipc", "rori", "ror")

# Where a load or store of each width finds RAM: the array view, indexed by the offset o.
_RAM_VIEW = {1: "ram8[o]", 2: "ram16[o >> 1]", 4: "ram32[o >> 2]"}


def _fn(insn: Insn) -> str:
    return "semantics." + semantics.SEMANTICS[insn.name].__name__


def _indent(text: str) -> str:
    return textwrap.indent(text, "    ")


def _if_else(cond: str, then: str, otherwise: str) -> str:
    return f"if {cond}:\n{_indent(then)}else:\n{_indent(otherwise)}"


# Cycles the next slot waits for, charged to this instruction.
_PENALTY = """\
pend = {amount}
pcause = S.{cause}
if PROF:
    psrc = i
"""

# ... and a slot that may leave its run of words or change the call stack (a taken
# branch or jump, mret): the profiled loop looks at the call stack and the run counts
# after it.
_PENALTY_BREAK = _PENALTY + "    brk = True\n"

# Cycles this instruction itself retires late (the UARCH variants schedule it
# from simulator/uarch.py's tables instead).
_STALL = """\
if not UARCH:
    c += {amount}
    stalls[S.{cause}] += {amount}
    if PROF:
        charge(pstall, i, S.{cause}, {amount})
"""

# Stop before an access to an armed watch range; gdb steps over the access itself,
# as over a hardware trigger.
_WATCH = """\
if WATCH and wn > 0 and watch_hit(st, wp, wn, addr, {width}, S.{kind}):
    reason = S.R_WATCH
    break
"""

_MISALIGNED = """\
exc = {cause}
tval = addr
"""

_LOAD = """\
o = addr - RAM_BASE
if o >= 0 and o < size:
    raw = int({view})
    if UARCH:
        uaddr = addr  # the data side's access, timed once after the dispatch
else:
    raw = dev_load(st, addr, {width}, c)
    if raw < 0:
        exc = CAUSE_LOAD_FAULT
        tval = addr
if exc < 0:
    regs[rd] = {fn}(raw)
    ldrd = rd
    if TRACE:
        t_ma = addr
        t_rm = {mask}
        t_rd = raw
"""

# A store into a decoded word: the word is decoded again when it executes, and every block
# that may hold it is forgotten at once (the block loops run a block's words untested).
_CODE_STORE = ("if dec[o >> 2]:  # into code: decoded again when it executes, its blocks forgotten now\n"
               "    dec[o >> 2] = 0\n    block_forget(o >> 2, blk, pflow, pstall)\n")
_STORE = """\
o = addr - RAM_BASE
if o >= 0 and o < size:
    {view} = b
""" + textwrap.indent(_CODE_STORE, "    ") + """\
    if UARCH:
        uaddr = addr
        ustore = 1
else:
    ds = dev_store(st, uart, addr, b, {width}, c)
    if ds == devices.FAULT:
        exc = CAUSE_STORE_FAULT
        tval = addr
    elif ds == devices.TIMER:
        irq_at = irq_cycle(st)
    elif ds != devices.DONE:
        stop_after = ds
if TRACE:
    t_ma = addr
    t_wm = {mask}
    t_wd = b & 0x{bytes:X}
"""

# A taken jump or branch to a target that is not 4-byte aligned (no C extension).
_TARGET_MISALIGNED = """\
exc = CAUSE_FETCH_MISALIGNED
tval = t
"""

_CSR_WRITE = """\
if not csr_write(st, csr, {fn}(old, {src}), c, instret):
    exc = CAUSE_ILLEGAL
    tval = int(ram32[i])
else:
    irq_at = irq_cycle(st)
"""

_ILLEGAL = """\
exc = CAUSE_ILLEGAL
tval = int(ram32[i])
"""

_WFI = """\
wake = wfi_wake(st, c)
if wake < 0:
    stop_after = S.R_WFI
else:
    stalls[S.S_WFI] += wake - c
    if PROF:
        charge(pstall, i, S.S_WFI, wake - c)
    c = wake
"""

# The third source register (the rs3 field); a load into it stalls the instruction as
# one into rs1 or rs2 does, before EX (the loop's load-use test, state.READS_RS3).
_ALU3 = """\
r3 = (d >> RS3_AT) & 31
regs[rd] = {fn}(a, b, regs[r3], pc)
"""

_ALU_GROUP = """\
# ALU_GROUP (simulator/decoder.py): every result, then a tree of selects (cmovs, not a
# memory table: they add little latency to the guest program's dependency chains)
sel = d >> RS3_AT
# the operand: b, or imm for an immediate form (selector bit {imm_bit}), without a branch
im = -((sel >> {imm_bit}) & 1)
bb = (imm & M & im) | (b & ~im)
{results}v01 = x1 if sel & 1 else x0
v23 = x3 if sel & 1 else x2
v45 = x5 if sel & 1 else x4
v03 = v23 if sel & 2 else v01
regs[rd] = v45 if sel & 4 else v03
"""


def _load(insn: Insn) -> str:
    width = LOAD_WIDTH[insn.name]
    body = _LOAD.format(view=_RAM_VIEW[width], width=width, fn=_fn(insn), mask=(1 << width) - 1)
    return _access(width, "WATCH_READ", "CAUSE_LOAD_MISALIGNED", body)


def _store(insn: Insn) -> str:
    width = STORE_WIDTH[insn.name]
    body = _STORE.format(view=_RAM_VIEW[width], width=width, mask=(1 << width) - 1,
                         bytes=(1 << 8 * width) - 1)
    return _access(width, "WATCH_WRITE", "CAUSE_STORE_MISALIGNED", body)


def _access(width: int, watch: str, misaligned: str, body: str) -> str:
    """A load or store: the address, the watch check, alignment, then ``body``."""
    out = "addr = (a + imm) & M\n" + _WATCH.format(width=width, kind=watch)
    if width == 1:
        return out + body
    return out + _if_else(f"addr & {width - 1}", _MISALIGNED.format(cause=misaligned), body)


def _taken(insn: Insn) -> str:
    """A taken jump (its link written) or branch, to the target ``t``."""
    link = f"regs[rd] = {_fn(insn)}(a, b, imm, pc)\n" if insn.kind != "branch" else ""
    taken = link + "npc = t\n" + _PENALTY_BREAK.format(amount="TAKEN_BRANCH_PENALTY", cause="S_BR")
    return _if_else("t & 3", _TARGET_MISALIGNED, taken)


def _csr(insn: Insn) -> str:
    # a csrr*i keeps its zimm in imm, above the CSR number (simulator/decoder.py)
    src = "imm >> ZIMM_AT" if insn.fmt == "csri" else "a"
    write = _CSR_WRITE.format(fn=_fn(insn), src=src)
    if not insn.name.startswith("csrrw"):  # csrrs and csrrc with x0 or zimm 0 write nothing
        write = f"if {'imm >> ZIMM_AT' if insn.fmt == 'csri' else 'r1'} != 0:\n" + _indent(write)
    read = "csr = imm & 0xFFF  # the CSR number\nold = csr_read(st, csr, c, instret)\n"
    return read + _if_else("old < 0", _ILLEGAL, write + "if exc < 0:\n    regs[rd] = old\n")


def _system(insn: Insn) -> str:
    if insn.name == "ecall":
        return "exc = CAUSE_ECALL_M\n"
    if insn.name == "ebreak":
        return "exc = CAUSE_BREAKPOINT\ntval = pc  # as Spike and Sail: mtval = the ebreak's pc\n"
    if insn.name == "mret":
        back = "npc = mret(st)\nirq_at = irq_cycle(st)\n"
        return back + _PENALTY_BREAK.format(amount="MRET_PENALTY", cause="S_MRET")
    if insn.name == "wfi":
        return _WFI
    raise ValueError(f"no dispatch for system instruction {insn.name}")


def _alu3(insn: Insn) -> str:
    extra = timing.EXTRA_BY_KIND["alu3"]
    return (_ALU3.format(fn=_fn(insn))
            + (_PENALTY.format(amount=extra, cause="S_DIV") if extra else ""))


def _body(insn: Insn) -> str:
    """The branch of one row, unindented."""
    kind = insn.kind
    if kind == "alu":
        return f"regs[rd] = {_fn(insn)}(a, b, imm, pc)\n"
    if kind == "div":
        return (f"regs[rd] = {_fn(insn)}(a, b, imm, pc)\n"
                "# the divider holds EX: the division itself retires DIV_EXTRA cycles late\n"
                + _STALL.format(amount="DIV_EXTRA", cause="S_DIV"))
    if kind == "alu3":
        return _alu3(insn)
    if kind == "jal":
        return "t = (pc + imm) & M\n" + _taken(insn)
    if kind == "jalr":
        return "t = semantics.jalr_target(a, imm)\n" + _taken(insn)
    if kind == "branch":
        return f"if {_fn(insn)}(a, b):\n" + _indent("t = (pc + imm) & M\n" + _taken(insn))
    if kind == "load":
        return _load(insn)
    if kind == "store":
        return _store(insn)
    if kind == "csr":
        return _csr(insn)
    if kind == "system":
        return _system(insn)
    if kind == "fence":
        return "pass\n"
    if kind == "fencei":   # the ISS decodes a changed word again anyway: only the timing
        return ("npc = (pc + 4) & M\n"
                "if UARCH:\n    uq = dflush(ua, uc)\n"
                + _PENALTY.format(amount="TAKEN_BRANCH_PENALTY", cause="S_BR"))
    raise ValueError(f"no dispatch for kind {kind} of {insn.name}")


def _group() -> list[Insn]:
    """The ALU group's rows: one target of the jump."""
    return [i for i in dispatched() if alu_selector(i) >= 0]


def _group_source() -> str:
    """The dispatch's first branch, the ALU group's."""
    group = _group()
    results = "".join(f"x{k} = {_fn(BY_NAME[name])}(a, bb, 0, pc)\n" for k, name in enumerate(ALU_GROUP))
    cond = "".join(f"    {'or ' if k else ''}op == {i.op}\n" for k, i in enumerate(group))
    return (f"if (\n{cond}):  # {' '.join(i.name for i in group)}\n"
            + _indent(_ALU_GROUP.format(imm_bit=ALU_IMM.bit_length() - 1, results=results)))


def _hot_first() -> list[Insn]:
    """Every dispatched row, the hot ones first (in _HOT's order), then table order."""
    hot = [BY_NAME[name] for name in _HOT]
    return hot + [i for i in dispatched() if i not in hot]


def _others() -> list[Insn]:
    """The rows outside the group, hottest first."""
    group = _group()
    return [i for i in _hot_first() if i not in group]


def dispatch_source() -> str:
    """The dispatch, unindented: the ALU group, the other rows hottest first, then illegal."""
    out = _group_source()
    for insn in _others():
        out += f"elif op == {insn.op}:  # {insn.name}\n" + _indent(_body(insn))
    return out + "else:\n" + _indent(_ILLEGAL)


# The steady loop's load and store (simulator/loop.py): the loop has found the address
# in RAM and the data side free of cost before the dispatch; a misaligned one leaves.
def _steady_access(width: int) -> str:
    return f"if addr & {width - 1}:\n    break\n" if width > 1 else ""


def _steady_body(insn: Insn) -> str | None:
    """The branch of one row in the steady loop, or None when the row leaves it."""
    kind = insn.kind
    if kind == "alu":
        return f"regs[rd] = {_fn(insn)}(a, b, imm, pc)\n"
    if kind == "alu3" and not timing.EXTRA_BY_KIND["alu3"]:
        return _ALU3.format(fn=_fn(insn))
    if kind == "branch":  # as predicted (pred, ptk), or the steady loop leaves
        return (f"if {_fn(insn)}(a, b):\n    npc = (pc + imm) & M\n    tk = True\n"
                "    if npc & 3 or not ptk or pred != npc:\n        break\n"
                "elif ptk:\n    break\n")
    if kind == "jal":
        return ("npc = (pc + imm) & M\ntk = True\nif npc & 3 or not ptk or pred != npc:\n    break\n"
                f"regs[rd] = {_fn(insn)}(a, b, imm, pc)\n")
    if kind == "load":
        width = LOAD_WIDTH[insn.name]
        return (_steady_access(width)
                + f"regs[rd] = {_fn(insn)}(int({_RAM_VIEW[width]}))\nldrd = rd\n")
    if kind == "store":
        width = STORE_WIDTH[insn.name]
        return _steady_access(width) + f"{_RAM_VIEW[width]} = b\n" + _CODE_STORE
    return None


def steady_dispatch_source() -> str:
    """The steady loop's dispatch, unindented: the rows that can keep the steady flow
    (a branch or ``jal`` only as predicted; no ``jalr``, trap, CSR or wait); every
    other row ends the steady loop."""
    out = _group_source()
    for insn in _others():
        body = _steady_body(insn)
        if body is not None:
            out += f"elif op == {insn.op}:  # {insn.name}\n" + _indent(body)
    return out + "else:\n    break\n"


# The block loop's slots (simulator/blocks.py): a load or store that would trap or
# leave RAM, or a jump to a misaligned target, leaves the block before it has any
# effect, and the general loop runs it.
def _block_access(width: int) -> str:
    return ("addr = (a + imm) & M\no = addr - RAM_BASE\nif o < 0 or o >= size:\n    break\n"
            + (f"if addr & {width - 1}:\n    break\n" if width > 1 else ""))


_BLOCK_TAKEN = "if npc & 3:\n    break\n{link}pend = TAKEN_BRANCH_PENALTY\n"

# In the block loops the running block ends after such a store, and the blocks that hold
# the word are forgotten once its counts are settled (simulator/blocks.py and
# ublocks.py, ``cw``).
_BLOCK_CODE_STORE = ("if dec[o >> 2]:  # into code: the block ends after it (cw: its blocks forgotten)\n"
                     "    dec[o >> 2] = 0\n    cw = o >> 2\n    end = j + 1\n")


def _block_body(insn: Insn) -> str | None:
    """The branch of one row in the block loop, or None when a block does not hold it."""
    if not in_blocks(insn):
        return None
    kind = insn.kind
    link = f"regs[rd] = {_fn(insn)}(a, b, imm, pc)\n" if kind in ("alu", "jal", "jalr") else ""
    if kind == "alu":
        return link
    if kind == "alu3":
        return _ALU3.format(fn=_fn(insn))
    if kind == "fence":
        return "pass\n"
    if kind == "branch":
        return (f"if {_fn(insn)}(a, b):\n    npc = (pc + imm) & M\n"
                + _indent(_BLOCK_TAKEN.format(link="")))
    if kind == "jal":
        return "npc = (pc + imm) & M\n" + _BLOCK_TAKEN.format(link=link)
    if kind == "jalr":
        return "npc = semantics.jalr_target(a, imm)\n" + _BLOCK_TAKEN.format(link=link)
    if kind == "load":
        width = LOAD_WIDTH[insn.name]
        return _block_access(width) + f"regs[rd] = {_fn(insn)}(int({_RAM_VIEW[width]}))\n"
    if kind == "store":
        width = STORE_WIDTH[insn.name]
        return _block_access(width) + f"{_RAM_VIEW[width]} = b\n" + _BLOCK_CODE_STORE
    raise ValueError(f"no block slot for kind {kind} of {insn.name}")


# One slot of the block loop, before its dispatch. A block's words are decoded as long as
# its entry is kept: a store into a word forgets the blocks that hold it, and so does a
# breakpoint set in one (simulator/machine.py, ``forget_code``).
# (The UARCH block loop's slots, simulator/ublocks.py, the same without the profile's mark.)
_SLOT_FIELDS = """\
op = d & 0xFF
rd = (d >> RD_AT) & 63
a = regs[(d >> RS1_AT) & 31]
b = regs[(d >> RS2_AT) & 31]
imm = d >> IMM_AT
pc = RAM_BASE + (j << 2)
"""
_BLOCK_SLOT = """\
d = dec[j]
if PROF:
    d &= ~S.FSTART  # (a block's first word may begin a function's run)
""" + _SLOT_FIELDS
_UBLOCK_SLOT = "d = dec[j]\n" + _SLOT_FIELDS


def _block_rows(rows: list[Insn], first: str, body: Callable[[Insn], str | None] = _block_body) -> str:
    out = first
    for insn in rows:
        text = body(insn)
        if text is not None:
            out += f"{'elif' if out else 'if'} op == {insn.op}:  # {insn.name}\n" + _indent(text)
    return out + "else:\n    break\n"


def block_dispatch_source() -> str:
    """The block loop's slots, unindented: two loops over the block's words, each with
    a dispatch of its own. Long blocks mostly of ALU rows (blocks.B_GROUPED) take the
    ALU group's shared branch, as the general loop does (``Dispatch``); the others one
    branch per row, hottest first: in a short block the host predicts each row's own
    target well, and each result is then one operation away from its operands."""
    return _block_loops(_BLOCK_SLOT, "B_GROUPED", _block_body)


def _block_loops(slot: str, grouped_flag: str, body: Callable[[Insn], str | None]) -> str:
    """The two loops over a block's words up to ``end`` (the grouped one when ``e &
    grouped_flag``), each slot ``slot`` then the dispatch of the rows ``body`` holds."""
    slot += "{dispatch}j += 1\n"
    grouped = _block_rows(_others(), _group_source(), body)
    rows = _block_rows(_hot_first(), "", body)
    return _if_else(f"e & {grouped_flag}", "while j < end:\n" + _indent(slot.format(dispatch=grouped)),
                    "while j < end:\n" + _indent(slot.format(dispatch=rows)))


# The UARCH block loop's slots (simulator/ublocks.py): as the steady loop's, but a load or
# store finds its address in RAM and its line in the D-cache itself (a hit in another
# line stamped at once: it is the slot's last chance to leave), else leaves the block.
_UBLOCK_DCACHE = """\
if p_dc_sets != 0 and addr >> p_dc_shift != dlast:  # another line: a hit, else leave
    dlw = addr >> p_dc_shift
    df = p_dc_base + (dlw & (p_dc_sets - 1)) * p_dc_ways * DC_ROW
    dr = -1
    for w in range(p_dc_ways):
        if uc[df + w * DC_ROW] == dlw:
            dr = df + w * DC_ROW
    if dr < 0:
        break
    clk = ua[U_DCLOCK] + 1
    ua[U_DCLOCK] = clk
    uc[dr + 1] = clk
    dlast = dlw
    drow = dr
dch += 1
"""


# A branch or jump only finds its target here: whether it went as predicted is found once
# the block's fetches are timed (simulator/ublocks.py, ``mp``); a misaligned target traps,
# in the general slot.
_UBLOCK_TAKEN = "tk = True\nif npc & 3:\n    break\n"


def _ublock_body(insn: Insn) -> str | None:
    """The branch of one row in the UARCH block loop, or None when a block does not hold it."""
    if not in_ublocks(insn):
        return None
    if insn.kind == "branch":
        return f"if {_fn(insn)}(a, b):\n    npc = (pc + imm) & M\n" + _indent(_UBLOCK_TAKEN)
    if insn.kind in ("jal", "jalr"):
        target = "(pc + imm) & M" if insn.kind == "jal" else "semantics.jalr_target(a, imm)"
        return f"npc = {target}\n" + _UBLOCK_TAKEN + f"regs[rd] = {_fn(insn)}(a, b, imm, pc)\n"
    if insn.kind == "load":
        width = LOAD_WIDTH[insn.name]
        return (_block_access(width) + _UBLOCK_DCACHE
                + f"regs[rd] = {_fn(insn)}(int({_RAM_VIEW[width]}))\n")
    if insn.kind == "store":
        width = STORE_WIDTH[insn.name]
        return (_block_access(width) + _UBLOCK_DCACHE + f"{_RAM_VIEW[width]} = b\n"
                + "if p_dc_sets != 0:\n    uc[drow + 2] = 1\n" + _BLOCK_CODE_STORE)
    return _steady_body(insn)



def ublock_dispatch_source() -> str:
    """The UARCH block loop's slots, unindented: as the block loop's, two loops with a
    dispatch each (ublocks.UB_GROUPED)."""
    return _block_loops(_UBLOCK_SLOT, "UB_GROUPED", _ublock_body)


def table_source() -> str:
    """The rows the dispatch was written for, which loop.py compares with the table."""
    lines = textwrap.wrap(" ".join(i.name for i in INSNS), 96, break_on_hyphens=False)
    names = "".join(f'    "{line} "\n' for line in lines[:-1]) + f'    "{lines[-1]}"\n'
    return f"#: The table's rows, by op, when the dispatch was written.\nDISPATCHED = (\n{names})\n"


_REGION = re.compile(r"^( *)# ---- generated: (\w+) .*\n(?:.*\n)*?\1# ---- end of generated: \2 ----\n", re.M)


def _regions() -> dict[Path, dict[str, Callable[[], str]]]:
    """Each generated file's regions and what writes them."""
    return {LOOP: {"table": table_source, "dispatch": dispatch_source, "steady": steady_dispatch_source},
            BLOCKS: {"block": block_dispatch_source}, UBLOCKS: {"ublock": ublock_dispatch_source}}


def render(source: str, path: Path = LOOP) -> str:
    """``source`` (the text of ``path``, loop.py, blocks.py or ublocks.py) with its generated regions
    written anew."""
    made = _regions()[path]

    def fill(m: re.Match[str]) -> str:
        first, *_, last = m.group(0).splitlines(keepends=True)
        return first + textwrap.indent(made[m.group(2)](), m.group(1)) + last

    out, n = _REGION.subn(fill, source)
    if n != len(made):
        raise ValueError(f"{path} has {n} generated regions, not {len(made)}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulator.codegen", description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when a file is not what this writes")
    args = ap.parse_args(argv)
    stale = 0
    for path in _regions():
        old = path.read_text(encoding="utf-8")
        new = render(old, path)
        stale |= new != old
        if args.check:
            print(f"{path}: {'up to date' if new == old else 'out of date'}")
        elif new != old:
            path.write_text(new, encoding="utf-8")
            print(f"wrote {path}")
        else:
            print(f"{path} is up to date")
    return int(stale) if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
