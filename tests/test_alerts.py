"""The shared alert inbox (issue 15) over two real processes with Redis and PostgreSQL: an alert
reaches every signed-in facilitator of the room and the admins, whether or not they joined it,
within a second and on the other process; nobody of another room; a second staff member sees
who handles it; the person is told honestly whether anyone is there; an alert nobody takes
escalates; a facilitator can answer the person in private."""

from __future__ import annotations

import asyncio

import pytest

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)

ESCALATE = 1.5
GONE = 3.0  # HANDLER_GONE_SECONDS
ROOM = "olohuone"


@pytest.fixture
async def world(start_server, redis_server, pg_url):
    """Two processes; an admin; Sanna facilitates olohuone, Pekka laheiset (and may give
    one-to-one support)."""
    admin_password = create_admin({"DATABASE_URL": pg_url})
    env = {**FAST, "alert_escalate_seconds": ESCALATE, "handler_gone_seconds": GONE}
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **env)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **env)
    admin = StaffHttp(a.url)
    await admin.login("admin", admin_password)
    staff = {"admin": admin}
    ids = {}
    for username, room in (("sanna", ROOM), ("pekka", "laheiset")):
        ids[username] = await add_facilitator(admin, username, [room])
        http = StaffHttp(b.url)
        await http.login(username, FACILITATOR_PASSWORD)
        staff[username] = http
    await admin.put("/api/one-to-one/settings", {"supporters": [ids["pekka"]]})
    sockets: list[ChatClient] = []

    async def console(name: str, server=b) -> ChatClient:
        """A staff member's console: signed in, joined to nothing."""
        ws = await staff[name].socket(server.ws_url)
        sockets.append(ws)
        return ws

    async def participant(server=a, lang: str = "fi") -> ChatClient:
        ws = await ChatClient.connect(server.ws_url, lang=lang)
        sockets.append(ws)
        await ws.join(ROOM)
        return ws

    yield a, b, staff, console, participant
    for ws in sockets:
        await ws.close()
    for http in staff.values():
        await http.close()


def alerts_of(ws: ChatClient) -> list[dict]:
    return [f for f in ws.frames if f["type"] in ("alert", "alert_changed", "alert_escalated")]


async def listed(http: StaffHttp) -> list[dict]:
    answer = await http.http.get("/api/alerts")
    assert answer.status_code == 200
    return answer.json()["alerts"]


async def test_help_reaches_a_facilitator_who_joined_nothing_and_everyone_sees_who_handles_it(
        world):
    a, _b, staff, console, participant = world
    sanna = await console("sanna")  # process b, no room joined
    pekka = await console("pekka")
    admin = await console("admin", a)
    person = await participant()  # process a
    mark = len(sanna.frames)
    await person.send({"type": "help", "id": "h1", "room": ROOM})
    # Within a second, on the other process, though she has not joined the room.
    new = await sanna.wait_for(lambda f: f["type"] == "alert", timeout=1.0, start=mark)
    alert = new["alert"]
    assert (new["why"], alert["kind"], alert["room"], alert["state"]) == (
        "help", "help", ROOM, "open")
    assert alert["name"] == person.pseudonym and alert["member"]
    await admin.wait_for(lambda f: f["type"] == "alert" and f["alert"]["id"] == alert["id"],
                         timeout=1.0)
    status = await person.wait_for(lambda f: f["type"] == "help_status")
    assert status["status"] == "notified"
    await person.wait_for(lambda f: f["type"] == "crisis_resources")
    # A facilitator of another room learns nothing of it, live or listed.
    await asyncio.sleep(0.3)
    assert alerts_of(pekka) == []
    assert [x["id"] for x in await listed(staff["pekka"])] == []
    assert [x["id"] for x in await listed(staff["sanna"])] == [alert["id"]]
    # Neither Pekka nor the participant may take it.
    denied = await pekka.request({"type": "alert_ack", "alert": alert["id"]})
    assert (denied["type"], denied["code"]) == ("error", "alert_not_found")
    denied = await person.request({"type": "alert_ack", "alert": alert["id"]})
    assert (denied["type"], denied["code"]) == ("error", "forbidden")
    # Sanna takes it: the admin's console says who, and the person that someone has seen it.
    taken = await sanna.request({"type": "alert_ack", "alert": alert["id"]})
    assert (taken["type"], taken["alert"]["state"]) == ("done", "acknowledged")
    changed = await admin.wait_for(lambda f: f["type"] == "alert_changed", timeout=1.0)
    assert changed["alert"]["acknowledged_by"] == "Sanna"
    seen = await person.wait_for(lambda f: f["type"] == "help_status"
                                 and f["status"] == "seen", timeout=1.0)
    assert seen["room"] == ROOM and "Sanna" not in str(seen)
    again = await admin.request({"type": "alert_ack", "alert": alert["id"]})
    assert (again["type"], again["code"]) == ("error", "alert_state")
    # A reloaded console (a fresh GET) lists it with its handler.
    (reloaded,) = await listed(staff["admin"])
    assert (reloaded["id"], reloaded["acknowledged_by"]) == (alert["id"], "Sanna")
    # Resolved with an outcome from the fixed list; a made-up one is refused.
    bad = await sanna.request({"type": "alert_resolve", "alert": alert["id"],
                               "outcome": "whatever"})
    assert (bad["type"], bad["code"]) == ("error", "invalid_frame")
    done = await sanna.request({"type": "alert_resolve", "alert": alert["id"],
                                "outcome": "supported", "note": "Puhuimme kahden kesken."})
    assert (done["alert"]["state"], done["alert"]["outcome"]) == ("resolved", "supported")
    closed = await admin.wait_for(lambda f: f["type"] == "alert_changed"
                                  and f["alert"]["state"] == "resolved", timeout=1.0)
    assert closed["alert"]["resolved_by"] == "Sanna"
    assert [x["state"] for x in await listed(staff["sanna"])] == ["resolved"]
    audit = (await staff["admin"].http.get("/api/audit")).json()
    assert {"alert_ack", "alert_resolve"} <= {e["action"] for e in audit}


