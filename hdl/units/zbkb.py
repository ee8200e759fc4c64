"""Zbkb: bit manipulation for cryptography (rotations, logic with negate, pack, byte/bit permutations)."""

from __future__ import annotations

from amaranth import Cat, Module

from .base import CombUnit, op_id


def ror(x, amt):
    """Rotate right by a variable amount (0..31)."""
    return (Cat(x, x) >> amt)[:32]


class Zbkb(CombUnit):
    NAMES = ("andn", "orn", "xnor", "rol", "ror", "rori", "pack", "packh",
             "brev8", "rev8", "zip", "unzip")
    EXTS = ("zbkb",)

    def elaborate(self, platform):
        m = Module()
        a, b = self.a, self.b
        rol_amt = (-b[:5])[:5]
        cases = {
            "andn": a & ~b,
            "orn": a | ~b,
            "xnor": ~(a ^ b),
            "rol": ror(a, rol_amt),
            "ror": ror(a, b[:5]),
            "rori": ror(a, self.imm[:5]),
            "pack": Cat(a[:16], b[:16]),
            "packh": Cat(a[:8], b[:8]),
            "brev8": Cat(*(a[8 * (i // 8) + 7 - i % 8] for i in range(32))),
            "rev8": Cat(a[24:32], a[16:24], a[8:16], a[:8]),
            "zip": Cat(*(a[i // 2 + 16 * (i % 2)] for i in range(32))),
            "unzip": Cat(*(a[2 * (i % 16) + i // 16] for i in range(32))),
        }
        with m.Switch(self.op):
            for name, value in cases.items():
                with m.Case(op_id(name)):
                    m.d.comb += self.result.eq(value)
        return m
