"""Queries for one-to-one statistics: anonymous outcomes only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import or_, select

from chatserver.domain.queueing import Outcome
from chatserver.storage.models import OneToOneFeedback, OneToOneOutcome, Sanction
from chatserver.storage.store import Store

# The sanctions table's room for a ban from one-to-one support ("*" bans from everything).
BAN_SCOPE = "one_to_one"


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

    async def add_feedback(self, day: date, rating: int, text: str | None) -> None:
        async with self.sessions.begin() as s:
            s.add(OneToOneFeedback(rating=rating, text=text, created_on=day))

    async def feedback(self, since: date | None = None,
                       until: date | None = None) -> list[tuple[int, str | None]]:
        """(rating, text) of the period's feedback, for the statistics."""
        query = select(OneToOneFeedback.rating, OneToOneFeedback.text)
        if since is not None:
            query = query.where(OneToOneFeedback.created_on >= since)
        if until is not None:
            query = query.where(OneToOneFeedback.created_on <= until)
        async with self.sessions() as s:
            return [(int(r), t) for r, t in (await s.execute(query)).all()]

    async def ban(self, identity_id: str, seconds: int | None, reason: str | None,
                  created_by: str) -> None:
        now = datetime.now(UTC)
        async with self.sessions.begin() as s:
            s.add(Sanction(kind="ban", room_id=BAN_SCOPE, member=None, identity_id=identity_id,
                           until=now + timedelta(seconds=seconds) if seconds else None,
                           reason=reason, created_by=created_by, created_at=now,
                           lifted=False))

    async def banned(self, identity_id: str, now: datetime) -> bool:
        """A ban from one-to-one support, or from every room, in force."""
        query = select(Sanction.until).where(
            Sanction.lifted.is_(False), Sanction.kind == "ban",
            Sanction.identity_id == identity_id,
            or_(Sanction.room_id == BAN_SCOPE, Sanction.room_id == "*"))
        async with self.sessions() as s:
            untils = (await s.scalars(query)).all()
        return any(u is None or (u if u.tzinfo else u.replace(tzinfo=UTC)) > now for u in untils)
