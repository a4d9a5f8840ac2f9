"""Ground rules are accepted on the server (issue 18, item 5): a client that joins without the
page cannot skip them, acceptance is remembered, and changed rules are asked again."""

from __future__ import annotations

import pytest

from chatserver.testing import ChatClient, StaffHttp, create_admin

RULES = {"fi": "Puhu omasta kokemuksestasi.", "sv": "Tala om din egen erfarenhet.",
         "en": "Speak from your own experience."}


@pytest.fixture
async def world(start_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/rules.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    changed = await admin.patch("/api/rooms/olohuone", {"ground_rules": RULES})
    assert changed.status_code == 200, changed.text
    yield server, admin
    await admin.close()


async def rules_version(server_url: str) -> str:
    import httpx

    async with httpx.AsyncClient(base_url=server_url) as http:
        rooms = (await http.get("/api/rooms")).json()
    return next(r["rules_version"] for r in rooms if r["id"] == "olohuone")


async def test_rules_cannot_be_skipped_and_are_asked_again_when_they_change(world):
    server, admin = world
    version = await rules_version(server.url)
    person = await ChatClient.connect(server.ws_url)
    skipped = await person.join("olohuone", accept_rules=False)
    assert (skipped["type"], skipped["code"], skipped["reason"]) == (
        "error", "rules_not_accepted", version)
    wrong = await person.request({"type": "join", "room": "olohuone", "rules": "0" * 12})
    assert wrong["code"] == "rules_not_accepted"
    accepted = await person.request({"type": "join", "room": "olohuone", "rules": version})
    assert (accepted["type"], accepted["rules_version"], accepted["rules"]) == (
        "joined", version, RULES)
    await person.close()
    # Recorded: the same person (token) comes back on a new connection without the page.
    again = await ChatClient.connect(server.ws_url, token=person.token)
    assert (await again.join("olohuone", accept_rules=False))["type"] == "joined"
    await again.close()
    # An admin changes the rules: everyone is asked again, with the new version.
    new_rules = {**RULES, "fi": "Puhu omasta kokemuksestasi. Ei neuvoja pyytämättä."}
    assert (await admin.patch("/api/rooms/olohuone", {"ground_rules": new_rules})).status_code \
        == 200
    newer = await rules_version(server.url)
    assert newer != version
    back = await ChatClient.connect(server.ws_url, token=person.token)
    asked = await back.join("olohuone", accept_rules=False)
    assert (asked["code"], asked["reason"]) == ("rules_not_accepted", newer)
    assert (await back.request({"type": "join", "room": "olohuone", "rules": newer}))["type"] \
        == "joined"
    await back.close()


async def test_staff_and_rooms_without_rules_need_no_acceptance(world):
    server, admin = world
    staff_socket = await admin.socket(server.ws_url)
    assert (await staff_socket.join("olohuone", accept_rules=False))["type"] == "joined"
    person = await ChatClient.connect(server.ws_url)
    no_rules = {"ground_rules": {}}
    assert (await admin.patch("/api/rooms/olohuone", no_rules)).status_code == 200
    assert await rules_version(server.url) is None
    assert (await person.join("olohuone", accept_rules=False))["type"] == "joined"
    for ws in (staff_socket, person):
        await ws.close()
