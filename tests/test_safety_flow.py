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
