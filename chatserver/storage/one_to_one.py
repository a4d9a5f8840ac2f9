"""Queries for one-to-one statistics: anonymous outcomes only."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from chatserver.queueing import Outcome
from chatserver.storage.models import OneToOneOutcome
from chatserver.storage.store import Store


class OneToOneStore:
    def __init__(self, store: Store) -> None:
        self.sessions = store.sessions

    async def record(self, day: date, outcome: Outcome) -> None:
        async with self.sessions.begin() as s:
            s.add(OneToOneOutcome(day=day, hour_of_week=outcome.hour_of_week,
                                  wait_seconds=outcome.wait_seconds, served=outcome.served,
                                  crisis=outcome.crisis))

    async def outcomes(self, since: date | None = None,
                       until: date | None = None) -> list[Outcome]:
        query = select(OneToOneOutcome)
        if since is not None:
            query = query.where(OneToOneOutcome.day >= since)
        if until is not None:
            query = query.where(OneToOneOutcome.day <= until)
        async with self.sessions() as s:
            rows = (await s.scalars(query)).all()
        return [Outcome(r.hour_of_week, r.wait_seconds, r.served, r.crisis) for r in rows]
