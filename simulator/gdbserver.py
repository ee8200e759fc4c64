"""GDB remote serial protocol server for the ISS.

The server speaks RSP over one TCP connection on localhost and drives a
:class:`DebugTarget` (``simulator.debug.MachineTarget`` for the ISS).
Execution between stops happens in the target's compiled loop in slices of
``SLICE`` instructions; between slices the server polls the socket for an
interrupt (Ctrl-C, byte 0x03), so breakpoints and watchpoints cost nothing
per instruction in Python.

``serve`` returns how the session ended: ``"exited"`` (the program ended and
gdb left), ``"detach"``, ``"kill"`` or ``"disconnect"`` (EOF on the socket).
"""

from __future__ import annotations

import select
import socket
from dataclasses import dataclass
from typing import Protocol

SIGINT, SIGTRAP = 2, 5
SLICE = 1 << 20
NUM_GPRS = 32
PC_REGNUM = 32
CSR_REGNUM_BASE = 65  # GDB's RISC-V numbering: 65 + CSR number

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
    def read_register(self, regnum: int) -> int | None: ...
    def write_register(self, regnum: int, value: int) -> bool: ...
    def read_memory(self, addr: int, length: int) -> bytes | None: ...
    def write_memory(self, addr: int, data: bytes) -> bool: ...
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


