"""A participant's control over their own part, across two processes (real Redis)."""

from __future__ import annotations

import asyncio

import pytest

from chatserver.testing import FAST, ChatClient
from tests.dbcheck import stored_message_seqs


@pytest.fixture
def pair(start_server, redis_server, pg_url):
    env = {**FAST, "edit_window_seconds": 2}
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **env)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **env)
    return a, b, pg_url


async def test_edit_and_delete_own_messages_everywhere_and_in_resume(pair):
    a, b, _ = pair
    writer = await ChatClient.connect(a.ws_url)
    reader = await ChatClient.connect(b.ws_url)
    await writer.join("olohuone")
    await reader.join("olohuone")
    first = await writer.say("olohuone", "olin tänään tosi vihainen")
    second = await writer.say("olohuone", "kerroin liikaa itsestäni")
    edited = await writer.request({"type": "edit", "room": "olohuone", "seq": first["seq"],
                                   "text": "olin tänään vähän allapäin"})
    assert edited["type"] == "ack"
    seen = await reader.wait_for(lambda f: f["type"] == "message_edited")
    assert (seen["target"], seen["text"]) == (first["seq"], "olin tänään vähän allapäin")
    deleted = await writer.request({"type": "delete", "room": "olohuone", "seq": second["seq"]})
    assert deleted == {"type": "deleted", "id": deleted["id"], "room": "olohuone",
                       "seqs": [second["seq"]]}
    gone = await reader.wait_for(lambda f: f["type"] == "message_redacted")
    assert (gone["target"], gone["by"]) == (second["seq"], "writer")
    # Someone else cannot edit or delete it; after the window, editing is refused.
    other = await reader.request({"type": "delete", "room": "olohuone", "seq": first["seq"]})
    assert other["code"] == "not_your_message"
    other = await reader.request({"type": "edit", "room": "olohuone", "seq": first["seq"],
                                  "text": "x"})
    assert other["code"] == "not_your_message"
    await asyncio.sleep(2.2)
    late = await writer.request({"type": "edit", "room": "olohuone", "seq": first["seq"],
                                 "text": "liian myöhään"})
    assert late["code"] == "edit_window_passed"
    await asyncio.sleep(0.5)
    for server in (a, b):  # resume on either process shows the edited and removed texts
        fresh = await ChatClient.connect(server.ws_url)
        await fresh.join("olohuone", since=0)
        shown = {f["seq"]: f for f in fresh.events("olohuone", "message")}
        assert shown[first["seq"]]["text"] == "olin tänään vähän allapäin"
        assert "edited" in shown[first["seq"]]
        assert "text" not in shown[second["seq"]]
        assert shown[second["seq"]]["redacted"] == "writer"
        assert "vihainen" not in str(fresh.frames) and "liikaa" not in str(fresh.frames)
        await fresh.close()
    for c in (writer, reader):
        await c.close()


async def test_leave_and_erase_removes_every_message_of_that_identity(pair):
    a, b, pg_url = pair
    person = await ChatClient.connect(a.ws_url)
    other = await ChatClient.connect(b.ws_url)
    await person.join("olohuone")
    await person.join("laheiset")
    await other.join("olohuone")
    mine = [(await person.say("olohuone", f"oma {i}"))["seq"] for i in range(3)]
    elsewhere = (await person.say("laheiset", "toisessa huoneessa"))["seq"]
    kept = (await other.say("olohuone", "toisen viesti"))["seq"]
    erased = await person.request({"type": "erase", "scope": "room", "room": "olohuone"})
    assert sorted(erased["seqs"]) == mine
    await asyncio.sleep(0.5)
    fresh = await ChatClient.connect(b.ws_url)
    await fresh.join("olohuone", since=0)
    texts = {f["seq"]: f.get("text") for f in fresh.events("olohuone", "message")}
    assert all(texts[s] is None for s in mine) and texts[kept] == "toisen viesti"
    everywhere = await person.request({"type": "erase", "scope": "all"})
    assert everywhere["seqs"] == [elsewhere]
    # The texts are gone from the database too; the rows keep no text.
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(pg_url)
    async with engine.connect() as conn:
        frames = (await conn.execute(text("SELECT frame FROM events"))).scalars().all()
    await engine.dispose()
    assert not [f for f in frames if "oma " in f or "toisessa huoneessa" in f]
    assert set(mine) <= set(await stored_message_seqs(pg_url, "olohuone"))
    for c in (person, other, fresh):
        await c.close()


