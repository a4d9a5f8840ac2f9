"""What a room allows right now: its controls (lock, slow mode, pre-moderation, pin) and the
sanctions in force on a member (bans refuse a join; mutes ride on the membership).

Facilitators change these through the moderation feature; every process keeps them current
from control events, and the chat feature asks here before a join or a send.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from chatserver.core.hub import Client, Membership
from chatserver.core.loads import SingleFlight
from chatserver.domain.errors import ErrorCode, ProtocolError
from chatserver.storage.moderation import Controls, ModerationStore, RoomSanction
from chatserver.storage.store import RoomRecord

# The sanctions of a room are read once and kept current by `sanction` control events; they
# are read again after this long anyway, in case an event was missed while the broker was away.
SANCTIONS_SECONDS = 60.0
ALL_ROOMS = "*"


class RoomGuard:
    def __init__(self, store: ModerationStore) -> None:
        self.store = store
        self._controls: dict[str, Controls] = {}
        self._sanctions: dict[str, tuple[float, list[RoomSanction]]] = {}
        self._loading_controls: SingleFlight[str, Controls] = SingleFlight()
        self._loading_sanctions: SingleFlight[str, list[RoomSanction]] = SingleFlight()

    async def _in_force(self, room_id: str) -> list[RoomSanction]:
        cached = self._sanctions.get(room_id)
        if cached is None or time.monotonic() - cached[0] > SANCTIONS_SECONDS:
            found = await self._loading_sanctions.run(
                room_id, lambda: self.store.in_force(room_id, datetime.now(UTC)))
            cached = self._sanctions[room_id] = (time.monotonic(), found)
        return cached[1]

    def on_sanction(self, event: dict[str, Any]) -> None:
        """A `sanction` control event (mute, unmute, kick, ban) from any process: the room's
        sanctions (every room's, for a ban from all rooms) are read again at the next join."""
        if event.get("scope") == "all":
            self._sanctions.clear()
        else:
            self._sanctions.pop(str(event.get("room")), None)

    async def controls(self, room_id: str) -> Controls:
        controls = self._controls.get(room_id)
        if controls is None:
            controls = await self._loading_controls.run(
                room_id, lambda: self.store.controls(room_id))
            self._controls.setdefault(room_id, controls)  # a control event may have come
        return self._controls[room_id]

    def on_controls(self, event: dict[str, Any]) -> None:
        """A `controls` control event: the room's new controls, from any process."""
        self._controls[str(event.get("room"))] = Controls(**event["controls"])

    async def check_join(self, client: Client, room: RoomRecord, membership: Membership) -> None:
        """Refuse a banned member; load their mutes into the membership."""
        assert client.identity is not None
        identity = client.identity.id
        now = datetime.now(UTC)
        mine = [s.sanction for s in await self._in_force(room.id) if s.member == membership.member]
        mine += [s.sanction for s in await self._in_force(ALL_ROOMS) if s.identity_id == identity]
        for sanction in mine:
            if sanction.until is not None and sanction.until <= now:
                continue  # ended since the room's sanctions were read
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
