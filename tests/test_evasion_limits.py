"""Reconnecting does not get round the limits (issue 17, item 5): new identities, hellos and
joins are limited per client address and per room by token buckets shared across processes
through Redis, and a kick or a ban keeps the address out of the room for a while."""

from __future__ import annotations

import pytest

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)

ROOM = "olohuone"
# Only the limits under test are left at their defaults; the rest are lifted as in FAST.
LIMITS = {**FAST, "hello_rate": 2.0, "hello_burst": 60, "new_identity_rate": 0.1,
          "new_identity_burst": 20, "new_member_rate": 0.2, "new_member_burst": 20,
          "sanction_cooldown_seconds": 120}


async def fresh_poster(ws_url: str, address: str, text: str) -> str:
    """What the issue's loop does: a new socket, hello without a token, join, send."""
    try:
        client = await ChatClient.connect(ws_url, additional_headers={
            "X-Forwarded-For": address})
    except RuntimeError as refused:
        return str(refused).rsplit(" ", 1)[-1]
    try:
        joined = await client.request({"type": "join", "room": ROOM})
        if joined["type"] == "error":
            return joined["code"]
        return (await client.say(ROOM, text))["type"]
    finally:
        await client.close()


async def test_fresh_identities_are_limited_per_address_across_processes(
        start_server, redis_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/evasion.sqlite3"
    proxy = {"trust_proxy_headers": "true", "forwarded_allow_ips": "127.0.0.1"}
    per_address = {**LIMITS, **proxy, "new_member_burst": 10000}  # the room's limit aside
    a = start_server(database_url=db, redis_url=redis_server.url, **per_address)
    b = start_server(database_url=db, redis_url=redis_server.url, **per_address)
    # Alternating between the two processes does not double the allowance.
    outcomes = [await fresh_poster((a, b)[i % 2].ws_url, "203.0.113.5", f"viesti {i}")
                for i in range(30)]
    print(f"\nfresh identities from one address: {outcomes}")
    assert outcomes[:20] == ["ack"] * 20
    assert outcomes[20:] == ["rate_limited"] * 10
    # Another address is not affected, and a known identity may still say hello.
    assert await fresh_poster(b.ws_url, "198.51.100.8", "toinen osoite") == "ack"


async def test_fresh_identities_are_limited_per_room(start_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/room.sqlite3"
    server = start_server(database_url=db, **LIMITS, trust_proxy_headers="true",
                          forwarded_allow_ips="127.0.0.1")
    # From many addresses, a room takes 20 fresh pseudonyms at once, then one in 5 s.
    outcomes = [await fresh_poster(server.ws_url, f"198.51.100.{i + 1}", f"hei {i}")
                for i in range(24)]
    assert outcomes[:20] == ["ack"] * 20 and set(outcomes[20:]) == {"rate_limited"}
    # A person who already has an identity joins as usual.
    first = await ChatClient.connect(server.ws_url, lang="fi")
    await first.close()
    known = await ChatClient.connect(server.ws_url, token=first.token)
    assert (await known.join(ROOM))["type"] == "joined"
    await known.close()


@pytest.mark.parametrize("action", ["kick", "ban"])
async def test_a_kick_or_ban_keeps_the_address_out_for_a_while(start_server, tmp_path,
                                                               action):
    db = f"sqlite+aiosqlite:///{tmp_path}/cooldown.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, **LIMITS, trust_proxy_headers="true",
                          forwarded_allow_ips="127.0.0.1")
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    await add_facilitator(admin, "sanna", [ROOM])
    sanna_http = StaffHttp(server.url)
    await sanna_http.login("sanna", FACILITATOR_PASSWORD)
    sanna = await sanna_http.socket(server.ws_url)
    await sanna.join(ROOM)

    troll = await ChatClient.connect(server.ws_url, additional_headers={
        "X-Forwarded-For": "203.0.113.66"})
    member = (await troll.join(ROOM))["member"]
    done = await sanna.request({"type": "moderate", "room": ROOM, "action": action,
                                "member": member})
    assert done["type"] == "done"
    await troll.wait_for(lambda f: f["type"] == "sanction")
    await troll.close()
    # Straight back with a fresh pseudonym from the same address: refused for a while.
    again = await ChatClient.connect(server.ws_url, additional_headers={
        "X-Forwarded-For": "203.0.113.66"})
    refused = await again.request({"type": "join", "room": ROOM})
    assert (refused["type"], refused["code"]) == ("error", "rate_limited")
    assert 60 < refused["retry_after"] <= 120
    # Other rooms, other addresses and the staff are not affected.
    assert (await again.join("laheiset"))["type"] == "joined"
    other = await ChatClient.connect(server.ws_url, additional_headers={
        "X-Forwarded-For": "198.51.100.9"})
    assert (await other.join(ROOM))["type"] == "joined"
    for c in (again, other, sanna):
        await c.close()
    for s in (admin, sanna_http):
        await s.close()
