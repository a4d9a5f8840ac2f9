"""The generator's WebSocket connections and the per-server protocol adapters.

A connection is an ``asyncio.Protocol``. The ``websockets`` library builds the opening
handshake (``ClientProtocol.connect``, checked with ``websockets.utils.accept_key``) and
frames, masks and serialises everything the client sends (``websockets.frames.Frame``). The
receive path reads the server's frames with a small RFC 6455 section 5.2 reader written for
this generator: servers never mask their frames, so reading one is a header, a length and a
slice. ``websockets``' own sans-I/O reader costs about 9 µs a frame here (as much as the
servers spend per delivery), which would make the generator, not the server, the limit;
``--reader websockets`` switches to it to cross-check a run.

Every message the generator sends carries a stamp inside its text:
``~~s<sender>r<run>n<number>t<monotonic ns>z~~``. Digits are enclosed in letters, so that the
product's personal-details filter cannot take them for a phone number.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri
from websockets.utils import accept_key

FILLER = " thanks for sharing this, it really helped me today and I hope you rest well"
MARK = b"~~s"
END = b"z~~"


def stamp(sender: int, run: int, number: int) -> str:
    return f"~~s{sender}r{run}n{number}t{time.monotonic_ns()}z~~{FILLER}"


class RunStats:
    """What one measured run counts on the receiving side."""

    __slots__ = ("dups", "errors", "expected", "lat", "late", "received", "run", "sent")

    def __init__(self, run: int) -> None:
        self.run = run
        self.sent = 0
        self.expected = 0  # deliveries due: members of the room (the sender too) per message
        self.received = 0  # unique deliveries
        self.dups = 0
        self.errors = 0  # error frames answering the generator's sends
        self.lat: list[int] = []  # ns, send to receipt at every member other than the sender
        self.late = 0


class Collector:
    """Routes stamped receipts to their run."""

    def __init__(self) -> None:
        self.runs: dict[int, RunStats] = {}
        self.current: RunStats | None = None

    def new_run(self, run: int) -> RunStats:
        stats = self.runs[run] = RunStats(run)
        self.current = stats
        return stats


class Conn(asyncio.Protocol):
    """One WebSocket client connection."""

    def __init__(self, index: int, url: str, adapter: Adapter, collector: Collector,
                 fast_reader: bool = True) -> None:
        self.index = index
        self.url = url
        self.adapter = adapter
        self.collector = collector
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.is_open = False
        self.key = ""
        self._hs = b""
        self._buf = b""
        self._frag: bytes | None = None
        self.seen: set[int] = set()
        self.seen_run = -1
        self.room: str | None = None
        self.waiter: tuple[Callable[[bytes], int], asyncio.Future[bytes]] | None = None
        # Control frames that came while nobody waited (e.g. socket.io's open packet, which
        # can arrive in the same segment as the handshake's response), for the next request.
        self.unclaimed: deque[bytes] = deque(maxlen=16)
        self.acks = 0
        # The product's bearer token: given by its welcome, sent again by a returning person.
        self.token: str | None = None
        self.fast = fast_reader
        self._wsproto: ClientProtocol | None = None

    # Opening handshake -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        proto = ClientProtocol(parse_uri(self.url), max_size=2**20)
        request = proto.connect()
        self.key = request.headers["Sec-WebSocket-Key"]
        if not self.fast:
            proto.send_request(request)
            self._wsproto = proto
            for data in proto.data_to_send():
                transport.write(data)
            return
        transport.write(request.serialize())

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed during the handshake"))
        if self.waiter is not None and not self.waiter[1].done():
            self.waiter[1].set_exception(ConnectionError("closed"))

    def _handshake(self, data: bytes) -> bytes:
        self._hs += data
        end = self._hs.find(b"\r\n\r\n")
        if end < 0:
            return b""
        head, rest = self._hs[:end].decode("latin-1"), self._hs[end + 4:]
        self._hs = b""
        lines = head.split("\r\n")
        ok = lines[0].split(" ", 2)[1:2] == ["101"]
        accept = ""
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "sec-websocket-accept":
                accept = value.strip()
        if not ok or accept != accept_key(self.key):
            if not self.opened.done():
                self.opened.set_exception(ConnectionError(f"handshake refused: {lines[0]}"))
            self.abort()
            return b""
        self.is_open = True
        if not self.opened.done():
            self.opened.set_result(None)
        return rest

    # Receiving -------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        if self._wsproto is not None:
            self._ws_received(data, now)
            return
        if not self.is_open:
            data = self._handshake(data)
            if not data:
                return
        buf = self._buf + data if self._buf else data
        n = len(buf)
        pos = 0
        while n - pos >= 2:
            b0 = buf[pos]
            length = buf[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if n - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                head = 4
            elif length == 127:
                if n - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2:pos + 10], "big")
                head = 10
            end = pos + head + length
            if end > n:
                break
            payload = buf[pos + head:end]
            pos = end
            opcode = b0 & 0x0F
            if opcode == 1 or opcode == 2 or opcode == 0:
                if not b0 & 0x80:  # a fragment: keep until the final one
                    self._frag = (self._frag or b"") + payload
                    continue
                if self._frag is not None:
                    payload, self._frag = self._frag + payload, None
                self.on_message(payload, now)
            elif opcode == 9:
                self._write_frame(Frame(Opcode.PONG, payload))
            elif opcode == 8:
                self.abort()
                return
        self._buf = buf[pos:] if pos < n else b""

    def _ws_received(self, data: bytes, now: int) -> None:
        """The cross-check path: websockets' own sans-I/O reader."""
        proto = self._wsproto
        assert proto is not None and self.transport is not None
        proto.receive_data(data)
        for event in proto.events_received():
            if not self.is_open:
                if getattr(event, "status_code", None) == 101 and proto.handshake_exc is None:
                    self.is_open = True
                    if not self.opened.done():
                        self.opened.set_result(None)
                elif not self.opened.done():
                    self.opened.set_exception(ConnectionError("handshake refused"))
                continue
            if isinstance(event, Frame) and event.opcode in (Opcode.TEXT, Opcode.BINARY):
                self.on_message(bytes(event.data), now)
        for out in proto.data_to_send():
            if out:
                self.transport.write(out)

    def on_message(self, payload: bytes, now: int) -> None:
        i = payload.find(MARK)
        if i < 0:
            self.on_control(payload)
            return
        j = payload.find(END, i)
        body = payload[i + 3:j]
        sender, rest = body.split(b"r", 1)
        run, rest = rest.split(b"n", 1)
        number, sent = rest.split(b"t", 1)
        stats = self.collector.runs.get(int(run))
        if stats is None:
            return
        if stats is not self.collector.current:
            stats.late += 1
        if self.seen_run != stats.run:
            self.seen = set()
            self.seen_run = stats.run
        key = int(sender) * 10_000_000 + int(number)
        if key in self.seen:
            stats.dups += 1
            return
        self.seen.add(key)
        stats.received += 1
        if int(sender) != self.index:
            stats.lat.append(now - int(sent))

    def on_control(self, payload: bytes) -> None:
        verdict = self.adapter.control(self, payload)
        if verdict == 0 and self.waiter is None:
            self.unclaimed.append(payload)
        elif verdict == 0 and self.waiter is not None:
            predicate, future = self.waiter
            result = predicate(payload)
            if result and not future.done():
                if result > 0:
                    future.set_result(payload)
                else:
                    future.set_exception(RuntimeError(payload[:200].decode(errors="replace")))
                self.waiter = None

    # Sending ---------------------------------------------------------------------------

    def _write_frame(self, frame: Frame) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame.serialize(mask=True, extensions=[]))

    def send_text(self, text: str) -> None:
        if self._wsproto is not None:
            self._wsproto.send_text(text.encode())
            for out in self._wsproto.data_to_send():
                if out and self.transport is not None and not self.transport.is_closing():
                    self.transport.write(out)
            return
        self._write_frame(Frame(Opcode.TEXT, text.encode()))

    async def request(self, text: str | None, predicate: Callable[[bytes], int],
                      timeout: float) -> bytes:
        """Send ``text`` (if any) and wait for a frame the predicate accepts (1) or refuses
        (-1: raised as an error)."""
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        if text is None:  # waiting for what the server says unasked: it may have come
            while self.unclaimed:
                payload = self.unclaimed.popleft()
                result = predicate(payload)
                if result > 0:
                    return payload
                if result < 0:
                    raise RuntimeError(payload[:200].decode(errors="replace"))
        self.unclaimed.clear()
        self.waiter = (predicate, future)
        if text is not None:
            self.send_text(text)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self.waiter = None

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            try:
                self._write_frame(Frame(Opcode.CLOSE, b"\x03\xe8"))
            finally:
                self.transport.close()


