"""Control characters are refused at the edge, in every HTTP and WebSocket field, on SQLite and
PostgreSQL alike (issue 17, item 4): NUL broke PostgreSQL (HTTP 500, `unavailable` for a report
that could never succeed). Tab and newline stay allowed in texts that may span lines. Also the
look-alike names of item 3, against a real server."""

from __future__ import annotations

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)

ROOM = "olohuone"


async def test_control_characters_are_refused_in_every_field(start_server, database_url):
    password = create_admin({"DATABASE_URL": database_url})
    server = start_server(database_url=database_url, **FAST)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    await add_facilitator(admin, "sanna", [ROOM])
    sanna_http = StaffHttp(server.url)
    await sanna_http.login("sanna", FACILITATOR_PASSWORD)
    sanna = await sanna_http.socket(server.ws_url)
    await sanna.join(ROOM)
    writer = await ChatClient.connect(server.ws_url)
    member = (await writer.join(ROOM))["member"]
    seq = (await writer.say(ROOM, "tavallinen viesti"))["seq"]

    # HTTP: JSON fields, nested ones, the path and the query.
    http = StaffHttp(server.url)
    for username, secret in (("ad\x00min", password), ("admin", password + "\x00"),
                             ("admin\x85", password)):
        answer = await http.login(username, secret, expect=None)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "invalid_field"
    created = await admin.post("/api/staff", {"username": "maija", "display_name": "Ma\x00ija",
                                              "password": FACILITATOR_PASSWORD,
                                              "role": "facilitator"})
    assert created.status_code == 400 and created.json()["field"] == "display_name"
    resources = await admin.put("/api/crisis-resources", {"resources": [
        {"id": "x", "phone": "0\x0012", "name": {"fi": "a", "sv": "a", "en": "a"}}]})
    assert resources.status_code == 400 and resources.json()["error"] == "invalid_field"
    for path, field in (("/api/audit?before=%00", "query"),
                        (f"/api/rooms/{ROOM}%00/filters", "path")):
        answer = await admin.http.get(path)
        assert (answer.status_code, answer.json()) == (
            400, {"error": "invalid_field", "field": field}), path
        assert "content-security-policy" in answer.headers

    # WebSocket: every field; the connection stays usable.
    refused = [
        {"type": "report", "room": ROOM, "seq": seq, "category": "other", "note": "a\x00b"},
        {"type": "send", "room": ROOM, "text": "rivi\x85"},
        {"type": "send", "room": ROOM, "text": "kello\x07"},
        {"type": "send", "room": ROOM, "text": "ok", "cw": "aihe\nrivi"},
        {"type": "join", "room": "olo\x00huone"},
    ]
    for frame in refused:
        answer = await writer.request(frame)
        assert (answer["type"], answer["code"]) == ("error", "invalid_frame"), frame
    for frame in (
            {"type": "moderate", "room": ROOM, "action": "mute", "member": member,
             "seconds": 60, "reason": "syy\x00"},
            {"type": "moderate", "room": ROOM, "action": "kick", "member": "\x00"},
            {"type": "moderate", "room": ROOM, "action": "warn", "member": member,
             "text": "\x1b[31mpunainen"}):
        answer = await sanna.request(frame)
        assert (answer["type"], answer["code"]) == ("error", "invalid_frame"), frame
    # Tab and newline where text allows them; the same frames without the control pass.
    sent = await writer.say(ROOM, "rivi 1\nrivi 2\tsarake")
    assert sent["type"] == "ack"
    reported = await writer.request({"type": "report", "room": ROOM, "seq": seq,
                                     "category": "other", "note": "rivi 1\nrivi 2"})
    assert reported["type"] == "reported"
    muted = await sanna.request({"type": "moderate", "room": ROOM, "action": "mute",
                                 "member": member, "seconds": 60, "reason": "syy"})
    assert muted["type"] == "done"
    ok = await http.login("admin", password)
    assert ok.status_code == 200

    log = server.log_text()
    assert '"level":"ERROR"' not in log, log[-2000:]
    for c in (writer, sanna):
        await c.close()
    for s in (admin, sanna_http, http):
        await s.close()


async def test_look_alike_names_are_refused_by_a_real_server(staffed):
    server, _sanna = staffed
    present = await ChatClient.connect(server.ws_url)
    await present.join(ROOM, name="Tyyni Saukko")
    guest = await ChatClient.connect(server.ws_url)
    for name, code in (("Sаnna", "name_taken"),  # Cyrillic а; Sanna is present
                       ("аdmin", "name_looks_like_staff"),
                       ("Fасilitator", "name_looks_like_staff"),
                       ("Ꭺdmin", "name_looks_like_staff"),
                       ("Tyyni Sаukko", "name_taken")):
        answer = await guest.request({"type": "join", "room": ROOM, "name": name})
        assert (answer["type"], answer.get("code")) == ("error", code), name
    for c in (present, guest):
        await c.close()
