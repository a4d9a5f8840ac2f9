"""Facilitators stopping harm across processes (real Redis, PostgreSQL, two uvicorns)."""

from __future__ import annotations

import asyncio
import time

import pytest

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)


@pytest.fixture
async def world(start_server, redis_server, pg_url):
    """Two processes; an admin; facilitator Sanna for olohuone, Pekka for laheiset."""
    admin_password = create_admin({"DATABASE_URL": pg_url})
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    admin = StaffHttp(a.url)
    await admin.login("admin", admin_password)
    staff = {}
    for username, room in (("sanna", "olohuone"), ("pekka", "laheiset")):
        await add_facilitator(admin, username, [room])
        http = StaffHttp(a.url)
        await http.login(username, FACILITATOR_PASSWORD)
        staff[username] = http
    yield a, b, admin, staff
    for http in [admin, *staff.values()]:
        await http.close()


async def act(ws: ChatClient, **frame) -> dict:
    return await ws.request({"type": "moderate", **frame})


async def test_permissions_participant_and_other_rooms_facilitator_are_refused(world):
    a, b, _, staff = world
    troll = await ChatClient.connect(a.ws_url)
    member = (await troll.join("olohuone"))["member"]
    victim = await ChatClient.connect(b.ws_url)
    await victim.join("olohuone")
    ack = await victim.say("olohuone", "hei")
    # A participant can take no staff action.
    for frame in ({"action": "redact", "seq": ack["seq"]}, {"action": "kick", "member": member},
                  {"action": "lock", "on": True}, {"action": "mute", "member": member,
                                                   "seconds": 60}):
        answer = await act(troll, room="olohuone", **frame)
        assert (answer["type"], answer["code"]) == ("error", "forbidden"), frame
    # Pekka facilitates laheiset: he cannot join olohuone as staff, nor act in it.
    pekka = await staff["pekka"].socket(b.ws_url)
    assert (await pekka.join("olohuone"))["code"] == "forbidden"
    assert (await pekka.join("laheiset"))["role"] == "facilitator"
    answer = await act(pekka, room="olohuone", action="kick", member=member)
    assert answer["code"] == "forbidden"
    # Staff cannot be targeted, even by staff.
    sanna = await staff["sanna"].socket(a.ws_url)
    sanna_member = (await sanna.join("olohuone"))["member"]
    assert (await act(sanna, room="olohuone", action="ban", member=sanna_member))["code"] \
        == "forbidden"
    # Nothing happened: the message is intact.
    late = await ChatClient.connect(a.ws_url)
    await late.join("olohuone")
    assert [f.get("text") for f in late.events("olohuone", "message")] == ["hei"]
    for c in (troll, victim, pekka, sanna, late):
        await c.close()


async def test_ban_on_a_disconnects_on_b_within_a_second_and_keeps_them_out(world):
    a, b, admin, staff = world
    target = await ChatClient.connect(b.ws_url)
    member = (await target.join("olohuone"))["member"]
    watcher = await ChatClient.connect(b.ws_url)
    await watcher.join("olohuone")
    sanna = await staff["sanna"].socket(a.ws_url)
    await sanna.join("olohuone")

    started = time.monotonic()
    done = await act(sanna, room="olohuone", action="ban", member=member, reason="Uhkailu")
    assert done["type"] == "done"
    notice = await target.wait_for(lambda f: f["type"] == "sanction", timeout=5)
    await watcher.wait_for(lambda f: f["type"] == "member_left" and f["member"] == member,
                           timeout=5)
    elapsed = time.monotonic() - started
    print(f"\nban on A took effect on B after {elapsed:.3f} s")
    assert elapsed < 1.0
    assert (notice["sanction"], notice["reason"]) == ("ban", "Uhkailu")
    assert (await target.say("olohuone", "still here?"))["code"] == "not_in_room"
    # Reconnecting with the same token, on either process, does not get them back in.
    for server in (a, b):
        again = await ChatClient.connect(server.ws_url, token=target.token)
        assert (await again.join("olohuone"))["code"] == "banned"
        await again.close()
    audit = (await admin.http.get("/api/audit")).json()
    ban = next(e for e in audit if e["action"] == "ban")
    assert (ban["actor_name"], ban["room"], ban["target"], ban["reason"]) == \
        ("Sanna", "olohuone", member, "Uhkailu")
    for c in (target, watcher, sanna):
        await c.close()