async def open_conn(index: int, url: str, adapter: Adapter, collector: Collector,
                    timeout: float, fast_reader: bool = True,
                    token: str | None = None) -> Conn:
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()

    async def go() -> Conn:
        _, conn = await loop.create_connection(
            lambda: Conn(index, url, adapter, collector, fast_reader),
            parts.hostname, parts.port)
        conn.token = token
        await conn.opened
        await adapter.after_open(conn, timeout)
        return conn

    return await asyncio.wait_for(go(), timeout)


# Adapters: one per kind of server --------------------------------------------------------


class Adapter:
    """The tiny protocol of the baselines: join, send text, receive broadcasts."""

    name = "baseline"
    path = "/ws"

    async def after_open(self, conn: Conn, timeout: float) -> None:
        return None

    async def join(self, conn: Conn, room: str, timeout: float) -> None:
        await conn.request(json.dumps({"type": "join", "room": room}),
                           lambda p: 1 if b'"joined"' in p else 0, timeout)
        conn.room = room

    def send(self, conn: Conn, room: str, text: str) -> None:
        conn.send_text(json.dumps({"type": "send", "room": room, "text": text}))

    def control(self, conn: Conn, payload: bytes) -> int:
        """A frame without a stamp; 0: let the waiter see it."""
        return 0