async def test_nobody_online_is_said_at_once_and_an_alert_nobody_takes_escalates(world):
    a, _b, staff, console, participant = world
    person = await participant()
    await person.send({"type": "help", "id": "h1", "room": ROOM})
    status = await person.wait_for(lambda f: f["type"] == "help_status", timeout=1.0)
    assert status["status"] == "nobody_online"
    # Stored, not lost: an admin and an on-duty supporter (of another room) who sign in later
    # get it when it escalates, and Sanna's console lists it when she opens it.
    admin = await console("admin", a)
    pekka = await console("pekka")
    duty = await pekka.request({"type": "support_available", "capacity": 1})
    assert duty["type"] == "support_status"
    escalated = await admin.wait_for(lambda f: f["type"] == "alert_escalated",
                                     timeout=ESCALATE + 3)
    assert escalated["alert"]["escalated"] and escalated["alert"]["state"] == "open"
    on_duty = await pekka.wait_for(lambda f: f["type"] == "alert_escalated", timeout=3)
    assert on_duty["alert"]["id"] == escalated["alert"]["id"]
    # The person is told honestly that nobody has answered yet (never left at "told").
    unanswered = await person.wait_for(lambda f: f["type"] == "help_status"
                                       and f["status"] == "unanswered", timeout=3)
    assert unanswered["alert"] == escalated["alert"]["id"]
    # On duty, Pekka keeps it after a reload though it is not his room's.
    assert escalated["alert"]["id"] in [x["id"] for x in await listed(staff["pekka"])]
    (listed_for_sanna,) = await listed(staff["sanna"])
    assert listed_for_sanna["escalated"] is True
    # Escalated once, not on every tick; the person told once of each: that the admin who
    # signed in later (who may see the room) has it, not still that nobody is there.
    await asyncio.sleep(ESCALATE)
    assert len([f for f in admin.frames if f["type"] == "alert_escalated"]) == 1
    assert [f["status"] for f in person.frames if f["type"] == "help_status"] == [
        "nobody_online", "notified", "unanswered"]