async def test_ban_from_all_rooms_is_for_admins_and_closes_the_connection_everywhere(world):
    a, b, admin, staff = world
    target = await ChatClient.connect(b.ws_url)
    member = (await target.join("olohuone"))["member"]
    sanna = await staff["sanna"].socket(a.ws_url)
    await sanna.join("olohuone")
    refused = await act(sanna, room="olohuone", action="ban", member=member, scope="all")
    assert refused["code"] == "forbidden"  # a facilitator bans from their own rooms only
    boss = await admin.socket(a.ws_url)
    assert (await boss.join("olohuone"))["role"] == "admin"
    assert (await act(boss, room="olohuone", action="ban", member=member, scope="all",
                      reason="Toistuva häirintä"))["type"] == "done"
    code, _ = await asyncio.wait_for(target.closed, 5)
    assert code == 1008
    again = await ChatClient.connect(a.ws_url, token=target.token)
    assert (await again.join("laheiset"))["code"] == "banned"
    await again.close()
    await sanna.close()
    await boss.close()


async def test_redaction_disappears_from_every_view_and_from_resume(world):
    a, b, _, staff = world
    writer = await ChatClient.connect(a.ws_url)
    reader = await ChatClient.connect(b.ws_url)
    await writer.join("olohuone")
    await reader.join("olohuone")
    asked = await writer.say("olohuone", "soita minulle 040 123 4567")
    assert (asked["type"], asked["reason"]) == ("confirm", "phone")  # protects the writer
    bad = await writer.say("olohuone", "soita minulle 040 123 4567", confirmed=True)
    await writer.say("olohuone", "kiitos kaikille")
    await reader.wait_for(lambda f: f.get("text") == "kiitos kaikille")
    sanna = await staff["sanna"].socket(b.ws_url)
    await sanna.join("olohuone")
    assert (await act(sanna, room="olohuone", action="redact", seq=bad["seq"]))["type"] == "done"
    for c in (writer, reader):
        event = await c.wait_for(lambda f: f["type"] == "message_redacted")
        assert (event["target"], event["by"]) == (bad["seq"], "facilitator")
    await asyncio.sleep(0.5)  # the persisters store what is queued
    for server in (a, b):  # resume, on either process, shows the redacted frame
        late = await ChatClient.connect(server.ws_url)
        await late.join("olohuone", since=0)
        shown = {f["seq"]: f for f in late.events("olohuone", "message")}
        assert "text" not in shown[bad["seq"]] and shown[bad["seq"]]["redacted"] == "facilitator"
        assert shown[bad["seq"] + 1]["text"] == "kiitos kaikille"
        assert all("040 123" not in str(f) for f in late.frames)
        await late.close()
    for c in (writer, reader, sanna):
        await c.close()


