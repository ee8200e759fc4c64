"""The GDB stub against any client: malformed packets, bad checksums, noise,
oversized packets and vanishing connections.

The server runs in a thread on one end of a socketpair, against a real
Machine holding a small straight-line program; the test is gdb on the other
end. References: the GDB remote protocol specification (``E NN`` for a
request that fails, the empty reply for one that is not supported, ``-`` for
a bad checksum and retransmission on ``-``, ``PacketSize``), and the
machine's own arrays (registers, pc, RAM) for what ``g``, ``m`` and ``?``
must still answer after each bad packet.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import tracemalloc
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isa import memmap as P
from isa.asm import assemble
from simulator.debug import MachineTarget
from simulator.gdbserver import MAX_PACKET, MAX_QUEUED, GdbServer
from simulator.machine import Machine

RAM, RAM_SIZE = P.RAM_BASE, 1 << 16
DATA = RAM + 0x8000
EXIT_CODE = 0x2A
# No backward branch: whatever gdb does to the registers, a run ends within a
# few instructions (exit, or a trap on the zero words after the program).
_BEFORE_STORE = f"li t3, {DATA:#x}\n" + "addi a0, a0, 1\n" * 8
PROGRAM = assemble(_BEFORE_STORE + "sw a0, 0(t3)\n"
                   f"li t0, {P.FINISHER_BASE:#x}\nli t2, {(EXIT_CODE << 16) | P.FINISHER_FAIL:#x}\n"
                   "sw t2, 0(t0)\n")
STORE_PC = RAM + len(assemble(_BEFORE_STORE))   # the store to DATA
TIMEOUT = 60.0  # generous: a loaded CI machine must not turn a slow reply into a failure
E01, E00 = b"E01", b"E00"


def frame(payload: bytes, checksum: int | None = None) -> bytes:
    csum = sum(payload) & 0xFF if checksum is None else checksum
    return b"$" + payload + b"#" + b"%02x" % csum


def new_machine() -> Machine:
    m = Machine("rv32im", RAM_SIZE)
    m.write_mem(RAM, PROGRAM)
    m.pc = RAM
    return m


def registers_hex(m: Machine) -> bytes:
    """What `g` must answer: x0..x31 and pc, little-endian, read from the machine's arrays."""
    values = [0] + [int(m.regs[i]) & 0xFFFFFFFF for i in range(1, 32)] + [m.pc]
    return b"".join(v.to_bytes(4, "little") for v in values).hex().encode()


def snapshot(m: Machine) -> tuple[bytes, bytes]:
    return registers_hex(m), m.read_mem(RAM, RAM_SIZE)


class Session:
    """gdb's end of a socketpair; a GdbServer serves the other end in a thread."""

    def __init__(self, machine: Machine | None = None) -> None:
        self.machine = machine or new_machine()
        self.sock, server_end = socket.socketpair()
        self.sock.settimeout(TIMEOUT)
        self.buf = b""
        self.ended: str | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._serve, args=(server_end,), daemon=True)
        self.thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                self.ended = GdbServer(MachineTarget(self.machine), conn).serve()
            except BaseException as e:  # reported by close()
                self.error = e

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
        self.thread.join(TIMEOUT)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        data = self.sock.recv(1 << 16)
        self.buf += data
        return bool(data)

    def token(self) -> bytes:
        """The next thing the server sent: b"+", b"-" or one whole packet with a
        correct checksum (as framed bytes)."""
        while True:
            if self.buf[:1] in (b"+", b"-"):
                tok, self.buf = self.buf[:1], self.buf[1:]
                return tok
            m = re.match(rb"\$([^$#]*)#([0-9a-f]{2})", self.buf)
            if m:
                assert int(m[2], 16) == sum(m[1]) & 0xFF, self.buf[:80]
                self.buf = self.buf[m.end():]
                return m[0]
            assert self.buf[:1] in (b"", b"$"), f"unframed output {self.buf[:80]!r}"
            if not self._fill():
                raise EOFError(f"connection closed; pending {self.buf[:80]!r}")

    def packet(self) -> bytes:
        tok = self.token()
        assert tok[:1] == b"$", tok
        return tok[1:-3]

    def request(self, payload: bytes) -> bytes:
        self.send(frame(payload))
        assert self.token() == b"+"
        return self.packet()

    def close(self) -> str:
        """Hang up; the server must end cleanly (no exception) and say so."""
        self.sock.close()
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive(), "the server did not notice the disconnect"
        if self.error is not None:
            raise AssertionError(f"the server raised {self.error!r}") from self.error
        assert self.ended is not None
        return self.ended

    def drain(self) -> list[bytes]:
        """Every token up to EOF (after shutting our sending side)."""
        self.sock.shutdown(socket.SHUT_WR)
        tokens = []
        while True:
            try:
                tokens.append(self.token())
            except EOFError:
                assert self.buf == b"", self.buf[:80]
                return tokens