async def test_an_alert_whose_handler_goes_offline_is_untaken_again_and_the_person_told(world):
    """Sanna takes a help alert and goes offline without closing it (her laptop shut): after
    HANDLER_GONE_SECONDS it is untaken again on every console and escalates, and the
    person learns that the facilitator had to leave and that others have been told. A console
    that is back within that time (a reload, on the other process) keeps it hers."""
    a, _b, staff, console, participant = world
    admin = await console("admin", a)
    sanna = await console("sanna")
    person = await participant()
    await person.send({"type": "help", "id": "h1", "room": ROOM})
    alert = (await sanna.wait_for(lambda f: f["type"] == "alert", timeout=1.0))["alert"]["id"]
    taken = await sanna.request({"type": "alert_ack", "alert": alert})
    assert taken["alert"]["state"] == "acknowledged"
    await person.wait_for(lambda f: f.get("status") == "seen", timeout=1.0)

    await sanna.close()
    sanna = await console("sanna", a)
    await asyncio.sleep(GONE + 1.5)
    (kept,) = await listed(staff["admin"])
    assert (kept["state"], kept["acknowledged_by"], kept["releases"]) == (
        "acknowledged", "Sanna", 0)

    mark = len(admin.frames)
    await sanna.close()
    untaken = await admin.wait_for(lambda f: f["type"] == "alert_escalated"
                                   and f["alert"]["id"] == alert, timeout=GONE + 4, start=mark)
    assert (untaken["alert"]["state"], untaken["alert"]["released_by"],
            untaken["alert"]["releases"], untaken["alert"]["escalated"]) == (
        "open", "Sanna", 1, True)
    told = await person.wait_for(lambda f: f.get("status") == "released", timeout=3)
    assert told["alert"] == alert and "Sanna" not in str(told)
    (listed_alert,) = await listed(staff["admin"])
    assert (listed_alert["state"], listed_alert["acknowledged_by"]) == ("open", None)

    # The admin takes it: the person hears again that someone has seen it.
    again = await admin.request({"type": "alert_ack", "alert": alert})
    assert (again["type"], again["alert"]["state"]) == ("done", "acknowledged")
    await person.wait_for(lambda f: f.get("status") == "seen",
                          start=person.frames.index(told) + 1, timeout=1.0)
    await asyncio.sleep(GONE + 1)  # the admin stays: nothing more happens
    statuses = [f["status"] for f in person.frames if f["type"] == "help_status"]
    # (An "unanswered" before the first "seen" would only say that Sanna was slow to take it.)
    assert statuses[statuses.index("seen"):] == ["seen", "released", "seen"], statuses


async def test_a_person_back_in_the_room_hears_where_their_call_for_help_stands(world):
    """A phone loses its connection right after "I need help now", and Sanna takes the alert
    meanwhile: back in the room (the page joins again by itself, or is reloaded) the person
    hears that a facilitator has seen it. Away again while Sanna leaves without closing it:
    back, they hear that she had to leave and that nobody is online now, not the old "seen".
    Someone with no call open hears nothing of the kind."""
    a, _b, staff, console, participant = world
    sanna = await console("sanna")
    person = await participant()
    await person.send({"type": "help", "id": "h1", "room": ROOM})
    alert = (await sanna.wait_for(lambda f: f["type"] == "alert", timeout=2))["alert"]["id"]
    await person.wait_for(lambda f: f.get("status") == "notified", timeout=2)
    token = person.token
    await person.close()  # a tunnel
    taken = await sanna.request({"type": "alert_ack", "alert": alert})
    assert taken["alert"]["state"] == "acknowledged"

    back = await ChatClient.connect(a.ws_url, token=token)
    await back.join(ROOM)
    told = await back.wait_for(lambda f: f["type"] == "help_status", timeout=5)
    assert (told["status"], told["alert"]) == ("seen", alert)
    await back.close()
    await sanna.close()  # her laptop shuts, and the alert is hers
    for _ in range(40):
        (now,) = await listed(staff["admin"])
        if now["releases"]:
            break
        await asyncio.sleep(0.25)
    assert (now["state"], now["releases"]) == ("open", 1)

    again = await ChatClient.connect(a.ws_url, token=token)
    await again.join(ROOM)
    told = await again.wait_for(lambda f: f["type"] == "help_status", timeout=5)
    assert (told["status"], told["alert"]) == ("released_nobody_online", alert)
    other = await participant()
    await asyncio.sleep(0.5)
    assert not [f for f in other.frames if f["type"] == "help_status"]
    await again.close()


