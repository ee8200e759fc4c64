"""The RTL's retirement log: the Verilog that writes it and the parser that reads it,
both made from the record layout of ``isa.retire``.

``lockstep_top.v`` writes one fixed-width hex line per retirement: the columns of
``RECORD_FIELDS`` (every RVFI field but ``valid``, then the retirement ``cycle``),
each as ``%h`` of its width, separated by spaces (Icarus). On Verilator it also
drives the record as one output port, each column zero-extended to 64 bits, the
first in the lowest bits: in memory, one row of ``RVFI_DTYPE`` (``lockstep_main.cpp``
compares it with the ISS's). The wrapper's RVFI wires, its connections to the SoC,
the log statement and the packed record are the macros of :func:`verilog_macros`,
so both follow the record layout wherever it changes.
"""

from __future__ import annotations

import functools

import numpy as np

from isa.retire import RECORD_FIELDS, RVFI_FIELDS
from simulator import RVFI_DTYPE

#: Width of the SoC's ``cycle`` port (hdl/soc.py), the last column of a record.
CYCLE_BITS = 64


def _bits(name: str) -> int:
    return CYCLE_BITS if name == "cycle" else RVFI_FIELDS[name]


def _signal(name: str) -> str:
    return name if name == "cycle" else f"rvfi_{name}"


#: Hex digits of each column in a line of the log (``%h`` prints a whole number of digits).
LOG_DIGITS: tuple[tuple[str, int], ...] = tuple((name, -(-_bits(name) // 4)) for name in RECORD_FIELDS)
LINE_BYTES = sum(d for _, d in LOG_DIGITS) + len(LOG_DIGITS)   # a space or newline after each field
#: Bits of the packed record port: every column as 64 bits (an ``RVFI_DTYPE`` row).
RECORD_BITS = 64 * len(RECORD_FIELDS)
assert RECORD_FIELDS == RVFI_DTYPE.names


def verilog_macros() -> str:
    """The ``define``s ``lockstep_top.v`` uses: the RVFI wires (``CHAINRV_RVFI_WIRES``),
    their connections to ``chainrv_soc`` (``CHAINRV_RVFI_PORTS``), the log line's
    format and arguments (``CHAINRV_RECORD_FORMAT``, ``CHAINRV_RECORD_ARGS``) and the
    packed record with its width (``CHAINRV_RECORD_PACKED``, ``CHAINRV_RECORD_BITS``)."""
    wires = " ".join(f"wire {f'[{w - 1}:0] ' if w > 1 else ''}rvfi_{n};" for n, w in RVFI_FIELDS.items())
    ports = ", ".join(f".rvfi_{n}(rvfi_{n})" for n in RVFI_FIELDS)
    fmt = " ".join("%h" for _ in RECORD_FIELDS) + "\\n"
    args = ", ".join(_signal(n) for n in RECORD_FIELDS)
    packed = ", ".join(_zero_extended(n) for n in reversed(RECORD_FIELDS))
    return (f"`define CHAINRV_RVFI_WIRES {wires}\n`define CHAINRV_RVFI_PORTS {ports}\n"
            f'`define CHAINRV_RECORD_FORMAT "{fmt}"\n`define CHAINRV_RECORD_ARGS {args}\n'
            f"`define CHAINRV_RECORD_BITS {RECORD_BITS}\n`define CHAINRV_RECORD_PACKED {{{packed}}}\n")


def _zero_extended(name: str) -> str:
    pad = 64 - _bits(name)
    return f"{pad}'d0, {_signal(name)}" if pad else _signal(name)


class LogError(ValueError):
    """The RTL's retirement log is malformed (e.g. X or Z values)."""


_HEX = np.full(256, -1, np.int64)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _HEX[_c] = 10 + _i

#: Hex digits of each field, in log (and RVFI_DTYPE) order, for the compiled parser.
_DIGITS = np.array([d for _, d in LOG_DIGITS], np.int64)


def _parse_hex_py(rows: np.ndarray, digits: np.ndarray, hexval: np.ndarray, out: np.ndarray) -> int:
    """Fill ``out[i, f]`` with field ``f`` of log line ``i``; -1, or
    ``i * len(digits) + f`` for the first field holding a character that is not
    a hex digit (X, Z)."""
    for i in range(rows.shape[0]):
        col = 0
        for f in range(digits.shape[0]):
            v = 0
            for k in range(digits[f]):
                d = hexval[rows[i, col + k]]
                if d < 0:
                    return i * digits.shape[0] + f
                v = (v << 4) | d
            out[i, f] = v
            col += digits[f] + 1
    return -1


@functools.cache
def _parse_hex():
    """The parser compiled (Numba imported only by the runs that parse a log: Icarus)."""
    import numba

    return numba.njit(cache=True, nogil=True)(_parse_hex_py)


def record_rows(recs: np.ndarray) -> np.ndarray:
    """Records (``RVFI_DTYPE``) as an ``(n, fields)`` int64 array, without a copy."""
    return np.ascontiguousarray(recs).view(np.int64).reshape(len(recs), len(RVFI_DTYPE.names))


def parse_log(data: bytes) -> np.ndarray:
    """RVFI records (``RVFI_DTYPE``) from the wrapper's log (a 100 MB log in well under a second)."""
    if len(data) % LINE_BYTES:
        data = data[:len(data) - len(data) % LINE_BYTES]   # a line cut short by the end of the run
    rows = np.frombuffer(data, np.uint8).reshape(-1, LINE_BYTES)
    out = np.zeros(len(rows), RVFI_DTYPE)
    bad = _parse_hex()(rows, _DIGITS, _HEX, record_rows(out))
    if bad >= 0:
        line, f = divmod(bad, len(LOG_DIGITS))
        col = sum(d + 1 for _, d in LOG_DIGITS[:f])
        text = rows[line, col:col + LOG_DIGITS[f][1]].tobytes().decode("latin-1")
        raise LogError(f"RTL record {line}: field {LOG_DIGITS[f][0]} is not a number: {text!r}")
    return out
