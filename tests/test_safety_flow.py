"""The automated safety net end to end, through a real server process."""

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
from tests.test_sessions_flow import TIMER, local_minute, make_room, make_session, wait_state


@pytest.fixture
async def room(staffed):
    """The staffed server (content filters as they ship; only the pace guards are off) and
    two participants in olohuone."""
    server, sanna = staffed
    writer = await ChatClient.connect(server.ws_url)
    reader = await ChatClient.connect(server.ws_url)
    await writer.join("olohuone")
    await reader.join("olohuone")
    yield server, writer, reader, sanna
    for c in (writer, reader):
        await c.close()


async def test_crisis_message_is_posted_and_alerts_without_shaming(room):
    _, writer, reader, sanna = room
    text = "en jaksa enää, haluan kuolla"
    ack = await writer.say("olohuone", text)
    assert ack["type"] == "ack", "a crisis message is never blocked"
    resources = await writer.wait_for(lambda f: f["type"] == "crisis_resources")
    phones = [r["phone"] for r in resources["resources"]]
    assert "112" in phones and "09 2525 0111" in phones
    alert = await sanna.wait_for(lambda f: f["type"] == "alert")
    assert alert["why"] == "crisis" and alert["name"] == writer.pseudonym
    posted = await reader.wait_for(lambda f: f.get("text") == text)
    assert posted["seq"] == ack["seq"]
    await asyncio.sleep(0.2)
    assert not [f for f in reader.frames if f["type"] in ("alert", "crisis_resources")]


async def test_personal_details_ask_first_then_post_when_confirmed(room):
    _, writer, reader, _ = room
    text = "minun numeroni on 040 123 4567"
    asked = await writer.say("olohuone", text)
    assert (asked["type"], asked["reason"]) == ("confirm", "phone")
    await asyncio.sleep(0.3)
    assert not [f for f in reader.frames if f.get("text") == text], "nothing posted yet"
    ack = await writer.say("olohuone", text, confirmed=True)
    assert ack["type"] == "ack"
    await reader.wait_for(lambda f: f.get("text") == text)
    crisis_line = await writer.say("olohuone", "kriisipuhelin 09 2525 0111 auttoi minua")
    assert crisis_line["type"] == "ack", "the crisis lines' own numbers are fine"


async def test_abuse_is_refused_with_a_reason_only_the_sender_sees(room):
    _, writer, reader, _ = room
    refused = await writer.say("olohuone", "olet ihan i d i o o t t i")
    assert (refused["type"], refused["code"], refused["reason"]) == \
        ("error", "message_rejected", "abuse")
    await asyncio.sleep(0.3)
    assert not reader.events("olohuone", "message")


async def test_telling_someone_to_kill_themselves_is_refused_and_alerts_the_facilitators(room):
    _, writer, reader, sanna = room
    refused = await writer.say("olohuone", "kys")
    assert (refused["type"], refused["code"], refused["reason"]) == (
        "error", "message_rejected", "abuse")
    alert = await sanna.wait_for(lambda f: f["type"] == "alert" and f["why"] == "harm_to_others")
    assert alert["name"] == writer.pseudonym and alert["alert"]["seq"] is None
    await asyncio.sleep(0.3)
    # The writer is not the one at risk: no crisis lines for them; the room sees nothing.
    assert not [f for f in writer.frames if f["type"] == "crisis_resources"]
    assert not reader.events("olohuone", "message")