async def test_help_pressed_again_is_heard_again_but_raises_no_second_alert(world):
    """Someone presses "I need help now" again and again while their call is open: no second
    alert waits for someone to take it (to escalate, and to tell them that nobody answered
    while Sanna is with them). Sanna hears each time that they ask again, also once she has
    it (once in a while when they press on and on), and they hear where their call stands.
    Once she closes it, a press is a new call."""
    _a, _b, staff, console, participant = world
    sanna = await console("sanna")
    person = await participant()

    async def press() -> dict:
        mark = len(person.frames)
        await person.send({"type": "help", "id": f"h{mark}", "room": ROOM})
        await person.wait_for(lambda f: f["type"] == "crisis_resources", start=mark)
        return await person.wait_for(lambda f: f["type"] == "help_status", start=mark,
                                     timeout=2)

    first = await press()
    alert = (await sanna.wait_for(lambda f: f["type"] == "alert", timeout=2))["alert"]
    assert (first["status"], first["alert"]) == ("notified", alert["id"])
    mark = len(sanna.frames)
    again = await press()
    assert (again["status"], again["alert"]) == ("notified", alert["id"])
    heard = await sanna.wait_for(lambda f: f["type"] == "alert", start=mark, timeout=2)
    assert (heard["again"], heard["why"], heard["alert"]["id"]) == (True, "help", alert["id"])
    # Pressed on and on (a key held down): answered every time, said to staff once in a while.
    for _ in range(3):
        assert (await press())["alert"] == alert["id"]
    await asyncio.sleep(0.5)
    assert len([f for f in sanna.frames[mark:] if f["type"] == "alert"]) == 1
    taken = await sanna.request({"type": "alert_ack", "alert": alert["id"]})
    assert taken["alert"]["state"] == "acknowledged"
    await person.wait_for(lambda f: f.get("status") == "seen", timeout=2)
    mark = len(sanna.frames)
    third = await press()
    assert (third["status"], third["alert"]) == ("seen", alert["id"])
    heard = await sanna.wait_for(lambda f: f["type"] == "alert", start=mark, timeout=2)
    assert (heard["again"], heard["alert"]["state"]) == (True, "acknowledged")
    # Past the escalation time: still one alert, Sanna's, and nobody was told it went unanswered.
    await asyncio.sleep(ESCALATE + 1.5)
    assert [(x["id"], x["state"], x["escalated"]) for x in await listed(staff["sanna"])] == [
        (alert["id"], "acknowledged", False)]
    assert "unanswered" not in [f["status"] for f in person.frames if f["type"] == "help_status"]
    assert not [f for f in sanna.frames if f["type"] == "alert_escalated"]
    done = await sanna.request({"type": "alert_resolve", "alert": alert["id"],
                                "outcome": "supported"})
    assert done["alert"]["state"] == "resolved"
    mark = len(sanna.frames)
    fresh = await press()
    new = await sanna.wait_for(lambda f: f["type"] == "alert", start=mark, timeout=2)
    assert new["alert"]["id"] != alert["id"] and "again" not in new
    assert (fresh["status"], fresh["alert"]) == ("notified", new["alert"]["id"])


async def test_crisis_written_again_is_the_same_call(world):
    """Someone writes one despairing line after another: one call, not one per line. With
    one per line, Sanna's taking the first left the others waiting; they escalated to the
    admins and told the person that no facilitator had answered while she was with them.
    Every line still brings the crisis lines at once, and the person hears where the call
    stands; a help press after them is the same call too."""
    _a, _b, staff, console, participant = world
    sanna = await console("sanna")
    person = await participant()

    async def write(text: str) -> tuple[dict, dict]:
        mark = len(person.frames)
        ack = await person.say(ROOM, text)
        assert ack["type"] == "ack"
        await person.wait_for(lambda f: f["type"] == "crisis_resources", start=mark)
        status = await person.wait_for(lambda f: f["type"] == "help_status", start=mark,
                                       timeout=2)
        return ack, status

    first, told = await write("en jaksa enää, haluan kuolla")
    alert = (await sanna.wait_for(lambda f: f["type"] == "alert", timeout=2))["alert"]
    assert (alert["seq"], told["status"], told["alert"]) == (first["seq"], "notified",
                                                             alert["id"])
    assert alert["messages"] == 1
    mark = len(sanna.frames)
    second, told = await write("en halua elää enää")
    assert (told["status"], told["alert"]) == ("notified", alert["id"])
    heard = await sanna.wait_for(lambda f: f["type"] == "alert", start=mark, timeout=2)
    # Said as what it is; the call now points at the latest message, and counts them: the
    # facilitator who opens it answers to where the person is now, not to their first line.
    assert (heard["again"], heard["why"], heard["alert"]["id"], heard["alert"]["seq"],
            heard["alert"]["messages"]) == (True, "crisis", alert["id"], second["seq"], 2)
    taken = await sanna.request({"type": "alert_ack", "alert": alert["id"]})
    assert (taken["alert"]["state"], taken["alert"]["seq"]) == ("acknowledged", second["seq"])
    await person.wait_for(lambda f: f.get("status") == "seen", timeout=2)
    mark = len(sanna.frames)
    third, told = await write("haluan vain kuolla pois")
    assert (told["status"], told["alert"]) == ("seen", alert["id"])
    heard = await sanna.wait_for(lambda f: f["type"] == "alert", start=mark, timeout=2)
    assert (heard["again"], heard["alert"]["state"], heard["alert"]["seq"],
            heard["alert"]["messages"]) == (True, "acknowledged", third["seq"], 3)
    # A fourth line at once: not said aloud again so soon, but the call Sanna has open
    # points at it (quietly changed), on her console and in the list a reload reads.
    mark = len(sanna.frames)
    fourth, told = await write("haluan kuolla, en jaksa")
    assert (told["status"], told["alert"]) == ("seen", alert["id"])
    changed = await sanna.wait_for(lambda f: f["type"] == "alert_changed", start=mark,
                                   timeout=2)
    assert (changed["alert"]["id"], changed["alert"]["seq"], changed["alert"]["messages"]) == (
        alert["id"], fourth["seq"], 4)
    assert not [f for f in sanna.frames[mark:] if f["type"] == "alert"]
    (stored,) = await listed(staff["sanna"])
    assert (stored["seq"], stored["messages"]) == (fourth["seq"], 4)
    mark, heard_mark = len(person.frames), len(sanna.frames)
    await person.send({"type": "help", "id": "h1", "room": ROOM})
    pressed = await person.wait_for(lambda f: f["type"] == "help_status", start=mark, timeout=2)
    assert (pressed["status"], pressed["alert"]) == ("seen", alert["id"])
    heard = await sanna.wait_for(lambda f: f["type"] == "alert", start=heard_mark, timeout=2)
    assert (heard["again"], heard["why"]) == (True, "help")
    # Past the escalation time: one alert, Sanna's; nobody was told it went unanswered.
    await asyncio.sleep(ESCALATE + 1.5)
    assert [(x["id"], x["kind"], x["state"], x["escalated"])
            for x in await listed(staff["sanna"])] == [
        (alert["id"], "crisis", "acknowledged", False)]
    assert "unanswered" not in [f["status"] for f in person.frames if f["type"] == "help_status"]
    assert not [f for f in sanna.frames if f["type"] == "alert_escalated"]


