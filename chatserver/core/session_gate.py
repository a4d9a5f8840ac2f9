"""Which session each room is in right now, as every process sees it: joins and sends are
checked against this cache, never against the database per message.

The sessions feature changes session rows and tells every process (a `session` control
event); each process updates its cache here. A crisis or help alert during a session is
counted on it for the statistics.
"""

from __future__ import annotations

from typing import Any

from chatserver.domain.errors import ErrorCode, ProtocolError
from chatserver.domain.session_state import SessionState
from chatserver.storage.sessions import SessionRecord, SessionStore
from chatserver.storage.store import RoomRecord

S = SessionState
# The states in which a session is a room's current one (members may be in it).
CURRENT = (S.LOBBY, S.LIVE, S.ENDING)


class SessionGate:
    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self._current: dict[str, SessionRecord] = {}  # room → its session in lobby/live
        # Rooms whose session changed while a reload was reading, one set per reload.
        self._changed_during: list[set[str]] = []

    def current(self, room_id: str) -> SessionRecord | None:
        return self._current.get(room_id)

    async def refresh(self) -> None:
        """Reload the current session of every room from the database. A change announced
        while the read was under way is newer than what it read (or the same): it is kept,
        or a meeting closed a moment ago would come back as the room's current one."""
        changed: set[str] = set()
        self._changed_during.append(changed)
        try:
            found = await self.store.in_states([str(s) for s in CURRENT])
        finally:
            self._changed_during.remove(changed)
        current: dict[str, SessionRecord] = {}
        for session in found:
            current.setdefault(session.room_id, session)
        for room_id in changed:
            if (kept := self._current.get(room_id)) is not None:
                current[room_id] = kept
            else:
                current.pop(room_id, None)
        self._current = current

    def on_session(self, event: dict[str, Any]) -> None:
        """A `session` control event: a session changed state on some process."""
        session = SessionRecord.from_wire(event["session"])
        for changed in self._changed_during:
            changed.add(session.room_id)
        if session.state in CURRENT:
            self._current[session.room_id] = session
        elif (current := self._current.get(session.room_id)) and current.id == session.id:
            del self._current[session.room_id]

    def check_join(self, room: RoomRecord, staff: bool) -> SessionRecord | None:
        """The session a join belongs to; participants are refused outside sessions."""
        if not room.has_sessions:
            return None
        session = self.current(room.id)
        if session is None and not staff:
            raise ProtocolError(ErrorCode.ROOM_CLOSED)
        return session

    def check_send(self, room: RoomRecord, staff: bool) -> None:
        """Participants post only while the session is live (the lobby is read-only)."""
        if not room.has_sessions or staff:
            return
        session = self.current(room.id)
        if session is None:
            raise ProtocolError(ErrorCode.ROOM_CLOSED)
        if session.state == S.LOBBY:
            raise ProtocolError(ErrorCode.SESSION_NOT_STARTED)

    async def count_alert(self, room_id: str) -> None:
        """A crisis or help alert during the room's session: counted for the statistics."""
        session = self.current(room_id)
        if session is not None:
            await self.store.count_alert(session.id)
