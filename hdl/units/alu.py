"""Integer ALU: RV32I arithmetic, logic, compares, LUI/AUIPC and the link value of jumps."""


from amaranth import Module
from amaranth.lib.wiring import In

from .base import CombUnit, op_id


class ALU(CombUnit):
    NAMES = ("lui", "auipc", "jal", "jalr", "addi", "slti", "sltiu", "xori", "ori", "andi",
             "add", "sub", "slt", "sltu", "xor", "or", "and")
    EXTS = ("i",)

    pc: In(32)

    def elaborate(self, platform):
        m = Module()
        a, b, imm = self.a, self.b, self.imm
        cases = {
            "lui": imm,
            "auipc": self.pc + imm,
            "jal": self.pc + 4,
            "jalr": self.pc + 4,
            "addi": a + imm,
            "slti": a.as_signed() < imm.as_signed(),
            "sltiu": a < imm,
            "xori": a ^ imm,
            "ori": a | imm,
            "andi": a & imm,
            "add": a + b,
            "sub": a - b,
            "slt": a.as_signed() < b.as_signed(),
            "sltu": a < b,
            "xor": a ^ b,
            "or": a | b,
            "and": a & b,
        }
        with m.Switch(self.op):
            for name, value in cases.items():
                with m.Case(op_id(name)):
                    m.d.comb += self.result.eq(value[:32])
        return m
