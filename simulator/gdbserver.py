"""GDB remote serial protocol server for the ISS.

The server speaks RSP over one TCP connection on localhost and drives a
:class:`DebugTarget` (``simulator.debug.MachineTarget`` for the ISS).
Execution between stops happens in the target's compiled loop in slices of
``SLICE`` instructions; between slices the server polls the socket for an
interrupt (Ctrl-C, byte 0x03), so breakpoints and watchpoints cost nothing
per instruction in Python.

No client can end the session except by leaving it (``k``, ``D``, EOF): a
packet with a bad checksum is answered ``-`` (and dropped), a malformed
request ``E01`` (``E00`` for a malformed ``qXfer``), an inaccessible memory
range ``E14`` and an unknown request the empty reply, as the protocol
specifies. Bytes between packets that mean nothing are skipped, a ``$``
always starts a new packet (so any noise resynchronises at the next one), and
a payload longer than ``MAX_PACKET`` is answered ``E01`` without being kept.

``serve`` returns how the session ended: ``"exited"`` (the program ended and
gdb left), ``"detach"``, ``"kill"`` or ``"disconnect"`` (EOF on the socket).
"""

from __future__ import annotations

import re
import select
import socket
from collections import deque
from dataclasses import dataclass
from typing import Protocol

SIGINT, SIGTRAP = 2, 5
SLICE = 1 << 20
NUM_GPRS = 32
PC_REGNUM = 32
CSR_REGNUM_BASE = 65  # GDB's RISC-V numbering: 65 + CSR number
#: The longest payload accepted (announced as ``PacketSize``) and sent.
MAX_PACKET = 0x4000
ADDR_LIMIT = 1 << 32
#: Requests kept that arrive while the program runs (all-stop gdb sends none, only
#: Ctrl-C); later ones are dropped, as gdbserver drops all, so memory stays bounded.
MAX_QUEUED = 16
THREAD_ID = 1         # the one thread gdb sees (qC, qfThreadInfo)

E_MALFORMED = "E01"
E_MEMORY = "E14"      # EFAULT: gdb says "Cannot access memory"
E_XFER = "E00"        # qXfer: malformed request or unknown annex

#: CSRs shown to gdb (they appear in ``info registers`` and ``p $mcause``).
DEBUG_CSRS = {
    "mstatus": 0x300, "misa": 0x301, "mie": 0x304, "mtvec": 0x305, "mscratch": 0x340,
    "mepc": 0x341, "mcause": 0x342, "mtval": 0x343, "mip": 0x344,
    "mcycle": 0xB00, "minstret": 0xB02, "mcycleh": 0xB80, "minstreth": 0xB82,
    "mhartid": 0xF14,
}


@dataclass
class Stop:
    """Why the target stopped. ``kind``: breakpoint, step, watch, interrupt,
    exited, trap (an unhandled trap: the program cannot go on), limit (the
    budget is used up)."""

    kind: str
    addr: int = 0
    watch: str = ""       # "watch", "rwatch" or "awatch"
    exit_code: int = 0
    message: str = ""
    signal: int = SIGTRAP  # reported for a trap


class DebugTarget(Protocol):
    max_watchpoints: int

    def read_register(self, regnum: int) -> int | None: ...
    def write_register(self, regnum: int, value: int) -> bool: ...
    def read_memory(self, addr: int, length: int) -> bytes | None: ...
    def write_memory(self, addr: int, data: bytes) -> bool: ...
    def can_break(self, addr: int) -> bool: ...
    def resume(self, step: bool, breakpoints: set[int],
               watchpoints: list[tuple[str, int, int]], budget: int) -> Stop: ...


