"""uvicorn's sans-I/O WebSocket protocol with two additions for the hub.

- ``chatserver.abort``: a client that stops reading fills its TCP window, and a polite close
  would wait on the very buffer that is full; aborting the transport frees everything at once.
- RFC 6455 details that Autobahn|Testsuite checks (tests/conformance): a peer may close in
  the middle of a fragmented message (the close is answered normally, not failed with 1002),
  and a text message that is not UTF-8 closes with 1007 quietly (a client's bad bytes are
  not an error of the server's, and uvicorn's log line would carry the exception's text).
- ``ChatHttpProtocol`` (HTTP, before any upgrade): a connection that has not finished its
  request headers within ``HEADER_TIMEOUT_SECONDS`` is closed, and such half-open connections
  count against their address: a slow-header flood neither holds sockets forever nor gets
  round ``MAX_CONNECTIONS_PER_CLIENT``.
- Keep-alive with one timer per process instead of two per connection (uvicorn's): a timing
  wheel (``KeepAlive``) pings each connection that has said nothing for
  ``WS_PING_INTERVAL_SECONDS`` (one constant, pre-framed ping) and closes with 1011 one that
  has not answered within ``WS_PING_TIMEOUT_SECONDS``. Any bytes from the peer count as an
  answer. With 5,000 idle connections uvicorn's timers, random payloads and per-ping framing
  cost ~5 % of a core; this costs a fraction of that (bench/README.md, issue 20).
- ``chatserver.raw``: write an already framed server message straight to the transport. A
  broadcast is framed once (server frames are not masked, so the bytes are the same for every
  member) and the same bytes go to every member, with no task switch or ASGI message per
  delivery. The hub keeps its own bounded backlog while the transport is paused.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Generator
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.streams import StreamReader

ABORT_EXTENSION = "chatserver.abort"
# How long a connection closed for a protocol violation is read (and dropped) before the
# socket closes, so that the peer gets the close frame.
LINGER_SECONDS = 2.0
RAW_EXTENSION = "chatserver.raw"
# A server's ping with no payload: FIN + opcode 9, length 0, not masked (RFC 6455 5.5.2).
PING_FRAME = b"\x89\x00"


class KeepAlive:
    """The keep-alive of every WebSocket of one event loop: a timing wheel of half-second
    slots, turned by one timer. Each connection sits in the slot of the moment it must be
    looked at again (a ping due, or a pong awaited), so a turn touches only those due then:
    pings stay spread as the connections arrived (a pass over all of them every few seconds
    sent the pings of everyone who came in the same minute at once, and the pongs all came
    back together, which held up messages for ~100 ms)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float, timeout: float) -> None:
        self.loop = loop
        self.interval = interval
        self.timeout = timeout
        self.period = max(0.05, min(0.5, min(interval, timeout) / 4))
        self.slots: dict[int, set[ChatWebSocketProtocol]] = {}
        self.count = 0
        self._turned = int(loop.time() / self.period)  # slots up to this one are done
        self._timer: asyncio.TimerHandle | None = None

    def _place(self, conn: ChatWebSocketProtocol, when: float) -> None:
        # Never in a slot already turned: the next turn takes it.
        slot = max(int(when / self.period) + 1, self._turned + 1)
        conn.keepalive_slot = slot
        self.slots.setdefault(slot, set()).add(conn)

    def add(self, conn: ChatWebSocketProtocol) -> None:
        self._place(conn, conn.last_heard + self.interval)
        self.count += 1
        if self._timer is None:
            self._turned = max(self._turned, int(self.loop.time() / self.period))
            self._timer = self.loop.call_later(self.period, self._turn)

    def discard(self, conn: ChatWebSocketProtocol) -> None:
        members = self.slots.get(conn.keepalive_slot)
        if members is not None and conn in members:
            members.discard(conn)
            self.count -= 1
            if not members:
                del self.slots[conn.keepalive_slot]

    def _turn(self) -> None:
        self._timer = None
        now = self.loop.time()
        current = int(now / self.period)
        due: list[ChatWebSocketProtocol] = []
        for slot in range(self._turned + 1, current + 1):
            members = self.slots.pop(slot, None)
            if members:
                due.extend(members)
        self._turned = current
        for conn in due:
            heard = conn.last_heard
            if conn.ping_sent_at > heard:  # a ping is out and nothing came back
                if now - conn.ping_sent_at >= self.timeout:
                    self.count -= 1
                    conn.keepalive_failed()
                    continue
                self._place(conn, conn.ping_sent_at + self.timeout)
            elif now - heard >= self.interval:
                if not conn.send_ping_frame():
                    self.count -= 1  # closing: connection_lost takes it out for good
                    continue
                conn.ping_sent_at = now
                self._place(conn, now + self.timeout)
            else:  # heard from since it was placed: look again an interval after that
                self._place(conn, heard + self.interval)
        if self.count > 0:
            self._timer = self.loop.call_later(self.period, self._turn)


