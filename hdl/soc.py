"""The SoC top: core, dual-port RAM, UART, test finisher and CLINT (docs/platform.md).

Ports for testbenches: ``rvfi_*`` (the retirement record, see ``hdl.rvfi``),
``cycle`` (clock cycles since reset; cycle 0 fetches the reset PC),
``uart_valid``/``uart_data`` (a byte written to THR, during the store's MEM
cycle), ``finish_valid``/``finish_code`` (the finisher was written 0x5555 →
code 0, or ``(code << 16) | 0x3333`` → ``code``).

The RAM's contents come from ``init`` (a list of words) when given. For the
Verilog simulators the SoC is built with ``external_ram=True``: the RAM is then
an instance of the plain Verilog module ``RAM_VERILOG`` (``chainrv_ram``),
which zeroes itself and loads the ``$readmemh`` file named by the ``+ram=FILE``
plusarg, so one build serves every program. Its size is a parameter, so the
generated Verilog and the time to generate it do not grow with the RAM (an
Amaranth memory is emitted with one initial value per bit: about a minute per
MiB).
"""

from amaranth import Cat, ClockSignal, Instance, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import Out

from isa import memmap
from isa.config import FULL, IsaConfig
from isa.retire import RVFI_FIELDS
from isa.uarch import Uarch

from .core import Core, built_small, in_region
from .platform import check_ram_size

#: Name of the RAM (the Amaranth memory, or the instance of RAM_MODULE).
RAM_NAME = "ram"
RAM_MODULE = "chainrv_ram"

#: The RAM for Verilog simulation: two synchronous read ports that return the
#: old word on a same-cycle write (as the Amaranth memory's non-transparent
#: ports), byte-lane writes through the data port's address.
RAM_VERILOG = f"""\
module {RAM_MODULE} #(parameter WORDS = 1024, parameter ABITS = 10) (
  input wire clk,
  input wire [ABITS-1:0] iaddr,
  input wire ien,
  output reg [31:0] idata,
  input wire [ABITS-1:0] daddr,
  output reg [31:0] ddata,
  input wire [3:0] wen,
  input wire [31:0] wdata
);
  reg [31:0] {RAM_NAME} [WORDS-1:0];
  initial begin : ram_load
    reg [8*1024-1:0] ram_file;
    integer i;
    for (i = 0; i < WORDS; i = i + 1) {RAM_NAME}[i] = 32'd0;
    if ($value$plusargs("ram=%s", ram_file)) $readmemh(ram_file, {RAM_NAME});
  end
  always @(posedge clk) begin
    if (wen[0]) {RAM_NAME}[daddr][7:0] <= wdata[7:0];
    if (wen[1]) {RAM_NAME}[daddr][15:8] <= wdata[15:8];
    if (wen[2]) {RAM_NAME}[daddr][23:16] <= wdata[23:16];
    if (wen[3]) {RAM_NAME}[daddr][31:24] <= wdata[31:24];
  end
  always @(posedge clk) begin
    ddata <= {RAM_NAME}[daddr];
    if (ien) idata <= {RAM_NAME}[iaddr];
  end
endmodule
"""


def _merge(old, new, lanes):
    """``old`` with the byte lanes selected by ``lanes`` replaced from ``new``."""
    return Cat(*(Mux(lanes[i], new.word_select(i, 8), old.word_select(i, 8)) for i in range(4)))


