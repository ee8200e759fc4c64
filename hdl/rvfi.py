"""The RVFI-style retirement port (docs/hdl.md), as a signature.

Its fields, their widths and their conventions are ``isa.retire``'s: the
contract the ISS trace shares.
"""

from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from isa.retire import RVFI_FIELDS

#: Driven by the core (the source side).
RVFISignature = wiring.Signature({k: Out(w) for k, w in RVFI_FIELDS.items()})
