"""The five-stage RV32 pipeline: IF ID EX MEM WB (docs/timing.md).

The microarchitecture (``isa.uarch``) chooses the instruction side (``units/fetch.py``:
RAM, wait states or a cache), the data side (``units/dside.py``), the predictor and
the multiplier; ``ideal`` is the machine described here.

* IF sends ``pc`` to the instruction side (the next pc: +4, or the branch table's
  prediction); the word arrives in ID, after any wait.
* ID decodes and applies the load-use rule: a load in EX whose ``rd`` (not x0)
  is a register the ID instruction's format reads holds ID one cycle and sends
  a bubble into EX.
* EX is the commit point: operands come from the register file with
  forwarding from MEM and WB (a third read port for rs3 when the ISA has
  three-source rows, Xchain); units compute; branches and jumps resolve here
  (predict not taken, so a redirect squashes the two younger instructions:
  +2); exceptions, interrupts and MRET are taken here (+2 the same way); CSR
  writes and the counters commit here. The divider and WFI hold EX.
* MEM drives the data port; WB formats load data, writes the register file
  and emits the retirement record.
"""

from amaranth import Cat, Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from isa.config import FULL, IsaConfig
from isa.csrs import (
    CAUSE_BREAKPOINT,
    CAUSE_ECALL_M,
    CAUSE_FETCH_FAULT,
    CAUSE_FETCH_MISALIGNED,
    CAUSE_ILLEGAL,
    CAUSE_LOAD_FAULT,
    CAUSE_LOAD_MISALIGNED,
    CAUSE_MTI,
    CAUSE_STORE_FAULT,
    CAUSE_STORE_MISALIGNED,
)
from isa.memmap import DEVICE_REGIONS, FINISHER_BASE, FINISHER_SIZE, RAM_BASE, RAM_SIZE
from isa.table import BY_NAME, FIELDS, INSNS
from isa.uarch import CRYPTO_EXTS, Uarch

from .buses import DBusSignature, IBusSignature
from .platform import check_ram_size
from .rvfi import RVFISignature
from .stage import Stage
from .units import ALU, Zknd, Zkne, Zknh, Zksed, Zksh, comb_units_for
from .units.alu_small import SmallALU
from .units.branch import BranchCompare
from .units.bytesel import select_byte
from .units.csr import CSRFile, word_access_fault
from .units.decoder import Decoder
from .units.divider import Divider
from .units.dside import DataSide
from .units.fetch import Fetch
from .units.fwdsel import ForwardSelect
from .units.hazard import LoadUse
from .units.lsu import SELECTS as LOAD_SELECTS
from .units.lsu import LoadFormatter, LoadStoreUnit, load_selects
from .units.mulseq import MAC_NAMES, IterMultiplier, pipe_products, pipe_result, pipe_sum
from .units.mulseq import NAMES as MUL_NAMES
from .units.multiplier import Multiplier
from .units.predictor import BranchTable
from .units.regfile import regfile
from .units.xchain import Xchain

#: The units that take their operands from the `ext` copy of the forwarding (the
#: crypto and Xchain units); the others but the multiplier from the `alu` copy.
EXT_UNITS = (Zknh, Zksh, Zkne, Zknd, Zksed, Xchain)
#: The parts of the one operand copy of a core with Xchain's units, each with select
#: flip-flops of its own (``forward`` in ``Core.elaborate``).
FWD_PARTS = 2
#: The S-box units (``isa.uarch.CRYPTO_EXTS``): with ``crypto=2`` they compute in MEM.
CRYPTO_UNITS = (Zkne, Zknd, Zksed)


def _op(name: str) -> int:
    return BY_NAME[name].op


def comb_units(config: IsaConfig, uarch: Uarch) -> list:
    """The single-cycle units: the multiplier only when it is single-cycle; built small,
    the ALU of fewer adders (``units/alu_small.py``)."""
    units = [u for u in comb_units_for(config) if u is not Multiplier or uarch.mul == "1"]
    return [SmallALU if u is ALU and built_small(uarch) else u for u in units]


def unimplemented(config: IsaConfig) -> list[str]:
    """Computational instructions of ``config`` that no unit of the core implements."""
    done = {n for unit in comb_units_for(config) for n in unit.NAMES}
    return [i.name for i in INSNS if i.ext in config and i.kind in ("alu", "alu3") and i.name not in done]


def built_small(uarch: Uarch) -> bool:
    """Whether the core is built for area: with an iterative multiplier (``mcu``, the
    UP5K's ``ideal,mul=iter:N``) the units and the SoC take their smaller forms, which
    keep every cycle (docs/synth.md, "iCE40 UP5K"); the others are built for the clock."""
    return uarch.mul == "iter"


def in_region(addr, base: int, size: int):
    """``base <= addr < base + size`` for a power-of-two, size-aligned region."""
    bits = size.bit_length() - 1
    return addr[bits:] == (base >> bits)


def sum_in_region(a, b, base: int, size: int):
    """``in_region(a + b, base, size)`` (mod 2**32) without the sum's carry chain above
    the region's offset bits (the trap waits for this, not for the address adder).

    Bit i of the sum equals the base's bit when the carry into i is ``a[i] ^ b[i] ^
    base[i]`` (call it w[i]); the carry out of i is then ``a[i] & b[i]`` where the base
    has a 1 and ``a[i] | b[i]`` where it has a 0. So the high part matches when each w[i+1]
    is that carry out of i (four bits each, all in parallel) and the lowest w is the
    low part's own carry: a chain only as long as the offset."""
    bits = size.bit_length() - 1
    bit = [(base >> i) & 1 for i in range(32)]
    want = [a[i] ^ b[i] ^ bit[i] for i in range(32)]
    carry = (a[:bits] + b[:bits])[bits] if bits else Const(0, 1)
    terms = [~(want[bits] ^ carry)]
    for i in range(bits, 31):
        out = (a[i] & b[i]) if bit[i] else (a[i] | b[i])
        terms.append(~(want[i + 1] ^ out))
    return Cat(*terms).all()


