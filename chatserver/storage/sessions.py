"""Queries for schedules, sessions, closed groups, feedback and debriefs."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from chatserver.domain.schedules import Cancellation, Frequency, Move, Schedule, ScheduleException
from chatserver.storage.models import (
    Alert,
    ChatSession,
    Debrief,
    Event,
    Feedback,
    FeedbackReceipt,
    GroupMember,
    InviteCode,
    Report,
    Room,
    RoomSchedule,
    SessionAttendee,
    SessionFacilitator,
    SharingRound,
)
from chatserver.storage.models import ScheduleException as ExceptionRow
from chatserver.storage.store import Store

OPEN_STATES = ("scheduled", "lobby", "live", "ending")


def utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns: they are UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: int
    room_id: str
    schedule_id: int | None
    state: str
    starts_at: datetime
    ends_at: datetime
    extended_minutes: int = 0
    theme: str | None = None
    meeting_number: int | None = None
    alerted: bool = False
    first_seq: int | None = None
    closed_at: datetime | None = None
    attendance: int = 0
    messages: int = 0
    alerts: int = 0
    facilitator_away: bool = False

    def public(self) -> dict[str, Any]:
        """What participants may see: times as UTC ISO 8601 (the UI formats them locally)."""
        return {"id": self.id, "room": self.room_id, "state": self.state,
                "starts_at": iso(self.starts_at), "ends_at": iso(self.ends_at),
                "theme": self.theme, "meeting": self.meeting_number,
                # Nobody opened it by its start (staff alerted): those who arrive later or
                # reload are told so too, not only those waiting at that moment.
                "alerted": self.alerted,
                # Live and guided with no facilitator present (past a short grace): said in
                # the room, to those who arrive or reload later too, until one is back.
                "facilitator_away": self.facilitator_away}

    def staff(self) -> dict[str, Any]:
        return {**self.public(), "schedule": self.schedule_id,
                "extended_minutes": self.extended_minutes,
                "closed_at": iso(self.closed_at) if self.closed_at else None,
                "attendance": self.attendance, "messages": self.messages,
                "alerts": self.alerts}

    def to_wire(self) -> dict[str, Any]:
        values = asdict(self)
        for key in ("starts_at", "ends_at", "closed_at"):
            if values[key] is not None:
                values[key] = iso(values[key])
        return values

    @classmethod
    def from_wire(cls, values: dict[str, Any]) -> SessionRecord:
        values = dict(values)
        for key in ("starts_at", "ends_at", "closed_at"):
            if values.get(key) is not None:
                values[key] = datetime.fromisoformat(values[key])
        return cls(**values)


def iso(value: datetime) -> str:
    return utc(value).isoformat().replace("+00:00", "Z")


# The columns of a SessionRecord, in its order (SessionStore._read).
_COLUMNS = ("id, room_id, schedule_id, state, starts_at, ends_at, extended_minutes, theme, "
            "meeting_number, alerted, first_seq, closed_at, attendance, messages, alerts, "
            "facilitator_away")


def _session(row: ChatSession) -> SessionRecord:
    return SessionRecord(row.id, row.room_id, row.schedule_id, row.state, utc(row.starts_at),
                         utc(row.ends_at), row.extended_minutes, row.theme, row.meeting_number,
                         row.alerted, row.first_seq,
                         utc(row.closed_at) if row.closed_at else None, row.attendance,
                         row.messages, row.alerts, bool(row.facilitator_away))


@dataclass(frozen=True, slots=True)
class ScheduleRecord:
    id: int
    room_id: str
    schedule: Schedule
    exceptions: tuple[ScheduleException, ...]
    themes: tuple[str, ...]

    def public(self) -> dict[str, Any]:
        s = self.schedule
        return {"id": self.id, "room": self.room_id, "frequency": str(s.frequency),
                "start_date": s.start_date.isoformat(),
                "start_time": s.start_time.strftime("%H:%M"),
                "duration_minutes": s.duration_minutes, "weekdays": list(s.weekdays or ()),
                "until": s.until.isoformat() if s.until else None, "count": s.count,
                "time_zone": s.time_zone, "themes": list(self.themes),
                "exceptions": [_exception_public(e) for e in self.exceptions]}


def _exception_public(e: ScheduleException) -> dict[str, Any]:
    if isinstance(e, Cancellation):
        return {"date": e.date.isoformat(), "kind": "cancel"}
    return {"date": e.date.isoformat(), "kind": "move",
            "new_start": e.new_start.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": e.duration_minutes}


def _exception(row: ExceptionRow) -> ScheduleException:
    if row.kind == "cancel" or row.new_start is None:
        return Cancellation(row.on_date)
    return Move(row.on_date, datetime.fromisoformat(row.new_start), row.new_duration)


class SessionStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.sessions = store.sessions
        self._locks: dict[str, asyncio.Lock] = {}

    # Rooms ---------------------------------------------------------------------------------

    async def update_room(self, room_id: str, values: dict[str, Any]) -> bool:
        async with self.sessions.begin() as s:
            result = cast(CursorResult[Any], await s.execute(
                update(Room).where(Room.id == room_id).values(**values)))
        return bool(result.rowcount)

    # Schedules -----------------------------------------------------------------------------

    async def add_schedule(self, room_id: str, schedule: Schedule, themes: Sequence[str]) -> int:
        async with self.sessions.begin() as s:
            row = RoomSchedule(room_id=room_id, frequency=str(schedule.frequency),
                               start_date=schedule.start_date,
                               start_time=schedule.start_time.strftime("%H:%M"),
                               duration_minutes=schedule.duration_minutes,
                               weekdays=list(schedule.weekdays or ()), until=schedule.until,
                               count=schedule.count, themes=list(themes),
                               created_at=datetime.now(UTC))
            s.add(row)
            await s.flush()
            return row.id

    async def add_exception(self, schedule_id: int, exception: ScheduleException) -> None:
        values: dict[str, Any] = {"schedule_id": schedule_id, "on_date": exception.date}
        if isinstance(exception, Move):
            values |= {"kind": "move", "new_start": exception.new_start.strftime(
                "%Y-%m-%dT%H:%M"), "new_duration": exception.duration_minutes}
        else:
            values |= {"kind": "cancel", "new_start": None, "new_duration": None}
        async with self.sessions.begin() as s:
            await s.execute(delete(ExceptionRow).where(
                ExceptionRow.schedule_id == schedule_id, ExceptionRow.on_date == exception.date))
            s.add(ExceptionRow(**values))

    async def schedules(self, room_id: str | None = None,
                        schedule_id: int | None = None) -> list[ScheduleRecord]:
        query = select(RoomSchedule, Room.time_zone).join(Room, Room.id == RoomSchedule.room_id)
        if room_id is not None:
            query = query.where(RoomSchedule.room_id == room_id)
        if schedule_id is not None:
            query = query.where(RoomSchedule.id == schedule_id)
        async with self.sessions() as s:
            rows = (await s.execute(query.order_by(RoomSchedule.id))).all()
            ids = [r[0].id for r in rows]
            exc_rows = (await s.scalars(select(ExceptionRow).where(
                ExceptionRow.schedule_id.in_(ids)))).all() if ids else []
        by_schedule: dict[int, list[ScheduleException]] = {}
        for e in exc_rows:
            by_schedule.setdefault(e.schedule_id, []).append(_exception(e))
        found = []
        for row, zone in rows:
            hour, minute = (int(p) for p in row.start_time.split(":"))
            schedule = Schedule(Frequency(row.frequency), row.start_date, time(hour, minute),
                                row.duration_minutes, weekdays=tuple(row.weekdays),
                                until=row.until, count=row.count, time_zone=zone)
            found.append(ScheduleRecord(row.id, row.room_id, schedule,
                                        tuple(by_schedule.get(row.id, [])), tuple(row.themes)))
        return found

    async def delete_schedule(self, schedule_id: int) -> None:
        """The schedule and its sessions that have not started; held ones stay for the
        statistics."""
        async with self.sessions.begin() as s:
            await s.execute(delete(ExceptionRow).where(ExceptionRow.schedule_id == schedule_id))
            await s.execute(delete(RoomSchedule).where(RoomSchedule.id == schedule_id))
            await s.execute(delete(ChatSession).where(ChatSession.schedule_id == schedule_id,
                                                      ChatSession.state == "scheduled"))

    # Sessions ------------------------------------------------------------------------------

    async def materialise(self, room_id: str, schedule_id: int,
                          rows: Sequence[dict[str, Any]]) -> int:
        """Insert the sessions of a schedule that are not there yet (idempotent, safe from
        many processes), and move or cancel those not started whose occurrence changed."""
        added = 0
        for values in rows:
            try:
                async with self.sessions.begin() as s:
                    s.add(ChatSession(room_id=room_id, schedule_id=schedule_id, **values))
                added += 1
            except IntegrityError:
                async with self.sessions.begin() as s:
                    changes = {k: values[k] for k in ("starts_at", "ends_at")}
                    if values["state"] == "cancelled":
                        changes["state"] = "cancelled"
                    await s.execute(update(ChatSession).where(
                        ChatSession.schedule_id == schedule_id,
                        ChatSession.occurrence == values["occurrence"],
                        ChatSession.state == "scheduled").values(**changes))
        return added

    async def add_session(self, room_id: str, starts_at: datetime, ends_at: datetime,
                          theme: str | None = None) -> SessionRecord:
        async with self.sessions.begin() as s:
            row = ChatSession(room_id=room_id, state="scheduled", starts_at=starts_at,
                              ends_at=ends_at, theme=theme, extended_minutes=0, alerted=False,
                              attendance=0, messages=0)
            s.add(row)
            await s.flush()
            return _session(row)

    async def get(self, session_id: int) -> SessionRecord | None:
        async with self.sessions() as s:
            row = await s.get(ChatSession, session_id)
        return _session(row) if row else None

    async def active_near(self, now: datetime, horizon: timedelta) -> list[SessionRecord]:
        """Sessions not finished whose start is before now + horizon (the timer's work)."""
        marks = ", ".join("?" * len(OPEN_STATES))
        return await self._read(f"state IN ({marks}) AND starts_at <= ? ORDER BY starts_at",
                                (*OPEN_STATES, self.store.time_param(now + horizon)))

    async def in_states(self, states: Sequence[str], limit: int = 200) -> list[SessionRecord]:
        """Sessions in these states, earliest first."""
        marks = ", ".join("?" * len(states))
        return await self._read(f"state IN ({marks}) ORDER BY starts_at LIMIT {int(limit)}",
                                tuple(states))

    async def _read(self, where: str, params: tuple[Any, ...]) -> list[SessionRecord]:
        """Sessions through the plain driver (storage/raw_reads.py): every process's session
        timer reads them every few seconds, idle or not, and through an ORM session a read
        cost several times as much CPU (issue 20: idle processes)."""
        when = self.store.time_value
        rows = await self.store.raw_reader.rows(f"SELECT {_COLUMNS} FROM sessions WHERE {where}",
                                                params)
        return [SessionRecord(id_, room_id, schedule_id, state, when(starts), when(ends),
                              extended, theme, number, bool(alerted), first_seq,
                              when(closed) if closed is not None else None, attendance,
                              messages, alerts, bool(away))
                for (id_, room_id, schedule_id, state, starts, ends, extended, theme, number,
                     alerted, first_seq, closed, attendance, messages, alerts, away) in rows]

    async def find(self, *, room_id: str | None = None, rooms: Sequence[str] | None = None,
                   after: datetime | None = None, before: datetime | None = None,
                   states: Sequence[str] | None = None, limit: int = 200) -> list[SessionRecord]:
        query = select(ChatSession)
        if room_id is not None:
            query = query.where(ChatSession.room_id == room_id)
        if rooms is not None:
            query = query.where(ChatSession.room_id.in_(list(rooms)))
        if after is not None:
            query = query.where(ChatSession.ends_at >= after)
        if before is not None:
            query = query.where(ChatSession.starts_at < before)
        if states is not None:
            query = query.where(ChatSession.state.in_(list(states)))
        async with self.sessions() as s:
            rows = (await s.scalars(query.order_by(ChatSession.starts_at).limit(limit))).all()
        return [_session(r) for r in rows]

    async def change_state(self, session_id: int, old: str, new: str,
                           **values: Any) -> SessionRecord | None:
        """Compare-and-set: only the one caller that still finds ``old`` wins; the others get
        None (another process applied it first)."""
        async with self.sessions.begin() as s:
            result = cast(CursorResult[Any], await s.execute(
                update(ChatSession).where(ChatSession.id == session_id, ChatSession.state == old)
                .values(state=new, **values)))
            if result.rowcount != 1:
                return None
            row = await s.get(ChatSession, session_id)
            assert row is not None
            await s.refresh(row)
            return _session(row)

    async def set_alerted(self, session_id: int) -> bool:
        async with self.sessions.begin() as s:
            result = cast(CursorResult[Any], await s.execute(
                update(ChatSession).where(ChatSession.id == session_id,
                                          ChatSession.alerted.is_(False)).values(alerted=True)))
        return result.rowcount == 1

    async def set_facilitator_away(self, session_id: int, away: bool) -> SessionRecord | None:
        """Compare-and-set while live or ending: None if it already said so (or closed)."""
        async with self.sessions.begin() as s:
            result = cast(CursorResult[Any], await s.execute(
                update(ChatSession).where(
                    ChatSession.id == session_id, ChatSession.state.in_(["live", "ending"]),
                    ChatSession.facilitator_away.is_(not away)).values(facilitator_away=away)))
            row = await s.get(ChatSession, session_id) if result.rowcount == 1 else None
            return _session(row) if row is not None else None

    async def session_facilitators(self, session_id: int) -> list[str]:
        async with self.sessions() as s:
            rows = await s.scalars(select(SessionFacilitator.account_id).where(
                SessionFacilitator.session_id == session_id))
            return sorted(rows.all())

    async def set_session_facilitators(self, session_id: int, accounts: Sequence[str]) -> None:
        async with self.sessions.begin() as s:
            await s.execute(delete(SessionFacilitator).where(
                SessionFacilitator.session_id == session_id))
            for account in sorted(set(accounts)):
                s.add(SessionFacilitator(session_id=session_id, account_id=account))

    async def sessions_of_facilitator(self, account_id: str) -> list[int]:
        async with self.sessions() as s:
            rows = await s.scalars(select(SessionFacilitator.session_id).where(
                SessionFacilitator.account_id == account_id))
            return list(rows.all())

    # Attendance: per-room member ids while the session runs, a count once it has closed ----

    async def attend(self, session_id: int, member: str) -> None:
        """Every participant's join while the session runs (most of them in its first
        minute): counted once, however often they come back (a second tab, a reconnect)."""
        await self.store.write_raw([(
            "INSERT INTO session_attendees (session_id, member) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING", [(session_id, member)])])

    async def finish_counts(self, session: SessionRecord, closed_at: datetime) -> None:
        """Count who attended and the messages. The attendee rows stay for the feedback
        window (only attendees may give feedback), then `forget_attendees` drops them."""
        async with self.sessions.begin() as s:
            attendance = await s.scalar(select(func.count()).select_from(SessionAttendee)
                                        .where(SessionAttendee.session_id == session.id))
            messages = await s.scalar(select(func.count()).select_from(Event).where(
                Event.room_id == session.room_id, Event.kind == "message",
                Event.seq > (session.first_seq or 0)))
            await s.execute(update(ChatSession).where(ChatSession.id == session.id).values(
                attendance=int(attendance or 0), messages=int(messages or 0)))

    async def attended(self, session_id: int, member: str) -> bool:
        async with self.sessions() as s:
            return await s.get(SessionAttendee, (session_id, member)) is not None

    async def forget_attendees(self, closed_before: datetime) -> None:
        """Who attended is forgotten after the feedback window, except in closed groups: a
        course's facilitator follows each member's attendance while they are in the group
        (removing a member removes theirs)."""
        async with self.sessions.begin() as s:
            courses = select(Room.id).where(Room.access == "closed")
            old = select(ChatSession.id).where(ChatSession.closed_at < closed_before,
                                               ChatSession.room_id.not_in(courses))
            await s.execute(delete(SessionAttendee).where(SessionAttendee.session_id.in_(old)))

    async def attendance(self, room_id: str) -> dict[str, list[int]]:
        """Per member id, the sessions of the room they attended (that are still kept)."""
        query = (select(SessionAttendee.member, SessionAttendee.session_id)
                 .join(ChatSession, ChatSession.id == SessionAttendee.session_id)
                 .where(ChatSession.room_id == room_id).order_by(SessionAttendee.session_id))
        out: dict[str, list[int]] = {}
        async with self.sessions() as s:
            for member, session_id in (await s.execute(query)).all():
                out.setdefault(member, []).append(int(session_id))
        return out

    async def count_alert(self, session_id: int) -> None:
        async with self.sessions.begin() as s:
            await s.execute(update(ChatSession).where(ChatSession.id == session_id)
                            .values(alerts=ChatSession.alerts + 1))

    # Sharing rounds ------------------------------------------------------------------------

    async def get_round(self, room_id: str) -> dict[str, Any] | None:
        """The room's sharing round, read at every join of a guided room (plain driver)."""
        for state, in await self.store.raw_reader.rows(
                "SELECT state FROM sharing_rounds WHERE room_id = ?", (room_id,)):
            # Stored as JSON text (SQLite) or a json value the driver gives as text.
            return dict(json.loads(state)) if isinstance(state, str | bytes) else dict(state)
        return None

    async def change_round(self, room_id: str, change: Callable[
            [dict[str, Any] | None], dict[str, Any] | None]) -> dict[str, Any] | None:
        """Read, change and write the room's round under a row lock (PostgreSQL), so two
        processes changing it at once do not lose either change; SQLite serialises writers."""
        async with self._round_lock(room_id), self.sessions.begin() as s:
            row = await s.scalar(select(SharingRound).where(SharingRound.room_id == room_id)
                                 .with_for_update())
            new = change(dict(row.state) if row else None)
            if new is None:
                if row is not None:
                    await s.delete(row)
            elif row is None:
                s.add(SharingRound(room_id=room_id, state=new))
            else:
                row.state = new
        return new

    def _round_lock(self, room_id: str) -> asyncio.Lock:
        # Within one process, one change at a time per room (SQLite has no row locks).
        return self._locks.setdefault(room_id, asyncio.Lock())

    async def end_round(self, room_id: str) -> None:
        async with self.sessions.begin() as s:
            await s.execute(delete(SharingRound).where(SharingRound.room_id == room_id))

    async def delete_events_until(self, room_id: str, until: datetime) -> int:
        """Retention of a `session` room: its events up to the close."""
        return await self.store.delete_events(room_id, until=until)

    # Closed groups -------------------------------------------------------------------------

    async def add_invite(self, room_id: str, code: str, created_by: str,
                         expires_at: datetime) -> None:
        async with self.sessions.begin() as s:
            s.add(InviteCode(code_hash=code_hash(code), room_id=room_id, created_by=created_by,
                             created_at=datetime.now(UTC), expires_at=expires_at))

    async def invites(self, room_id: str) -> dict[str, int]:
        now = datetime.now(UTC)
        async with self.sessions() as s:
            rows = (await s.execute(select(InviteCode.used_at, InviteCode.expires_at).where(
                InviteCode.room_id == room_id))).all()
        used = sum(1 for u, _ in rows if u is not None)
        open_ = sum(1 for u, e in rows if u is None and utc(e) > now)
        return {"issued": len(rows), "used": used, "open": open_}

    async def redeem(self, code: str, identity_id: str, pseudonym: str,
                     now: datetime) -> str | None:
        """Use the code once and bind the identity to its group; returns the room, or None
        if the code is unknown, used or expired. The conditional update makes it single-use
        even when two people redeem at once."""
        digest = code_hash(code)
        async with self.sessions.begin() as s:
            row = await s.get(InviteCode, digest)
            if row is None or row.used_at is not None or utc(row.expires_at) <= now:
                return None
            result = cast(CursorResult[Any], await s.execute(
                update(InviteCode).where(InviteCode.code_hash == digest,
                                         InviteCode.used_at.is_(None)).values(used_at=now)))
            if result.rowcount != 1:
                return None
            room_id = row.room_id
            existing = await s.get(GroupMember, (room_id, identity_id))
            if existing is None:
                s.add(GroupMember(room_id=room_id, identity_id=identity_id,
                                  pseudonym=pseudonym, joined_at=now))
        return room_id

    async def group_pseudonym(self, room_id: str, identity_id: str) -> str | None:
        """A member's name in a closed group, read at each of their joins (plain driver)."""
        for pseudonym, in await self.store.raw_reader.rows(
                "SELECT pseudonym FROM group_members WHERE room_id = ? AND identity_id = ?",
                (room_id, identity_id)):
            return str(pseudonym)
        return None

    async def group_members(self, room_id: str) -> list[tuple[str, str, datetime]]:
        """(identity id, group pseudonym, joined at) of a closed group's members."""
        async with self.sessions() as s:
            rows = (await s.scalars(select(GroupMember).where(
                GroupMember.room_id == room_id).order_by(GroupMember.joined_at))).all()
        return [(r.identity_id, r.pseudonym, utc(r.joined_at)) for r in rows]

    async def remove_group_member(self, room_id: str, identity_id: str, member: str) -> None:
        """Out of the group: the binding and their attendance there are deleted."""
        async with self.sessions.begin() as s:
            await s.execute(delete(GroupMember).where(GroupMember.room_id == room_id,
                                                      GroupMember.identity_id == identity_id))
            of_room = select(ChatSession.id).where(ChatSession.room_id == room_id)
            await s.execute(delete(SessionAttendee).where(
                SessionAttendee.member == member, SessionAttendee.session_id.in_(of_room)))

    async def group_size(self, room_id: str) -> int:
        async with self.sessions() as s:
            return int(await s.scalar(select(func.count()).select_from(GroupMember).where(
                GroupMember.room_id == room_id)) or 0)

    # Feedback and debriefs -----------------------------------------------------------------

    async def add_feedback(self, session: SessionRecord, member: str, rating: int,
                           text: str | None, today: date) -> bool:
        """Once per member and session; False if this member gave it already."""
        try:
            async with self.sessions.begin() as s:
                s.add(FeedbackReceipt(session_id=session.id, member=member))
                await s.flush()
                s.add(Feedback(session_id=session.id, room_id=session.room_id, rating=rating,
                               text=text, created_on=today))
        except IntegrityError:
            return False
        return True

    async def feedback(self, room_ids: Sequence[str] | None = None, *,
                       after: datetime | None = None,
                       before: datetime | None = None) -> list[dict[str, Any]]:
        """Feedback of the sessions that started in [after, before), of these rooms."""
        query = select(Feedback, ChatSession.starts_at).join(
            ChatSession, ChatSession.id == Feedback.session_id)
        if room_ids is not None:
            query = query.where(Feedback.room_id.in_(list(room_ids)))
        if after is not None:
            query = query.where(ChatSession.starts_at >= after)
        if before is not None:
            query = query.where(ChatSession.starts_at < before)
        async with self.sessions() as s:
            rows = (await s.execute(query.order_by(Feedback.session_id, Feedback.id))).all()
        return [{"room": f.room_id, "session": f.session_id, "session_start": iso(starts),
                 "rating": f.rating, "text": f.text or ""} for f, starts in rows]

    async def add_debrief(self, session_id: int, account_id: str, author: str,
                          text: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        async with self.sessions.begin() as s:
            row = Debrief(session_id=session_id, account_id=account_id, author_name=author,
                          text=text, created_at=now)
            s.add(row)
            await s.flush()
            return {"id": row.id, "session": session_id, "author": author, "text": text,
                    "created_at": iso(now)}

    async def debriefs(self, session_id: int) -> list[dict[str, Any]]:
        async with self.sessions() as s:
            rows = (await s.scalars(select(Debrief).where(Debrief.session_id == session_id)
                                    .order_by(Debrief.id))).all()
        return [{"id": r.id, "session": r.session_id, "author": r.author_name, "text": r.text,
                 "created_at": iso(r.created_at)} for r in rows]

    async def activity(self, room_id: str, after: datetime | None,
                       before: datetime | None) -> dict[str, int]:
        """An always-open room's figures for a period, from what is still stored: messages,
        distinct people who came (per-room member ids, counted, never listed), reports and
        crisis/help alerts. Events past the room's retention are gone, so older periods
        count less."""
        def period(column: Any) -> list[Any]:
            return [c for c in ((column >= after) if after else None,
                                (column < before) if before else None) if c is not None]

        async with self.sessions() as s:
            messages = await s.scalar(select(func.count()).select_from(Event).where(
                Event.room_id == room_id, Event.kind == "message", *period(Event.created_at)))
            people = await s.scalar(select(func.count(func.distinct(Event.member))).where(
                Event.room_id == room_id, Event.kind.in_(("message", "member_joined")),
                *period(Event.created_at)))
            reports = await s.scalar(select(func.count()).select_from(Report).where(
                Report.room_id == room_id, *period(Report.created_at)))
            alerts = await s.scalar(select(func.count()).select_from(Alert).where(
                Alert.room_id == room_id, Alert.kind.in_(("crisis", "help")),
                *period(Alert.created_at)))
        return {"messages": int(messages or 0), "participants": int(people or 0),
                "reports": int(reports or 0), "crisis_alerts": int(alerts or 0)}

    async def reports_between(self, room_id: str, start: datetime, end: datetime) -> int:
        async with self.sessions() as s:
            return int(await s.scalar(select(func.count()).select_from(Report).where(
                Report.room_id == room_id, Report.created_at >= start,
                Report.created_at <= end)) or 0)
