"""uvicorn's sans-I/O WebSocket protocol with two additions for the hub.

- ``chatserver.abort``: a client that stops reading fills its TCP window, and a polite close
  would wait on the very buffer that is full; aborting the transport frees everything at once.
- ``chatserver.raw``: write an already framed server message straight to the transport. A
  broadcast is framed once (server frames are not masked, so the bytes are the same for every
  member) and the same bytes go to every member, with no task switch or ASGI message per
  delivery. The hub keeps its own bounded backlog while the transport is paused.
"""

from __future__ import annotations

from collections.abc import Callable

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

ABORT_EXTENSION = "chatserver.abort"
RAW_EXTENSION = "chatserver.raw"


class ChatWebSocketProtocol(WebSocketsSansIOProtocol):
    _on_drain: Callable[[], None] | None = None

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][ABORT_EXTENSION] = self._abort
            scope["extensions"][RAW_EXTENSION] = self

    def _abort(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()

    # The raw sink the hub uses (chatserver.hub.RawSink) -------------------------------------

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