@pytest.fixture
def session() -> Iterator[Session]:
    s = Session()
    yield s
    assert s.close() in ("disconnect", "exited")


def assert_session_intact(s: Session, before: tuple[bytes, bytes] | None = None) -> None:
    """`?` and `g` still answer right, and (given a snapshot) nothing changed."""
    assert s.request(b"?") == b"T05"
    assert s.request(b"g") == registers_hex(s.machine)
    if before is not None:
        assert snapshot(s.machine) == before


# ------------------------------------------------------------ malformed requests
MALFORMED = [
    # memory reads
    (b"m", E01), (b"m80000000", E01), (b"m80000000,4,4", E01), (b"mzz,4", E01),
    (b"m80000000,-4", E01), (b"m 80000000,4", E01), (b"m80000000,", E01),
    # registers
    (b"p", E01), (b"pzz", E01), (b"p-1", E01), (b"p1_0", E01),
    (b"G1", E01), (b"G" + b"0" * 9, E01), (b"G" + b"zz" * 4, E01), (b"G" + b"00" * 4 * 34, E01),
    (b"P1", E01), (b"P1=zz", E01), (b"P1=", E01), (b"P1=001122", E01), (b"P1=0011223344", E01),
    (b"Pzz=00000000", E01), (b"P=00000000", E01),
    # memory writes: bad syntax, and data that does not match the length
    (b"M80008000", E01), (b"M80008000,4:zz", E01), (b"M80008000,4:0011", E01),
    (b"M80008000,2:001122", E01), (b"M80008000,4:001", E01),
    (b"X80008000,4:ab", E01), (b"X80008000:ab", E01), (b"X80008000,1", E01),
    # breakpoints and watchpoints
    (b"Z0,zz,4", E01), (b"Z0", E01), (b"Z0,80000000", E01), (b"Zx,80000000,4", E01),
    (b"Z0,80000000,4;X1,0f", E01), (b"Z0,ffffffffffffffffff,4", E01), (b"z0,zz,4", E01),
    (b"Z2,80008000,0", E01), (b"Z2,ffffffff,10", E01), (b"Z2,ffffffffffffffffff,4", E01),
    # resuming with a bad address, signal or action runs nothing
    (b"cxyz", E01), (b"c-4", E01), (b"c100000000", E01), (b"sxyz", E01),
    (b"C", E01), (b"Czz", E01), (b"C05;", E01), (b"C05;xyz", E01), (b"S", E01),
    (b"vCont", E01), (b"vCont;", E01), (b"vCont;x", E01), (b"vCont;c:zz", E01),
    (b"vCont;c:2", E01), (b"vCont;Czz", E01), (b"vCont;s;", E01),
    # session and threads: garbage never kills or detaches
    (b"kxyz", E01), (b"Dxyz", E01), (b"D;zz", E01), (b"vKill;zz", E01),
    (b"H", E01), (b"Hgzz", E01), (b"Hg", E01), (b"Hg2", E01), (b"Tzz", E01), (b"T2", E01),
    (b"?x", E01), (b"gx", E01),
    # a stray escape at the end of a packet
    (b"g}", E01), (b"m80000000,4}", E01), (b"}", E01),
    # qXfer: malformed offset or length, unknown annex, offset past the end
    (b"qXfer:features:read:target.xml:,10", E00), (b"qXfer:features:read:target.xml:0", E00),
    (b"qXfer:features:read:target.xml:0,", E00), (b"qXfer:features:read:target.xml", E00),
    (b"qXfer:features:read:target.xml:-1,10", E00), (b"qXfer:features:read:nope.xml:0,10", E00),
    (b"qXfer:features:read:target.xml:ffffff,10", E00),
    # not supported: the protocol's empty reply
    (b"Z5,80000000,4", b""), (b"qFoo", b""), (b"QFoo", b""), (b"vFile:open:x", b""),
    (b"qXfer:memory-map:read::0,10", b""), (b"!", b""), (b"R00", b""), (b"Hm1", b""), (b"", b""),
]


