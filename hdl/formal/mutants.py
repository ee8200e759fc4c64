"""Deliberately broken cores, to show that the checks catch real bugs.

The mutation hook: a mutant is an exact piece of source text of one module of
``hdl`` and its replacement (a few alternatives, for the forms the source has had:
the first that occurs is used). ``load`` compiles a copy of that module with the
piece replaced, under another name (the files and the imported modules stay as they
are); ``core`` builds a ``Core`` from the mutated module, or a ``Core`` whose
single-cycle units include the mutated unit. When no alternative occurs exactly once
it is an error (``MutationError``): the mutant must be rewritten after the source
changed, never silently skipped.
"""

from __future__ import annotations

import importlib
import inspect
import types
from dataclasses import dataclass
from unittest import mock

from hdl.units.base import CombUnit


class MutationError(ValueError):
    """The mutant's source text is not in its module exactly once."""


@dataclass(frozen=True)
class Mutant:
    module: str          # the module mutated, e.g. "hdl.core"
    edits: tuple[tuple[str, str], ...]   # (exact source text, its replacement) alternatives
    what: str            # the bug, in words
    unit: str = ""       # for a unit's mutant: the unit's class name
    isa: str = "rv32im_zicsr_zk_zks"     # the ISA it is run under in lockstep


MUTANTS: dict[str, Mutant] = {
    "no_mem_forwarding": Mutant(
        "hdl.core",
        (("Mux((idx != 0) & mem.valid & (mem.rd == idx), mem.result,", "Mux(0, mem.result,"),
         ("return Mux(from_mem, mem.result, Mux(from_wb, wb_forward, regval))",
          "return Mux(from_wb, wb_forward, regval)")),
        "the forwarding path from MEM to EX removed: an operand written by the instruction "
        "just ahead comes from WB or the register file, one instruction stale"),
    "no_load_use_stall": Mutant(
        "hdl.core",
        (("load_use.eq(id_.valid & late)", "load_use.eq(0)"),),
        "the load-use stall dropped: the consumer right after a load enters EX while the "
        "load is in MEM, before its data has arrived"),
    "no_branch_flush": Mutant(
        "hdl.core",
        (("valid=id_.valid & ~load_use & ~id_wait, flush=redirect,",
          "valid=id_.valid & ~load_use & ~id_wait, flush=0,"),),
        "a dropped branch flush: the instruction in ID when a branch, jump or trap "
        "redirects the pipeline still enters EX and executes (only IF's is squashed)"),
    "no_rs3_forwarding": Mutant(
        "hdl.core",
        (("m.d.comb += c.eq(forward(ex.rs3, word_field(\"rs3\"), 2))",
          "m.d.comb += c.eq(rf_data[2])"),),
        "Xchain's third operand without forwarding: rs3 written by one of the two "
        "instructions ahead comes from the register file, stale", isa="rv32im_zicsr_zk_zks_xchain"),
    "sm4ed_mask": Mutant(
        "hdl.units.zksed",
        (("((x & 0x3F) << 26)", "((x & 0x1F) << 26)"),),
        "a wrong mask in SM4ED's linear layer: bit 5 of the S-box output no longer "
        "reaches bit 31", unit="Zksed"),
    "div_quotient_bit": Mutant(
        "hdl.units.divider",
        (("quot.eq(Cat(1, quot[:31]))", "quot.eq(Cat(0, quot[:31]))"),),
        "the divider shifts in a 0 where a step's subtraction succeeded: every quotient "
        "bit reads 0", unit="Divider"),
}

