"""The in-process broker: a real backend for one process, not a test fake.

Ordering comes from the single event loop; durability from the group-committed store, which
each retained event reaches before it is published or acknowledged.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from chatserver.broker.base import (
    ONCE_SECONDS,
    ControlCallback,
    DurableWrite,
    EventCallback,
    EventMeta,
    FloorNeeded,
    PresenceEntry,
    ResyncCallback,
    StreamEntry,
)
from chatserver.domain.protocol import frame_ts, splice_seq


@dataclass(slots=True)
class _Room:
    seq: int = 0
    buffer: deque[tuple[int, bytes, float]] = field(default_factory=deque)
    # conn_key -> (member, info, expires_at)
    presence: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    refs: dict[str, int] = field(default_factory=dict)  # member -> connections
    # seq -> reaction -> members who gave it
    reactions: dict[int, dict[str, set[str]]] = field(default_factory=dict)


class MemoryBroker:
    name = "memory"
    remote = False

    def __init__(self, durable_write: DurableWrite, *, buffer_events: int,
                 buffer_seconds: float) -> None:
        self._durable_write = durable_write
        self._buffer_events = buffer_events
        self._buffer_seconds = buffer_seconds
        self._rooms: dict[str, _Room] = {}
        self._subscribed: set[str] = set()
        self._on_event: EventCallback | None = None
        self._on_control: ControlCallback | None = None
        self._hits: dict[str, tuple[int, float]] = {}
        self._buckets: dict[str, float] = {}  # key -> theoretical arrival time (GCRA)
        self._once: dict[str, tuple[int, float]] = {}  # request name -> (seq, expires)

    async def start(self, on_event: EventCallback, on_control: ControlCallback,
                    on_resync: ResyncCallback) -> None:
        self._on_event = on_event
        self._on_control = on_control

    async def close(self) -> None:
        self._on_event = None

    async def ready(self) -> bool:
        return True

    def _room(self, room: str) -> _Room:
        state = self._rooms.get(room)
        if state is None:
            state = self._rooms[room] = _Room()
        return state

    async def subscribe(self, room: str) -> None:
        self._subscribed.add(room)

    async def unsubscribe(self, room: str) -> None:
        self._subscribed.discard(room)

    async def append(self, room: str, body: bytes, meta: EventMeta, *, persist: bool,
                     floor: int, once: str | None = None) -> tuple[int, bytes]:
        state = self._room(room)
        if once is not None:
            first = self._once.get(once)
            if first is not None and first[1] > time.monotonic():
                return first[0], splice_seq(first[0], body)
        if state.seq == 0 and floor < 0:
            raise FloorNeeded(room)  # new to this process: the stored floor first
        state.seq = max(state.seq, floor) + 1
        seq = state.seq
        frame = splice_seq(seq, body)
        if once is not None:  # before the write, so a retry during it is not appended twice
            self._remember_once(once, seq)
        if persist:
            # Queued in number order; the writer commits in that order and wakes the waiting
            # appends in it, so publication below stays in number order too.
            try:
                await self._durable_write(StreamEntry(room, seq, meta, frame))
            except BaseException:
                if once is not None:
                    self._once.pop(once, None)
                raise
        self._buffer(state, seq, frame)
        self._dispatch(room, frame)
        return seq, frame

    def _remember_once(self, once: str, seq: int) -> None:
        now = time.monotonic()
        self._once[once] = (seq, now + ONCE_SECONDS)
        # Insertion order is expiry order: drop what has expired from the front.
        while self._once:
            key, (_, expires) = next(iter(self._once.items()))
            if expires > now:
                break
            del self._once[key]

    def _buffer(self, state: _Room, seq: int, frame: bytes) -> None:
        buf = self._live_buffer(state)
        buf.append((seq, frame, time.monotonic()))
        while len(buf) > self._buffer_events:
            buf.popleft()

    def _live_buffer(self, state: _Room) -> deque[tuple[int, bytes, float]]:
        """The buffer, emptied once the room has been quiet for ``buffer_seconds`` (as the
        Redis backend lets the buffer's key expire)."""
        buf = state.buffer
        if buf and buf[-1][2] < time.monotonic() - self._buffer_seconds:
            buf.clear()
        return buf

    def _dispatch(self, room: str, frame: bytes) -> None:
        if self._on_event is not None and room in self._subscribed:
            self._on_event(room, frame)

    async def publish_ephemeral(self, room: str, frame: bytes) -> None:
        self._dispatch(room, frame)

    async def head(self, room: str) -> int:
        return self._room(room).seq

    async def recent(self, room: str, after: int,
                     limit: int) -> tuple[list[tuple[int, bytes]], int | None]:
        buf = self._live_buffer(self._room(room))
        low = buf[0][0] if buf else None
        out = [(seq, frame) for seq, frame, _ in buf if seq > after]
        return out[:limit], low

    async def tail(self, room: str, count: int) -> list[tuple[int, bytes]]:
        buf = self._live_buffer(self._room(room))
        return [(seq, frame) for seq, frame, _ in list(buf)[-count:]] if count > 0 else []

    async def replace_buffered(self, room: str, seq: int, frame: bytes) -> None:
        buf = self._room(room).buffer
        for i, (s, _, at) in enumerate(buf):
            if s == seq:
                buf[i] = (seq, frame, at)
                return

    async def react(self, room: str, seq: int, member: str, reaction: str,
                    on: bool) -> dict[str, int]:
        given = self._room(room).reactions.setdefault(seq, {}).setdefault(reaction, set())
        if on:
            given.add(member)
        else:
            given.discard(member)
        return _counts(self._room(room).reactions.get(seq, {}))

    async def reactions(self, room: str) -> dict[int, dict[str, int]]:
        state = self._room(room)
        if not self._live_buffer(state):
            state.reactions.clear()  # they go with the buffer
        return {seq: counts for seq, kinds in state.reactions.items()
                if (counts := _counts(kinds))}

    async def drop_reactions(self, room: str, seq: int) -> None:
        self._room(room).reactions.pop(seq, None)

    async def forget_room(self, room: str) -> None:
        self._room(room).buffer.clear()
        self._room(room).reactions.clear()

    async def trim(self, room: str, before_ms: int) -> int:
        state = self._room(room)
        upto = max((seq for seq, frame, _ in state.buffer if frame_ts(frame) < before_ms),
                   default=0)
        while state.buffer and state.buffer[0][0] <= upto:
            state.buffer.popleft()
        for seq in [s for s in state.reactions if s <= upto]:
            del state.reactions[seq]
        return upto

    async def publish_control(self, payload: bytes) -> None:
        if self._on_control is not None:
            self._on_control(payload)

    async def presence_add(self, entry: PresenceEntry, expires_at: float) -> bool:
        state = self._room(entry.room)
        known = entry.conn_key in state.presence
        state.presence[entry.conn_key] = (entry.member, entry.info)
        if known:
            return False
        state.refs[entry.member] = state.refs.get(entry.member, 0) + 1
        return state.refs[entry.member] == 1

    async def presence_join(self, entry: PresenceEntry,
                            expires_at: float) -> tuple[bool, list[bytes]]:
        return await self.presence_add(entry, expires_at), await self.presence_list(entry.room)

    async def presence_heartbeat(self, process: str, expires_at: float, now: float,
                                 entries: Callable[[], Sequence[PresenceEntry]]
                                 ) -> tuple[list[PresenceEntry], list[tuple[str, bytes]]]:
        # One process: its presence cannot lapse while it runs, and no other process's
        # connections can be left behind.
        return [], []

    async def presence_remove(self, room: str, conn_key: str, member: str) -> bool:
        state = self._room(room)
        if state.presence.pop(conn_key, None) is None:
            return False
        left = state.refs.get(member, 1) - 1
        if left <= 0:
            state.refs.pop(member, None)
            return True
        state.refs[member] = left
        return False

    async def presence_list(self, room: str) -> list[bytes]:
        seen: dict[str, bytes] = {}
        for member, info in self._room(room).presence.values():
            seen.setdefault(member, info)
        return list(seen.values())

    async def presence_counts(self, rooms: Sequence[str]) -> dict[str, int]:
        return {room: len(self._rooms[room].refs) if room in self._rooms else 0 for room in rooms}

    async def hit(self, key: str, window_seconds: int, amount: int = 1) -> tuple[int, float]:
        now = time.monotonic()
        if len(self._hits) > 10_000:  # forget ended windows now and then
            self._hits = {k: v for k, v in self._hits.items() if v[1] > now}
        count, ends = self._hits.get(key, (0, 0.0))
        if ends <= now:
            count, ends = 0, now + window_seconds
        if amount == 0:  # only a look: nothing is kept for it
            return (count, ends - now) if count > 0 else (0, 0.0)
        if count + amount <= 0:  # as in Redis: no counter is kept at 0
            self._hits.pop(key, None)
            return 0, 0.0
        self._hits[key] = (count + amount, ends)
        return count + amount, ends - now


    async def admit(self, buckets: Sequence[tuple[str, float, float]],
                    cooldowns: Sequence[str] = ()) -> float:
        now = time.monotonic()
        if len(self._buckets) > 10_000:  # forget full buckets now and then
            self._buckets = {k: v for k, v in self._buckets.items() if v > now}
        for key in cooldowns:
            count, ends = self._hits.get(key, (0, 0.0))
            if count > 0 and ends > now:
                return max(ends - now, 1.0)
        wait, arrivals = 0.0, []
        for key, rate, burst in buckets:
            interval = 1 / rate
            arrival = max(self._buckets.get(key, now), now) + interval
            wait = max(wait, arrival - now - burst * interval)
            arrivals.append((key, arrival))
        if wait > 0:
            return wait
        for key, arrival in arrivals:
            self._buckets[key] = arrival
        return 0.0



def _counts(kinds: dict[str, set[str]]) -> dict[str, int]:
    return {kind: len(members) for kind, members in kinds.items() if members}