def target_xml() -> str:
    gprs = "".join(
        f'<reg name="{n}" bitsize="32" type="{"code_ptr" if n in ("ra",) else "int"}" regnum="{i}"/>'
        for i, n in enumerate(["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1",
                                "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4",
                                "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"]))
    csrs = "".join(f'<reg name="{n}" bitsize="32" regnum="{CSR_REGNUM_BASE + c}" group="csr"/>'
                   for n, c in DEBUG_CSRS.items())
    return ('<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd">'
            '<target version="1.0"><architecture>riscv:rv32</architecture>'
            f'<feature name="org.gnu.gdb.riscv.cpu">{gprs}'
            f'<reg name="pc" bitsize="32" type="code_ptr" regnum="{PC_REGNUM}"/></feature>'
            f'<feature name="org.gnu.gdb.riscv.csr">{csrs}</feature></target>')


def checksum(data: bytes) -> bytes:
    return b"%02x" % (sum(data) & 0xFF)


def _le32(v: int) -> str:
    return (v & 0xFFFFFFFF).to_bytes(4, "little").hex()


# ------------------------------------------------------------------ framing
@dataclass(slots=True)
class Frame:
    """One packet as received: its payload (still escaped; empty when it was
    too long) and whether its checksum matched."""

    payload: bytes
    intact: bool
    too_long: bool = False


INTERRUPT, NAK = "interrupt", "nak"
Event = Frame | str   # a Frame, INTERRUPT (0x03 between packets) or NAK ('-')

_IDLE_STOP = re.compile(rb"[$\x03-]")
_DATA_STOP = re.compile(rb"[$#]")
_HEX2 = re.compile(rb"[0-9a-fA-F]{2}")


class Framer:
    """Splits the bytes from gdb into events. Outside a packet only ``$``,
    0x03 and ``-`` mean something (``+`` and noise are skipped); ``$`` always
    starts a new packet, dropping an unfinished one, so that the stream
    resynchronises after any noise. A payload over ``limit`` bytes is summed
    for its checksum but not kept, and while ``max_frames`` is set packets
    beyond that many queued are dropped: memory stays bounded whatever arrives."""

    def __init__(self, limit: int = MAX_PACKET) -> None:
        self.limit = limit
        self.events: deque[Event] = deque()
        self.frames = 0                      # Frames among the events
        self.max_frames: int | None = None   # set while the program runs
        self._state = "idle"   # idle, data (between $ and #) or csum (after #)
        self._data = bytearray()
        self._sum = 0
        self._too_long = False
        self._csum = bytearray()

    def feed(self, data: bytes) -> None:
        i = 0
        while i < len(data):
            if self._state == "idle":
                i = self._idle(data, i)
            elif self._state == "data":
                i = self._payload(data, i)
            else:
                i = self._checksum(data, i)

    def pop(self) -> Event:
        event = self.events.popleft()
        if isinstance(event, Frame):
            self.frames -= 1
        return event

    def take_interrupt(self) -> bool:
        """Drop the queued Ctrl-Cs and NAKs; whether there was a Ctrl-C."""
        hit = INTERRUPT in self.events
        frames = [e for e in self.events if isinstance(e, Frame)]
        self.events.clear()
        self.events.extend(frames)
        return hit

    def _start(self) -> None:
        self._state = "data"
        self._data.clear()
        self._csum.clear()
        self._sum = 0
        self._too_long = False

    def _idle(self, data: bytes, i: int) -> int:
        m = _IDLE_STOP.search(data, i)
        if m is None:
            return len(data)
        c = data[m.start()]
        if c == ord("$"):
            self._start()
        else:
            self.events.append(INTERRUPT if c == 0x03 else NAK)
        return m.end()

    def _payload(self, data: bytes, i: int) -> int:
        m = _DATA_STOP.search(data, i)
        end = len(data) if m is None else m.start()
        chunk = data[i:end]
        self._sum += sum(chunk)
        if not self._too_long and len(self._data) + len(chunk) > self.limit:
            self._too_long = True
            self._data.clear()
        if not self._too_long:
            self._data += chunk
        if m is None:
            return end
        if data[end] == ord("$"):
            self._start()
        else:
            self._state = "csum"
        return end + 1

    def _checksum(self, data: bytes, i: int) -> int:
        if data[i] == ord("$"):
            self._start()
            return i + 1
        self._csum.append(data[i])
        if len(self._csum) == 2:
            ok = _HEX2.fullmatch(self._csum) is not None and int(self._csum, 16) == self._sum & 0xFF
            if self.max_frames is None or self.frames < self.max_frames:
                self.events.append(Frame(bytes(self._data), ok, self._too_long))
                self.frames += 1
            self._state = "idle"
        return i + 1