_sweeps: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, KeepAlive] = (
    weakref.WeakKeyDictionary())


def keepalive_for(loop: asyncio.AbstractEventLoop, interval: float, timeout: float) -> KeepAlive:
    sweep = _sweeps.get(loop)
    if sweep is None or (sweep.interval, sweep.timeout) != (interval, timeout):
        sweep = _sweeps[loop] = KeepAlive(loop, interval, timeout)
    return sweep


class _ServerProtocol(ServerProtocol):
    def recv_frame(self, frame: Frame) -> None:
        if frame.opcode is Opcode.CLOSE and self.current_size is not None:
            # Control frames may arrive between fragments (RFC 6455 5.4): a peer that closes
            # mid-message abandons it, and its close is answered like any other.
            self.current_size = None
        super().recv_frame(frame)


_AT_EOF = StreamReader.at_eof.__code__


def _between_frames(conn: ServerProtocol) -> bool:
    """Whether websockets' parser has read every byte so far and waits for the next frame
    (it waits in ``StreamReader.at_eof``; mid-frame it waits inside ``Frame.parse``, and the
    next bytes belong to that frame)."""
    waiting = conn.parser
    for _ in range(4):  # the server's parser delegates to the protocol's, which waits there
        inner = getattr(waiting, "gi_yieldfrom", None)
        if inner is None:
            break
        waiting = inner
    return getattr(waiting, "gi_code", None) is _AT_EOF


def _closed_parser() -> Generator[None, None, None]:
    """A parser for a closed connection (it is never fed again)."""
    yield


# What a closed connection's transport points at instead of its protocol (see _release).
_CLOSED = asyncio.Protocol()


