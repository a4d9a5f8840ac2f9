"""Staff sign-in over HTTP: login, logout, who am I, password change; staff and audit admin.

Cookies are HttpOnly, SameSite=Strict, and Secure when served over TLS. Every state-changing
request made with the cookie must carry the session's CSRF token in ``X-CSRF-Token`` and, if
the browser sent an Origin, come from this server.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatserver.broker.base import Broker
from chatserver.core.staff import (
    SESSION_HOURS,
    StaffError,
    StaffService,
    normalise_username,
    utcnow,
)
from chatserver.domain.errors import BackendUnavailable
from chatserver.domain.protocol import has_control
from chatserver.storage.staff import AccountRecord
from chatserver.web.security import origin_allowed
from moderation import permissions
from moderation.permissions import Action
from moderation.types import Role

COOKIE = "chat_staff"
# Failed sign-ins are counted in windows of LOGIN_WINDOW seconds (OWASP's authentication cheat
# sheet): per username and client address, so a guesser is stopped without locking the owner
# out from another address; per client address over every username (password spraying); and
# per username from everywhere, with a much higher ceiling (a guess spread over many
# addresses). A successful sign-in never counts. Usernames count whether or not the account
# exists, so the limits reveal nothing.
LOGIN_WINDOW = 900
LOGIN_FAILURES_PER_USER_AND_CLIENT = 5
LOGIN_FAILURES_PER_CLIENT = 30
LOGIN_FAILURES_PER_USER = 50
# Each further failure of one username from one address is answered later: 0.5 s after the
# third, then twice as long each time, up to LOGIN_DELAY_MAX.
LOGIN_DELAY_MAX = 4.0


@dataclass(frozen=True, slots=True)
class StaffContext:
    account: AccountRecord
    token: str
    csrf: str
    expires_at: datetime

    @property
    def session_id(self) -> str:
        return session_id(self.token)


def session_id(token: str) -> str:
    """What a socket remembers of the staff session it was opened with, and what a logout
    names in its control event: a hash that is neither the cookie nor the stored key."""
    return hashlib.sha256(b"socket-session\x00" + token.encode()).hexdigest()[:24]


class Denied(Exception):
    def __init__(self, status: int, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.status, self.code, self.extra = status, code, extra

    def response(self) -> Response:
        return JSONResponse({"error": self.code, **self.extra}, status_code=self.status,
                            headers={"cache-control": "no-store"})


def _services(conn: HTTPConnection) -> tuple[StaffService, Broker, bytes]:
    state = conn.app.state
    return state.staff, state.broker, state.hit_key


async def staff_from_cookie(conn: HTTPConnection) -> StaffContext | None:
    token = conn.cookies.get(COOKIE)
    if not token or len(token) > 128:
        return None
    staff, _, _ = _services(conn)
    found = await staff.store.session(token, utcnow())
    if found is None:
        return None
    return StaffContext(found[0], token, found[1], found[2])


def actor(ctx: StaffContext) -> permissions.Actor:
    return permissions.Actor(Role(ctx.account.role), ctx.account.rooms, ctx.account.disabled)


async def require_staff(request: Request, action: Action | None = None,
                        room: str | None = None) -> StaffContext:
    """The signed-in staff member, if the permission rules let them take ``action`` (in
    ``room``); state changes also need the CSRF token and this server's origin."""
    ctx = await staff_from_cookie(request)
    if ctx is None:
        raise Denied(401, "not_signed_in")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        sent = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(sent.encode(), ctx.csrf.encode()):
            raise Denied(403, "csrf_failed")
        if not origin_allowed(request.headers, request.app.state.settings.allowed_origins):
            raise Denied(403, "csrf_failed")
    if action is not None and not permissions.may(actor(ctx), action, room):
        raise Denied(403, "forbidden")
    return ctx


async def read_json(request: Request) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(await request.body())
    except msgspec.DecodeError:
        raise Denied(400, "bad_json") from None
    if not isinstance(body, dict):
        raise Denied(400, "bad_json")
    for key, value in body.items():
        if _holds_control(key) or _holds_control(value):
            raise Denied(400, "invalid_field", field=key if not has_control(key) else "")
    return body