async def test_a_newcomers_crisis_line_is_not_held_back_by_the_newcomer_pace(start_server,
                                                                           tmp_path):
    """Someone new writes "hei" and, at once, that they cannot go on: before, the newcomer
    pace (a new member's lines some seconds apart) held the crisis line for a facilitator's
    decision, so the person saw the crisis lines and heard that a facilitator was told while
    their words stayed stuck, with nobody online perhaps for hours. Now it is posted at once
    (flagged for the others) and alerts; a plain line that soon still waits for the pace."""
    db = f"sqlite+aiosqlite:///{tmp_path}/newcomer.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    # The pace on, wide enough that no machine is slow enough to pass it between two lines.
    pace = ('{"flood": false, "newcomer": true, "newcomer_seconds": 3600,'
            ' "newcomer_min_interval_seconds": 600}')
    server = start_server(database_url=db, **{**FAST, "filter_defaults": pace})
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    await add_facilitator(admin, "sanna", ["olohuone"])
    sanna_http = StaffHttp(server.url)
    await sanna_http.login("sanna", FACILITATOR_PASSWORD)
    sanna = await sanna_http.socket(server.ws_url)
    newcomer = await ChatClient.connect(server.ws_url)
    reader = await ChatClient.connect(server.ws_url)
    try:
        await reader.join("olohuone")
        await newcomer.join("olohuone")
        assert (await newcomer.say("olohuone", "hei"))["type"] == "ack"
        paced = await newcomer.say("olohuone", "hei taas")
        assert (paced["type"], paced["reason"]) == ("error", "newcomer_rate")
        text = "en jaksa enää, haluan kuolla"
        ack = await newcomer.say("olohuone", text)
        assert ack["type"] == "ack", "posted, not held for a facilitator"
        posted = await reader.wait_for(lambda f: f.get("text") == text)
        assert (posted["seq"], posted["flag"]) == (ack["seq"], "crisis")
        await newcomer.wait_for(lambda f: f["type"] == "crisis_resources")
        status = await newcomer.wait_for(lambda f: f["type"] == "help_status")
        assert status["status"] == "notified"
        alert = await sanna.wait_for(lambda f: f["type"] == "alert" and f["why"] == "crisis")
        assert alert["alert"]["seq"] == ack["seq"]
        assert not [f for f in sanna.frames if f["type"] == "held_message"]
    finally:
        for ws in (sanna, newcomer, reader):
            await ws.close()
        await admin.close()
        await sanna_http.close()


# --- crisis language in a line the room's controls refuse ---------------------------------

async def act(ws: ChatClient, **frame) -> dict:
    return await ws.request({"type": "moderate", **frame})


def count(ws: ChatClient, kind: str) -> int:
    return len([f for f in ws.frames if f["type"] == kind])


async def assert_refused_with_help(writer: ChatClient, sanna: ChatClient, code: str,
                                   text: str = "en jaksa enää, haluan kuolla") -> dict:
    """The crisis line is refused as before, and the writer still gets the crisis lines and
    hears that a facilitator was told; Sanna gets the alert, with no message to point at."""
    refused = await writer.say("olohuone", text)
    assert (refused["type"], refused["code"]) == ("error", code)
    resources = await writer.wait_for(lambda f: f["type"] == "crisis_resources")
    assert "112" in [r["phone"] for r in resources["resources"]]
    status = await writer.wait_for(lambda f: f["type"] == "help_status")
    assert status["status"] == "notified"
    alert = await sanna.wait_for(lambda f: f["type"] == "alert" and f["why"] == "crisis")
    assert alert["name"] == writer.pseudonym and alert["alert"]["seq"] is None
    return refused


async def test_a_crisis_line_in_slow_mode_is_posted_at_once(room):
    """Slow mode only paces: a second line with crisis language a moment after the first was
    refused "wait 30 seconds", with no crisis lines and nobody told. Now it is posted (flagged
    for the others) and alerts; a plain line that soon still waits, counted from it."""
    _, writer, reader, sanna = room
    await act(sanna, room="olohuone", action="slow_mode", seconds=30)
    await writer.wait_for(lambda f: f["type"] == "room_controls" and f["slow_mode"] == 30)
    assert (await writer.say("olohuone", "hei"))["type"] == "ack"
    slow = await writer.say("olohuone", "hei taas")
    assert slow["code"] == "slow_mode" and slow["retry_after"] > 25
    text = "en jaksa enää, haluan kuolla"
    ack = await writer.say("olohuone", text)
    assert ack["type"] == "ack", "not held back by slow mode"
    posted = await reader.wait_for(lambda f: f.get("text") == text)
    assert (posted["seq"], posted["flag"]) == (ack["seq"], "crisis")
    await writer.wait_for(lambda f: f["type"] == "crisis_resources")
    alert = await sanna.wait_for(lambda f: f["type"] == "alert" and f["why"] == "crisis")
    assert alert["alert"]["seq"] == ack["seq"]
    again = await writer.say("olohuone", "anteeksi")
    assert again["code"] == "slow_mode" and again["retry_after"] > 25


