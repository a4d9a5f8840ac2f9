"""Who is in each room, across processes: a member enters (subscribed first, then announced),
leaves or is withdrawn, and this process refreshes its connections' presence on every
heartbeat; members of a process that died are expired by another and announced as gone.

Presence is counted over connections (two tabs are one member), so `member_joined` and
`member_left` are announced exactly once per member.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import msgspec

from chatserver.broker.base import Broker, EventMeta, PresenceEntry
from chatserver.core.hub import Client, ClientState, Hub, Membership
from chatserver.core.rooms import RoomDirectory, RoomLog
from chatserver.domain.config import Settings
from chatserver.domain.errors import BackendUnavailable
from chatserver.domain.protocol import event_body, now_ms
from chatserver.storage.errors import DatabaseError
from chatserver.storage.store import RoomRecord

log = logging.getLogger("chatserver.chat")

# Signed-in staff connections are present in this pseudo-room (not a valid room id), so any
# process can tell whether someone who could answer an alert is online.
STAFF_ROOM = "!staff"
# A participant taken out of a room by its session's close stays present in this pseudo-room
# of the room while that connection lasts (on whichever process holds it), so a facilitator
# can still answer their open call for help in private; and is remembered as having left so
# for LEFT_AT_CLOSE_SECONDS, so that once they are gone the facilitator hears why. When the
# last page of such a person goes, they count as gone only after the participants' reconnect
# grace (QUEUE_REATTACH_SECONDS, a setting: a reloaded page, a phone changing networks); a page
# of theirs back with their call still open is in the pseudo-room again (`back_after_close`).
LEFT_AT_CLOSE_SECONDS = 86_400


def any_sees_room(staff: list[dict[str, Any]], room_id: str) -> bool:
    """Whether any of these signed-in staff connections (presence infos, `staff_online`) may
    see the room."""
    return any(info.get("role") == "admin" or room_id in info.get("rooms", ()) for info in staff)


def closed_room(room_id: str) -> str:
    """The pseudo-room of those who left `room_id` with its session's close (no valid room id
    starts with '!')."""
    return f"!closed:{room_id}"


def _left_key(room_id: str, member: str) -> str:
    return f"left-at-close:{room_id}:{member}"


def _away_key(room_id: str, member: str) -> str:
    """Counts while the last page of someone who left with the close is gone, for the grace."""
    return f"closed-away:{room_id}:{member}"


class Presence:
    def __init__(self, settings: Settings, broker: Broker, hub: Hub, directory: RoomDirectory,
                 roomlog: RoomLog, process_key: str) -> None:
        self.settings = settings
        self.process_key = process_key
        self.broker = broker
        self.hub = hub
        self.directory = directory
        self.roomlog = roomlog
        self._unannounced: list[Membership] = []
        # Connection id -> its presence in the pseudo-rooms of rooms it left at their close.
        self._left_at_close: dict[int, dict[str, PresenceEntry]] = {}
        self._departures_lock = asyncio.Lock()

    async def enter(self, client: Client, room: RoomRecord,
                    membership: Membership) -> list[dict[str, Any]]:
        """Subscribe first, then announce: nothing published from here on is missed. The
        caller replays the history and then calls `hub.finish_sync`. Returns who is present
        with this member (read with the addition, in one step: whoever is added after it is
        announced by an event this subscription receives)."""
        await self.hub.add(client, membership)
        entry = PresenceEntry(room.id, client.conn_key(membership.member), membership.member,
                              membership.info)
        expires = time.time() + self.settings.presence_ttl_seconds
        first, infos = await self.broker.presence_join(entry, expires)
        if first and not membership.hidden:
            await self._append(room, membership, "member_joined")
        return [msgspec.json.decode(raw) for raw in infos]

    def synced(self, membership: Membership) -> list[str]:
        """The history has been replayed: the live frames that waited, to send now."""
        return self.hub.finish_sync(membership)

    async def _append(self, room: RoomRecord, m: Membership, kind: str) -> None:
        ts = now_ms()
        body = event_body({"type": kind, "room": room.id, "ts": ts, "member": m.member,
                           "name": m.name, "role": m.role})
        await self.roomlog.append(room, body, EventMeta(kind, m.member, ts))

    async def withdraw(self, client: Client, room_id: str) -> None:
        membership = self.hub.remove_local(client, room_id)
        if membership is None:
            return
        gone = await self.broker.presence_remove(room_id, client.conn_key(membership.member),
                                                 membership.member)
        if gone and not membership.hidden:
            self._unannounced.append(membership)
            await self._announce_departures()

    async def withdraw_at_close(self, client: Client, room_id: str) -> None:
        """The room's session closed: the client leaves the room, and stays reachable (for a
        private conversation from an alert) while its connection lasts."""
        membership = client.memberships.get(room_id)
        await self.withdraw(client, room_id)
        if membership is None or membership.is_staff or client.state is not ClientState.OPEN:
            return
        await self.broker.hit(_left_key(room_id, membership.member), LEFT_AT_CLOSE_SECONDS)
        await self._reachable(client, room_id, membership.member)

    async def _reachable(self, client: Client, room_id: str, member: str) -> None:
        entry = PresenceEntry(closed_room(room_id), client.conn_key(member), member,
                              msgspec.json.encode({"member": member}))
        self._left_at_close.setdefault(client.id, {})[entry.room] = entry
        await self.broker.presence_add(entry, time.time() + self.settings.presence_ttl_seconds)
        if client.state is not ClientState.OPEN:  # closed meanwhile: withdraw_all may be past
            await self._drop_left_at_close(client)

    async def back_after_close(self, client: Client, room_id: str, member: str) -> bool:
        """A page of someone who left the room with its session's close is back (a reload, a
        reconnect): reachable again, as at the close. False (nothing done) if they did not
        leave it so, or this connection is reachable already."""
        if client.state is not ClientState.OPEN or closed_room(room_id) in \
                self._left_at_close.get(client.id, {}):
            return False
        marked, _ = await self.broker.hit(_left_key(room_id, member), LEFT_AT_CLOSE_SECONDS,
                                          amount=0)
        if not marked:
            return False
        await self._reachable(client, room_id, member)
        # Back: their grace, if their last page goes again, counts from then.
        away, _ = await self.broker.hit(_away_key(room_id, member), self._grace(), amount=0)
        if away:
            await self.broker.hit(_away_key(room_id, member), self._grace(), amount=-away)
        return True

    def _grace(self) -> int:
        return max(1, round(self.settings.queue_reattach_seconds))

    async def _went_away(self, pseudo_room: str, member: str) -> None:
        """The last page of someone who left with a close is gone: the grace starts."""
        room_id = pseudo_room.removeprefix(closed_room(""))
        await self.broker.hit(_away_key(room_id, member), self._grace())

    async def _drop_left_at_close(self, client: Client) -> None:
        for entry in self._left_at_close.pop(client.id, {}).values():
            with contextlib.suppress(BackendUnavailable, OSError):
                if await self.broker.presence_remove(entry.room, entry.conn_key, entry.member):
                    await self._went_away(entry.room, entry.member)

    async def after_close(self, room_id: str, member: str) -> str | None:
        """Where someone not in the room stands if they left it with its session's close:
        "connected" while a page of theirs is still open (on any process), "returning" for
        the reconnect grace after their last page went (a reload is not leaving), "gone" once
        no page came back in it; None if they did not leave it so (lately)."""
        marked, _ = await self.broker.hit(_left_key(room_id, member), LEFT_AT_CLOSE_SECONDS,
                                          amount=0)
        if not marked:  # looked at first: the one look for most (LeftAtCloseWatch)
            return None
        if any(p.get("member") == member for p in await self.present(closed_room(room_id))):
            return "connected"
        away, _ = await self.broker.hit(_away_key(room_id, member), self._grace(), amount=0)
        return "returning" if away else "gone"

    def _staff_entry(self, client: Client) -> PresenceEntry | None:
        account = client.staff
        if account is None or client.identity is None:
            return None
        info = msgspec.json.encode({"member": account.id, "role": account.role,
                                    "rooms": sorted(account.rooms)})
        return PresenceEntry(STAFF_ROOM, client.conn_key(account.id), account.id, info)

    async def staff_signed_in(self, client: Client) -> None:
        """A staff connection said hello: it counts as someone who can answer alerts. With
        the broker away it is counted from the first heartbeat that reaches it (the console
        works meanwhile: its hello was answered)."""
        entry = self._staff_entry(client)
        if entry is None:
            return
        try:
            await self.broker.presence_add(
                entry, time.time() + self.settings.presence_ttl_seconds)
        except BackendUnavailable:
            log.warning("staff presence not added yet")

    async def staff_online(self) -> list[dict[str, Any]]:
        """Every signed-in staff connection's account, role and rooms, on every process."""
        return await self.present(STAFF_ROOM)

    async def withdraw_all(self, client: Client) -> None:
        """A closed connection leaves every room and stops counting as staff. With a backend
        away (asyncpg's refused connect is a bare OSError), the broker removes what is left
        at its first heartbeat that reaches it, and the departures are announced then."""
        for room_id in list(client.memberships):
            try:
                await self.withdraw(client, room_id)
            except (BackendUnavailable, DatabaseError, OSError):
                pass
        entry = self._staff_entry(client)
        if entry is not None:
            with contextlib.suppress(BackendUnavailable, OSError):
                await self.broker.presence_remove(STAFF_ROOM, entry.conn_key, entry.member)
        await self._drop_left_at_close(client)

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
                    await self._append(room, membership, "member_left")
                self._unannounced.pop(0)

    async def present(self, room_id: str) -> list[dict[str, Any]]:
        return [msgspec.json.decode(raw) for raw in await self.broker.presence_list(room_id)]

    async def run_heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            try:
                await self.heartbeat_once()
            except (BackendUnavailable, DatabaseError, OSError) as exc:
                log.warning("presence heartbeat failed", extra={"error": type(exc).__name__})
            except Exception:
                log.exception("presence heartbeat crashed")

    async def heartbeat_once(self) -> None:
        await self._announce_departures()
        now = time.time()
        # One step whatever the number of connections; all of them only if ours was lost.
        back, gone = await self.broker.presence_heartbeat(
            self.process_key, now + self.settings.presence_ttl_seconds, now, self._entries)
        if back:
            by_key = {c.conn_key(m.member): m for c, m in self.hub.members_here()}
            for entry in back:
                membership = by_key.get(entry.conn_key)
                if membership is None or membership.hidden:
                    continue  # staff presence is announced to no one; readers stay unlisted
                room = await self.directory.get(entry.room)
                if room is not None:
                    await self._append(room, membership, "member_joined")
        for room_id, info in gone:
            if room_id.startswith(closed_room("")):  # their process died: the grace starts
                await self._went_away(room_id, msgspec.json.decode(info)["member"])
                continue
            room = await self.directory.get(room_id)
            if room is None:
                continue
            data = msgspec.json.decode(info)
            if data.get("hidden"):
                continue
            membership = Membership(room=room_id, member=data["member"], name=data["name"],
                                    role=data["role"], info=info)
            await self._append(room, membership, "member_left")

    def _entries(self) -> list[PresenceEntry]:
        """Every connection's presence on this process: its memberships and signed-in staff."""
        entries = [PresenceEntry(m.room, c.conn_key(m.member), m.member, m.info)
                   for c, m in self.hub.members_here()]
        entries += [e for c in self.hub.connected.values()
                    if (e := self._staff_entry(c)) is not None]
        entries += [e for c_id, left in self._left_at_close.items() if c_id in self.hub.connected
                    for e in left.values()]
        return entries
