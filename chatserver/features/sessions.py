"""Sessions on the server: the timer every process runs, the state changes it and the
facilitators make, and what members see of them.

The state lives in the database. Every process evaluates the pure rules
(`session_state.due_transitions`) for the sessions near now and applies each change with a
compare-and-set on the session's row, so exactly one process wins each transition; the winner
puts the change in the room's stream (a `session` event with a sequence number, seen by
members on every process) and tells every process through the broker's control channel (each
keeps a small cache of its rooms' current sessions, and removes its local members at close).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chatserver.broker.base import Broker, EventMeta
from chatserver.core.alerts import NO_FACILITATOR, AlertInbox
from chatserver.core.crisis import CrisisResources
from chatserver.core.hub import Client
from chatserver.core.ports import ControlRoute, FrameRoute, RoomAccess
from chatserver.core.session_gate import SessionGate
from chatserver.domain import schedules
from chatserver.domain.errors import BackendUnavailable, ErrorCode, ProtocolError
from chatserver.domain.protocol import SessionControl, encode, event_body, now_ms
from chatserver.domain.session_state import (
    FEEDBACK_DAYS,
    IllegalTransition,
    SessionEvent,
    SessionState,
    SessionTiming,
    due_transitions,
    transition,
)
from chatserver.storage.errors import DatabaseError
from chatserver.storage.sessions import ScheduleRecord, SessionRecord, SessionStore
from chatserver.storage.staff import AccountRecord, StaffStore
from chatserver.storage.store import RoomRecord, Store

log = logging.getLogger("chatserver.sessions")

E = SessionEvent
S = SessionState
# How far ahead sessions are made from schedules, and how often that is redone.
MATERIALISE_DAYS = 14
MATERIALISE_EVERY = 60.0
# A facilitator may open a session this long before its lobby would open.
OPEN_EARLY = timedelta(hours=1)
# After a close, the timer deletes a `session` room's events again for this long: events whose
# durable write was still queued (the Redis backend writes in the background) arrive late.
RETENTION_SWEEP = timedelta(minutes=10)
# That sweep (and forgetting who attended, a matter of days) runs on every this many ticks, a
# minute at the default 5 s: it was the larger part of an idle process's database work.
SWEEP_EVERY_TICKS = 12
# The longest a process waits to see the closing event before removing its members.
CLOSE_DELIVERY_WAIT = 3.0
# A live guided session with no facilitator present for FACILITATOR_AWAY_SECONDS (a setting)
# tells the room so (and says when one is back, at once): a reload or a network blip of the
# facilitator's console, back within seconds, says nothing. Presence itself has no grace (a
# closed socket leaves at once), so each process counts from when its timer first found nobody.
FACILITATOR_AWAY, FACILITATOR_BACK = "facilitator_away", "facilitator_back"


def timing_of(room: RoomRecord, session: SessionRecord) -> SessionTiming:
    return SessionTiming(session.starts_at, session.ends_at, room.lobby_minutes,
                         room.warn_minutes, room.grace_minutes)


def meeting_number(schedule: schedules.Schedule, key: str) -> int:
    """1 for the schedule's first meeting, n for its n-th (cancelled ones count, as in the
    schedule's `count`)."""
    first = datetime.combine(schedule.start_date, schedule.start_time)
    this = datetime.combine(date.fromisoformat(key), schedule.start_time)
    return len(schedule.local_starts(first, this))


def occurrence_rows(record: ScheduleRecord, now: datetime,
                    days: int = MATERIALISE_DAYS) -> list[dict[str, Any]]:
    """The session rows a schedule needs from a day ago to `days` ahead."""
    rows = []
    for occ in schedules.occurrences(record.schedule, record.exceptions,
                                     now - timedelta(days=1), now + timedelta(days=days)):
        number = meeting_number(record.schedule, occ.key)
        theme = record.themes[number - 1] if 0 < number <= len(record.themes) else None
        rows.append({"occurrence": date.fromisoformat(occ.key), "starts_at": occ.start_utc,
                     "ends_at": occ.end_utc,
                     "state": "cancelled" if occ.cancelled else "scheduled",
                     "theme": theme, "meeting_number": number if record.schedule.count or
                     record.themes else None, "extended_minutes": 0, "alerted": False,
                     "attendance": 0, "messages": 0})
    return rows


