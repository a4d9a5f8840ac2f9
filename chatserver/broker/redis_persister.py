"""The Redis broker's persister: from the persistence queue into the database.

Every append also queues its event on one Redis stream (`chat:persist`); the processes read
it as one consumer group, so whichever process is alive stores what was queued, and what a
dead process read but never stored is claimed by a live one. The append script itself reads
for its process (``take``): an acknowledged event is in that process's hands with its
acknowledgement. What a process holds is stored together, then acknowledged to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from typing import Any

from redis.exceptions import ResponseError

from chatserver.broker.base import BatchStore, EventMeta, StreamEntry

log = logging.getLogger("chatserver.broker")

PERSIST_STREAM = "chat:persist"
PERSIST_GROUP = "persisters"
PERSIST_BATCH = 500
# Events read from the persistence queue are stored together once this much time has passed
# since the first of them (or a batch is full). An append reads its own event (and whatever
# else nobody has read) in its script, so an acknowledged event is in this process's hands
# with its acknowledgement; only the database's copy waits. At a chat's rates (a few hundred
# messages a second over many rooms) storing each at once cost a database transaction and a
# Redis round trip per message, and reading each a third.
PERSIST_LINGER_SECONDS = 0.05
# How often the persister itself reads the queue, for what no append took. Appends read for
# their process, so a sweep finds something only when an append could not: its process had a
# full batch waiting for the database (``taker`` empty), or the group was gone (Redis
# restarted empty). Both are known here, and the next sweep then comes at once; otherwise a
# sweep that finds nothing waits twice as long for the next, up to PERSIST_SWEEP_MAX_SECONDS.
# At 0.5 s the sweeps were half of an idle process's CPU with Redis.
PERSIST_SWEEP_SECONDS = 0.5
PERSIST_SWEEP_MAX_SECONDS = 5.0
# Entries a consumer read but did not acknowledge for this long belong to a dead process.
ABANDONED_MS = 10_000


def stream_entries(entries: list[Any]) -> list[StreamEntry]:
    """The persistence queue's entries as events to store (an entry deleted meanwhile has no
    fields and is left out)."""
    return [StreamEntry(room=f[b"r"].decode(), seq=int(f[b"s"]),
                        meta=EventMeta(kind=f[b"k"].decode(), member=f[b"m"].decode(),
                                       ts_ms=int(f[b"t"])),
                        frame=f[b"f"])
            for _, f in entries if f]


class Persister:
    def __init__(self, redis: Any, store_batch: BatchStore, consumer: str) -> None:
        self._redis = redis
        self._store_batch = store_batch
        self.consumer = consumer
        self.closing = False
        self._unstored: list[Any] = []  # read from the persistence queue, not yet stored
        self._first_taken = 0.0  # when the oldest of them was read
        self._taken = asyncio.Event()  # set when the first of a batch is read
        self._unacked: list[Any] = []  # stored, not yet acknowledged to the queue
        self._sweep_every = PERSIST_SWEEP_SECONDS
        self._hurry = False  # an append left something unread: sweep as soon as possible

    @property
    def taker(self) -> str:
        """The consumer an append reads for; '' (nothing) while a full batch waits for the
        database: the rest stays in Redis, unread, until this process catches up."""
        if len(self._unstored) < PERSIST_BATCH:
            return self.consumer
        self._hurry = True
        return ""

    def hurry(self) -> None:
        """Something may be queued that no append read (an append's read failed, Redis is
        back): the next sweep now."""
        self._hurry = True
        self._taken.set()

    def take(self, entries: list[Any]) -> None:
        """Entries of the persistence queue now read by this process (in its pending list):
        stored together, PERSIST_LINGER_SECONDS after the first."""
        if entries and not self._unstored:
            self._first_taken = time.monotonic()
            self._taken.set()
        self._unstored.extend(entries)

    async def ensure_group(self) -> None:
        try:
            await self._redis.xgroup_create(PERSIST_STREAM, PERSIST_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self) -> None:
        last_claim = last_sweep = 0.0
        backoff = 0.2
        while not self.closing:
            try:
                # What was read is stored first: while Redis is down, the database may not be.
                if self._unacked or (self._unstored and (
                        len(self._unstored) >= PERSIST_BATCH
                        or time.monotonic() - self._first_taken >= PERSIST_LINGER_SECONDS)):
                    await self._store_read()
                now = time.monotonic()
                if now - last_claim > 5:
                    last_claim = now
                    await self._claim_abandoned()
                if (self._hurry or now - last_sweep >= self._sweep_every) and self.taker:
                    last_sweep = now
                    await self._sweep()
                self._taken.clear()
                if self._unstored:
                    wait = self._first_taken + PERSIST_LINGER_SECONDS - time.monotonic()
                else:
                    wait = 0.0 if self._hurry else last_sweep + self._sweep_every - time.monotonic()
                if wait > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._taken.wait(), wait)
                backoff = 0.2
            except ResponseError as exc:
                if "NOGROUP" in str(exc):  # Redis restarted empty: make the group again
                    self._unacked = []
                    await self.ensure_group()
                    self._hurry = True
                    continue
                raise
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database or Redis outage: entries stay pending
                log.warning("persisting events failed; will retry",
                            extra={"error": type(exc).__name__})
                await asyncio.sleep(backoff * (0.5 + random.random()))
                backoff = min(backoff * 2, 5.0)

    async def _sweep(self) -> None:
        """Read what no append took; the next sweep comes sooner when this one found some
        (at once when it came back full: there may be more), later when it found none."""
        self._hurry = False
        reply = await self._redis.xreadgroup(PERSIST_GROUP, self.consumer,
                                             {PERSIST_STREAM: ">"}, count=PERSIST_BATCH)
        found = 0
        for _, entries in reply or []:
            found += len(entries)
            self.take(entries)
        if found >= PERSIST_BATCH:
            self._hurry = True
        self._sweep_every = (PERSIST_SWEEP_SECONDS if found else
                             min(self._sweep_every * 2, PERSIST_SWEEP_MAX_SECONDS))

    async def _store_read(self) -> None:
        """Store what this process has read into the database, then acknowledge it to Redis.
        Each part is kept until it succeeds: after a Redis restart without persistence, what
        was read is the only copy."""
        if self._unstored:
            # Appends go on taking entries while this batch is stored: they start the next.
            batch, self._unstored = self._unstored, []
            try:
                await self._store_batch(stream_entries(batch))
            except BaseException:
                self._unstored = batch + self._unstored
                raise
            self._unacked.extend(eid for eid, _ in batch)
        if self._unacked:
            await self._acknowledge(self._unacked)
            self._unacked = []

    async def _claim_abandoned(self) -> None:
        """Take over entries a dead process read but never stored."""
        start = "0-0"
        while True:
            reply = await self._redis.xautoclaim(PERSIST_STREAM, PERSIST_GROUP, self.consumer,
                                                 min_idle_time=ABANDONED_MS, start_id=start,
                                                 count=500)
            start, entries = reply[0], reply[1]
            if entries:
                await self._store_entries(entries)
            if not entries or start in (b"0-0", "0-0"):
                return

    async def drain(self) -> None:
        """On shutdown: store what this process holds or can still read, without blocking."""
        await self._store_read()
        pending = await self._redis.xreadgroup(PERSIST_GROUP, self.consumer,
                                               {PERSIST_STREAM: "0"}, count=1000)
        for _, entries in pending or []:
            await self._store_entries(entries)
        reply = await self._redis.xreadgroup(PERSIST_GROUP, self.consumer,
                                             {PERSIST_STREAM: ">"}, count=1000)
        for _, entries in reply or []:
            await self._store_entries(entries)

    async def _store_entries(self, entries: list[Any]) -> None:
        batch = stream_entries(entries)
        if batch:
            await self._store_batch(batch)
        if entries:
            await self._acknowledge([eid for eid, _ in entries])

    async def _acknowledge(self, ids: list[Any]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xack(PERSIST_STREAM, PERSIST_GROUP, *ids)
            pipe.xdel(PERSIST_STREAM, *ids)
            await pipe.execute()