@pytest.mark.parametrize("payload,reply", MALFORMED,
                         ids=[p.decode("latin-1") or "empty" for p, _ in MALFORMED])
def test_malformed_request_gets_error_reply(session: Session, payload: bytes, reply: bytes) -> None:
    before = snapshot(session.machine)
    assert session.request(payload) == reply
    assert_session_intact(session, before)


def test_many_bad_packets_in_one_session(session: Session) -> None:
    before = snapshot(session.machine)
    for payload, reply in MALFORMED:
        assert session.request(payload) == reply, payload
    assert_session_intact(session, before)


# ------------------------------------------------------------ framing
@pytest.mark.parametrize("bad", [frame(b"g", 0), frame(b"?", 0x3E), b"$g#zz", b"$g#-1", b"$g#6\x03"],
                         ids=["wrong", "off-by-one", "non-hex", "sign", "interrupt-byte"])
def test_bad_checksum_is_refused(session: Session, bad: bytes) -> None:
    """'-' and no reply; gdb then sends the packet again."""
    session.send(bad)
    assert session.token() == b"-"
    assert_session_intact(session)


def test_nak_asks_for_the_last_reply_again(session: Session) -> None:
    sent = frame(session.request(b"g"))
    session.send(b"-")
    assert session.token() == sent
    session.send(b"--")
    assert [session.token(), session.token()] == [sent, sent]
    assert_session_intact(session)


@pytest.mark.parametrize("noise", [b"garbage", b"#}*\x00\xff\n", b"$unfinished", b"$abc#1", b"$m0,4$",
                                   b"++++", b"#6", b"}"],
                         ids=["text", "specials", "open-packet", "half-checksum", "two-openings",
                              "acks", "stray-checksum", "stray-escape"])
def test_noise_between_packets_is_skipped(session: Session, noise: bytes) -> None:
    """Noise yields nothing; a '$' always starts a new packet, so the next one is read right."""
    session.send(noise)
    assert_session_intact(session)


def test_interrupt_while_stopped_is_ignored(session: Session) -> None:
    """A Ctrl-C that crosses a stop reply must not produce a second, unasked-for stop reply
    (gdb would take it as the answer to its next request)."""
    session.send(b"\x03\x03")
    assert_session_intact(session)


def _x_packet(total: int) -> tuple[bytes, bytes]:
    """An X packet whose payload is exactly ``total`` bytes, and its data."""
    n = total
    while True:
        head = b"X%x,%x:" % (DATA, n)
        if len(head) + n == total:
            return head + b"\x55" * n, b"\x55" * n
        n = total - len(head)


def test_packet_of_the_announced_size_is_served(session: Session) -> None:
    assert b"PacketSize=%x" % MAX_PACKET in session.request(b"qSupported:swbreak+")
    payload, data = _x_packet(MAX_PACKET)
    assert session.request(payload) == b"OK"
    assert session.machine.read_mem(DATA, len(data)) == data


def test_oversized_packet_is_refused(session: Session) -> None:
    before = snapshot(session.machine)
    payload, _ = _x_packet(MAX_PACKET + 1)
    assert session.request(payload) == E01
    assert_session_intact(session, before)


def test_endless_packet_is_not_buffered(session: Session) -> None:
    """8 MiB with no end: the server keeps at most one packet's worth, then refuses it."""
    chunk = b"M80008000,4:" + b"0" * ((1 << 16) - 12)
    count = 128
    tracemalloc.start()
    try:
        session.send(b"$")
        for _ in range(count):
            session.send(chunk)
        session.send(b"#%02x" % (sum(chunk) * count & 0xFF))
        assert session.token() == b"+"
        assert session.packet() == E01
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 << 20, peak
    assert_session_intact(session)


