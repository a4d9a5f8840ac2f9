"""The chat service: one way in for every frame, and the one implementation of `RoomAccess`.

The socket loop (chatserver/web/ws.py) hands each valid frame to `ChatService.handle`, which
looks its handler up in the table the features registered (core/ports.py) and runs it; the
features answer through the client's queue. Control events from any process are dispatched
the same way, by kind. No web framework here.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from chatserver import PROTOCOL_VERSION
from chatserver.broker.base import Broker, EventMeta
from chatserver.broker.errors import BrokerError
from chatserver.core.alerts import AlertInbox
from chatserver.core.crisis import CrisisResources
from chatserver.core.guard import RoomGuard
from chatserver.core.hub import Client, Hub, Membership
from chatserver.core.identities import Identities
from chatserver.core.left_at_close import LeftAtCloseWatch
from chatserver.core.ports import (
    ControlHandler,
    ControlRoute,
    DisconnectHandler,
    Feature,
    FrameRoute,
    FrameRouter,
    spawn_into,
)
from chatserver.core.presence import Presence
from chatserver.core.rooms import RoomDirectory, RoomLog
from chatserver.core.session_gate import CURRENT, SessionGate
from chatserver.core.staff import StaffService
from chatserver.domain.config import Settings
from chatserver.domain.errors import BackendUnavailable, ErrorCode, ProtocolError
from chatserver.domain.protocol import (
    ClientFrame,
    Hello,
    Ping,
    encode,
    error_frame,
    now_ms,
    welcome_frame,
)
from chatserver.storage.errors import DatabaseError
from chatserver.storage.sessions import SessionRecord
from chatserver.storage.store import IdentityRecord, RoomRecord, Store
from moderation.ratelimit import TokenBucket

log = logging.getLogger("chatserver.chat")

# How long the list of staff names (which participants may not take) is reused.
STAFF_NAMES_SECONDS = 30.0
# Refused staff frames of one connection are audited together, once a minute at most.
FORBIDDEN_AUDIT_SECONDS = 60.0


class ChatService:
    def __init__(self, settings: Settings, store: Store, broker: Broker, hub: Hub,
                 identities: Identities, directory: RoomDirectory, roomlog: RoomLog,
                 staff: StaffService, presence: Presence, crisis: CrisisResources,
                 guard: RoomGuard, gate: SessionGate, alerts: AlertInbox) -> None:
        self._settings = settings
        self.store = store
        self.broker = broker
        self.hub = hub
        hub.gap_filler = self.missed_events
        self.identities = identities
        self.directory = directory
        self.roomlog = roomlog
        self.staff = staff
        self.presence = presence
        self.crisis = crisis
        self.guard = guard
        self.gate = gate
        self.alerts = alerts
        # Consoles see by themselves who left with their group's close (and is gone).
        self.left_at_close = LeftAtCloseWatch(settings, hub, presence, alerts)
        self.process_key = presence.process_key
        self.limits = {"max_message_chars": settings.max_message_chars,
                       "max_frame_bytes": settings.max_frame_bytes,
                       "send_rate": settings.send_rate, "send_burst": settings.send_burst,
                       "typing_interval": settings.typing_interval}
        self._router = FrameRouter(self._own_frame_routes())
        self._controls: dict[str, list[ControlHandler]] = {}
        for route in self._own_control_routes():
            self._controls.setdefault(route.kind, []).append(route.endpoint)
        self._on_disconnect: list[DisconnectHandler] = []
        self._staff_names: tuple[float, list[str]] = (0.0, [])
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def settings(self) -> Settings:
        return self._settings

    # Wiring ----------------------------------------------------------------------------------

    def install(self, features: Iterable[Feature],
                on_disconnect: Sequence[DisconnectHandler] = ()) -> None:
        """Take the features' frame and control routes into the tables (once, at start-up)."""
        features = list(features)
        self._router = FrameRouter([*self._own_frame_routes(),
                                    *(r for f in features for r in f.frame_routes())])
        for feature in features:
            for route in feature.control_routes():
                self._controls.setdefault(route.kind, []).append(route.endpoint)
        self._on_disconnect.extend(on_disconnect)

    def handled_frames(self) -> frozenset[type[ClientFrame]]:
        return self._router.handled()

    def _own_frame_routes(self) -> list[FrameRoute]:
        return [FrameRoute(Hello, self.hello, needs_hello=False),
                FrameRoute(Ping, self.ping, needs_hello=False)]

    def _own_control_routes(self) -> list[ControlRoute]:
        return [ControlRoute("to_member", self._deliver_to_member),
                ControlRoute("to_staff", self._deliver_to_staff),
                ControlRoute("staff_alert", self._deliver_to_signed_in_staff),
                ControlRoute("staff_disabled", self._sign_out),
                ControlRoute("staff_changed", self._rights_changed),
                ControlRoute("staff_session_closed", self._session_closed),
                ControlRoute("identity_erased", self._identity_erased),
                ControlRoute("rooms_changed",
                             lambda _: spawn_into(self._tasks, self.directory.refresh())),
                ControlRoute("resources_changed", self._resources_changed),
                ControlRoute("controls", self.guard.on_controls),
                ControlRoute("sanction", self.guard.on_sanction),
                ControlRoute("session", self.gate.on_session),
                ControlRoute("session", self._session_staff),
                *(ControlRoute(kind, functools.partial(self.alerts.deliver, kind))
                  for kind in ("alert_new", "alert_changed", "alert_escalated")),
                *(ControlRoute(kind, self.alerts.track)
                  for kind in ("alert_new", "alert_changed", "alert_escalated"))]

    # Life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        spawn_into(self._tasks, self.presence.run_heartbeat())
        spawn_into(self._tasks, self.left_at_close.run())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def missed_events(self, room_id: str, after: int) -> list[tuple[int, str]]:
        """The hub's gap filler: a room's events after ``after``."""
        room = await self.directory.get(room_id)
        if room is None:
            return []
        events, _ = await self.roomlog.replay(room, after)
        return events

    def on_event(self, room: str, data: bytes) -> None:
        seq = self.hub.on_event(room, data)
        if seq is not None:
            self.roomlog.seen(room, seq)

    def on_control(self, payload: bytes) -> None:
        """Control events from any process (through the broker), dispatched by kind."""
        try:
            event = msgspec.json.decode(payload)
        except msgspec.DecodeError:
            return
        if not isinstance(event, dict):
            return
        for handler in self._controls.get(str(event.get("kind")), ()):
            handler(event)

    async def resync(self) -> None:
        """After the broker lost its subscription: send each local room what it missed.
        Retried with backoff until every room has caught up (or has no local member)."""
        with contextlib.suppress(DatabaseError, OSError):
            await self.directory.refresh()  # rooms_changed events may have been missed too
        self.guard.events_missed()  # and controls and sanctions
        with contextlib.suppress(DatabaseError, OSError):
            # So were alerts: a person's call for help must not wait for its escalation.
            for kind, event in await self.alerts.missed_events():
                for handler in self._controls.get(kind, ()):
                    handler(event)
        pending = set(self.hub.rooms)
        delay = 0.1
        while pending:
            for room_id in list(pending):
                room = await self.directory.get(room_id)
                if room is None or room_id not in self.hub.rooms:
                    pending.discard(room_id)
                    continue
                try:
                    events, _ = await self.roomlog.replay(room, self.hub.local_last_seq(room_id))
                except (BackendUnavailable, DatabaseError, OSError):
                    continue
                for _, frame in events:
                    self.hub.on_event(room_id, frame.encode())
                pending.discard(room_id)
            if pending:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    # Frames --------------------------------------------------------------------------------

    async def handle(self, client: Client, frame: ClientFrame) -> None:
        """Carry out one valid frame; raise ProtocolError for the client to see."""
        self.spend(client.limits.frames)
        route = self._router.lookup(frame)
        if route is None:
            raise ProtocolError(ErrorCode.UNKNOWN_TYPE)
        if route.needs_hello and client.identity is None:
            raise ProtocolError(ErrorCode.HELLO_REQUIRED)
        try:
            await route.endpoint(client, frame)
        except ProtocolError as exc:
            if exc.code is ErrorCode.FORBIDDEN:
                self._note_forbidden(client, frame)
            raise

    # Probing: refused staff frames, audited per connection and minute ----------------------

    def _note_forbidden(self, client: Client, frame: ClientFrame) -> None:
        kind = str(type(frame).__struct_config__.tag)
        room = getattr(frame, "room", None)
        if client.forbidden is None:
            client.forbidden = (time.monotonic(), {})
            spawn_into(self._tasks, self._audit_forbidden_later(client))
        counts = client.forbidden[1]
        counts[kind] = counts.get(kind, 0) + 1
        if isinstance(room, str) and room in client.memberships:
            counts["room:" + room] = counts.get("room:" + room, 0) + 1

    async def _audit_forbidden_later(self, client: Client) -> None:
        await asyncio.sleep(FORBIDDEN_AUDIT_SECONDS)
        await self.audit_forbidden(client)

    async def audit_forbidden(self, client: Client) -> None:
        """One audit entry for the connection's refused frames of the last minute: how many
        of each type and in which rooms it was a member (never a frame's text)."""
        pending, client.forbidden = client.forbidden, None
        if pending is None:
            return
        counts = pending[1]
        rooms = sorted(k[5:] for k in counts if k.startswith("room:"))
        frames = {k: v for k, v in counts.items() if not k.startswith("room:")}
        staff = client.staff
        room = rooms[0] if len(rooms) == 1 else None
        member = client.memberships.get(room) if room else None
        try:
            await self.staff.store.audit(
                actor_id=staff.id if staff else "participant",
                actor_name=staff.display_name if staff else "participant",
                action="forbidden_attempts", room_id=room,
                target=member.member if member is not None and staff is None else None,
                detail={"count": sum(frames.values()), "frames": frames, "rooms": rooms,
                        "connection": f"{self.process_key}:{client.id}"})
        except (DatabaseError, OSError) as exc:
            log.warning("refused frames not audited", extra={"error": type(exc).__name__})

    async def ping(self, client: Client, frame: Ping) -> None:
        client.offer(encode({"type": "pong", "id": frame.id, "ts": now_ms()}))

    async def hello(self, client: Client, frame: Hello) -> None:
        if frame.v != PROTOCOL_VERSION:
            raise ProtocolError(ErrorCode.UNSUPPORTED_VERSION)
        if client.identity is not None:
            raise ProtocolError(ErrorCode.INVALID_FRAME)
        if client.staff is not None:
            account = client.staff
            client.identity = IdentityRecord("staff:" + account.id, account.display_name, True,
                                             frame.lang)
            client.lang = frame.lang
            client.offer(welcome_frame(token=None, pseudonym=account.display_name,
                                       limits=self.limits,
                                       heartbeat=self.settings.heartbeat_seconds,
                                       role=account.role, rooms=sorted(account.rooms),
                                       session_rooms=sorted(account.session_rooms)))
            # Signed in: counts as someone who can answer an alert, on every process.
            await self.presence.staff_signed_in(client)
            self.alerts.staff_arrived(account)  # someone told "nobody" hears they are here
            return
        token: str | None = None
        identity = None
        settings = self.settings
        # Per client address, on every process: a loop of new sockets is slowed down here,
        # and a loop of new identities more.
        buckets = [(f"hello:{client.address_key}", settings.hello_rate, settings.hello_burst)]
        if frame.token is None:
            buckets.append((f"identity:{client.address_key}", settings.new_identity_rate,
                            settings.new_identity_burst))
        await self.limit(buckets, fail_open=True)
        if frame.token is not None:
            identity = await self.identities.resolve(frame.token)
            if identity is None:
                raise ProtocolError(ErrorCode.INVALID_TOKEN)
        else:
            token, identity = await self.identities.issue(frame.lang)
            client.fresh = True
        client.identity = identity
        client.lang = frame.lang
        if token is None:  # reachable again before the page is told it is connected
            await self._back_after_close(client, identity.id)
        client.offer(welcome_frame(token=token, pseudonym=identity.pseudonym,
                                   limits=self.limits, heartbeat=self.settings.heartbeat_seconds))

    async def _back_after_close(self, client: Client, identity_id: str) -> None:
        """Someone whose call for help was open when their group closed is back (a reloaded
        page, a reconnect): reachable again for a private conversation from the alert, and
        not said to have left. A failure here costs only that, never the hello."""
        try:
            calls = await self.alerts.open_calls()
            # Their member id once per room with an open call, not once per call: every
            # returning person's hello passes here.
            for room_id in {room for room, _ in calls}:
                member = self.identities.member(identity_id, room_id)
                if (room_id, member) in calls:
                    await self.presence.back_after_close(client, room_id, member)
        except (BackendUnavailable, DatabaseError, OSError) as exc:
            log.warning("not reachable again after a close", extra={"error": type(exc).__name__})

    async def disconnect(self, client: Client) -> None:
        try:
            await self.audit_forbidden(client)  # before the memberships go
            await self.presence.withdraw_all(client)
            for handler in self._on_disconnect:
                try:
                    await handler(client)
                except (BackendUnavailable, DatabaseError, OSError, BrokerError):
                    pass  # a feature's own sweep cleans up after a lost backend
        finally:
            await client.stop()

    # RoomAccess: what features may do ---------------------------------------------------

    def member_of(self, client: Client, room_id: str) -> Membership:
        membership = client.memberships.get(room_id)
        if membership is None:
            raise ProtocolError(ErrorCode.NOT_IN_ROOM)
        return membership

    async def open_room(self, room_id: str) -> RoomRecord:
        room = await self.directory.get(room_id)
        if room is None:
            raise ProtocolError(ErrorCode.ROOM_NOT_FOUND)
        if not room.is_open:
            raise ProtocolError(ErrorCode.ROOM_CLOSED)
        return room

    async def find_room(self, room_id: str) -> RoomRecord | None:
        return await self.directory.get(room_id)

    async def all_rooms(self) -> list[RoomRecord]:
        return await self.directory.all()

    async def publish(self, room: RoomRecord, body: bytes, meta: EventMeta, *,
                      once: str | None = None) -> tuple[int, bytes]:
        return await self.roomlog.append(room, body, meta, once=once)

    async def announce(self, event: dict[str, Any]) -> None:
        await self.broker.publish_control(msgspec.json.encode(event))

    async def to_member(self, room_id: str, member: str, frame: dict[str, Any]) -> None:
        await self.announce({"kind": "to_member", "room": room_id, "member": member,
                             "frame": frame})

    async def to_staff(self, room_id: str, frame: dict[str, Any]) -> None:
        await self.announce({"kind": "to_staff", "room": room_id, "frame": frame})

    async def to_signed_in_staff(self, room_id: str, frame: dict[str, Any]) -> None:
        await self.announce({"kind": "staff_alert", "room": room_id, "frame": frame})

    async def limit(self, buckets: Sequence[tuple[str, float, float]], *,
                    cooling: tuple[Client, str] | None = None,
                    fail_open: bool = False) -> None:
        """Tokens from buckets shared by every process, all or none (Broker.admit: one round
        trip), or ProtocolError(rate_limited) with the time to wait. ``cooling`` (client,
        room): also refused while the client's address cools down after a kick or a ban from
        that room or from all (`sanction_cooldown_seconds`): a fresh pseudonym does not get
        round it. ``fail_open``: without the broker, let it pass."""
        cooldowns: list[str] = []
        if cooling is not None and self.settings.sanction_cooldown_seconds:
            client, room_id = cooling
            cooldowns = [f"cool:{scope}:{client.address_key}" for scope in (room_id, "*")]
        try:
            retry = await self.broker.admit(buckets, cooldowns)
        except BackendUnavailable:
            if fail_open:
                return
            raise
        if retry:
            raise ProtocolError(ErrorCode.RATE_LIMITED, retry_after=retry)

    async def start_cooldown(self, client: Client, room_id: str) -> None:
        """The client was kicked or banned from the room (``*``: from every room)."""
        if self.settings.sanction_cooldown_seconds:
            await self.broker.hit(f"cool:{room_id}:{client.address_key}",
                                  self.settings.sanction_cooldown_seconds)

    def spend(self, bucket: TokenBucket) -> None:
        retry = bucket.take(time.monotonic())
        if retry:
            raise ProtocolError(ErrorCode.RATE_LIMITED, retry_after=retry)

    def check_text(self, raw: str) -> str:
        text = raw.strip()
        if not text:
            raise ProtocolError(ErrorCode.TEXT_EMPTY)
        if len(text) > self.settings.max_message_chars:
            raise ProtocolError(ErrorCode.TEXT_TOO_LONG)
        return text

    async def withdraw(self, client: Client, room_id: str) -> None:
        await self.presence.withdraw(client, room_id)

    async def withdraw_at_close(self, client: Client, room_id: str) -> None:
        await self.presence.withdraw_at_close(client, room_id)

    async def after_close(self, room_id: str, member: str) -> str | None:
        return await self.presence.after_close(room_id, member)

    def local_members(self, room_id: str,
                      member: str | None = None) -> list[tuple[Client, Membership]]:
        return self.hub.members(room_id, member)

    def local_clients(self) -> list[Client]:
        return list(self.hub.connected.values())

    def local_last_seq(self, room_id: str) -> int:
        return self.hub.local_last_seq(room_id)

    async def present(self, room_id: str) -> list[dict[str, Any]]:
        return await self.presence.present(room_id)

    async def staff_names(self) -> list[str]:
        fetched, names = self._staff_names
        if time.monotonic() - fetched > STAFF_NAMES_SECONDS:
            names = await self.staff.store.display_names()
            self._staff_names = (time.monotonic(), names)
        return names

    # Control events every process acts on -----------------------------------------------

    def _deliver_to_member(self, event: dict[str, Any]) -> None:
        frame = encode(event["frame"])
        for client, _ in self.hub.members(str(event["room"]), str(event["member"])):
            client.offer(frame)

    def _deliver_to_staff(self, event: dict[str, Any]) -> None:
        frame = encode(event["frame"])
        for client, membership in self.hub.members(str(event["room"])):
            if membership.is_staff:
                client.offer(frame)

    def _deliver_to_signed_in_staff(self, event: dict[str, Any]) -> None:
        frame = encode(event["frame"])
        room = str(event.get("room"))
        for client in list(self.hub.connected.values()):
            staff = client.staff
            if staff is not None and (staff.role == "admin" or room in staff.rooms):
                client.offer(frame)

    def _resources_changed(self, event: dict[str, Any]) -> None:
        """An admin saved new crisis resources: read them now, so that the next message may
        already post the new numbers."""
        self.crisis.forget(event)
        spawn_into(self._tasks, self._load_resources())

    async def _load_resources(self) -> None:
        await self.crisis.current()

    def _sign_out(self, event: dict[str, Any]) -> None:
        """Disabled: the staff member's sockets close for good (1008); a reconnect is
        authorised afresh from the database, and the cookie no longer signs anyone in."""
        for client in list(self.hub.connected.values()):
            if client.staff is not None and client.staff.id == event.get("account"):
                client.close_after_queue(1008, "signed out")

    def _rights_changed(self, event: dict[str, Any]) -> None:
        """An admin changed the account's rooms; its session stays valid. The sockets close
        with 1012, on which a console reconnects at once and is authorised afresh with its new
        rooms: a 1008 would leave a facilitator off the alert stream for good."""
        for client in list(self.hub.connected.values()):
            if client.staff is not None and client.staff.id == event.get("account"):
                client.close_after_queue(1012, "rooms changed")

    def _session_staff(self, event: dict[str, Any]) -> None:
        """A session opened: the consoles here of those assigned to it alone reconnect
        (1012), to facilitate its room (they keep it after the close: see StaffStore)."""
        session = SessionRecord.from_wire(event["session"])
        if session.state in CURRENT and any(
                c.staff is not None and c.staff.role == "facilitator"
                and session.room_id not in c.staff.rooms for c in self.hub.connected.values()):
            spawn_into(self._tasks, self._refresh_session_staff(session))

    async def _refresh_session_staff(self, session: SessionRecord) -> None:
        try:
            assigned = set(await self.gate.store.session_facilitators(session.id))
        except (DatabaseError, OSError) as exc:  # they get the room when they reconnect
            log.warning("session facilitators not read", extra={"error": type(exc).__name__})
            return
        for client in list(self.hub.connected.values()):
            account = client.staff
            if (account is not None and account.role == "facilitator"
                    and account.id in assigned and session.room_id not in account.rooms):
                client.close_after_queue(1012, "session rooms changed")

    def _identity_erased(self, event: dict[str, Any]) -> None:
        """An admin erased a person's data: their sockets close (1008)."""
        for client in list(self.hub.connected.values()):
            if client.identity is not None and client.identity.id == event.get("identity"):
                client.close_after_queue(1008, "erased")

    def _session_closed(self, event: dict[str, Any]) -> None:
        """A staff session ended (logout; a password change ends all but the changer's):
        the sockets opened with it close, the account's others stay."""
        session, account, keep = event.get("session"), event.get("account"), event.get("keep")
        for client in list(self.hub.connected.values()):
            if client.staff is None:
                continue
            if (session is not None and client.staff_session == session) or (
                    account is not None and client.staff.id == account
                    and client.staff_session != keep):
                client.close_after_queue(1008, "signed out")


def protocol_error(exc: ProtocolError, frame: ClientFrame | None) -> str:
    return error_frame(exc.code, id=getattr(frame, "id", None),
                       room=getattr(frame, "room", None), retry_after=exc.retry_after,
                       reason=exc.reason)
