"""What the audit log and an erasure add (issue 17, items 7 and 11): refused staff frames are
audited per connection and minute (counts, never text); erasing a participant closes their live
sockets; opening, extending and closing a session are audited."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from chatserver.testing import FAST, ChatClient, StaffHttp, create_admin
from tests.test_sessions_flow import local_minute, make_room, make_session

ROOM = "olohuone"


@pytest.fixture
async def admin_world(start_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/audit.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, **FAST, abuse_limit=100)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    yield server, admin
    await admin.close()


async def audit(admin: StaffHttp, action: str) -> list[dict]:
    entries = (await admin.http.get("/api/audit")).json()
    return [e for e in entries if e["action"] == action]


async def test_probing_with_staff_frames_is_audited_per_connection(admin_world):
    server, admin = admin_world
    prober = await ChatClient.connect(server.ws_url)
    member = (await prober.join(ROOM))["member"]
    frames = [{"type": "moderate", "room": ROOM, "action": "warn", "member": member,
               "text": "salainen varoitusteksti"}] * 20 + [
        {"type": "session", "room": ROOM, "action": "open"}] * 2 + [
        {"type": "round", "room": ROOM, "action": "start"}] * 2
    for frame in frames:
        answer = await prober.request(frame)
        assert answer["code"] == "forbidden"
    assert await audit(admin, "forbidden_attempts") == []  # gathered, not one per frame
    await prober.close()
    deadline = time.monotonic() + 5
    while not (entries := await audit(admin, "forbidden_attempts")):
        assert time.monotonic() < deadline, "no audit entry after the connection closed"
        await asyncio.sleep(0.1)
    [entry] = entries
    assert entry["detail"]["count"] == 24
    assert entry["detail"]["frames"] == {"moderate": 20, "session": 2, "round": 2}
    assert (entry["room"], entry["target"], entry["actor_id"]) == (ROOM, member, "participant")
    assert "salainen" not in json.dumps(entry)


async def test_erasing_a_participant_closes_their_sockets(admin_world):
    server, admin = admin_world
    person = await ChatClient.connect(server.ws_url)
    member = (await person.join(ROOM))["member"]
    await person.say(ROOM, "poistettava viesti")
    other_tab = await ChatClient.connect(server.ws_url, token=person.token)
    started = time.monotonic()
    erased = await admin.post("/api/erase", {"room": ROOM, "member": member})
    assert erased.status_code == 200, erased.text
    for ws in (person, other_tab):
        code, _ = await asyncio.wait_for(ws.closed, 5)
        assert code == 1008
    assert time.monotonic() - started < 2.0
    with pytest.raises(RuntimeError, match="invalid_token"):
        await ChatClient.connect(server.ws_url, token=person.token)


async def test_opening_extending_and_closing_a_session_are_audited(admin_world):
    server, admin = admin_world
    await make_room(admin, "ilta")
    session = await make_session(admin, "ilta", local_minute(10), 60)
    ws = await admin.socket(server.ws_url)
    await ws.join("ilta")
    for frame in ({"action": "open"}, {"action": "extend", "minutes": 15},
                  {"action": "close"}):
        answer = await ws.request({"type": "session", "room": "ilta", **frame})
        assert answer["type"] == "done", answer
    entries = {e["action"]: e for e in (await admin.http.get("/api/audit")).json()}
    for action in ("session_open", "session_extend", "session_close"):
        assert entries[action]["room"] == "ilta"
        assert entries[action]["detail"]["session"] == session["id"]
        assert entries[action]["actor_name"] == "Ylläpito"
    assert entries["session_extend"]["detail"]["minutes"] == 15
    await ws.close()