async def test_mute_shadow_mute_slow_mode_and_lock(world):
    a, b, _, staff = world
    loud = await ChatClient.connect(a.ws_url)
    member = (await loud.join("olohuone"))["member"]
    other = await ChatClient.connect(b.ws_url)
    await other.join("olohuone")
    sanna = await staff["sanna"].socket(b.ws_url)
    await sanna.join("olohuone")

    await act(sanna, room="olohuone", action="mute", member=member, seconds=600,
              reason="Pieni tauko")
    told = await loud.wait_for(lambda f: f["type"] == "sanction")
    assert (told["sanction"], told["reason"]) == ("mute", "Pieni tauko")
    refused = await loud.say("olohuone", "hei?")
    assert refused["code"] == "muted" and 590 < refused["retry_after"] <= 600
    await act(sanna, room="olohuone", action="unmute", member=member)
    await loud.wait_for(lambda f: f.get("sanction") == "unmute")
    assert (await loud.say("olohuone", "kiitos"))["type"] == "ack"

    await act(sanna, room="olohuone", action="mute", member=member, seconds=600, on=True)
    await asyncio.sleep(0.3)
    assert not [f for f in loud.frames if f.get("sanction") == "shadow"], "not told"
    shadowed = await loud.say("olohuone", "kukaan ei kuule tätä")
    assert shadowed["type"] == "ack"
    mine = await loud.wait_for(lambda f: f.get("text") == "kukaan ei kuule tätä")
    assert "only" not in mine
    staff_view = await sanna.wait_for(lambda f: f.get("text") == "kukaan ei kuule tätä")
    assert staff_view["only"] == member
    await other.say("olohuone", "merkki")
    await other.wait_for(lambda f: f.get("text") == "merkki")
    assert not [f for f in other.frames if f.get("text") == "kukaan ei kuule tätä"]
    await act(sanna, room="olohuone", action="unmute", member=member)

    await act(sanna, room="olohuone", action="slow_mode", seconds=30)
    calm = await ChatClient.connect(a.ws_url)  # has not written yet
    await calm.join("olohuone")
    await calm.wait_for(lambda f: f["type"] == "room_controls" and f["slow_mode"] == 30)
    assert (await calm.say("olohuone", "yksi"))["type"] == "ack"
    slow = await calm.say("olohuone", "kaksi")
    assert slow["code"] == "slow_mode" and slow["retry_after"] > 25
    assert (await sanna.say("olohuone", "ohjaaja saa"))["type"] == "ack"

    await act(sanna, room="olohuone", action="slow_mode", seconds=0)
    await act(sanna, room="olohuone", action="lock", on=True)
    await loud.wait_for(lambda f: f["type"] == "room_controls" and f["locked"])
    assert (await loud.say("olohuone", "lukossa?"))["code"] == "room_locked"
    await act(sanna, room="olohuone", action="lock", on=False)
    await loud.wait_for(lambda f: f["type"] == "room_controls" and not f["locked"])
    assert (await loud.say("olohuone", "auki"))["type"] == "ack"
    for c in (loud, other, sanna, calm):
        await c.close()


async def test_two_consoles_changing_controls_at_once_do_not_undo_each_other(world):
    """Two of a room's consoles on one process lock it and turn pre-moderation on (then both
    off) at the same moment: both changes hold, in the database, in the room's last
    `room_controls` and in what a member is refused; each answer names its own event."""
    a, _, _, staff = world
    first = await staff["sanna"].socket(a.ws_url)
    second = await staff["sanna"].socket(a.ws_url)
    for console in (first, second):
        await console.join("olohuone")
    for on in (True, False, True, False, True):
        locked, held = await asyncio.gather(
            act(first, room="olohuone", action="lock", on=on),
            act(second, room="olohuone", action="premoderate", on=on))
        assert (locked["type"], held["type"]) == ("done", "done")
        assert locked["controls"]["locked"] is on and held["controls"]["premoderated"] is on
        last = max(locked["event"], held["event"])
        echo = await first.wait_for(lambda f, last=last: f["type"] == "room_controls"
                                    and f["seq"] == last)
        assert (echo["locked"], echo["premoderated"]) == (on, on)
        answered = locked if locked["event"] == last else held
        assert (answered["controls"]["locked"], answered["controls"]["premoderated"]) == (on, on)
    member = await ChatClient.connect(a.ws_url)
    joined = await member.join("olohuone")
    assert (joined["controls"]["locked"], joined["controls"]["premoderated"]) == (True, True)
    assert (await member.say("olohuone", "kuuleeko kukaan?"))["code"] == "room_locked"
    for c in (first, second, member):
        await c.close()


