"""A participant's control over their own part: edit and delete their messages, erase them
all, and give silent support (reactions). Taking part stays voluntary and without pressure."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chatserver.broker.base import EventMeta
from chatserver.core.hub import Client, Membership
from chatserver.domain.errors import ErrorCode, ProtocolError
from chatserver.domain.protocol import Delete, Edit, Erase, React, encode, event_body, now_ms
from chatserver.storage.store import RoomRecord
from moderation.ratelimit import TokenBucket
from moderation.types import Outcome

if TYPE_CHECKING:
    from chatserver.features.chat import ChatService


class Agency:
    def __init__(self, chat: ChatService) -> None:
        self.chat = chat

    async def _own(self, client: Client, room_id: str, seq: int
                   ) -> tuple[RoomRecord, Membership, dict[str, object]]:
        membership = self.chat.member_of(client, room_id)
        room = await self.chat.open_room(room_id)
        message = await self.chat.mod.find_message(room, seq)
        if message.get("member") != membership.member:
            raise ProtocolError(ErrorCode.NOT_YOUR_MESSAGE)
        if "redacted" in message:
            raise ProtocolError(ErrorCode.MESSAGE_NOT_FOUND)
        return room, membership, message

    async def edit(self, client: Client, frame: Edit) -> None:
        room, membership, message = await self._own(client, frame.room, frame.seq)
        age = time.time() - int(str(message["ts"])) / 1000
        if age > self.chat.settings.edit_window_seconds:
            raise ProtocolError(ErrorCode.EDIT_WINDOW_PASSED)
        text = self.chat.check_text(frame.text)
        verdict = self.chat.mod.screen(room, membership, text, frame.confirmed, edit=True)
        await self.chat.mod.after_verdict(client, room, membership, verdict, frame.confirmed)
        if verdict.outcome is Outcome.CONFIRM:
            client.offer(encode({"type": "confirm", "id": frame.id, "room": room.id,
                                 "reason": str(verdict.reason)}))
            return
        if not verdict.posts:  # an edit is never held: a refused edit leaves the old text
            raise ProtocolError(ErrorCode.MESSAGE_REJECTED, reason=str(verdict.reason))
        ts = now_ms()
        await self.chat.mod.rewrite(room, frame.seq, "message",
                                    {**message, "text": text, "edited": ts}, membership.member)
        seq, _ = await self.chat.roomlog.append(room, event_body(
            {"type": "message_edited", "room": room.id, "ts": ts, "target": frame.seq,
             "text": text}), EventMeta("message_edited", membership.member, ts))
        client.offer(encode({"type": "ack", "id": frame.id, "room": room.id, "seq": seq}))

    async def delete(self, client: Client, frame: Delete) -> None:
        room, membership, _ = await self._own(client, frame.room, frame.seq)
        await self.chat.mod.redact(room, frame.seq, membership, by="writer")
        client.offer(encode({"type": "deleted", "id": frame.id, "room": room.id,
                             "seqs": [frame.seq]}))

    async def erase(self, client: Client, frame: Erase) -> None:
        """Remove every message of this identity in the room (or in every room). Counts and
        the audit log (which never holds text) remain; nothing else does."""
        assert client.identity is not None
        rooms = ([await self.chat.open_room(frame.room)] if frame.scope == "room"
                 and frame.room is not None else await self.chat.directory.all())
        erased = await self.remove_messages(client.identity.id, rooms, by="writer",
                                            memberships=client.memberships)
        client.offer(encode({"type": "deleted", "id": frame.id, "room": frame.room,
                             "seqs": [seq for seqs in erased.values() for seq in seqs]}))

    async def remove_messages(self, identity_id: str, rooms: list[RoomRecord], *, by: str,
                              memberships: dict[str, Membership] | None = None
                              ) -> dict[str, list[int]]:
        """Redact every message of an identity in the given rooms; the seqs per room."""
        erased: dict[str, list[int]] = {}
        for room in rooms:
            member = self.chat.identities.member(identity_id, room.id)
            writer = (memberships or {}).get(room.id) or Membership(
                room=room.id, member=member, name="", role="participant", info=b"")
            erased[room.id] = await self.chat.mod.remove_recent(room, member, writer,
                                                                minutes=None, by=by)
        return erased

    async def erase_identity(self, room_id: str, member: str) -> dict[str, list[int]] | None:
        """An admin carries out a person's request to erase their data, found by the member
        id they have in one room: every message of theirs in every room is redacted and the
        identity (token hash, pseudonym) is deleted, so the token no longer works. None if
        no identity has that member id there."""
        identity_id = await self.chat.identities.find(member, room_id, self.chat.mod.store)
        if identity_id is None:
            return None
        erased = await self.remove_messages(identity_id, await self.chat.directory.all(),
                                            by="writer")
        await self.chat.store.delete_identity(identity_id)
        return erased

    async def react(self, client: Client, bucket: TokenBucket, frame: React) -> None:
        membership = self.chat.member_of(client, frame.room)
        self.chat.spend(bucket)
        room = await self.chat.open_room(frame.room)
        message = await self.chat.mod.find_message(room, frame.seq)
        if "redacted" in message:
            raise ProtocolError(ErrorCode.MESSAGE_NOT_FOUND)
        counts = await self.chat.broker.react(room.id, frame.seq, membership.member,
                                              frame.reaction, frame.on)
        # Counts only, to everyone: who gave which reaction is never shown to the room.
        await self.chat.broker.publish_ephemeral(room.id, encode(
            {"type": "reactions", "room": room.id, "target": frame.seq, "counts": counts}
        ).encode())
        client.offer(encode({"type": "reacted", "id": frame.id, "room": room.id,
                             "target": frame.seq, "counts": counts}))