async def test_crisis_message_folds_alerts_and_a_private_conversation_reaches_the_person(world):
    _a, b, staff, console, participant = world
    sanna = await console("sanna")
    pekka = await console("pekka")
    person = await participant(lang="sv")
    reader = await participant(b)
    text = "en jaksa enää, haluan kuolla"
    ack = await person.say(ROOM, text)
    assert ack["type"] == "ack"
    new = await sanna.wait_for(lambda f: f["type"] == "alert" and f["why"] == "crisis",
                               timeout=1.0)
    alert = new["alert"]
    assert alert["seq"] == ack["seq"] and "text" not in alert
    # The message carries the flag that folds it for others, live and in a newcomer's history.
    live = await reader.wait_for(lambda f: f.get("seq") == ack["seq"])
    assert live["flag"] == "crisis"
    newcomer = await participant(b)
    history = [f for f in newcomer.events(ROOM, "message") if f["seq"] == ack["seq"]]
    assert history and history[0]["flag"] == "crisis"
    # Only staff allowed in the room may open a private conversation from it.
    refused = await pekka.request({"type": "conv_open", "alert": alert["id"]})
    assert refused["code"] == "alert_not_found"
    refused = await reader.request({"type": "conv_open", "alert": alert["id"]})
    assert refused["code"] == "forbidden"
    opened = await sanna.request({"type": "conv_open", "alert": alert["id"]})
    assert (opened["type"], opened["role"], opened["alert"]) == (
        "conv_started", "supporter", alert["id"])
    assert opened["name"] == person.pseudonym and opened["room"] == ROOM
    assert opened["lang"] == "sv"  # the person's language, not the facilitator's
    conv = opened["conv"]
    started = await person.wait_for(lambda f: f["type"] == "conv_started", timeout=1.0)
    assert (started["conv"], started["role"], started["name"]) == (conv, "participant", "Sanna")
    # The participant is still in the group, beside the conversation.
    still = await person.say(ROOM, "olen yhä täällä")
    assert still["type"] == "ack"
    sent = await sanna.request({"type": "conv_send", "conv": conv, "text": "Hei, olen tässä."})
    assert sent["type"] == "conv_sent"
    heard = await person.wait_for(lambda f: f["type"] == "conv_message")
    assert (heard["from"], heard["text"]) == ("supporter", "Hei, olen tässä.")
    reply = await person.request({"type": "conv_send", "conv": conv, "text": "Kiitos."})
    assert reply["type"] == "conv_sent"
    await sanna.wait_for(lambda f: f["type"] == "conv_message" and f["from"] == "participant")
    # Nobody else can write into it.
    intruder = await reader.request({"type": "conv_send", "conv": conv, "text": "hei"})
    assert intruder["code"] == "conversation_not_found"
    # Opening it took the alert; the conversation is on it for everyone's console.
    (stored,) = [x for x in await listed(staff["sanna"]) if x["id"] == alert["id"]]
    assert (stored["state"], stored["acknowledged_by"], stored["conv"]) == (
        "acknowledged", "Sanna", conv)
    ended = await sanna.request({"type": "conv_end", "conv": conv})
    assert ended["type"] == "conv_closed"
    closing = await person.wait_for(lambda f: f["type"] == "conv_ended", timeout=1.0)
    assert closing["by"] == "supporter" and closing["resources"]
    audit = (await staff["admin"].http.get("/api/audit")).json()
    opened_entries = [e for e in audit if e["action"] == "alert_conversation"]
    assert opened_entries and opened_entries[0]["actor_name"] == "Sanna"