async def test_controls_changed_at_once_on_two_processes_are_enforced_as_stored(world):
    """Sanna on process A locks the room while a second console of hers on process B turns
    pre-moderation on, at the same moment, again and again. Each process's guard (what a
    member is held to) and the room's last `room_controls` end as stored, both changes
    included: an announcement of one change overtaken by the other's must not leave either
    process enforcing the older controls."""
    a, b, _, staff = world
    first = await staff["sanna"].socket(a.ws_url)
    second = await staff["sanna"].socket(b.ws_url)
    for console in (first, second):
        await console.join("olohuone")
    for on in (True, False) * 8 + (True,):
        locked, held = await asyncio.gather(
            act(first, room="olohuone", action="lock", on=on),
            act(second, room="olohuone", action="premoderate", on=on))
        assert (locked["type"], held["type"]) == ("done", "done")
        last = max(locked["event"], held["event"])
        await first.wait_for(lambda f, last=last: f["type"] == "room_controls"
                             and f["seq"] >= last)
        await asyncio.sleep(0.1)  # the other process's announcement on its way
        for server in (a, b):
            member = await ChatClient.connect(server.ws_url)
            joined = await member.join("olohuone")
            assert (joined["controls"]["locked"], joined["controls"]["premoderated"]) \
                == (on, on), (server.url, on)
            await member.close()
    latest = [f for f in first.frames if f["type"] == "room_controls"][-1]
    assert (latest["locked"], latest["premoderated"]) == (True, True)
    for c in (first, second):
        await c.close()


async def test_reports_reach_facilitators_live_and_in_the_queue(world):
    a, b, _, staff = world
    writer = await ChatClient.connect(a.ws_url)
    reporter = await ChatClient.connect(a.ws_url)
    await writer.join("olohuone")
    await reporter.join("olohuone")
    sanna = await staff["sanna"].socket(b.ws_url)
    await sanna.join("olohuone")
    msg = await writer.say("olohuone", "en jaksa enää mitään")
    answer = await reporter.request({"type": "report", "room": "olohuone", "seq": msg["seq"],
                                     "category": "worried", "note": "huolestuttaa"})
    assert answer["type"] == "reported"
    live = await sanna.wait_for(lambda f: f["type"] == "report")
    report = live["report"]
    assert (report["seq"], report["category"], report["note"]) == (msg["seq"], "worried",
                                                                  "huolestuttaa")
    assert "reporter" not in report
    assert not [f for f in writer.frames if f["type"] == "report"], "the writer is not told"
    queue = (await staff["sanna"].http.get("/api/reports")).json()
    assert [r["id"] for r in queue] == [report["id"]]
    assert (await staff["pekka"].http.get("/api/reports")).json() == []  # other room
    stolen = await staff["pekka"].post(f"/api/reports/{report['id']}/resolve",
                                       {"resolution": "dismissed"})
    assert stolen.status_code == 404
    resolved = await staff["sanna"].post(f"/api/reports/{report['id']}/resolve",
                                         {"resolution": "actioned", "note": "juttelin"})
    assert resolved.status_code == 200
    assert (await staff["sanna"].http.get("/api/reports")).json() == []
    # Reports are rate-limited.
    codes = [(await reporter.request({"type": "report", "room": "olohuone", "seq": msg["seq"],
                                      "category": "spam"}))["type"] for _ in range(6)]
    assert codes[:4] == ["reported"] * 4 and codes[-1] == "error"
    for c in (writer, reporter, sanna):
        await c.close()


async def test_i_need_help_now_alerts_facilitators_and_shows_resources(world):
    a, b, _, staff = world
    person = await ChatClient.connect(a.ws_url)
    member = (await person.join("olohuone"))["member"]
    bystander = await ChatClient.connect(a.ws_url)
    await bystander.join("olohuone")
    sanna = await staff["sanna"].socket(b.ws_url)
    await sanna.join("olohuone")
    answer = await person.request({"type": "help", "room": "olohuone"})
    assert answer["type"] == "crisis_resources"
    assert "112" in [r["phone"] for r in answer["resources"]]
    alert = await sanna.wait_for(lambda f: f["type"] == "alert")
    assert (alert["why"], alert["member"]) == ("help", member)
    await asyncio.sleep(0.3)
    assert not [f for f in bystander.frames if f["type"] in ("alert", "crisis_resources")]
    assert not bystander.events("olohuone", "message"), "nothing was posted in the room"
    for c in (person, bystander, sanna):
        await c.close()


