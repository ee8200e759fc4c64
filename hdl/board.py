"""The SoC on a real FPGA board (docs/fpga.md): program in block RAM, UART on pins, LEDs.

* ``BoardSoC``: the SoC with a physical RAM smaller than its 1 MiB address
  region, mirrored across it. Programs linked with ``firmware/link.ld`` put their
  code at the bottom of the 1 MiB and their stack at its top (``0x8010_0000``);
  with the RAM mirrored, the stack's top lands at the top of the physical RAM,
  so an unchanged ELF runs as long as code, data and stack fit together.
* ``UartTx``: 8N1 serial output with a one-byte holding register.
* ``BoardTop``: the SoC under a clock enable that holds it while the UART's
  holding register is full. The SoC's UART has no status (LSR always reads
  ready, as on the ISS), so the program never waits; holding the whole SoC instead
  loses no byte and leaves every counter the program reads (``mcycle``,
  ``mtime``) counting the same cycles as on the ISS.

LEDs are given roles per board (``LED_ROLES``): ``run`` blinks while the program
runs and stays on once it finished; ``pass`` (exit 0) and ``fail`` (any other exit
code) light once it finished; ``codeN`` is bit N of a failed run's exit code;
``run_pass`` blinks while it runs and stays on if it passed.
"""

from __future__ import annotations

from amaranth import Cat, ClockDomain, Elaboratable, EnableInserter, Instance, Module, Signal
from amaranth.lib import io, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from isa.config import IsaConfig
from isa.memmap import RAM_SIZE
from isa.uarch import Uarch

from .platform import check_ram_size
from .soc import RAM_NAME, SoC

BAUD = 115200
#: Largest relative error of the bit time the receiver tolerates comfortably (8N1
#: samples mid-bit: half a bit over ten bits is 5%; keep well inside).
MAX_BAUD_ERROR = 0.02
#: The LED heartbeat toggles every 2**HEARTBEAT_BIT cycles (about 3 Hz at 25 MHz).
HEARTBEAT_BIT = 22
LED_ROLES = ("run", "pass", "fail", "run_pass", *(f"code{i}" for i in range(5)))


def baud_divider(clock_hz: float, baud: int = BAUD) -> int:
    """Clock cycles per UART bit; ValueError when no whole divider is close enough."""
    div = round(clock_hz / baud)
    if div < 2 or abs(clock_hz / div - baud) / baud > MAX_BAUD_ERROR:
        raise ValueError(f"a {clock_hz / 1e6:g} MHz clock cannot make {baud} baud")
    return div


class BoardSoC(SoC):
    """The SoC whose RAM region is the default 1 MiB, backed by ``phys_size`` bytes of
    block RAM mirrored across it (the address bits above the physical RAM ignored)."""

    def __init__(self, config: IsaConfig | str, phys_size: int, init: list[int] | None = None,
                 uarch: Uarch | str | None = None):
        self.phys_size = check_ram_size(phys_size)
        if phys_size > RAM_SIZE:
            raise ValueError(f"a board RAM of {phys_size} bytes is larger than the {RAM_SIZE}-byte region")
        if init and len(init) * 4 > phys_size:
            raise ValueError(f"the program ({len(init) * 4} bytes) does not fit {phys_size} bytes of RAM")
        super().__init__(config, RAM_SIZE, init, uarch=uarch)

    def _ram(self, m: Module, ibus, dbus, we) -> Signal:
        words = self.phys_size // 4
        index_bits = words.bit_length() - 1
        ram = Memory(shape=32, depth=words, init=self.init)
        m.submodules[RAM_NAME] = ram
        iport = ram.read_port(transparent_for=())
        dport = ram.read_port()
        wport = ram.write_port(granularity=8)
        rdata = Signal(32)
        daddr = dbus.addr[2:2 + index_bits]
        m.d.comb += [
            iport.addr.eq(ibus.addr[2:2 + index_bits]), iport.en.eq(ibus.en), ibus.data.eq(iport.data),
            dport.addr.eq(daddr), rdata.eq(dport.data),
            wport.addr.eq(daddr), wport.data.eq(dbus.wdata), wport.en.eq(we),
        ]
        return rdata


class UartTx(wiring.Component):
    """8N1 transmitter: ``valid`` with ``ready`` high takes ``data`` into the holding
    register; the line idles high; each bit lasts ``divider`` cycles."""

    def __init__(self, divider: int):
        if divider < 2:
            raise ValueError(f"UART divider {divider} must be at least 2")
        self.divider = divider
        super().__init__({"valid": In(1), "data": In(8), "ready": Out(1), "tx": Out(1, init=1)})

    def elaborate(self, platform):
        m = Module()
        held = Signal(8)
        full = Signal()
        shift = Signal(10, init=0x3FF)    # start bit, 8 data bits LSB first, stop bit
        bits_left = Signal(range(11))
        count = Signal(range(self.divider))
        m.d.comb += [self.ready.eq(~full), self.tx.eq(shift[0])]
        with m.If(self.valid & ~full):
            m.d.sync += [held.eq(self.data), full.eq(1)]
        with m.If(bits_left == 0):
            with m.If(full):
                m.d.sync += [shift.eq(Cat(0, held, 1)), bits_left.eq(10), count.eq(self.divider - 1),
                             full.eq(0)]
        with m.Elif(count == 0):
            m.d.sync += [shift.eq(Cat(shift[1:], 1)), bits_left.eq(bits_left - 1),
                         count.eq(self.divider - 1)]
        with m.Else():
            m.d.sync += count.eq(count - 1)
        return m


