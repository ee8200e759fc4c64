"""Integer ALU: RV32I arithmetic, logic, compares, LUI/AUIPC and the link value of jumps."""


from amaranth import Cat, Module, Signal
from amaranth.lib.wiring import In

from .base import CombUnit, op_id


class ALU(CombUnit):
    NAMES = ("lui", "auipc", "jal", "jalr", "addi", "slti", "sltiu", "xori", "ori", "andi",
             "add", "sub", "slt", "sltu", "xor", "or", "and")
    EXTS = ("i",)

    pc: In(32)

    def elaborate(self, platform):
        m = Module()
        value = Signal(32)     # every row's result but the comparisons'
        a, b, imm = self.a, self.b, self.imm
        cases = {
            "lui": imm,
            "auipc": self.pc + imm,
            "jal": self.pc + 4,
            "jalr": self.pc + 4,
            "addi": a + imm,
            "xori": a ^ imm,
            "ori": a | imm,
            "andi": a & imm,
            "add": a + b,
            "sub": a - b,
            "xor": a ^ b,
            "or": a | b,
            "and": a & b,
        }
        with m.Switch(self.op):
            for name, result in cases.items():
                with m.Case(op_id(name)):
                    m.d.comb += value.eq(result[:32])
        # the comparisons, one carry chain for the immediate forms and one for the
        # register forms: signed is unsigned with the sign bits inverted. Their bit joins
        # the others' result last (it comes after the chain), not through the case choice
        def less(x, signed):
            return Cat(a[:31], a[31] ^ signed) < Cat(x[:31], x[31] ^ signed)

        lt = ((self.is_op("slti", "sltiu") & less(imm, self.is_op("slti")))
              | (self.is_op("slt", "sltu") & less(b, self.is_op("slt"))))
        m.d.comb += self.result.eq(value | lt)
        return m