async def test_a_muted_persons_crisis_line_is_refused_but_brings_the_crisis_lines(room):
    """Muted, a person wrote that they cannot go on and read only "you cannot send messages":
    no crisis lines, no facilitator told. The mute still holds (nothing is posted), but the
    crisis lines come at once and the facilitators are alerted; a plain line as before.
    Written again and again, it is one call: the lines and the alert once, not a flood."""
    _, writer, reader, sanna = room
    joined = next(f for f in writer.frames if f["type"] == "joined")
    await act(sanna, room="olohuone", action="mute", member=joined["member"], seconds=600)
    await writer.wait_for(lambda f: f["type"] == "sanction")
    plain = await writer.say("olohuone", "hei?")
    assert plain["code"] == "muted" and 590 < plain["retry_after"] <= 600
    await asyncio.sleep(0.2)
    assert count(writer, "crisis_resources") == 0 and count(sanna, "alert") == 0
    refused = await assert_refused_with_help(writer, sanna, "muted")
    assert 590 < refused["retry_after"] <= 600
    for line in ("haluan kuolla", "en jaksa enää", "haluan kuolla, kukaan ei kuule"):
        assert (await writer.say("olohuone", line))["code"] == "muted"
    await asyncio.sleep(0.5)
    assert count(writer, "crisis_resources") == 1, "a flood of refusals is one set of lines"
    assert count(writer, "help_status") == 1 and count(sanna, "alert") == 1
    assert not reader.events("olohuone", "message")


async def test_a_crisis_line_in_a_locked_room_is_refused_but_brings_the_crisis_lines(room):
    _, writer, reader, sanna = room
    await act(sanna, room="olohuone", action="lock", on=True)
    await writer.wait_for(lambda f: f["type"] == "room_controls" and f["locked"])
    assert (await writer.say("olohuone", "lukossa?"))["code"] == "room_locked"
    await asyncio.sleep(0.2)
    assert count(writer, "crisis_resources") == 0 and count(sanna, "alert") == 0
    await assert_refused_with_help(writer, sanna, "room_locked")
    assert not reader.events("olohuone", "message")


async def staffed_with(start_server, tmp_path, rooms: tuple[str, ...] = (),
                       **settings: object):
    """A server with ``settings`` over FAST, the guided ``rooms`` made, and Sanna
    (facilitator of olohuone and those) signed in."""
    db = f"sqlite+aiosqlite:///{tmp_path}/refused.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, **{**FAST, **settings})
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    for room_id in rooms:
        await make_room(admin, room_id)
    await add_facilitator(admin, "sanna", ["olohuone", *rooms])
    sanna_http = StaffHttp(server.url)
    await sanna_http.login("sanna", FACILITATOR_PASSWORD)
    sanna = await sanna_http.socket(server.ws_url)
    return server, sanna, (admin, sanna_http)


async def test_a_crisis_line_over_the_send_rate_is_refused_but_brings_the_crisis_lines(
        start_server, tmp_path):
    """The send rate still refuses the line, but its crisis language is seen."""
    server, sanna, https = await staffed_with(start_server, tmp_path, send_rate=0.01,
                                              send_burst=1)
    writer = await ChatClient.connect(server.ws_url)
    try:
        await writer.join("olohuone")
        assert (await writer.say("olohuone", "hei"))["type"] == "ack"
        assert (await writer.say("olohuone", "hei taas"))["code"] == "rate_limited"
        await asyncio.sleep(0.2)
        assert count(writer, "crisis_resources") == 0 and count(sanna, "alert") == 0
        await assert_refused_with_help(writer, sanna, "rate_limited")
    finally:
        for ws in (sanna, writer):
            await ws.close()
        for http in https:
            await http.close()


async def test_an_edit_too_late_with_crisis_language_brings_the_crisis_lines(start_server,
                                                                            tmp_path):
    """Editing one's old message to say one cannot go on: refused as too late (the page
    offers the edit on any message of one's own), and nobody heard it. Now the crisis lines
    come and the facilitators are alerted; a plain late edit is refused as before."""
    server, sanna, https = await staffed_with(start_server, tmp_path, edit_window_seconds=1)
    writer = await ChatClient.connect(server.ws_url)
    try:
        await writer.join("olohuone")
        seq = (await writer.say("olohuone", "hei"))["seq"]
        await asyncio.sleep(1.5)
        edit = {"type": "edit", "room": "olohuone", "seq": seq}
        late = await writer.request({**edit, "text": "hei kaikki"})
        assert (late["type"], late["code"]) == ("error", "edit_window_passed")
        await asyncio.sleep(0.2)
        assert count(writer, "crisis_resources") == 0 and count(sanna, "alert") == 0
        late = await writer.request({**edit, "text": "en jaksa enää, haluan kuolla"})
        assert (late["type"], late["code"]) == ("error", "edit_window_passed")
        await writer.wait_for(lambda f: f["type"] == "crisis_resources")
        alert = await sanna.wait_for(lambda f: f["type"] == "alert" and f["why"] == "crisis")
        assert alert["alert"]["seq"] is None
    finally:
        for ws in (sanna, writer):
            await ws.close()
        for http in https:
            await http.close()


