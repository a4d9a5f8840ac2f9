"""A staff socket lives as long as the session it was opened with: a logout, a password change
from another session and the session's expiry close it on every process within a second; a
staff cookie counts only with an allowed Origin (issue 17, items 1 and 8)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
import websockets
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)


async def closed_within(ws: ChatClient, seconds: float) -> tuple[int | None, float]:
    started = time.monotonic()
    code, _ = await asyncio.wait_for(ws.closed, seconds + 4)
    return code, time.monotonic() - started


async def warn_works(ws: ChatClient, member: str) -> bool:
    answer = await ws.request({"type": "moderate", "room": "olohuone", "action": "warn",
                               "member": member, "text": "Muistathan säännöt."})
    return answer["type"] == "done"


async def test_logout_and_password_change_close_that_sessions_sockets_on_every_process(
        start_server, redis_server, pg_url):
    password = create_admin({"DATABASE_URL": pg_url})
    a = start_server(database_url=pg_url, redis_url=redis_server.url)
    b = start_server(database_url=pg_url, redis_url=redis_server.url)
    admin = StaffHttp(a.url)
    await admin.login("admin", password)
    await add_facilitator(admin, "sanna", ["olohuone"])
    participant = await ChatClient.connect(a.ws_url)
    member = (await participant.join("olohuone"))["member"]

    # Three sessions of one account: a phone (signing out), a laptop, a tablet.
    phone, laptop, tablet = StaffHttp(a.url), StaffHttp(a.url), StaffHttp(a.url)
    for session in (phone, laptop, tablet):
        assert (await session.login("sanna", FACILITATOR_PASSWORD)).status_code == 200
    phone_on_b = await phone.socket(b.ws_url)
    phone_on_a = await phone.socket(a.ws_url)
    laptop_on_b = await laptop.socket(b.ws_url)
    tablet_on_b = await tablet.socket(b.ws_url)
    for ws in (phone_on_b, phone_on_a, laptop_on_b, tablet_on_b):
        await ws.join("olohuone")
    assert await warn_works(phone_on_b, member)

    assert (await phone.post("/api/auth/logout", {})).status_code == 200
    for ws in (phone_on_b, phone_on_a):
        code, elapsed = await closed_within(ws, 1.0)
        print(f"\nsigned-out session's socket closed after {elapsed:.3f} s")
        assert code == 1008 and elapsed < 1.0
    # The account's other sessions go on.
    assert await warn_works(laptop_on_b, member)
    assert await warn_works(tablet_on_b, member)

    # A password change from the laptop ends every other session: the tablet's socket closes.
    changed = await laptop.post("/api/auth/password", {"old": FACILITATOR_PASSWORD,
                                                       "new": "uusi pitkä salalause kuusi"})
    assert changed.status_code == 200, changed.text
    code, elapsed = await closed_within(tablet_on_b, 1.0)
    assert code == 1008 and elapsed < 1.0
    assert await warn_works(laptop_on_b, member)
    audit = (await admin.http.get("/api/audit")).json()
    assert {"logout", "password_change"} <= {e["action"] for e in audit}
    for c in (participant, laptop_on_b):
        await c.close()
    for s in (admin, phone, laptop, tablet):
        await s.close()


async def test_a_staff_socket_closes_when_its_session_expires(start_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/expiry.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    engine = create_async_engine(db)
    async with engine.begin() as conn:  # the session ends two seconds from now
        await conn.execute(text("UPDATE staff_sessions SET expires_at = :at"),
                           {"at": datetime.now(UTC) + timedelta(seconds=2)})
    await engine.dispose()
    ws = await admin.socket(server.ws_url)
    assert (await ws.join("olohuone"))["role"] == "admin"
    code, elapsed = await closed_within(ws, 3.0)
    assert code == 1008 and elapsed < 3.0
    assert (await admin.http.get("/api/auth/me")).status_code == 401
    await admin.close()


async def test_a_staff_cookie_without_an_origin_opens_no_socket(start_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/origin.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(server.ws_url, additional_headers=admin.cookie_header())
    assert refused.value.response.status_code == 403
    # With the server's own origin the cookie counts; without a cookie no Origin is needed.
    ws = await admin.socket(server.ws_url)
    assert (await ws.join("olohuone"))["role"] == "admin"
    guest = await ChatClient.connect(server.ws_url)
    assert (await guest.join("olohuone"))["role"] == "participant"
    for c in (ws, guest):
        await c.close()
    await admin.close()
