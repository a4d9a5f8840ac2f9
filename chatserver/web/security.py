"""Security headers on every HTTP response and the WebSocket Origin check."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import unquote_to_bytes, urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatserver.broker.errors import BrokerError
from chatserver.domain.errors import BackendUnavailable
from chatserver.domain.protocol import has_control
from chatserver.storage.errors import DatabaseError

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")

_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
_INTERNAL = b'{"error":"internal"}'
_UNAVAILABLE = b'{"error":"unavailable"}'
# A database or Redis that is away: the request may be tried again, as on the WebSocket.
_AWAY = (BackendUnavailable, DatabaseError, BrokerError, OSError)

log = logging.getLogger("chatserver.http")


class SecurityHeaders:
    """Pure ASGI middleware (no per-request objects on the WebSocket path). It also answers a
    handler's exception itself, so that the answer carries the headers too and the log gets
    the class name only (an exception's text can quote SQL parameters or user input): 503
    `unavailable` with Retry-After when the database or Redis is away, else 500."""

    def __init__(self, app: ASGIApp, *, trust_forwarded_proto: bool = False) -> None:
        self.app = app
        self.trust_forwarded_proto = trust_forwarded_proto

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = _control_in_url(scope)
        if field is not None:
            # A control character in the path or the query (%00...) is refused before any
            # route sees it: no database ever gets one.
            body = b'{"error":"invalid_field","field":"%s"}' % field.encode()
            await send({"type": "http.response.start", "status": 400, "headers": [
                (b"content-type", b"application/json"), (b"cache-control", b"no-store"),
                *_HEADERS]})
            await send({"type": "http.response.body", "body": body})
            return
        tls = scope.get("scheme") == "https"
        if not tls and self.trust_forwarded_proto:
            tls = Headers(scope=scope).get("x-forwarded-proto") == "https"

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in _HEADERS if h[0] not in present)
                if tls:
                    headers.append(_HSTS)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except _AWAY as exc:
            log.warning("request failed: a backend is away", extra={"error": type(exc).__name__})
            if started:
                raise
            await send_with_headers({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"application/json"), (b"cache-control", b"no-store"),
                (b"retry-after", b"5")]})
            await send_with_headers({"type": "http.response.body", "body": _UNAVAILABLE})
        except Exception:
            log.exception("request failed")
            if started:
                raise
            await send_with_headers({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", b"application/json"), (b"cache-control", b"no-store")]})
            await send_with_headers({"type": "http.response.body", "body": _INTERNAL})


def _control_in_url(scope: Scope) -> str | None:
    if has_control(scope.get("path", "")):
        return "path"
    query = scope.get("query_string", b"")
    if query and has_control(unquote_to_bytes(query).decode("utf-8", "replace")):
        return "query"
    return None


def origin_allowed(headers: Headers, allowed: Iterable[str]) -> bool:
    """A browser always sends Origin: it must be this server or an allowed origin. A client
    without Origin is not a browser, so no cross-site page can be behind it."""
    origin = headers.get("origin")
    if origin is None:
        return True
    if origin in allowed:
        return True
    host = headers.get("host")
    parts = urlsplit(origin)
    return bool(host) and parts.scheme in ("http", "https") and parts.netloc == host
