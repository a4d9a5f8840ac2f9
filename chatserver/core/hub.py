"""Local fan-out: which connections of this process are in which room, and their queues.

The broker calls ``Hub.on_event`` once per frame in the room's order; the frame is decoded to
text once and the same string is queued for every local member. Each connection has a bounded
queue drained by its own writer, so a member that stops reading is dropped when its queue is
full and never delays anyone else.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from chatserver.broker.base import Broker
from chatserver.core import metrics
from chatserver.core.limits import ConnectionLimits
from chatserver.domain.protocol import seq_of, text_frame
from chatserver.storage.staff import AccountRecord
from chatserver.storage.store import IdentityRecord
from moderation.types import SenderHistory

log = logging.getLogger("chatserver.hub")

_ids = itertools.count(1)
_ONLY = ',"only":"'


def restricted_to(text: str) -> str | None:
    """The member a frame is restricted to, read from the fixed place the body puts it:
    right after the number (an unescaped quote cannot occur inside a JSON string)."""
    start = text.find(_ONLY, 7, 40)
    if start < 0:
        return None
    start += len(_ONLY)
    return text[start:text.index('"', start)]


class ClientState(Enum):
    """A connection's life; a frame is only queued while OPEN."""

    OPEN = 1
    CLOSING = 2
    CLOSED = 3


@dataclass(slots=True)
class Membership:
    room: str
    member: str
    name: str
    role: str
    info: bytes  # the encoded {"member","name","role"} shared through presence
    hidden: bool = False  # reading without being listed (drop-in rooms)
    last_seq: int = 0  # highest stream number queued to this client in this room
    # While the history is being replayed, live frames wait here (subscribe first, then
    # replay, then drop duplicates by number).
    pending: list[tuple[int, str]] | None = field(default_factory=list)
    last_typing: float = 0.0
    last_message: float = 0.0  # for slow mode
    # When a refused line last brought the crisis lines (monotonic): see Safety.refused_line.
    refused_crisis_at: float = float("-inf")
    # Sanctions in force, kept current by control events from every process.
    muted_until: float = 0.0  # wall-clock seconds; 0: not muted
    mute_reason: str | None = None
    shadow_until: float = 0.0  # shadow-muted: messages reach only themselves (and staff)
    joined_at: float = field(default_factory=time.monotonic)  # newcomer rules
    history: SenderHistory = field(default_factory=SenderHistory)  # flood and repeat guards

    @property
    def is_staff(self) -> bool:
        return self.role != "participant"

    def view(self, text: str) -> str | None:
        """What this member sees of a stream frame: a frame meant for one member (a
        shadow-muted participant's message) reaches that member, without the mark, and
        staff, with it; nobody else."""
        only = restricted_to(text)
        if only is None or self.is_staff:
            return text
        if only == self.member:
            return text.replace(f',"only":"{only}"', "", 1)
        return None


Sender = Callable[[str], Awaitable[None]]
Closer = Callable[[int, str], Coroutine[Any, Any, None]]


class RawSink(Protocol):
    """Direct writes of framed messages (chatserver.web.transport), when the server has them."""

    @property
    def raw_writable(self) -> bool: ...

    def raw_write(self, data: bytes) -> bool: ...

    def set_drain_callback(self, callback: Callable[[], None] | None) -> None: ...