async def test_an_ended_private_conversation_lets_the_facilitators_talk_with_the_person_again(
        world):
    """A facilitator talked with the person privately and ended the conversation; the call
    stayed open (the person may need more). The alert kept pointing at the ended conversation,
    and the consoles offer "talk privately" only on an alert without one: when the person
    wrote again that they cannot go on, nobody could open a conversation with them. Now the
    end, by either side, frees the alert on every console."""
    _a, _b, staff, console, participant = world
    sanna = await console("sanna")
    person = await participant()
    await person.say(ROOM, "en jaksa enää, haluan kuolla")
    alert = (await sanna.wait_for(lambda f: f["type"] == "alert" and f["why"] == "crisis",
                                  timeout=1.0))["alert"]
    for ender in ("supporter", "participant"):
        opened = await sanna.request({"type": "conv_open", "alert": alert["id"]})
        conv = opened["conv"]
        await person.wait_for(lambda f, c=conv: f["type"] == "conv_started" and f["conv"] == c)
        mark = len(sanna.frames)
        side = sanna if ender == "supporter" else person
        assert (await side.request({"type": "conv_end", "conv": conv}))["type"] == "conv_closed"
        changed = await sanna.wait_for(
            lambda f, m=mark: f["type"] == "alert_changed" and f["alert"]["id"] == alert["id"]
            and f["alert"]["conv"] is None and f in sanna.frames[m:], timeout=5.0)
        assert changed["alert"]["state"] == "acknowledged", "still open: the call goes on"
        (stored,) = [x for x in await listed(staff["sanna"]) if x["id"] == alert["id"]]
        assert stored["conv"] is None


async def test_reports_and_one_to_one_crises_are_in_the_inbox(world):
    a, b, staff, console, participant = world
    sanna = await console("sanna")
    admin = await console("admin", a)
    writer = await participant()
    reporter = await participant(b)
    ack = await writer.say(ROOM, "tämä on ihan tavallinen viesti")
    reported = await reporter.request({"type": "report", "room": ROOM, "seq": ack["seq"],
                                       "category": "worried"})
    assert reported["type"] == "reported"
    report = await sanna.wait_for(lambda f: f["type"] == "report", timeout=1.0)
    alert = await sanna.wait_for(lambda f: f["type"] == "alert" and f["why"] == "report",
                                 timeout=1.0)
    assert alert["alert"]["report"] == report["report"]["id"]
    assert alert["alert"]["member"] == report["report"]["target"]
    # A one-to-one request in crisis has no room: admins (and supporters) see it.
    asking = await ChatClient.connect(b.ws_url)
    queued = await asking.request({"type": "queue_request", "topic": "haluan kuolla"})
    assert queued["type"] == "queued" and queued["crisis"] is True
    roomless = await admin.wait_for(lambda f: f["type"] == "alert"
                                    and f["why"] == "one_to_one_crisis", timeout=1.0)
    assert roomless["alert"]["room"] is None and roomless["alert"]["member"] is None
    await asyncio.sleep(0.3)
    assert not [f for f in sanna.frames if f.get("why") == "one_to_one_crisis"]
    assert roomless["alert"]["id"] in [x["id"] for x in await listed(staff["pekka"])]
    assert roomless["alert"]["id"] not in [x["id"] for x in await listed(staff["sanna"])]
    await asking.close()


