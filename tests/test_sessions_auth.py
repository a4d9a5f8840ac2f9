"""Who may configure rooms and schedules and run sessions, over HTTP and the WebSocket: a
participant cannot, a facilitator of room A cannot touch room B's sessions (ids in URLs reveal
nothing), a facilitator cannot edit rooms. One process, SQLite."""

from __future__ import annotations

import asyncio
from datetime import time, timedelta

import pytest

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)
from tests.calendar_dates import helsinki_to_utc, iso_utc, today_in_helsinki
from tests.test_sessions_flow import local_minute, make_room, make_session, wait_state

A_WEEK_AHEAD = today_in_helsinki() + timedelta(weeks=1)


@pytest.fixture
async def world(start_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/auth.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, session_timer_seconds=0.3, **FAST)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    await make_room(admin, "room-a")
    await make_room(admin, "room-b")
    await add_facilitator(admin, "anna", ["room-a"])
    await add_facilitator(admin, "bertta", ["room-b"])
    anna = StaffHttp(server.url)
    await anna.login("anna", FACILITATOR_PASSWORD)
    sessions = {room: await make_session(admin, room, local_minute(5), 60)
                for room in ("room-a", "room-b")}
    yield server, admin, anna, sessions
    await admin.close()
    await anna.close()


async def test_facilitator_cannot_configure_rooms_or_schedules(world):
    server, admin, anna, _ = world
    schedule = {"frequency": "weekly", "start_date": str(A_WEEK_AHEAD), "start_time": "18:00",
                "duration_minutes": 90}
    attempts = [
        await anna.post("/api/rooms", {"id": "new-room", "names": {"fi": "X"},
                                       "kind": "guided"}),
        await anna.patch("/api/rooms/room-a", {"capacity": 3}),
        await anna.post("/api/rooms/room-a/schedules", schedule),
        await anna.post("/api/rooms/room-a/sessions",
                        {"start": local_minute(60), "duration_minutes": 30}),
        await anna.post("/api/schedules/preview", schedule),
    ]
    assert [r.status_code for r in attempts] == [403] * 5
    assert (await admin.http.get("/api/rooms/room-a")).json()["capacity"] == 50
    # Nobody signed in: 401 everywhere, also for reading.
    outsider = StaffHttp(server.url)
    assert (await outsider.post("/api/rooms/room-a/schedules", schedule)).status_code == 401
    assert (await outsider.http.get("/api/sessions")).status_code == 401
    await outsider.close()


async def test_facilitator_of_room_a_cannot_reach_room_b(world):
    server, _admin, anna, sessions = world
    b_id = sessions["room-b"]["id"]
    a_id = sessions["room-a"]["id"]
    # Room B's data answers like a missing room or session.
    for path in ("/api/rooms/room-b", "/api/rooms/room-b/schedules"):
        assert (await anna.http.get(path)).status_code == 404, path
    assert (await anna.http.get("/api/sessions", params={"room": "room-b"})).status_code == 404
    listed = (await anna.http.get("/api/sessions")).json()
    assert {s["room"] for s in listed} == {"room-a"}
    for action in ("open", "close"):
        answer = await anna.post(f"/api/sessions/{b_id}/{action}", {})
        assert (answer.status_code, answer.json()["error"]) == (404, "not_found")
        missing = await anna.post(f"/api/sessions/999999/{action}", {})
        assert missing.status_code == 404 and missing.json() == answer.json()
    assert (await anna.post(f"/api/sessions/{b_id}/extend", {"minutes": 5})).status_code == 404
    # Over the WebSocket too.
    ws = await anna.socket(server.ws_url)
    refused = await ws.request({"type": "session", "room": "room-b", "action": "open"})
    assert (refused["type"], refused["code"]) == ("error", "forbidden")
    _, public = server.get("/api/rooms/room-b/sessions")
    assert public[0]["state"] in ("scheduled", "lobby")
    # Her own room's session she may open, and then not open again.
    opened = await anna.post(f"/api/sessions/{a_id}/open", {})
    assert opened.status_code == 200 and opened.json()["state"] == "live"
    again = await ws.request({"type": "session", "room": "room-a", "action": "open"})
    assert again["code"] == "session_state"
    await ws.close()


