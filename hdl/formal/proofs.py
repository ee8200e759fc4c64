"""Every proof and mutant check, in one table: what it builds, how deep, whether it is
quick (``make test``) or deep (``make regress``), and what SymbiYosys must answer.

``tests/test_formal_*.py`` run these entries, ``scripts/formal.py`` runs them all and
prints their times (docs/verification.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from amaranth.hdl import Elaboratable

from isa.timing import DIV_EXTRA
from isa.uarch import MUL_ITER_BITS

from .specs import CSR_FIELDS

#: The core's ISA for the whole-core checks: every single-cycle extension but Xchain,
#: whose third operand the retirement port does not carry.
CORE_ISA = "rv32im_zicsr_zk_zks"
#: The rs3 check's ISA: Xchain's three-source rows.
XCHAIN_ISA = CORE_ISA + "_xchain"
#: Depth of the quick whole-core checks, and of the deep ones.
QUICK_DEPTH = 8
DEEP_DEPTH = 20
#: The reg check's register file cut (``core.watched_regfile``): only the watched
#: register is storage, every other register reads a free value. With it the ideal
#: core's reg check reaches depth 20 with Boolector in about 2 minutes (without it,
#: depth 18 took 890 s) and fpga's with Yices in 15 s (without it, depth 16 took 113 s).
REG_CUT = ("regwatch", "csr")
#: Depth of the insn checks: the deep one's, with the register and CSR files cut out;
#: the quick one checks the first record (cycle 4), the deep ones every record to 20.
INSN_DEPTH = DEEP_DEPTH
INSN_QUICK_DEPTH = 5
#: The microarchitecture presets' core checks, one proof per check (together on one
#: harness the solver took far longer than the three apart). reg: depth, solver and
#: whether the register file is ``REG_CUT``'s watched register only. mcu's keeps the
#: real register file: with the cut, Boolector spent 9 minutes in step 8 (772 s in all
#: against 635 s without it) and Yices stalled at step 7 (docs/verification.md).
UARCH_DEPTH = {"order": DEEP_DEPTH, "pc": DEEP_DEPTH}
UARCH_REG = {"mcu": (DEEP_DEPTH, "boolector", False), "fpga": (DEEP_DEPTH, "yices", True)}
#: What the checks that do not look at values cut out on each preset.
UARCH_CUT = {"mcu": ("csr", "divider", "mul_iter"), "fpga": ("csr", "divider", "mul_pipe")}


@dataclass(frozen=True)
class Proof:
    name: str
    build: Callable[[], Elaboratable]     # the harness (with a ``ports`` list)
    depth: int
    quick: bool                           # in make test (else only make regress)
    expect: str = "PASS"                  # a mutant's check must FAIL
    what: str = ""
    mode: str = "bmc"                     # or "prove": k-induction of that depth
    solver: str = "yices"                 # sby.SOLVER_COMMANDS: the SMT solver


def _unit(cls_name: str, **kwargs):
    def build():
        from hdl import units

        from .units import UnitEquivalence
        return UnitEquivalence(getattr(units, cls_name), **kwargs)
    return build


def _divider(narrow: int | None, result: bool, **fixed: int):
    def build():
        from hdl.units.divider import Divider

        from .units import SequentialCheck
        return SequentialCheck(Divider(), ("div", "divu", "rem", "remu"), DIV_EXTRA + 1,
                               narrow=narrow, check_result=result, fixed=fixed)
    return build


def _iter_mul(bits: int, narrow: int | None, result: bool):
    def build():
        from hdl.units.mulseq import NAMES, IterMultiplier

        from .units import SequentialCheck
        return SequentialCheck(IterMultiplier(bits), NAMES, 32 // bits, narrow=narrow, check_result=result)
    return build


def _iter_induction(bits: int, name: str, mutant: str | None = None):
    def build():
        from . import mutants
        from .units import IterMultiplierInduction
        unit = mutants.unit(mutant)(bits) if mutant else None
        return IterMultiplierInduction(bits, name, unit)
    return build


def _iter_piece(bits: int):
    def build():
        from .units import IterPieceProduct
        return IterPieceProduct(bits)
    return build


def _pipe_mul(stages: int, name: str):
    def build():
        from .units import PipeMultiplierCheck
        return PipeMultiplierCheck(stages, (name,))
    return build


def _core(checks: tuple[str, ...], uarch: str = "ideal", names: tuple[str, ...] | None = None,
          isa: str = CORE_ISA, mutant: str | None = None, cut: tuple[str, ...] = (), spec: bool = False,
          alt: bool = False, csr: str = "mscratch", lemma: bool = False):
    def build():
        from .core import CoreChecks
        if mutant:
            from . import mutants
            core = mutants.core(mutant, isa, uarch=uarch)
        else:
            from hdl.core import Core
            core = Core(isa, uarch=uarch)
        return CoreChecks(core, checks, names, free_units="insn" not in checks, cut=cut, spec=spec, alt=alt,
                          csr=csr, lemma=lemma)
    return build


#: The insn check's groups: one proof each keeps the solver's problem small.
INSN_GROUPS: dict[str, tuple[str, ...]] = {
    "rv32i": ("lui", "auipc", "addi", "slti", "sltiu", "xori", "ori", "andi", "slli", "srli", "srai",
              "add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and"),
    "zbkb": ("andn", "orn", "xnor", "rol", "ror", "rori", "pack", "packh", "brev8", "rev8", "zip", "unzip"),
    "zbkc_zbkx": ("clmul", "clmulh", "xperm4", "xperm8"),
    "zknh_zksh": ("sha256sum0", "sha256sum1", "sha256sig0", "sha256sig1", "sha512sum0r", "sha512sum1r",
                  "sha512sig0l", "sha512sig0h", "sha512sig1l", "sha512sig1h", "sm3p0", "sm3p1"),
    "zkne_zknd": ("aes32esi", "aes32esmi", "aes32dsi", "aes32dsmi"),
    "zksed": ("sm4ed", "sm4ks"),
    "jumps": ("jal", "jalr"),       # what they write (pc + 4); where they go: the next check
}
#: The smallest ISA holding each group (a smaller core, a faster proof).
INSN_ISA = {"rv32i": "rv32i", "zbkb": "rv32i_zbkb", "zbkc_zbkx": "rv32i_zbkc_zbkx",
            "zknh_zksh": "rv32i_zknh_zksh", "zkne_zknd": "rv32i_zkne_zknd", "zksed": "rv32i_zksed",
            "jumps": "rv32i"}

#: The insn check's cut points: its operands are the record's, CSR values it never reads.
INSN_CUT = ("regfile", "csr")
#: The next check (branches, jal, jalr: the golden next pc) per microarchitecture: the
#: units' values cut out too (it reads no result), on the smallest ISA with them.
NEXT_CUT = {"ideal": INSN_CUT, **{u: (*INSN_CUT, *cut) for u, cut in UARCH_CUT.items()}}
#: Groups the insn check runs on fpga too, whose crypto=2 computes them in MEM
#: (333 s and 107 s on the core of b54e95c).
INSN_FPGA = ("zkne_zknd", "zksed")
#: Groups whose units the insn check takes as their spec (``core.spec_twin``; their unit
#: proofs show them equal): carry-less multiplication twice per step (unit and spec)
#: stalled the solver at step 10 of 20.
INSN_SPEC = ("zbkc_zbkx",)

QUICK_UNITS = ("ALU", "Shifter", "Zbkx", "Zknh", "Zksh", "Zkne", "Zknd", "Zksed")
DEEP_UNITS = ("Zbkb", "Zbkc", "Xchain")
#: Free low bits of the narrowed operands (docs/verification.md).
DIV_NARROW = 6
#: The M rows the iterative multiplier computes (hdl/units/mulseq.py's NAMES).
MUL_ROWS = ("mul", "mulh", "mulhsu", "mulhu")
DIV_ROWS = ("div", "divu", "rem", "remu")
#: Depth of the csr checks, trap_vec and trap_mret, with the csr lemma (core._csr_lemma;
#: without it they stopped at step 10 or 11).
CSR_DEPTH = DEEP_DEPTH
#: Depth of the minstret check (51-78 s with mcycle's beside it; 16 took 325 s).
COUNTER_DEPTH = 15
#: The presets the mem check runs on: those without a data cache (a cached load's word
#: comes from the cache, not from the port in the cycle before its record).
MEM_UARCHS = ("ideal", "mcu", "fpga")
#: Piece widths whose product ``IterPieceProduct`` proves equal to its definition in
#: binary (33 x 8 bits did not finish in 3 minutes).
ITER_PIECE_BITS = (1, 2, 4)

PROOFS: list[Proof] = [
    *(Proof(f"unit_{u.lower()}", _unit(u), 1, True, what=f"{u} = spec, all operands")
      for u in QUICK_UNITS),
    *(Proof(f"unit_{u.lower()}", _unit(u), 1, False, what=f"{u} = spec, all operands")
      for u in DEEP_UNITS),
    *(Proof(f"unit_multiplier_{n}", _unit("Multiplier", names=(n,), fixed_op=True), 1, True,
            what=f"Multiplier = spec for {n}, all operands, the product as the primitive")
      for n in ("mul", "mulh", "mulhsu", "mulhu")),
    Proof("unit_multiplier_others", _unit("Multiplier", others=True), 1, True,
          what="Multiplier: 0 for every other op"),
    Proof("divider_latency", _divider(None, False), DIV_EXTRA + 4, True,
          what="Divider: done exactly DIV_EXTRA cycles after the start and held until ack, all operands"),
    Proof(f"divider_b{DIV_NARROW}", _divider(DIV_NARROW, True), DIV_EXTRA + 4, False,
          what=f"Divider = spec, a and b of {DIV_NARROW} bits zero- or one-extended"),
    Proof("divider_all", lambda: _divider_induction(), 3, False, mode="prove",
          what="Divider = RISC-V division, every operand, by k-induction over its steps"),
    # divider_all covers these two; they stay as quick-to-read cases in the regression
    Proof("divider_by_zero", _divider(None, True, b=0), DIV_EXTRA + 4, False,
          what="Divider = spec when dividing by zero, every dividend"),
    Proof("divider_overflow", _divider(None, True, a=0x8000_0000, b=0xFFFF_FFFF), DIV_EXTRA + 4, False,
          what="Divider = spec for -2^31 / -1"),
    *(Proof(f"mul_iter{bits}_latency", _iter_mul(bits, None, False), 32 // bits + 3, True,
            what=f"IterMultiplier({bits}): done after {32 // bits} cycles, all operands")
      for bits in (8, 16)),
    *(Proof(f"mul_pipe{st}_{n}", _pipe_mul(st, n), 1, False,
            what=f"pipelined multiplier ({st} stages) = {n}, all operands, 17 x 17 products the primitive")
      for st in (2, 3) for n in ("mul", "mulh", "mulhsu", "mulhu", "maddlu", "maddhu")),
    *(Proof(f"mul_iter{bits}_{n}", _iter_induction(bits, n), 2, False, mode="prove",
            what=f"IterMultiplier({bits}) = {n}, every operand, by k-induction over its steps, "
                 f"33 x {bits} products the primitive")
      for bits in MUL_ITER_BITS for n in MUL_ROWS),
    *(Proof(f"mul_iter_piece{bits}", _iter_piece(bits), 1, False,
            what=f"the 33 x {bits} product of IterMultiplier({bits}) = its definition in binary")
      for bits in ITER_PIECE_BITS),
    Proof("core_quick", _core(("order", "pc", "reg", "live")), QUICK_DEPTH, True,
          what="order, pc, reg, live on the ideal core, single-cycle units cut out"),
    Proof("core_deep_order_pc_live", _core(("order", "pc", "live")), DEEP_DEPTH, False,
          what="order, pc, live on the ideal core, single-cycle units cut out"),
    Proof("core_deep_reg", _core(("reg",), cut=REG_CUT), DEEP_DEPTH, False,
          what="reg on the ideal core, units, csr cut out, the watched register the only storage",
          solver="boolector"),
    *(Proof(f"core_{u}_{c}", _core((c,), uarch=u, cut=UARCH_CUT[u]), UARCH_DEPTH[c], False,
            what=f"{c} on the {u} microarchitecture, units' values cut out")
      for u in ("mcu", "fpga") for c in ("order", "pc")),
    *(Proof(f"core_{u}_reg",
            _core(("reg",), uarch=u, cut=(*UARCH_CUT[u], *(("regwatch",) if UARCH_REG[u][2] else ()))),
            UARCH_REG[u][0], False, what=f"reg on the {u} microarchitecture, units' values cut out",
            solver=UARCH_REG[u][1])
      for u in ("mcu", "fpga")),
    *(Proof(f"next_{u}", _core(("next",), uarch=u, isa="rv32i", cut=NEXT_CUT[u]), DEEP_DEPTH, False,
            what=f"next check (branches, jal, jalr = golden next pc) on the {u} microarchitecture")
      for u in NEXT_CUT),
    *(Proof(f"insn_mul_{u}", _core(("insn",), uarch=u, names=MUL_ROWS, isa="rv32im", cut=INSN_CUT, alt=True),
            DEEP_DEPTH, False, what=f"insn check, multiplication rows with stand-ins for the products, {u}")
      for u in ("ideal", "mcu", "fpga")),
    *(Proof(f"insn_div_{u}", _core(("insn",), uarch=u, names=DIV_ROWS, isa="rv32im", cut=INSN_CUT, alt=True),
            DEEP_DEPTH, False, what=f"insn check, division rows with stand-ins, free latency, {u}")
      for u in ("ideal", "mcu", "fpga")),
    *(Proof(f"mem_{u}", _core(("mem",), uarch=u, isa="rv32i", cut=INSN_CUT), DEEP_DEPTH, False,
            what=f"mem check: loads and stores against the data port as a memory, {u}")
      for u in MEM_UARCHS),
    # the real CSR file; the lemma (a CSR record read the followed value at the CSR file's
    # port, whatever its rd) takes it from step 10 to 20
    *(Proof(f"csr_{c}", _core(("csr",), isa="rv32i_zicsr", cut=("regfile",), csr=c, lemma=True), CSR_DEPTH,
            False,
            what=f"csr check: the Zicsr rows on {c}, its fields per the privileged spec", solver="boolector")
      for c in CSR_FIELDS),
    # trap entry: mepc, mcause, mtval of ecall/ebreak (and the timer interrupt) read back
    Proof("trap_csrs", _core(("trap",), isa="rv32i_zicsr", cut=("regfile",)), DEEP_DEPTH, False,
          what="trap check: mepc = pc, ecall/ebreak's mcause and mtval, as later CSR reads see them",
          solver="boolector"),
    # mtvec followed as by csr_mtvec, with its lemma
    Proof("trap_vec", _core(("trap_vec",), isa="rv32i_zicsr", cut=("regfile",), lemma=True), CSR_DEPTH, False,
          what="trap check: a trap record's pc_wdata = mtvec", solver="boolector"),
    # every trap's cause and mtval (RV32I with Zicsr): the operands through the reg check's
    # watched register
    Proof("trap_causes", _core(("cause", "reg"), isa="rv32i_zicsr", cut=("regwatch",)), DEEP_DEPTH, False,
          what="cause check: every record's exception (illegal word, misaligned or faulting jump, access, "
               "fetch) traps with its mcause and mtval", solver="boolector"),
    # MRET: pc <- mepc, mstatus's MIE <- MPIE, MPIE <- 1; mepc and mstatus followed through traps
    Proof("trap_mret", _core(("mret",), isa="rv32i_zicsr", cut=("regfile",), lemma=True), CSR_DEPTH, False,
          what="mret check: MRET goes to mepc, mstatus followed through trap entry and MRET",
          solver="boolector"),
    # mcycle / minstret between two reads
    Proof("csr_mcycle", _core(("mcycle",), isa="rv32i_zicsr", cut=("regfile",)), DEEP_DEPTH, False,
          what="counters check: mcycle counts the cycles between two reads", solver="boolector"),
    Proof("csr_minstret", _core(("minstret",), isa="rv32i_zicsr", cut=("regfile",)), COUNTER_DEPTH, False,
          what="counters check: minstret counts the records that did not trap between two reads",
          solver="boolector"),
    Proof("core_rs3", _core(("rs3",), isa=XCHAIN_ISA, cut=("csr",)), QUICK_DEPTH, True,
          what="rs3: Xchain's third operand is the register's last value, units cut out but xor3"),
    Proof("core_deep_rs3", _core(("rs3",), isa=XCHAIN_ISA, cut=("csr",)), DEEP_DEPTH, False,
          what="rs3 to the deep depth"),
    Proof("insn_rv32i_quick", _core(("insn",), names=INSN_GROUPS["rv32i"], isa="rv32i", cut=INSN_CUT),
          INSN_QUICK_DEPTH, True, what="insn check, RV32I rows"),
    *(Proof(f"insn_{g}", _core(("insn",), names=names, isa=INSN_ISA[g], cut=INSN_CUT, spec=g in INSN_SPEC),
            INSN_DEPTH, False, what=f"insn check, {g} rows")
      for g, names in INSN_GROUPS.items()),
    # crypto=2 (fpga): the S-box rows computed in MEM from the operands EX registered
    *(Proof(f"insn_{g}_fpga",
            _core(("insn",), uarch="fpga", names=INSN_GROUPS[g], isa=INSN_ISA[g], cut=INSN_CUT),
            INSN_DEPTH, False, what=f"insn check, {g} rows on fpga (crypto=2: computed in MEM)")
      for g in INSN_FPGA),
    # mutants: each must be caught (the check FAILs)
    Proof("mutant_no_mem_forwarding", _core(("reg",), mutant="no_mem_forwarding", cut=REG_CUT), QUICK_DEPTH,
          True, expect="FAIL", what="reg check catches the MEM forwarding path removed"),
    Proof("mutant_no_load_use_stall", _core(("reg",), mutant="no_load_use_stall", cut=REG_CUT), QUICK_DEPTH,
          True, expect="FAIL", what="reg check catches the load-use stall dropped"),
    Proof("mutant_no_branch_flush", _core(("pc",), mutant="no_branch_flush"), QUICK_DEPTH, True,
          expect="FAIL", what="pc check catches the dropped branch flush"),
    Proof("mutant_no_rs3_forwarding",
          _core(("rs3",), isa=XCHAIN_ISA, mutant="no_rs3_forwarding", cut=("csr",)), QUICK_DEPTH,
          True, expect="FAIL", what="rs3 check catches Xchain's rs3 forwarding removed"),
    Proof("mutant_sm4ed_mask", lambda: _mutant_unit("sm4ed_mask"), 1, True,
          expect="FAIL", what="Zksed unit proof catches a wrong mask in SM4ED"),
    Proof("mutant_div_quotient_bit", lambda: _divider_induction("div_quotient_bit"), 3, True, mode="prove",
          expect="FAIL", what="the divider's induction proof catches a wrong quotient bit"),
    # a mutant of a unit the lockstep's default core does not build (mutants.UNIT_ONLY);
    # depth: the base case must reach the done cycle (4 steps) to show the wrong result
    Proof("mutant_mul_iter_sign", _iter_induction(8, "mulh", "mul_iter_sign"), 6, False, mode="prove",
          expect="FAIL", what="the iterative multiplier's induction catches the sign correction dropped"),
    Proof("mutant_branch_bltu", _core(("next",), isa="rv32i", mutant="branch_bltu", cut=INSN_CUT),
          QUICK_DEPTH, False, expect="FAIL", what="the next check catches bltu taken for equal operands"),
    Proof("mutant_no_crypto_wait",
          _core(("reg",), uarch="fpga", mutant="no_crypto_wait", cut=(*UARCH_CUT["fpga"], "regwatch")), 10,
          False, expect="FAIL", what="the fpga reg check catches an S-box row's late result forwarded early"),
    Proof("mutant_store_lane", _core(("mem",), isa="rv32i", mutant="store_lane", cut=INSN_CUT), QUICK_DEPTH,
          False, expect="FAIL", what="the mem check catches a store's data left out of its lanes"),
    Proof("mutant_load_cause_swap",
          _core(("cause", "reg"), isa="rv32i_zicsr", mutant="load_cause_swap", cut=("regwatch",)), 10, False,
          expect="FAIL", what="the cause check catches a misaligned load's cause given as an access fault",
          solver="boolector"),
    Proof("mutant_mret_mstatus", _core(("mret",), isa="rv32i_zicsr", mutant="mret_mstatus", cut=("regfile",)),
          10, False, expect="FAIL", what="the mret check catches MRET leaving mstatus as it is",
          solver="boolector"),
    Proof("mutant_minstret_traps",
          _core(("minstret",), isa="rv32i_zicsr", mutant="minstret_traps", cut=("regfile",)), 10, False,
          expect="FAIL", what="the counters check catches minstret counting trapped instructions",
          solver="boolector"),
    Proof("mutant_sm4ed_mask_insn", _core(("insn",), names=INSN_GROUPS["zksed"], isa="rv32i_zksed",
                                          mutant="sm4ed_mask", cut=INSN_CUT), 6, False,
          expect="FAIL", what="the core's insn check catches it too"),
]

BY_NAME = {p.name: p for p in PROOFS}


def _divider_induction(mutant: str | None = None):
    from . import mutants
    from .units import DividerInduction
    return DividerInduction(mutants.unit(mutant) if mutant else None)


def _mutant_unit(key: str):
    from . import mutants
    from .units import UnitEquivalence
    return UnitEquivalence(mutants.unit(key))