#: Mutants checked by formal proofs only (``hdl/formal/proofs.py``), not run in lockstep:
#: a unit or path the lockstep's default core (``ideal``) does not build, a corner (equal
#: operands of one branch row) that its random program is not built to hit, or a
#: mutant of a check the lockstep has mutants for already (the store's lanes: the
#: lockstep compares every store's memory word), or a trap's CSR effects and the
#: counters (the cause, mret and counters checks' mutants, not run in lockstep).
UNIT_ONLY: dict[str, Mutant] = {
    "mul_iter_sign": Mutant(
        "hdl.units.mulseq",
        (("total.eq(acc + add - Mux(sb[32], sa << 32, 0))", "total.eq(acc + add)"),),
        "the iterative multiplier's last step no longer subtracts a << 32 for a negative b "
        "(mulh's high word wrong for every negative b)", unit="IterMultiplier"),
    "branch_bltu": Mutant(
        "hdl.units.branch",
        (("less = Cat(a[:31], a[31] ^ signed) < Cat(", "less = Cat(a[:31], a[31] ^ signed) <= Cat("),),
        "blt and bltu taken for equal operands (bge and bgeu not)", unit="BranchCompare"),
    "no_crypto_wait": Mutant(
        "hdl.core",
        (("| ex_crypto),", "),"),),
        "under crypto=2 (fpga) an AES or SM4 row's result is no longer late: its consumer "
        "right behind takes MEM's result before the S-box unit's part joins it"),
    "store_lane": Mutant(
        "hdl.units.lsu",
        (("self.wdata.eq(self.b << (off * 8))", "self.wdata.eq(self.b)"),),
        "a store's data no longer moved to its byte lanes: sb and sh at an offset write "
        "the low bytes of rs2 into lanes the strobe does not select", unit="LoadStoreUnit"),
    "load_cause_swap": Mutant(
        "hdl.core",
        (("cause.eq(Mux(lsu.misaligned, CAUSE_LOAD_MISALIGNED, CAUSE_LOAD_FAULT))",
          "cause.eq(Mux(lsu.misaligned, CAUSE_LOAD_FAULT, CAUSE_LOAD_MISALIGNED))"),),
        "a misaligned load reported as a load access fault (mcause 5) and a faulting one "
        "as misaligned (4)"),
    "mret_mstatus": Mutant(
        "hdl.units.csr",
        (("mstatus.eq(mret_mstatus(mstatus))", "mstatus.eq(mstatus)"),),
        "MRET leaves mstatus as it is: MIE not restored from MPIE, MPIE not set",
        unit="CSRFile", isa="rv32i_zicsr"),
    "minstret_traps": Mutant(
        "hdl.core",
        (("csr.unretire.eq(trap_q)", "csr.unretire.eq(0)"),),
        "minstret counts the instructions that trapped too (the count is no longer taken back "
        "the cycle after a trap)"),
}


def load(key: str) -> types.ModuleType:
    """A fresh copy of the mutant's module with its source text replaced."""
    mutant = MUTANTS[key] if key in MUTANTS else UNIT_ONLY[key]
    original = importlib.import_module(mutant.module)
    source = inspect.getsource(original)
    edit = next(((old, new) for old, new in mutant.edits if source.count(old) == 1), None)
    if edit is None:
        raise MutationError(f"mutant {key}: none of its source texts occurs once in {mutant.module}")
    module = types.ModuleType(f"{mutant.module}__mutant_{key}")
    module.__package__ = original.__package__
    module.__file__ = original.__file__
    # dont_inherit: this file's ``from __future__ import annotations`` must not turn the
    # copy's annotations (a Component's ports) into strings
    code = compile(source.replace(*edit), f"{original.__file__} (mutant {key})", "exec", dont_inherit=True)
    exec(code, module.__dict__)
    return module


def unit(key: str) -> type[CombUnit]:
    """The mutated unit class of a unit mutant."""
    return getattr(load(key), (MUTANTS[key] if key in MUTANTS else UNIT_ONLY[key]).unit)


def core(key: str, *args, **kwargs):
    """A core with the mutation (``Core``'s arguments)."""
    import hdl.core
    import hdl.units

    mutant = MUTANTS[key] if key in MUTANTS else UNIT_ONLY[key]
    if not mutant.unit:
        return load(key).Core(*args, **kwargs)
    broken = unit(key)
    if any(u.__name__ == mutant.unit for u in hdl.units.COMB_UNITS):
        units = tuple(broken if u.__name__ == mutant.unit else u for u in hdl.units.COMB_UNITS)
        patch = mock.patch.object(hdl.units, "COMB_UNITS", units)
    else:       # a unit the core names itself (the divider)
        patch = mock.patch.object(hdl.core, mutant.unit, broken)

    class MutantCore(hdl.core.Core):
        def elaborate(self, platform):
            with patch:
                return super().elaborate(platform)

    return MutantCore(*args, **kwargs)