async def test_a_session_assigned_alone_may_be_run_by_its_facilitator(world):
    server, admin, _, sessions = world
    b_id = sessions["room-b"]["id"]
    cecilia_id = await add_facilitator(admin, "cecilia", [])
    bertta_id = next(a["id"] for a in (await admin.http.get("/api/staff")).json()
                     if a["username"] == "bertta")
    pair = await admin.put(f"/api/sessions/{b_id}/facilitators",
                           {"accounts": [cecilia_id, bertta_id]})
    assert pair.status_code == 200 and sorted(pair.json()["accounts"]) == sorted(
        [cecilia_id, bertta_id])
    cecilia = StaffHttp(server.url)
    await cecilia.login("cecilia", FACILITATOR_PASSWORD)
    mine = (await cecilia.http.get("/api/sessions/mine")).json()
    assert [s["id"] for s in mine] == [b_id]
    calendar = await cecilia.http.get("/api/sessions.ics")
    assert calendar.status_code == 200 and "BEGIN:VEVENT" in calendar.text
    assert calendar.text.count("BEGIN:VEVENT") == 1
    # A facilitator cannot assign facilitators.
    assert (await cecilia.put(f"/api/sessions/{b_id}/facilitators",
                              {"accounts": [cecilia_id]})).status_code == 403
    assert (await cecilia.post(f"/api/sessions/{b_id}/open", {})).json()["state"] == "live"
    await cecilia.close()


async def test_a_facilitator_assigned_to_one_session_facilitates_its_room_while_it_is_open(
        world):
    """Assigned to one session alone (a pair's second), a facilitator could open it but not
    enter its room: the group went live with its facilitator outside, their console got none
    of its alerts, and a person pressing help there was told nobody was online. Now the room
    is theirs from the opening (their open console reconnects to it) and for the debrief
    after the close; no other room is."""
    server, admin, _, _ = world
    await make_room(admin, "room-c")
    c_id = (await make_session(admin, "room-c", local_minute(120), 60))["id"]
    daniel_id = await add_facilitator(admin, "daniel", [])
    assert (await admin.put(f"/api/sessions/{c_id}/facilitators",
                            {"accounts": [daniel_id]})).status_code == 200
    daniel = StaffHttp(server.url)
    await daniel.login("daniel", FACILITATOR_PASSWORD)
    console = await daniel.socket(server.ws_url)
    welcome = next(f for f in console.frames if f["type"] == "welcome")
    assert welcome["rooms"] == [] and "session_rooms" not in welcome
    refused = await console.request({"type": "join", "room": "room-c"})
    assert (refused["type"], refused["code"]) == ("error", "forbidden")

    assert (await daniel.post(f"/api/sessions/{c_id}/open", {})).json()["state"] == "live"
    # His console, open since before, is sent to reconnect, and comes back with the room.
    assert await asyncio.wait_for(console.closed, 5) == (1012, "session rooms changed")
    console = await daniel.socket(server.ws_url)
    welcome = next(f for f in console.frames if f["type"] == "welcome")
    assert welcome["rooms"] == ["room-c"] and welcome["session_rooms"] == ["room-c"]
    joined = await console.join("room-c")
    assert joined["type"] == "joined"
    for elsewhere in ("room-a", "room-b"):
        answer = await console.request({"type": "join", "room": elsewhere})
        assert (answer["type"], answer["code"]) == ("error", "forbidden"), elsewhere

    # A person in the group asks for help: told that a facilitator has been told, and it is
    # this facilitator's console that hears it.
    person = await ChatClient.connect(server.ws_url)
    assert (await person.join("room-c"))["type"] == "joined"
    await person.send({"type": "help", "id": "h1", "room": "room-c"})
    status = await person.wait_for(lambda f: f["type"] == "help_status")
    assert status["status"] == "notified"
    alert = await console.wait_for(lambda f: f["type"] == "alert" and f["room"] == "room-c")
    acked = await console.request({"type": "alert_ack", "alert": alert["alert"]["id"]})
    assert acked["type"] == "done"
    assert (await person.wait_for(lambda f: f["type"] == "help_status"
                                  and f["status"] == "seen"))["alert"] == alert["alert"]["id"]

    # After the close the room stays his for the debrief, not bounced at the goodbyes.
    assert (await daniel.post(f"/api/sessions/{c_id}/close", {})).json()["state"] == "closed"
    await person.wait_for(lambda f: f["type"] == "left" and f["room"] == "room-c")
    await asyncio.sleep(0.5)
    assert not console.closed.done()
    again = await daniel.socket(server.ws_url)
    assert next(f for f in again.frames if f["type"] == "welcome")["rooms"] == ["room-c"]
    for client in (person, console, again):
        await client.close()
    await daniel.close()


async def test_participant_cannot_open_close_or_extend(world):
    server, _, _, _ = world
    await wait_state(server, "room-a", "lobby")
    person = await ChatClient.connect(server.ws_url)
    await person.join("room-a")
    for frame in ({"action": "open"}, {"action": "close"}, {"action": "extend", "minutes": 5}):
        answer = await person.request({"type": "session", "room": "room-a", **frame})
        assert (answer["type"], answer["code"]) == ("error", "forbidden"), frame
    _, public = server.get("/api/rooms/room-a/sessions")
    assert public[0]["state"] == "lobby"
    await person.close()