class SoC(wiring.Component):
    def __init__(self, config: IsaConfig | str = FULL, ram_size: int = memmap.RAM_SIZE,
                 init: list[int] | None = None, *, external_ram: bool = False,
                 uarch: Uarch | str | None = None):
        self.config = IsaConfig.parse(config)
        self.uarch = Uarch.parse(uarch)
        self.ram_size = check_ram_size(ram_size)
        self.init = init or []
        if external_ram and self.init:
            raise ValueError("an external RAM loads its contents from +ram=FILE, not from init")
        self.external_ram = external_ram
        ports = {f"rvfi_{k}": Out(w) for k, w in RVFI_FIELDS.items()}
        ports.update({"cycle": Out(64), "uart_valid": Out(1), "uart_data": Out(8),
                      "finish_valid": Out(1), "finish_code": Out(16)})
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = core = Core(self.config, self.ram_size, uarch=self.uarch)
        small = built_small(self.uarch)
        for k in RVFI_FIELDS:
            m.d.comb += getattr(self, f"rvfi_{k}").eq(getattr(core.rvfi, k))
        m.d.sync += self.cycle.eq(self.cycle + 1)

        # ------------------------------------------------ RAM (one-cycle, two ports)
        ibus, dbus = core.ibus, core.dbus
        is_ram = in_region(dbus.addr, memmap.RAM_BASE, self.ram_size)
        ram_rdata = self._ram(m, ibus, dbus, Mux(is_ram, dbus.we, 0))
        is_uart = in_region(dbus.addr, memmap.UART_BASE, memmap.UART_SIZE)
        is_finisher = in_region(dbus.addr, memmap.FINISHER_BASE, memmap.FINISHER_SIZE)
        is_clint = in_region(dbus.addr, memmap.CLINT_BASE, memmap.CLINT_SIZE)
        offset = dbus.addr[:16] & ~3

        # ------------------------------------------------ CLINT
        # The CLINT behaves as if accessed in the EX cycle of the load or store
        # (one cycle before MEM), like the counter CSRs: a load of mtime returns
        # its EX-cycle value, a store to mtime sets that value as of EX, and a
        # store to mtimecmp already decides the interrupt check of the next
        # instruction (which is in EX while the store is in MEM).
        mtime = Signal(64)
        mtime_next = Signal(64)
        mtimecmp = Signal(64, init=(1 << 64) - 1)
        mtimecmp_now = Signal(64)     # with this cycle's store: mtimecmp's next value
        m.d.comb += [core.mtime.eq(mtime), mtimecmp_now.eq(mtimecmp), mtime_next.eq(mtime + 1)]
        m.d.sync += mtime.eq(mtime_next)
        if small:
            ex_time = mtime - 1
            wd, we = dbus.wdata, dbus.we
            clint_we = dbus.we.any() & is_clint
            with m.If(clint_we):
                with m.Switch(offset):
                    with m.Case(memmap.CLINT_MTIMECMP):
                        lo = _merge(mtimecmp[:32], dbus.wdata, dbus.we)
                        m.d.comb += mtimecmp_now[:32].eq(lo)
                        m.d.sync += mtimecmp[:32].eq(lo)
                    with m.Case(memmap.CLINT_MTIMECMP + 4):
                        hi = _merge(mtimecmp[32:], dbus.wdata, dbus.we)
                        m.d.comb += mtimecmp_now[32:].eq(hi)
                        m.d.sync += mtimecmp[32:].eq(hi)
            # one adder: the written value (as of EX) + 2, or mtime + 1
            time_lo = clint_we & (offset == memmap.CLINT_MTIME)
            time_hi = clint_we & (offset == memmap.CLINT_MTIME + 4)
            written = Cat(Mux(time_lo, _merge(ex_time[:32], wd, we), ex_time[:32]),
                          Mux(time_hi, _merge(ex_time[32:64], wd, we), ex_time[32:64]))
            m.d.comb += mtime_next.eq(Mux(time_lo | time_hi, written, mtime) + Mux(time_lo | time_hi, 2, 1))
            # the interrupt line (as `_clint`'s), one comparison after the store's merge
            m.d.comb += core.mtip.eq(mtime >= mtimecmp_now)
        else:
            self._clint(m, core, mtime, mtime_next, mtimecmp, mtimecmp_now)

        # ------------------------------------------------ device reads (answered in WB)
        dev_rdata = Signal(32)
        with m.If(is_uart & (offset == (memmap.UART_LSR & ~3))):
            m.d.sync += dev_rdata.eq(memmap.UART_LSR_VALUE << (8 * (memmap.UART_LSR & 3)))
        with m.Elif(is_clint & (offset == memmap.CLINT_MTIMECMP)):
            m.d.sync += dev_rdata.eq(mtimecmp[:32])
        with m.Elif(is_clint & (offset == memmap.CLINT_MTIMECMP + 4)):
            m.d.sync += dev_rdata.eq(mtimecmp[32:])
        with m.Elif(is_clint & (offset == memmap.CLINT_MTIME)):
            m.d.sync += dev_rdata.eq((mtime - 1)[:32])
        with m.Elif(is_clint & (offset == memmap.CLINT_MTIME + 4)):
            m.d.sync += dev_rdata.eq((mtime - 1)[32:64])
        with m.Else():
            m.d.sync += dev_rdata.eq(0)
        read_ram = Signal()
        m.d.sync += read_ram.eq(is_ram)
        m.d.comb += dbus.rdata.eq(Mux(read_ram, ram_rdata, dev_rdata))

        # ------------------------------------------------ UART and finisher
        m.d.comb += [
            self.uart_valid.eq(is_uart & (offset == memmap.UART_THR) & dbus.we[0]),
            self.uart_data.eq(dbus.wdata[:8]),
        ]
        fin_write = is_finisher & (offset == 0) & dbus.we.all()
        low = dbus.wdata[:16]
        m.d.comb += [
            self.finish_valid.eq(fin_write & ((low == memmap.FINISHER_PASS) | (low == memmap.FINISHER_FAIL))),
            self.finish_code.eq(Mux(low == memmap.FINISHER_PASS, 0, dbus.wdata[memmap.FINISHER_CODE_SHIFT:])),
        ]
        return m

    @staticmethod
    def _clint(m: Module, core: Core, mtime, mtime_next, mtimecmp, mtimecmp_now) -> None:
        """The CLINT's stores and interrupt line built for the clock: no address decode
        or comparison follows MEM's registers."""
        dbus = core.dbus
        wd, we = dbus.wdata, dbus.we
        # which of the four words MEM's store names: decoded from EX's address (st_addr)
        # and registered when MEM takes EX's instruction (st_enter), so in MEM each write
        # is MEM's store (st_mem: valid, not trapped) and one flip-flop
        st_clint = in_region(core.st_addr, memmap.CLINT_BASE, memmap.CLINT_SIZE)
        st_offset = core.st_addr[:16] & ~3
        cmp, time = memmap.CLINT_MTIMECMP, memmap.CLINT_MTIME
        offsets = (cmp, cmp + 4, time, time + 4)
        names = ("cmp_lo", "cmp_hi", "time_lo", "time_hi")
        named = [Signal(name=f"clint_{n}") for n in names]
        with m.If(core.st_enter):
            m.d.sync += [q.eq(st_clint & (st_offset == off)) for q, off in zip(named, offsets, strict=True)]
        cmp_lo, cmp_hi, time_lo, time_hi = (core.st_mem & q for q in named)
        with m.If(cmp_lo):
            lo = _merge(mtimecmp[:32], wd, we)
            m.d.comb += mtimecmp_now[:32].eq(lo)
            m.d.sync += mtimecmp[:32].eq(lo)
        with m.If(cmp_hi):
            hi = _merge(mtimecmp[32:], wd, we)
            m.d.comb += mtimecmp_now[32:].eq(hi)
            m.d.sync += mtimecmp[32:].eq(hi)
        # a store to mtime sets its value as of EX (mtime - 1, here a register of its own:
        # mtime's last value, or the value last written + 1) and mtime_next is that + 2
        ex_time = Signal(64, init=(1 << 64) - 1)
        written = Cat(Mux(time_lo, _merge(ex_time[:32], wd, we), ex_time[:32]),
                      Mux(time_hi, _merge(ex_time[32:64], wd, we), ex_time[32:64]))
        with m.If(time_lo | time_hi):
            m.d.comb += mtime_next.eq(written + 2)
            m.d.sync += ex_time.eq(written + 1)
        with m.Else():
            m.d.sync += ex_time.eq(mtime)
        # The interrupt line, mtime >= mtimecmp with this cycle's store in it, from
        # flip-flops and one LUT: each cycle compares, for the next, `mtime` with
        # mtimecmp as it will be (`tip_keep`), and with the store that the core then has
        # in EX (st_wdata, st_wmask: what it will drive in MEM) merged into the half its
        # address names (`tip_st`; mtimecmp as it will be if the address names neither,
        # or if MEM is held and EX's instruction will not follow into it). The next cycle
        # MEM's store, if it has one, is that instruction: a store to mtimecmp is never
        # held in MEM (only RAM accesses are), so it came from EX the cycle before, and
        # the line is `tip_st` then, else `tip_keep`.
        tip_keep, tip_st = Signal(), Signal()
        st_lo = Cat(_merge(mtimecmp_now[:32], core.st_wdata, core.st_wmask), mtimecmp_now[32:])
        st_hi = Cat(mtimecmp_now[:32], _merge(mtimecmp_now[32:], core.st_wdata, core.st_wmask))
        keep = mtime_next >= mtimecmp_now
        st_word = [core.st_enter & st_clint & (st_offset == off) for off in offsets[:2]]
        m.d.sync += [
            tip_keep.eq(keep),
            tip_st.eq(Mux(st_word[0], mtime_next >= st_lo, Mux(st_word[1], mtime_next >= st_hi, keep))),
        ]
        m.d.comb += core.mtip.eq(Mux(core.st_mem, tip_st, tip_keep))

    def _ram(self, m: Module, ibus, dbus, we) -> Signal:
        """The RAM: instruction port on ``ibus``, data port on ``dbus`` written
        in the byte lanes of ``we``; returns the data port's read word."""
        words = self.ram_size // 4
        index_bits = words.bit_length() - 1
        iaddr, daddr = ibus.addr[2:2 + index_bits], dbus.addr[2:2 + index_bits]
        rdata = Signal(32)
        if self.external_ram:
            m.submodules[RAM_NAME] = Instance(
                RAM_MODULE, p_WORDS=words, p_ABITS=index_bits, i_clk=ClockSignal(),
                i_iaddr=iaddr, i_ien=ibus.en, o_idata=ibus.data,
                i_daddr=daddr, o_ddata=rdata, i_wen=we, i_wdata=dbus.wdata)
            return rdata
        ram = Memory(shape=32, depth=words, init=self.init)
        m.submodules[RAM_NAME] = ram
        iport = ram.read_port(transparent_for=())
        dport = ram.read_port()
        wport = ram.write_port(granularity=8)
        m.d.comb += [
            iport.addr.eq(iaddr), iport.en.eq(ibus.en), ibus.data.eq(iport.data),
            dport.addr.eq(daddr), rdata.eq(dport.data),
            wport.addr.eq(daddr), wport.data.eq(dbus.wdata), wport.en.eq(we),
        ]
        return rdata
