"""Taking part in a room: join (with the history and who is here), leave, send, typing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

import msgspec

from chatserver.broker.base import Broker, EventMeta, request_name
from chatserver.core import metrics
from chatserver.core.guard import RoomGuard
from chatserver.core.hub import Client, Membership
from chatserver.core.identities import Identities
from chatserver.core.ports import ControlRoute, FrameRoute, RoomAccess
from chatserver.core.presence import Presence
from chatserver.core.rooms import RoomLog
from chatserver.core.safety import Safety
from chatserver.core.session_gate import SessionGate
from chatserver.domain import pseudonyms
from chatserver.domain.errors import BackendUnavailable, ErrorCode, ProtocolError
from chatserver.domain.ground_rules import rules_version
from chatserver.domain.protocol import Join, Leave, Send, Typing, encode, event_body, now_ms
from chatserver.storage.errors import DatabaseError
from chatserver.storage.rules import RulesStore
from chatserver.storage.sessions import SessionStore
from chatserver.storage.store import RoomRecord, Store
from moderation.names import NameProblem, check_pseudonym
from moderation.types import Outcome

A = TypeVar("A")
B = TypeVar("B")


class Chat:
    def __init__(self, rooms: RoomAccess, *, store: Store, broker: Broker, roomlog: RoomLog,
                 identities: Identities, presence: Presence, guard: RoomGuard, safety: Safety,
                 gate: SessionGate, sessions: SessionStore, rules: RulesStore) -> None:
        self.rooms = rooms
        self.store = store
        self.broker = broker
        self.roomlog = roomlog
        self.identities = identities
        self.presence = presence
        self.guard = guard
        self.safety = safety
        self.gate = gate
        self.sessions = sessions
        self.rules = rules
        # (room, member, version) known to be accepted here: a rejoin reads nothing.
        self._accepted: set[tuple[str, str, str]] = set()

    def frame_routes(self) -> Sequence[FrameRoute]:
        return [FrameRoute(Join, self.join), FrameRoute(Leave, self.leave),
                FrameRoute(Send, self.send), FrameRoute(Typing, self.typing)]

    def control_routes(self) -> Sequence[ControlRoute]:
        return []

    async def _pick_name(self, client: Client, member: str, present: list[dict[str, Any]],
                         chosen: str | None) -> str:
        assert client.identity is not None
        identity = client.identity
        names = [info["name"] for info in present if info["member"] != member]
        if chosen is not None:
            verdict = check_pseudonym(chosen, present=names, staff=await self.rooms.staff_names())
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

    async def _limit_join(self, client: Client, room: RoomRecord) -> None:
        """A participant's join: per client address, per room for fresh identities, and not
        while the address cools down after a kick or a ban from the room."""
        settings = self.rooms.settings
        buckets = [(f"join:{client.address_key}", settings.join_rate, settings.join_burst)]
        if client.fresh:
            buckets.append((f"newmember:{room.id}", settings.new_member_rate,
                            settings.new_member_burst))
        await self.rooms.limit(buckets, cooling=(client, room.id))

    async def join(self, client: Client, frame: Join) -> None:
        assert client.identity is not None
        room = await self.rooms.open_room(frame.room)
        if room.id in client.memberships:
            raise ProtocolError(ErrorCode.ALREADY_IN_ROOM)
        if len(client.memberships) >= self.rooms.settings.max_rooms_per_connection:
            raise ProtocolError(ErrorCode.TOO_MANY_ROOMS)
        member = self.identities.member(client.identity.id, room.id)
        # One look at who is here serves the capacity and the pseudonym checks; a
        # participant's limits are checked beside it (with Redis, in the same round trip).
        if client.staff is None:
            _, present = await self._both(self._limit_join(client, room),
                                          self.rooms.present(room.id))
        else:
            present = await self.rooms.present(room.id)
        if len(present) >= room.capacity and member not in {p["member"] for p in present}:
            raise ProtocolError(ErrorCode.ROOM_FULL)
        role = "participant"
        session = self.gate.check_join(room, staff=client.staff is not None)
        if client.staff is not None:
            if client.staff.role != "admin" and room.id not in client.staff.rooms:
                raise ProtocolError(ErrorCode.FORBIDDEN)
            role, name = client.staff.role, client.staff.display_name
        elif room.access == "closed":
            # Only members; inside the group the pseudonym stays the one they joined with.
            group_name = await self.sessions.group_pseudonym(room.id, client.identity.id)
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
        await self.guard.check_join(client, room, membership)
        if not membership.is_staff:
            await self._check_rules(room, member, frame.rules)
        # Subscribe first, then announce and replay: nothing published from here on is missed.
        try:
            everyone = await self.presence.enter(client, room, membership)
            # Readers who chose not to be listed are only counted (staff see them).
            members = [m for m in everyone if not m.get("hidden") or m["member"] == member
                       or membership.is_staff]
            controls = await self.guard.controls(room.id)
            reactions, (events, complete) = await self._both(
                self.broker.reactions(room.id), self._events_for(room, frame.since))
            if session is not None and not membership.is_staff:
                await self.sessions.attend(session.id, member)
        except BaseException:
            await self.rooms.withdraw(client, room.id)
            raise
        head = max([membership.last_seq, *[seq for seq, _ in events]])
        if frame.since is not None and frame.since > head:
            # Beyond the room's last event (a client that saw another history, or made the
            # number up): tell it the real last number, or it would drop what comes next.
            try:
                head = max(head, min(frame.since, await self.roomlog.head(room)))
            except BaseException:
                await self.rooms.withdraw(client, room.id)
                raise
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
            joined["rules_version"] = rules_version(room.ground_rules)
        if room.kind == "guided" and (current := await self.sessions.get_round(room.id)):
            joined["round"] = current
        # `joined`, the replay, what arrived live meanwhile and `synced` go out as one write
        # (live frames of this room wait in the membership until `synced`).
        frames = [encode(joined)]
        for seq, text in events:
            if seq > membership.last_seq:
                membership.last_seq = seq
                if (seen := membership.view(text)) is not None:
                    frames.append(seen)
        frames += self.presence.synced(membership)
        frames.append(encode({"type": "synced", "room": room.id, "seq": membership.last_seq}))
        client.offer_all(frames)
        if not membership.is_staff:
            await self._help_status_on_return(client, room.id, member)

    async def _help_status_on_return(self, client: Client, room_id: str, member: str) -> None:
        """A person back in the room with a call for help still open hears where it stands
        (what they may have missed while away); the join itself is done either way."""
        try:
            told = await self.safety.alerts.status_on_return(room_id, member)
        except (BackendUnavailable, DatabaseError, OSError):
            return
        if told is not None:
            client.offer(encode(told))

    async def _both(self, first: Coroutine[Any, Any, A],
                    second: Coroutine[Any, Any, B]) -> tuple[A, B]:
        """Two independent steps of a join: side by side when the broker is remote (with Redis
        they share one round trip), else one after the other (no tasks to make)."""
        if self.broker.remote:
            a, b = await asyncio.gather(first, second)
            return a, b
        try:
            a = await first
        except BaseException:
            second.close()  # never started: nothing to undo
            raise
        return a, await second

    async def _events_for(self, room: RoomRecord,
                          since: int | None) -> tuple[list[tuple[int, str]], bool]:
        """What a joining member is shown first: the events after ``since`` when resuming,
        else the room's latest (and whether nothing is missing)."""
        if since is not None:
            return await self.roomlog.replay(room, since)
        return await self.roomlog.history(room, self.rooms.settings.history_on_join), True

    async def _check_rules(self, room: RoomRecord, member: str, accepted: str | None) -> None:
        """A room with ground rules is joined by those who accepted their current version:
        now (the join says which version they read), or before (recorded)."""
        version = rules_version(room.ground_rules)
        if version is None:
            return
        key = (room.id, member, version)
        if key in self._accepted:
            return
        if accepted == version:
            await self.rules.accept(room.id, member, version)
        elif not await self.rules.accepted(room.id, member, version):
            raise ProtocolError(ErrorCode.RULES_NOT_ACCEPTED, reason=version)
        if len(self._accepted) > 100_000:
            self._accepted.clear()  # a bound, not an eviction policy: it refills on rejoins
        self._accepted.add(key)

    async def leave(self, client: Client, frame: Leave) -> None:
        if frame.room not in client.memberships:
            raise ProtocolError(ErrorCode.NOT_IN_ROOM)
        await self.rooms.withdraw(client, frame.room)
        client.offer(encode({"type": "left", "room": frame.room, "id": frame.id}))

    async def send(self, client: Client, frame: Send) -> None:
        membership = self.rooms.member_of(client, frame.room)
        text = self.rooms.check_text(frame.text)
        if frame.reply_to is not None and not 0 < frame.reply_to <= max(
                membership.last_seq, self.rooms.local_last_seq(frame.room)):
            raise ProtocolError(ErrorCode.REPLY_NOT_FOUND)
        try:
            self.rooms.spend(client.limits.sends)
        except ProtocolError:
            if not client.limits.refused_sends.take(time.monotonic()):
                await self._refused(client, membership, frame.room, text)
            raise
        try:
            room = await self.rooms.open_room(frame.room)
            self.gate.check_send(room, membership.is_staff)
            # Slow mode paces, so crisis language passes it (asked only when it would refuse).
            await self.guard.check_send(membership, room.id,
                                        crisis=lambda: self.safety.crisis_language(room, text))
        except ProtocolError as exc:
            if exc.code is not ErrorCode.SLOW_MODE:  # refused by slow mode: no crisis language
                await self._refused(client, membership, frame.room, text)
            raise
        started = time.perf_counter()
        ts = now_ms()
        verdict = self.safety.screen(room, membership, text, frame.confirmed)
        metrics.VERDICTS.labels(verdict.code).inc()
        crisis = self.safety.new_crisis(verdict, frame.confirmed)
        if crisis:
            await self.safety.show_resources(client, room)
        if verdict.outcome is Outcome.REJECT or verdict.outcome is Outcome.CONFIRM or (
                await self._held(client, room, membership, frame, text, verdict.outcome,
                                 str(verdict.reason), crisis=verdict.alert)):
            if crisis:  # not posted: the alert has no message to point at
                await self.safety.crisis_alert(client, room, membership, None)
            await self.safety.harm_alert(room, membership, verdict)
            if verdict.outcome is Outcome.REJECT:
                raise ProtocolError(ErrorCode.MESSAGE_REJECTED,
                                    retry_after=verdict.retry_after or None,
                                    reason=str(verdict.reason))
            if verdict.outcome is Outcome.CONFIRM:
                client.offer(encode({"type": "confirm", "id": frame.id, "room": room.id,
                                     "reason": str(verdict.reason)}))
            return
        event: dict[str, Any] = {}
        if membership.shadow_until > time.time():
            event["only"] = membership.member  # first, where the hub looks for it
        event |= {"type": "message", "room": room.id, "ts": ts, "member": membership.member,
                  "name": membership.name, "role": membership.role, "text": text}
        if frame.reply_to is not None:
            event["reply_to"] = frame.reply_to
        if frame.cw is not None:
            event["cw"] = frame.cw.strip()
        if verdict.alert:
            event["flag"] = "crisis"  # others see it folded under a content warning
        seq, _ = await self.rooms.publish(room, event_body(event),
                                          EventMeta("message", membership.member, ts),
                                          once=request_name(room.id, membership.member,
                                                            frame.id, text))
        metrics.APPEND_SECONDS.observe(time.perf_counter() - started)
        metrics.MESSAGES.inc()
        client.offer(encode({"type": "ack", "id": frame.id, "room": room.id, "seq": seq}))
        if crisis:
            await self.safety.crisis_alert(client, room, membership, seq)

    async def _refused(self, client: Client, membership: Membership, room_id: str,
                       text: str) -> None:
        """A line refused before its screen (the send rate, the group not open, a locked
        room, a mute): the refusal stands, and with crisis language the person still gets
        the crisis lines and the facilitators the alert (Safety.refused_line)."""
        room = await self.rooms.find_room(room_id)
        if room is not None:
            await self.safety.refused_line(client, room, membership, text)

    async def _held(self, client: Client, room: RoomRecord, membership: Membership, frame: Send,
                    text: str, outcome: Outcome, reason: str, *, crisis: bool = False) -> bool:
        """Hold the message for a facilitator if the filters or the room's pre-moderation say
        so; True if it was held (the sender is told; of a message with crisis language, so
        that the page says beside the crisis lines that their words wait, not gone)."""
        controls = await self.guard.controls(room.id)
        hold_reason = (reason if outcome is Outcome.HOLD else
                       "premoderated" if controls.premoderated and not membership.is_staff
                       else None)
        if hold_reason is None:
            return False
        held = await self.safety.hold_message(room, membership, text, frame.reply_to,
                                              hold_reason)
        answer: dict[str, Any] = {"type": "held", "id": frame.id, "room": room.id,
                                  "hold": held["id"], "reason": hold_reason}
        if crisis:
            answer["crisis"] = True
        client.offer(encode(answer))
        return True

    async def typing(self, client: Client, frame: Typing) -> None:
        membership = self.rooms.member_of(client, frame.room)
        now = time.monotonic()
        if now - membership.last_typing < self.rooms.settings.typing_interval:
            return  # throttled quietly: typing is a hint, not worth an error
        membership.last_typing = now
        await self.broker.publish_ephemeral(frame.room, msgspec.json.encode(
            {"type": "typing", "room": frame.room, "member": membership.member,
             "name": membership.name}))
