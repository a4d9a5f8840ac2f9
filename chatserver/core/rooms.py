"""Rooms as the server sees them: a cache of the table, and the stream log of each room."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime

from chatserver.broker.base import Broker, EventMeta, FloorNeeded, StreamEntry
from chatserver.core.loads import SingleFlight
from chatserver.storage.store import RoomRecord, Store, StoredEvent

REPLAY_LIMIT = 5_000

log = logging.getLogger("chatserver.rooms")


class RoomDirectory:
    """Rooms read from the database. An admin's change reaches every process at once through
    a control event (``rooms_changed``), and after the broker lost its subscription (when
    such events may have been missed) the table is read again (``ChatService.resync``).
    Besides, it is read again in the background once a minute, so a message never waits for
    that read, and at once (at most once a second) when a room is asked for that is not
    known yet. (Every 10 s, the table of 630 rooms cost ~0.3 % of a core while idle.)"""

    def __init__(self, store: Store, *, max_age: float = 60.0) -> None:
        self._store = store
        self._max_age = max_age
        self._rooms: dict[str, RoomRecord] = {}
        self._loaded = 0.0
        self._lock = asyncio.Lock()
        self._background: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        async with self._lock:
            rooms = await self._store.list_rooms()
            self._rooms = {r.id: r for r in rooms}
            self._loaded = time.monotonic()

    def _check_age(self) -> None:
        if time.monotonic() - self._loaded <= self._max_age:
            return
        if self._background is None or self._background.done():
            self._background = asyncio.create_task(self._refresh_quietly(),
                                                   name="room-directory-refresh")

    async def close(self) -> None:
        """Let a background read that is under way finish, so that the database's connection
        goes back to its pool before the pool is closed (not left open, then collected)."""
        if self._background is not None:
            with contextlib.suppress(Exception):
                await self._background

    async def _refresh_quietly(self) -> None:
        try:
            await self.refresh()
        except Exception as exc:  # database away: keep what we have, try again later
            self._loaded = time.monotonic()
            log.warning("room directory not refreshed", extra={"error": type(exc).__name__})

    async def _ensure_loaded(self) -> None:
        if not self._loaded:
            await self.refresh()
        else:
            self._check_age()

    async def get(self, room_id: str) -> RoomRecord | None:
        await self._ensure_loaded()
        room = self._rooms.get(room_id)
        if room is None and time.monotonic() - self._loaded > 1.0:
            await self.refresh()  # made by another process, or its event was missed
            room = self._rooms.get(room_id)
        return room

    async def all(self) -> list[RoomRecord]:
        await self._ensure_loaded()
        return sorted(self._rooms.values(), key=lambda r: (r.position, r.id))


class RoomLog:
    """Appends to and replays from a room's stream: the broker's buffer for what is recent,
    the database for what is older."""

    def __init__(self, broker: Broker, store: Store) -> None:
        self.broker = broker
        self.store = store
        self._floors: dict[str, int] = {}
        self._loading_floors: SingleFlight[str, int] = SingleFlight()
        self._loading_history: SingleFlight[tuple[str, int], list[tuple[int, str]]] = (
            SingleFlight())
        # Per room, a number below which the database holds nothing (found by a history read
        # that came back short; retention only ever deletes older events, so it stays true).
        self._stored_from: dict[str, int] = {}

    async def _floor(self, room: RoomRecord) -> int:
        floor = self._floors.get(room.id)
        if floor is None:
            stored = await self._loading_floors.run(room.id, lambda: self.store.max_seq(room.id))
            floor = max(room.last_seq, stored, self._floors.get(room.id, 0))
            self._floors[room.id] = floor
        return floor

    async def append(self, room: RoomRecord, body: bytes, meta: EventMeta,
                     once: str | None = None) -> tuple[int, bytes]:
        # The floor is read from the database only when the broker has no number for the
        # room (FloorNeeded): a process new to a room whose counter lives on asks nothing.
        try:
            seq, frame = await self.broker.append(room.id, body, meta,
                                                  persist=room.persists_events,
                                                  floor=self._floors.get(room.id, -1), once=once)
        except FloorNeeded:
            seq, frame = await self.broker.append(room.id, body, meta,
                                                  persist=room.persists_events,
                                                  floor=await self._floor(room), once=once)
        if seq > self._floors.get(room.id, 0):
            self._floors[room.id] = seq
        return seq, frame

    def seen(self, room_id: str, seq: int) -> None:
        if seq > self._floors.get(room_id, 0):
            self._floors[room_id] = seq

    def heads(self) -> dict[str, int]:
        return dict(self._floors)

    async def replay(self, room: RoomRecord, since: int) -> tuple[list[tuple[int, str]], bool]:
        """Events after ``since``, oldest first, and whether they are all there is (False when
        some aged out of the room's retention or the replay limit)."""
        buffered, low = await self.broker.recent(room.id, since, REPLAY_LIMIT)
        events = [(seq, frame.decode()) for seq, frame in buffered]
        complete = True
        if low is None or low > since + 1:
            if room.persists_events:
                older = await self.store.events_after(room.id, since, before=low,
                                                      limit=REPLAY_LIMIT)
                events = older + [e for e in events if not older or e[0] > older[-1][0]]
            elif low is not None or await self.broker.head(room.id) > since:
                complete = False  # an ephemeral room keeps only its short buffer
        if len(events) >= REPLAY_LIMIT:
            complete = False
        if complete and room.persists_events and since < await self.purged_seq(room.id):
            complete = False  # retention removed events after `since`
        return events, complete

    async def purged_seq(self, room_id: str) -> int:
        """The highest number retention removed in the room (any process may have applied
        it; one read by key, only for a join that resumes)."""
        return await self.store.purged_seq(room_id)

    async def head(self, room: RoomRecord) -> int:
        """The room's last number as the broker knows it (or, if it has none, as stored)."""
        head = await self.broker.head(room.id)
        return head if head > 0 else await self._floor(room)

    async def history(self, room: RoomRecord, count: int) -> list[tuple[int, str]]:
        """The newest ``count`` events, for a member who joins with nothing to resume."""
        if not room.persists_events or count <= 0:
            return []
        buffered = await self.broker.tail(room.id, count)
        events = [(seq, frame.decode()) for seq, frame in buffered]
        if len(events) < count:
            # With nothing buffered: after the newest number known (a Redis that restarted
            # empty may say 0 though the database holds the room's events).
            before = events[0][0] if events else max(
                await self.broker.head(room.id), self._floors.get(room.id, 0)) + 1
            known = self._stored_from.get(room.id)
            if before <= 1 or (known is not None and before <= known):
                # The buffer reaches back to the room's first event (a room new today), or to
                # where the stored history starts.
                return events
            # The people of a room arriving together share one read (they all start from the
            # same buffered event).
            stored = await self._loading_history.run(
                (room.id, before), lambda: self.store.last_events(room.id, count, before=before))
            if len(stored) < count:
                self._stored_from[room.id] = stored[0][0] if stored else before
            events = stored[max(0, len(stored) - (count - len(events))):] + events
        return events


def to_stored(entry: StreamEntry) -> StoredEvent:
    return StoredEvent(room_id=entry.room, seq=entry.seq, kind=entry.meta.kind,
                       member=entry.meta.member,
                       created_at=datetime.fromtimestamp(entry.meta.ts_ms / 1000, UTC),
                       frame=entry.frame.decode())
