"""The socket loop: read a frame, hand it to the chat service, answer errors. Thin on purpose."""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.websockets import WebSocket, WebSocketDisconnect

from chatserver.core import metrics
from chatserver.core.hub import Client
from chatserver.core.limits import ConnectionLimits
from chatserver.core.service import ChatService, protocol_error
from chatserver.core.staff import utcnow
from chatserver.domain.errors import BackendUnavailable, ErrorCode, ProtocolError
from chatserver.domain.protocol import ClientFrame, decode_client_frame, error_frame, frame_id
from chatserver.storage.errors import DatabaseError
from chatserver.web.auth import COOKIE, address_key, staff_from_cookie
from chatserver.web.security import origin_allowed
from chatserver.web.transport import ABORT_EXTENSION, RAW_EXTENSION, half_open
from moderation.ratelimit import StrikeCounter

log = logging.getLogger("chatserver.ws")

POLICY_VIOLATION = 1008
# The server's own failures are not held against the client.
_NOT_STRIKES = frozenset({ErrorCode.UNAVAILABLE, ErrorCode.INTERNAL})


async def websocket_endpoint(ws: WebSocket) -> None:
    service: ChatService = ws.app.state.server.chat
    settings = service.settings
    if not origin_allowed(ws.headers, settings.allowed_origins) or (
            COOKIE in ws.cookies and "origin" not in ws.headers):
        # Before accept: the handshake gets 403. A staff cookie is honoured only from a page
        # of an allowed origin: a client that sends the cookie without any Origin could be
        # anything holding a stolen cookie, and a browser always sends one.
        await ws.close(code=POLICY_VIOLATION)
        return
    await ws.accept()
    address = ws.client.host if ws.client else ""
    # Connections from the address still sending their headers count against the cap too.
    if not service.hub.admit_address(
            address, settings.max_connections_per_client - half_open(address)):
        await ws.send_text(error_frame(ErrorCode.TOO_MANY_CONNECTIONS))
        await ws.close(code=POLICY_VIOLATION, reason="too many connections")
        metrics.FRAME_ERRORS.labels(ErrorCode.TOO_MANY_CONNECTIONS.value).inc()
        return
    try:
        await _serve(ws, service)
    finally:
        service.hub.release_address(address)


async def _serve(ws: WebSocket, service: ChatService) -> None:
    settings = service.settings
    extensions = ws.scope.get("extensions", {})
    abort = extensions.get(ABORT_EXTENSION)

    async def close(code: int, reason: str) -> None:
        await ws.close(code, reason)

    client = Client(ws.send_text, close, abort, queue_size=settings.send_queue_frames,
                    process_key=service.process_key, limits=ConnectionLimits(settings),
                    raw=extensions.get(RAW_EXTENSION))
    try:
        staff = await staff_from_cookie(ws)
    except (DatabaseError, OSError):
        await ws.close(code=1013, reason="try again later")  # fail closed, not as a guest
        return
    client.address_key = address_key(ws.app.state.hit_key, ws.client.host if ws.client else "")
    expiry: asyncio.TimerHandle | None = None
    if staff is not None:
        client.staff, client.staff_session = staff.account, staff.session_id
        # The session's end closes the socket, as a logout does.
        expiry = asyncio.get_running_loop().call_later(
            max(0.0, (staff.expires_at - utcnow()).total_seconds()),
            client.close_after_queue, POLICY_VIOLATION, "session expired")
    service.hub.register(client)
    client.start()
    strikes = StrikeCounter(settings.abuse_limit, settings.abuse_window)
    try:
        while True:
            if client.identity is None:
                try:
                    # A deadline on this task, not wait_for's extra task per frame: set-up
                    # is the cost when everyone arrives at the hour (issue 20).
                    async with asyncio.timeout(settings.hello_timeout):
                        message = await ws.receive()
                except TimeoutError:
                    client.offer(error_frame(ErrorCode.HELLO_REQUIRED))
                    client.close_after_queue(POLICY_VIOLATION, "no hello")
                    break
            else:
                message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            error: str | None
            if text is None:
                error = error_frame(ErrorCode.BINARY_NOT_SUPPORTED)
                code = ErrorCode.BINARY_NOT_SUPPORTED
            else:
                code, error = await _handle_text(service, client, text)
            if error is None:
                continue
            metrics.FRAME_ERRORS.labels(code.value).inc()
            client.offer(error)
            if code not in _NOT_STRIKES and strikes.hit(time.monotonic()):
                client.close_after_queue(POLICY_VIOLATION, "too many bad frames")
                break
    except WebSocketDisconnect:
        pass
    finally:
        if expiry is not None:
            expiry.cancel()
        if client.writer is not None and not client.writer.done():
            # Let a pending 1008 close (or the last error frames) go out, briefly.
            try:
                await asyncio.wait_for(asyncio.shield(client.writer), 1.0)
            except (TimeoutError, asyncio.CancelledError, Exception):
                pass
        service.hub.unregister(client)
        await service.disconnect(client)


async def _handle_text(service: ChatService, client: Client,
                       text: str) -> tuple[ErrorCode, str | None]:
    frame: ClientFrame | None = None
    try:
        frame = decode_client_frame(text, max_bytes=service.settings.max_frame_bytes)
        await service.handle(client, frame)
    except ProtocolError as exc:
        if frame is None:
            fid = frame_id(text) if exc.code is not ErrorCode.FRAME_TOO_LARGE else None
            return exc.code, error_frame(exc.code, id=fid, retry_after=exc.retry_after)
        return exc.code, protocol_error(exc, frame)
    except (BackendUnavailable, DatabaseError, OSError) as exc:
        log.warning("frame not carried out: backend unavailable",
                    extra={"error": type(exc).__name__})
        return ErrorCode.UNAVAILABLE, error_frame(
            ErrorCode.UNAVAILABLE, id=getattr(frame, "id", None),
            room=getattr(frame, "room", None))
    except Exception:
        # A bug must not cost the person their connection (no 1011), nor leak a traceback:
        # they get `internal`, the log gets the class and where (never the text).
        log.exception("frame failed", extra={"frame": type(frame).__name__})
        return ErrorCode.INTERNAL, error_frame(
            ErrorCode.INTERNAL, id=getattr(frame, "id", None),
            room=getattr(frame, "room", None))
    return ErrorCode.INTERNAL, None
