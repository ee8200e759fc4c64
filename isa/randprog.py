"""Seeded random test programs for differential testing (ISS vs RTL vs QEMU).

A program seeds x1..x31 once, then runs blocks of random items, each block
re-seeding a few registers with edge values. Items are single instructions of
the ISA configuration with operands biased towards the last registers written
(forwarding and load-use hazards, including the Xchain rows' ``rs3`` and every
rotate amount), and sequences:

* loads and stores through ``gp`` (the middle of a 4 KiB scratch area, offsets
  -2048..2047), through a base register written just before (address
  generation hazards) or computed from a random register's value;
* forward branches and jumps, and bounded loops closed by each kind of branch
  (taken backward 0-4 times, then not taken); ``jalr`` with negative offsets,
  ``rd == rs1``, an odd target (bit 0 is ignored);
* producer and consumer pairs, the consumer's class drawn first (ALU,
  multiplication, division, Xchain's three-source rows, branch, CSR), and
  loads whose result is at once a load's or store's base, a store's data or a
  ``jalr``'s target (the load-use stall for every consumer);
* divisions by zero and ``INT_MIN / -1``;
* rows reading a register just set to 0, all ones, a negative or a small value
  (the coverage model's value classes), and results written to ``x0`` one time in
  eight;
* traps that continue: ``ecall``, ``ebreak``, illegal words, writes to
  read-only and unknown CSRs, misaligned loads, stores, branch and jump
  targets, loads and stores where no device answers, a jump there (fetch
  access fault). The handler (after the program's code, ``mtvec``) resumes
  after the trapping instruction (after the jump, for a fetch fault) and leaves
  ``mtval`` in ``mscratch``;
* reads of every CSR, writes of the writable ones that do not change control
  flow (not ``mstatus`` or ``mtvec``), counters, and of ``misa`` and ``mip``
  (ignored); device reads and ``mtimecmp`` writes;
* timer interrupts: ``mtimecmp`` set a few cycles past ``mtime``, ``mie.MTIE`` and
  ``mstatus.MIE`` set, sometimes followed by a ``wfi`` that the timer wakes; the
  handler turns ``MTIE`` off (random ``mie`` writes and ``mtimecmp`` values may
  raise more);
* stores of a word, halfword or byte into an instruction four slots ahead,
  which then runs in its new form (docs/timing.md, "Stores into code"), with
  Zifencei sometimes a ``fence.i`` between.

docs/coverage.md measures what they exercise (``chainrv coverage --random N``).

The state is dumped cheaply: the registers are stored once at the end (every
register write and store is a record the lockstep compares). With
``qemu=True`` the program leaves out what QEMU does differently or cannot
match cycle for cycle (counters, ``mtime``, ``mip``, interrupts, misaligned
accesses, ``ebreak``, access faults, ``misa`` and ``mip`` writes) and prints
the registers in hex after every block and the scratch area at the end, so
that QEMU's output can be compared with the ISS's.
``selfmod=False`` leaves out stores into code (outside the contract with
caches, docs/timing.md).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from .asm import assemble
from .config import IsaConfig
from .csrs import BY_NUMBER, CSRS, MHARTID, MIE, MIP, MISA, MSTATUS, MTVEC
from .elfwriter import make_elf
from .encoding import encode, sext
from .memmap import CLINT_BASE, CLINT_MTIME, CLINT_MTIMECMP, UART_BASE, UART_LSR
from .table import INSNS, Insn

BASE = 0x8000_0000
SCRATCH = 0x8008_0000
SCRATCH_BYTES = 4096
#: the registers are stored in the last 128 bytes of the scratch area
DUMP = SCRATCH + SCRATCH_BYTES - 32 * 4
#: gp points to the middle of the scratch area: every 12-bit offset lands in it
GP = 3
GP_VALUE = SCRATCH + SCRATCH_BYTES // 2
#: the word below the dump: where the handler resumes after a fetch access fault
RESUME = DUMP - 4
#: no device answers here: accesses and fetches fault
UNMAPPED = 0x4000_0000
EDGE = (0, 1, 2, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0x80000001, 31, 32, 0xFF, 0x8000)

_WIDTH = {"lb": 1, "lbu": 1, "lh": 2, "lhu": 2, "lw": 4, "sb": 1, "sh": 2, "sw": 4}
#: writable CSRs whose writes change no control flow
_CSR_WRITABLE = tuple(c.number for c in CSRS if c.wmask and c.number not in (MSTATUS, MTVEC))
#: CSRs whose writes are ignored here (QEMU's misa and mip take some bits)
_CSR_IGNORED = (MISA, MIP)
#: numbers outside the CSR table (illegal here); QEMU has PMP and mhpmcounter CSRs
_CSR_UNKNOWN = (0x7C0, 0x5C0, 0x3A0, 0xB03)
_CSR_UNKNOWN_QEMU = (0x7C0, 0x5C0)
#: CSRs QEMU holds alike (misa, mstatus and the ID registers have more bits there), and
#: those it writes alike (its mie has supervisor bits, its mepc keeps bit 1)
_CSR_QEMU = ("mscratch", "mepc", "mcause", "mtval", "mtvec", "mie", "mhartid")
_CSR_QEMU_WRITE = ("mscratch", "mcause", "mtval")
#: words no configuration decodes (illegal instruction)
_ILLEGAL = (0x0000_0000, 0xFFFF_FFFF, 0x0000_007F)
_SAFE_ALU = ("addi", "slti", "sltiu", "xori", "ori", "andi")
_ECALL = next(i for i in INSNS if i.name == "ecall")


@dataclass
class Program:
    code: bytes
    scratch: bytes
    seed: int

    def elf(self) -> bytes:
        return make_elf([(BASE, self.code), (SCRATCH, self.scratch)], BASE)


def li(rd: int, value: int) -> list[int]:
    """lui + addi loading a 32-bit value."""
    value &= 0xFFFFFFFF
    lo = sext(value & 0xFFF, 12)
    hi = ((value - lo) >> 12) & 0xFFFFF
    return [encode("lui", rd=rd, imm=hi << 12), encode("addi", rd=rd, rs1=rd, imm=lo)]


class _Gen:
    def __init__(self, rng: random.Random, config: IsaConfig, qemu: bool, selfmod: bool) -> None:
        self.rng = rng
        self.config = config
        self.qemu = qemu
        self.selfmod = selfmod
        usable = [i for i in INSNS if i.ext in config]
        self.insns = [i for i in usable if i.kind not in ("system", "jal", "jalr", "branch")]
        self.control = [i for i in usable if i.kind in ("jal", "jalr", "branch")]
        #: instructions of other configurations: illegal words here
        self.foreign = [i for i in INSNS if i.ext not in config and i.fmt in ("R", "R4", "Rrot", "unary")]
        self.words: list[int] = []
        self.recent: list[int] = []
        self.locked: set[int] = {GP}
        #: a register the next sources read often (pair()), or always (corner())
        self.force = 0
        self.force_always = False
        #: the register the next rd() gives (corner(): rd = rs1)
        self.rd_next = 0
        #: rows with a data source (not an address): corner()'s
        self._corner_rows = [i for i in (*self.insns, *self.control)
                             if ("rs1" in i.args or "rs2" in i.args)
                             and i.kind not in ("load", "jalr", "fence", "fencei")
                             and not (i.kind == "csr" and i.name.endswith("i"))]
        #: what is left of each item's shuffled cycle (cycled())
        self._cycles: dict[str, list] = {}
        self.csrs = [c for c in CSRS if not qemu or c.name in _CSR_QEMU]
        self.csr_writable = [c for c in _CSR_WRITABLE if not qemu or BY_NUMBER[c].name in _CSR_QEMU_WRITE]
        if not qemu:
            self.csr_writable += _CSR_IGNORED
        #: traps need a handler, so Zicsr to set mtvec
        self.traps = any(i.kind == "csr" for i in usable)
        self.fencei = any(i.kind == "fencei" for i in usable)

    # ------------------------------------------------------------ operands
    def value(self) -> int:
        r = self.rng
        return r.choice(EDGE) if r.random() < 0.3 else r.getrandbits(32)

    def rd(self) -> int:
        """A destination register; x0 one time in eight (a result no one may see)."""
        if self.rd_next:
            rd, self.rd_next = self.rd_next, 0
            return rd
        if self.rng.random() < 0.125:
            return 0
        while True:
            r = self.rng.randrange(1, 32)
            if r not in self.locked:
                return r

    def reg(self) -> int:
        """A register other than x0 that rd() could give."""
        while True:
            r = self.rng.randrange(1, 32)
            if r not in self.locked:
                return r

    def src(self) -> int:
        """A source register, often one of the last written (a forwarding or load-use hazard)."""
        if self.force and (self.force_always or self.rng.random() < 0.7):
            return self.force
        if self.recent and self.rng.random() < 0.5:
            return self.rng.choice(self.recent)
        return self.rng.randrange(0, 32)

    def wrote(self, rd: int) -> None:
        if rd:
            self.recent = [*self.recent[-3:], rd]

    def cycled(self, key: str, items: Callable[[], list]):
        """The next of ``items()`` in a shuffled cycle, refilled and shuffled again when it
        is used up: every one comes before any comes twice (None: there are none)."""
        left = self._cycles.setdefault(key, [])
        if not left:
            left.extend(items())
            self.rng.shuffle(left)
        return left.pop() if left else None

    def put(self, word: int, rd: int = 0) -> None:
        self.words.append(word)
        self.wrote(rd)

    def alu(self) -> int:
        """A plain I-type ALU instruction (no trap, no control flow)."""
        rd = self.rd()
        self.wrote(rd)
        return encode(self.rng.choice(_SAFE_ALU), rd=rd, rs1=self.src(), imm=self.rng.randrange(-2048, 2048))

    # ------------------------------------------------------------ items
    def emit_insn(self, insn: Insn) -> None:
        r = self.rng
        name, fmt, kind = insn.name, insn.fmt, insn.kind
        rd = self.rd()
        if kind in ("load", "store"):
            self.memory(name)
        elif kind == "div" and r.random() < 0.4:
            a, b = self.reg(), self.reg()
            if r.random() < 0.5:
                self.words += li(a, 0x80000000) + li(b, 0xFFFFFFFF)   # overflow
            else:
                self.words += li(a, self.value()) + [encode("addi", rd=b, rs1=0, imm=0)]  # by zero
            self.put(encode(name, rd=rd, rs1=a, rs2=b), rd)
        elif kind == "csr":
            self.csr(name)
        elif kind == "fence":
            self.put(encode("fence", imm=0x0FF))
        elif fmt == "U":
            self.put(encode(name, rd=rd, imm=r.getrandbits(20) << 12), rd)
        elif fmt == "I":
            self.put(encode(name, rd=rd, rs1=self.src(), imm=r.randrange(-2048, 2048)), rd)
        elif fmt == "Ishift":
            self.put(encode(name, rd=rd, rs1=self.src(), imm=r.randrange(0, 32)), rd)
        elif fmt == "Rbs":
            self.put(encode(name, rd=rd, rs1=self.src(), rs2=self.src(), imm=r.randrange(0, 4)), rd)
        elif fmt == "R4":      # imm is the number of rs3
            self.put(encode(name, rd=rd, rs1=self.src(), rs2=self.src(), imm=self.src()), rd)
        elif fmt == "Rrot":    # imm is the rotate amount
            self.put(encode(name, rd=rd, rs1=self.src(), rs2=self.src(), imm=r.randrange(0, 32)), rd)
        else:  # R, unary
            self.put(encode(name, rd=rd, rs1=self.src(), rs2=self.src()), rd)

    def memory(self, name: str) -> None:
        """A load or store in scratch RAM, its base register written just before or gp."""
        r = self.rng
        width = _WIDTH[name]
        addr = SCRATCH + r.randrange(0, SCRATCH_BYTES, width)
        mode = r.random()
        if mode < 0.35:
            base, off = GP, addr - GP_VALUE
        elif mode < 0.7:           # base = addr - off, written 0-2 slots before the access
            base, off = self.reg(), r.randrange(-2048, 2048) & ~(width - 1)
            self.words += li(base, addr - off)
            self.wrote(base)
            self.words += [self.alu_avoiding(base) for _ in range(r.randrange(0, 3))]
        else:                      # base from a register's value: gp + (x & 0x7fc), off <= 0
            base = self.reg()
            self.put(encode("andi", rd=base, rs1=self.src(), imm=0x7FC), base)
            self.put(encode("add", rd=base, rs1=base, rs2=GP), base)
            off = -r.randrange(0, 2048 // width) * width
        if name.startswith("s"):
            self.put(encode(name, rs1=base, rs2=self.src(), imm=off))
        else:
            rd = base if base != GP and r.random() < 0.25 else self.rd()      # rd = rs1
            self.put(encode(name, rd=rd, rs1=base, imm=off), rd)

    def alu_avoiding(self, reg: int) -> int:
        self.locked.add(reg)
        word = self.alu()
        self.locked.discard(reg)
        return word

    def csr(self, name: str) -> None:
        r = self.rng
        rd = self.rd()
        reads_only = not self.force and r.random() < 0.5      # (a consumer of pair() reads)
        if reads_only:
            csr = r.choice(self.csrs).number
            op = "csrrs" if name in ("csrrw", "csrrwi") else name
            self.put(encode(op, rd=rd, rs1=0, imm=csr), rd)
        else:
            csr = r.choice(self.csr_writable)
            src = r.randrange(32) if name.endswith("i") else self.src()   # zimm or a register
            self.put(encode(name, rd=rd, rs1=src, imm=csr), rd)

    def branch(self, insn: Insn) -> None:
        r = self.rng
        if insn.kind == "branch":
            skip = r.randrange(0, 4)
            self.put(encode(insn.name, rs1=self.src(), rs2=self.src(), imm=4 * (skip + 1)))
            self.words += [self.alu() for _ in range(skip)]
        elif insn.kind == "jal":
            skip = r.randrange(0, 4)
            rd = self.rd()
            self.put(encode("jal", rd=rd, imm=4 * (skip + 1)), rd)
            self.words += [self.alu() for _ in range(skip)]
        else:
            self.jalr()

    def jalr(self) -> None:
        """auipc then jalr a few instructions on: a negative offset, rd == rs1, an odd
        target (bit 0 is dropped), the base written just before."""
        r = self.rng
        tmp = self.reg()
        skip = r.randrange(0, 4)
        adjust = r.choice((0, 0, 2047, 64, -4))       # tmp = auipc + adjust, jalr offset - adjust
        odd = r.random() < 0.25
        words = [encode("auipc", rd=tmp, imm=0)]
        if adjust:
            words.append(encode("addi", rd=tmp, rs1=tmp, imm=adjust))
        here = len(words)          # jalr's index after the auipc
        rd = tmp if r.random() < 0.3 else self.rd()
        target = 4 * (here + 1 + skip)
        words.append(encode("jalr", rd=rd, rs1=tmp, imm=target - adjust + (1 if odd else 0)))
        self.words += words
        self.wrote(rd)
        self.words += [self.alu() for _ in range(skip)]

    def loop(self) -> None:
        """A bounded loop: a counter set to 1..5, a body of random instructions that do
        not write it, a backward branch."""
        r = self.rng
        counter = self.reg()
        self.put(encode("addi", rd=counter, rs1=0, imm=r.randint(1, 5)), counter)
        self.locked.add(counter)
        top = len(self.words)
        for _ in range(r.randint(1, 8)):
            self.emit_insn(r.choice(self.insns))
        self.put(encode("addi", rd=counter, rs1=counter, imm=-1), counter)
        form = r.randrange(6)
        if form >= 3:              # a flag (counter == 0) or the limit 1, written just before
            tmp = self.reg()
            if form == 3:
                self.put(encode("sltiu", rd=tmp, rs1=counter, imm=1), tmp)
            else:
                self.put(encode("addi", rd=tmp, rs1=0, imm=1), tmp)
        back = 4 * (top - len(self.words))
        if form == 0:
            self.put(encode("bne", rs1=counter, rs2=0, imm=back))
        elif form == 1:
            self.put(encode("blt", rs1=0, rs2=counter, imm=back))
        elif form == 2:
            self.put(encode("bltu", rs1=0, rs2=counter, imm=back))
        elif form == 3:            # taken while the flag is 0
            self.put(encode("beq", rs1=tmp, rs2=0, imm=back))
        else:                      # taken while counter >= 1
            self.put(encode("bge" if form == 4 else "bgeu", rs1=counter, rs2=tmp, imm=back))
        self.locked.discard(counter)

    def trap(self) -> None:
        """An instruction that traps; the handler resumes after it."""
        r = self.rng
        kinds = ["ecall", "illegal", "csr_ro", "csr_unknown"]
        if not self.qemu:
            kinds += ["ebreak", "misaligned_mem", "misaligned_branch", "misaligned_jump",
                      "access_fault", "fetch_fault"]
        kind = r.choice(kinds)
        if kind == "access_fault":      # a load or store where no device answers
            self.access_fault()
        elif kind == "fetch_fault":
            self.fetch_fault()
        elif kind == "ecall":
            self.put(encode("ecall"))
        elif kind == "ebreak":
            self.put(encode("ebreak"))
        elif kind == "illegal":
            if self.foreign and r.random() < 0.5:
                insn = r.choice(self.foreign)
                self.put(encode(insn.name, rd=self.rd(), rs1=self.src(), rs2=self.src(), imm=r.randrange(32)))
            else:
                self.put(r.choice(_ILLEGAL))
        elif kind == "csr_ro":       # a write to a read-only CSR
            # QEMU 7.2 lets csrrs/csrrc through when x[rs1] is 0 (the spec: rs1 != x0 writes)
            op = "csrrw" if self.qemu else r.choice(("csrrw", "csrrs", "csrrc"))
            self.put(encode(op, rd=self.rd(), rs1=r.randrange(1, 32),
                            imm=r.choice((MHARTID, 0xC00, 0xF11))))
        elif kind == "csr_unknown":
            self.put(encode("csrrs", rd=self.rd(), rs1=0,
                            imm=r.choice(_CSR_UNKNOWN_QEMU if self.qemu else _CSR_UNKNOWN)))
        elif kind == "misaligned_mem":
            name = r.choice(("lw", "lh", "lhu", "sw", "sh"))
            width = _WIDTH[name]
            off = r.randrange(-2048, 2048 - 4)
            off += 1 if off % width == 0 else 0
            if name.startswith("s"):
                self.put(encode(name, rs1=GP, rs2=self.src(), imm=off))
            else:
                self.put(encode(name, rd=self.rd(), rs1=GP, imm=off))
        elif kind == "misaligned_branch":   # traps only when taken
            self.put(encode(r.choice(("beq", "bne", "bge", "bltu")), rs1=self.src(), rs2=self.src(),
                            imm=r.choice((6, 10, -2))))
        else:                               # jal to .+6, or jalr to a target with bit 1 set
            if r.random() < 0.5:
                self.put(encode("jal", rd=self.rd(), imm=r.choice((6, 10, -6))))
            else:
                tmp = self.reg()
                self.put(encode("auipc", rd=tmp, imm=0), tmp)
                self.put(encode("jalr", rd=self.rd(), rs1=tmp, imm=r.choice((6, 10, 2, -2))))

    def access_fault(self) -> None:
        r = self.rng
        name = r.choice(tuple(_WIDTH))
        base = self.reg()
        self.words += li(base, UNMAPPED + r.randrange(0, 1 << 16, 4))
        self.wrote(base)
        off = r.randrange(-2048, 2048, _WIDTH[name])
        if name.startswith("s"):
            self.put(encode(name, rs1=base, rs2=self.src(), imm=off))
        else:
            rd = self.rd()
            self.put(encode(name, rd=rd, rs1=base, imm=off), rd)

    def fetch_fault(self) -> None:
        """A jump where no memory is: the handler resumes at the address stored at RESUME.
        A timer interrupt pending at the faulting fetch comes first (docs/hdl.md). Three
        times in four the target is a small value just loaded by a sub-word load, the
        widths in a shuffled cycle (the load-use stall of a jalr behind each load width: no
        such value is a mapped address)."""
        r = self.rng
        back, target = self.reg(), self.reg()
        while back == target:
            target = self.reg()
        if r.random() < 0.75:
            width = self.cycled("fault widths", lambda: ["lb", "lbu", "lh", "lhu"])
            value = r.randrange(4, 128 if width == "lb" else 256 if width == "lbu" else 0x8000, 4)
            at = RESUME - 8 - GP_VALUE
            store = "sh" if width[1] == "h" else "sb"
            self.words += [*li(target, value), encode(store, rs1=GP, rs2=target, imm=at)]
            self.words += [encode("auipc", rd=back, imm=0), encode("addi", rd=back, rs1=back, imm=20),
                           encode("sw", rs1=GP, rs2=back, imm=RESUME - GP_VALUE),
                           encode(width, rd=target, rs1=GP, imm=at)]
        else:
            self.words += [encode("auipc", rd=back, imm=0), encode("addi", rd=back, rs1=back, imm=24),
                           encode("sw", rs1=GP, rs2=back, imm=RESUME - GP_VALUE),
                           *li(target, UNMAPPED + r.randrange(0, 1 << 16, 4))]
        rd = self.rd()
        self.put(encode("jalr", rd=rd, rs1=target, imm=0), rd)     # the auipc's sixth word (or fifth)
        self.wrote(back)
        self.wrote(target)

    def branch_after_load(self) -> None:
        """A branch whose rs1 was loaded (by a load of any width) by the instruction just
        before, with values that make it go the way a shuffled cycle of (branch, taken)
        pairs asks."""
        r = self.rng
        branches = [i for i in self.control if i.kind == "branch"]
        if not branches:
            return
        insn, taken = self.cycled("branch after load",
                                  lambda: [(i, t) for i in branches for t in (False, True)])
        x, y = self.reg(), self.reg()
        while y == x:
            y = self.reg()
        # equal operands: beq, bge, bgeu taken; 1 < 2: blt, bltu, bne taken
        equal = taken == (insn.name in ("beq", "bge", "bgeu"))
        at = r.randrange(-2048, 2048 - 128, 4)
        width = r.choice(("lw", "lh", "lhu", "lb", "lbu"))        # each reads 1 back
        self.words += [*li(x, 1), encode("sw", rs1=GP, rs2=x, imm=at), *li(y, 1 if equal else 2),
                       encode(width, rd=x, rs1=GP, imm=at)]
        skip = r.randrange(0, 4)
        self.put(encode(insn.name, rs1=x, rs2=y, imm=4 * (skip + 1)))
        self.words += [self.alu() for _ in range(skip)]
        self.wrote(y)
        self.wrote(x)

    def csr_cycle(self) -> None:
        """Every CSR by every CSR instruction that can run on it, in a shuffled cycle: the
        read-only ones read (no write: rs1 x0, zimm 0); the ones the program may change as
        csr() writes them; mstatus and mtvec written with the value they hold (mtvec's
        csrrwi with the timer's interrupts off and put back at once)."""
        r = self.rng
        rows = [i for i in INSNS if i.kind == "csr" and i.ext in self.config]
        c, insn = self.cycled("csr", lambda: [(c, i) for c in CSRS for i in rows
                                             if not (c.read_only and i.name in ("csrrw", "csrrwi"))])
        name, imm_form = insn.name, insn.name.endswith("i")
        rd = self.rd()
        if c.number in self.csr_writable:
            src = r.randrange(32) if imm_form else self.src()
            self.put(encode(name, rd=rd, rs1=src, imm=c.number), rd)
        elif c.number in (MSTATUS, MTVEC) and name in ("csrrw", "csrrwi"):
            t = self.reg()
            if name == "csrrw":             # the value it holds, written back
                self.words.append(encode("csrrs", rd=t, rs1=0, imm=c.number))
                self.put(encode("csrrw", rd=rd, rs1=t, imm=c.number), rd)
            elif c.number == MSTATUS:       # 0: the interrupts off (MPP reads 3 whatever is written)
                self.put(encode("csrrwi", rd=rd, rs1=0, imm=MSTATUS), rd)
            else:                           # mtvec 0 for two instructions, the interrupts off
                self.words += [encode("csrrci", rd=0, rs1=8, imm=MSTATUS),
                               encode("csrrs", rd=t, rs1=0, imm=MTVEC)]
                self.put(encode("csrrwi", rd=rd, rs1=0, imm=MTVEC), rd)
                self.words.append(encode("csrrw", rd=0, rs1=t, imm=MTVEC))
            self.wrote(t)
        else:                               # read only: csrrs/csrrc x0, csrrsi/csrrci 0
            self.put(encode(name, rd=rd, rs1=0, imm=c.number), rd)

    def device(self) -> None:
        """A device register: the UART's LSR; with lockstep, mtime and mtimecmp."""
        r = self.rng
        base = self.reg()
        choices = ["lsr"] if self.qemu else ["lsr", "mtime", "mtimecmp"]
        kind = r.choice(choices)
        rd = self.rd()
        if kind == "lsr":
            self.words += li(base, UART_BASE)
            self.put(encode(r.choice(("lb", "lbu")), rd=rd, rs1=base, imm=UART_LSR), rd)
        elif kind == "mtime":
            self.words += li(base, CLINT_BASE + CLINT_MTIME)
            self.put(encode("lw", rd=rd, rs1=base, imm=r.choice((0, 4))), rd)
        else:
            self.words += li(base, CLINT_BASE + CLINT_MTIMECMP)
            if r.random() < 0.5:
                self.put(encode("sw", rs1=base, rs2=self.src(), imm=r.choice((0, 4))))
            else:
                self.put(encode("lw", rd=rd, rs1=base, imm=r.choice((0, 4))), rd)
        self.wrote(base)

    def interrupt(self) -> None:
        """Arm the timer a few cycles ahead and enable it: the interrupt comes some
        instructions later (with lockstep: it depends on cycles)."""
        r = self.rng
        a, b = self.reg(), self.reg()
        while b == a:
            b = self.reg()
        # wfi right after the arming, which takes far fewer cycles than the delay, even
        # on cache misses: the timer cannot have fired yet, so the wfi is woken by it
        wfi = r.random() < 0.25
        # or a run of instructions of one class right after: the interrupt lands in it
        run = not wfi and r.random() < 0.5
        if run:
            # enabled first (mtimecmp out of reach meanwhile), then mtimecmp = mtime + a
            # delay shorter than the run (24 instructions, 24 cycles or more): the
            # interrupt falls due in the run, or at its first instruction when the
            # arming took longer (cache misses)
            c = self.reg()
            while c in (a, b):
                c = self.reg()
            self.words += [*li(a, CLINT_BASE + CLINT_MTIMECMP), encode("addi", rd=b, rs1=0, imm=-1),
                           encode("sw", rs1=a, rs2=b, imm=4), encode("addi", rd=b, rs1=0, imm=0x80),
                           encode("csrrs", rd=0, rs1=b, imm=MIE), encode("csrrsi", rd=0, rs1=8, imm=MSTATUS),
                           *li(c, CLINT_BASE + CLINT_MTIME), encode("lw", rd=b, rs1=c, imm=0),
                           encode("addi", rd=b, rs1=b, imm=r.randrange(2, 20)),
                           encode("sw", rs1=a, rs2=b, imm=0), encode("sw", rs1=a, rs2=0, imm=4)]
            self.wrote(a)
            self.wrote(b)
            self.wrote(c)
            self.class_run(24)
            return
        self.words += li(a, CLINT_BASE + CLINT_MTIME)
        self.words.append(encode("lw", rd=b, rs1=a, imm=0))
        delay = r.randrange(150, 200) if wfi else r.randrange(0, 40)
        self.words.append(encode("addi", rd=b, rs1=b, imm=delay))
        self.words += li(a, CLINT_BASE + CLINT_MTIMECMP)
        self.words.append(encode("sw", rs1=a, rs2=0, imm=4))
        self.words.append(encode("sw", rs1=a, rs2=b, imm=0))
        self.words.append(encode("addi", rd=b, rs1=0, imm=0x80))
        self.words.append(encode("csrrs", rd=0, rs1=b, imm=MIE))
        self.words.append(encode("csrrsi", rd=0, rs1=8, imm=MSTATUS))     # mstatus.MIE
        if wfi:
            self.words.append(encode("wfi"))
        self.wrote(a)
        self.wrote(b)

    def class_run(self, n: int) -> None:
        """``n`` instructions of one class (kind, the multiplications apart), the classes
        taken in a shuffled cycle (every class gets its runs, the interrupt lands in each)."""
        r = self.rng
        rows = [*self.insns, *self.control] + ([] if self.qemu else [_ECALL])
        kind = self.cycled("class run", lambda: sorted({(i.kind, i.ext == "m") for i in rows
                                                        if i.kind not in ("csr", "fencei")}))
        if kind[0] == "jalr":          # jalrs through one base, each to the next word
            base = self.reg()
            self.put(encode("auipc", rd=base, imm=0), base)
            self.locked.add(base)
            for k in range(n):
                rd = self.rd()
                self.put(encode("jalr", rd=rd, rs1=base, imm=4 * (k + 2)), rd)
            self.locked.discard(base)
            return
        same = [i for i in rows if (i.kind, i.ext == "m") == kind]
        for _ in range(n):
            insn = r.choice(same)
            if insn.kind in ("branch", "jal"):
                self.branch(insn)
            elif insn.kind == "system":
                self.put(encode(insn.name))
            elif insn.kind in ("load", "store"):       # through gp: every slot of the run one
                off = r.randrange(-2048, 2048 - 128, _WIDTH[insn.name])
                rd = 0 if insn.kind == "store" else self.rd()
                self.put(encode(insn.name, rd=rd, rs1=GP, rs2=self.src(), imm=off), rd)
            else:
                self.emit_insn(insn)

    def evict(self) -> None:
        """Stores to lines 32 KiB apart above the scratch area, then loads back: they share
        a set in any cache whose way is 32 KiB or a power-of-two fraction of it, so dirty
        lines are evicted (written back) by the later ones."""
        r = self.rng
        base, value = self.reg(), self.reg()
        while value == base:
            value = self.reg()
        off = r.randrange(0, 4096, 4)
        for k in r.sample(range(1, 16), r.randint(3, 15)):
            self.words += li(base, SCRATCH + 0x8000 * k + off)
            name = r.choice(("sw", "lw")) if k % 3 == 0 else "sw"
            if name == "sw":
                self.put(encode("sw", rs1=base, rs2=self.src(), imm=0))
            else:
                self.put(encode("lw", rd=value, rs1=base, imm=0), value)
        self.wrote(base)

    def patch(self) -> None:
        """A store into the instruction four slots after it, which then runs in its new form."""
        r = self.rng
        name = r.choice(("sw", "sh", "sb"))
        width = _WIDTH[name]
        offset = r.randrange(0, 4, width)
        mask = ((1 << (8 * width)) - 1) << (8 * offset)
        while True:        # a different word whose rd is not reserved (both drawn again)
            old, new = self.alu(), self.alu()
            merged = (old & ~mask) | (new & mask)
            if (merged >> 7) & 31 not in self.locked and merged != old:
                break
        base = self.reg()
        self.locked.add(base)
        value_reg = self.reg()
        self.words += li(value_reg, merged >> (8 * offset))
        self.words.append(encode("auipc", rd=base, imm=0))
        self.locked.add(value_reg)
        fillers = [self.alu() for _ in range(3)]
        self.locked -= {value_reg, base}
        if self.qemu or r.random() < 0.5:
            # a taken jump between: QEMU sees a store into the block it is running only
            # after the block ends (no precise self-modifying code on RISC-V)
            fillers[r.randrange(3)] = encode("jal", rd=0, imm=4)
        if self.fencei and r.random() < 0.5:        # what the contract with caches asks for
            fillers[r.randrange(3)] = encode("fence.i")
        self.words.append(encode(name, rs1=base, rs2=value_reg, imm=4 * 5 + offset))
        self.words += fillers
        self.words.append(old)
        self.wrote(base)

    def pair(self) -> None:
        """A producer (often a load) and a consumer reading its result at once (a
        forwarding path or the load-use stall, for rs1, rs2 and rs3 alike)."""
        r = self.rng
        loads = [i for i in self.insns if i.kind == "load"]
        readers = [i for i in self.insns
                   if i.kind not in ("fence", "fencei", "load", "store") and i.fmt != "U"]
        # the consumer's class first, so that the few rs3 readers get their share; behind a
        # load, the (load, class) pairs in a shuffled cycle (each width before each class)
        kinds = sorted({(i.kind, i.ext == "m") for i in readers})
        kind = r.choice(kinds) if kinds else None
        if loads and kinds and r.random() < 0.5:
            producer, kind = self.cycled("load pair", lambda: [(ld, k) for ld in loads for k in kinds])
            self.rd_next = self.reg()         # a register the consumer can read
        else:
            producer = r.choice(self.insns)
        self.emit_insn(producer)
        self.rd_next = 0
        if self.recent and kinds:
            self.force = self.recent[-1]
            self.emit_insn(r.choice([i for i in readers if (i.kind, i.ext == "m") == kind]))
            self.force = 0

    def corner(self) -> None:
        """A row reading, as every source, a register just set (one to three instructions
        before) to a corner of the coverage model's value classes (0, all ones, the sign bit
        set, a small value), and writing it half the time (rd = rs1); a store stores it.
        The (row, class) pairs are taken in a shuffled cycle, so a program of enough items
        reads each."""
        r = self.rng
        pair = self.cycled("corner", lambda: [(i, c) for i in self._corner_rows for c in range(4)])
        if pair is None:
            return
        insn, cls = pair
        reg = self.reg()
        value = (0, 0xFFFF_FFFF, 0x8000_0000 | r.getrandbits(31), r.randrange(1, 256))[cls]
        self.words += li(reg, value)
        self.wrote(reg)
        self.words += [encode("addi", rd=0, rs1=0, imm=0)] * r.randrange(0, 3)   # read at distance 1-3
        if insn.kind == "store":            # the value as data, to the scratch area
            width = _WIDTH[insn.name]
            self.put(encode(insn.name, rs1=GP, rs2=reg, imm=r.randrange(-2048, 2048 - 128, width)))
            return
        if insn.kind == "csr":              # a write of a CSR the program may change
            rd = self.rd()
            self.put(encode(insn.name, rd=rd, rs1=reg, imm=r.choice(self.csr_writable)), rd)
            return
        self.force, self.force_always = reg, True
        if insn.kind == "branch":
            self.branch(insn)
        else:
            self.rd_next = reg if r.random() < 0.5 else 0        # rd = rs1 half the time
            self.emit_insn(insn)
        self.force, self.force_always, self.rd_next = 0, False, 0

    def load_chain(self) -> None:
        """A load whose result is used at once as an address (a load's or store's base,
        a jalr's target) or as a store's data: the load-use stall for those consumers."""
        r = self.rng
        off = r.randrange(-2048, 2048 - 128, 4)     # below the dump
        kind = r.choice(("base", "data", "jalr"))
        p = self.reg()
        if kind == "base":
            self.put(encode("sw", rs1=GP, rs2=GP, imm=off))
            self.put(encode("lw", rd=p, rs1=GP, imm=off), p)
            name = r.choice(tuple(_WIDTH))
            at = r.randrange(-2048, 2048 - 128, _WIDTH[name])
            if name.startswith("s"):
                self.put(encode(name, rs1=p, rs2=self.src(), imm=at))
            else:
                rd = self.rd()
                self.put(encode(name, rd=rd, rs1=p, imm=at), rd)
        elif kind == "data":
            self.put(encode(r.choice(("lw", "lh", "lhu", "lb", "lbu")), rd=p, rs1=GP, imm=off), p)
            name = r.choice(("sw", "sh", "sb"))
            self.put(encode(name, rs1=GP, rs2=p, imm=r.randrange(-2048, 2048 - 128, _WIDTH[name])))
        else:                       # auipc, addi, sw, lw, jalr: the jalr goes to the word after it
            self.words += [encode("auipc", rd=p, imm=0), encode("addi", rd=p, rs1=p, imm=20),
                           encode("sw", rs1=GP, rs2=p, imm=off), encode("lw", rd=p, rs1=GP, imm=off)]
            rd = self.rd()
            self.put(encode("jalr", rd=rd, rs1=p, imm=0), rd)
            self.wrote(p)

    def item(self) -> None:
        r = self.rng
        x = r.random()
        if x < 0.07 and self.control:
            self.branch(r.choice(self.control))
        elif x < 0.12:
            self.loop()
        elif x < 0.19 and self.traps:
            self.trap()
        elif x < 0.21:
            self.device()
        elif x < 0.23 and self.selfmod:
            self.patch()
        elif x < 0.26 and self.traps and not self.qemu:
            self.interrupt()
        elif x < 0.29:
            self.load_chain()
        elif x < 0.30:
            self.evict()
        elif x < 0.40:
            self.pair()
        elif x < 0.52:
            self.corner()
        elif x < 0.55:
            self.branch_after_load()
        elif x < 0.61 and self.traps and not self.qemu:
            self.csr_cycle()
        else:
            self.emit_insn(r.choice(self.insns))

    def block(self, length: int) -> None:
        for _ in range(3):
            reg = self.rd()
            self.words += li(reg, self.value())
            self.wrote(reg)
        # every enabled instruction once per block and ``length`` random items, shuffled
        order: list[Insn | None] = [*self.insns, *self.control, *[None] * length]
        self.rng.shuffle(order)
        for insn in order:
            if insn is None:
                self.item()
            elif insn.kind in ("jal", "jalr", "branch"):
                self.branch(insn)
            else:
                self.emit_insn(insn)
        if self.qemu:
            self.dump()
            self.words += _words(assemble(_PRINT_REGS, base=BASE + 4 * len(self.words)))

    def dump(self) -> None:
        self.words += [encode("sw", rs1=GP, rs2=reg, imm=DUMP - GP_VALUE + 4 * reg) for reg in range(32)]


_PRINT = """
    li t0, {start}
    li t1, {end}
    li t2, 0x10000000
word:
    lw a0, 0(t0)
    li a1, 8
digit:
    srli a2, a0, 28
    li a3, 10
    blt a2, a3, num
    addi a2, a2, 87
    j out
num:
    addi a2, a2, 48
out:
    sb a2, 0(t2)
    slli a0, a0, 4
    addi a1, a1, -1
    bne a1, zero, digit
    li a4, 10
    sb a4, 0(t2)
    addi t0, t0, 4
    bltu t0, t1, word
    li gp, {gp}
"""
_PRINT_REGS = _PRINT.format(start=DUMP, end=DUMP + 32 * 4, gp=GP_VALUE)
_PRINT_ALL = _PRINT.format(start=SCRATCH, end=SCRATCH + SCRATCH_BYTES, gp=GP_VALUE)

_EXIT = """
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
hang: j hang
"""

# mscratch holds x31 while the handler runs; mret resumes after the trapping instruction
# (a misaligned branch or jump reports its own pc), after a fetch access fault at the address
# the program stored at RESUME before its jump, or at the interrupted instruction after an
# interrupt, whose source the handler turns off (mie.MTIE). mscratch keeps mtval afterwards.
_HANDLER = f"""
    csrrw t6, mscratch, t6
    csrr t6, mcause
    blt t6, zero, h_irq
    addi t6, t6, -1
    beq t6, zero, h_fetch
    csrr t6, mepc
    addi t6, t6, 4
    csrw mepc, t6
    j h_out
h_fetch:
    lw t6, {RESUME - GP_VALUE}(gp)
    csrw mepc, t6
    j h_out
h_irq:
    li t6, 0x80
    csrrc zero, mie, t6
h_out:
    csrr t6, mtval
    csrrw t6, mscratch, t6
    mret
"""


def _words(code: bytes) -> list[int]:
    return [int.from_bytes(code[i:i + 4], "little") for i in range(0, len(code), 4)]


def random_program(seed: int, config: IsaConfig | str = "rv32im_zicsr_zk_zks", blocks: int = 20,
                   length: int = 60, *, qemu: bool = False, selfmod: bool = True, rounds: int = 1) -> Program:
    """A program of ``blocks`` random blocks, each of every instruction of ``config``
    once and ``length`` random items. ``qemu``: only what QEMU
    does alike, and the state printed on the UART; ``selfmod``: stores into code;
    ``rounds``: the registers set and the blocks run that many times (a count in the word
    after the scratch area), so that their words run again decoded, as a loop's do."""
    cfg = IsaConfig.parse(config)
    rng = random.Random(seed)
    g = _Gen(rng, cfg, qemu, selfmod)
    has_csr = g.traps
    # mtvec: the handler sits after the exit code; its address is patched in below
    g.words += li(GP, GP_VALUE)
    mtvec_at = len(g.words)
    g.words += [0, 0, 0] if has_csr else []
    start = len(g.words)
    for reg in range(1, 32):
        if reg != GP:
            g.words += li(reg, g.value())
    for _ in range(blocks):
        g.block(length)
    if rounds > 1:
        g.words += li(5, SCRATCH + SCRATCH_BYTES)
        g.words += [encode("lw", rd=6, rs1=5, imm=0), encode("addi", rd=6, rs1=6, imm=1),
                    encode("sw", rs1=5, rs2=6, imm=0)]
        g.words += li(7, rounds)
        g.words += [encode("bge", rs1=6, rs2=7, imm=8),
                    encode("jal", rd=0, imm=4 * (start - len(g.words) - 1))]
    g.dump()
    if qemu:
        g.words += _words(assemble(_PRINT_ALL, base=BASE + 4 * len(g.words)))
    g.words += _words(assemble(_EXIT, base=BASE + 4 * len(g.words)))
    handler = BASE + 4 * len(g.words)
    g.words += _words(assemble(_HANDLER, base=handler))
    if has_csr:
        g.words[mtvec_at:mtvec_at + 3] = [*li(5, handler), encode("csrrw", rd=0, rs1=5, imm=MTVEC)]
    code = b"".join(x.to_bytes(4, "little") for x in g.words)
    if BASE + len(code) > SCRATCH:
        raise ValueError(f"program of {len(code)} bytes overlaps the scratch area; use fewer blocks")
    scratch = rng.randbytes(SCRATCH_BYTES)
    return Program(code, scratch, seed)


__all__ = ["BASE", "DUMP", "GP", "GP_VALUE", "SCRATCH", "SCRATCH_BYTES", "Program", "li",
           "random_program"]
