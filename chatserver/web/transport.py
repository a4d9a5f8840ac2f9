"""uvicorn's sans-I/O WebSocket protocol with two additions for the hub.

- ``chatserver.abort``: a client that stops reading fills its TCP window, and a polite close
  would wait on the very buffer that is full; aborting the transport frees everything at once.
- RFC 6455 details that Autobahn|Testsuite checks (tests/conformance): a peer may close in
  the middle of a fragmented message (the close is answered normally, not failed with 1002),
  and a text message that is not UTF-8 closes with 1007 quietly (a client's bad bytes are
  not an error of the server's, and uvicorn's log line would carry the exception's text).
- ``chatserver.raw``: write an already framed server message straight to the transport. A
  broadcast is framed once (server frames are not masked, so the bytes are the same for every
  member) and the same bytes go to every member, with no task switch or ASGI message per
  delivery. The hub keeps its own bounded backlog while the transport is paused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

ABORT_EXTENSION = "chatserver.abort"
RAW_EXTENSION = "chatserver.raw"


class _ServerProtocol(ServerProtocol):
    def recv_frame(self, frame: Frame) -> None:
        if frame.opcode is Opcode.CLOSE and self.current_size is not None:
            # Control frames may arrive between fragments (RFC 6455 5.4): a peer that closes
            # mid-message abandons it, and its close is answered like any other.
            self.current_size = None
        super().recv_frame(frame)


class ChatWebSocketProtocol(WebSocketsSansIOProtocol):
    _on_drain: Callable[[], None] | None = None

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