async def test_room_and_schedule_fields_are_checked(world):
    _, admin, _, _ = world
    bad_rooms = [
        {"id": "Bad Id!", "names": {"fi": "x"}, "kind": "guided"},
        {"id": "ok-room", "names": {"de": "x"}, "kind": "guided"},
        {"id": "ok-room", "names": {"fi": "x"}, "kind": "chaotic"},
        {"id": "ok-room", "names": {"fi": "x"}, "kind": "guided", "time_zone": "Mars/Base"},
        {"id": "ok-room", "names": {"fi": "x"}, "kind": "guided", "capacity": 1001},
        {"id": "ok-room", "names": {"fi": "x"}, "kind": "guided", "lobby_minutes": -1},
        {"id": "ok-room", "names": {"fi": "x"}, "kind": "guided", "surprise": 1},
    ]
    for body in bad_rooms:
        answer = await admin.post("/api/rooms", body)
        assert (answer.status_code, answer.json()["error"]) == (400, "invalid_field"), body
    assert (await admin.post("/api/rooms", {"id": "room-a", "names": {"fi": "x"},
                                            "kind": "guided"})).status_code == 409
    # A week from today in the room's zone: the first meeting is still ahead whenever this runs.
    first = today_in_helsinki() + timedelta(weeks=1)
    base = {"frequency": "weekly", "start_date": str(first), "start_time": "18:00",
            "duration_minutes": 90}
    bad_schedules = [{**base, "frequency": "hourly"}, {**base, "start_time": "25:00"},
                     {**base, "duration_minutes": 0}, {**base, "weekdays": [7]},
                     {**base, "until": str(first - timedelta(days=30))}, {**base, "count": 0}]
    for body in bad_schedules:
        answer = await admin.post("/api/rooms/room-a/schedules", body)
        assert answer.status_code == 400, body
    made = await admin.post("/api/rooms/room-a/schedules", {**base, "count": 3,
                                                            "themes": ["a", "b", "c"]})
    assert made.status_code == 201
    listed = (await admin.http.get("/api/rooms/room-a/schedules")).json()
    assert [d["theme"] for d in listed[0]["next"]] == ["a", "b", "c"]
    assert [d["meeting"] for d in listed[0]["next"]] == [1, 2, 3]
    # 18:00 on the Helsinki wall clock, in UTC (16:00 in winter, 15:00 in summer).
    assert listed[0]["next"][0]["starts_at"] == iso_utc(helsinki_to_utc(first, time(18)))


async def test_no_one_runs_another_rooms_session_or_round_over_the_websocket(world):
    """Anna (room A) cannot enter room B, nor open, extend, close it or start, give or end its
    sharing round; a participant in room B cannot end its round either. Bertta (room B) runs
    it, and nothing Anna tried changed it."""
    server, _admin, anna, sessions = world
    await wait_state(server, "room-b", "lobby")
    bertta_http = StaffHttp(server.url)
    await bertta_http.login("bertta", FACILITATOR_PASSWORD)
    bertta = await bertta_http.socket(server.ws_url)
    await bertta.join("room-b")
    assert (await bertta.request({"type": "session", "room": "room-b", "action": "open"})
            )["type"] == "done"
    person = await ChatClient.connect(server.ws_url)
    member = (await person.join("room-b"))["member"]
    ws = await anna.socket(server.ws_url)
    assert (await ws.join("room-b"))["code"] == "forbidden"
    for frame in ({"type": "session", "action": "close"},
                  {"type": "session", "action": "extend", "minutes": 5},
                  {"type": "round", "action": "start"}):
        answer = await ws.request({**frame, "room": "room-b"})
        assert answer["type"] == "error" and answer["code"] in ("forbidden", "not_in_room"), \
            (frame, answer)
    assert (await bertta.request({"type": "round", "room": "room-b", "action": "start"})
            )["type"] == "done"
    for frame in ({"action": "give", "member": member}, {"action": "end"}):
        answer = await ws.request({"type": "round", "room": "room-b", **frame})
        assert answer["type"] == "error", (frame, answer)
        mine = await person.request({"type": "round", "room": "room-b", **frame})
        assert (mine["type"], mine["code"]) == ("error", "forbidden"), (frame, mine)
    _, public = server.get("/api/rooms/room-b/sessions")
    assert public[0]["state"] == "live" and public[0]["ends_at"] == sessions["room-b"]["ends_at"]
    late = await ChatClient.connect(server.ws_url)
    joined = await late.join("room-b")
    assert joined["round"]["active"] and joined["round"]["turn"] is None
    for c in (bertta, person, ws, late):
        await c.close()
    await bertta_http.close()
