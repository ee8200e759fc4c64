"""The core's two memory ports (one-cycle, synchronous read)."""

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

#: Instruction port: ``addr`` is sampled when ``en`` is high; ``data`` holds
#: that word from the next cycle on (and keeps it while ``en`` is low).
IBusSignature = wiring.Signature({"addr": Out(32), "en": Out(1), "data": In(32)})

#: Data port: in the MEM cycle the core drives ``addr`` with ``re`` (load) or
#: ``we`` (byte lanes of a store) and ``wdata``; ``rdata`` returns the aligned
#: word in the next cycle (WB).
DBusSignature = wiring.Signature({
    "addr": Out(32), "re": Out(1), "we": Out(4), "wdata": Out(32), "rdata": In(32),
})
