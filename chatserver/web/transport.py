"""uvicorn's sans-I/O WebSocket protocol with one addition: a way to cut a stuck client.

A client that stops reading fills its TCP window; a polite close would wait on the very buffer
that is full. The hub calls the ``chatserver.abort`` extension instead, which aborts the
transport at once and frees everything queued for that client.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request

ABORT_EXTENSION = "chatserver.abort"


class ChatWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][ABORT_EXTENSION] = self._abort

    def _abort(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()
