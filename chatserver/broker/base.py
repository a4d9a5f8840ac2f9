"""The broker interface: the one source of truth for what processes must share.

A broker orders each room's stream (sequence numbers), keeps a short buffer of recent events
for resume, fans events out to every process, and holds global presence. Two backends:
``memory`` (one process, the default) and ``redis`` (any number of processes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

# How long a request id is remembered so that a send retried after a lost answer (a timeout,
# a dropped connection) is appended once and acknowledged with its first number.
ONCE_SECONDS = 300


def request_name(room: str, member: str, request_id: str | None, text: str) -> str | None:
    """The name under which a member's send is remembered: a hash, so the broker holds no
    readable ids or text. The text is part of it because a reloaded page counts its ids from
    the start again: only the same id with the same text is a retry. None when the client gave
    no id (such sends cannot be retried safely)."""
    if not request_id:
        return None
    return hashlib.blake2b(f"{room}\0{member}\0{request_id}\0{text}".encode(),
                           digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class EventMeta:
    """What the store needs besides the frame: kept out of the frame's bytes on purpose."""

    kind: str
    member: str
    ts_ms: int


@dataclass(frozen=True, slots=True)
class StreamEntry:
    room: str
    seq: int
    meta: EventMeta
    frame: bytes


@dataclass(frozen=True, slots=True)
class PresenceEntry:
    """One connection's presence in a room. ``info`` is the encoded member frame part."""

    room: str
    conn_key: str  # "<member>|<process>:<connection>", unique across processes
    member: str
    info: bytes


def process_of(conn_key: str) -> str:
    """The process a connection's presence belongs to, read from its key."""
    return conn_key.split("|", 1)[1].split(":", 1)[0]


# Called for every frame published to a room this process subscribes to, in broker order.
EventCallback = Callable[[str, bytes], None]
ControlCallback = Callable[[bytes], None]
# Called after the broker lost and regained its subscription: local rooms must catch up.
ResyncCallback = Callable[[], Coroutine[Any, Any, None]]
# Memory backend: make one event durable before it is published (group-committed).
DurableWrite = Callable[[StreamEntry], Awaitable[None]]
# Redis backend: store a batch of events taken from the persistence queue (idempotent).
BatchStore = Callable[[Sequence[StreamEntry]], Awaitable[None]]


class FloorNeeded(Exception):
    """An append with no floor (-1) to a room the backend has no number for (new, or lost with
    a restart): append again with the highest number stored. A floor is read only then, not
    for every room a process appends to for the first time."""