def _unescape(data: bytes) -> bytes:
    """Undo the ``}`` escapes (byte ^ 0x20); a ``}`` that ends the payload escapes nothing."""
    if b"}" not in data:
        return data
    out = bytearray()
    it = iter(data)
    for b in it:
        if b == 0x7D:
            b = next(it, None)
            if b is None:
                raise Malformed("a packet ends with an escape")
            b ^= 0x20
        out.append(b)
    return bytes(out)


_ESCAPED = re.compile(rb"[$#}*]")


def _escape(data: bytes) -> bytes:
    """Escape the bytes that frame packets (and ``*``, which gdb reads as run-length)."""
    return _ESCAPED.sub(lambda m: bytes((0x7D, m[0][0] ^ 0x20)), data)


# ------------------------------------------------------------------ parsing
class Malformed(ValueError):
    """A request that does not parse; answered ``E01``."""


class _Disconnected(Exception):
    """The connection is gone (EOF or a socket error)."""


_HEX = re.compile(r"[0-9a-fA-F]+")


def _hex(field: str, limit: int = ADDR_LIMIT) -> int:
    """A hex number below ``limit`` (int() alone would also take signs, spaces and '_')."""
    if not _HEX.fullmatch(field):
        raise Malformed(f"not a hex number: {field[:20]!r}")
    value = int(field, 16)
    if value >= limit:
        raise Malformed(f"{field[:20]} is out of range")
    return value


def _hex_bytes(field: str) -> bytes:
    if len(field) % 2 or (field and not _HEX.fullmatch(field)):
        raise Malformed("not hex bytes")
    return bytes.fromhex(field)


def _fields(text: str, sep: str, count: int) -> list[str]:
    parts = text.split(sep)
    if len(parts) != count:
        raise Malformed(f"expected {count} fields separated by {sep!r}")
    return parts


def _addr_length(text: str) -> tuple[int, int]:
    addr, length = (_hex(f) for f in _fields(text, ",", 2))
    return addr, length


def _thread_id(field: str) -> int:
    return -1 if field == "-1" else _hex(field)


def _vcont_action(action: str) -> tuple[bool, int | None]:
    """(step?, thread or None) of one vCont action: c, s, Csig, Ssig."""
    act, sep, thread = action.partition(":")
    if act in ("c", "s"):
        step = act == "s"
    elif act[:1] in ("C", "S") and len(act) > 1:
        _hex(act[1:], 256)   # the signal is not delivered: the ISS has no signals
        step = act[0] == "S"
    else:
        raise Malformed(f"vCont action {act[:20]!r}")
    return step, (_thread_id(thread) if sep else None)


_WATCH_KINDS = {2: "watch", 3: "rwatch", 4: "awatch"}
_OUR_THREAD = (-1, 0, THREAD_ID)   # all threads, any thread, ours


