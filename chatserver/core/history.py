"""A room's history as members see it, changed in place: finding a message by its number,
storing a changed frame (an edit, a redaction, a content warning) in the database and the resume
buffer alike, and redacting a message with everything that carried its text.

Both the writer (delete, erase) and facilitators (redact, remove recent) remove messages, so this
lives in the core rather than in either feature.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from chatserver.broker.base import Broker, EventMeta
from chatserver.core.hub import Membership
from chatserver.core.rooms import RoomLog
from chatserver.domain.errors import ErrorCode, ProtocolError
from chatserver.domain.protocol import event_body, now_ms
from chatserver.storage.moderation import ModerationStore
from chatserver.storage.store import RoomRecord


class RoomHistory:
    def __init__(self, broker: Broker, store: ModerationStore, roomlog: RoomLog) -> None:
        self.broker = broker
        self.store = store
        self.roomlog = roomlog

    async def find_frame(self, room: RoomRecord, seq: int) -> str | None:
        buffered, _ = await self.broker.recent(room.id, seq - 1, 1)
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
        await self.broker.replace_buffered(room.id, seq, frame)

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
            await self.broker.drop_reactions(room.id, seq)
            ts = now_ms()
            await self.roomlog.append(room, event_body(
                {"type": "message_redacted", "room": room.id, "ts": ts, "target": seq,
                 "by": by}), EventMeta("message_redacted", actor.member, ts))
        return str(original["member"])

    async def _edit_events(self, room: RoomRecord, target: int) -> list[tuple[int, str]]:
        found: dict[int, str] = {}
        buffered, _ = await self.broker.recent(room.id, target, 100_000)
        for seq, raw in buffered:
            event = msgspec.json.decode(raw)
            if event.get("type") == "message_edited" and event.get("target") == target:
                found[seq] = raw.decode()
        if room.persists_events:
            found.update(dict(await self.store.edit_events(room.id, target)))
        return sorted(found.items())

    async def remove_recent(self, room: RoomRecord, member: str, actor: Membership,
                            minutes: float | None, *, by: str = "facilitator") -> list[int]:
        """Redact the member's messages of the last ``minutes`` (None: all of them)."""
        since_ms = now_ms() - int(minutes * 60_000) if minutes is not None else 0
        buffered, _ = await self.broker.recent(room.id, 0, 100_000)
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


def _is_message_of(frame: bytes, member: str) -> bool:
    decoded = msgspec.json.decode(frame)
    return bool(decoded.get("type") == "message" and decoded.get("member") == member
                and "redacted" not in decoded)


def _ts(frame: bytes) -> int:
    return int(msgspec.json.decode(frame).get("ts", 0))
