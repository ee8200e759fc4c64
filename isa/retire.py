"""The retirement record (RVFI style, names as riscv-formal's ``rvfi_*``): the
co-simulation contract between the ISS trace and the core's retirement port.

Field conventions (docs/hdl.md, docs/lockstep.md): one record per retirement
slot, trapped ones included (``trap`` = 1, ``pc_wdata`` = mtvec, register and
memory fields 0); an operand the format does not read has ``rs*_addr`` =
``rs*_rdata`` = 0; no register write (or rd = x0) gives ``rd_addr`` =
``rd_wdata`` = 0; ``mem_addr`` is the exact byte address; ``mem_rmask`` and
``mem_wmask`` are ``(1 << width) - 1``, not shifted; ``mem_rdata`` and
``mem_wdata`` hold the accessed bytes zero-extended.
"""

from __future__ import annotations

#: Fields of the core's port and their widths in bits, in port order.
RVFI_FIELDS: dict[str, int] = {
    "valid": 1, "order": 64, "insn": 32, "trap": 1,
    "pc_rdata": 32, "pc_wdata": 32,
    "rs1_addr": 5, "rs2_addr": 5, "rs1_rdata": 32, "rs2_rdata": 32,
    "rd_addr": 5, "rd_wdata": 32,
    "mem_addr": 32, "mem_rmask": 4, "mem_wmask": 4, "mem_rdata": 32, "mem_wdata": 32,
}

#: Columns of a record as both simulators log it: every port field but ``valid``
#: (a logged record is valid), in this order, then the retirement ``cycle``.
RECORD_FIELDS: tuple[str, ...] = (
    "order", "insn", "trap", "pc_rdata", "pc_wdata", "rs1_addr", "rs1_rdata",
    "rs2_addr", "rs2_rdata", "rd_addr", "rd_wdata", "mem_addr", "mem_rmask",
    "mem_wmask", "mem_rdata", "mem_wdata", "cycle",
)
COL: dict[str, int] = {name: i for i, name in enumerate(RECORD_FIELDS)}