class Client:
    """One WebSocket connection of this process."""

    __slots__ = ("abort", "address_key", "backlog", "close_pending", "closer", "forbidden",
                 "fresh", "id", "identity", "lang", "limit", "limits", "memberships",
                 "process_key", "queue", "raw", "sender", "staff", "staff_session", "state",
                 "writer")

    def __init__(self, sender: Sender, closer: Closer, abort: Callable[[], None] | None,
                 *, queue_size: int, process_key: str, limits: ConnectionLimits,
                 raw: RawSink | None = None) -> None:
        self.id = next(_ids)
        self.limits = limits
        # With a raw sink, frames are written at once and only wait (in the backlog) while the
        # transport is paused; without one, a writer task drains a queue through ASGI.
        self.raw = raw
        # Made when first needed: an empty deque is larger than the rest of a Client.
        self.backlog: deque[bytes] | None = None
        self.limit = queue_size
        self.close_pending: tuple[int, str] | None = None
        self.sender = sender
        self.closer = closer
        self.abort = abort
        # Only the fallback path needs a queue; most connections should cost little memory.
        self.queue: asyncio.Queue[str | tuple[int, str]] | None = (
            asyncio.Queue(queue_size) if raw is None else None)
        self.state = ClientState.OPEN
        self.identity: IdentityRecord | None = None
        # Set when the socket was opened with a live staff session cookie; the session's id
        # (a hash, see web/auth.py) closes the socket when that session ends.
        self.staff: AccountRecord | None = None
        self.staff_session: str | None = None
        # A keyed hash of the client's address, for the limits shared across processes; the
        # address itself is never kept.
        self.address_key = ""
        # The identity was made on this connection (a fresh pseudonym): limited per room.
        self.fresh = False
        # Refused staff frames not yet audited: (minute started, count per frame type).
        self.forbidden: tuple[float, dict[str, int]] | None = None
        self.lang = "fi"
        self.memberships: dict[str, Membership] = {}
        self.process_key = process_key
        self.writer: asyncio.Task[None] | None = None

    def conn_key(self, member: str) -> str:
        return f"{member}|{self.process_key}:{self.id}"

    def start(self) -> None:
        if self.raw is not None:
            self.raw.set_drain_callback(self._drain)
        else:
            self.writer = asyncio.create_task(self._write(), name=f"client-{self.id}-writer")

    def offer(self, frame: str) -> bool:
        """Send or queue a frame; a full queue means the client is stuck, and it is dropped."""
        if self.raw is not None:
            return self.offer_wire(text_frame(frame.encode()))
        if self.state is not ClientState.OPEN or self.queue is None:
            return False
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            metrics.DROPPED_SLOW.inc()
            self.drop()
            return False
        return True

    def offer_all(self, frames: list[str]) -> bool:
        """Frames in order; in raw mode as one write (a join's replay of up to
        `HISTORY_ON_JOIN` events: one system call instead of one per event)."""
        if self.raw is None or len(frames) < 2:
            return all(self.offer(frame) for frame in frames)
        return self.offer_wire(b"".join([text_frame(frame.encode()) for frame in frames]))

    def offer_wire(self, wire: bytes) -> bool:
        """Raw mode: write a framed message now, or keep it while the transport is paused."""
        assert self.raw is not None
        if self.state is not ClientState.OPEN:
            return False
        if self.backlog or not self.raw.raw_writable:
            if self.backlog is None:
                self.backlog = deque()
            if len(self.backlog) >= self.limit:
                metrics.DROPPED_SLOW.inc()
                self.drop()
                return False
            self.backlog.append(wire)
            return True
        if not self.raw.raw_write(wire):
            self.state = ClientState.CLOSED
            return False
        return True

    def _drain(self) -> None:
        assert self.raw is not None
        while self.backlog and self.raw.raw_writable:
            if not self.raw.raw_write(self.backlog.popleft()):
                self.backlog = None
                return
        if not self.backlog and self.close_pending is not None:
            self._close_now(*self.close_pending)

    def _close_now(self, code: int, reason: str) -> None:
        self.close_pending = None
        self.writer = asyncio.create_task(self.closer(code, reason))

    def close_after_queue(self, code: int, reason: str) -> None:
        """Send what is queued, then close (used for 1008 after an error frame)."""
        if self.raw is not None:
            if self.state is ClientState.OPEN:
                self.state = ClientState.CLOSING
                if self.backlog:
                    self.close_pending = (code, reason)
                else:
                    self._close_now(code, reason)
            return
        if self.state is ClientState.OPEN and self.queue is not None:
            self.state = ClientState.CLOSING
            try:
                self.queue.put_nowait((code, reason))
            except asyncio.QueueFull:
                self.drop()

    def drop(self) -> None:
        """Cut a stuck connection at once: its queue is discarded, its socket aborted."""
        if self.state is ClientState.CLOSED:
            return
        self.state = ClientState.CLOSED
        self.backlog = None
        if self.writer is not None:
            self.writer.cancel()
        if self.abort is not None:
            self.abort()

    async def _write(self) -> None:
        assert self.queue is not None  # started only on the fallback path
        try:
            while True:
                item = await self.queue.get()
                if isinstance(item, tuple):
                    await self.closer(*item)
                    self.state = ClientState.CLOSED
                    return
                await self.sender(item)
        except asyncio.CancelledError:
            raise
        except Exception:  # the socket went away under us; the reader ends the connection
            self.state = ClientState.CLOSED

    async def stop(self) -> None:
        self.state = ClientState.CLOSED
        self.backlog = None
        if self.raw is not None:
            self.raw.set_drain_callback(None)
        if self.writer is not None:
            self.writer.cancel()
            try:
                await self.writer
            except (asyncio.CancelledError, Exception):
                pass


