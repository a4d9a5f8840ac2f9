"""Retention per room: an ephemeral room never writes its stream to the database."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from chatserver.testing import FAST, ChatClient


async def add_room(url: str, room_id: str, retention: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO rooms (id, names, descriptions, kind, access, capacity, retention, "
            "is_open, last_seq, position, created_at) VALUES (:id, :n, :d, 'unguided', "
            "'drop_in', 20, :r, :open, 0, 9, :at)"),
            {"id": room_id, "n": json.dumps({"fi": "Hetki", "sv": "Stund", "en": "Moment"}),
             "d": json.dumps({"fi": "", "sv": "", "en": ""}), "r": retention, "open": True,
             "at": datetime.now(UTC)})
    await engine.dispose()


async def stored_texts(url: str) -> list[str]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT room_id, frame FROM events"))).all()
    await engine.dispose()
    return [f"{room} {frame}" for room, frame in rows]


async def test_ephemeral_room_keeps_nothing_in_the_database_yet_resumes(start_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/retention.sqlite3"
    start_server(database_url=db).stop()  # migrated and seeded
    await add_room(db, "hetki", "ephemeral")
    server = start_server(database_url=db, **FAST)
    alice = await ChatClient.connect(server.ws_url)
    bob = await ChatClient.connect(server.ws_url)
    await alice.join("hetki")
    await bob.join("hetki")
    await alice.say("hetki", "vain tässä ja nyt")
    await bob.wait_for(lambda f: f.get("text") == "vain tässä ja nyt")
    last, token = bob.last_seq("hetki"), bob.token
    await bob.close()
    missed = await alice.say("hetki", "sillä aikaa")
    # A short disconnect resumes from the broker's buffer, as in any room.
    again = await ChatClient.connect(server.ws_url, token=token)
    joined = await again.join("hetki", since=last)
    assert joined["complete"] is True
    assert [f["seq"] for f in again.events("hetki", "message")] == [missed["seq"]]
    # Someone new sees nothing from before they came.
    newcomer = await ChatClient.connect(server.ws_url)
    await newcomer.join("hetki")
    assert newcomer.events("hetki", "message") == []
    for c in (alice, again, newcomer):
        await c.close()
    server.stop()
    stored = await stored_texts(db)
    assert not [row for row in stored if row.startswith("hetki ")]
    assert not [row for row in stored if "tässä ja nyt" in row or "sillä aikaa" in row]
