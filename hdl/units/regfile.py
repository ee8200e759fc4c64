"""The integer register file: x1..x31 (x0 is never written, so it reads 0).

Read one cycle ahead, for EX: ``addr[k]`` is the register that read port k gives in
the *next* cycle, on ``data[k]``, with every write up to the cycle before this one in
it. A write in this same cycle is not (the memory's old word): the caller chooses it
instead, the word written registered beside the memory, with its forwarding
(``hdl/core.py``: the bypass's select is one more of each operand copy's registered
selects, so no multiplexer of the register file's own sits before the copies'). With
that, EX sees what an asynchronous read of the register it holds would give, so the
pipeline's timing does not change, but the memory has a registered read: LUT-RAM with
a flip-flop behind it on ECP5 (the read happens in ID, off EX's paths), block RAM on
iCE40, which has no asynchronous RAM (without it the registers are flip-flops and
multiplexers that do not fit a UP5K).

Built into the core's own module (like ``cache_arrays.way_memories`` into the
caches'), not a unit of its own: the synthesis report counts the register file
with the core, in flip-flops, as before.
"""

from amaranth import Module, Mux, Signal
from amaranth.hdl import Value
from amaranth.lib.memory import Memory


def regfile(m: Module, addrs: list[Value], we: Value, waddr: Value, wdata: Value,
            hold: Value | None = None) -> list[Signal]:
    """The register file in ``m``, one read port per address of ``addrs`` (the
    registers to read for the next cycle); returns each port's data, without a write
    made in the cycle of the read (the caller's bypass).

    With ``hold`` the read flip-flops keep the register they read while ``hold`` is
    high, and ``addrs`` are not read then: each port's flip-flops take instead the
    word written in the cycle before if it was written to their register (what a read
    of the same address would give; a write in this cycle is again the caller's
    bypass). The caller then gives the next word's fields as ``addrs`` whether or not
    it holds, and its late hold reaches the flip-flops' inputs, not the memory's read
    address (an asynchronous read: LUT-RAM, not a block RAM's registered read)."""
    m.submodules.regfile = mem = Memory(shape=32, depth=32, init=[])
    wp = mem.write_port()
    m.d.comb += [wp.en.eq(we), wp.addr.eq(waddr), wp.data.eq(wdata)]
    if hold is not None:
        we_q, waddr_q, wdata_q = Signal(), Signal(5), Signal(32)
        m.d.sync += [we_q.eq(we), waddr_q.eq(waddr), wdata_q.eq(wdata)]
    out = []
    for k, addr in enumerate(addrs):
        data = Signal(32, name=f"rf_data{k}")
        if hold is None:
            rp = mem.read_port(transparent_for=())     # the old word on a same-cycle write
            m.d.comb += [rp.addr.eq(addr), data.eq(rp.data)]
        else:
            rp = mem.read_port(domain="comb")
            held = Signal(5, name=f"rf_addr{k}")
            with m.If(~hold):
                m.d.sync += held.eq(addr)
            m.d.comb += rp.addr.eq(addr)
            kept = Mux(we_q & (waddr_q == held), wdata_q, data)
            m.d.sync += data.eq(Mux(hold, kept, rp.data))
        out.append(data)
    return out