class SessionService:
    def __init__(self, rooms: RoomAccess, *, store: SessionStore, gate: SessionGate,
                 crisis: CrisisResources, broker: Broker, events: Store,
                 alerts: AlertInbox, staff: StaffStore, away_seconds: float = 10.0) -> None:
        self.rooms = rooms
        self.away_seconds = away_seconds
        self.staff = staff
        self.alerts = alerts
        self.store = store
        self.gate = gate
        self.crisis = crisis
        self.broker = broker
        self.events = events
        self._materialised = 0.0
        self._ticks = 0
        self._tasks: set[asyncio.Task[None]] = set()
        # Live guided session -> when this process's timer first found no facilitator there.
        self._away_since: dict[int, float] = {}

    def frame_routes(self) -> Sequence[FrameRoute]:
        return [FrameRoute(SessionControl, self.staff_frame)]

    def control_routes(self) -> Sequence[ControlRoute]:
        return [ControlRoute("session", self._on_session)]

    def current(self, room_id: str) -> SessionRecord | None:
        return self.gate.current(room_id)

    # The timer ----------------------------------------------------------------------------

    def start(self, interval: float) -> None:
        self._spawn(self._run(interval))

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, interval: float) -> None:
        while True:
            try:
                await self.tick(datetime.now(UTC))
            except (BackendUnavailable, DatabaseError, OSError) as exc:
                log.warning("session timer failed", extra={"error": type(exc).__name__})
            except Exception:
                log.exception("session timer crashed")
            await asyncio.sleep(interval)

    async def tick(self, now: datetime) -> None:
        loop_now = asyncio.get_running_loop().time()
        if loop_now - self._materialised >= MATERIALISE_EVERY or not self._materialised:
            await self.materialise(now)
            self._materialised = loop_now
        horizon = timedelta(minutes=max([r.lobby_minutes for r in await self.rooms.all_rooms()]
                                        or [0]) + 1)
        watched: set[int] = set()
        for session in await self.store.active_near(now, horizon):
            room = await self.rooms.find_room(session.room_id)
            if room is None:
                continue
            if room.kind == "guided" and session.state in (S.LIVE, S.ENDING):
                watched.add(session.id)
                session = await self._watch_facilitator(room, session) or session
            present = False
            if room.kind == "guided" and session.state == S.LOBBY:
                present = await self._facilitator_present(room.id)
            try:
                due = due_transitions(timing_of(room, session), S(session.state), now,
                                      guided=room.kind == "guided",
                                      facilitator_present=present, alerted=session.alerted)
            except ValueError:
                continue  # a row an admin made inconsistent: leave it for them to fix
            for event in due:
                changed = await self.apply(session, event, now)
                if changed is None:
                    break  # another process won; it carries on from here
                session = changed
        self._away_since = {k: v for k, v in self._away_since.items() if k in watched}
        await self.gate.refresh()
        if self._ticks % SWEEP_EVERY_TICKS == 0:
            await self._sweep(now)
        self._ticks += 1

    async def materialise(self, now: datetime) -> int:
        added = 0
        for record in await self.store.schedules():
            added += await self.store.materialise(record.room_id, record.id,
                                                  occurrence_rows(record, now))
        return added

    async def _facilitator_present(self, room_id: str) -> bool:
        for info in await self.rooms.present(room_id):
            if info.get("role") in ("facilitator", "admin"):
                return True
        return False

    async def _watch_facilitator(self, room: RoomRecord,
                                 session: SessionRecord) -> SessionRecord | None:
        """A live guided session: the room hears when no facilitator has been present for
        `away_seconds`, and at once when one is back (each once, by one process).
        The changed session, or None if nothing changed here."""
        loop_now = asyncio.get_running_loop().time()
        if await self._facilitator_present(room.id):
            self._away_since.pop(session.id, None)
            return (await self._set_facilitator_away(room, session, False)
                    if session.facilitator_away else None)
        since = self._away_since.setdefault(session.id, loop_now)
        if session.facilitator_away or loop_now - since < self.away_seconds:
            return None
        return await self._set_facilitator_away(room, session, True)

    async def _set_facilitator_away(self, room: RoomRecord, session: SessionRecord,
                                    away: bool) -> SessionRecord | None:
        """Store and announce it (not a change of the session's state): None if another
        process said it first, or the session is no longer live."""
        changed = await self.store.set_facilitator_away(session.id, away)
        if changed is None:
            return None
        event = FACILITATOR_AWAY if away else FACILITATOR_BACK
        seq = await self._announce(room, changed, event, None)
        await self.rooms.announce({"kind": "session", "session": changed.to_wire(), "seq": seq})
        log.info("facilitator presence changed", extra={"room": room.id, "session": changed.id,
                                                        "event": event})
        return changed

    async def _sweep(self, now: datetime) -> None:
        """Retention again for `session` rooms closed a moment ago (late durable writes);
        who attended is forgotten once the feedback window has passed."""
        await self.store.forget_attendees(now - timedelta(days=FEEDBACK_DAYS))
        for session in await self.store.find(after=now - RETENTION_SWEEP - timedelta(days=1),
                                             states=["closed"]):
            if session.closed_at is None or session.closed_at < now - RETENTION_SWEEP:
                continue
            room = await self.rooms.find_room(session.room_id)
            if room is None or room.retention != "session" or self.current(room.id):
                continue
            await self.store.delete_events_until(room.id, session.closed_at + timedelta(
                seconds=CLOSE_DELIVERY_WAIT))
            await self.broker.forget_room(room.id)

    # State changes -------------------------------------------------------------------------

    async def apply(self, session: SessionRecord, event: SessionEvent, now: datetime,
                    *, minutes: int = 0, by: str | None = None,
                    message: str | None = None) -> SessionRecord | None:
        """Apply one event; None if another process applied a change first. Raises
        IllegalTransition if the session's state does not allow it."""
        room = await self.rooms.find_room(session.room_id)
        if room is None:
            return None
        if event == E.NO_FACILITATOR:
            if not await self.store.set_alerted(session.id):
                return None
            session = replace(session, alerted=True)
            await self._announce(room, session, event, by)
            await self.alerts.raise_alert(kind=NO_FACILITATOR, room_id=room.id,
                                          session_id=session.id,
                                          extra={"session": session.public()})
            return session
        target = transition(S(session.state), event)
        values: dict[str, Any] = {}
        if target == S.LIVE and event != E.EXTEND:
            values["first_seq"] = await self.broker.head(room.id)
        if event == E.EXTEND:
            values["ends_at"] = session.ends_at + timedelta(minutes=minutes)
            values["extended_minutes"] = session.extended_minutes + minutes
        if target == S.CLOSED:
            values["closed_at"] = now
        changed = await self.store.change_state(session.id, session.state, str(target),
                                                **values)
        if changed is None:
            return None
        extra: dict[str, Any] = {}
        if target == S.CLOSED:
            # A session closed before it went live (nobody opened it, or a facilitator called
            # it off from the lobby) was not held: the waiting people are told so, and not
            # asked how a meeting that never happened felt.
            held = session.state in (S.LIVE, S.ENDING)
            extra = {"resources": await self.crisis.current(), "feedback": held,
                     "held": held}
            # The facilitator's closing words, and when the group meets next (each reader
            # shows it in their own time zone).
            if message:
                extra["message"] = message
            upcoming = await self.store.find(room_id=room.id, after=now,
                                             states=["scheduled"], limit=1)
            if upcoming:
                extra["next"] = upcoming[0].public()["starts_at"]
        seq = await self._announce(room, changed, event, by, extra)
        if target == S.CLOSED:
            await self._after_close(room, changed, now)
        await self.rooms.announce({"kind": "session", "session": changed.to_wire(), "seq": seq})
        log.info("session changed", extra={"room": room.id, "session": changed.id,
                                           "state": changed.state, "event": str(event)})
        return changed

    async def _announce(self, room: RoomRecord, session: SessionRecord,
                        event: SessionEvent | str, by: str | None,
                        extra: dict[str, Any] | None = None) -> int:
        ts = now_ms()
        body: dict[str, Any] = {"type": "session", "room": room.id, "ts": ts,
                                "event": str(event), "session": session.public()}
        if by is not None:
            body["by"] = by
        body |= extra or {}
        seq, _ = await self.rooms.publish(room, event_body(body),
                                                EventMeta("session", "", ts))
        return seq

    async def _after_close(self, room: RoomRecord, session: SessionRecord,
                           now: datetime) -> None:
        await self.store.finish_counts(session, now)
        await self.store.end_round(room.id)
        if room.retention == "session":
            await self.events.delete_room_events(room.id)
            await self.broker.forget_room(room.id)

    # Control events from every process -----------------------------------------------------

    def _on_session(self, event: dict[str, Any]) -> None:
        """A session changed on some process (the core's gate has updated its cache): at a
        close, this process's participants leave once the closing event has reached them."""
        session = SessionRecord.from_wire(event["session"])
        if session.state == S.CLOSED:
            self._spawn(self._remove_members(session.room_id, int(event.get("seq", 0))))

    async def _remove_members(self, room_id: str, seq: int) -> None:
        """After the closing event has reached them, participants leave the room."""
        deadline = asyncio.get_running_loop().time() + CLOSE_DELIVERY_WAIT
        # Polled: the hub has no per-room notification, and this runs once per close.
        while (self.rooms.local_last_seq(room_id) < seq  # noqa: ASYNC110
               and asyncio.get_running_loop().time() < deadline):
            await asyncio.sleep(0.05)
        for client, membership in self.rooms.local_members(room_id):
            if membership.is_staff:
                continue
            try:
                await self.rooms.withdraw_at_close(client, room_id)
            except (BackendUnavailable, DatabaseError, OSError):
                pass  # presence lapses by its TTL
            client.offer(encode({"type": "left", "room": room_id, "reason": "session_closed"}))

    # Facilitators' actions -----------------------------------------------------------------

    async def may_run(self, account: AccountRecord, session: SessionRecord) -> bool:
        """Admins, the room's facilitators, and those assigned to this one session."""
        if account.disabled:
            return False
        if account.role == "admin" or session.room_id in account.rooms:
            return True
        return account.id in await self.store.session_facilitators(session.id)

    async def target_session(self, room_id: str, now: datetime) -> SessionRecord | None:
        """The session a facilitator's action in a room is about: the current one, or the
        next one starting soon."""
        current = self.current(room_id)
        if current is not None:
            return current
        upcoming = await self.store.find(room_id=room_id, after=now,
                                         states=["scheduled", "lobby", "live", "ending"],
                                         limit=1)
        room = await self.rooms.find_room(room_id)
        if upcoming and room is not None:
            opens = timing_of(room, upcoming[0]).lobby_opens_at - OPEN_EARLY
            if opens <= now:
                return upcoming[0]
        return None

    async def act(self, account: AccountRecord, session: SessionRecord, action: str,
                  minutes: int | None, now: datetime,
                  message: str | None = None) -> SessionRecord:
        """open | close | extend by a staff member; raises ProtocolError for the caller."""
        if not await self.may_run(account, session):
            raise ProtocolError(ErrorCode.FORBIDDEN)
        event = {"open": E.FACILITATOR_OPEN, "close": E.CLOSE, "extend": E.EXTEND}[action]
        if event == E.EXTEND and not minutes:
            raise ProtocolError(ErrorCode.INVALID_FRAME)
        for _ in range(3):
            try:
                changed = await self.apply(session, event, now, minutes=minutes or 0,
                                           by=account.display_name,
                                           message=(message or "").strip() or None)
            except IllegalTransition:
                raise ProtocolError(ErrorCode.SESSION_STATE) from None
            if changed is not None:
                detail: dict[str, object] = {"session": changed.id, "state": changed.state}
                if event == E.EXTEND:
                    detail["minutes"] = minutes
                await self.staff.audit(actor_id=account.id, actor_name=account.display_name,
                                       action=f"session_{action}", room_id=changed.room_id,
                                       detail=detail)
                return changed
            fresh = await self.store.get(session.id)  # lost a race: try on the new state
            if fresh is None:
                break
            session = fresh
        raise ProtocolError(ErrorCode.SESSION_STATE)

    async def staff_frame(self, client: Client, frame: SessionControl) -> None:
        """The `session` frame: a facilitator opens, closes or extends a room's session."""
        if client.staff is None:
            raise ProtocolError(ErrorCode.FORBIDDEN)
        now = datetime.now(UTC)
        session = await self.target_session(frame.room, now)
        if session is None:
            if await self.rooms.find_room(frame.room) is None:
                raise ProtocolError(ErrorCode.ROOM_NOT_FOUND)
            raise ProtocolError(ErrorCode.NO_SESSION)
        changed = await self.act(client.staff, session, frame.action, frame.minutes, now,
                                 frame.message if frame.action == "close" else None)
        client.offer(encode({"type": "done", "id": frame.id, "room": frame.room,
                             "action": frame.action, "session": changed.public()}))

    async def upcoming(self, rooms: Sequence[str] | None, now: datetime,
                       limit: int = 50) -> list[SessionRecord]:
        return await self.store.find(rooms=rooms, after=now,
                                     states=["scheduled", "lobby", "live", "ending"],
                                     limit=limit)
