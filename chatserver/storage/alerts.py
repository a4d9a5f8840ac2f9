"""Queries for the alert inbox. Every change of state is a compare-and-set on the row, so two
staff members acknowledging at once (on two processes) end with exactly one of them handling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update

from chatserver.storage.models import Alert
from chatserver.storage.sessions import iso, utc
from chatserver.storage.store import Store

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
# Why an alert was untaken again: its handler had no connection for HANDLER_GONE_SECONDS (or
# their alert conversation ended so), may no longer answer it (their one-to-one right removed,
# their account disabled), or its person's one-to-one conversation went back to the queue.
GONE, REVOKED, REQUEUED = "gone", "revoked", "requeued"
RELEASE_REASONS = (GONE, REVOKED, REQUEUED)


@dataclass(frozen=True, slots=True)
class AlertRecord:
    id: int
    room_id: str | None
    kind: str
    member: str | None
    name: str | None
    seq: int | None
    session_id: int | None
    report_id: int | None
    state: str
    created_at: datetime
    escalated: bool
    acknowledged_by: str | None  # account id
    acknowledged_name: str | None
    acknowledged_at: datetime | None
    resolved_name: str | None
    resolved_at: datetime | None
    outcome: str | None
    note: str | None
    conv: str | None
    releases: int = 0  # times its handler went offline without closing it
    released_name: str | None = None
    messages: int = 0  # messages with crisis language in it; `seq` is the latest posted
    released_why: str | None = None  # RELEASE_REASONS; None: untaken before it was kept

    def public(self) -> dict[str, Any]:
        """What staff see: names are what staff know; the handler's account id too, so that a
        console tells "you handle this" by account, not by a display name another staff member
        may share (a staff id is no participant's data; it goes to staff only)."""
        return {"id": self.id, "room": self.room_id, "kind": self.kind, "member": self.member,
                "name": self.name, "seq": self.seq, "session": self.session_id,
                "report": self.report_id, "state": self.state,
                "created_at": iso(self.created_at), "escalated": self.escalated,
                "acknowledged_by": self.acknowledged_name,
                "acknowledged_by_id": self.acknowledged_by,
                "acknowledged_at": _iso(self.acknowledged_at),
                "resolved_by": self.resolved_name, "resolved_at": _iso(self.resolved_at),
                "outcome": self.outcome, "note": self.note, "conv": self.conv,
                "releases": self.releases, "released_by": self.released_name,
                "released_why": self.released_why, "messages": self.messages}


def _iso(value: datetime | None) -> str | None:
    return iso(value) if value is not None else None


def _aware(value: datetime | None) -> datetime | None:
    return utc(value) if value is not None else None


def _record(row: Alert) -> AlertRecord:
    return AlertRecord(row.id, row.room_id, row.kind, row.member, row.name, row.seq,
                       row.session_id, row.report_id, row.state, utc(row.created_at),
                       row.escalated_at is not None, row.acknowledged_by,
                       row.acknowledged_name, _aware(row.acknowledged_at), row.resolved_name,
                       _aware(row.resolved_at), row.outcome, row.note, row.conv,
                       row.releases or 0, row.released_name, row.messages or 0,
                       row.released_why)


class AlertStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.sessions = store.sessions

    async def add(self, *, room_id: str | None, kind: str, member: str | None,
                  name: str | None, seq: int | None, session_id: int | None,
                  report_id: int | None, now: datetime, messages: int = 0) -> AlertRecord:
        row = Alert(room_id=room_id, kind=kind, member=member, name=name, seq=seq,
                    session_id=session_id, report_id=report_id, state=OPEN, created_at=now,
                    messages=messages)
        async with self.sessions.begin() as s:
            s.add(row)
            await s.flush()
            return _record(row)

    async def get(self, alert_id: int) -> AlertRecord | None:
        async with self.sessions() as s:
            row = await s.get(Alert, alert_id)
            return _record(row) if row is not None else None

    async def _change(self, alert_id: int, states: Sequence[str],
                      values: dict[str, Any]) -> AlertRecord | None:
        """Set `values` if the alert is in one of `states`; the changed alert, else None."""
        async with self.sessions.begin() as s:
            done = await s.execute(update(Alert).where(
                Alert.id == alert_id, Alert.state.in_(states)).values(**values))
            if not done.rowcount:  # type: ignore[attr-defined]
                return None
        return await self.get(alert_id)

    async def acknowledge(self, alert_id: int, account: str, name: str,
                          now: datetime) -> AlertRecord | None:
        return await self._change(alert_id, [OPEN], {
            "state": ACKNOWLEDGED, "acknowledged_by": account, "acknowledged_name": name,
            "acknowledged_at": now})

    async def resolve(self, alert_id: int, account: str, name: str, outcome: str,
                      note: str | None, now: datetime) -> AlertRecord | None:
        """Resolve an open or acknowledged alert; an open one is acknowledged at once too."""
        current = await self.get(alert_id)
        if current is None or current.state == RESOLVED:
            return None
        values: dict[str, Any] = {"state": RESOLVED, "resolved_by": account,
                                  "resolved_name": name, "resolved_at": now,
                                  "outcome": outcome, "note": note}
        if current.state == OPEN:
            values |= {"acknowledged_by": account, "acknowledged_name": name,
                       "acknowledged_at": now}
        return await self._change(alert_id, [current.state], values)

    async def fold_message(self, alert_id: int, seq: int | None) -> AlertRecord | None:
        """Another message with crisis language from the person an unresolved call is about:
        counted, and the call points at it (``seq``; None for one not posted, held or
        refused: the call keeps pointing at the latest posted one). None if resolved."""
        values: dict[str, Any] = {"messages": Alert.messages + 1}
        if seq is not None:
            values["seq"] = seq
        return await self._change(alert_id, [OPEN, ACKNOWLEDGED], values)

    async def set_conversation(self, alert_id: int, conv: str) -> AlertRecord | None:
        return await self._change(alert_id, [OPEN, ACKNOWLEDGED], {"conv": conv})

    async def conversation_gone(self, alert_id: int, conv: str) -> AlertRecord | None:
        """An unresolved alert no longer points at the private conversation ``conv`` (ended
        with nobody to answer in it); None if it points at another one, or is resolved."""
        async with self.sessions.begin() as s:
            done = await s.execute(update(Alert).where(
                Alert.id == alert_id, Alert.conv == conv,
                Alert.state.in_([OPEN, ACKNOWLEDGED])).values(conv=None))
            if not done.rowcount:  # type: ignore[attr-defined]
                return None
        return await self.get(alert_id)

    async def escalate(self, alert_id: int, now: datetime) -> AlertRecord | None:
        """Mark an unacknowledged alert escalated, once (one process wins)."""
        async with self.sessions.begin() as s:
            done = await s.execute(update(Alert).where(
                Alert.id == alert_id, Alert.state == OPEN,
                Alert.escalated_at.is_(None)).values(escalated_at=now))
            if not done.rowcount:  # type: ignore[attr-defined]
                return None
        return await self.get(alert_id)

    # The alert loop's two reads, made every few seconds by every process idle or not, go
    # through the plain driver (storage/raw_reads.py), not an ORM session each.

    async def handled(self) -> list[tuple[int, str]]:
        """(alert, account) of every acknowledged alert not yet resolved."""
        rows = await self.store.raw_reader.rows(
            "SELECT id, acknowledged_by FROM alerts WHERE state = ?", (ACKNOWLEDGED,))
        return [(int(i), str(a)) for i, a in rows if a is not None]

    async def release(self, alert_id: int, account: str, now: datetime,
                      why: str = GONE) -> tuple[AlertRecord, bool] | None:
        """Untake an alert `account` acknowledged and has not resolved: nobody handles it
        now, and it is escalated in the same change if it had not been (so no process's
        escalation tells the person a second time). The alert and whether this escalated
        it; None if it has meanwhile been resolved, or released by another process."""
        async with self.sessions.begin() as s:
            row = (await s.execute(select(Alert.escalated_at).where(
                Alert.id == alert_id, Alert.state == ACKNOWLEDGED,
                Alert.acknowledged_by == account).with_for_update())).first()
            if row is None:
                return None
            done = await s.execute(update(Alert).where(
                Alert.id == alert_id, Alert.state == ACKNOWLEDGED,
                Alert.acknowledged_by == account).values(
                state=OPEN, released_name=Alert.acknowledged_name, released_why=why,
                releases=Alert.releases + 1, acknowledged_by=None, acknowledged_name=None,
                acknowledged_at=None, escalated_at=row[0] or now))
            if not done.rowcount:  # type: ignore[attr-defined]
                return None
        released = await self.get(alert_id)
        return (released, row[0] is None) if released is not None else None

    async def unresolved_of(self, room_id: str, member: str, kinds: Sequence[str],
                            since: datetime, limit: int = 20) -> list[AlertRecord]:
        """A person's alerts of these kinds in a room, made since `since`, that nobody has
        closed; newest first."""
        query = (select(Alert).where(Alert.room_id == room_id, Alert.member == member,
                                     Alert.kind.in_(list(kinds)), Alert.state != RESOLVED,
                                     Alert.created_at >= since)
                 .order_by(Alert.id.desc()).limit(limit))
        async with self.sessions() as s:
            return [_record(r) for r in (await s.scalars(query)).all()]

    async def due_for_escalation(self, created_before: datetime) -> list[int]:
        rows = await self.store.raw_reader.rows(
            "SELECT id FROM alerts WHERE state = ? AND escalated_at IS NULL "
            "AND created_at <= ?", (OPEN, self.store.time_param(created_before)))
        return [int(i) for i, in rows]

    async def visible(self, rooms: Sequence[str] | None, *, roomless: bool,
                      resolved_since: datetime, limit: int = 200) -> list[AlertRecord]:
        """Unresolved alerts and those resolved since `resolved_since`, newest first, in
        `rooms` (None: every room), and the alerts of no room if `roomless`."""
        where = []
        if rooms is None:
            where.append(Alert.room_id.is_not(None))
        elif rooms:
            where.append(Alert.room_id.in_(list(rooms)))
        if roomless:
            where.append(Alert.room_id.is_(None))
        if not where:
            return []
        query = (select(Alert).where(or_(*where), or_(
            Alert.state != RESOLVED, Alert.resolved_at >= resolved_since))
            .order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit))
        async with self.sessions() as s:
            return [_record(r) for r in (await s.scalars(query)).all()]

    async def handling(self, room_ids: Sequence[str] | None, after: datetime | None,
                       before: datetime | None) -> list[tuple[str, str, datetime,
                                                              datetime | None]]:
        """(room, kind, created, acknowledged) of rooms' alerts made in [after, before): how
        fast people in distress were answered, for the funder's report."""
        query = select(Alert.room_id, Alert.kind, Alert.created_at, Alert.acknowledged_at
                       ).where(Alert.room_id.is_not(None))
        if room_ids is not None:
            query = query.where(Alert.room_id.in_(list(room_ids)))
        if after is not None:
            query = query.where(Alert.created_at >= after)
        if before is not None:
            query = query.where(Alert.created_at < before)
        async with self.sessions() as s:
            rows = (await s.execute(query)).all()
        return [(str(r), k, utc(c), _aware(a)) for r, k, c, a in rows]

    async def escalated_unresolved(self, limit: int = 200) -> list[AlertRecord]:
        """Escalated alerts nobody has resolved, of any room: an on-duty supporter got them
        live and keeps them after a reload."""
        query = (select(Alert).where(Alert.escalated_at.is_not(None), Alert.state != RESOLVED)
                 .order_by(Alert.created_at.desc()).limit(limit))
        async with self.sessions() as s:
            return [_record(r) for r in (await s.scalars(query)).all()]

    async def for_report(self, report_id: int) -> AlertRecord | None:
        async with self.sessions() as s:
            row = (await s.scalars(select(Alert).where(Alert.report_id == report_id))).first()
            return _record(row) if row is not None else None

    async def purge(self, before: datetime) -> int:
        """Delete alerts made before `before` (retention)."""
        async with self.sessions.begin() as s:
            done = await s.execute(delete(Alert).where(Alert.created_at < before))
            return int(done.rowcount or 0)  # type: ignore[attr-defined]
