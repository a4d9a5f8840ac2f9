"""A facilitator whose rooms an admin changes stays on the alert stream: the session is still
valid, so the sockets close with a code the console reconnects on (1012), and the console,
authorised afresh with the same cookie, gets the alerts of its new rooms. Disabling an account
and signing out still close for good (1008). Two real processes with Redis and PostgreSQL."""

from __future__ import annotations

import asyncio

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    RedisServer,
    StaffHttp,
    add_facilitator,
    create_admin,
)
from tests.conftest import ServerFactory


async def test_a_changed_facilitator_reconnects_with_the_new_rooms_and_gets_their_alerts(
        start_server: ServerFactory, redis_server: RedisServer, pg_url: str) -> None:
    password = create_admin({"DATABASE_URL": pg_url})
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    admin = StaffHttp(a.url)
    await admin.login("admin", password)
    account = await add_facilitator(admin, "kalle", ["olohuone"])
    kalle = StaffHttp(b.url)
    await kalle.login("kalle", FACILITATOR_PASSWORD)
    ws = await kalle.socket(b.ws_url)
    await ws.join("olohuone")
    sockets = [ws]

    # The admin (on the other process) gives Kalle a second room.
    changed = await admin.patch(f"/api/staff/{account}", {"rooms": ["olohuone", "laheiset"]})
    assert changed.status_code == 200
    code, reason = await asyncio.wait_for(ws.closed, 5)
    # Not 1008: the browser client does not reconnect on 1008, and the console would be
    # off the alert stream for good.
    assert (code, reason) == (1012, "rooms changed")

    # The console reconnects with the same cookie: still signed in, with the new rooms.
    again = await kalle.socket(b.ws_url)
    sockets.append(again)
    welcome = again.frames[0]
    assert (welcome["role"], sorted(welcome["rooms"])) == ("facilitator", ["laheiset", "olohuone"])
    person = await ChatClient.connect(a.ws_url)
    sockets.append(person)
    await person.join("laheiset")
    await person.request({"type": "help", "room": "laheiset"})
    alert = await again.wait_for(lambda f: f["type"] == "alert", timeout=5)
    assert (alert["alert"]["room"], alert["alert"]["kind"]) == ("laheiset", "help")

    # A room taken away: closed (1012) again, and the fresh socket may not join it.
    assert (await admin.patch(f"/api/staff/{account}", {"rooms": ["laheiset"]})).status_code \
        == 200
    assert (await asyncio.wait_for(again.closed, 5))[0] == 1012
    third = await kalle.socket(b.ws_url)
    sockets.append(third)
    assert third.frames[0]["rooms"] == ["laheiset"]
    assert (await third.join("olohuone"))["code"] == "forbidden"
    assert (await third.join("laheiset"))["role"] == "facilitator"

    # Signing out still closes for good (1008), and so does disabling the account.
    await kalle.post("/api/auth/logout", {})
    assert (await asyncio.wait_for(third.closed, 5))[0] == 1008
    await kalle.login("kalle", FACILITATOR_PASSWORD)
    fourth = await kalle.socket(b.ws_url)
    sockets.append(fourth)
    assert (await admin.patch(f"/api/staff/{account}", {"disabled": True})).status_code == 200
    assert (await asyncio.wait_for(fourth.closed, 5))[0] == 1008
    for socket in sockets:
        await socket.close()
    await admin.close()
    await kalle.close()
