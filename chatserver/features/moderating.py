"""Facilitators' actions: who may, what happens, and how every process learns of it.

Each action is checked, stored (sanctions, controls, redactions), audited, and announced
through the broker's control channel so that the process holding the target's connection
acts on it at once; changes everyone should see also enter the room's stream.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec

from chatserver.broker.base import EventMeta
from chatserver.core import metrics
from chatserver.core.crisis import DEFAULT_RESOURCES, resources_frame
from chatserver.core.hub import Client, Membership
from chatserver.domain.errors import ErrorCode, ProtocolError
from chatserver.domain.protocol import Help, Moderate, Report, encode, event_body, now_ms
from chatserver.storage.moderation import Controls, ModerationStore
from chatserver.storage.store import RoomRecord
from moderation import permissions
from moderation.normalize import digest
from moderation.permissions import Action
from moderation.policy import decide
from moderation.ratelimit import TokenBucket
from moderation.types import Outcome, Role, SenderContext, SenderHistory, Verdict

if TYPE_CHECKING:
    from chatserver.features.chat import ChatService

log = logging.getLogger("chatserver.moderating")

REMOVE_RECENT_MINUTES = 30


class Moderator:
    def __init__(self, chat: ChatService, store: ModerationStore) -> None:
        self.chat = chat
        self.store = store
        self._controls: dict[str, Controls] = {}
        self._resources: list[dict[str, Any]] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # Shared state --------------------------------------------------------------------------

    async def controls(self, room_id: str) -> Controls:
        controls = self._controls.get(room_id)
        if controls is None:
            controls = self._controls[room_id] = await self.store.controls(room_id)
        return controls

    async def check_join(self, client: Client, room: RoomRecord, membership: Membership) -> None:
        """Refuse a banned member; load their mutes into the membership."""
        assert client.identity is not None
        for sanction in await self.store.active(room.id, membership.member, client.identity.id,
                                                datetime.now(UTC)):
            if sanction.kind == "ban":
                raise ProtocolError(ErrorCode.BANNED)
            if sanction.kind in ("mute", "shadow"):
                apply_mute(membership, sanction.kind, sanction.until, sanction.reason)

    async def check_send(self, membership: Membership, room_id: str) -> None:
        if membership.is_staff:
            return
        controls = await self.controls(room_id)
        now = time.time()
        if controls.locked:
            raise ProtocolError(ErrorCode.ROOM_LOCKED)
        if membership.muted_until > now:
            raise ProtocolError(ErrorCode.MUTED, retry_after=membership.muted_until - now)
        if controls.slow_mode_seconds:
            wait = membership.last_message + controls.slow_mode_seconds - time.monotonic()
            if wait > 0:
                raise ProtocolError(ErrorCode.SLOW_MODE, retry_after=wait)
        membership.last_message = time.monotonic()

    # Control events (from any process, this one included) -----------------------------

    async def resources(self) -> list[dict[str, Any]]:
        """The crisis resources as admins last edited them (or the seeded defaults)."""
        if self._resources is None:
            stored = await self.chat.store.app_setting("crisis_resources")
            self._resources = stored if isinstance(stored, list) else DEFAULT_RESOURCES
        return self._resources

    def on_control(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "resources_changed":
            self._resources = None
        elif kind == "rooms_changed":
            self._spawn(self.chat.directory.refresh())
        elif kind == "controls":
            room = str(event.get("room"))
            self._controls[room] = Controls(**event["controls"])
        elif kind == "sanction":
            self._spawn(self._apply_sanction(event))
        elif kind == "to_member":
            frame = encode(event["frame"])
            for client, _ in self.chat.hub.members(str(event["room"]), str(event["member"])):
                client.offer(frame)
        elif kind == "to_staff":
            frame = encode(event["frame"])
            for client, membership in self.chat.hub.members(str(event["room"])):
                if membership.is_staff:
                    client.offer(frame)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _apply_sanction(self, event: dict[str, Any]) -> None:
        room, member, what = str(event["room"]), event.get("member"), event["sanction"]
        notice = {"type": "sanction", "room": room, "sanction": what,
                  "until": event.get("until"), "reason": event.get("reason")}
        if what == "ban" and event.get("scope") == "all":
            for client in list(self.chat.hub.connected.values()):
                if client.identity is not None and client.identity.id == event.get("identity"):
                    client.offer(encode(notice))
                    client.close_after_queue(1008, "banned")
            return
        for client, membership in self.chat.hub.members(room, str(member)):
            if what in ("mute", "shadow", "unmute"):
                until = event.get("until")
                apply_mute(membership, what, datetime.fromisoformat(until) if until else None,
                           event.get("reason"))
                if what != "shadow":  # a shadow mute is not told to its target
                    client.offer(encode(notice))
            elif what in ("kick", "ban"):
                client.offer(encode(notice))
                await self.chat.withdraw(client, room)

    async def _announce(self, event: dict[str, Any]) -> None:
        await self.chat.broker.publish_control(msgspec.json.encode(event))

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
        for account in await self.chat.staff.store.all():
            if self.chat.identities.member("staff:" + account.id, room.id) == member:
                role = Role(account.role)
        if not permissions.may_target(actor_of(client), role):
            raise ProtocolError(ErrorCode.FORBIDDEN)
        return member

    async def moderate(self, client: Client, frame: Moderate) -> None:
        actor = self.authorize(client, frame)
        assert client.staff is not None
        room = await self.chat.open_room(frame.room)
        action = frame.action
        detail: dict[str, object] = {}
        target: str | None = None
        if action == "redact":
            if frame.seq is None:
                raise ProtocolError(ErrorCode.INVALID_FRAME)
            target = await self.redact(room, frame.seq, actor, by="facilitator")
            detail["seq"] = frame.seq
        elif action == "remove_recent":
            target = await self._target(client, room, frame.member)
            minutes = (frame.seconds or REMOVE_RECENT_MINUTES * 60) / 60
            removed = await self.remove_recent(room, target, actor, minutes)
            detail.update(removed=len(removed), minutes=minutes)
        elif action == "warn":
            target = await self._target(client, room, frame.member)
            if not frame.text:
                raise ProtocolError(ErrorCode.INVALID_FRAME)
            await self._announce({"kind": "to_member", "room": room.id, "member": target,
                                  "frame": {"type": "warning", "room": room.id,
                                            "text": frame.text, "ts": now_ms()}})
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
            detail.update(await self.set_controls(room, frame, actor))
        await self.chat.staff.store.audit(
            actor_id=client.staff.id, actor_name=client.staff.display_name, action=action,
            room_id=room.id, target=target, reason=frame.reason, detail=detail)
        client.offer(encode({"type": "done", "id": frame.id, "room": room.id,
                             "action": action}))

    async def find_frame(self, room: RoomRecord, seq: int) -> str | None:
        buffered, _ = await self.chat.broker.recent(room.id, seq - 1, 1)
        if buffered and buffered[0][0] == seq:
            return buffered[0][1].decode()
        if room.persists_events:
            return await self.store.event_frame(room.id, seq)
        return None

    async def find_message(self, room: RoomRecord, seq: int) -> dict[str, Any]:
        raw = await self.find_frame(room, seq)
        message = msgspec.json.decode(raw) if raw is not None else None
        if not isinstance(message, dict) or message.get("type") != "message":
            raise ProtocolError(ErrorCode.MESSAGE_NOT_FOUND)
        return message

    async def rewrite(self, room: RoomRecord, seq: int, kind: str, new: dict[str, Any],
                      member: str) -> None:
        """Store a changed frame in place of the event, in the database and the resume
        buffer, so that history and resume show the new one."""
        frame = msgspec.json.encode(new)
        if room.persists_events:
            await self.store.replace_frame(
                room.id, seq, kind, member,
                datetime.fromtimestamp(int(new["ts"]) / 1000, UTC), frame.decode())
        await self.chat.broker.replace_buffered(room.id, seq, frame)

    async def redact(self, room: RoomRecord, seq: int, actor: Membership, *, by: str) -> str:
        """Remove a message's text for everyone, in history and resume too (with the texts
        its edits carried, and its reactions); returns the writer's member id."""
        original = await self.find_message(room, seq)
        if "redacted" not in original:
            redacted = {k: v for k, v in original.items() if k not in ("text", "edited")}
            redacted["redacted"] = by
            writer = str(original["member"])
            await self.rewrite(room, seq, "message", redacted, writer)
            for edit_seq, raw in await self._edit_events(room, seq):
                edit = msgspec.json.decode(raw)
                await self.rewrite(room, edit_seq, "message_edited",
                                   {k: v for k, v in edit.items() if k != "text"}, writer)
            await self.chat.broker.drop_reactions(room.id, seq)
            ts = now_ms()
            await self.chat.roomlog.append(room, event_body(
                {"type": "message_redacted", "room": room.id, "ts": ts, "target": seq,
                 "by": by}), EventMeta("message_redacted", actor.member, ts))
        return str(original["member"])

    async def _edit_events(self, room: RoomRecord, target: int) -> list[tuple[int, str]]:
        found: dict[int, str] = {}
        buffered, _ = await self.chat.broker.recent(room.id, target, 100_000)
        for seq, raw in buffered:
            event = msgspec.json.decode(raw)
            if event.get("type") == "message_edited" and event.get("target") == target:
                found[seq] = raw.decode()
        if room.persists_events:
            found.update(dict(await self.store.edit_events(room.id, target)))
        return sorted(found.items())

    async def add_warning(self, room: RoomRecord, seq: int, topic: str,
                          actor: Membership) -> str:
        """A facilitator marks someone's message as heavy: members then open it by choice."""
        message = await self.find_message(room, seq)
        if "redacted" not in message:
            await self.rewrite(room, seq, "message", {**message, "cw": topic},
                               str(message["member"]))
            ts = now_ms()
            await self.chat.roomlog.append(room, event_body(
                {"type": "message_warned", "room": room.id, "ts": ts, "target": seq,
                 "cw": topic}), EventMeta("message_warned", actor.member, ts))
        return str(message["member"])

    async def remove_recent(self, room: RoomRecord, member: str, actor: Membership,
                            minutes: float | None, *, by: str = "facilitator") -> list[int]:
        """Redact the member's messages of the last ``minutes`` (None: all of them)."""
        since_ms = now_ms() - int(minutes * 60_000) if minutes is not None else 0
        buffered, _ = await self.chat.broker.recent(room.id, 0, 100_000)
        seqs = {seq for seq, frame in buffered
                if _is_message_of(frame, member) and _ts(frame) >= since_ms}
        if room.persists_events:
            seqs |= set(await self.store.member_message_seqs(
                room.id, member, datetime.fromtimestamp(since_ms / 1000, UTC)))
        removed = []
        for seq in sorted(seqs):
            if "redacted" not in await self.find_message(room, seq):
                await self.redact(room, seq, actor, by=by)
                removed.append(seq)
        return removed

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
                identity = await self.chat.identities.find(member, room.id, self.store)
                if identity is None:
                    raise ProtocolError(ErrorCode.MEMBER_NOT_FOUND)
            await self.store.add_sanction(kind="ban", room_id="*" if identity else room.id,
                                          member=None if identity else member,
                                          identity_id=identity, until=until,
                                          reason=frame.reason, created_by=actor_id)
            event.update(sanction="ban", scope=frame.scope, identity=identity)
        await self._announce(event)
        return {"until": event["until"], "scope": frame.scope, "shadow": bool(frame.on)}

    async def set_controls(self, room: RoomRecord, frame: Moderate,
                           actor: Membership) -> dict[str, object]:
        current = await self.store.controls(room.id)
        values = {"slow_mode_seconds": current.slow_mode_seconds, "locked": current.locked,
                  "premoderated": current.premoderated, "pinned_seq": current.pinned_seq}
        if frame.action == "slow_mode":
            values["slow_mode_seconds"] = min(frame.seconds or 0, 3600)
        elif frame.action in ("lock", "premoderate"):
            if frame.on is None:
                raise ProtocolError(ErrorCode.INVALID_FRAME)
            values["locked" if frame.action == "lock" else "premoderated"] = frame.on
        elif frame.action == "pin":
            if frame.seq is None or await self.find_frame(room, frame.seq) is None:
                raise ProtocolError(ErrorCode.MESSAGE_NOT_FOUND)
            values["pinned_seq"] = frame.seq
        elif frame.action == "unpin":
            values["pinned_seq"] = None
        controls = Controls(**values)  # type: ignore[arg-type]
        await self.store.set_controls(room.id, controls)
        await self._announce({"kind": "controls", "room": room.id, "controls": values})
        ts = now_ms()
        await self.chat.roomlog.append(room, event_body(
            {"type": "room_controls", "room": room.id, "ts": ts, **controls.public()}),
            EventMeta("room_controls", actor.member, ts))
        return controls.public()

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
            seq, _ = await self.chat.roomlog.append(room, event_body(event),
                                                    EventMeta("message", held["member"], ts))
            notice["seq"] = seq
        await self._announce({"kind": "to_member", "room": room.id, "member": held["member"],
                              "frame": notice})
        return str(held["member"])

    async def hold_message(self, room: RoomRecord, membership: Membership, text: str,
                           reply_to: int | None, reason: str) -> dict[str, Any]:
        """Keep a message for a facilitator to decide; tell the room's staff at once."""
        held = await self.store.hold(room_id=room.id, member=membership.member,
                                     name=membership.name, text=text, reply_to=reply_to,
                                     reason=reason)
        await self._announce({"kind": "to_staff", "room": room.id,
                              "frame": {"type": "held_message", "room": room.id,
                                        "held": held}})
        return held

    # Automated safety ----------------------------------------------------------------------

    def filter_settings(self, room: RoomRecord) -> dict[str, Any]:
        defaults = self.chat.settings.filter_defaults
        merged: dict[str, Any] = dict(msgspec.json.decode(defaults)) if defaults else {}
        merged.update(room.filter_settings or {})
        return merged

    def screen(self, room: RoomRecord, membership: Membership, text: str,
               confirmed: bool, *, edit: bool = False) -> Verdict:
        """Run the room's filters (pure policy) on a message before it is broadcast. An
        edit is a correction, not another message: the pace guards do not count it."""
        now = time.monotonic()
        context = SenderContext(role=Role(membership.role), joined_at=membership.joined_at,
                                history=SenderHistory() if edit else membership.history)
        verdict = decide(text, settings=self.filter_settings(room), sender_context=context,
                         now=now, confirmed=confirmed)
        # A message waiting for the sender's confirmation is not sent yet: recording it would
        # make the confirmed resend look like a second, too-quick message.
        if verdict.counts_as_sent and verdict.outcome is not Outcome.CONFIRM and not edit:
            membership.history = membership.history.record(digest(text), now)
        return verdict

    async def after_verdict(self, client: Client, room: RoomRecord, membership: Membership,
                            verdict: Verdict, confirmed: bool) -> None:
        """A crisis: the sender sees the crisis resources at once, privately, and the
        facilitators are alerted. Never a refusal, never shown to anyone else. A message
        sent again after a confirmation was already alerted on."""
        if verdict.alert and not confirmed:
            client.offer(encode(resources_frame(room.id, await self.resources())))
            await self.alert(room.id, membership, "crisis")
            metrics.CRISIS_ALERTS.inc()

    # Participants' frames ------------------------------------------------------------------

    async def report(self, client: Client, bucket: TokenBucket, frame: Report) -> None:
        membership = self.chat.member_of(client, frame.room)
        self.chat.spend(bucket)
        room = await self.chat.open_room(frame.room)
        original = await self.find_message(room, frame.seq)
        report_id = await self.store.add_report(
            room_id=room.id, seq=frame.seq, category=frame.category, note=frame.note,
            reporter=membership.member, target=str(original["member"]),
            snapshot=msgspec.json.encode(original).decode())
        report = await self.store.report(report_id)
        await self._announce({"kind": "to_staff", "room": room.id,
                              "frame": {"type": "report", "report": report}})
        client.offer(encode({"type": "reported", "id": frame.id, "room": room.id}))

    async def help(self, client: Client, frame: Help) -> None:
        membership = self.chat.member_of(client, frame.room)
        client.offer(encode({**resources_frame(frame.room, await self.resources()),
                             "id": frame.id}))
        await self.alert(frame.room, membership, "help")

    async def alert(self, room_id: str, membership: Membership, why: str) -> None:
        """Tell the room's facilitators, on every process, that someone may need help."""
        await self.chat.sessions.count_alert(room_id)
        await self._announce({"kind": "to_staff", "room": room_id, "frame": {
            "type": "alert", "room": room_id, "why": why, "member": membership.member,
            "name": membership.name, "ts": now_ms()}})


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


def apply_mute(membership: Membership, kind: str, until: datetime | None,
               reason: str | None) -> None:
    if kind == "unmute":
        membership.muted_until, membership.shadow_until, membership.mute_reason = 0.0, 0.0, None
        return
    ends = until.timestamp() if until else float("inf")
    if kind == "shadow":
        membership.shadow_until = ends
    else:
        membership.muted_until, membership.mute_reason = ends, reason


def _is_message_of(frame: bytes, member: str) -> bool:
    decoded = msgspec.json.decode(frame)
    return bool(decoded.get("type") == "message" and decoded.get("member") == member
                and "redacted" not in decoded)


def _ts(frame: bytes) -> int:
    return int(msgspec.json.decode(frame).get("ts", 0))


__all__ = ["Moderator"]
