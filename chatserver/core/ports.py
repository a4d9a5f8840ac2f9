"""What a feature may do, and how it says which frames it handles.

A feature (chatserver/features/) receives a `RoomAccess`: the narrow set of things it may do with
rooms and clients, implemented once by `core.service.ChatService`. It never sees the service
itself, so features cannot reach into each other through it. Each feature lists the frame types
it handles as `FrameRoute`s and the control events it reacts to as `ControlRoute`s, the way
Starlette's `Router` maps paths to endpoints; the service looks a frame's handler up in that
table (`FrameRouter`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from chatserver.broker.base import EventMeta
from chatserver.core.hub import Client, Membership
from chatserver.domain.config import Settings
from chatserver.domain.protocol import ClientFrame
from chatserver.storage.store import RoomRecord
from moderation.ratelimit import TokenBucket

FrameHandler = Callable[[Client, Any], Awaitable[None]]
ControlHandler = Callable[[dict[str, Any]], None]
DisconnectHandler = Callable[[Client], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class FrameRoute:
    """One client frame type and the coroutine that carries it out. `needs_hello`: refused with
    `hello_required` until the connection has an identity."""

    frame: type[ClientFrame]
    endpoint: FrameHandler
    needs_hello: bool = True


@dataclass(frozen=True, slots=True)
class ControlRoute:
    """A control event kind (from any process, through the broker) and what reacts to it.
    Several features may react to one kind; each gets the decoded event."""

    kind: str
    endpoint: ControlHandler


class Feature(Protocol):
    """What the server wires: a feature's frames, control events and life cycle."""

    def frame_routes(self) -> Sequence[FrameRoute]: ...

    def control_routes(self) -> Sequence[ControlRoute]: ...


class FrameRouter:
    """The table from frame type to handler. Two features claiming one type is a wiring bug,
    found at start-up."""

    def __init__(self, routes: Iterable[FrameRoute]) -> None:
        self._routes: dict[type[ClientFrame], FrameRoute] = {}
        for route in routes:
            if route.frame in self._routes:
                raise ValueError(f"two handlers for {route.frame.__name__}")
            self._routes[route.frame] = route

    def lookup(self, frame: ClientFrame) -> FrameRoute | None:
        return self._routes.get(type(frame))

    def handled(self) -> frozenset[type[ClientFrame]]:
        return frozenset(self._routes)


class RoomAccess(Protocol):
    """What a feature may do with a room and a client, on this process and across processes."""

    @property
    def settings(self) -> Settings: ...

    def member_of(self, client: Client, room_id: str) -> Membership:
        """The client's membership of the room, or ProtocolError(not_in_room)."""
        ...

    async def open_room(self, room_id: str) -> RoomRecord:
        """The room, if it exists and is open; ProtocolError otherwise."""
        ...

    async def find_room(self, room_id: str) -> RoomRecord | None: ...

    async def all_rooms(self) -> list[RoomRecord]: ...

    async def publish(self, room: RoomRecord, body: bytes, meta: EventMeta, *,
                      once: str | None = None) -> tuple[int, bytes]:
        """Append an event to the room's ordered stream (every member on every process gets
        it); its number and the frame as sent (`once` makes a retry idempotent)."""
        ...

    async def announce(self, event: dict[str, Any]) -> None:
        """A control event to every process, this one included."""
        ...

    async def to_member(self, room_id: str, member: str, frame: dict[str, Any]) -> None:
        """A frame to one member's connections in a room, wherever they are."""
        ...

    async def to_staff(self, room_id: str, frame: dict[str, Any]) -> None:
        """A frame to the staff who have joined the room, on every process."""
        ...

    async def to_signed_in_staff(self, room_id: str, frame: dict[str, Any]) -> None:
        """A frame to every signed-in staff connection allowed to see the room (its
        facilitators and the admins), whether or not they have joined it."""
        ...

    async def limit(self, buckets: Sequence[tuple[str, float, float]], *,
                    cooling: tuple[Client, str] | None = None,
                    fail_open: bool = False) -> None:
        """Take a token from each of several rate limits (key without personal data, rate,
        burst) shared by every process, all or none, in one look; with ``cooling`` (client,
        room) refused too while the client's address cools down after a kick or a ban from
        the room. Else ProtocolError(rate_limited) with the time to wait."""
        ...

    async def start_cooldown(self, client: Client, room_id: str) -> None:
        """Start that cooldown for the client's address (``*``: every room)."""
        ...

    def spend(self, bucket: TokenBucket) -> None:
        """Take from a rate limit, or ProtocolError(rate_limited) with the time to wait."""
        ...

    def check_text(self, raw: str) -> str:
        """The text stripped, or ProtocolError(text_empty / text_too_long)."""
        ...

    async def withdraw(self, client: Client, room_id: str) -> None:
        """Take the client out of the room (presence, and `member_left` once it is gone)."""
        ...

    async def withdraw_at_close(self, client: Client, room_id: str) -> None:
        """`withdraw` at the room's session's close: a participant stays reachable for a
        private conversation from an alert while the connection lasts (`after_close`)."""
        ...

    async def after_close(self, room_id: str, member: str) -> str | None:
        """"connected" if the member left the room with its session's close and a page of
        theirs is still open (any process), "returning" in the reconnect grace after their
        last page went, "gone" if none came back in it, else None."""
        ...

    def local_members(self, room_id: str,
                      member: str | None = None) -> list[tuple[Client, Membership]]:
        """This process's connections in the room (of one member, if given)."""
        ...

    def local_clients(self) -> list[Client]:
        """Every connection of this process."""
        ...

    def local_last_seq(self, room_id: str) -> int:
        """The highest stream number this process has delivered in the room."""
        ...

    async def present(self, room_id: str) -> list[dict[str, Any]]:
        """Who is in the room on every process: member, name, role (and hidden)."""
        ...

    async def staff_names(self) -> list[str]:
        """Staff display names, which participants may not take as pseudonyms."""
        ...


def spawn_into(tasks: set[asyncio.Task[None]], coro: Coroutine[Any, Any, None]) -> None:
    """Run a background coroutine, keeping a reference until it ends (asyncio holds weak ones)."""
    task = asyncio.create_task(coro)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


__all__ = ["ControlRoute", "Feature", "FrameRoute", "FrameRouter", "RoomAccess", "spawn_into"]
