"""What a room allows right now: its controls (lock, slow mode, pre-moderation, pin) and the
sanctions in force on a member (bans refuse a join; mutes ride on the membership).

Facilitators change these through the moderation feature; every process keeps them current
from control events, and the chat feature asks here before a join or a send.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chatserver.core.hub import Client, Membership
from chatserver.core.loads import SingleFlight
from chatserver.domain.errors import ErrorCode, ProtocolError
from chatserver.storage.moderation import Controls, ModerationStore, RoomSanction
from chatserver.storage.store import RoomRecord

# Every room's sanctions are read at once and kept current by `sanction` control events; they
# are read again after this long anyway, in case an event was missed while the broker was away.
SANCTIONS_SECONDS = 60.0
ALL_ROOMS = "*"


class RoomGuard:
    """Caches of what every join and send asks, each filled by one query for all rooms (not
    one per room: hundreds of groups open in the same minute, on every process)."""

    def __init__(self, store: ModerationStore) -> None:
        self.store = store
        self._controls: dict[str, Controls] = {}
        self._controls_read = False
        self._controls_changes = 0
        self._sanctions: dict[str, list[RoomSanction]] = {}
        self._sanctions_read_at: float | None = None
        # Raised by every sanction event: a read that began before it may miss that sanction.
        self._sanctions_changes = 0
        self._loading: SingleFlight[str, None] = SingleFlight()

    async def _in_force(self, room_id: str) -> list[RoomSanction]:
        read_at = self._sanctions_read_at
        if read_at is None or time.monotonic() - read_at > SANCTIONS_SECONDS:
            await self._loading.run("sanctions", self._read_sanctions)
        return self._sanctions.get(room_id, [])

    async def _read_sanctions(self) -> None:
        while True:
            changes, started = self._sanctions_changes, time.monotonic()
            found = await self.store.in_force(datetime.now(UTC))
            if changes == self._sanctions_changes:
                self._sanctions, self._sanctions_read_at = found, started
                return

    def on_sanction(self, event: dict[str, Any]) -> None:
        """A `sanction` control event (mute, unmute, kick, ban) from any process: the
        sanctions are read again at the next join."""
        self._sanctions_changes += 1
        self._sanctions_read_at = None

    async def controls(self, room_id: str) -> Controls:
        if not self._controls_read:
            await self._loading.run("controls", self._read_controls)
        return self._controls.get(room_id) or Controls()

    async def _read_controls(self) -> None:
        while True:
            changes = self._controls_changes
            found = await self.store.every_room_controls()
            if changes == self._controls_changes:  # else a control event came: read again
                self._controls, self._controls_read = found, True
                return

    def on_controls(self, event: dict[str, Any]) -> None:
        """A `controls` control event: the room's new controls, from any process."""
        self._controls_changes += 1
        self._controls[str(event.get("room"))] = Controls(**event["controls"])

    def events_missed(self) -> None:
        """The broker lost its subscription: control and sanction events may have been
        missed, so both are read again at the next join or send."""
        self._controls_read = False
        self._sanctions_read_at = None

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

    async def check_send(self, membership: Membership, room_id: str, *,
                         crisis: Callable[[], bool] = lambda: False) -> None:
        """Refuse a participant's line in a locked room, while muted, or too soon in slow
        mode. Slow mode only paces: a line with crisis language (``crisis``, asked only when
        slow mode would refuse) goes through, and counts as the last line for the next."""
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
            if wait > 0 and not crisis():
                raise ProtocolError(ErrorCode.SLOW_MODE, retry_after=wait)
        membership.last_message = time.monotonic()


    async def check_edit(self, membership: Membership, room_id: str) -> None:
        """Refuse a participant's edit in a locked room or while muted: changing what the
        room reads is posting (slow mode does not pace corrections)."""
        if membership.is_staff:
            return
        now = time.time()
        if (await self.controls(room_id)).locked:
            raise ProtocolError(ErrorCode.ROOM_LOCKED)
        if membership.muted_until > now:
            raise ProtocolError(ErrorCode.MUTED, retry_after=membership.muted_until - now)


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
