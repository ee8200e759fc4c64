"""The integer ALU built for area (``hdl.core.built_small``): the same function as
``alu.ALU`` from fewer carry chains.

The register and immediate forms share one second operand, and one adder computes
``a + b``, ``a - b`` and ``a + imm`` and, from the subtraction's carry, the four
comparisons: ``a < x`` unsigned is the borrow, and signed the same unless the signs
differ (then ``a`` is the smaller when it is negative). ``pc + imm`` and ``pc + 4`` are
the expressions the core adds for its targets and its next pc, which synthesis merges
with these.
"""

from amaranth import Cat, Const, Module, Mux

from .alu import ALU

#: The rows whose second operand is the immediate.
IMM_FORMS = ("addi", "slti", "sltiu", "xori", "ori", "andi")
#: The rows that subtract it (the comparisons from the borrow).
SUBTRACTS = ("sub", "slt", "sltu", "slti", "sltiu")


class SmallALU(ALU):
    def elaborate(self, platform):
        m = Module()
        a, imm = self.a, self.imm
        x = Mux(self.is_op(*IMM_FORMS), imm, self.b)
        sub = self.is_op(*SUBTRACTS)
        # a + (x ^ sub) + sub in one chain: the extra low bit (1 + sub) carries sub in
        total = Cat(Const(1, 1), a, Const(0, 1)) + Cat(sub, x ^ sub.replicate(32), Const(0, 1))
        total = total[1:34]
        borrow = ~total[32]
        lt = Mux(a[31] ^ x[31], a[31], borrow)
        parts = [
            (("add", "sub", "addi"), total[:32]),
            (("slt", "slti"), lt),
            (("sltu", "sltiu"), borrow),
            (("xor", "xori"), a ^ x),
            (("or", "ori"), a | x),
            (("and", "andi"), a & x),
            (("lui",), imm),
            (("auipc",), (self.pc + imm)[:32]),
            (("jal", "jalr"), (self.pc + 4)[:32]),
        ]
        result = Const(0, 32)
        for names, value in parts:
            result = result | Mux(self.is_op(*names), value, 0)
        m.d.comb += self.result.eq(result)
        return m
