"""The chat service: what each client frame does. No web framework here; the socket loop in
chatserver/web/ws.py feeds it frames and it answers through the client's queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

import msgspec
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from chatserver import PROTOCOL_VERSION
from chatserver.broker.base import Broker, EventMeta, PresenceEntry, request_name
from chatserver.core import metrics
from chatserver.core.hub import Client, Hub, Membership
from chatserver.core.identities import Identities
from chatserver.core.rooms import RoomDirectory, RoomLog
from chatserver.core.staff import StaffService
from chatserver.domain import pseudonyms
from chatserver.domain.config import Settings
from chatserver.domain.errors import BackendUnavailable, ErrorCode, ProtocolError
from chatserver.domain.protocol import (
    ClientFrame,
    Delete,
    Edit,
    Erase,
    FeedbackFrame,
    Hello,
    Help,
    Join,
    Leave,
    Moderate,
    OneToOneFrame,
    Ping,
    React,
    Redeem,
    Report,
    RoundAction,
    Send,
    SessionControl,
    Typing,
    encode,
    error_frame,
    event_body,
    now_ms,
    welcome_frame,
)
from chatserver.features import groups, rounds
from chatserver.features.agency import Agency
from chatserver.features.moderating import Moderator
from chatserver.features.one_to_one.backend import create_queue
from chatserver.features.one_to_one.service import OneToOne
from chatserver.features.sessions import SessionService
from chatserver.storage.moderation import ModerationStore
from chatserver.storage.sessions import SessionStore
from chatserver.storage.store import IdentityRecord, RoomRecord, Store
from moderation.names import NameProblem, check_pseudonym
from moderation.ratelimit import TokenBucket
from moderation.types import Outcome

log = logging.getLogger("chatserver.chat")


class Session:
    """Per-connection limits that live as long as the connection."""

    __slots__ = ("frames", "reactions", "reports", "sends")

    def __init__(self, settings: Settings) -> None:
        self.frames = TokenBucket(settings.frame_rate, settings.frame_burst)
        self.sends = TokenBucket(settings.send_rate, settings.send_burst)
        # Reports: a few at once, then one every two minutes.
        self.reports = TokenBucket(1 / 120, 5)
        # Reactions: a handful at once, then one a second.
        self.reactions = TokenBucket(1.0, 10)


class ChatService:
    def __init__(self, settings: Settings, store: Store, broker: Broker, hub: Hub,
                 identities: Identities, directory: RoomDirectory, log_: RoomLog,
                 staff: StaffService) -> None:
        self.settings = settings
        self.store = store
        self.broker = broker
        self.hub = hub
        hub.gap_filler = self.missed_events
        self.identities = identities
        self.directory = directory
        self.roomlog = log_
        self.staff = staff
        self.mod = Moderator(self, ModerationStore(store))
        self.agency = Agency(self)
        self.sessions = SessionService(self, SessionStore(store))
        self._staff_names: tuple[float, list[str]] = (0.0, [])
        self.process_key = uuid.uuid4().hex[:10]
        self.one_to_one = OneToOne(self, create_queue(settings.redis_url))
        self._tasks: list[asyncio.Task[None]] = []
        self._unannounced: list[Membership] = []
        self._departures_lock = asyncio.Lock()
        self.limits = {"max_message_chars": settings.max_message_chars,
                       "max_frame_bytes": settings.max_frame_bytes,
                       "send_rate": settings.send_rate, "send_burst": settings.send_burst,
                       "typing_interval": settings.typing_interval}

    # Life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._heartbeat(), name="presence-heartbeat"))
        self.one_to_one.start()
        self.sessions.start(self.settings.session_timer_seconds)

    async def close(self) -> None:
        await self.sessions.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.one_to_one.close()

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
        """Control events from any process (through the broker)."""
        try:
            event = msgspec.json.decode(payload)
        except msgspec.DecodeError:
            return
        if not isinstance(event, dict):
            return
        self.mod.on_control(event)
        self.one_to_one.on_control(event)
        self.sessions.on_control(event)
        if event.get("kind") in ("staff_disabled", "staff_changed"):
            # Signed out (or rights changed): the staff member's sockets close, and a
            # reconnect is authorised afresh from the database.
            for client in list(self.hub.connected.values()):
                if client.staff is not None and client.staff.id == event.get("account"):
                    client.close_after_queue(1008, "signed out")

    async def staff_names(self) -> list[str]:
        fetched, names = self._staff_names
        if time.monotonic() - fetched > 30:
            names = await self.staff.store.display_names()
            self._staff_names = (time.monotonic(), names)
        return names

    async def resync(self) -> None:
        """After the broker lost its subscription: send each local room what it missed.
        Retried with backoff until every room has caught up (or has no local member)."""
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
                except (BackendUnavailable, SQLAlchemyError, OSError):
                    continue
                for _, frame in events:
                    self.hub.on_event(room_id, frame.encode())
                pending.discard(room_id)
            if pending:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    # Frames --------------------------------------------------------------------------------

    async def handle(self, client: Client, session: Session, frame: ClientFrame) -> None:
        """Carry out one valid frame; raise ProtocolError for the client to see."""
        retry = session.frames.take(time.monotonic())
        if retry:
            raise ProtocolError(ErrorCode.RATE_LIMITED, retry_after=retry)
        if isinstance(frame, Hello):
            await self.hello(client, frame)
            return
        if isinstance(frame, Ping):
            client.offer(encode({"type": "pong", "id": frame.id, "ts": now_ms()}))
            return
        if client.identity is None:
            raise ProtocolError(ErrorCode.HELLO_REQUIRED)
        if isinstance(frame, Send):
            await self.send(client, session, frame)
        elif isinstance(frame, Typing):
            await self.typing(client, frame)
        elif isinstance(frame, Join):
            await self.join(client, frame)
        elif isinstance(frame, Moderate):
            await self.mod.moderate(client, frame)
        elif isinstance(frame, Report):
            await self.mod.report(client, session.reports, frame)
        elif isinstance(frame, Help):
            await self.mod.help(client, frame)
        elif isinstance(frame, React):
            await self.agency.react(client, session.reactions, frame)
        elif isinstance(frame, Edit):
            await self.agency.edit(client, frame)
        elif isinstance(frame, Delete):
            await self.agency.delete(client, frame)
        elif isinstance(frame, Erase):
            await self.agency.erase(client, frame)
        elif isinstance(frame, SessionControl):
            await self.sessions.staff_frame(client, frame)
        elif isinstance(frame, RoundAction):
            await rounds.handle(self, client, frame)
        elif isinstance(frame, Redeem):
            await groups.redeem(self, client, frame)
        elif isinstance(frame, FeedbackFrame):
            await groups.feedback(self, client, frame)
        elif isinstance(frame, Leave):
            await self.leave(client, frame.room)
            client.offer(encode({"type": "left", "room": frame.room, "id": frame.id}))
        elif isinstance(frame, OneToOneFrame):
            await self.one_to_one.handle(client, frame)

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
                                       role=account.role, rooms=sorted(account.rooms)))
            return
        token: str | None = None
        identity = None
        if frame.token is not None:
            identity = await self.identities.resolve(frame.token)
            if identity is None:
                raise ProtocolError(ErrorCode.INVALID_TOKEN)
        else:
            token, identity = await self.identities.issue(frame.lang)
        client.identity = identity
        client.lang = frame.lang
        client.offer(welcome_frame(token=token, pseudonym=identity.pseudonym,
                                   limits=self.limits, heartbeat=self.settings.heartbeat_seconds))

    async def open_room(self, room_id: str) -> RoomRecord:
        room = await self.directory.get(room_id)
        if room is None:
            raise ProtocolError(ErrorCode.ROOM_NOT_FOUND)
        if not room.is_open:
            raise ProtocolError(ErrorCode.ROOM_CLOSED)
        return room

    async def _pick_name(self, client: Client, member: str, present: list[dict[str, Any]],
                         chosen: str | None) -> str:
        assert client.identity is not None
        identity = client.identity
        names = [info["name"] for info in present if info["member"] != member]
        if chosen is not None:
            verdict = check_pseudonym(chosen, present=names, staff=await self.staff_names())
            if isinstance(verdict, NameProblem):
                raise ProtocolError(ErrorCode(verdict.value))
            if verdict != identity.pseudonym or not identity.pseudonym_chosen:
                await self.store.set_pseudonym(identity.id, verdict, chosen=True)
                client.identity = identity = type(identity)(identity.id, verdict, True,
                                                            identity.lang)
            return verdict
        if identity.pseudonym.casefold() in {n.casefold() for n in names}:
            if identity.pseudonym_chosen:
                raise ProtocolError(ErrorCode.NAME_TAKEN)
            name = pseudonyms.generate(identity.lang, avoid=names)
            await self.store.set_pseudonym(identity.id, name, chosen=False)
            client.identity = identity = type(identity)(identity.id, name, False, identity.lang)
        return identity.pseudonym

    async def join(self, client: Client, frame: Join) -> None:
        assert client.identity is not None
        room = await self.open_room(frame.room)
        if room.id in client.memberships:
            raise ProtocolError(ErrorCode.ALREADY_IN_ROOM)
        if len(client.memberships) >= self.settings.max_rooms_per_connection:
            raise ProtocolError(ErrorCode.TOO_MANY_ROOMS)
        member = self.identities.member(client.identity.id, room.id)
        # One look at who is here serves the capacity and the pseudonym checks.
        present = [msgspec.json.decode(raw) for raw in await self.broker.presence_list(room.id)]
        if len(present) >= room.capacity and member not in {p["member"] for p in present}:
            raise ProtocolError(ErrorCode.ROOM_FULL)
        role = "participant"
        session = self.sessions.check_join(room, staff=client.staff is not None)
        if client.staff is not None:
            if client.staff.role != "admin" and room.id not in client.staff.rooms:
                raise ProtocolError(ErrorCode.FORBIDDEN)
            role, name = client.staff.role, client.staff.display_name
        elif room.access == "closed":
            # Only members; inside the group the pseudonym stays the one they joined with.
            group_name = await self.sessions.store.group_pseudonym(room.id, client.identity.id)
            if group_name is None:
                raise ProtocolError(ErrorCode.NOT_A_MEMBER)
            name = group_name
        else:
            name = await self._pick_name(client, member, present, frame.name)
        if frame.hidden and (room.access != "drop_in" or client.staff is not None):
            raise ProtocolError(ErrorCode.FORBIDDEN)  # closed groups know who is there
        listed: dict[str, Any] = {"member": member, "name": name, "role": role}
        if frame.hidden:
            listed["hidden"] = True
        info = msgspec.json.encode(listed)
        membership = Membership(room=room.id, member=member, name=name, role=role, info=info,
                                hidden=frame.hidden)
        await self.mod.check_join(client, room, membership)
        # Subscribe first, then announce and replay: nothing published from here on is missed.
        await self.hub.add(client, membership)
        try:
            await self._announce_join(client, room, membership)
            everyone = [msgspec.json.decode(raw) for raw in
                        await self.broker.presence_list(room.id)]
            # Readers who chose not to be listed are only counted (staff see them).
            members = [m for m in everyone if not m.get("hidden") or m["member"] == member
                       or membership.is_staff]
            reactions = await self.broker.reactions(room.id)
            controls = await self.mod.controls(room.id)
            if frame.since is not None:
                events, complete = await self.roomlog.replay(room, frame.since)
            else:
                events, complete = await self.roomlog.history(room,
                                                              self.settings.history_on_join), True
        except BaseException:
            await self.withdraw(client, room.id)
            raise
        head = max([membership.last_seq, *[seq for seq, _ in events]])
        joined: dict[str, Any] = {
            "type": "joined", "id": frame.id, "room": room.id, "member": member, "name": name,
            "role": role, "seq": head, "members": members,
            "readers": len(everyone) - len(members),
            "reactions": {str(k): v for k, v in reactions.items()}, "complete": complete,
            "controls": controls.public(),
            "replay": len(events)}
        if room.has_sessions:
            joined["session"] = session.public() if session is not None else None
        if room.ground_rules:
            joined["rules"] = room.ground_rules
        if room.kind == "guided" and (current := await self.sessions.store.get_round(room.id)):
            joined["round"] = current
        client.offer(encode(joined))
        if session is not None and not membership.is_staff:
            await self.sessions.store.attend(session.id, member)
        for seq, text in events:
            if seq > membership.last_seq:
                membership.last_seq = seq
                shown = membership.view(text)
                if shown is not None:
                    client.offer(shown)
        self.hub.finish_sync(client, membership)
        client.offer(encode({"type": "synced", "room": room.id, "seq": membership.last_seq}))

    async def _announce_join(self, client: Client, room: RoomRecord,
                             membership: Membership) -> None:
        entry = PresenceEntry(room.id, client.conn_key(membership.member), membership.member,
                              membership.info)
        expires = time.time() + self.settings.presence_ttl_seconds
        if await self.broker.presence_add(entry, expires) and not membership.hidden:
            await self._append_presence(room, membership, "member_joined")

    async def _append_presence(self, room: RoomRecord, m: Membership, kind: str) -> None:
        ts = now_ms()
        body = event_body({"type": kind, "room": room.id, "ts": ts, "member": m.member,
                           "name": m.name, "role": m.role})
        await self.roomlog.append(room, body, EventMeta(kind, m.member, ts))

    async def leave(self, client: Client, room_id: str) -> None:
        if room_id not in client.memberships:
            raise ProtocolError(ErrorCode.NOT_IN_ROOM)
        await self.withdraw(client, room_id)

    async def withdraw(self, client: Client, room_id: str) -> None:
        membership = self.hub.remove_local(client, room_id)
        if membership is None:
            return
        gone = await self.broker.presence_remove(room_id, client.conn_key(membership.member),
                                                 membership.member)
        if gone and not membership.hidden:
            self._unannounced.append(membership)
            await self._announce_departures()

    async def _announce_departures(self) -> None:
        """Append `member_left` for members who left; one that could not be stored (the
        database away) stays queued for the heartbeat, so no one stays listed for good."""
        # One at a time: many sockets close at once on shutdown, and two walkers of the queue
        # would announce the same departure twice and then pop past its end.
        async with self._departures_lock:
            while self._unannounced:
                membership = self._unannounced[0]
                room = await self.directory.get(membership.room)
                if room is not None:
                    await self._append_presence(room, membership, "member_left")
                self._unannounced.pop(0)

    async def disconnect(self, client: Client) -> None:
        try:
            for room_id in list(client.memberships):
                try:
                    await self.withdraw(client, room_id)
                except (BackendUnavailable, SQLAlchemyError, OSError):
                    # A backend is away (asyncpg's refused connect is a bare OSError):
                    # presence lapses by its TTL instead.
                    pass
            try:
                await self.one_to_one.disconnect(client)
            except (BackendUnavailable, SQLAlchemyError, OSError, RedisError):
                pass  # the sweeper drops a lost process's waiting participants instead
        finally:
            await client.stop()

    async def send(self, client: Client, session: Session, frame: Send) -> None:
        membership = self.member_of(client, frame.room)
        text = self.check_text(frame.text)
        if frame.reply_to is not None and not 0 < frame.reply_to <= max(
                membership.last_seq, self.hub.local_last_seq(frame.room)):
            raise ProtocolError(ErrorCode.REPLY_NOT_FOUND)
        self.spend(session.sends)
        room = await self.open_room(frame.room)
        self.sessions.check_send(room, membership.is_staff)
        await self.mod.check_send(membership, room.id)
        started = time.perf_counter()
        ts = now_ms()
        verdict = self.mod.screen(room, membership, text, frame.confirmed)
        metrics.VERDICTS.labels(verdict.code).inc()
        await self.mod.after_verdict(client, room, membership, verdict, frame.confirmed)
        if verdict.outcome is Outcome.REJECT:
            raise ProtocolError(ErrorCode.MESSAGE_REJECTED, retry_after=verdict.retry_after or None,
                                reason=str(verdict.reason))
        if verdict.outcome is Outcome.CONFIRM:
            client.offer(encode({"type": "confirm", "id": frame.id, "room": room.id,
                                 "reason": str(verdict.reason)}))
            return
        controls = await self.mod.controls(room.id)
        hold_reason = (str(verdict.reason) if verdict.outcome is Outcome.HOLD else
                       "premoderated" if controls.premoderated and not membership.is_staff
                       else None)
        if hold_reason is not None:
            held = await self.mod.hold_message(room, membership, text, frame.reply_to,
                                               hold_reason)
            client.offer(encode({"type": "held", "id": frame.id, "room": room.id,
                                 "hold": held["id"], "reason": hold_reason}))
            return
        event: dict[str, Any] = {}
        if membership.shadow_until > time.time():
            event["only"] = membership.member  # first, where the hub looks for it
        event |= {"type": "message", "room": room.id, "ts": ts,
                                 "member": membership.member, "name": membership.name,
                                 "role": membership.role, "text": text}
        if frame.reply_to is not None:
            event["reply_to"] = frame.reply_to
        if frame.cw is not None:
            event["cw"] = frame.cw.strip()
        seq, _ = await self.roomlog.append(room, event_body(event),
                                           EventMeta("message", membership.member, ts),
                                           once=request_name(room.id, membership.member,
                                                             frame.id, text))
        metrics.APPEND_SECONDS.observe(time.perf_counter() - started)
        metrics.MESSAGES.inc()
        client.offer(encode({"type": "ack", "id": frame.id, "room": room.id, "seq": seq}))

    @staticmethod
    def member_of(client: Client, room_id: str) -> Membership:
        """The client's membership of the room, or `not_in_room`."""
        membership = client.memberships.get(room_id)
        if membership is None:
            raise ProtocolError(ErrorCode.NOT_IN_ROOM)
        return membership

    @staticmethod
    def spend(bucket: TokenBucket) -> None:
        """Take from a rate limit, or `rate_limited` with the time to wait."""
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

    async def typing(self, client: Client, frame: Typing) -> None:
        membership = self.member_of(client, frame.room)
        now = time.monotonic()
        if now - membership.last_typing < self.settings.typing_interval:
            return  # throttled quietly: typing is a hint, not worth an error
        membership.last_typing = now
        await self.broker.publish_ephemeral(frame.room, msgspec.json.encode(
            {"type": "typing", "room": frame.room, "member": membership.member,
             "name": membership.name}))

    # Presence heartbeat --------------------------------------------------------------------

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            try:
                await self.heartbeat_once()
            except (BackendUnavailable, SQLAlchemyError, OSError) as exc:
                log.warning("presence heartbeat failed", extra={"error": type(exc).__name__})
            except Exception:
                log.exception("presence heartbeat crashed")

    async def heartbeat_once(self) -> None:
        await self._announce_departures()
        now = time.time()
        here = self.hub.members_here()
        entries = [PresenceEntry(m.room, c.conn_key(m.member), m.member, m.info)
                   for c, m in here]
        back = await self.broker.presence_refresh(entries,
                                                  now + self.settings.presence_ttl_seconds)
        by_key = {c.conn_key(m.member): m for c, m in here}
        for entry in back:
            room = await self.directory.get(entry.room)
            if room is not None and not by_key[entry.conn_key].hidden:
                await self._append_presence(room, by_key[entry.conn_key], "member_joined")
        for room_id, info in await self.broker.presence_expire(now):
            room = await self.directory.get(room_id)
            if room is None:
                continue
            data = msgspec.json.decode(info)
            if data.get("hidden"):
                continue
            membership = Membership(room=room_id, member=data["member"], name=data["name"],
                                    role=data["role"], info=info)
            await self._append_presence(room, membership, "member_left")


def protocol_error(exc: ProtocolError, frame: ClientFrame | None) -> str:
    return error_frame(exc.code, id=getattr(frame, "id", None),
                       room=getattr(frame, "room", None), retry_after=exc.retry_after,
                       reason=exc.reason)