class _LocalRoom:
    __slots__ = ("clients", "held", "last_seq", "subscribed")

    def __init__(self) -> None:
        self.clients: dict[int, Client] = {}
        self.last_seq = 0
        self.subscribed: asyncio.Future[None] | None = None
        # Live events held back while a gap before them is filled (None: no gap).
        self.held: list[bytes] | None = None


# Fetches a room's events after a seq (from the resume buffer or the database).
GapFiller = Callable[[str, int], Awaitable[list[tuple[int, str]]]]


class Hub:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.rooms: dict[str, _LocalRoom] = {}
        self.connected: dict[int, Client] = {}  # every open connection of this process
        self._background: set[asyncio.Future[None]] = set()
        self.gap_filler: GapFiller | None = None
        # Open sockets per client address (memory only, never logged or stored).
        self._per_address: dict[str, int] = {}

    def admit_address(self, address: str, limit: int) -> bool:
        """Count a new socket from ``address``; False (not counted) if it has ``limit``."""
        count = self._per_address.get(address, 0)
        if count >= limit:
            return False
        self._per_address[address] = count + 1
        return True

    def release_address(self, address: str) -> None:
        count = self._per_address.pop(address, 1) - 1
        if count > 0:
            self._per_address[address] = count

    def on_event(self, room: str, data: bytes, *, filling: bool = False) -> int | None:
        """The broker's callback: queue the frame for every local member, in order. Returns
        the frame's sequence number (None for a signal such as typing)."""
        seq = seq_of(data) if data.startswith(b'{"seq":') else None
        local = self.rooms.get(room)
        if local is None:
            return seq
        started = time.perf_counter()
        if seq is not None and not filling and self.gap_filler is not None and (
                local.held is not None or 0 < local.last_seq < seq - 1):
            # Numbers are contiguous per room, so a jump means events were published while
            # this process was not subscribed (Redis reconnecting): delivering this one now
            # would make the missed ones look old and lose them for good.
            if local.held is None:
                local.held = []
                task = asyncio.ensure_future(self._fill_gap(room, local))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
            local.held.append(data)
            return seq
        text = data.decode()
        if seq is not None:
            if seq <= local.last_seq:
                return seq  # already delivered (a resync overlapping the live stream)
            local.last_seq = seq
            restricted = restricted_to(text) is not None
            wire = b""  # framed once, on first use, for every raw member
            for client in list(local.clients.values()):
                membership = client.memberships.get(room)
                if membership is None:
                    continue
                if membership.pending is not None:
                    membership.pending.append((seq, text))
                elif seq > membership.last_seq:
                    membership.last_seq = seq
                    if restricted:
                        shown = membership.view(text)
                        if shown is not None:
                            client.offer(shown)
                    elif client.raw is not None:
                        if not wire:
                            wire = text_frame(data)
                        client.offer_wire(wire)
                    else:
                        client.offer(text)
            metrics.FANOUT_SECONDS.observe(time.perf_counter() - started)
            metrics.DELIVERIES.inc(len(local.clients))
            return seq
        else:
            wire = text_frame(data)
            for client in list(local.clients.values()):
                membership = client.memberships.get(room)
                if membership is not None and membership.pending is None:
                    if client.raw is not None:
                        client.offer_wire(wire)
                    else:
                        client.offer(text)
        return None

    async def add(self, client: Client, membership: Membership) -> None:
        """Put a client in a room and return once live events reach it (queued as pending)."""
        local = self.rooms.get(membership.room)
        if local is None:
            local = self.rooms[membership.room] = _LocalRoom()
        local.clients[client.id] = client
        client.memberships[membership.room] = membership
        if local.subscribed is None:
            local.subscribed = asyncio.ensure_future(self.broker.subscribe(membership.room))
        try:
            await asyncio.shield(local.subscribed)
        except BaseException:
            if local.subscribed.done():
                local.subscribed = None
            self.remove_local(client, membership.room)
            raise

    def remove_local(self, client: Client, room: str) -> Membership | None:
        membership = client.memberships.pop(room, None)
        local = self.rooms.get(room)
        if local is not None:
            local.clients.pop(client.id, None)
            if not local.clients:
                del self.rooms[room]
                task = asyncio.ensure_future(self._unsubscribe(room))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
        return membership

    async def _unsubscribe(self, room: str) -> None:
        if room not in self.rooms:
            await self.broker.unsubscribe(room)

    def finish_sync(self, membership: Membership) -> list[str]:
        """Replay sent: the live frames that arrived meanwhile, without duplicates, for the
        caller to send after the replay."""
        pending = membership.pending or []
        membership.pending = None
        shown: list[str] = []
        for seq, text in pending:
            if seq > membership.last_seq:
                membership.last_seq = seq
                if (seen := membership.view(text)) is not None:
                    shown.append(seen)
        return shown

    def register(self, client: Client) -> None:
        self.connected[client.id] = client

    def unregister(self, client: Client) -> None:
        self.connected.pop(client.id, None)

    def members(self, room: str, member: str | None = None) -> list[tuple[Client, Membership]]:
        """This process's connections in ``room`` (of one member, if given)."""
        local = self.rooms.get(room)
        if local is None:
            return []
        out = []
        for client in local.clients.values():
            membership = client.memberships.get(room)
            if membership is not None and (member is None or membership.member == member):
                out.append((client, membership))
        return out

    async def _fill_gap(self, room: str, local: _LocalRoom) -> None:
        assert self.gap_filler is not None
        delay, deadline = 0.1, time.monotonic() + 60
        while self.rooms.get(room) is local:
            try:
                missed = await self.gap_filler(room, local.last_seq)
            except Exception as exc:  # the backend is still down: try again, for a while
                if time.monotonic() > deadline:
                    log.warning("gap in a room's stream not filled",
                                extra={"error": type(exc).__name__})
                    break
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            metrics.GAPS_FILLED.inc()
            for _, frame in missed:
                self.on_event(room, frame.encode(), filling=True)
            break
        held, local.held = local.held or [], None
        for data in sorted(held, key=seq_of):
            self.on_event(room, data, filling=True)

    def local_last_seq(self, room: str) -> int:
        local = self.rooms.get(room)
        return local.last_seq if local else 0

    def members_here(self) -> list[tuple[Client, Membership]]:
        out = []
        for room, local in self.rooms.items():
            for client in local.clients.values():
                membership = client.memberships.get(room)
                if membership is not None:
                    out.append((client, membership))
        return out
