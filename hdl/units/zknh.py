"""Zknh: SHA-256 sigma/sum functions and the RV32 SHA-512 half-word functions."""

from __future__ import annotations

from amaranth import Module

from .base import CombUnit, op_id


def _ror(x, n: int):
    return x.rotate_right(n)


class Zknh(CombUnit):
    NAMES = ("sha256sum0", "sha256sum1", "sha256sig0", "sha256sig1",
             "sha512sum0r", "sha512sum1r", "sha512sig0l", "sha512sig0h",
             "sha512sig1l", "sha512sig1h")
    EXTS = ("zknh",)

    def elaborate(self, platform):
        m = Module()
        a, b = self.a, self.b
        cases = {
            "sha256sum0": _ror(a, 2) ^ _ror(a, 13) ^ _ror(a, 22),
            "sha256sum1": _ror(a, 6) ^ _ror(a, 11) ^ _ror(a, 25),
            "sha256sig0": _ror(a, 7) ^ _ror(a, 18) ^ (a >> 3),
            "sha256sig1": _ror(a, 17) ^ _ror(a, 19) ^ (a >> 10),
            "sha512sum0r": (a << 25) ^ (a << 30) ^ (a >> 28) ^ (b >> 7) ^ (b >> 2) ^ (b << 4),
            "sha512sum1r": (a << 23) ^ (a >> 14) ^ (a >> 18) ^ (b >> 9) ^ (b << 18) ^ (b << 14),
            "sha512sig0l": (a >> 1) ^ (a >> 7) ^ (a >> 8) ^ (b << 31) ^ (b << 25) ^ (b << 24),
            "sha512sig0h": (a >> 1) ^ (a >> 7) ^ (a >> 8) ^ (b << 31) ^ (b << 24),
            "sha512sig1l": (a << 3) ^ (a >> 6) ^ (a >> 19) ^ (b >> 29) ^ (b << 26) ^ (b << 13),
            "sha512sig1h": (a << 3) ^ (a >> 6) ^ (a >> 19) ^ (b >> 29) ^ (b << 13),
        }
        with m.Switch(self.op):
            for name, value in cases.items():
                with m.Case(op_id(name)):
                    m.d.comb += self.result.eq(value[:32])
        return m