class ProductAdapter(Adapter):
    """The product's protocol (docs/protocol.md): hello, join (until synced), send."""

    name = "product"

    async def after_open(self, conn: Conn, timeout: float) -> None:
        hello: dict[str, Any] = {"type": "hello", "v": 1, "lang": "en"}
        if conn.token is not None:
            hello["token"] = conn.token  # a returning person
        welcome = await conn.request(json.dumps(hello),
                                     lambda p: 1 if b'"type":"welcome"' in p else
                                     (-1 if b'"type":"error"' in p else 0), timeout)
        conn.token = conn.token or json.loads(welcome).get("token")

    async def join(self, conn: Conn, room: str, timeout: float) -> None:
        await conn.request(json.dumps({"type": "join", "id": "j", "room": room}),
                           lambda p: 1 if p.startswith(b'{"type":"synced"') else
                           (-1 if p.startswith(b'{"type":"error"') else 0), timeout)
        conn.room = room

    def send(self, conn: Conn, room: str, text: str) -> None:
        conn.send_text(f'{{"type":"send","id":"m","room":"{room}","text":"{text}"}}')

    def control(self, conn: Conn, payload: bytes) -> int:
        if payload.startswith(b'{"type":"ack"'):
            conn.acks += 1
            return 1
        if payload.startswith(b'{"type":"error"') and conn.waiter is None:
            stats = conn.collector.current
            if stats is not None:
                stats.errors += 1
            return 1
        return 0


class SocketIOAdapter(Adapter):
    """Socket.IO v5 over Engine.IO v4, spoken directly over the WebSocket transport (what the
    official clients do after an upgrade, here with no long-polling first): open packet
    ``0{...}``, namespace connect ``40``, events ``42[...]``, acknowledged events
    ``42<id>[...]`` answered by ``43<id>[...]``, and the server's ping ``2`` answered by ``3``.
    Same reader, same stamp parsing as for every other server."""

    name = "socketio"
    path = "/socket.io/?EIO=4&transport=websocket"

    async def after_open(self, conn: Conn, timeout: float) -> None:
        await conn.request(None, lambda p: 1 if p[:1] == b"0" else 0, timeout)
        await conn.request("40", lambda p: 1 if p.startswith(b"40") else
                           (-1 if p.startswith(b"44") else 0), timeout)

    async def join(self, conn: Conn, room: str, timeout: float) -> None:
        conn.acks += 1
        ack = f"43{conn.acks}["
        await conn.request(f'42{conn.acks}["join",{json.dumps(room)}]',
                           lambda p: 1 if p.startswith(ack.encode()) else 0, timeout)
        conn.room = room

    def send(self, conn: Conn, room: str, text: str) -> None:
        conn.send_text(f'42["send",{{"room":"{room}","text":"{text}"}}]')

    def control(self, conn: Conn, payload: bytes) -> int:
        if payload == b"2":
            conn.send_text("3")
            return 1
        return 0


ADAPTERS: dict[str, type[Adapter]] = {"baseline": Adapter, "product": ProductAdapter,
                                      "socketio": SocketIOAdapter}