async def test_a_report_resolved_in_the_reports_list_settles_its_alert_and_never_escalates(
        world):
    """Sanna dismisses a report from the reports list: its alert is resolved with it on every
    console (the admins are not called a minute later as if nobody had looked); a report
    left alone still escalates."""
    a, _b, staff, console, participant = world
    sanna = await console("sanna")
    admin = await console("admin", a)
    writer = await participant()
    reporter = await participant()
    handled = await writer.say(ROOM, "ensimmäinen ihan tavallinen viesti")
    ignored = await writer.say(ROOM, "toinen ihan tavallinen viesti")
    alerts = []
    for ack in (handled, ignored):
        reported = await reporter.request({"type": "report", "room": ROOM, "seq": ack["seq"],
                                           "category": "spam"})
        assert reported["type"] == "reported"
        alerts.append((await sanna.wait_for(
            lambda f, seq=ack["seq"]: f["type"] == "alert" and f["why"] == "report"
            and f["alert"]["seq"] == seq, timeout=1.0))["alert"])
    answer = await staff["sanna"].post(f"/api/reports/{alerts[0]['report']}/resolve",
                                       {"resolution": "dismissed"})
    assert answer.status_code == 200
    settled = await admin.wait_for(lambda f: f["type"] == "alert_changed"
                                   and f["alert"]["id"] == alerts[0]["id"], timeout=1.0)
    assert (settled["alert"]["state"], settled["alert"]["outcome"],
            settled["alert"]["resolved_by"]) == ("resolved", "report_dismissed", "Sanna")
    escalated = await admin.wait_for(lambda f: f["type"] == "alert_escalated",
                                     timeout=ESCALATE + 3)
    assert escalated["alert"]["id"] == alerts[1]["id"]
    await asyncio.sleep(1.0)
    assert [f["alert"]["id"] for f in admin.frames if f["type"] == "alert_escalated"] == [
        alerts[1]["id"]]


async def test_the_inbox_needs_a_staff_session(start_server):
    server = start_server()
    outsider = StaffHttp(server.url)
    assert (await outsider.http.get("/api/alerts")).status_code == 401
    await outsider.close()


async def _publishing(redis_url: str, allowed: bool) -> None:
    """Let Redis take PUBLISH, or refuse it (an ACL rule): the broker's announcements fail
    while the subscriptions stay up, as in a short cut nobody's subscription noticed."""
    from redis import asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    try:
        await client.execute_command("ACL", "SETUSER", "default",
                                     "+publish" if allowed else "-publish")
    finally:
        await client.aclose()


async def test_an_escalation_and_an_untaking_redis_refused_are_announced_once_it_takes_them(
        world, redis_server):
    """The call escalates, and later its handler is gone, each at a moment Redis refuses to
    publish: the database has the change, and nobody heard of it. Once Redis takes them
    again, the consoles get the change and the person hears that nobody has answered yet, and
    later that the facilitator had to leave (the escalation loop committed, failed to
    publish, and nobody ever told them)."""
    a, _b, staff, console, participant = world
    admin = await console("admin", a)
    sanna = await console("sanna")
    person = await participant()
    await person.send({"type": "help", "id": "h1", "room": ROOM})
    alert = (await sanna.wait_for(lambda f: f["type"] == "alert", timeout=2))["alert"]["id"]
    await person.wait_for(lambda f: f.get("status") == "notified", timeout=2)

    await _publishing(redis_server.url, False)
    for _ in range(40):  # escalated in the database, told nobody
        (now,) = await listed(staff["admin"])
        if now["escalated"]:
            break
        await asyncio.sleep(0.25)
    assert now["escalated"] and now["state"] == "open"
    await asyncio.sleep(0.5)
    assert not [f for f in admin.frames if f["type"] == "alert_escalated"]
    await _publishing(redis_server.url, True)
    escalated = await admin.wait_for(lambda f: f["type"] == "alert_escalated", timeout=10)
    assert escalated["alert"]["id"] == alert and escalated["alert"]["escalated"]
    changed = await sanna.wait_for(lambda f: f["type"] == "alert_changed"
                                   and f["alert"]["escalated"], timeout=5)
    assert changed["alert"]["id"] == alert
    told = await person.wait_for(lambda f: f.get("status") == "unanswered", timeout=5)
    assert told["alert"] == alert

    taken = await sanna.request({"type": "alert_ack", "alert": alert})
    assert taken["alert"]["state"] == "acknowledged"
    await person.wait_for(lambda f: f.get("status") == "seen", timeout=2)
    await _publishing(redis_server.url, False)
    mark = len(admin.frames)
    await sanna.close()  # her laptop shuts, and the call is hers
    for _ in range(40):
        (now,) = await listed(staff["admin"])
        if now["releases"]:
            break
        await asyncio.sleep(0.25)
    assert (now["state"], now["acknowledged_by"], now["releases"]) == ("open", None, 1)
    await asyncio.sleep(0.5)
    assert not [f for f in admin.frames[mark:] if f["type"] in ("alert_changed",
                                                                 "alert_escalated")]
    await _publishing(redis_server.url, True)
    untaken = await admin.wait_for(lambda f: f["type"] in ("alert_changed", "alert_escalated")
                                   and f["alert"]["releases"] == 1, timeout=10, start=mark)
    assert (untaken["alert"]["state"], untaken["alert"]["released_by"]) == ("open", "Sanna")
    released = await person.wait_for(lambda f: f.get("status") == "released", timeout=5)
    assert released["alert"] == alert