def pll_domain(m: Module, platform, family: str, params: dict) -> None:
    """The ``sync`` domain from the board oscillator through the family's PLL (``params``
    its dividers), held in reset until the PLL locks and, on iCE40, 256 cycles more
    (16 µs at the PLL's slowest 16 MHz): its block RAM reads as zero for about 3 µs
    after configuration."""
    clk_port = platform.request(platform.default_clk, dir="-")
    m.domains.sync = cd = ClockDomain("sync")
    locked = Signal()
    if family == "ecp5":
        m.submodules.clk_buf = clk_buf = io.Buffer("i", clk_port)
        m.submodules.pll = Instance(
            "EHXPLLL", **{f"p_{k}": v for k, v in params.items()},
            p_FEEDBK_PATH="CLKOP", p_CLKOP_ENABLE="ENABLED", p_CLKOP_FPHASE=0,
            p_OUTDIVIDER_MUXA="DIVA", p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED",
            p_STDBY_ENABLE="DISABLED", p_DPHASE_SOURCE="DISABLED",
            i_CLKI=clk_buf.i, o_CLKOP=cd.clk, i_CLKFB=cd.clk, i_RST=0, i_STDBY=0,
            i_PHASESEL0=0, i_PHASESEL1=0, i_PHASEDIR=1, i_PHASESTEP=1, i_PHASELOADREG=1,
            i_PLLWAKESYNC=0, i_ENCLKOP=0, o_LOCK=locked)
    else:
        # the PLL's own pad input: the oscillator pin without an I/O buffer
        m.submodules.pll = Instance(
            "SB_PLL40_PAD", **{f"p_{k}": v for k, v in params.items()}, p_FEEDBACK_PATH="SIMPLE",
            i_PACKAGEPIN=clk_port.io, o_PLLOUTGLOBAL=cd.clk, i_RESETB=1, i_BYPASS=0, o_LOCK=locked)
    hold = int(16e-6 * 16e6) if family == "ice40" else 15
    wait = Signal(range(hold + 1), reset_less=True)
    with m.If(~locked):
        m.d.sync += wait.eq(0)
    with m.Elif(wait != hold):
        m.d.sync += wait.eq(wait + 1)
    m.d.comb += cd.rst.eq(wait != hold)


class BoardTop(Elaboratable):
    """The SoC on a board: ``uart`` and ``led`` resources from the platform, clocked at
    ``clock_hz`` by the board oscillator (the platform's default domain) or, with
    ``pll`` (family, dividers), by the PLL that makes ``clock_hz`` from it."""

    def __init__(self, config: IsaConfig | str, phys_size: int, init: list[int], clock_hz: float,
                 uarch: Uarch | str | None = None, leds: tuple[str, ...] = ("run", "pass", "fail"),
                 pll: tuple[str, dict] | None = None):
        unknown = [r for r in leds if r not in LED_ROLES]
        if unknown:
            raise ValueError(f"unknown LED roles {unknown} (choose from {', '.join(LED_ROLES)})")
        self.soc = BoardSoC(config, phys_size, init, uarch=uarch)
        self.divider = baud_divider(clock_hz)
        self.leds = leds
        self.pll = pll
        # for testbenches: the serial line, the LEDs, the finisher's code once written
        self.tx = Signal(init=1)
        self.status = Signal(len(leds))
        self.code = Signal(16)

    def elaborate(self, platform):
        m = Module()
        if self.pll is not None:
            pll_domain(m, platform, *self.pll)
        m.submodules.uart_tx = uart = UartTx(self.divider)
        run = Signal()
        m.d.comb += run.eq(uart.ready)
        m.submodules.soc = soc = EnableInserter(run)(self.soc)
        m.d.comb += [uart.valid.eq(soc.uart_valid & run), uart.data.eq(soc.uart_data)]

        finished, passed = Signal(), Signal()
        code = self.code
        with m.If(soc.finish_valid & run & ~finished):
            m.d.sync += [finished.eq(1), passed.eq(soc.finish_code == 0), code.eq(soc.finish_code)]
        beat = Signal(HEARTBEAT_BIT + 1)
        m.d.sync += beat.eq(beat + 1)
        failed = finished & ~passed
        role = {"run": finished | beat[-1], "pass": finished & passed, "fail": failed,
                "run_pass": (finished & passed) | (~finished & beat[-1]),
                **{f"code{i}": failed & code[i] for i in range(5)}}
        m.d.comb += [self.status.eq(Cat(role[r] for r in self.leds)), self.tx.eq(uart.tx)]

        if platform is not None:
            m.submodules.tx_pin = tx_pin = io.Buffer("o", platform.request("uart", 0, dir="-").tx)
            m.d.comb += tx_pin.o.eq(uart.tx)
            for i in range(len(self.leds)):
                m.submodules[f"led{i}"] = led = io.Buffer("o", platform.request("led", i, dir="-"))
                m.d.comb += led.o.eq(self.status[i])
        return m