# ------------------------------------------------------------------ server
class GdbServer:
    def __init__(self, target: DebugTarget, conn: socket.socket) -> None:
        self.target = target
        self.conn = conn
        self.ack = True
        self.framer = Framer()
        self.last_sent: bytes | None = None  # what a NAK asks to be sent again
        self.breakpoints: set[int] = set()
        self.watchpoints: list[tuple[str, int, int]] = []
        self.finished: Stop | None = None   # the program's exit, once reported
        self.ended: str | None = None        # detach, kill
        self.last_stop = Stop("step")

    # ------------------------------------------------------------ transport
    def _recv(self) -> None:
        try:
            data = self.conn.recv(65536)
        except OSError:
            raise _Disconnected from None
        if not data:
            raise _Disconnected
        self.framer.feed(data)

    def _next_event(self) -> Event:
        while not self.framer.events:
            self._recv()
        return self.framer.pop()

    def _write(self, data: bytes) -> None:
        try:
            self.conn.sendall(data)
        except OSError:
            raise _Disconnected from None

    def send(self, payload: str | bytes) -> None:
        data = payload.encode("latin-1") if isinstance(payload, str) else payload
        data = _escape(data)
        self.last_sent = b"$" + data + b"#" + checksum(data)
        self._write(self.last_sent)

    # ------------------------------------------------------------ session
    def serve(self) -> str:
        """Serve until gdb detaches, kills or disconnects; returns how it ended
        (``exited`` when the program had ended before gdb left)."""
        try:
            while self.ended is None:
                self._dispatch(self._next_event())
        except _Disconnected:
            return "exited" if self.finished is not None else "disconnect"
        return "exited" if self.finished is not None else self.ended

    def _dispatch(self, event: Event) -> None:
        if event == INTERRUPT:
            return  # stopped already: a Ctrl-C that crossed our stop reply
        if event == NAK:
            if self.ack and self.last_sent is not None:
                self._write(self.last_sent)
            return
        assert isinstance(event, Frame)
        self.last_sent = None   # a new packet means gdb took the last reply
        if self.ack:
            self._write(b"+" if event.intact else b"-")
            if not event.intact:
                return
        # without acks a bad checksum cannot be refused: the packet is served, as gdbserver does
        reply = self._reply(event)
        if reply is not None:
            self.send(reply)

    def _reply(self, frame: Frame) -> str | None:
        if frame.too_long:
            return E_MALFORMED
        try:
            return self.handle(_unescape(frame.payload).decode("latin-1"))
        except Malformed:
            return E_MALFORMED

    # ------------------------------------------------------------ requests
    def handle(self, pkt: str) -> str | None:
        """The reply to one request (None: none is sent); raises Malformed."""
        name = _COMMANDS.get(pkt[:1])
        return "" if name is None else getattr(self, name)(pkt)

    def _query(self, pkt: str) -> str:
        name = re.split(r"[:,;]", pkt, maxsplit=1)[0]
        if name == "qSupported":
            return (f"PacketSize={MAX_PACKET:x};qXfer:features:read+;swbreak+;hwbreak+;"
                    "QStartNoAckMode+;vContSupported+")
        if name == "qXfer":
            return _xfer(pkt)
        replies = {"qAttached": "1", "qC": f"QC{THREAD_ID:x}", "qfThreadInfo": f"m{THREAD_ID:x}",
                   "qsThreadInfo": "l", "qSymbol": "OK"}
        return replies.get(name, "")

    def _set(self, pkt: str) -> str:
        if pkt != "QStartNoAckMode":
            return ""
        self.ack = False   # this packet itself was acknowledged already
        return "OK"

    def _v_packet(self, pkt: str) -> str:
        name = re.split(r"[;:]", pkt, maxsplit=1)[0]
        if name == "vCont?":
            return "vCont;c;C;s;S"
        if name == "vCont":
            return self._vcont(pkt)
        if name == "vKill":
            _process_suffix(pkt, "vKill")
            self.ended = "kill"
            return "OK"
        return ""   # vMustReplyEmpty and every other v packet

    def _vcont(self, pkt: str) -> str:
        if not pkt.startswith("vCont;"):
            raise Malformed("vCont without actions")
        chosen = None
        for action in pkt[len("vCont;"):].split(";"):
            step, thread = _vcont_action(action)
            # the leftmost action that applies to our thread wins
            if chosen is None and thread in (None, *_OUR_THREAD):
                chosen = step
        if chosen is None:
            raise Malformed("no vCont action for this thread")
        return self._resume(chosen)

    def _set_thread(self, pkt: str) -> str:
        if pkt[1:2] not in ("g", "c"):
            return "" if len(pkt) > 1 else E_MALFORMED
        return "OK" if _thread_id(pkt[2:]) in _OUR_THREAD else E_MALFORMED

    def _thread_alive(self, pkt: str) -> str:
        return "OK" if _thread_id(pkt[1:]) == THREAD_ID else E_MALFORMED

    def _stop_query(self, pkt: str) -> str:
        _exact(pkt, "?")
        return self._stop_reply(self.finished or self.last_stop)

    def _kill(self, pkt: str) -> None:
        _exact(pkt, "k")
        self.ended = "kill"

    def _detach(self, pkt: str) -> str:
        _process_suffix(pkt, "D")
        self.ended = "detach"
        return "OK"

    def _read_registers(self, pkt: str) -> str:
        _exact(pkt, "g")
        return "".join(_le32(self.target.read_register(i) or 0) for i in range(NUM_GPRS + 1))

    def _write_registers(self, pkt: str) -> str:
        data = _hex_bytes(pkt[1:])
        if not data or len(data) % 4 or len(data) > 4 * (NUM_GPRS + 1):
            raise Malformed("G needs whole 32-bit registers, at most x0..x31 and pc")
        for i in range(len(data) // 4):
            self.target.write_register(i, int.from_bytes(data[4 * i:4 * i + 4], "little"))
        return "OK"

    def _read_register(self, pkt: str) -> str:
        v = self.target.read_register(_hex(pkt[1:]))
        return E_MALFORMED if v is None else _le32(v)

    def _write_register(self, pkt: str) -> str:
        regnum, value = _fields(pkt[1:], "=", 2)
        n, data = _hex(regnum), _hex_bytes(value)
        if len(data) != 4:
            raise Malformed("registers are 32 bits")
        return "OK" if self.target.write_register(n, int.from_bytes(data, "little")) else E_MALFORMED

    def _read_memory(self, pkt: str) -> str:
        addr, length = _addr_length(pkt[1:])
        # a shorter reply is allowed; this one fits in a packet
        data = self.target.read_memory(addr, min(length, MAX_PACKET // 2))
        return E_MEMORY if data is None else data.hex()

    def _write_memory(self, pkt: str) -> str:
        where, sep, hexdata = pkt[1:].partition(":")
        addr, length = _addr_length(where)
        data = _hex_bytes(hexdata)
        return self._store(addr, length, data, sep)

    def _write_binary(self, pkt: str) -> str:
        where, sep, raw = pkt[1:].partition(":")
        addr, length = _addr_length(where)
        return self._store(addr, length, raw.encode("latin-1"), sep)

    def _store(self, addr: int, length: int, data: bytes, sep: str) -> str:
        if not sep or len(data) != length:
            raise Malformed(f"{len(data)} bytes of data for a length of {length}")
        if not data:
            return "OK"   # gdb probes X support with an empty write
        return "OK" if self.target.write_memory(addr, data) else E_MEMORY

    def _continue(self, pkt: str) -> str:
        return self._resume_at(pkt[1:], step=False)

    def _step(self, pkt: str) -> str:
        return self._resume_at(pkt[1:], step=True)

    def _continue_signal(self, pkt: str) -> str:
        sig, sep, addr = pkt[1:].partition(";")
        _hex(sig, 256)   # the signal is not delivered: the ISS has no signals
        if sep and not addr:
            raise Malformed("an empty address")
        return self._resume_at(addr, step=pkt[0] == "S")

    def _resume_at(self, addr: str, step: bool) -> str:
        if addr:
            self.target.write_register(PC_REGNUM, _hex(addr))
        return self._resume(step)

    def _point(self, pkt: str) -> str:
        spec, sep, _ = pkt[1:].partition(";")
        if sep:
            raise Malformed("target-side conditions were not offered")
        kind, addr, size = (_hex(f) for f in _fields(spec, ",", 3))
        insert = pkt[0] == "Z"
        if kind in (0, 1):
            return self._breakpoint(addr, insert)
        if kind in _WATCH_KINDS:
            return self._watchpoint((_WATCH_KINDS[kind], addr, size), insert)
        return ""   # an unknown type: the protocol's empty reply

    def _breakpoint(self, addr: int, insert: bool) -> str:
        if not insert:
            self.breakpoints.discard(addr)
        elif self.target.can_break(addr):
            self.breakpoints.add(addr)
        else:
            return E_MALFORMED   # it could never hit: not an aligned word of RAM
        return "OK"

    def _watchpoint(self, entry: tuple[str, int, int], insert: bool) -> str:
        _, addr, size = entry
        if size == 0 or addr + size > ADDR_LIMIT:
            raise Malformed("an empty or wrapping watch range")
        # idempotent, as the protocol asks: a repeated packet changes nothing
        if not insert:
            if entry in self.watchpoints:
                self.watchpoints.remove(entry)
        elif entry not in self.watchpoints:
            if len(self.watchpoints) >= self.target.max_watchpoints:
                return E_MALFORMED   # gdb: "Could not insert hardware watchpoint"
            self.watchpoints.append(entry)
        return "OK"

    # ------------------------------------------------------------ running
    def _interrupted(self) -> bool:
        """Whether gdb sent Ctrl-C during the run; raises _Disconnected on EOF."""
        if select.select([self.conn], [], [], 0)[0]:
            self._recv()
        # a NAK now refers to no reply: gdb has sent a request since
        return self.framer.take_interrupt()

    def _resume(self, step: bool) -> str:
        if self.finished is not None:
            return self._stop_reply(self.finished)
        self.framer.max_frames = MAX_QUEUED
        try:
            stop = self._run(step)
        finally:
            self.framer.max_frames = None
        if stop.kind == "exited":
            self.finished = stop
        self.last_stop = stop
        return self._stop_reply(stop)

    def _run(self, step: bool) -> Stop:
        while True:
            stop = self.target.resume(step, self.breakpoints, self.watchpoints,
                                      1 if step else SLICE)
            if stop.kind != "limit":
                return stop
            if self._interrupted():
                return Stop("interrupt")

    def _stop_reply(self, stop: Stop) -> str:
        if stop.kind == "exited":
            return f"W{stop.exit_code & 0xFF:02x}"
        if stop.kind == "trap":
            return f"T{stop.signal:02x}"
        if stop.kind == "interrupt":
            return f"T{SIGINT:02x}"
        if stop.kind == "watch":
            return f"T{SIGTRAP:02x}{stop.watch}:{stop.addr:08x};"
        if stop.kind == "breakpoint":
            return f"T{SIGTRAP:02x}swbreak:;"
        return f"T{SIGTRAP:02x}"


_COMMANDS = {
    "?": "_stop_query", "q": "_query", "Q": "_set", "v": "_v_packet", "H": "_set_thread",
    "T": "_thread_alive", "k": "_kill", "D": "_detach", "g": "_read_registers",
    "G": "_write_registers", "p": "_read_register", "P": "_write_register", "m": "_read_memory",
    "M": "_write_memory", "X": "_write_binary", "c": "_continue", "s": "_step",
    "C": "_continue_signal", "S": "_continue_signal", "Z": "_point", "z": "_point",
}


def _exact(pkt: str, expected: str) -> None:
    if pkt != expected:
        raise Malformed(f"{expected} takes no arguments")


def _process_suffix(pkt: str, name: str) -> None:
    """``name`` alone or ``name;PID`` (D and vKill)."""
    if pkt != name:
        if not pkt.startswith(name + ";"):
            raise Malformed(f"{name} takes a process id after ';'")
        _hex(pkt[len(name) + 1:])


def _xfer(pkt: str) -> str:
    """qXfer:features:read:target.xml:OFFSET,LENGTH, the one object served."""
    parts = pkt.split(":", 4)
    if len(parts) < 3 or parts[1:3] != ["features", "read"]:
        return ""   # an object or operation not supported
    if len(parts) != 5 or parts[3] != "target.xml":
        return E_XFER
    try:
        off, length = _addr_length(parts[4])
    except Malformed:
        return E_XFER
    xml = target_xml()
    if off > len(xml):
        return E_XFER
    chunk = xml[off:off + min(length, MAX_PACKET - 1)]
    return ("l" if off + len(chunk) >= len(xml) else "m") + chunk


def listen(port: int, host: str = "127.0.0.1") -> socket.socket:
    """A listening socket; raises OSError with a clear errno when the port is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1)
    return sock
