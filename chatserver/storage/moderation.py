"""Queries for sanctions, reports, room controls and redactions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from chatserver.storage.models import (
    Event,
    HeldMessage,
    Identity,
    Report,
    RoomControls,
    Sanction,
)
from chatserver.storage.store import Store


@dataclass(frozen=True, slots=True)
class SanctionRecord:
    kind: str
    until: datetime | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class RoomSanction:
    """A sanction in force with whom it is on: a member of the room, or (a ban from all
    rooms) an identity."""

    member: str | None
    identity_id: str | None
    sanction: SanctionRecord


@dataclass(frozen=True, slots=True)
class Controls:
    slow_mode_seconds: int = 0
    locked: bool = False
    premoderated: bool = False
    pinned_seq: int | None = None

    def public(self) -> dict[str, Any]:
        return {"slow_mode": self.slow_mode_seconds, "locked": self.locked,
                "premoderated": self.premoderated, "pinned": self.pinned_seq}


class ModerationStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.sessions = store.sessions

    async def add_sanction(self, *, kind: str, room_id: str, member: str | None,
                           identity_id: str | None, until: datetime | None,
                           reason: str | None, created_by: str) -> None:
        async with self.sessions.begin() as s:
            s.add(Sanction(kind=kind, room_id=room_id, member=member, identity_id=identity_id,
                           until=until, reason=reason, created_by=created_by,
                           created_at=datetime.now(UTC), lifted=False))

    async def lift(self, room_id: str, member: str, kinds: tuple[str, ...]) -> None:
        async with self.sessions.begin() as s:
            await s.execute(update(Sanction).where(
                Sanction.room_id == room_id, Sanction.member == member,
                Sanction.kind.in_(kinds)).values(lifted=True))

    async def in_force(self, now: datetime) -> dict[str, list[RoomSanction]]:
        """Every sanction not lifted nor expired, by room ("*": bans from all rooms), for the
        guard's cache: one query for every room (a few rows: sanctions are rare), not one per
        room when the groups open at the hour."""
        by_room: dict[str, list[RoomSanction]] = {}
        for room_id, member, identity_id, kind, until, reason in \
                await self.store.raw_reader.rows(
                    "SELECT room_id, member, identity_id, kind, until, reason FROM sanctions "
                    "WHERE lifted = ?", (False,)):
            ends = self.store.time_value(until) if until is not None else None
            if ends is None or ends > now:
                by_room.setdefault(room_id, []).append(
                    RoomSanction(member, identity_id, SanctionRecord(kind, ends, reason)))
        return by_room

    async def identity_ids(self) -> AsyncIterator[str]:
        async with self.sessions() as s:
            result = await s.stream_scalars(select(Identity.id))
            async for identity_id in result:
                yield identity_id

    # Room controls ----------------------------------------------------------------------

    async def controls(self, room_id: str) -> Controls:
        for slow, locked, premoderated, pinned in await self.store.raw_reader.rows(
                "SELECT slow_mode_seconds, locked, premoderated, pinned_seq "
                "FROM room_controls WHERE room_id = ?", (room_id,)):
            return Controls(slow, bool(locked), bool(premoderated), pinned)
        return Controls()

    async def every_room_controls(self) -> dict[str, Controls]:
        """Every room's controls that were ever set (a room with none has the defaults), in
        one query for the guard's cache."""
        return {room_id: Controls(slow, bool(locked), bool(premoderated), pinned)
                for room_id, slow, locked, premoderated, pinned in
                await self.store.raw_reader.rows(
                    "SELECT room_id, slow_mode_seconds, locked, premoderated, pinned_seq "
                    "FROM room_controls", ())}

    async def change_controls(self, room_id: str, **change: int | bool | None) -> Controls:
        """Set the given controls only and return all of the room's controls after it: two
        facilitators changing different controls at once must not undo each other (a read of
        the row, then a write of every column, would)."""
        columns = ("slow_mode_seconds", "locked", "premoderated", "pinned_seq")
        upsert = self.store.insert(RoomControls).values(room_id=room_id, **change)
        upsert = upsert.on_conflict_do_update(index_elements=["room_id"], set_=change)
        async with self.sessions.begin() as s:
            row = (await s.execute(upsert.returning(
                *(getattr(RoomControls, c) for c in columns)))).one()
        slow, locked, premoderated, pinned = row
        return Controls(slow or 0, bool(locked), bool(premoderated), pinned)

    # Events ------------------------------------------------------------------------------

    async def event_frame(self, room_id: str, seq: int) -> str | None:
        async with self.sessions() as s:
            return await s.scalar(select(Event.frame).where(Event.room_id == room_id,
                                                            Event.seq == seq))

    async def replace_frame(self, room_id: str, seq: int, kind: str, member: str,
                            created_at: datetime, frame: str) -> None:
        """Store ``frame`` in place of the event (insert it if the event has not reached the
        database yet, so the original, arriving later, is then skipped)."""
        insert = self.store.insert(Event).values(
            room_id=room_id, seq=seq, kind=kind, member=member, created_at=created_at,
            frame=frame)
        async with self.sessions.begin() as s:
            await s.execute(insert.on_conflict_do_update(
                index_elements=["room_id", "seq"], set_={"frame": frame}))

    async def edit_events(self, room_id: str, target: int) -> list[tuple[int, str]]:
        """The stored ``message_edited`` events of one message (they carry its text)."""
        async with self.sessions() as s:
            rows = await s.execute(select(Event.seq, Event.frame).where(
                Event.room_id == room_id, Event.kind == "message_edited",
                Event.frame.contains(f'"target":{target},')))
            return [(int(seq), frame) for seq, frame in rows.all()]

    async def member_message_seqs(self, room_id: str, member: str,
                                  since: datetime) -> list[int]:
        async with self.sessions() as s:
            rows = await s.scalars(select(Event.seq).where(
                Event.room_id == room_id, Event.member == member, Event.kind == "message",
                Event.created_at >= since))
            return list(rows.all())

    # Held messages -----------------------------------------------------------------------

    async def hold(self, *, room_id: str, member: str, name: str, text: str,
                   reply_to: int | None, reason: str) -> dict[str, Any]:
        async with self.sessions.begin() as s:
            row = HeldMessage(room_id=room_id, member=member, name=name, text=text,
                              reply_to=reply_to, reason=reason, created_at=datetime.now(UTC))
            s.add(row)
            await s.flush()
            return held_public(row)

    async def held(self, room_ids: set[str] | None) -> list[dict[str, Any]]:
        q = select(HeldMessage).order_by(HeldMessage.id)
        if room_ids is not None:
            q = q.where(HeldMessage.room_id.in_(room_ids))
        async with self.sessions() as s:
            return [held_public(r) for r in (await s.scalars(q)).all()]

    async def take_held(self, hold_id: int, room_id: str) -> dict[str, Any] | None:
        """Remove a held message of the room and return it (None if already decided)."""
        async with self.sessions.begin() as s:
            row = await s.get(HeldMessage, hold_id)
            if row is None or row.room_id != room_id:
                return None
            held = held_public(row)
            await s.delete(row)
            return held

    # Reports -----------------------------------------------------------------------------

    async def add_report(self, *, room_id: str, seq: int, category: str, note: str | None,
                         reporter: str, target: str, snapshot: str | None) -> int:
        async with self.sessions.begin() as s:
            report = Report(room_id=room_id, seq=seq, category=category, note=note,
                            reporter=reporter, target=target, snapshot=snapshot,
                            status="open", created_at=datetime.now(UTC))
            s.add(report)
            await s.flush()
            return int(report.id)

    async def open_reports(self, room_ids: set[str] | None) -> list[dict[str, Any]]:
        q = select(Report).where(Report.status == "open").order_by(Report.id)
        if room_ids is not None:
            q = q.where(Report.room_id.in_(room_ids))
        async with self.sessions() as s:
            rows = (await s.scalars(q)).all()
        return [report_public(r) for r in rows]

    async def report(self, report_id: int) -> dict[str, Any] | None:
        async with self.sessions() as s:
            row = await s.get(Report, report_id)
        return report_public(row) if row else None

    async def resolve_report(self, report_id: int, *, by: str, resolution: str,
                             note: str | None) -> None:
        """Close a report; its snapshot of the message is deleted with it."""
        async with self.sessions.begin() as s:
            await s.execute(update(Report).where(Report.id == report_id).values(
                status="resolved", resolved_by=by, resolution=resolution,
                resolution_note=note, snapshot=None))


def report_public(r: Report) -> dict[str, Any]:
    """A report as staff see it: never who reported."""
    return {"id": r.id, "room": r.room_id, "seq": r.seq, "category": r.category,
            "note": r.note, "target": r.target, "snapshot": r.snapshot, "status": r.status,
            "created_at": r.created_at.replace(tzinfo=r.created_at.tzinfo or UTC).isoformat(),
            "resolution": r.resolution}


def held_public(r: HeldMessage) -> dict[str, Any]:
    return {"id": r.id, "room": r.room_id, "member": r.member, "name": r.name, "text": r.text,
            "reply_to": r.reply_to, "reason": r.reason,
            "created_at": r.created_at.replace(tzinfo=r.created_at.tzinfo or UTC).isoformat()}
