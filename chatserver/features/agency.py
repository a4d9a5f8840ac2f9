"""A participant's control over their own part: edit and delete their messages, erase them
all, and give silent support (reactions). Taking part stays voluntary and without pressure."""

from __future__ import annotations

import time
from collections.abc import Sequence

from chatserver.broker.base import Broker, EventMeta
from chatserver.core.guard import RoomGuard
from chatserver.core.history import RoomHistory
from chatserver.core.hub import Client, Membership
from chatserver.core.identities import Identities
from chatserver.core.ports import ControlRoute, FrameRoute, RoomAccess
from chatserver.core.safety import Safety
from chatserver.domain.errors import ErrorCode, ProtocolError
from chatserver.domain.protocol import Delete, Edit, Erase, React, encode, event_body, now_ms
from chatserver.storage.moderation import ModerationStore
from chatserver.storage.store import RoomRecord, Store
from moderation.types import Outcome


class Agency:
    def __init__(self, rooms: RoomAccess, *, store: Store, moderation: ModerationStore,
                 broker: Broker, history: RoomHistory, safety: Safety,
                 identities: Identities, guard: RoomGuard) -> None:
        self.rooms = rooms
        self.store = store
        self.moderation = moderation
        self.broker = broker
        self.history = history
        self.safety = safety
        self.identities = identities
        self.guard = guard

    def frame_routes(self) -> Sequence[FrameRoute]:
        return [FrameRoute(React, self.react), FrameRoute(Edit, self.edit),
                FrameRoute(Delete, self.delete), FrameRoute(Erase, self.erase)]

    def control_routes(self) -> Sequence[ControlRoute]:
        return []

    async def _own(self, client: Client, room_id: str, seq: int
                   ) -> tuple[RoomRecord, Membership, dict[str, object]]:
        membership = self.rooms.member_of(client, room_id)
        room = await self.rooms.open_room(room_id)
        message = await self.history.find_message(room, seq)
        if message.get("member") != membership.member:
            raise ProtocolError(ErrorCode.NOT_YOUR_MESSAGE)
        if "redacted" in message:
            raise ProtocolError(ErrorCode.MESSAGE_NOT_FOUND)
        return room, membership, message

    async def edit(self, client: Client, frame: Edit) -> None:
        room, membership, message = await self._own(client, frame.room, frame.seq)
        age = time.time() - int(str(message["ts"])) / 1000
        text = self.rooms.check_text(frame.text)
        try:
            if age > self.rooms.settings.edit_window_seconds:
                raise ProtocolError(ErrorCode.EDIT_WINDOW_PASSED)
            await self.guard.check_edit(membership, room.id)
        except ProtocolError:
            # Too late, muted or locked; crisis language in it still brings the lines and
            # the alert.
            await self.safety.refused_line(client, room, membership, text)
            raise
        verdict = self.safety.screen(room, membership, text, frame.confirmed, edit=True)
        await self.safety.after_verdict(client, room, membership, verdict, frame.confirmed,
                                        seq=frame.seq)
        if verdict.outcome is Outcome.CONFIRM:
            client.offer(encode({"type": "confirm", "id": frame.id, "room": room.id,
                                 "reason": str(verdict.reason)}))
            return
        if not verdict.posts:  # an edit is never held: a refused edit leaves the old text
            raise ProtocolError(ErrorCode.MESSAGE_REJECTED, reason=str(verdict.reason))
        ts = now_ms()
        # Crisis language added by an edit folds the message for others too.
        flag = {"flag": "crisis"} if verdict.alert or message.get("flag") else {}
        edited: dict[str, object] = {}
        if membership.shadow_until > time.time():
            # Shadow-muted: the edit is theirs alone (first, where the hub looks for it),
            # and the stored message stays as the room read it.
            edited["only"] = membership.member
        else:
            await self.history.rewrite(room, frame.seq, "message",
                                       {**message, "text": text, "edited": ts, **flag},
                                       membership.member)
        edited |= {"type": "message_edited", "room": room.id, "ts": ts, "target": frame.seq,
                   "text": text, **flag}
        seq, _ = await self.rooms.publish(room, event_body(edited),
                                          EventMeta("message_edited", membership.member, ts))
        client.offer(encode({"type": "ack", "id": frame.id, "room": room.id, "seq": seq}))

    async def delete(self, client: Client, frame: Delete) -> None:
        room, membership, _ = await self._own(client, frame.room, frame.seq)
        await self.history.redact(room, frame.seq, membership, by="writer")
        client.offer(encode({"type": "deleted", "id": frame.id, "room": room.id,
                             "seqs": [frame.seq]}))

    async def erase(self, client: Client, frame: Erase) -> None:
        """Remove every message of this identity in the room (or in every room). Counts and
        the audit log (which never holds text) remain; nothing else does."""
        assert client.identity is not None
        rooms = ([await self.rooms.open_room(frame.room)] if frame.scope == "room"
                 and frame.room is not None else await self.rooms.all_rooms())
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
            member = self.identities.member(identity_id, room.id)
            writer = (memberships or {}).get(room.id) or Membership(
                room=room.id, member=member, name="", role="participant", info=b"")
            erased[room.id] = await self.history.remove_recent(room, member, writer,
                                                                minutes=None, by=by)
        return erased

    async def erase_identity(self, room_id: str, member: str) -> dict[str, list[int]] | None:
        """An admin carries out a person's request to erase their data, found by the member
        id they have in one room: every message of theirs in every room is redacted and the
        identity (token hash, pseudonym) is deleted, so the token no longer works. None if
        no identity has that member id there."""
        identity_id = await self.identities.find(member, room_id, self.moderation)
        if identity_id is None:
            return None
        erased = await self.remove_messages(identity_id, await self.rooms.all_rooms(),
                                            by="writer")
        await self.store.delete_identity(identity_id)
        # Their live sockets close on every process; the token no longer opens one.
        await self.rooms.announce({"kind": "identity_erased", "identity": identity_id})
        return erased

    async def react(self, client: Client, frame: React) -> None:
        membership = self.rooms.member_of(client, frame.room)
        self.rooms.spend(client.limits.reactions)
        room = await self.rooms.open_room(frame.room)
        message = await self.history.find_message(room, frame.seq)
        if "redacted" in message:
            raise ProtocolError(ErrorCode.MESSAGE_NOT_FOUND)
        counts = await self.broker.react(room.id, frame.seq, membership.member,
                                              frame.reaction, frame.on)
        # Counts only, to everyone: who gave which reaction is never shown to the room.
        await self.broker.publish_ephemeral(room.id, encode(
            {"type": "reactions", "room": room.id, "target": frame.seq, "counts": counts}
        ).encode())
        client.offer(encode({"type": "reacted", "id": frame.id, "room": room.id,
                             "target": frame.seq, "counts": counts}))