async def test_a_disabled_facilitators_calls_are_untaken_at_once(start_server, redis_server,
                                                                 pg_url):
    """Sanna (console on B) has taken two calls for help without opening a private
    conversation: one in olohuone, where Ville (console on A) facilitates too, and one in
    laheiset, where nobody else is online. An admin (on A) disables her account. Before, both
    stayed "seen" by her for HANDLER_GONE_SECONDS (a minute) though nobody could answer
    them. Now at once, and once: Ville's console shows the olohuone call open again, released
    by Sanna, and its person hears that the facilitator who saw it had to leave and that
    others know; the other person hears that she had to leave and that nobody is online now.
    Ville takes the call, and its person hears that someone has seen it."""
    admin_password = create_admin({"DATABASE_URL": pg_url})
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    admin = StaffHttp(a.url)
    await admin.login("admin", admin_password)
    ids = {"sanna": await add_facilitator(admin, "sanna", [ROOM, "laheiset"]),
           "ville": await add_facilitator(admin, "ville", [ROOM])}
    sanna_http, ville_http = StaffHttp(b.url), StaffHttp(a.url)
    await sanna_http.login("sanna", FACILITATOR_PASSWORD)
    await ville_http.login("ville", FACILITATOR_PASSWORD)
    sanna, ville = await sanna_http.socket(b.ws_url), await ville_http.socket(a.ws_url)
    people, calls = {}, {}
    for room in (ROOM, "laheiset"):
        person = people[room] = await ChatClient.connect(a.ws_url)
        await person.join(room)
        await person.send({"type": "help", "id": "h1", "room": room})
        calls[room] = (await sanna.wait_for(
            lambda f, room=room: f["type"] == "alert" and f["why"] == "help"
            and f["alert"]["room"] == room))["alert"]["id"]
        taken = await sanna.request({"type": "alert_ack", "alert": calls[room]})
        assert taken["alert"]["state"] == "acknowledged", taken
        await person.wait_for(lambda f: f.get("status") == "seen")
    marks = {c: len(c.frames) for c in (ville, *people.values())}

    disabled = await admin.patch(f"/api/staff/{ids['sanna']}", {"disabled": True})
    assert disabled.status_code == 200, disabled.text

    def reopened(f: dict) -> bool:
        return (f["type"] == "alert_changed" and f["alert"]["id"] == calls[ROOM]
                and f["alert"]["state"] == "open")

    again = await ville.wait_for(reopened, timeout=10, start=marks[ville])
    assert (again["alert"]["released_by"], again["alert"]["acknowledged_by"]) == (
        "Sanna", None)
    here = people[ROOM]
    told = await here.wait_for(lambda f: f["type"] == "help_status", timeout=10,
                               start=marks[here])
    assert (told["status"], told["alert"]) == ("released", calls[ROOM])
    there = people["laheiset"]
    told = await there.wait_for(lambda f: f["type"] == "help_status", timeout=10,
                                start=marks[there])
    assert (told["status"], told["alert"]) == ("released_nobody_online", calls["laheiset"])
    await asyncio.sleep(1.0)  # once, though every process heard of the disabling
    assert len([f for f in ville.frames[marks[ville]:] if reopened(f)]) == 1
    for person in people.values():
        assert len([f for f in person.frames[marks[person]:]
                    if f["type"] == "help_status"]) == 1
    now = {x["id"]: (x["state"], x["releases"]) for x in await listed(admin)}
    assert [now[call] for call in calls.values()] == [("open", 1), ("open", 1)]

    mine = await ville.request({"type": "alert_ack", "alert": calls[ROOM]})
    assert (mine["alert"]["state"], mine["alert"]["acknowledged_by"]) == ("acknowledged",
                                                                          "Ville")
    await here.wait_for(lambda f: f.get("status") == "seen", start=marks[here])
    for ws in (sanna, ville, *people.values()):
        await ws.close()
    for http in (admin, sanna_http, ville_http):
        await http.close()