class Broker(Protocol):
    name: str
    # Each call is a round trip over the network: independent calls are worth issuing side by
    # side (they share one). In memory they return at once, and side by side costs tasks.
    remote: bool

    async def start(self, on_event: EventCallback, on_control: ControlCallback,
                    on_resync: ResyncCallback) -> None: ...

    async def close(self) -> None: ...

    async def ready(self) -> bool:
        """Whether the backend answers now (for /readyz)."""
        ...

    async def subscribe(self, room: str) -> None:
        """Return once every event published to ``room`` from now on will be delivered."""
        ...

    async def unsubscribe(self, room: str) -> None: ...

    async def append(self, room: str, body: bytes, meta: EventMeta, *, persist: bool,
                     floor: int, once: str | None = None) -> tuple[int, bytes]:
        """Give the event the room's next sequence number, make it durable (the event is in
        the resume stream once this returns), and publish it. ``floor`` is the highest number
        this process knows was used, so a counter the backend lost never goes backwards; -1 if it
        knows none, and then ``FloorNeeded`` is raised where the backend has no counter.
        Returns the number and the frame as every member receives it. ``once`` names the
        request: an append with a name already used in the last ``ONCE_SECONDS`` appends
        nothing and returns the first append's number."""
        ...

    async def publish_ephemeral(self, room: str, frame: bytes) -> None:
        """Fan out a frame that is not part of the stream (typing): no number, not kept."""
        ...

    async def head(self, room: str) -> int: ...

    async def recent(self, room: str, after: int,
                     limit: int) -> tuple[list[tuple[int, bytes]], int | None]:
        """Buffered events with seq > after (oldest first) and the lowest seq still buffered
        (None when the buffer is empty)."""
        ...

    async def tail(self, room: str, count: int) -> list[tuple[int, bytes]]:
        """The newest ``count`` buffered events, oldest first."""
        ...

    async def replace_buffered(self, room: str, seq: int, frame: bytes) -> None:
        """Replace a buffered event's frame (a redaction), so resume shows the new one."""
        ...

    async def react(self, room: str, seq: int, member: str, reaction: str,
                    on: bool) -> dict[str, int]:
        """Set or take back one member's reaction on a message (once per member and kind);
        returns that message's counts. Reactions live as long as the room's resume buffer
        at most, never longer than the message."""
        ...

    async def reactions(self, room: str) -> dict[int, dict[str, int]]:
        """Counts per message of the room, for a member who joins."""
        ...

    async def drop_reactions(self, room: str, seq: int) -> None: ...

    async def forget_room(self, room: str) -> None:
        """Drop the room's buffered events (retention: a session closed)."""
        ...

    async def trim(self, room: str, before_ms: int) -> int:
        """Retention in days: drop the buffered events (with their rewritten frames and
        reactions) older than ``before_ms``; returns the highest number dropped, 0 if none."""
        ...

    async def publish_control(self, payload: bytes) -> None: ...

    async def presence_add(self, entry: PresenceEntry, expires_at: float) -> bool:
        """Add a connection (its process stays alive until ``expires_at`` at least); True if
        its member was not present before."""
        ...

    async def presence_join(self, entry: PresenceEntry,
                            expires_at: float) -> tuple[bool, list[bytes]]:
        """``presence_add`` and, in the same step, ``presence_list`` of the room with this
        connection in it (one round trip to Redis for a join instead of two)."""
        ...

    async def presence_heartbeat(self, process: str, expires_at: float, now: float,
                                 entries: Callable[[], Sequence[PresenceEntry]]
                                 ) -> tuple[list[PresenceEntry], list[tuple[str, bytes]]]:
        """The heartbeat, in one step whatever the number of connections: the process's
        connections stay present until ``expires_at``; if its presence was lost meanwhile,
        or one of its presence writes failed, its presence is rewritten from ``entries()``
        (what it holds of its own that is not among them removed, the rest added; the
        members gone so are returned with the others). Then the connections of
        processes whose heartbeat lapsed by ``now`` (a process died) are removed. Returns
        the entries whose member is present again (a member_joined is due) and (room, info)
        of the members now gone (each returned to exactly one caller)."""
        ...

    async def presence_remove(self, room: str, conn_key: str, member: str) -> bool:
        """Remove a connection; True if its member has no connection left in the room."""
        ...

    async def presence_list(self, room: str) -> list[bytes]:
        """Infos of the room's present members, one per member."""
        ...

    async def presence_counts(self, rooms: Sequence[str]) -> dict[str, int]: ...

    async def hit(self, key: str, window_seconds: int, amount: int = 1) -> tuple[int, float]:
        """Count ``amount`` hits (0 to only look) on ``key`` in a fixed window shared by
        every process; returns the count so far and the seconds until the window ends.
        Keys must not hold personal data (hash an address with a server key first)."""
        ...

    async def admit(self, buckets: Sequence[tuple[str, float, float]],
                    cooldowns: Sequence[str] = ()) -> float:
        """Several limits in one look (one round trip to Redis, where a join made four):
        0 when no ``cooldowns`` window (see ``hit``) has a hit and every bucket
        (key, rate, burst) has a token, and then one is taken from each; else the seconds to
        wait (at least 1 for a cooldown), and nothing is taken."""
        ...
