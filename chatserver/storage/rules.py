"""Queries for accepted ground rules."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from chatserver.storage.models import RulesAcceptance
from chatserver.storage.store import Store


class RulesStore:
    def __init__(self, store: Store) -> None:
        self.sessions = store.sessions

    async def accepted(self, room_id: str, member: str, version: str) -> bool:
        async with self.sessions() as s:
            return await s.get(RulesAcceptance, (room_id, member, version)) is not None

    async def accept(self, room_id: str, member: str, version: str) -> None:
        """Record it (once: accepting again changes nothing)."""
        if await self.accepted(room_id, member, version):
            return
        try:
            async with self.sessions.begin() as s:
                s.add(RulesAcceptance(room_id=room_id, member=member, version=version,
                                      accepted_at=datetime.now(UTC)))
        except IntegrityError:
            pass  # the same person's other tab recorded it a moment ago

    async def purge(self, before: datetime) -> int:
        """Forget acceptances as old as the unused identities that made them."""
        async with self.sessions.begin() as s:
            done = await s.execute(delete(RulesAcceptance).where(
                RulesAcceptance.accepted_at < before))
            return int(done.rowcount or 0)  # type: ignore[attr-defined]