class GdbServer:
    def __init__(self, target: DebugTarget, conn: socket.socket) -> None:
        self.target = target
        self.conn = conn
        self.ack = True
        self.buf = b""
        self.breakpoints: set[int] = set()
        self.watchpoints: list[tuple[str, int, int]] = []
        self.finished: Stop | None = None   # the program's exit, once reported
        self.ended: str | None = None        # detach, kill
        self.last_stop = Stop("step")

    # ------------------------------------------------------------ framing
    def _recv(self) -> bool:
        data = self.conn.recv(65536)
        if not data:
            return False
        self.buf += data
        return True

    def read_packet(self) -> bytes | None:
        """The next packet's payload; ``b"\\x03"`` for an interrupt; None on EOF."""
        while True:
            while self.buf[:1] in (b"+", b"-"):
                self.buf = self.buf[1:]
            if self.buf[:1] == b"\x03":
                self.buf = self.buf[1:]
                return b"\x03"
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start + 1) if start >= 0 else -1
            if start >= 0 and end >= 0 and len(self.buf) >= end + 3:
                payload = self.buf[start + 1:end]
                self.buf = self.buf[end + 3:]
                if self.ack:
                    self.conn.sendall(b"+")
                return _unescape(payload)
            if not self._recv():
                return None

    def send(self, payload: str | bytes) -> None:
        data = payload.encode("latin-1") if isinstance(payload, str) else payload
        self.conn.sendall(b"$" + data + b"#" + checksum(data))

    # ------------------------------------------------------------ commands
    def serve(self) -> str:
        """Serve until gdb detaches, kills or disconnects; returns how it ended
        (``exited`` when the program had ended before gdb left)."""
        while True:
            try:
                pkt = self.read_packet()
            except OSError:
                pkt = None
            if pkt is None:
                return "exited" if self.finished is not None else "disconnect"
            if pkt == b"\x03":
                self.last_stop = Stop("interrupt")
                self.send(self._stop_reply(self.last_stop))
                continue
            reply = self.handle(pkt.decode("latin-1"))
            if reply is not None:
                try:
                    self.send(reply)
                except OSError:
                    pass
            if self.ended is not None:
                return "exited" if self.finished is not None else self.ended

    def handle(self, pkt: str) -> str | None:
        cmd = pkt[:1]
        if pkt.startswith("qSupported"):
            return "PacketSize=4000;qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+;vContSupported+"
        if pkt == "QStartNoAckMode":
            self.send("OK")
            self.ack = False
            return None
        if pkt.startswith("qXfer:features:read:target.xml:"):
            off, length = (int(x, 16) for x in pkt.split(":")[-1].split(","))
            xml = target_xml()
            chunk = xml[off:off + length]
            return ("l" if off + length >= len(xml) else "m") + chunk
        if pkt in ("qAttached",):
            return "1"
        if pkt == "qC":
            return "QC1"
        if pkt == "qfThreadInfo":
            return "m1"
        if pkt == "qsThreadInfo":
            return "l"
        if pkt.startswith("qSymbol"):
            return "OK"
        if pkt.startswith("H") or pkt.startswith("T"):
            return "OK"
        if pkt == "?":
            return self._stop_reply(self.finished or self.last_stop)
        if pkt == "vCont?":
            return "vCont;c;C;s;S"
        if pkt.startswith("vCont;"):
            action = pkt[6:].split(";")[0]
            return self._resume(step=action[:1] in ("s", "S"))
        if pkt == "vMustReplyEmpty":
            return ""
        if pkt.startswith("vKill") or cmd == "k":
            self.ended = "kill"
            return "OK" if pkt.startswith("vKill") else None
        if cmd == "D":
            self.ended = "detach"
            return "OK"
        if cmd == "g":
            return "".join(_le32(self.target.read_register(i) or 0) for i in range(NUM_GPRS + 1))
        if cmd == "G":
            data = bytes.fromhex(pkt[1:])
            for i in range(min(NUM_GPRS + 1, len(data) // 4)):
                self.target.write_register(i, int.from_bytes(data[4 * i:4 * i + 4], "little"))
            return "OK"
        if cmd == "p":
            v = self.target.read_register(int(pkt[1:], 16))
            return "E01" if v is None else _le32(v)
        if cmd == "P":
            n, v = pkt[1:].split("=")
            ok = self.target.write_register(int(n, 16), int.from_bytes(bytes.fromhex(v), "little"))
            return "OK" if ok else "E01"
        if cmd == "m":
            addr, length = (int(x, 16) for x in pkt[1:].split(","))
            data = self.target.read_memory(addr, length)
            return "E14" if data is None else data.hex()
        if cmd == "M":
            where, hexdata = pkt[1:].split(":")
            addr = int(where.split(",")[0], 16)
            return "OK" if self.target.write_memory(addr, bytes.fromhex(hexdata)) else "E14"
        if cmd == "X":
            where, _, data = pkt[1:].partition(":")
            addr, length = (int(x, 16) for x in where.split(","))
            raw = data.encode("latin-1")[:length]
            return "OK" if self.target.write_memory(addr, raw) else "E14"
        if cmd in ("c", "s"):
            if len(pkt) > 1:
                self.target.write_register(PC_REGNUM, int(pkt[1:], 16))
            return self._resume(step=cmd == "s")
        if cmd in ("Z", "z"):
            return self._point(pkt)
        return ""

    def _point(self, pkt: str) -> str:
        kind, addr, length = pkt[1:].split(";")[0].split(",")
        a, n = int(addr, 16), int(length, 16)
        insert = pkt[0] == "Z"
        if kind in ("0", "1"):
            (self.breakpoints.add if insert else self.breakpoints.discard)(a)
            return "OK"
        names = {"2": "watch", "3": "rwatch", "4": "awatch"}
        if kind not in names:
            return ""
        entry = (names[kind], a, n)
        if insert:
            self.watchpoints.append(entry)
        elif entry in self.watchpoints:
            self.watchpoints.remove(entry)
        return "OK"

    def _interrupted(self) -> bool:
        ready, _, _ = select.select([self.conn], [], [], 0)
        if ready:
            try:
                if not self._recv():
                    return True
            except OSError:
                return True
        if b"\x03" in self.buf:
            self.buf = self.buf.replace(b"\x03", b"", 1)
            return True
        return False

    def _resume(self, step: bool) -> str:
        if self.finished is not None:
            return self._stop_reply(self.finished)
        while True:
            stop = self.target.resume(step, self.breakpoints, self.watchpoints,
                                      1 if step else SLICE)
            if stop.kind != "limit":
                break
            if self._interrupted():
                stop = Stop("interrupt")
                break
        if stop.kind == "exited":
            self.finished = stop
        self.last_stop = stop
        return self._stop_reply(stop)

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


def _unescape(data: bytes) -> bytes:
    if b"}" not in data:
        return data
    out = bytearray()
    it = iter(data)
    for b in it:
        out.append(next(it) ^ 0x20 if b == 0x7D else b)
    return bytes(out)


def listen(port: int, host: str = "127.0.0.1") -> socket.socket:
    """A listening socket; raises OSError with a clear errno when the port is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1)
    return sock
