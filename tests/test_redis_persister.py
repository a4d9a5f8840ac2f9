"""The Redis persister (chatserver/broker/redis.py, issue 20): events acknowledged one by one
reach the database in few transactions, and what a process has read from the persistence
queue reaches the database even when Redis is lost before it could be stored. Against a real
redis-server; the database is a recording callback (what the broker hands it is the point)."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Sequence

import pytest
from redis.asyncio import Redis

from chatserver.broker import create_broker, redis_persister
from chatserver.broker import redis as redis_broker
from chatserver.broker.base import EventMeta, StreamEntry
from chatserver.broker.redis_persister import PERSIST_GROUP, PERSIST_STREAM
from chatserver.testing import RedisServer


class RecordingStore:
    """Stands in for the database's batch insert; it can be made to fail (an outage)."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.attempts = 0
        self.failing = False

    async def __call__(self, entries: Sequence[StreamEntry]) -> None:
        self.attempts += 1
        if self.failing:
            raise ConnectionError("database unavailable")
        self.batches.append([e.seq for e in entries])

    def stored(self) -> set[int]:
        return {seq for batch in self.batches for seq in batch}


async def _nothing(*_: object) -> None:
    return None


async def _until(condition, what: str, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def _started(redis_server: RedisServer, store: RecordingStore):  # type: ignore[no-untyped-def]
    broker = create_broker(redis_server.url, durable_write=_nothing, store_batch=store,
                           buffer_events=100, buffer_seconds=60)
    await broker.start(lambda *_: None, lambda _: None, _nothing)
    return broker


async def _append(broker, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    seqs = []
    for i in range(count):  # one after another, as people write: each acked before the next
        seq, _ = await broker.append("olohuone", b'{"type":"message","text":"%d"}' % i,
                                     EventMeta("message", "m1", int(time.time() * 1000)),
                                     persist=True, floor=0)
        seqs.append(seq)
    return seqs


async def test_events_written_one_by_one_are_stored_together(redis_server: RedisServer) -> None:
    store = RecordingStore()
    broker = await _started(redis_server, store)
    try:
        seqs = await _append(broker, 60)
        await _until(lambda: store.stored() >= set(seqs), "not every event was stored")
        assert sorted(s for batch in store.batches for s in batch) == seqs  # each once
        # Stored one by one, 60 events were 60 transactions (and 60 more Redis round trips).
        assert len(store.batches) <= 12, store.batches
    finally:
        await broker.close()


async def test_what_was_read_is_stored_after_redis_is_lost(redis_server: RedisServer) -> None:
    """The database fails when the persister first tries; then Redis (no persistence) is
    killed, so the queue's copy is gone: the process's own copy still reaches the database
    once it is back, while Redis is still down."""
    store = RecordingStore()
    store.failing = True
    broker = await _started(redis_server, store)
    try:
        seqs = await _append(broker, 5)
        await _until(lambda: store.attempts > 0, "the persister never read the events")
        redis_server.stop(signal.SIGKILL)
        store.failing = False
        await _until(lambda: store.stored() >= set(seqs),
                     f"acknowledged events lost with Redis: stored {sorted(store.stored())}")
    finally:
        await broker.close()


async def test_an_acknowledged_event_survives_redis_killed_at_once(
        redis_server: RedisServer) -> None:
    """An append reads its own event from the persistence queue in the same script: once the
    sender has its acknowledgement, the process holds the event, however soon Redis (without
    persistence) dies after it."""
    store = RecordingStore()
    broker = await _started(redis_server, store)
    try:
        seqs = await _append(broker, 20)
        redis_server.stop(signal.SIGKILL)  # at once: no time for a separate read
        await _until(lambda: store.stored() >= set(seqs),
                     f"acknowledged events lost with Redis: stored {sorted(store.stored())}")
        assert sorted(s for batch in store.batches for s in batch) == seqs
    finally:
        await broker.close()


@pytest.fixture
def slow_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    """The persister's own sweep as backed off as it gets on an idle server, and more: what
    these tests see stored soon was read because the persister knew it had to, not by a
    sweep that happened to come."""
    monkeypatch.setattr(redis_persister, "PERSIST_SWEEP_SECONDS", 60.0)
    monkeypatch.setattr(redis_persister, "PERSIST_SWEEP_MAX_SECONDS", 60.0)


async def test_an_event_no_append_could_read_is_stored_at_once_when_the_group_is_gone(
        redis_server: RedisServer, slow_sweep: None) -> None:
    """The persistence queue's group is gone (as after Redis restarted empty): an append's
    own read fails, so the event waits unread; the persister makes the group again and reads
    it then, not at its next sweep."""
    store = RecordingStore()
    broker = await _started(redis_server, store)
    admin = Redis.from_url(redis_server.url)
    try:
        await asyncio.sleep(0.3)  # the first sweep at start has come and gone
        await admin.xgroup_destroy(PERSIST_STREAM, PERSIST_GROUP)
        seqs = await _append(broker, 3)
        await _until(lambda: store.stored() >= set(seqs),
                     f"unread events waited for the sweep: stored {sorted(store.stored())}",
                     timeout=5)
    finally:
        await admin.aclose()
        await broker.close()


async def test_what_a_full_batch_left_unread_is_stored_as_soon_as_the_batch_is(
        redis_server: RedisServer, slow_sweep: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database is down, so this process's batch fills and its appends stop reading (the
    rest waits in Redis); once the database is back, the batch is stored and what was left
    unread follows at once."""
    monkeypatch.setattr(redis_persister, "PERSIST_BATCH", 4)
    monkeypatch.setattr(redis_broker, "PERSIST_BATCH", 4)  # the appends' reads
    store = RecordingStore()
    store.failing = True
    broker = await _started(redis_server, store)
    try:
        seqs = await _append(broker, 10)
        await _until(lambda: store.attempts > 0, "the persister never tried the database")
        store.failing = False
        await _until(lambda: store.stored() >= set(seqs),
                     f"unread events waited for the sweep: stored {sorted(store.stored())} "
                     f"attempts {store.attempts}", timeout=8)
        assert sorted(s for batch in store.batches for s in batch) == seqs  # each once
    finally:
        await broker.close()