def _holds_control(value: object, depth: int = 0) -> bool:
    """A control character anywhere in a JSON value (tab and newline pass here; one-line
    fields refuse them in ``str_field``)."""
    if isinstance(value, str):
        return has_control(value, multiline=True)
    if depth > 32:
        return True
    if isinstance(value, list):
        return any(_holds_control(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return any(_holds_control(k, depth + 1) or _holds_control(v, depth + 1)
                   for k, v in value.items())
    return False


def str_field(body: dict[str, Any], key: str, *, limit: int = 256) -> str:
    value = body.get(key)
    if not isinstance(value, str) or len(value) > limit or has_control(value):
        raise Denied(400, "invalid_field", field=key)
    return value


def id_param(raw: str | None) -> int | None:
    """A numeric id from a URL, or None: ASCII digits only (``str.isdigit`` also accepts
    "²", which ``int`` refuses) and small enough for the database's integers."""
    if raw and len(raw) <= 15 and raw.isascii() and raw.isdigit():
        return int(raw)
    return None


def client_key(request: Request, secret: bytes) -> str:
    """A keyed hash of the client's address: enough to count attempts, useless to anyone
    who reads Redis. The address itself is never stored or logged."""
    settings = request.app.state.settings
    address = request.client.host if request.client else ""
    if settings.trust_proxy_headers:
        address = request.headers.get("x-forwarded-for", address).split(",")[0].strip()
    return address_key(secret, address)


def address_key(secret: bytes, address: str) -> str:
    return hmac.new(secret, b"client:" + address.encode(), hashlib.sha256).hexdigest()[:32]


async def login(request: Request) -> Response:
    try:
        body = await read_json(request)
        username, password = str_field(body, "username"), str_field(body, "password", limit=1024)
        staff, broker, secret = _services(request)
        account = await _limited_authenticate(broker, staff, request, secret, username, password)
        signed = await staff.sign_in(account, utcnow())
        await staff.store.audit(actor_id=account.id, actor_name=account.display_name,
                                action="login")
    except Denied as denied:
        return denied.response()
    except BackendUnavailable:
        return Denied(503, "unavailable").response()
    response = JSONResponse({"account": await _account(request, account), "csrf": signed.csrf},
                            headers={"cache-control": "no-store"})
    response.set_cookie(COOKIE, signed.token, max_age=SESSION_HOURS * 3600, httponly=True,
                        samesite="strict", secure=_tls(request), path="/")
    return response


async def _limited_authenticate(broker: Broker, staff: StaffService, request: Request,
                                secret: bytes, username: str, password: str) -> AccountRecord:
    """The account, if the password is right and no failure limit is reached; raises Denied
    (429 with ``retry_after``, or 401 after the progressive delay) otherwise."""
    user = hashlib.sha256(normalise_username(username).encode()).hexdigest()[:32]
    client = client_key(request, secret)
    keys = {f"login:uc:{user}:{client}": LOGIN_FAILURES_PER_USER_AND_CLIENT,
            f"login:c:{client}": LOGIN_FAILURES_PER_CLIENT,
            f"login:u:{user}": LOGIN_FAILURES_PER_USER}
    counts = {key: await broker.hit(key, LOGIN_WINDOW, amount=0) for key in keys}
    refused = [retry for key, (count, retry) in counts.items() if count >= keys[key]]
    if refused:
        raise Denied(429, "too_many_attempts", retry_after=max(1, round(max(refused))))
    # Counted before the (slow) check, so that parallel guesses count too; given back when
    # the password was right.
    for key in keys:
        await broker.hit(key, LOGIN_WINDOW)
    account = await staff.authenticate(username, password)
    if account is not None:
        for key in keys:
            await broker.hit(key, LOGIN_WINDOW, amount=-1)
        pair = next(iter(keys))
        if counts[pair][0]:  # the owner got in from here: earlier typos are forgiven
            await broker.hit(pair, LOGIN_WINDOW, amount=-counts[pair][0])
        return account
    failures = counts[next(iter(keys))][0] + 1
    if failures >= 3:
        await asyncio.sleep(min(LOGIN_DELAY_MAX, 0.5 * 2 ** (failures - 3)))
    raise Denied(401, "invalid_credentials")


def _tls(request: Request) -> bool:
    if request.url.scheme == "https":
        return True
    return bool(request.app.state.settings.trust_proxy_headers
                and request.headers.get("x-forwarded-proto") == "https")


async def logout(request: Request) -> Response:
    try:
        ctx = await require_staff(request)
    except Denied as denied:
        return denied.response()
    staff, broker, _ = _services(request)
    await staff.store.close_session(ctx.token)
    # The sockets opened with this session close on every process (the others stay).
    await broker.publish_control(msgspec.json.encode(
        {"kind": "staff_session_closed", "session": ctx.session_id}))
    await staff.store.audit(actor_id=ctx.account.id, actor_name=ctx.account.display_name,
                            action="logout")
    response = JSONResponse({"status": "signed_out"})
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=_tls(request))
    return response


async def me(request: Request) -> Response:
    try:
        ctx = await require_staff(request)
    except Denied as denied:
        return denied.response()
    return JSONResponse({"account": await _account(request, ctx.account), "csrf": ctx.csrf},
                        headers={"cache-control": "no-store"})


async def _account(request: Request, account: AccountRecord) -> dict[str, Any]:
    """The account as its owner sees it, with whether they may give one-to-one support
    (the console shows that panel only then)."""
    one_to_one = await request.app.state.server.one_to_one.config.may_support(account)
    return {**account.public(), "one_to_one": one_to_one}


async def change_password(request: Request) -> Response:
    try:
        ctx = await require_staff(request)
        body = await read_json(request)
        staff, broker, _ = _services(request)
        await staff.change_password(ctx.account, str_field(body, "old", limit=1024),
                                    str_field(body, "new", limit=1024), keep_session=ctx.token)
        # Every other session of the account ended: their sockets close on every process.
        await broker.publish_control(msgspec.json.encode(
            {"kind": "staff_session_closed", "account": ctx.account.id,
             "keep": ctx.session_id}))
        await staff.store.audit(actor_id=ctx.account.id, actor_name=ctx.account.display_name,
                                action="password_change", target=ctx.account.id)
    except Denied as denied:
        return denied.response()
    except StaffError as exc:
        return _staff_error(exc)
    return JSONResponse({"status": "changed"})


def _staff_error(exc: StaffError) -> Response:
    extra = {"reason": exc.reason} if exc.reason else {}
    return Denied(400, exc.code, **extra).response()


async def list_staff(request: Request) -> Response:
    try:
        await require_staff(request, Action.MANAGE_STAFF)
    except Denied as denied:
        return denied.response()
    staff, _, _ = _services(request)
    return JSONResponse([a.public() for a in await staff.store.all()],
                        headers={"cache-control": "no-store"})


async def create_staff(request: Request) -> Response:
    try:
        ctx = await require_staff(request, Action.MANAGE_STAFF)
        body = await read_json(request)
        staff, _, _ = _services(request)
        account = await staff.create(str_field(body, "username", limit=64),
                                     str_field(body, "display_name", limit=64),
                                     str_field(body, "password", limit=1024),
                                     str_field(body, "role", limit=16))
        await staff.store.audit(actor_id=ctx.account.id, actor_name=ctx.account.display_name,
                                action="staff_create", target=account.id,
                                detail={"role": account.role})
    except Denied as denied:
        return denied.response()
    except StaffError as exc:
        return _staff_error(exc)
    return JSONResponse(account.public(), status_code=201)


async def update_staff(request: Request) -> Response:
    try:
        ctx = await require_staff(request, Action.MANAGE_STAFF)
        body = await read_json(request)
        staff, broker, _ = _services(request)
        account = await staff.store.by_id(request.path_params["account_id"])
        if account is None:
            raise Denied(404, "not_found")
        if "disabled" in body:
            if not isinstance(body["disabled"], bool):
                raise Denied(400, "invalid_field", field="disabled")
            if account.id == ctx.account.id:
                raise Denied(400, "cannot_disable_self")
            await staff.store.set_disabled(account.id, body["disabled"])
            if body["disabled"]:
                # Every process closes this account's sockets at once.
                await broker.publish_control(msgspec.json.encode(
                    {"kind": "staff_disabled", "account": account.id}))
                # What it had taken is open again for the others at once, and each person
                # hears that the facilitator who saw their call had to leave (not a minute
                # later, as if they might come back; conversations: the one-to-one feature).
                await request.app.state.server.alerts.release_all_of(account.id)
            await staff.store.audit(actor_id=ctx.account.id, actor_name=ctx.account.display_name,
                                    action="staff_disable" if body["disabled"] else "staff_enable",
                                    target=account.id)
        if "rooms" in body:
            rooms = body["rooms"]
            known = {r.id for r in await request.app.state.server.directory.all()}
            if not isinstance(rooms, list) or not all(isinstance(r, str) and r in known
                                                      for r in rooms):
                raise Denied(400, "invalid_field", field="rooms")
            await staff.store.set_rooms(account.id, set(rooms))
            # Every process closes this account's sockets with 1012 (not a sign-out): the
            # console reconnects at once, authorised with its new rooms.
            await broker.publish_control(msgspec.json.encode(
                {"kind": "staff_changed", "account": account.id}))
            await staff.store.audit(actor_id=ctx.account.id, actor_name=ctx.account.display_name,
                                    action="staff_assign", target=account.id,
                                    detail={"rooms": sorted(rooms)})
        updated = await staff.store.by_id(account.id)
    except Denied as denied:
        return denied.response()
    assert updated is not None
    return JSONResponse(updated.public())


async def audit_log(request: Request) -> Response:
    try:
        await require_staff(request, Action.READ_AUDIT)
    except Denied as denied:
        return denied.response()
    staff, _, _ = _services(request)
    entries = await staff.store.audit_log(before_id=id_param(request.query_params.get("before")))
    return JSONResponse(entries, headers={"cache-control": "no-store"})


ROUTES = [
    Route("/api/auth/login", login, methods=["POST"]),
    Route("/api/auth/logout", logout, methods=["POST"]),
    Route("/api/auth/me", me, methods=["GET"]),
    Route("/api/auth/password", change_password, methods=["POST"]),
    Route("/api/staff", list_staff, methods=["GET"]),
    Route("/api/staff", create_staff, methods=["POST"]),
    Route("/api/staff/{account_id}", update_staff, methods=["PATCH"]),
    Route("/api/audit", audit_log, methods=["GET"]),
]