class Core(wiring.Component):
    def __init__(self, config: IsaConfig = FULL, ram_size: int = RAM_SIZE,
                 reset_pc: int = RAM_BASE, uarch: Uarch | str | None = None):
        self.config = IsaConfig.parse(config)
        self.uarch = Uarch.parse(uarch)
        missing = unimplemented(self.config)
        if missing:   # the decoder would accept them with no unit computing a result
            raise ValueError(f"the RTL has no unit for {', '.join(missing)} (ISA {self.config.short_name()})")
        self.ram_size = check_ram_size(ram_size)
        self.reset_pc = reset_pc
        super().__init__({
            "ibus": Out(IBusSignature),
            "dbus": Out(DBusSignature),
            "rvfi": Out(RVFISignature),
            "mtip": In(1),
            "mtime": In(64),
            # the byte lanes and data a store in EX would drive on the data port in its
            # MEM cycle: the CLINT compares against mtimecmp with them a cycle ahead
            "st_wmask": Out(4),
            "st_wdata": Out(32),
            # ... its address, whether EX's instruction enters MEM if it leaves EX this
            # cycle (MEM is not held), and whether MEM holds a store that did not trap: the
            # CLINT's line is then one choice between two registered comparisons
            "st_addr": Out(32),
            "st_enter": Out(1),
            "st_mem": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        cfg = self.config
        has_rs3 = "xchain" in cfg      # Xchain's R4 rows: a third read port, forwarded like rs1/rs2

        # ------------------------------------------------ pipeline registers
        u = self.uarch
        small = built_small(u)
        has_mul = "m" in cfg
        mul_iter = has_mul and u.mul == "iter"
        # Xchain's multiply-accumulate rows join a pipelined multiplier (mulseq.MAC_NAMES)
        mac_pipe = "xchain" in cfg and u.mul == "pipe"
        mul_stages = u.mul_stages if has_mul or mac_pipe else 1
        mul_names = (MUL_NAMES if has_mul else ()) + (MAC_NAMES if mac_pipe else ())
        # the next pc IF chose for an instruction: predicted taken, and where to
        pred = {"ptk": 1, "ptg": 32} if u.bp != "none" else {}
        id_ = Stage("id", {"pc": 32, "fault": 1, **pred})
        ex = Stage("ex", {
            "pc": 32, "insn": 32, "op": 7, "rd": 5, "rs1": 5, "rs2": 5, "imm": 32, "target": 32,
            "reads_rs1": 1, "reads_rs2": 1, "writes_rd": 1, "legal": 1, "fault": 1,
            "is_load": 1, "is_store": 1, "is_branch": 1, "is_jal": 1, "is_jalr": 1,
            "is_csr": 1, "is_div": 1, "is_mul": 1, "is_fencei": 1, "csr_bad": 1,
            **({"rs3": 5} if has_rs3 else {}), **pred,
        })
        retire_layout = {
            "pc": 32, "pc_next": 32, "insn": 32, "trap": 1, "op": 7,
            "rd": 5, "result": 32, "is_load": 1, "is_store": 1,
            "addr": 32, "wmask": 4, "wdata": 32, "size_mask": 4, "sdata": 32,
            "rs1_addr": 5, "rs2_addr": 5, "rs1_rdata": 32, "rs2_rdata": 32,
            "is_mul": 1, "is_fencei": 1,
        }
        mem_extra = {f"pp{k}": 36 for k in range(4)} if mul_stages >= 2 else {}
        if mac_pipe:
            mem_extra["addend"] = 32
        # crypto=2: the AES and SM4 units compute in MEM, from EX's operands registered here
        crypto_ops = [i.op for i in INSNS if i.ext in CRYPTO_EXTS and i.ext in cfg] if u.crypto == 2 else []
        if crypto_ops:
            mem_extra.update(xa=32, xb=8, ximm=32)
        wb_extra = {"cached": 1, "ldata": 32, "lsel": LOAD_SELECTS,
                    **({"mlo": 52, "mhi": 36} if mul_stages == 3 else {})}
        mem = Stage("mem", {**retire_layout, **mem_extra})
        wb = Stage("wb", {**retire_layout, **wb_extra})

        redirect = Signal()
        redirect_pc = Signal(32)
        ex_hold = Signal()
        mem_hold = Signal()
        load_use = Signal()
        id_hold = Signal()
        id_redirect = Signal()      # bp=btfn: ID sends the predicted target
        id_target = Signal(32)

        # ------------------------------------------------ IF
        pc = Signal(32, init=self.reset_pc)
        fetch_ok = in_region(pc, RAM_BASE, self.ram_size)
        m.submodules.fetch = fu = Fetch(u, self.ram_size)
        req = Signal()
        m.d.comb += [
            self.ibus.addr.eq(fu.bus.addr), self.ibus.en.eq(fu.bus.en), fu.bus.data.eq(self.ibus.data),
            req.eq(~id_hold & ~fu.busy & ~id_redirect),
            fu.req.eq(req), fu.addr.eq(pc), fu.ok.eq(fetch_ok), fu.live.eq(id_.valid & ~redirect),
        ]
        next_pc = pc + 4
        pred_fields = {}
        if u.bp == "bht":
            m.submodules.bht = bt = BranchTable(u.bht)
            m.d.comb += bt.pc.eq(pc)
            next_pc = Mux(bt.taken, bt.target, pc + 4)
            pred_fields = {"ptk": bt.taken, "ptg": bt.target}
        elif u.bp == "btfn":
            pred_fields = {"ptk": 0, "ptg": 0}
        with m.If(redirect):
            m.d.sync += pc.eq(redirect_pc)
        with m.Elif(id_redirect):
            m.d.sync += pc.eq(id_target)
        with m.Elif(req):
            m.d.sync += pc.eq(next_pc)
        id_.update(m, load=~id_hold, valid=req, flush=redirect, pc=pc, fault=~fetch_ok, **pred_fields)

        # ------------------------------------------------ ID
        m.submodules.decoder = dec = Decoder(cfg, flags={"is_mul": mul_names} if mul_names else None)
        m.d.comb += dec.insn.eq(fu.data)
        id_reads_rs1 = dec.reads_rs1 & ~id_.fault
        id_reads_rs2 = dec.reads_rs2 & ~id_.fault

        # the load-use rule (units/hazard.py): the registers whose results are late (a
        # load's, a pipelined product's: docs/timing.md) against the word's sources
        # (an illegal word's decoded kind is not exact: units/decoder.py; it produces nothing)
        ex_crypto = ex.op.matches(*crypto_ops) if crypto_ops else Const(0, 1)
        late_rd = [Mux(ex.valid & ex.legal & (ex.is_load | (ex.is_mul if mul_stages >= 2 else 0) | ex_crypto),
                       ex.rd, 0)]
        if mul_stages == 3 or u.ldu == 2:
            mem_late = (mem.is_mul if mul_stages == 3 else 0) | (mem.is_load if u.ldu == 2 else 0)
            late_rd.append(Mux(mem.valid & mem_late, mem.rd, 0))
        # With a plain front end the wait is held in EX (below), which drops an illegal
        # word's wait (it traps in its first EX cycle, as an illegal word reads no
        # register): the rule's decode is then exact for legal words only, as the
        # decoder's (fewer levels after the RAM's read); otherwise it holds ID and is exact
        wait_in_ex = (len(late_rd) > 1 and u.bp == "none" and u.icache is None and u.dcache is None
                      and u.mem == 0)
        m.submodules.hazard = hz = LoadUse(cfg, len(late_rd), exact=not wait_in_ex)
        m.d.comb += [hz.insn.eq(fu.data), hz.fault.eq(id_.fault)]
        m.d.comb += [hz.late_rd[k].eq(v) for k, v in enumerate(late_rd)]
        late = hz.wait
        # With a plain front end (no predictor, caches or wait states) the wait is taken
        # in EX instead (the late-operand wait below): the consumer enters EX and holds
        # there for as many cycles as ID would have held it, which moves every later
        # event by the same count (docs/timing.md's rule, unchanged), and the rule's
        # answer, which comes late after the block RAM's read and the decode, reaches a
        # register rather than IF's and ID's enables.
        ex_late = Signal(2)     # cycles the instruction in EX still waits for an operand
        late_wait = Const(0, 1)
        if wait_in_ex:
            late = Const(0, 1)
            # cycles to wait: a producer in EX is late by ldu (a load), mul_stages - 1
            # (a product) or 1 (an AES or SM4 row, crypto=2) cycles, one in MEM by one cycle less (1)
            lat_mul = max(mul_stages - 1, 0)
            lat_ex = Mux(ex.is_load, u.ldu, Mux(ex.is_mul, lat_mul, 1) if crypto_ops else lat_mul)
            id_late = Mux(hz.hits[0], lat_ex, Mux(hz.hits[1], 1, 0))
        # EX's register numbers are the word's fields, whether or not the format has them
        # (an operand the format lacks is not used, and rd is written only with writes_rd)
        raw = {k: fu.data[FIELDS[k][1]:FIELDS[k][0] + 1] for k in ("rd", "rs1", "rs2", "rs3")}
        rs3_fields = {"rs3": raw["rs3"]} if has_rs3 else {}
        id_wait = id_.valid & ~fu.ready      # the word is not there yet
        m.d.comb += [
            load_use.eq(id_.valid & late),
            id_hold.eq(ex_hold | load_use | id_wait),
        ]
        # the decoder's own flag (its rows' terms), not a test of its `op` output
        id_is_mul = dec.is_mul if mul_names else Const(0, 1)
        # pc + imm, the target of a branch or jal, added in ID (the pc and the immediate
        # are known there): EX's redirect then waits for no adder but jalr's
        # and from the word's bits, not the decoder's immediate: B-type or J-type (jal's
        # opcode alone has bit 3 set), so the adder follows the RAM's read directly
        w = fu.data
        b_imm = Cat(Const(0, 1), w[8:12], w[25:31], w[7], w[31].replicate(20))
        j_imm = Cat(Const(0, 1), w[21:31], w[20], w[12:20], w[31].replicate(12))
        m.d.comb += id_target.eq(id_.pc + Mux(w[3], j_imm, b_imm))
        # a CSR instruction's illegal access (units/csr.py), from the word's CSR number,
        # funct3 (csrrw, csrrwi: 01 in its low bits) and rs1/zimm field: exact for a CSR
        # word, registered, so the trap and the CSR commit wait for no decode in EX
        csr_bad = word_access_fault(w)
        ex_pred = {}
        if u.bp == "btfn":     # backward branches and jal: taken, sent from ID
            id_pt = ~id_.fault & dec.legal & (dec.is_jal | (dec.is_branch & dec.imm[31]))
            m.d.comb += id_redirect.eq(id_.valid & ~id_hold & ~redirect & id_pt)
            ex_pred = {"ptk": id_pt, "ptg": id_target}
        elif u.bp == "bht":
            ex_pred = {"ptk": id_.ptk, "ptg": id_.ptg}
        ex.update(
            m, load=~ex_hold, valid=id_.valid & ~load_use & ~id_wait, flush=redirect,
            pc=id_.pc, insn=Mux(id_.fault, 0, fu.data), op=dec.op,
            rd=raw["rd"], rs1=raw["rs1"], rs2=raw["rs2"], imm=dec.imm, target=id_target,
            reads_rs1=id_reads_rs1, reads_rs2=id_reads_rs2, writes_rd=dec.writes_rd,
            legal=dec.legal, fault=id_.fault,
            is_load=dec.is_load, is_store=dec.is_store, is_branch=dec.is_branch,
            is_jal=dec.is_jal, is_jalr=dec.is_jalr, is_csr=dec.is_csr, is_div=dec.is_div,
            is_mul=id_is_mul, is_fencei=dec.is_fencei, csr_bad=csr_bad, **rs3_fields, **ex_pred,
        )

        if wait_in_ex:
            with m.If(~ex_hold):
                m.d.sync += ex_late.eq(id_late)
            with m.Elif(ex_late != 0):
                m.d.sync += ex_late.eq(ex_late - 1)
            late_wait = ex.valid & ex.legal & (ex_late != 0)

        # ------------------------------------------------ EX
        # read a cycle ahead (units/regfile.py): the registers EX will hold next cycle,
        # its own while it waits, else those of the word in ID. The word's fields are
        # read whether or not the format has them (an operand the format lacks is not
        # used), so the read need not wait for the decoder.
        rf_we, rf_waddr, rf_wdata = Signal(), Signal(5), Signal(32)     # from WB
        src_fields = ("rs1", "rs2", "rs3") if has_rs3 else ("rs1", "rs2")
        # Built for the clock (LUT-RAM), the file is read with the word's fields whether
        # or not EX holds, and its read flip-flops keep their register while it holds
        # (`hold`, units/regfile.py): the hold, late, stays off the memory's address.
        # `rf_addrs` are the registers the read flip-flops hold next cycle (the bypass's)
        rf_addrs, rf_reads = [], []
        for name in src_fields:
            hi, lo = FIELDS[name]
            rf_addrs.append(Mux(ex_hold, ex.insn[lo:hi + 1], fu.data[lo:hi + 1]))
            rf_reads.append(fu.data[lo:hi + 1])
        if small:
            rf_data = regfile(m, rf_addrs, rf_we, rf_waddr, rf_wdata)
        else:
            rf_data = regfile(m, rf_reads, rf_we, rf_waddr, rf_wdata, hold=ex_hold)
        # the register file's bypass: the word WB writes in the cycle of a read is not in
        # the read (units/regfile.py); registered here, it is one more source of each
        # operand's multiplexer, chosen by a select flip-flop of the operand's copy. A core
        # with one copy (below: built small, or with crypto units) chooses it before the
        # copy, once per port, as the register file did before (its operand multiplexer
        # then drives every unit: Zk+Zks lost 4.5 MHz with the bypass in it, docs/synth.md)
        rf_byp_word = Signal(32)
        m.d.sync += rf_byp_word.eq(rf_wdata)
        ext_units = [uc for uc in comb_units(cfg, u) if uc in EXT_UNITS]
        # (`one_copy`: the bypass chosen before the copies; built small or with Xchain one
        # copy, with crypto units alone two: `two_copies` below)
        one_copy = small or bool(ext_units)
        # the one copy of a core with Xchain's units takes its select flip-flops in
        # FWD_PARTS parts (below); the other cores keep one set a copy (with the split,
        # Zk+Zks placed at 58.3 and 56.9 MHz, rv32im's copies at 52-53: docs/synth.md)
        fwd_parts = FWD_PARTS if one_copy and not small and has_rs3 else 1
        rf_bypassed = {}

        def bypassed(k):
            if k not in rf_bypassed:
                hit = Signal(name=f"rf_bypass{k}")
                m.d.sync += hit.eq(rf_we & (rf_waddr == rf_addrs[k]))
                rf_bypassed[k] = Mux(hit, rf_byp_word, rf_data[k])
            return rf_bypassed[k]

        m.submodules.fmt = fmt = LoadFormatter()
        wb_value = Signal(32)
        # what WB forwards: with ldu=2 never a load's data (its consumers wait for the
        # register file), so the RAM's read and the formatter stay off EX's paths
        wb_forward = Signal(32)

        def pick(from_mem, from_wb, regval):
            return Mux(from_mem, mem.result, Mux(from_wb, wb_forward, regval))

        def forward(idx, id_idx, port, copy=""):
            """x[idx] in EX: MEM's result, else WB's, else the register file's (its bypass
            or its read port ``port``). The choice is made a cycle ahead, from ID's register
            field, the instructions that will then be in MEM and WB and the register
            file's write, and registered: no comparison on EX's paths. ``copy`` names a
            group of consumers with its own select flip-flops (units/fwdsel.py)."""
            # the register file's port read for the next cycle is written this cycle
            regval = rf_data[port]
            next_byp = rf_we & (rf_waddr == rf_addrs[port])
            if one_copy:
                regval = bypassed(port)
            # EX takes ID's instruction (MEM then holds EX's, WB MEM's) ...
            next_mem = (id_idx != 0) & ex.valid & ex.writes_rd & (ex.rd == id_idx)
            next_wb = (id_idx != 0) & mem.valid & (mem.rd == id_idx)
            # ... or keeps its own: MEM's instruction stays there or moves on to WB
            in_mem = (idx != 0) & mem.valid & (mem.rd == idx)
            sel_mem = Mux(ex_hold, mem_hold & in_mem, next_mem)
            sel_wb = Mux(ex_hold, ~mem_hold & in_mem, next_wb)
            if copy and fwd_parts > 1:
                # the copy's select flip-flops once per part of its bits, each driving
                # those bits' multiplexers only (placed beside them): one pair driving
                # the 32 multiplexers in front of every unit of the Xchain core left
                # routes of 1.5 to 3 ns behind each flip-flop
                parts, width = [], 32 // fwd_parts
                for n in range(fwd_parts):
                    name = f"fwd_{copy}" + (f"_{n}" if n else "")
                    m.submodules[name] = fs = ForwardSelect(bypass=False)
                    m.d.comb += [fs.next_mem.eq(sel_mem), fs.next_wb.eq(sel_wb)]
                    parts.append(pick(fs.from_mem, fs.from_wb, regval)[n * width:(n + 1) * width])
                return Cat(*parts)
            if copy:
                m.submodules[f"fwd_{copy}"] = fs = ForwardSelect(bypass=not one_copy)
                m.d.comb += [fs.next_mem.eq(sel_mem), fs.next_wb.eq(sel_wb)]
                if not one_copy:
                    m.d.comb += fs.next_byp.eq(next_byp)
                    regval = Mux(fs.from_byp, rf_byp_word, regval)
                return pick(fs.from_mem, fs.from_wb, regval)
            from_mem, from_wb = Signal(), Signal()
            m.d.sync += [from_mem.eq(sel_mem), from_wb.eq(sel_wb)]
            if not one_copy:
                from_byp = Signal()
                m.d.sync += from_byp.eq(next_byp)
                regval = Mux(from_byp, rf_byp_word, regval)
            return pick(from_mem, from_wb, regval)

        def word_field(name):
            # the fetched word's register field, as for the register file's read: the
            # decoded rs1/rs2/rs3 equal it wherever the format reads the register, and an
            # operand the format lacks is not used
            hi, lo = FIELDS[name]
            return fu.data[lo:hi + 1]

        # rs1 and rs2, one copy per group of consumers (units/fwdsel.py): the trap and
        # redirect logic (`ctl`), the ALU and CSRs (`alu`), the crypto and Xchain units
        # (`ext`), the multiplier and divider (`mul`). A core built small (an iterative
        # multiplier, as on the UP5K) shares the first copy: each costs two LUTs a bit.
        # So does a core with Xchain's units; a core with crypto units but no Xchain takes
        # two: `ctl` for the trap and redirect logic, the ALU and the CSRs, `ext` for
        # every other unit (Zk+Zks 64.34 MHz against 57.51 with one, docs/synth.md row
        # 46). Both choose the register file's bypass once per port, before the copies:
        # folded into four copies it drove them across the units and lost more than they
        # won (steps 13 and 21)
        two_copies = bool(ext_units) and not small and not has_rs3
        groups = ["ctl", "alu"] + (["ext"] if ext_units else []) + (["mul"] if has_mul or mac_pipe else [])
        ops = {}
        for g in groups:
            if two_copies and g in ("alu", "mul"):
                ops[g] = ops["ctl" if g == "alu" else "ext"]
                continue
            if ops and (small or ext_units) and not two_copies:
                ops[g] = ops[groups[0]]
                continue
            ops[g] = (Signal(32, name=f"a_{g}"), Signal(32, name=f"b_{g}"))
            m.d.comb += [
                ops[g][0].eq(forward(ex.rs1, word_field("rs1"), 0, f"{g}_a")),
                ops[g][1].eq(forward(ex.rs2, word_field("rs2"), 1, f"{g}_b")),
            ]
        a, b = ops["alu"]
        c = Signal(32)
        if has_rs3:
            m.d.comb += c.eq(forward(ex.rs3, word_field("rs3"), 2))

        # EX held last cycle, not waiting for an operand: not this instruction's first EX
        # cycle (the one that checks for an interrupt; the wait's cycles are ID's)
        ex_busy = Signal()
        m.d.sync += ex_busy.eq(ex_hold & ~late_wait)
        ex_first = ~ex_busy & ~late_wait

        results = []
        late_units = []     # crypto=2: computed in MEM (below)
        for unit_cls in comb_units(cfg, u):
            if crypto_ops and issubclass(unit_cls, CRYPTO_UNITS):
                late_units.append(unit_cls)
                continue
            unit = unit_cls(mac=not mac_pipe) if unit_cls is Xchain else unit_cls()
            m.submodules[unit_cls.__name__.lower()] = unit
            ext = unit_cls in EXT_UNITS or (two_copies and unit_cls is not ALU)
            ua, ub = ops["ext" if ext else "mul" if unit_cls is Multiplier else "alu"]
            m.d.comb += [unit.op.eq(ex.op), unit.a.eq(ua), unit.b.eq(ub), unit.imm.eq(ex.imm)]
            if hasattr(unit, "pc"):
                m.d.comb += unit.pc.eq(ex.pc)
            if hasattr(unit, "c"):
                m.d.comb += unit.c.eq(c)
            results.append(unit.result)
        unit_result = Signal(32)
        for r in results:
            unit_result = unit_result | r

        m.submodules.branch = bc = BranchCompare()
        a_ctl, b_ctl = ops["ctl"]
        m.d.comb += [bc.op.eq(ex.op), bc.a.eq(a_ctl), bc.b.eq(b_ctl)]

        m.submodules.lsu = lsu = LoadStoreUnit()
        m.d.comb += [lsu.op.eq(ex.op), lsu.a.eq(a_ctl), lsu.b.eq(b_ctl), lsu.imm.eq(ex.imm),
                     self.st_wmask.eq(lsu.mask), self.st_wdata.eq(lsu.wdata), self.st_addr.eq(lsu.addr)]
        # the regions from the operands, beside the adder (sum_in_region); built small,
        # from the adder's sum (no carry chains of their own)
        def region(base: int, size: int):
            if small:
                return in_region(lsu.addr, base, size)
            return sum_in_region(a_ctl, ex.imm, base, size)
        addr_ok = region(RAM_BASE, self.ram_size)
        for base, size in DEVICE_REGIONS:
            addr_ok = addr_ok | region(base, size)
        # the test finisher takes 2- and 4-byte accesses only (as QEMU's sifive_test)
        to_finisher = region(FINISHER_BASE, FINISHER_SIZE)
        addr_ok = addr_ok & ~(to_finisher & (lsu.size_mask == 1))

        m.submodules.csr = csr = CSRFile(cfg, small=small)
        is_csri = ex.op.matches(_op("csrrwi"), _op("csrrsi"), _op("csrrci"))
        is_ecall = ex.op == _op("ecall")
        is_ebreak = ex.op == _op("ebreak")
        is_mret = ex.op == _op("mret")
        is_wfi = ex.op == _op("wfi")
        m.d.comb += [
            csr.access.eq(ex.valid & ex.is_csr & ex.legal & ~ex.fault),
            csr.op.eq(ex.op), csr.addr.eq(ex.imm[:12]),
            csr.src.eq(Mux(is_csri, ex.rs1, a)), csr.src_zero.eq(ex.rs1 == 0),
            csr.mtip.eq(self.mtip), csr.mtime.eq(self.mtime),
        ]

        div_result = Const(0, 32)
        div_done = Const(1, 1)
        if "m" in cfg:
            m.submodules.divider = divider = Divider(small=small)
            div_result, div_done = divider.result, divider.done
        mul_done = Const(1, 1)
        if mul_iter:
            m.submodules.mul_iter = mi = IterMultiplier(u.mul_n, small=small)
            mul_done = mi.done
            unit_result = unit_result | Mux(ex.is_mul, mi.result, 0)

        # branch and jump targets: jalr's is added here, the others came from ID. Whether
        # it is misaligned (bit 1) is for jalr the sum's bit 1 written out (no carry
        # chain), for the others a bit of a register
        # (built small without a branch table, the others are added here too, by the
        # adder of the ALU's auipc: no adder in ID, no target register)
        target = Signal(32)
        ex_target = ex.pc + ex.imm if small and u.bp != "bht" else ex.target
        m.d.comb += target.eq(Mux(ex.is_jalr, Cat(Const(0, 1), (a_ctl + ex.imm)[1:32]), ex_target))
        jalr_bit1 = a_ctl[1] ^ ex.imm[1] ^ (a_ctl[0] & ex.imm[0])
        target_misaligned = Mux(ex.is_jalr, jalr_bit1, ex_target[1])
        jump = ex.is_jal | ex.is_jalr | (ex.is_branch & bc.taken)

        # exceptions, by priority; an interrupt is taken in the instruction's first EX
        # cycle and stays taken while EX waits for MEM
        trap = Signal()
        cause = Signal(32)
        tval = Signal(32)
        irq_taken = Signal()
        # whether it traps is an OR of every condition; which trap (cause, mtval) follows
        # the priority above among the conditions known early (registered), then the
        # instruction's kind alone: a jump can only have a misaligned target, a load or
        # store only a misaligned or faulting address, so the adders' results decide
        # whether, not which
        irq = (ex_first & csr.irq) | irq_taken
        # (the CSR file's `illegal`, decided in ID: csr_bad)
        illegal = ~ex.legal | (ex.is_csr & ex.csr_bad)
        is_mem = lsu.is_load | lsu.is_store
        # every trap but a jump's misaligned target (which waits for the branch comparison)
        trap_early = irq | ex.fault | illegal | is_ecall | is_ebreak | lsu.misaligned | (is_mem & ~addr_ok)
        m.d.comb += trap.eq(trap_early | (jump & target_misaligned))
        with m.If(irq):
            m.d.comb += cause.eq(CAUSE_MTI)
        with m.Elif(ex.fault):
            m.d.comb += [cause.eq(CAUSE_FETCH_FAULT), tval.eq(ex.pc)]
        with m.Elif(illegal):
            m.d.comb += [cause.eq(CAUSE_ILLEGAL), tval.eq(ex.insn)]
        with m.Elif(is_ecall):
            m.d.comb += cause.eq(CAUSE_ECALL_M)
        with m.Elif(is_ebreak):
            m.d.comb += [cause.eq(CAUSE_BREAKPOINT), tval.eq(ex.pc)]  # as Spike and Sail
        with m.Elif(ex.is_jal | ex.is_jalr | ex.is_branch):
            m.d.comb += [cause.eq(CAUSE_FETCH_MISALIGNED), tval.eq(target)]
        with m.Elif(lsu.is_store):
            m.d.comb += [tval.eq(lsu.addr),
                         cause.eq(Mux(lsu.misaligned, CAUSE_STORE_MISALIGNED, CAUSE_STORE_FAULT))]
        with m.Else():
            m.d.comb += [tval.eq(lsu.addr),
                         cause.eq(Mux(lsu.misaligned, CAUSE_LOAD_MISALIGNED, CAUSE_LOAD_FAULT))]

        own_hold = (ex.is_div & ~div_done) | (ex.is_mul & ~mul_done) | (is_wfi & ~csr.wake)
        # the traps a division, multiplication or wfi can take: for them the same as
        # `trap`, without the address and target adders on the path to every enable
        hold_trap = (ex_first & csr.irq) | irq_taken | ex.fault | ~ex.legal
        m.d.comb += ex_hold.eq(late_wait | (ex.valid & ~hold_trap & own_hold) | mem_hold)
        ex_fire = ex.valid & ~ex_hold
        with m.If(ex_fire | ~ex.valid):
            m.d.sync += irq_taken.eq(0)
        with m.Elif(ex_first & csr.irq):
            m.d.sync += irq_taken.eq(1)
        mret = ~hold_trap & is_mret     # an mret can take only the traps of `hold_trap`
        if u.bp == "none":
            control = jump
        else:   # the pipeline fetched the predicted next pc: wrong unless both agree
            control = (ex.ptk != jump) | (jump & (ex.ptg != target))
        if u.bp == "bht":
            m.d.comb += [bt.upd.eq(ex_fire & ~trap & (ex.is_branch | ex.is_jal)), bt.upd_pc.eq(ex.pc),
                         bt.upd_target.eq(ex.target), bt.upd_taken.eq(jump)]
        # Trap entry writes mepc, mcause, mtval and mstatus a cycle late, from registers,
        # and minstret counts every instruction leaving EX and takes a trapping one back
        # the next cycle: the trap, late after the adders, then reaches a few flip-flops
        # only. Nothing can tell: the redirect empties EX for the next two cycles, so no
        # instruction reads them (or is checked for an interrupt) before both are done.
        trap_q = Signal()
        trap_cause, trap_tval, trap_pc = Signal(32), Signal(32), Signal(32)
        m.d.sync += trap_q.eq(ex_fire & trap)
        m.d.sync += [trap_cause.eq(cause), trap_tval.eq(tval), trap_pc.eq(ex.pc)]
        m.d.comb += [
            # a CSR instruction can take only the traps of `hold_trap` and its own
            # illegal access: the adders stay off the CSRs' write enables. It holds EX
            # only for its operand (`late_wait`) or MEM (a legal CSR word is no division,
            # product or wfi), so `ex_fire` is taken without `own_hold`
            csr.commit.eq(ex.valid & ex.is_csr & ~late_wait & ~mem_hold & ~hold_trap & ~ex.csr_bad),
            csr.trap.eq(trap_q), csr.cause.eq(trap_cause), csr.tval.eq(trap_tval), csr.trap_pc.eq(trap_pc),
            csr.mret.eq(ex_fire & mret),
            csr.retire.eq(ex_fire), csr.unretire.eq(trap_q),
        ]
        # fence.i refetches the instruction after it (its MEM cycles clean the D-cache first)
        if u.bp == "none":
            # the branch comparison (through `jump`) last: a jump redirects whether or not
            # its target traps (then to mtvec)
            m.d.comb += [
                redirect.eq(ex_fire & (trap_early | mret | jump | ex.is_fencei)),
                redirect_pc.eq(Mux(trap_early, csr.mtvec, Mux(mret, csr.mepc, Mux(
                    jump, Mux(target_misaligned, csr.mtvec, target), ex.pc + 4)))),
            ]
        else:
            m.d.comb += [
                redirect.eq(ex_fire & (trap | mret | control | ex.is_fencei)),
                redirect_pc.eq(Mux(trap, csr.mtvec, Mux(mret, csr.mepc, Mux(jump, target, ex.pc + 4)))),
            ]
        if "m" in cfg:
            # a division can take only the traps of `hold_trap`: the adders stay off its start
            m.d.comb += [divider.start.eq(ex.valid & ex.is_div & ~hold_trap & ~late_wait & ~divider.busy),
                         divider.ack.eq(ex_fire),
                         divider.op.eq(ex.op), divider.a.eq(ops["mul"][0]), divider.b.eq(ops["mul"][1])]
        if mul_iter:
            m.d.comb += [mi.start.eq(ex.valid & ex.is_mul & ~hold_trap & ex_first), mi.ack.eq(ex_fire),
                         mi.op.eq(ex.op), mi.a.eq(ops["mul"][0]), mi.b.eq(ops["mul"][1])]

        rd_value = Mux(ex.is_csr, csr.rdata, Mux(ex.is_div, div_result, unit_result))
        pc_next = Mux(trap, csr.mtvec, Mux(mret, csr.mepc, Mux(jump, target, ex.pc + 4)))
        ok = ~trap
        pp = {}
        if mul_stages >= 2:
            pp = {f"pp{k}": v for k, v in enumerate(pipe_products(ex.op, *ops["mul"]))}
            if mac_pipe:
                pp["addend"] = Mux(ex.op.matches(*(_op(n) for n in MAC_NAMES)), c, 0)
        if crypto_ops:
            ua, ub = ops.get("ext", ops["alu"])
            # of rs2 the S-box units read one byte (``bs``, units/bytesel.py): chosen here
            pp.update(xa=ua, xb=select_byte(ub, ex.imm[:2]), ximm=ex.imm)
        mem.update(
            m, load=~mem_hold, valid=ex_fire, is_mul=ok & ex.is_mul, is_fencei=ok & ex.is_fencei, **pp,
            pc=ex.pc, pc_next=pc_next, insn=ex.insn, trap=trap, op=ex.op,
            rd=Mux(ok & ex.writes_rd, ex.rd, 0), result=rd_value,
            is_load=ok & lsu.is_load, is_store=ok & lsu.is_store,
            addr=lsu.addr, wmask=lsu.mask, wdata=lsu.wdata, size_mask=lsu.size_mask, sdata=lsu.sdata,
            rs1_addr=Mux(ok & ex.reads_rs1, ex.rs1, 0), rs2_addr=Mux(ok & ex.reads_rs2, ex.rs2, 0),
            rs1_rdata=Mux(ok & ex.reads_rs1, a, 0), rs2_rdata=Mux(ok & ex.reads_rs2, b, 0),
        )

        # MEM holds a store that did not trap (mem.valid & mem.is_store): a flip-flop of
        # its own for the CLINT's interrupt line
        mem_store = Signal()
        with m.If(~mem_hold):
            m.d.sync += mem_store.eq(ex_fire & ok & lsu.is_store)

        # ------------------------------------------------ MEM
        m.submodules.dside = ds = DataSide(u)
        m.d.comb += [
            ds.ex_addr.eq(lsu.addr), ds.advance.eq(~mem_hold),
            ds.valid.eq(mem.valid), ds.is_load.eq(mem.is_load), ds.is_store.eq(mem.is_store),
            ds.is_ram.eq(in_region(mem.addr, RAM_BASE, self.ram_size)),
            ds.addr.eq(mem.addr), ds.wmask.eq(mem.wmask), ds.wdata.eq(mem.wdata),
            ds.flush.eq(mem.is_fencei),
            # the I-cache forgets every line at the end of fence.i's last MEM cycle
            fu.invalidate.eq(mem.valid & mem.is_fencei & ~mem_hold),
            mem_hold.eq(ds.hold),
            self.st_enter.eq(~mem_hold), self.st_mem.eq(mem_store),
            self.dbus.addr.eq(ds.bus.addr), self.dbus.re.eq(ds.bus.re), self.dbus.we.eq(ds.bus.we),
            self.dbus.wdata.eq(ds.bus.wdata), ds.bus.rdata.eq(self.dbus.rdata),
        ]
        passed = {k: getattr(mem, k) for k in retire_layout}
        if crypto_ops:
            # the S-box units' result (0 for every other row, whose own is in mem.result)
            late_result = Const(0, 32)
            for unit_cls in late_units:
                unit = unit_cls()
                m.submodules[unit_cls.__name__.lower()] = unit
                # the byte EX chose in every lane: the unit's own choice of it is no choice
                m.d.comb += [unit.op.eq(mem.op), unit.a.eq(mem.xa), unit.b.eq(mem.xb.replicate(4)),
                             unit.imm.eq(mem.ximm)]
                late_result = late_result | unit.result
        partial = [getattr(mem, f"pp{k}").as_signed() for k in range(4)] if mul_stages >= 2 else []
        if mul_stages == 2:
            product = pipe_result(mem.op, pipe_sum(partial, mem.addend if mac_pipe else None))
            passed["result"] = Mux(mem.is_mul, product, passed["result"])
        elif mul_stages == 3:
            lo, hi = pipe_sum(partial, mem.addend if mac_pipe else None)
            passed.update(mlo=lo, mhi=hi)
        if crypto_ops:     # last: a product's row is no S-box unit's (its part is 0)
            passed["result"] = passed["result"] | late_result
        # the load formatter's lanes and sign chosen here, from MEM's registers, so that
        # WB's path from the RAM's read to the register file's write is an AND-OR
        wb.update(m, load=1, valid=mem.valid & ~mem_hold, cached=ds.cached, ldata=ds.rdata,
                  lsel=load_selects(mem.op, mem.addr[:2], mem.is_load), **passed)

        # ------------------------------------------------ WB
        wb_result = wb.result
        if mul_stages == 3:     # the product's last stage
            product = pipe_result(wb.op, [wb.mlo.as_signed(), wb.mhi.as_signed()])
            wb_result = Mux(wb.is_mul, product, wb.result)
        m.d.comb += [
            fmt.sel.eq(wb.lsel),
            fmt.word.eq(Mux(wb.cached, wb.ldata, self.dbus.rdata)),
            # the formatter gives 0 but for a load, whose selects it has
            wb_value.eq(fmt.result | Mux(wb.is_load, 0, wb_result)),
            wb_forward.eq(wb_result if u.ldu == 2 else wb_value),
            rf_we.eq(wb.valid & (wb.rd != 0)), rf_waddr.eq(wb.rd), rf_wdata.eq(wb_value),
        ]

        order = Signal(64)
        m.d.sync += order.eq(order + wb.valid)
        is_mem = wb.is_load | wb.is_store
        rv = self.rvfi
        m.d.comb += [
            rv.valid.eq(wb.valid), rv.order.eq(order), rv.insn.eq(wb.insn), rv.trap.eq(wb.trap),
            rv.pc_rdata.eq(wb.pc), rv.pc_wdata.eq(wb.pc_next),
            rv.rs1_addr.eq(wb.rs1_addr), rv.rs2_addr.eq(wb.rs2_addr),
            rv.rs1_rdata.eq(wb.rs1_rdata), rv.rs2_rdata.eq(wb.rs2_rdata),
            rv.rd_addr.eq(wb.rd), rv.rd_wdata.eq(Mux(wb.rd != 0, wb_value, 0)),
            rv.mem_addr.eq(Mux(is_mem, wb.addr, 0)),
            rv.mem_rmask.eq(Mux(wb.is_load, wb.size_mask, 0)),
            rv.mem_wmask.eq(Mux(wb.is_store, wb.size_mask, 0)),
            rv.mem_rdata.eq(Mux(wb.is_load, fmt.raw, 0)),
            rv.mem_wdata.eq(Mux(wb.is_store, wb.sdata, 0)),
        ]
        return m