async def test_reactions_count_once_per_identity_and_never_name_anyone(pair):
    a, b, _ = pair
    writer = await ChatClient.connect(a.ws_url)
    fan = await ChatClient.connect(b.ws_url)
    bystander = await ChatClient.connect(a.ws_url)
    for c in (writer, fan, bystander):
        await c.join("olohuone")
    msg = await writer.say("olohuone", "tänään oli vaikeaa")
    for _ in range(3):  # the same person, three times: counted once
        answer = await fan.request({"type": "react", "room": "olohuone", "seq": msg["seq"],
                                    "reaction": "hug"})
        assert answer["counts"] == {"hug": 1}
    await bystander.request({"type": "react", "room": "olohuone", "seq": msg["seq"],
                             "reaction": "hug"})
    seen = await writer.wait_for(lambda f: f["type"] == "reactions"
                                 and f["counts"].get("hug") == 2)
    assert set(seen) == {"type", "room", "target", "counts"}, "counts only, no names"
    bad = await fan.request({"type": "react", "room": "olohuone", "seq": msg["seq"],
                             "reaction": "angry"})
    assert bad["code"] == "invalid_frame"
    undone = await fan.request({"type": "react", "room": "olohuone", "seq": msg["seq"],
                                "reaction": "hug", "on": False})
    assert undone["counts"] == {"hug": 1}
    late = await ChatClient.connect(b.ws_url)
    joined = await late.join("olohuone")
    assert joined["reactions"][str(msg["seq"])] == {"hug": 1}
    codes = [(await fan.request({"type": "react", "room": "olohuone", "seq": msg["seq"],
                                 "reaction": "heart", "on": i % 2 == 0}))["type"]
             for i in range(12)]
    assert "error" in codes, "reactions are rate-limited"
    for c in (writer, fan, bystander, late):
        await c.close()


async def test_content_warnings_and_reading_without_being_listed(pair):
    a, b, _ = pair
    writer = await ChatClient.connect(a.ws_url)
    reader = await ChatClient.connect(b.ws_url)
    await writer.join("olohuone")
    joined = await reader.request({"type": "join", "room": "olohuone", "hidden": True})
    assert joined["type"] == "joined"
    await asyncio.sleep(0.3)
    assert not [f for f in writer.frames if f.get("type") == "member_joined"
                and f.get("member") == joined["member"]], "a hidden reader is not announced"
    watcher = await ChatClient.connect(a.ws_url)
    seen = await watcher.join("olohuone")
    assert joined["member"] not in {m["member"] for m in seen["members"]}
    assert seen["readers"] == 1
    heavy = await writer.say("olohuone", "kerron nyt jotain raskasta", cw="väkivalta")
    shown = await reader.wait_for(lambda f: f.get("seq") == heavy["seq"])
    assert shown["cw"] == "väkivalta"
    guided = await reader.request({"type": "join", "room": "laheiset", "hidden": True})
    assert guided["type"] == "joined"  # the seeded guided room is drop-in too
    for c in (writer, reader, watcher):
        await c.close()


async def test_a_facilitator_adds_a_content_warning_to_someone_elses_message(staffed):
    server, sanna = staffed
    writer = await ChatClient.connect(server.ws_url)
    reader = await ChatClient.connect(server.ws_url)
    await writer.join("olohuone")
    await reader.join("olohuone")
    msg = await writer.say("olohuone", "kerron yksityiskohtaisesti mitä tapahtui")
    refused = await reader.request({"type": "moderate", "room": "olohuone",
                                    "action": "content_warning", "seq": msg["seq"]})
    assert refused["code"] == "forbidden"
    done = await sanna.request({"type": "moderate", "room": "olohuone",
                                "action": "content_warning", "seq": msg["seq"],
                                "text": "väkivalta"})
    assert done["type"] == "done"
    warned = await reader.wait_for(lambda f: f["type"] == "message_warned")
    assert (warned["target"], warned["cw"]) == (msg["seq"], "väkivalta")
    late = await ChatClient.connect(server.ws_url)
    await late.join("olohuone")
    shown = {f["seq"]: f for f in late.events("olohuone", "message")}
    assert shown[msg["seq"]]["cw"] == "väkivalta"
    for c in (writer, reader, late):
        await c.close()