async def test_premoderation_holds_messages_until_a_facilitator_decides(world):
    a, b, _, staff = world
    writer = await ChatClient.connect(a.ws_url)
    member = (await writer.join("olohuone"))["member"]
    reader = await ChatClient.connect(a.ws_url)
    await reader.join("olohuone")
    sanna = await staff["sanna"].socket(b.ws_url)
    await sanna.join("olohuone")
    await act(sanna, room="olohuone", action="premoderate", on=True)
    await writer.wait_for(lambda f: f["type"] == "room_controls" and f["premoderated"])
    pending = await writer.say("olohuone", "saako tästä puhua?")
    assert (pending["type"], pending["reason"]) == ("held", "premoderated")
    seen = await sanna.wait_for(lambda f: f["type"] == "held_message")
    assert (seen["held"]["text"], seen["held"]["member"]) == ("saako tästä puhua?", member)
    queue = (await staff["sanna"].http.get("/api/held")).json()
    assert [h["id"] for h in queue] == [pending["hold"]]
    assert (await staff["pekka"].http.get("/api/held")).json() == []
    rejected = await writer.say("olohuone", "toinen viesti")
    assert (await act(sanna, room="olohuone", action="approve", hold=pending["hold"]))["type"] \
        == "done"
    released = await writer.wait_for(lambda f: f["type"] == "hold_released")
    shown = await reader.wait_for(lambda f: f.get("text") == "saako tästä puhua?")
    assert shown["seq"] == released["seq"] and shown["member"] == member
    await act(sanna, room="olohuone", action="reject", hold=rejected["hold"])
    await writer.wait_for(lambda f: f["type"] == "hold_rejected")
    again = await act(sanna, room="olohuone", action="approve", hold=rejected["hold"])
    assert again["code"] == "message_not_found"  # decided once only
    assert not [f for f in reader.frames if f.get("text") == "toinen viesti"]
    assert (await sanna.say("olohuone", "ohjaajan viesti"))["type"] == "ack"  # staff unheld
    for c in (writer, reader, sanna):
        await c.close()


async def test_warn_kick_remove_recent_and_pin(world):
    a, b, _, staff = world
    person = await ChatClient.connect(a.ws_url)
    member = (await person.join("olohuone"))["member"]
    other = await ChatClient.connect(a.ws_url)
    await other.join("olohuone")
    sanna = await staff["sanna"].socket(b.ws_url)
    await sanna.join("olohuone")
    rules = await sanna.say("olohuone", "Täällä puhutaan omista kokemuksista.")
    first = await person.say("olohuone", "yksi")
    second = await person.say("olohuone", "kaksi")
    kept = await other.say("olohuone", "toisen viesti")

    await act(sanna, room="olohuone", action="pin", seq=rules["seq"])
    pinned = await other.wait_for(lambda f: f["type"] == "room_controls")
    assert pinned["pinned"] == rules["seq"]

    await act(sanna, room="olohuone", action="warn", member=member,
              text="Muistathan puhua omasta kokemuksestasi.")
    warning = await person.wait_for(lambda f: f["type"] == "warning")
    assert warning["text"].startswith("Muistathan")
    await asyncio.sleep(0.2)
    assert not [f for f in other.frames if f["type"] == "warning"], "a warning is private"

    await act(sanna, room="olohuone", action="remove_recent", member=member)
    gone = set()
    while gone != {first["seq"], second["seq"]}:
        event = await other.wait_for(lambda f: f["type"] == "message_redacted"
                                     and f["target"] not in gone)
        gone.add(event["target"])
    late = await ChatClient.connect(b.ws_url)
    await late.join("olohuone", since=0)
    texts = {f["seq"]: f.get("text") for f in late.events("olohuone", "message")}
    assert texts[first["seq"]] is None and texts[second["seq"]] is None
    assert texts[kept["seq"]] == "toisen viesti", "other members' messages stay"

    await act(sanna, room="olohuone", action="kick", member=member, reason="Tauko")
    kicked = await person.wait_for(lambda f: f["type"] == "sanction")
    assert (kicked["sanction"], kicked["reason"]) == ("kick", "Tauko")
    await other.wait_for(lambda f: f["type"] == "member_left" and f["member"] == member)
    back = await person.join("olohuone")
    assert back["type"] == "joined", "a kicked member may come back"
    for c in (person, other, sanna, late):
        await c.close()