async def test_a_crisis_line_in_a_group_not_started_yet_brings_the_crisis_lines(start_server,
                                                                               tmp_path):
    """In the lobby of a group that has not started, lines are refused (the lobby is read
    only) as before; one with crisis language brings the crisis lines and the alert."""
    server, sanna, https = await staffed_with(start_server, tmp_path, rooms=("ilta",),
                                              **TIMER)
    admin = https[0]
    writer = await ChatClient.connect(server.ws_url)
    try:
        await make_session(admin, "ilta", local_minute(5), 60)
        await wait_state(server, "ilta", "lobby")
        assert (await writer.join("ilta"))["session"]["state"] == "lobby"
        plain = await writer.say("ilta", "hei kaikki")
        assert (plain["type"], plain["code"]) == ("error", "session_not_started")
        await asyncio.sleep(0.2)
        assert count(writer, "crisis_resources") == 0 and count(sanna, "alert") == 0
        refused = await writer.say("ilta", "en jaksa enää, haluan kuolla")
        assert (refused["type"], refused["code"]) == ("error", "session_not_started")
        resources = await writer.wait_for(lambda f: f["type"] == "crisis_resources")
        assert resources["room"] == "ilta"
        alert = await sanna.wait_for(lambda f: f["type"] == "alert" and f["why"] == "crisis")
        assert alert["room"] == "ilta" and alert["alert"]["seq"] is None
    finally:
        for ws in (sanna, writer):
            await ws.close()
        for http in https:
            await http.close()


async def test_edits_keep_to_the_mute_the_lock_and_the_shadow_mute(room):
    """Muted or in a locked room, a participant could still rewrite what they had written,
    and a shadow-muted one could put new words in front of everyone by editing an old line.
    Now an edit is refused as a line is (muted, room_locked), with the crisis lines if it
    has crisis language; a shadow-muted person's edit reaches only them, and the stored
    message stays as the room read it."""
    server, writer, reader, sanna = room
    member = next(f for f in writer.frames if f["type"] == "joined")["member"]
    first = await writer.say("olohuone", "hyvää iltaa kaikille")
    await reader.wait_for(lambda f: f.get("text") == "hyvää iltaa kaikille")

    async def edit(text: str) -> dict:
        return await writer.request({"type": "edit", "room": "olohuone", "seq": first["seq"],
                                     "text": text})

    await act(sanna, room="olohuone", action="mute", member=member, seconds=600)
    await writer.wait_for(lambda f: f["type"] == "sanction")
    refused = await edit("ette ole mitään")
    assert refused["code"] == "muted" and 590 < refused["retry_after"] <= 600
    crisis = await edit("en jaksa enää, haluan kuolla")
    assert crisis["code"] == "muted"
    await writer.wait_for(lambda f: f["type"] == "crisis_resources")
    alert = await sanna.wait_for(lambda f: f["type"] == "alert" and f["why"] == "crisis")
    assert alert["alert"]["seq"] is None
    await act(sanna, room="olohuone", action="unmute", member=member)
    await writer.wait_for(lambda f: f.get("sanction") == "unmute")

    await act(sanna, room="olohuone", action="lock", on=True)
    await writer.wait_for(lambda f: f["type"] == "room_controls" and f["locked"])
    assert (await edit("lukossa muokkaan"))["code"] == "room_locked"
    await act(sanna, room="olohuone", action="lock", on=False)
    await writer.wait_for(lambda f: f["type"] == "room_controls" and not f["locked"])

    await act(sanna, room="olohuone", action="mute", member=member, seconds=600, on=True)
    await asyncio.sleep(0.3)
    assert (await edit("uudet sanat kaikkien eteen"))["type"] == "ack"
    mine = await writer.wait_for(lambda f: f["type"] == "message_edited")
    assert mine["text"] == "uudet sanat kaikkien eteen" and "only" not in mine
    staff_view = await sanna.wait_for(lambda f: f["type"] == "message_edited")
    assert staff_view["only"] == member
    await sanna.say("olohuone", "merkki")
    await reader.wait_for(lambda f: f.get("text") == "merkki")
    assert not reader.events("olohuone", "message_edited"), "nobody else saw the edit"
    late = await ChatClient.connect(server.ws_url)
    await late.join("olohuone", since=0)
    shown = {f["seq"]: f for f in late.events("olohuone", "message")}
    assert shown[first["seq"]]["text"] == "hyvää iltaa kaikille"
    assert not [f for f in late.frames if "uudet sanat" in str(f)]
    await late.close()