def test_no_ack_mode(session: Session) -> None:
    """After QStartNoAckMode neither side acknowledges; as gdbserver does, a packet is then
    served even with a bad checksum, and '-' asks for nothing."""
    assert session.request(b"QStartNoAckMode") == b"OK"
    session.send(frame(b"?") + frame(b"g", 0) + b"-" + frame(b"?"))
    assert [session.packet(), session.packet(), session.packet()] == [
        b"T05", registers_hex(session.machine), b"T05"]


def test_reply_is_capped_to_the_packet_size(session: Session) -> None:
    """A read longer than a packet gets its first part (the protocol allows a short reply)."""
    reply = session.request(b"m%x,%x" % (RAM, RAM_SIZE))
    assert reply == session.machine.read_mem(RAM, MAX_PACKET // 2).hex().encode()


@pytest.mark.parametrize("last", [b"", frame(b"g"), b"\x03", b"$m80000000,", b"-"],
                         ids=["idle", "request", "interrupt", "half-packet", "nak"])
def test_client_vanishing_ends_cleanly(last: bytes) -> None:
    s = Session()
    s.send(last)
    assert s.close() == "disconnect"


def test_client_vanishing_while_running() -> None:
    m = Machine("rv32im", RAM_SIZE)
    m.write_mem(RAM, assemble("loop:\n addi a0, a0, 1\n j loop\n"))
    m.pc = RAM
    s = Session(m)
    s.send(frame(b"c"))
    assert s.token() == b"+"
    assert s.close() == "disconnect"


def test_interrupt_stops_a_running_program() -> None:
    m = Machine("rv32im", RAM_SIZE)
    m.write_mem(RAM, assemble("loop:\n addi a0, a0, 1\n j loop\n"))
    m.pc = RAM
    with Session(m) as s:
        s.send(frame(b"c") + b"\x03")
        assert s.token() == b"+"
        assert s.packet() == b"T02"
        assert s.request(b"?") == b"T02"
        assert s.request(b"g") == registers_hex(m)
        assert s.close() == "disconnect"


def test_requests_flooding_a_run_are_bounded() -> None:
    """All-stop gdb sends nothing but Ctrl-C while the program runs; a client that floods
    requests then gets at most MAX_QUEUED of them served after the stop, each right, and
    the server's memory does not grow with the flood."""
    m = Machine("rv32im", RAM_SIZE)
    m.write_mem(RAM, assemble("loop:\n addi a0, a0, 1\n j loop\n"))
    m.pc = RAM
    flood = frame(b"g") * (1 << 17)    # 640 KiB of requests
    new_machine().run_slots(100)       # the compiled loop's first load is not the server's memory
    with Session(m) as s:
        tracemalloc.start()
        try:
            s.send(frame(b"c"))
            assert s.token() == b"+"
            for k in range(0, len(flood), 1 << 16):
                s.send(flood[k:k + (1 << 16)])
            s.send(b"\x03")
            assert s.packet() == b"T02"
            s.send(frame(b"qC"))
            replies = []
            while (tok := s.token()) != frame(b"QC1"):
                replies.append(tok)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        regs = frame(registers_hex(m))
        assert replies.pop() == b"+"    # qC's own
        assert 0 < len(replies) <= 2 * MAX_QUEUED and replies == [b"+", regs] * (len(replies) // 2)
        assert peak < 2 << 20, peak
        assert s.request(b"?") == b"T02"
        assert s.close() == "disconnect"


# ------------------------------------------------------------ well-formed edge cases
def test_breakpoint_only_where_it_can_hit(session: Session) -> None:
    """Outside RAM or off a word boundary no instruction can be fetched: refused, not
    accepted and silently never hit."""
    assert session.request(b"Z0,0,4") == E01
    assert session.request(b"Z0,%x,4" % (RAM + 2)) == E01
    assert session.request(b"Z1,%x,4" % (RAM + RAM_SIZE)) == E01
    assert session.request(b"Z0,%x,4" % STORE_PC) == b"OK"
    assert session.request(b"c") == b"T05swbreak:;"
    assert session.machine.pc == STORE_PC
    assert session.request(b"z0,%x,4" % STORE_PC) == b"OK"
    assert session.request(b"c") == b"W%02x" % EXIT_CODE


def test_watchpoints_beyond_the_limit_are_refused(session: Session) -> None:
    """16 ranges (docs/debugging.md); a 17th is refused rather than accepted and never armed."""
    for k in range(16):
        assert session.request(b"Z2,%x,4" % (DATA + 0x100 + 4 * k)) == b"OK"
    assert session.request(b"Z3,%x,4" % DATA) == E01
    assert session.request(b"z2,%x,4" % (DATA + 0x100)) == b"OK"
    assert session.request(b"Z2,%x,4" % DATA) == b"OK"
    assert session.request(b"c") == b"T05watch:%08x;" % DATA
    assert session.machine.pc == STORE_PC


def test_watchpoint_insertion_is_idempotent(session: Session) -> None:
    """A repeated Z packet changes nothing (the protocol asks for it): one z removes the watch."""
    for _ in range(2):
        assert session.request(b"Z2,%x,4" % DATA) == b"OK"
    assert session.request(b"z2,%x,4" % DATA) == b"OK"
    assert session.request(b"c") == b"W%02x" % EXIT_CODE


def test_continue_and_step_with_a_signal(session: Session) -> None:
    assert session.request(b"S05") == b"T05"
    assert session.machine.pc == RAM + 4
    assert session.request(b"C02;%x" % RAM) == b"W%02x" % EXIT_CODE
    assert session.request(b"?") == b"W%02x" % EXIT_CODE


def test_vcont_applies_the_leftmost_action_for_our_thread(session: Session) -> None:
    assert session.request(b"vCont;c:2;s:1") == b"T05"
    assert session.machine.pc == RAM + 4
    assert session.request(b"vCont;S05:-1") == b"T05"
    assert session.machine.pc == RAM + 8


def test_threads(session: Session) -> None:
    assert [session.request(p) for p in (b"qC", b"T1", b"Hg0", b"Hc-1", b"Hg1", b"qfThreadInfo")] == [
        b"QC1", b"OK", b"OK", b"OK", b"OK", b"m1"]


def test_memory_round_trip_with_escapes(session: Session) -> None:
    """X data holding every byte that must be escaped, and an empty X (gdb's probe)."""
    data = bytes(range(256))
    escaped = re.sub(rb"[$#}*]", lambda m: b"}" + bytes([m[0][0] ^ 0x20]), data)
    assert session.request(b"X%x,0:" % DATA) == b"OK"
    assert session.request(b"X%x,%x:" % (DATA, len(data)) + escaped) == b"OK"
    assert session.machine.read_mem(DATA, 256) == data
    assert session.request(b"m%x,%x" % (DATA, 256)) == data.hex().encode()
    assert session.request(b"M%x,2:beef" % (DATA + 0x200)) == b"OK"
    assert session.machine.read_mem(DATA + 0x200, 2) == b"\xbe\xef"
    assert session.request(b"m%x,4" % (RAM + RAM_SIZE - 2)) == b"E14"


@pytest.mark.parametrize("payload,reply,ended", [(b"k", None, "kill"), (b"vKill;1", b"OK", "kill"),
                                                 (b"D", b"OK", "detach"), (b"D;1", b"OK", "detach")])
def test_leaving_the_session(payload: bytes, reply: bytes | None, ended: str) -> None:
    s = Session()
    s.send(frame(payload))
    assert s.token() == b"+"
    if reply is not None:
        assert s.packet() == reply
    s.thread.join(TIMEOUT)
    assert (s.ended, s.error) == (ended, None)
    s.sock.close()


# ------------------------------------------------------------ fuzz
FUZZ = int(os.environ.get("CHAINRV_FUZZ_EXAMPLES", 200))
SLOW_FUZZ = 20 * FUZZ
# the requests that touch the machine come up three times as often as the rest
CORE = ["?", "g", "G", "p", "P", "m", "M", "X", "c", "s", "C", "S", "Z", "z", "vCont;", "H", "T"]
COMMANDS = CORE * 3 + [
    "", "k", "D", "q", "qSupported", "qXfer:features:read:target.xml:", "qXfer:features:read:", "qXfer:",
    "qAttached", "qC", "qfThreadInfo", "qsThreadInfo", "qSymbol", "Q", "QStartNoAckMode", "v", "vCont",
    "vCont?", "vMustReplyEmpty", "vKill", "!", "R", "b", "i", "t"]
LEAVING = ("k", "D", "vKill")
# inside a payload anything but the framing bytes '$' and '#'
ARG_CHARS = "0123456789abcdefABCDEF,:;=-}*xyzSsCc \x00\x03\x7f\xe9\xff"
STOP_REPLY = re.compile(rb"[TW][0-9a-f]{2}")

hexnum = st.one_of(st.sampled_from([RAM, DATA, RAM + RAM_SIZE - 4, RAM + RAM_SIZE, 0, 0xFFFFFFFC, 1 << 32]),
                   st.integers(0, 0xFFFF), st.integers((1 << 32) - 0x10000, 1 << 36)).map("{:x}".format)
# memory that gdb may write: never the program, so that no run can loop forever
write_addr = st.sampled_from([DATA, DATA + 3, RAM + RAM_SIZE - 2, RAM + RAM_SIZE, 0, 0xFFFFFFFE])
regnum = st.sampled_from([0, 1, 10, 31, 32, 33, 64, 65 + 0x300, 65 + 0x342, 65 + 0xF14, 65 + 0xFFF, 5000])
thread = st.sampled_from(["1", "0", "-1", "2", "p1.1", ""])


@st.composite
def structured_args(draw: st.DrawFn, cmd: str) -> str:
    """Arguments shaped like the real ones (so that the handlers get past parsing)."""
    n = draw(st.one_of(st.sampled_from(["1", "2", "4", "8", "0", "100"]), hexnum))
    if cmd in ("m", "Z", "z", "qXfer:features:read:target.xml:"):
        kind = f"{draw(st.integers(0, 5))}," if cmd in ("Z", "z") else ""
        addr = draw(st.sampled_from([f"{DATA:x}", f"{STORE_PC:x}", f"{RAM:x}"]) | hexnum)
        return f"{kind}{addr},{n}"
    if cmd in ("M", "X"):
        data = draw(st.binary(max_size=12))
        length = len(data) + draw(st.sampled_from([0, 0, 0, 1, -1]))
        body = data.hex() if cmd == "M" else re.sub(
            rb"[$#}*]", lambda m: b"}" + bytes([m[0][0] ^ 0x20]), data).decode("latin-1")
        return f"{draw(write_addr):x},{max(length, 0):x}:{body}"
    if cmd in ("p", "P"):
        values = st.sampled_from(["=00000000", "=ffffffff", "=78563412", "=00", "=", ""])
        return f"{draw(regnum):x}{draw(values) if cmd == 'P' else ''}"
    if cmd == "G":
        words = draw(st.lists(st.integers(0, 0xFFFFFFFF), max_size=34))
        return b"".join(w.to_bytes(4, "little") for w in words).hex()
    if cmd in ("c", "s", "C", "S"):
        sig = "05;" if cmd in ("C", "S") else ""
        return sig + draw(st.sampled_from([f"{RAM:x}", f"{DATA:x}", "0", ""]))
    if cmd in ("vCont;", "H"):
        acts = ["c", "s", "C05", "S02"] * 3 + ["t", "r0,4"] if cmd == "vCont;" else ["g", "c", "m"]
        parts = [draw(st.sampled_from(acts)) + (":" + draw(thread) if draw(st.booleans()) else "")
                 for _ in range(draw(st.integers(1, 3)))]
        return ";".join(parts) if cmd == "vCont;" else parts[0].replace(":", "")
    return n


@st.composite
def packets(draw: st.DrawFn) -> bytes:
    cmd = draw(st.sampled_from(COMMANDS))
    shape = draw(st.sampled_from(["none", "text", "structured", "structured"]))
    args = {"none": st.just(""), "text": st.text(ARG_CHARS, max_size=24)}.get(shape, structured_args(cmd))
    args = draw(args)
    if cmd in LEAVING and args[:1] in ("", ";"):
        args = "x" + args   # the fuzz session must go on; leaving is tested above
    return (cmd + args).encode("latin-1")


noise = st.lists(st.sampled_from(list(b"+-\x03}*:,;0aZ \x00\xff\n")), max_size=6).map(bytes)
item = st.tuples(noise, packets(), st.sampled_from(["ok"] * 6 + ["wrong", "non-hex"]))


class Model:
    """What the protocol lets a client predict without knowing the server's insides."""

    def __init__(self) -> None:
        self.ack = True
        self.last: bytes | None = None      # the last packet sent: what '-' asks for again
        self.stop = b"T05"                  # the last stop reply: what `?` must answer

    def expect_noise(self, s: Session, data: bytes) -> None:
        for b in data:
            if b == ord("-") and self.ack and self.last is not None:
                assert s.token() == self.last   # retransmitted exactly
            # 0x03 while stopped, '+' and the rest: nothing

    def expect_reply(self, s: Session, payload: bytes, intact: bool) -> None:
        self.last = None
        if self.ack:
            if not intact:
                assert s.token() == b"-"
                return
            assert s.token() == b"+"
        self.last = s.token()
        reply = self.last[1:-3]
        assert len(reply) <= MAX_PACKET
        if payload == b"?":
            assert reply == self.stop
        if payload == b"g":
            assert reply == registers_hex(s.machine)
        if STOP_REPLY.match(reply):
            self.stop = reply
        if payload == b"QStartNoAckMode":
            self.ack = False


def fuzz_session(items: list[tuple[bytes, bytes, str]]) -> None:
    model = Model()
    with Session() as s:
        for junk, payload, check in items:
            csum = {"ok": None, "wrong": (sum(payload) + 1) & 0xFF}.get(check, -1)
            raw = frame(payload, csum) if csum != -1 else b"$" + payload + b"#zz"
            s.send(junk + raw)
            model.expect_noise(s, junk)
            model.expect_reply(s, payload, check == "ok")
        for probe in (b"?", b"g"):
            s.send(frame(probe))
            model.expect_reply(s, probe, True)
        assert s.close() in ("disconnect", "exited")


FUZZ_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=FUZZ, **FUZZ_SETTINGS)
@given(st.lists(item, min_size=1, max_size=12))
def test_fuzz_packets(items: list[tuple[bytes, bytes, str]]) -> None:
    fuzz_session(items)


@pytest.mark.slow
@settings(max_examples=SLOW_FUZZ, **FUZZ_SETTINGS)
@given(st.lists(item, min_size=1, max_size=40))
def test_fuzz_packets_long(items: list[tuple[bytes, bytes, str]]) -> None:
    fuzz_session(items)


raw_bytes = st.lists(st.one_of(st.sampled_from([b"$", b"#", b"}", b"*", b"+", b"-", b"\x03", b"?", b"g",
                                                b"m0,4", b"3f", b"67", b"00", b",", b":"]),
                               st.binary(max_size=6)), max_size=40).map(b"".join)


def noise_session(data: bytes) -> None:
    """Raw bytes, then `?` and `g`: every output is framed, and the probes are answered
    right (a '$' ends whatever the noise left open)."""
    with Session() as s:
        s.send(data + frame(b"?") + frame(b"g"))
        tokens = s.drain()
        assert s.close() in ("disconnect", "exited")
    assert tokens[-4::2] == [b"+", b"+"], tokens[-4:]
    stops = [t[1:-3] for t in tokens[:-4] if STOP_REPLY.match(t[1:])]
    assert tokens[-3][1:-3] == (stops[-1] if stops else b"T05")
    assert tokens[-1][1:-3] == registers_hex(s.machine)


@settings(max_examples=FUZZ, **FUZZ_SETTINGS)
@given(raw_bytes)
def test_fuzz_noise(data: bytes) -> None:
    noise_session(data)


@pytest.mark.slow
@settings(max_examples=SLOW_FUZZ, **FUZZ_SETTINGS)
@given(raw_bytes)
def test_fuzz_noise_long(data: bytes) -> None:
    noise_session(data)
