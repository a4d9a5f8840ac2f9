"""Retention reaches every copy of an event (issue 17, item 9): what the database purge removes
also leaves the broker's resume buffer (memory and Redis); a resume from before it says it is
incomplete; a redaction outlives an active room's buffer; a `since` beyond the room's last
event is answered with the real last number."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from chatserver.broker import StreamEntry, create_broker
from chatserver.broker.base import EventMeta
from chatserver.core.maintenance import apply_retention
from chatserver.core.rooms import RoomLog, to_stored
from chatserver.domain.config import Settings
from chatserver.domain.protocol import event_body
from chatserver.storage.migrate import migrate
from chatserver.storage.store import Store
from chatserver.testing import FAST, ChatClient

ROOM = "paivat"
OLD_TEXT = "kolmen päivän takainen salaisuus"
NEW_TEXT = "tämän päivän viesti"


async def add_dated_room(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO rooms (id, names, descriptions, kind, access, capacity, retention, "
            "retention_days, is_open, last_seq, position, created_at) VALUES (:id, :n, :d, "
            "'unguided', 'drop_in', 20, 'days', 1, :open, 0, 9, :at)"),
            {"id": ROOM, "n": json.dumps({"fi": "Päivät", "sv": "Dagar", "en": "Days"}),
             "d": json.dumps({"fi": "", "sv": "", "en": ""}), "open": True,
             "at": datetime.now(UTC)})
    await engine.dispose()


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_retention_removes_events_from_the_resume_buffer_too(backend, tmp_path, request):
    if backend == "redis":
        redis_url = request.getfixturevalue("redis_server").url
        url = request.getfixturevalue("pg_url")
    else:
        redis_url, url = "", f"sqlite+aiosqlite:///{tmp_path}/buffer.sqlite3"
    await migrate(url)
    await add_dated_room(url)
    store = Store.from_url(url)

    async def durable(entry: StreamEntry) -> None:
        await store.insert_events([to_stored(entry)])

    async def batch(entries) -> None:
        await store.insert_events([to_stored(e) for e in entries])

    broker = create_broker(redis_url, durable_write=durable, store_batch=batch,
                           buffer_events=1000, buffer_seconds=900)

    async def nothing() -> None:
        return None

    await broker.start(lambda *_: None, lambda _: None, nothing)
    room = await store.get_room(ROOM)
    assert room is not None
    log = RoomLog(broker, store)
    now = datetime.now(UTC)
    seqs = []
    for when, words in ((now - timedelta(days=3), OLD_TEXT), (now - timedelta(days=3), OLD_TEXT),
                        (now, NEW_TEXT)):
        ts = int(when.timestamp() * 1000)
        seq, _ = await log.append(room, event_body(
            {"type": "message", "room": ROOM, "ts": ts, "member": "m1", "name": "Tyyni",
             "role": "participant", "text": words}), EventMeta("message", "m1", ts))
        seqs.append(seq)
    deadline = time.monotonic() + 10
    while await store.count_events(ROOM) < 3:  # Redis: stored from the queue meanwhile
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    before, complete = await log.replay(room, 0)
    assert [s for s, _ in before] == seqs and complete

    deleted, _ = await apply_retention(store, Settings(database_url=url), now, broker)
    assert deleted == 2
    fresh = RoomLog(broker, store)  # another process, with nothing cached
    for reader in (log, fresh):
        after, complete = await reader.replay(room, 0)
        assert [s for s, _ in after] == [seqs[2]], after
        assert complete is False  # the client is told some messages are gone
        assert not [f for _, f in after if OLD_TEXT in f]
        resumed, complete = await reader.replay(room, seqs[1])
        assert [s for s, _ in resumed] == [seqs[2]] and complete is True
    buffered, _ = await broker.recent(ROOM, 0, 100)
    assert [s for s, _ in buffered] == [seqs[2]]
    if redis_url:
        client = aioredis.Redis.from_url(redis_url)
        raw = await client.xrange(f"chat:buf:{ROOM}")
        await client.aclose()
        assert not [e for e in raw if OLD_TEXT.encode() in e[1][b"f"]]
    await broker.close()
    await store.close()


async def test_a_redaction_outlives_an_active_rooms_override_lifetime(start_server,
                                                                      redis_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/redact.sqlite3"
    server = start_server(database_url=db, redis_url=redis_server.url, **FAST,
                          resume_buffer_seconds=2)
    writer = await ChatClient.connect(server.ws_url)
    await writer.join("olohuone")
    seq = (await writer.say("olohuone", "poistan tämän kohta"))["seq"]
    assert (await writer.request({"type": "delete", "room": "olohuone", "seq": seq}))[
        "type"] != "error"
    # The room stays busy for longer than the buffer's idle lifetime.
    for i in range(8):
        await writer.say("olohuone", f"jatkuu {i}")
        await asyncio.sleep(0.5)
    reader = await ChatClient.connect(server.ws_url)
    await reader.join("olohuone", since=seq - 1)
    [message] = [f for f in reader.events("olohuone", "message") if f["seq"] == seq]
    assert "text" not in message and message.get("redacted") == "writer", message
    for c in (writer, reader):
        await c.close()


async def test_a_since_beyond_the_last_event_gets_the_real_last_number(start_server,
                                                                        tmp_path):
    server = start_server(database_url=f"sqlite+aiosqlite:///{tmp_path}/since.sqlite3",
                          **FAST)
    writer = await ChatClient.connect(server.ws_url)
    await writer.join("olohuone")
    last = (await writer.say("olohuone", "viimeisin"))["seq"]
    stranger = await ChatClient.connect(server.ws_url)
    joined = await stranger.join("olohuone", since=last + 1_000_000)
    assert last <= joined["seq"] < last + 1_000_000, joined
    # What comes next is new to the client, and it has the number to see that.
    sent = await writer.say("olohuone", "uusi")
    message = await stranger.wait_for(lambda f: f.get("text") == "uusi")
    assert message["seq"] == sent["seq"] > joined["seq"]
    for c in (writer, stranger):
        await c.close()
