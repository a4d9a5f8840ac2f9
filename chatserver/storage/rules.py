"""Queries for accepted ground rules."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete

from chatserver.storage.models import RulesAcceptance
from chatserver.storage.store import Store


class RulesStore:
    """Read and written at joins (a person's first join of a room on a process), so through
    the plain driver (storage/raw_reads.py)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.sessions = store.sessions

    async def accepted(self, room_id: str, member: str, version: str) -> bool:
        return bool(list(await self.store.raw_reader.rows(
            "SELECT 1 FROM rules_acceptances WHERE room_id = ? AND member = ? AND version = ?",
            (room_id, member, version))))

    async def accept(self, room_id: str, member: str, version: str) -> None:
        """Record it (once: accepting again, or in another tab at the same moment, changes
        nothing)."""
        await self.store.write_raw([(
            "INSERT INTO rules_acceptances (room_id, member, version, accepted_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(room_id, member, version, self.store.time_param(datetime.now(UTC)))])])

    async def purge(self, before: datetime) -> int:
        """Forget acceptances as old as the unused identities that made them."""
        async with self.sessions.begin() as s:
            done = await s.execute(delete(RulesAcceptance).where(
                RulesAcceptance.accepted_at < before))
            return int(done.rowcount or 0)  # type: ignore[attr-defined]
