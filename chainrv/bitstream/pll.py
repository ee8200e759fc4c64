"""PLL settings for a board clock other than its oscillator's (``chainrv bitstream --clock``).

The divider search of Project Trellis' ``ecppll`` and IceStorm's ``icepll``, with one
difference: the clock chosen is the fastest at or below the one asked for, never
above it (those tools take the nearest, which can be faster than the design meets).
The ranges are the devices' (Lattice TN1263 for the ECP5 EHXPLLL, the iCE40 sysCLOCK
PLL guide for SB_PLL40); nextpnr derives the output clock from the same parameters
and checks the design against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from chainrv.synth.results import SynthError


@dataclass(frozen=True)
class PllPlan:
    family: str
    in_mhz: float
    out_mhz: float                    # what the dividers make
    params: dict[str, int | str]      # the primitive's parameters


def plan_pll(family: str, in_mhz: float, want_mhz: float) -> PllPlan:
    """The fastest clock at or below ``want_mhz`` the family's PLL makes from ``in_mhz``."""
    best = _ecp5(in_mhz, want_mhz) if family == "ecp5" else _ice40(in_mhz, want_mhz)
    if best is None:
        lo, hi = (3.125, 400.0) if family == "ecp5" else (16.0, 275.0)
        raise SynthError(f"no {family} PLL setting makes {want_mhz:g} MHz or a little less from "
                         f"{in_mhz:g} MHz (its output runs from {lo:g} to {hi:g} MHz)")
    out, params = best
    return PllPlan(family, in_mhz, round(out, 6), params)


def _ecp5(fin: float, want: float):
    best = None
    for clki in range(1, 129):
        pfd = fin / clki
        if not 3.125 <= pfd <= 400:
            continue
        for fb in range(1, 81):
            out = pfd * fb
            if out > want + 1e-9 or not 3.125 <= out <= 400:
                continue
            op = min(128, max(1, round(600 / out)))     # the VCO near the middle of its range
            if 400 <= out * op <= 800 and (best is None or out > best[0] + 1e-9):
                best = (out, {"CLKI_DIV": clki, "CLKFB_DIV": fb, "CLKOP_DIV": op,
                              "CLKOP_CPHASE": (op - 1) // 2})
    return best


def _ice40(fin: float, want: float):
    best = None
    for divr in range(16):
        pfd = fin / (divr + 1)
        if not 10 <= pfd <= 133:
            continue
        for divf in range(128):
            vco = pfd * (divf + 1)
            if not 533 <= vco <= 1066:
                continue
            for divq in range(1, 7):
                out = vco / (1 << divq)
                if out <= want + 1e-9 and 16 <= out <= 275 and (best is None or out > best[0] + 1e-9):
                    best = (out, {"DIVR": divr, "DIVF": divf, "DIVQ": divq, "FILTER_RANGE": _filter(pfd)})
    return best


def _filter(pfd: float) -> int:
    """SB_PLL40's loop filter range for the phase detector's frequency (icepll's table)."""
    for limit, value in ((17, 1), (26, 2), (44, 3), (66, 4), (101, 5)):
        if pfd < limit:
            return value
    return 6
