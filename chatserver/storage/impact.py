"""Queries for the anonymous check-ins and the funder's report."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from chatserver.storage.models import ChatSession, CheckIn
from chatserver.storage.store import Store


class ImpactStore:
    def __init__(self, store: Store) -> None:
        self.sessions = store.sessions

    async def add(self, session_id: int, room_id: str, before: int | None, after: int | None,
                  extra: int | None) -> None:
        async with self.sessions.begin() as s:
            s.add(CheckIn(id=secrets.token_hex(16), session_id=session_id, room_id=room_id,
                          before=before, after=after, extra=extra))

    async def answers(self, room_ids: Sequence[str] | None, after: datetime | None,
                      before: datetime | None) -> list[tuple[str, int | None, int | None,
                                                         int | None]]:
        """(room, before, after, extra) of the sessions that started in [after, before)."""
        query = select(CheckIn.room_id, CheckIn.before, CheckIn.after, CheckIn.extra).join(
            ChatSession, ChatSession.id == CheckIn.session_id)
        if room_ids is not None:
            query = query.where(CheckIn.room_id.in_(list(room_ids)))
        if after is not None:
            query = query.where(ChatSession.starts_at >= after)
        if before is not None:
            query = query.where(ChatSession.starts_at < before)
        async with self.sessions() as s:
            return [(r, b, a, e) for r, b, a, e in (await s.execute(query)).all()]
