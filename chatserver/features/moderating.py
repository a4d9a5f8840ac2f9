"""Facilitators' actions: who may, what happens, and how every process learns of it.

Each action is checked, stored (sanctions, controls, redactions), audited, and announced
through the broker's control channel so that the process holding the target's connection
acts on it at once; changes everyone should see also enter the room's stream.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from chatserver.broker.base import EventMeta
from chatserver.core.alerts import HELP, REPORT, AlertInbox
from chatserver.core.crisis import CrisisResources
from chatserver.core.guard import apply_mute
from chatserver.core.history import RoomHistory
from chatserver.core.hub import Client, Membership
from chatserver.core.identities import Identities
from chatserver.core.ports import ControlRoute, FrameRoute, RoomAccess, spawn_into
from chatserver.core.safety import Safety
from chatserver.domain.errors import ErrorCode, ProtocolError
from chatserver.domain.protocol import Help, Moderate, Report, encode, event_body, now_ms
from chatserver.storage.moderation import Controls, ModerationStore
from chatserver.storage.staff import StaffStore
from chatserver.storage.store import RoomRecord
from moderation import permissions
from moderation.permissions import Action
from moderation.types import Role

log = logging.getLogger("chatserver.moderating")

REMOVE_RECENT_MINUTES = 30


class Moderator:
    def __init__(self, rooms: RoomAccess, *, store: ModerationStore, history: RoomHistory,
                 alerts: AlertInbox, crisis: CrisisResources, identities: Identities,
                 staff: StaffStore, safety: Safety) -> None:
        self.rooms = rooms
        self.safety = safety
        self.store = store
        self.history = history
        self.alerts = alerts
        self.crisis = crisis
        self.identities = identities
        self.staff = staff
        self._tasks: set[asyncio.Task[None]] = set()
        self._control_locks: dict[str, asyncio.Lock] = {}

    def frame_routes(self) -> Sequence[FrameRoute]:
        return [FrameRoute(Moderate, self.moderate), FrameRoute(Report, self.report),
                FrameRoute(Help, self.help)]

    def control_routes(self) -> Sequence[ControlRoute]:
        return [ControlRoute("sanction",
                             lambda event: spawn_into(self._tasks, self._apply_sanction(event)))]

    async def _apply_sanction(self, event: dict[str, Any]) -> None:
        room, member, what = str(event["room"]), event.get("member"), event["sanction"]
        notice = {"type": "sanction", "room": room, "sanction": what,
                  "until": event.get("until"), "reason": event.get("reason")}
        if what == "ban" and event.get("scope") == "all":
            for client in list(self.rooms.local_clients()):
                if client.identity is not None and client.identity.id == event.get("identity"):
                    client.offer(encode(notice))
                    client.close_after_queue(1008, "banned")
                    await self.rooms.start_cooldown(client, "*")
            return
        for client, membership in self.rooms.local_members(room, str(member)):
            if what in ("mute", "shadow", "unmute"):
                until = event.get("until")
                apply_mute(membership, what, datetime.fromisoformat(until) if until else None,
                           event.get("reason"))
                if what != "shadow":  # a shadow mute is not told to its target
                    client.offer(encode(notice))
            elif what in ("kick", "ban"):
                client.offer(encode(notice))
                await self.rooms.withdraw(client, room)
                await self.rooms.start_cooldown(client, room)

    # Facilitators' frames ------------------------------------------------------------------

    def authorize(self, client: Client, frame: Moderate) -> Membership:
        """The acting staff member's membership, if the pure permission rules let them take
        this action in this room (moderation.permissions)."""
        membership = client.memberships.get(frame.room)
        if membership is None or not membership.is_staff:
            raise ProtocolError(ErrorCode.FORBIDDEN)
        if not permissions.may(actor_of(client), permission_for(frame), frame.room):
            raise ProtocolError(ErrorCode.FORBIDDEN)
        return membership

    async def _target(self, client: Client, room: RoomRecord, member: str | None) -> str:
        """The member aimed at, if the actor may aim at someone of their role."""
        if not member:
            raise ProtocolError(ErrorCode.INVALID_FRAME)
        role = Role.PARTICIPANT
        for account in await self.staff.all():
            if self.identities.member("staff:" + account.id, room.id) == member:
                role = Role(account.role)
        if not permissions.may_target(actor_of(client), role):
            raise ProtocolError(ErrorCode.FORBIDDEN)
        return member

    async def moderate(self, client: Client, frame: Moderate) -> None:
        actor = self.authorize(client, frame)
        assert client.staff is not None
        room = await self.rooms.open_room(frame.room)
        action = frame.action
        detail: dict[str, object] = {}
        answer: dict[str, object] = {"type": "done", "id": frame.id, "room": room.id,
                                     "action": action}
        target: str | None = None
        if action == "redact":
            if frame.seq is None:
                raise ProtocolError(ErrorCode.INVALID_FRAME)
            target = await self.history.redact(room, frame.seq, actor, by="facilitator")
            detail["seq"] = frame.seq
        elif action == "remove_recent":
            target = await self._target(client, room, frame.member)
            minutes = (frame.seconds or REMOVE_RECENT_MINUTES * 60) / 60
            removed = await self.history.remove_recent(room, target, actor, minutes)
            detail.update(removed=len(removed), minutes=minutes)
        elif action == "warn":
            target = await self._target(client, room, frame.member)
            if not frame.text:
                raise ProtocolError(ErrorCode.INVALID_FRAME)
            await self.rooms.to_member(room.id, target, {"type": "warning", "room": room.id,
                                                         "text": frame.text, "ts": now_ms()})
        elif action == "content_warning":
            if frame.seq is None:
                raise ProtocolError(ErrorCode.INVALID_FRAME)
            target = await self.add_warning(room, frame.seq, frame.text or "", actor)
            detail["seq"] = frame.seq
        elif action in ("approve", "reject"):
            if frame.hold is None:
                raise ProtocolError(ErrorCode.INVALID_FRAME)
            target = await self.decide_held(room, frame.hold, approve=action == "approve")
            detail["hold"] = frame.hold
        elif action in ("mute", "unmute", "kick", "ban"):
            target = await self._target(client, room, frame.member)
            detail.update(await self.sanction(room, target, frame, client.staff.id))
        else:
            changed = await self.set_controls(room, frame, actor)
            detail.update(changed["controls"])
            answer.update(changed)
        await self.staff.audit(
            actor_id=client.staff.id, actor_name=client.staff.display_name, action=action,
            room_id=room.id, target=target, reason=frame.reason, detail=detail)
        client.offer(encode(answer))

    async def add_warning(self, room: RoomRecord, seq: int, topic: str,
                          actor: Membership) -> str:
        """A facilitator marks someone's message as heavy: members then open it by choice."""
        message = await self.history.find_message(room, seq)
        if "redacted" not in message:
            await self.history.rewrite(room, seq, "message", {**message, "cw": topic},
                               str(message["member"]))
            ts = now_ms()
            await self.rooms.publish(room, event_body(
                {"type": "message_warned", "room": room.id, "ts": ts, "target": seq,
                 "cw": topic}), EventMeta("message_warned", actor.member, ts))
        return str(message["member"])

    async def sanction(self, room: RoomRecord, member: str, frame: Moderate,
                       actor_id: str) -> dict[str, object]:
        action = frame.action
        until = (datetime.now(UTC) + timedelta(seconds=frame.seconds)
                 if frame.seconds else None)
        event: dict[str, Any] = {"kind": "sanction", "room": room.id, "member": member,
                                 "reason": frame.reason,
                                 "until": until.isoformat() if until else None}
        if action == "mute":
            if until is None:
                raise ProtocolError(ErrorCode.INVALID_FRAME)  # a mute always ends
            kind = "shadow" if frame.on else "mute"
            await self.store.add_sanction(kind=kind, room_id=room.id, member=member,
                                          identity_id=None, until=until, reason=frame.reason,
                                          created_by=actor_id)
            event["sanction"] = kind
        elif action == "unmute":
            await self.store.lift(room.id, member, ("mute", "shadow"))
            event["sanction"] = "unmute"
        elif action == "kick":
            event["sanction"] = "kick"
        else:
            identity = None
            if frame.scope == "all":
                identity = await self.identities.find(member, room.id, self.store)
                if identity is None:
                    raise ProtocolError(ErrorCode.MEMBER_NOT_FOUND)
            await self.store.add_sanction(kind="ban", room_id="*" if identity else room.id,
                                          member=None if identity else member,
                                          identity_id=identity, until=until,
                                          reason=frame.reason, created_by=actor_id)
            event.update(sanction="ban", scope=frame.scope, identity=identity)
        await self.rooms.announce(event)
        return {"until": event["until"], "scope": frame.scope, "shadow": bool(frame.on)}

    async def set_controls(self, room: RoomRecord, frame: Moderate,
                           actor: Membership) -> dict[str, Any]:
        """Change one control; the answer carries the controls after it and the number of the
        `room_controls` event that tells the room, so a console can tell its own change from
        an older echo."""
        change: dict[str, int | bool | None]
        if frame.action == "slow_mode":
            change = {"slow_mode_seconds": min(frame.seconds or 0, 3600)}
        elif frame.action in ("lock", "premoderate"):
            if frame.on is None:
                raise ProtocolError(ErrorCode.INVALID_FRAME)
            change = {"locked" if frame.action == "lock" else "premoderated": frame.on}
        elif frame.action == "pin":
            if frame.seq is None or await self.history.find_frame(room, frame.seq) is None:
                raise ProtocolError(ErrorCode.MESSAGE_NOT_FOUND)
            change = {"pinned_seq": frame.seq}
        else:  # unpin
            change = {"pinned_seq": None}
        # One change of a room's controls at a time in this process: what every process's
        # guard and every console last hears is then the controls as stored.
        async with self._controls_lock(room.id):
            controls = await self.store.change_controls(room.id, **change)
            seq = await self._tell_controls(room, controls, actor)
            # Another process may have changed another control at the same moment and told
            # everyone before this one did: then what was told last is older than what is
            # stored, and every process would enforce it. Read again after telling; the last
            # process to tell anything reads what is stored and tells that.
            stored = await self.store.controls(room.id)
            if stored != controls:
                controls = stored
                seq = await self._tell_controls(room, controls, actor)
        return {"controls": controls.public(), "event": seq}

    async def _tell_controls(self, room: RoomRecord, controls: Controls,
                             actor: Membership) -> int:
        """Every process's guard, then the room (its `room_controls` event's number)."""
        await self.rooms.announce({"kind": "controls", "room": room.id,
                                   "controls": dataclasses.asdict(controls)})
        ts = now_ms()
        seq, _ = await self.rooms.publish(room, event_body(
            {"type": "room_controls", "room": room.id, "ts": ts, **controls.public()}),
            EventMeta("room_controls", actor.member, ts))
        return seq

    def _controls_lock(self, room_id: str) -> asyncio.Lock:
        lock = self._control_locks.get(room_id)
        if lock is None:
            lock = self._control_locks[room_id] = asyncio.Lock()
        return lock

    async def decide_held(self, room: RoomRecord, hold_id: int, *, approve: bool) -> str:
        held = await self.store.take_held(hold_id, room.id)
        if held is None:
            raise ProtocolError(ErrorCode.MESSAGE_NOT_FOUND)
        notice: dict[str, Any] = {"type": "hold_released" if approve else "hold_rejected",
                                  "room": room.id, "hold": hold_id}
        if approve:
            ts = now_ms()
            event: dict[str, Any] = {"type": "message", "room": room.id, "ts": ts,
                                     "member": held["member"], "name": held["name"],
                                     "role": "participant", "text": held["text"]}
            if held["reply_to"] is not None:
                event["reply_to"] = held["reply_to"]
            seq, _ = await self.rooms.publish(room, event_body(event),
                                              EventMeta("message", held["member"], ts))
            notice["seq"] = seq
        await self.rooms.to_member(room.id, str(held["member"]), notice)
        return str(held["member"])

    # Participants' frames ------------------------------------------------------------------

    async def report(self, client: Client, frame: Report) -> None:
        membership = self.rooms.member_of(client, frame.room)
        self.rooms.spend(client.limits.reports)
        room = await self.rooms.open_room(frame.room)
        original = await self.history.find_message(room, frame.seq)
        report_id = await self.store.add_report(
            room_id=room.id, seq=frame.seq, category=frame.category, note=frame.note,
            reporter=membership.member, target=str(original["member"]),
            snapshot=msgspec.json.encode(original).decode())
        report = await self.store.report(report_id)
        # Every signed-in facilitator of the room and every admin, joined or not.
        await self.rooms.to_signed_in_staff(room.id, {"type": "report", "report": report})
        client.offer(encode({"type": "reported", "id": frame.id, "room": room.id}))
        await self.alerts.raise_alert(kind=REPORT, room_id=room.id,
                                      member=str(original["member"]),
                                      name=str(original.get("name", "")) or None,
                                      seq=frame.seq, report_id=report_id)

    async def help(self, client: Client, frame: Help) -> None:
        """The crisis lines at once, then the facilitators are told (with the database away,
        the person hears that they could not be reached and it is tried again)."""
        membership = self.rooms.member_of(client, frame.room)
        client.offer(encode({**await self.crisis.frame(frame.room), "id": frame.id}))
        await self.safety.person_alert(client, frame.room, membership, kind=HELP)


_ACTIONS = {
    "redact": Action.REDACT, "remove_recent": Action.REMOVE_RECENT, "warn": Action.WARN,
    "mute": Action.MUTE, "unmute": Action.UNMUTE, "kick": Action.KICK,
    "slow_mode": Action.SLOW_MODE, "lock": Action.LOCK, "premoderate": Action.PREMODERATE,
    "pin": Action.PIN, "unpin": Action.UNPIN, "approve": Action.APPROVE,
    "reject": Action.DECLINE, "content_warning": Action.REDACT,
}


def permission_for(frame: Moderate) -> Action:
    """The permission an action frame needs (a shadow mute and a ban from every room are
    actions of their own)."""
    if frame.action == "ban":
        return Action.BAN_GLOBAL if frame.scope == "all" else Action.BAN_ROOM
    if frame.action == "mute" and frame.on:
        return Action.SHADOW_MUTE
    return _ACTIONS[frame.action]


def actor_of(client: Client) -> permissions.Actor:
    """The permission rules' view of a connection: a participant, or a staff account."""
    if client.staff is None:
        return permissions.Actor(Role.PARTICIPANT)
    return permissions.Actor(Role(client.staff.role), client.staff.rooms, client.staff.disabled)


__all__ = ["Moderator"]