class ChatWebSocketProtocol(WebSocketsSansIOProtocol):
    _on_drain: Callable[[], None] | None = None
    _lingering = False
    _app_done = False
    # Configured by ws_protocol(); 0 turns the keep-alive off.
    ping_every = 20.0
    pong_within = 20.0
    _keepalive: KeepAlive | None = None
    # Loop times (seconds): the peer's last bytes, our last unanswered ping.
    last_heard = 0.0
    ping_sent_at = 0.0
    keepalive_slot = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn builds its websockets ServerProtocol here with no hook to choose the class;
        # the subclass adds no state, so switching the class of the fresh object is safe.
        self.conn.__class__ = _ServerProtocol

    def send_receive_event_to_app(self) -> None:
        if self.curr_msg_data_type == "text" and not self.close_sent:
            data = self.frames[0] if len(self.frames) == 1 else b"".join(self.frames)
            try:
                text = data.decode()
            except UnicodeDecodeError:
                # uvicorn would log this as a server error, with text quoting the bytes.
                self.frames = []
                self.conn.send_close(1007)
                self.handle_parser_exception()
                return
            self.frames = []
            self.queue.put_nowait({"type": "websocket.receive", "text": text})
            if not self.read_paused:
                self.read_paused = True
                self.transport.pause_reading()
            return
        super().send_receive_event_to_app()

    def handle_parser_exception(self) -> None:
        """A protocol violation (1002, 1007, 1009): send the close frame, then close lingering
        (RFC 6455 7.1.1): half-close and read on, discarding, until the peer closes or
        LINGER_SECONDS pass. Closing at once with the peer's data unread resets the
        connection, which can destroy the close frame before the peer has read it (seen with
        Autobahn's 9.4.8, a 4 MiB message over the cap, on a loaded machine)."""
        assert self.conn.close_sent is not None
        self.queue.put_nowait({"type": "websocket.disconnect", "code": self.conn.close_sent.code,
                               "reason": self.conn.close_sent.reason})
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self._lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # after our close: read and dropped, so the kernel sends no reset
        self.last_heard = self.loop.time()
        if len(data) == 6 and data[0] == 0x8A and data[1] == 0x80 and _between_frames(self.conn):
            # An empty masked pong, the answer to our keep-alive ping: that it came is all it
            # says (heard, above). Idle connections send nothing else, so this is most of what
            # 5,000 of them cost; websockets' parser is skipped only between two frames.
            return
        super().data_received(data)

    # Keep-alive (KeepAlive above) instead of uvicorn's per-connection timers --------------

    def start_keepalive(self) -> None:
        # uvicorn calls this once, right after it has written the handshake's response: the
        # parsed request and response (with their header lists, ~25 objects the collector
        # walks at every full collection) are not read again for the connection's life. The
        # request's headers are emptied too: websockets' parser keeps the request itself.
        if self.request is not None:
            self.request.headers.clear()
        self.request = self.response = None  # type: ignore[assignment]
        if self.ping_every > 0:
            self.last_heard = self.loop.time()
            self._keepalive = keepalive_for(self.loop, self.ping_every, self.pong_within)
            self._keepalive.add(self)

    def stop_keepalive(self) -> None:
        if self._keepalive is not None:
            self._keepalive.discard(self)
            self._keepalive = None

    def handle_pong(self, event: Frame) -> None:
        pass  # its bytes already counted as heard (data_received)

    def send_ping_frame(self) -> bool:
        return self.raw_write(PING_FRAME)

    def keepalive_failed(self) -> None:
        """No answer to a ping in time: fail the connection with 1011, as uvicorn does."""
        self.stop_keepalive()
        if self.close_sent or self.transport.is_closing():
            return
        self.conn.fail(1011, "keepalive ping timeout")
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.transport.close()

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][ABORT_EXTENSION] = self._abort
            scope["extensions"][RAW_EXTENSION] = self

    def _abort(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()

    # The raw sink the hub uses (chatserver.core.hub.RawSink) -------------------------------------

    @property
    def raw_writable(self) -> bool:
        return self.writable.is_set()

    def raw_write(self, data: bytes) -> bool:
        """Write a framed message; False once the connection is closing or closed."""
        if (self.close_sent or self.disconnected or self.conn.state is not State.OPEN
                or self.transport.is_closing()):
            return False
        self.transport.write(data)
        return True

    def set_drain_callback(self, callback: Callable[[], None] | None) -> None:
        self._on_drain = callback

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._on_drain is not None:
            self._on_drain()

    def connection_lost(self, exc: Exception | None) -> None:
        self._on_drain = None
        super().connection_lost(exc)
        self._release()

    def on_task_complete(self, task: asyncio.Task[None]) -> None:
        super().on_task_complete(task)
        self._app_done = True
        self._release()

    def _release(self) -> None:
        """Once the socket is gone and the application has returned, nothing uses this
        connection again: cut its reference cycles (the transport and this protocol, the scope's
        extensions and this protocol, websockets' parser and its connection) so that reference
        counting frees it at once. Left in cycles, ~30 objects a closed connection waited for
        a full collection, whose pause grows with every object in the heap."""
        if not (self.disconnected and self._app_done):
            return
        self.transport.set_protocol(_CLOSED)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"].pop(ABORT_EXTENSION, None)
            scope["extensions"].pop(RAW_EXTENSION, None)
        self.conn.parser = _closed_parser()


# Connections of this process that have not finished their request headers, per peer address
# (memory only, never logged or stored).
_half_open: dict[str, int] = {}


def half_open(address: str) -> int:
    """How many connections from ``address`` are still sending their request headers."""
    return _half_open.get(address, 0)


class ChatHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for the request headers. Configured by
    ``http_protocol(settings)``."""

    header_timeout = 10.0
    max_half_open = 32
    exempt: frozenset[str] = frozenset()  # trusted proxies: they bring everyone's requests
    exempt_all = False

    _header_timer: asyncio.TimerHandle | None = None
    _counted = ""  # the address this connection counts against while half-open

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if not self._begin_headers():
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_timer is None:  # the next request on a kept-alive connection
            self._begin_headers()

    def on_headers_complete(self) -> None:
        self._end_headers()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_headers()
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        super().handle_websocket_upgrade()
        # The WebSocket protocol has the transport now and this one is never called again.
        # Its parser holds its callbacks (bound methods of this protocol): without the parser,
        # reference counting frees it here instead of a full collection (~22 objects for
        # every WebSocket connection).
        del self.parser

    def _begin_headers(self) -> bool:
        address = self.client[0] if self.client else ""
        if not (self.exempt_all or address in self.exempt):
            if _half_open.get(address, 0) >= self.max_half_open:
                return False
            _half_open[address] = _half_open.get(address, 0) + 1
            self._counted = address
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)
        return True

    def _end_headers(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        if self._counted:
            left = _half_open.pop(self._counted, 1) - 1
            if left > 0:
                _half_open[self._counted] = left
            self._counted = ""

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        self._end_headers()
        if not self.transport.is_closing():
            self.transport.close()


def ws_protocol(*, ping_interval: float, ping_timeout: float) -> type[ChatWebSocketProtocol]:
    """The WebSocket protocol class for uvicorn with the keep-alive settings."""
    return type("ConfiguredChatWebSocketProtocol", (ChatWebSocketProtocol,), {
        "ping_every": ping_interval, "pong_within": ping_timeout})


def http_protocol(*, header_timeout: float, max_half_open: int, trust_proxy_headers: bool,
                  forwarded_allow_ips: str) -> type[ChatHttpProtocol]:
    """The HTTP protocol class for uvicorn with the server's settings."""
    proxies = frozenset(p.strip() for p in forwarded_allow_ips.split(",") if p.strip())
    return type("ConfiguredChatHttpProtocol", (ChatHttpProtocol,), {
        "header_timeout": header_timeout, "max_half_open": max_half_open,
        "exempt": proxies if trust_proxy_headers else frozenset(),
        "exempt_all": trust_proxy_headers and "*" in proxies})
