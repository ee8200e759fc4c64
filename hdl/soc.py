"""The SoC top: core, dual-port RAM, UART, test finisher and CLINT (docs/platform.md).

Ports for testbenches: ``rvfi_*`` (the retirement record, see ``hdl.rvfi``),
``cycle`` (clock cycles since reset; cycle 0 fetches the reset PC),
``uart_valid``/``uart_data`` (a byte written to THR, during the store's MEM
cycle), ``finish_valid``/``finish_code`` (the finisher was written 0x5555 →
code 0, or ``(code << 16) | 0x3333`` → ``code``).

The RAM's contents come from ``init`` (a list of words) when given; the
Verilog generator instead replaces the RAM's initial block with a
``$readmemh`` of the file named by the ``+ram=FILE`` plusarg, so one build
serves every program.
"""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import Out

from isa.config import FULL, IsaConfig

from . import platform as P
from .core import Core, in_region
from .rvfi import RVFI_FIELDS

#: Name of the RAM array in the generated Verilog.
RAM_NAME = "ram"


def _merge(old, new, lanes):
    """``old`` with the byte lanes selected by ``lanes`` replaced from ``new``."""
    return Cat(*(Mux(lanes[i], new.word_select(i, 8), old.word_select(i, 8)) for i in range(4)))


class SoC(wiring.Component):
    def __init__(self, config: IsaConfig | str = FULL, ram_size: int = P.RAM_SIZE_DEFAULT,
                 init: list[int] | None = None):
        self.config = IsaConfig.parse(config)
        self.ram_size = P.check_ram_size(ram_size)
        self.init = init or []
        ports = {f"rvfi_{k}": Out(w) for k, w in RVFI_FIELDS.items()}
        ports.update({"cycle": Out(64), "uart_valid": Out(1), "uart_data": Out(8),
                      "finish_valid": Out(1), "finish_code": Out(16)})
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = core = Core(self.config, self.ram_size)
        for k in RVFI_FIELDS:
            m.d.comb += getattr(self, f"rvfi_{k}").eq(getattr(core.rvfi, k))
        m.d.sync += self.cycle.eq(self.cycle + 1)

        # ------------------------------------------------ RAM (one-cycle, two ports)
        words = self.ram_size // 4
        index_bits = words.bit_length() - 1
        ram = Memory(shape=32, depth=words, init=self.init)
        m.submodules[RAM_NAME] = ram
        iport = ram.read_port(transparent_for=())
        dport = ram.read_port()
        wport = ram.write_port(granularity=8)
        ibus, dbus = core.ibus, core.dbus
        m.d.comb += [
            iport.addr.eq(ibus.addr[2:2 + index_bits]), iport.en.eq(ibus.en),
            ibus.data.eq(iport.data),
            dport.addr.eq(dbus.addr[2:2 + index_bits]),
            wport.addr.eq(dbus.addr[2:2 + index_bits]), wport.data.eq(dbus.wdata),
        ]
        is_ram = in_region(dbus.addr, P.RAM_BASE, self.ram_size)
        is_uart = in_region(dbus.addr, P.UART_BASE, P.UART_SIZE)
        is_finisher = in_region(dbus.addr, P.FINISHER_BASE, P.FINISHER_SIZE)
        is_clint = in_region(dbus.addr, P.CLINT_BASE, P.CLINT_SIZE)
        offset = dbus.addr[:16] & ~3
        m.d.comb += wport.en.eq(Mux(is_ram, dbus.we, 0))

        # ------------------------------------------------ CLINT
        # The CLINT behaves as if accessed in the EX cycle of the load or store
        # (one cycle before MEM), like the counter CSRs: a load of mtime returns
        # its EX-cycle value, a store to mtime sets that value as of EX, and a
        # store to mtimecmp already decides the interrupt check of the next
        # instruction (which is in EX while the store is in MEM).
        mtime = Signal(64)
        mtimecmp = Signal(64, init=(1 << 64) - 1)
        mtimecmp_now = Signal(64)
        m.d.comb += [core.mtime.eq(mtime), core.mtip.eq(mtime >= mtimecmp_now), mtimecmp_now.eq(mtimecmp)]
        m.d.sync += mtime.eq(mtime + 1)
        clint_we = dbus.we.any() & is_clint
        with m.If(clint_we):
            with m.Switch(offset):
                with m.Case(P.CLINT_MTIMECMP):
                    lo = _merge(mtimecmp[:32], dbus.wdata, dbus.we)
                    m.d.comb += mtimecmp_now[:32].eq(lo)
                    m.d.sync += mtimecmp[:32].eq(lo)
                with m.Case(P.CLINT_MTIMECMP + 4):
                    hi = _merge(mtimecmp[32:], dbus.wdata, dbus.we)
                    m.d.comb += mtimecmp_now[32:].eq(hi)
                    m.d.sync += mtimecmp[32:].eq(hi)
                ex_time = mtime - 1
                with m.Case(P.CLINT_MTIME):
                    m.d.sync += mtime.eq(Cat(_merge(ex_time[:32], dbus.wdata, dbus.we), ex_time[32:64]) + 2)
                with m.Case(P.CLINT_MTIME + 4):
                    m.d.sync += mtime.eq(Cat(ex_time[:32], _merge(ex_time[32:64], dbus.wdata, dbus.we)) + 2)

        # ------------------------------------------------ device reads (answered in WB)
        dev_rdata = Signal(32)
        with m.If(is_uart & (offset == (P.UART_LSR & ~3))):
            m.d.sync += dev_rdata.eq(P.UART_LSR_VALUE << (8 * (P.UART_LSR & 3)))
        with m.Elif(is_clint & (offset == P.CLINT_MTIMECMP)):
            m.d.sync += dev_rdata.eq(mtimecmp[:32])
        with m.Elif(is_clint & (offset == P.CLINT_MTIMECMP + 4)):
            m.d.sync += dev_rdata.eq(mtimecmp[32:])
        with m.Elif(is_clint & (offset == P.CLINT_MTIME)):
            m.d.sync += dev_rdata.eq((mtime - 1)[:32])
        with m.Elif(is_clint & (offset == P.CLINT_MTIME + 4)):
            m.d.sync += dev_rdata.eq((mtime - 1)[32:64])
        with m.Else():
            m.d.sync += dev_rdata.eq(0)
        read_ram = Signal()
        m.d.sync += read_ram.eq(is_ram)
        m.d.comb += dbus.rdata.eq(Mux(read_ram, dport.data, dev_rdata))

        # ------------------------------------------------ UART and finisher
        m.d.comb += [
            self.uart_valid.eq(is_uart & (offset == P.UART_THR) & dbus.we[0]),
            self.uart_data.eq(dbus.wdata[:8]),
        ]
        fin_write = is_finisher & (offset == 0) & dbus.we.all()
        low = dbus.wdata[:16]
        m.d.comb += [
            self.finish_valid.eq(fin_write & ((low == P.FINISH_PASS) | (low == P.FINISH_FAIL))),
            self.finish_code.eq(Mux(low == P.FINISH_PASS, 0, dbus.wdata[16:])),
        ]
        return m
