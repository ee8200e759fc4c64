"""The RVFI-style retirement port (docs/hdl.md), as a signature.

One record per retired instruction, trapped ones included (``trap`` = 1),
valid in the cycle the instruction leaves WB. Conventions the ISS trace
shares: an operand the format does not read has ``rs*_addr`` = 0 and
``rs*_rdata`` = 0; an instruction that writes no register has ``rd_addr`` = 0
and ``rd_wdata`` = 0 (also when ``rd`` is x0); ``mem_addr`` is the exact
byte address, ``mem_rmask``/``mem_wmask`` are ``(1 << size) - 1`` and
``mem_rdata``/``mem_wdata`` hold the accessed bytes zero-extended.
"""

from amaranth.lib import wiring
from amaranth.lib.wiring import Out

RVFI_FIELDS: dict[str, int] = {
    "valid": 1, "order": 64, "insn": 32, "trap": 1,
    "pc_rdata": 32, "pc_wdata": 32,
    "rs1_addr": 5, "rs2_addr": 5, "rs1_rdata": 32, "rs2_rdata": 32,
    "rd_addr": 5, "rd_wdata": 32,
    "mem_addr": 32, "mem_rmask": 4, "mem_wmask": 4, "mem_rdata": 32, "mem_wdata": 32,
}

#: Driven by the core (the source side).
RVFISignature = wiring.Signature({k: Out(w) for k, w in RVFI_FIELDS.items()})
