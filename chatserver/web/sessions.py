"""Rooms, schedules and sessions over HTTP: the public listing, the admin's configuration and
the facilitators' session controls. Each handler checks role and room; another room's object
answers 404 exactly like a missing one."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatserver.domain import schedules
from chatserver.domain.errors import ProtocolError
from chatserver.features.sessions import SessionService, occurrence_rows
from chatserver.storage.sessions import ScheduleRecord, SessionRecord, iso
from chatserver.storage.staff import OPEN_SESSION_STATES
from chatserver.storage.store import RoomRecord
from chatserver.web.auth import Denied, StaffContext, actor, read_json, require_staff
from chatserver.web.server import Server
from moderation import permissions
from moderation.permissions import Action

LANGS = ("fi", "sv", "en")
ROOM_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
PREVIEW = 5  # next dates shown with a schedule
NO_STORE = {"cache-control": "no-store"}
# What an admin may set on a room, with the check for each value.
_TEXTS = {"names": 80, "descriptions": 500, "target_group": 120, "ground_rules": 4000}


def _chat(request: Request) -> Server:
    chat: Server = request.app.state.server
    return chat


def _texts(body: dict[str, Any], key: str, limit: int) -> dict[str, str]:
    value = body[key]
    if not isinstance(value, dict) or any(
            k not in LANGS or not isinstance(v, str) or len(v) > limit
            for k, v in value.items()):
        raise Denied(400, "invalid_field", field=key)
    return {k: v.strip() for k, v in value.items()}


def _int(body: dict[str, Any], key: str, low: int, high: int) -> int:
    value = body[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Denied(400, "invalid_field", field=key, min=low, max=high)
    return value


def _choice(body: dict[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = body[key]
    if value not in choices:
        raise Denied(400, "invalid_field", field=key, choices=list(choices))
    return str(value)


def room_values(body: dict[str, Any]) -> dict[str, Any]:
    """The room fields present in ``body``, checked; unknown fields are refused."""
    checks: dict[str, Any] = {
        "kind": lambda: _choice(body, "kind", ("guided", "unguided")),
        "access": lambda: _choice(body, "access", ("drop_in", "closed")),
        "capacity": lambda: _int(body, "capacity", 2, 1000),
        "retention": lambda: _choice(body, "retention", ("ephemeral", "session", "days")),
        "retention_days": lambda: (None if body["retention_days"] is None
                                   else _int(body, "retention_days", 1, 3650)),
        "is_open": lambda: _bool(body, "is_open"),
        "position": lambda: _int(body, "position", 0, 10_000),
        "session_mode": lambda: _choice(body, "session_mode", ("always", "sessions")),
        "lobby_minutes": lambda: _int(body, "lobby_minutes", 0, 120),
        "warn_minutes": lambda: _int(body, "warn_minutes", 0, 60),
        "grace_minutes": lambda: _int(body, "grace_minutes", 0, 60),
        "time_zone": lambda: _zone(body),
        "checkin": lambda: _checkin(body),
        **{key: (lambda key=key, limit=limit: _texts(body, key, limit))
           for key, limit in _TEXTS.items()},
    }
    unknown = sorted(set(body) - set(checks) - {"id"})
    if unknown:
        raise Denied(400, "invalid_field", field=unknown[0])
    return {key: check() for key, check in checks.items() if key in body}


def _checkin(body: dict[str, Any]) -> dict[str, Any] | None:
    """{"enabled": bool, "question": {fi, sv, en} or null}, or null: not asked."""
    value = body["checkin"]
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"enabled", "question"} or not isinstance(
            value.get("enabled"), bool):
        raise Denied(400, "invalid_field", field="checkin")
    question = value.get("question")
    if question is not None:
        question = _texts({"checkin.question": question}, "checkin.question", 200)
        if set(question) != set(LANGS) or not all(question.values()):
            raise Denied(400, "invalid_field", field="checkin.question")
    return {"enabled": value["enabled"], "question": question}


def _bool(body: dict[str, Any], key: str) -> bool:
    if not isinstance(body[key], bool):
        raise Denied(400, "invalid_field", field=key)
    return bool(body[key])


def _zone(body: dict[str, Any]) -> str:
    try:
        schedules.zone_of(str(body["time_zone"]))
    except ValueError:
        raise Denied(400, "invalid_field", field="time_zone") from None
    return str(body["time_zone"])


def room_config(room: RoomRecord) -> dict[str, Any]:
    return {"id": room.id, "names": room.names, "descriptions": room.descriptions,
            "kind": room.kind, "access": room.access, "capacity": room.capacity,
            "retention": room.retention, "retention_days": room.retention_days,
            "is_open": room.is_open, "position": room.position,
            "target_group": room.target_group, "ground_rules": room.ground_rules,
            "time_zone": room.time_zone, "session_mode": room.session_mode,
            "lobby_minutes": room.lobby_minutes, "warn_minutes": room.warn_minutes,
            "grace_minutes": room.grace_minutes, "checkin": room.checkin}


async def _rooms_changed(chat: Server) -> None:
    await chat.broker.publish_control(msgspec.json.encode({"kind": "rooms_changed"}))
    await chat.directory.refresh()


async def _audit(chat: Server, ctx: StaffContext, action: str, room: str | None,
                 **detail: Any) -> None:
    await chat.staff.store.audit(actor_id=ctx.account.id, actor_name=ctx.account.display_name,
                                 action=action, room_id=room, detail=detail)


async def _staff_room(request: Request, action: Action | None = None) -> tuple[
        StaffContext, RoomRecord]:
    """The signed-in staff member and the room in the path, if they may see it (404 if not:
    another room answers like a missing one) and take ``action`` there."""
    ctx = await require_staff(request)
    room = await _chat(request).directory.get(request.path_params["room_id"])
    if room is None or not (ctx.account.role == "admin" or room.id in ctx.account.rooms):
        raise Denied(404, "not_found")
    if action is not None and not permissions.may(actor(ctx), action, room.id):
        raise Denied(403, "forbidden")
    return ctx, room


# Rooms ------------------------------------------------------------------------------------


async def create_room(request: Request) -> Response:
    try:
        ctx = await require_staff(request, Action.MANAGE_ROOMS)
        body = await read_json(request)
        room_id = body.get("id")
        if not isinstance(room_id, str) or not ROOM_ID.match(room_id):
            raise Denied(400, "invalid_field", field="id")
        for required in ("names", "kind"):
            if required not in body:
                raise Denied(400, "invalid_field", field=required)
        values = room_values(body)
        values.setdefault("descriptions", {})
        values.setdefault("session_mode", "sessions" if values["kind"] == "guided"
                          else "always")
        if values.get("retention", "days") == "days" and not values.get("retention_days"):
            values["retention_days"] = 30
    except Denied as denied:
        return denied.response()
    chat = _chat(request)
    if not await chat.store.add_room(id=room_id, **values):
        return Denied(409, "exists", field="id").response()
    await _rooms_changed(chat)
    await _audit(chat, ctx, "room_created", room_id)
    room = await chat.directory.get(room_id)
    assert room is not None
    return JSONResponse(room_config(room), status_code=201)


async def get_room(request: Request) -> Response:
    try:
        _, room = await _staff_room(request)
    except Denied as denied:
        return denied.response()
    return JSONResponse(room_config(room), headers=NO_STORE)


async def update_room(request: Request) -> Response:
    try:
        ctx = await require_staff(request, Action.MANAGE_ROOMS)
        room_id = request.path_params["room_id"]
        body = await read_json(request)
        values = room_values({k: v for k, v in body.items() if k != "id"})
    except Denied as denied:
        return denied.response()
    chat = _chat(request)
    if not values or not await chat.sessions.store.update_room(room_id, values):
        return Denied(404 if values else 400, "not_found" if values else "invalid_field")\
            .response()
    await _rooms_changed(chat)
    await _audit(chat, ctx, "room_changed", room_id, keys=sorted(values))
    room = await chat.directory.get(room_id)
    assert room is not None
    return JSONResponse(room_config(room))


# Schedules --------------------------------------------------------------------------------


def schedule_from(body: dict[str, Any], zone: str) -> tuple[schedules.Schedule, list[str]]:
    """A schedule from its JSON form; Denied with the field at fault."""
    try:
        frequency = schedules.Frequency(str(body.get("frequency")))
    except ValueError:
        raise Denied(400, "invalid_field", field="frequency") from None
    try:
        start_date = date.fromisoformat(str(body.get("start_date")))
    except ValueError:
        raise Denied(400, "invalid_field", field="start_date") from None
    raw_time = str(body.get("start_time"))
    if not re.fullmatch(r"\d\d:\d\d", raw_time):
        raise Denied(400, "invalid_field", field="start_time")
    try:
        start_time = time.fromisoformat(raw_time)
        until = date.fromisoformat(body["until"]) if body.get("until") else None
    except ValueError:
        raise Denied(400, "invalid_field", field="start_time/until") from None
    themes = body.get("themes", [])
    if not isinstance(themes, list) or len(themes) > 200 or any(
            not isinstance(t, str) or len(t) > 200 for t in themes):
        raise Denied(400, "invalid_field", field="themes")
    weekdays = body.get("weekdays", [])
    count = body.get("count")
    duration = body.get("duration_minutes")
    if not isinstance(weekdays, list) or (count is not None and not isinstance(count, int)) \
            or not isinstance(duration, int):
        raise Denied(400, "invalid_field", field="weekdays/count/duration_minutes")
    if count is not None and count > 520:
        raise Denied(400, "invalid_field", field="count", max=520)
    try:
        schedule = schedules.Schedule(frequency, start_date, start_time, duration,
                                      tuple(weekdays), until, count, zone)
    except (ValueError, TypeError) as exc:
        raise Denied(400, "invalid_schedule", detail=str(exc)) from None
    return schedule, [t.strip() for t in themes]


def preview(record: ScheduleRecord, now: datetime, count: int = PREVIEW) -> list[dict[str, Any]]:
    rows = occurrence_rows(record, now, days=400)
    upcoming = [r for r in rows if r["starts_at"] >= now][:count]
    return [{"date": r["occurrence"].isoformat(), "starts_at": iso(r["starts_at"]),
             "ends_at": iso(r["ends_at"]), "cancelled": r["state"] == "cancelled",
             "meeting": r["meeting_number"], "theme": r["theme"]} for r in upcoming]


async def list_schedules(request: Request) -> Response:
    try:
        _, room = await _staff_room(request)
    except Denied as denied:
        return denied.response()
    now = datetime.now(UTC)
    found = await _chat(request).sessions.store.schedules(room_id=room.id)
    return JSONResponse([{**r.public(), "next": preview(r, now)} for r in found],
                        headers=NO_STORE)


async def preview_schedule(request: Request) -> Response:
    """The next dates of a schedule before saving it (the admin form's preview)."""
    try:
        await require_staff(request, Action.MANAGE_SCHEDULES)
        body = await read_json(request)
        zone = str(body.get("time_zone") or schedules.DEFAULT_TIME_ZONE)
        schedule, themes = schedule_from(body, zone)
    except Denied as denied:
        return denied.response()
    record = ScheduleRecord(0, "", schedule, (), tuple(themes))
    return JSONResponse({"next": preview(record, datetime.now(UTC), count=10)})


async def create_schedule(request: Request) -> Response:
    try:
        ctx, room = await _staff_room(request, Action.MANAGE_SCHEDULES)
        body = await read_json(request)
        schedule, themes = schedule_from(body, room.time_zone)
    except Denied as denied:
        return denied.response()
    chat = _chat(request)
    schedule_id = await chat.sessions.store.add_schedule(room.id, schedule, themes)
    await chat.sessions.materialise(datetime.now(UTC))
    await _audit(chat, ctx, "schedule_created", room.id, schedule=schedule_id)
    record = (await chat.sessions.store.schedules(schedule_id=schedule_id))[0]
    return JSONResponse({**record.public(), "next": preview(record, datetime.now(UTC))},
                        status_code=201)


async def _schedule(request: Request, ctx: StaffContext) -> ScheduleRecord:
    raw = request.path_params["schedule_id"]
    found = await _chat(request).sessions.store.schedules(schedule_id=int(raw)) \
        if raw.isdigit() and len(raw) < 12 else []
    if not found or not permissions.may(actor(ctx), Action.MANAGE_SCHEDULES, found[0].room_id):
        raise Denied(404, "not_found")
    return found[0]


async def delete_schedule(request: Request) -> Response:
    try:
        ctx = await require_staff(request, Action.MANAGE_SCHEDULES)
        record = await _schedule(request, ctx)
    except Denied as denied:
        return denied.response()
    chat = _chat(request)
    await chat.sessions.store.delete_schedule(record.id)
    await _audit(chat, ctx, "schedule_deleted", record.room_id, schedule=record.id)
    return Response(status_code=204)


async def add_exception(request: Request) -> Response:
    try:
        ctx = await require_staff(request, Action.MANAGE_SCHEDULES)
        record = await _schedule(request, ctx)
        body = await read_json(request)
        try:
            on = date.fromisoformat(str(body.get("date")))
            exception: schedules.ScheduleException
            if body.get("kind") == "cancel":
                exception = schedules.Cancellation(on)
            elif body.get("kind") == "move":
                duration = body.get("duration_minutes")
                exception = schedules.Move(on, datetime.fromisoformat(str(body.get("new_start"))),
                                           duration if isinstance(duration, int) else None)
            else:
                raise Denied(400, "invalid_field", field="kind")
            schedules.check_exceptions(record.schedule, [*record.exceptions, exception])
        except (ValueError, TypeError) as exc:
            raise Denied(400, "invalid_exception", detail=str(exc)) from None
    except Denied as denied:
        return denied.response()
    chat = _chat(request)
    await chat.sessions.store.add_exception(record.id, exception)
    await chat.sessions.materialise(datetime.now(UTC))
    await _audit(chat, ctx, "schedule_exception", record.room_id, schedule=record.id,
                 date=on.isoformat(), kind=str(body.get("kind")))
    fresh = (await chat.sessions.store.schedules(schedule_id=record.id))[0]
    return JSONResponse({**fresh.public(), "next": preview(fresh, datetime.now(UTC))},
                        status_code=201)


# Sessions ---------------------------------------------------------------------------------


async def public_sessions(request: Request) -> Response:
    """Anyone: the room's upcoming sessions (the landing page)."""
    chat = _chat(request)
    room = await chat.directory.get(request.path_params["room_id"])
    if room is None:
        return Denied(404, "not_found").response()
    found = await chat.sessions.upcoming([room.id], datetime.now(UTC), limit=20)
    return JSONResponse([s.public() for s in found], headers={"cache-control": "no-cache"})


async def create_session(request: Request) -> Response:
    """A one-off session: {start: local "YYYY-MM-DDTHH:MM", duration_minutes, theme?}."""
    try:
        ctx, room = await _staff_room(request, Action.MANAGE_SCHEDULES)
        body = await read_json(request)
        try:
            once = schedules.Schedule.one_off(datetime.fromisoformat(str(body.get("start"))),
                                              body.get("duration_minutes"),  # type: ignore[arg-type]
                                              time_zone=room.time_zone)
        except (ValueError, TypeError) as exc:
            raise Denied(400, "invalid_schedule", detail=str(exc)) from None
        theme = body.get("theme")
        if theme is not None and (not isinstance(theme, str) or len(theme) > 200):
            raise Denied(400, "invalid_field", field="theme")
    except Denied as denied:
        return denied.response()
    occ = schedules.occurrences(once, [], datetime(1970, 1, 1, tzinfo=UTC),
                                datetime(9999, 1, 1, tzinfo=UTC))[0]
    chat = _chat(request)
    session = await chat.sessions.store.add_session(room.id, occ.start_utc, occ.end_utc, theme)
    await _audit(chat, ctx, "session_created", room.id, session=session.id)
    return JSONResponse(session.staff(), status_code=201)


async def _staff_rooms(ctx: StaffContext, chat: Server) -> list[str] | None:
    return None if ctx.account.role == "admin" else sorted(ctx.account.rooms)


async def list_sessions(request: Request) -> Response:
    """Staff: sessions of their rooms (?room=, ?from=, ?to= as ISO instants)."""
    try:
        ctx = await require_staff(request)
        chat = _chat(request)
        rooms = await _staff_rooms(ctx, chat)
        room = request.query_params.get("room")
        if room is not None:
            if rooms is not None and room not in rooms:
                raise Denied(404, "not_found")
            rooms = [room]
        after, before = _period(request)
    except Denied as denied:
        return denied.response()
    found = await chat.sessions.store.find(rooms=rooms, after=after, before=before, limit=500)
    return JSONResponse([s.staff() for s in found], headers=NO_STORE)


def _period(request: Request) -> tuple[datetime | None, datetime | None]:
    """The `from` and `to` query parameters (ISO instants), or 400 invalid_field."""
    try:
        return (_instant(request.query_params.get("from")),
                _instant(request.query_params.get("to")))
    except ValueError:
        raise Denied(400, "invalid_field", field="from/to") from None


def _instant(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def my_sessions(request: Request) -> Response:
    """A facilitator's upcoming sessions: their rooms' and the ones assigned to them."""
    try:
        ctx = await require_staff(request)
    except Denied as denied:
        return denied.response()
    found = await _mine(_chat(request).sessions, ctx, datetime.now(UTC))
    return JSONResponse([s.staff() for s in found], headers=NO_STORE)


async def _mine(service: SessionService, ctx: StaffContext, now: datetime) -> list[SessionRecord]:
    rooms = await service.upcoming(sorted(ctx.account.rooms), now, limit=200)
    single = set(await service.store.sessions_of_facilitator(ctx.account.id))
    extra = [s for s in await service.upcoming(None, now, limit=1000) if s.id in single]
    return sorted({s.id: s for s in [*rooms, *extra]}.values(), key=lambda s: s.starts_at)


async def _session(request: Request, ctx: StaffContext) -> SessionRecord:
    """The session in the path if the caller may run it; 404 otherwise."""
    raw = request.path_params["session_id"]
    service = _chat(request).sessions
    session = await service.store.get(int(raw)) if raw.isdigit() and len(raw) < 12 else None
    if session is None or not await service.may_run(ctx.account, session):
        raise Denied(404, "not_found")
    return session


async def session_action(request: Request) -> Response:
    """POST /api/sessions/{id}/open|close|extend ({minutes} to extend)."""
    action = request.url.path.rsplit("/", 1)[1]
    try:
        ctx = await require_staff(request)
        session = await _session(request, ctx)
        minutes, message = None, None
        if action == "extend":
            body = await read_json(request)
            minutes = _int(body, "minutes", 1, 120) if "minutes" in body else None
            if minutes is None:
                raise Denied(400, "invalid_field", field="minutes")
        if action == "close" and request.headers.get("content-length", "0") != "0":
            message = (await read_json(request)).get("message")
            if message is not None and (not isinstance(message, str) or len(message) > 500):
                raise Denied(400, "invalid_field", field="message")
        changed = await _chat(request).sessions.act(ctx.account, session, action, minutes,
                                                    datetime.now(UTC), message)
    except Denied as denied:
        return denied.response()
    except ProtocolError as exc:
        return Denied(409, exc.code.value).response()
    return JSONResponse(changed.staff())


async def set_facilitators(request: Request) -> Response:
    """Admin: facilitators for this one session (a pair: two ids)."""
    try:
        ctx = await require_staff(request, Action.MANAGE_SCHEDULES)
        session = await _session(request, ctx)
        body = await read_json(request)
        accounts = body.get("accounts")
        if not isinstance(accounts, list) or len(accounts) > 4 or any(
                not isinstance(a, str) for a in accounts):
            raise Denied(400, "invalid_field", field="accounts")
        chat = _chat(request)
        known = {a.id for a in await chat.staff.store.all()}
        if not set(accounts) <= known:
            raise Denied(400, "invalid_field", field="accounts")
    except Denied as denied:
        return denied.response()
    before = set(await chat.sessions.store.session_facilitators(session.id))
    await chat.sessions.store.set_session_facilitators(session.id, accounts)
    if session.state in OPEN_SESSION_STATES:  # an open session's room is theirs now, or not
        for account in before ^ set(accounts):
            await chat.broker.publish_control(msgspec.json.encode(
                {"kind": "staff_changed", "account": account}))
    await _audit(chat, ctx, "session_facilitators", session.room_id, session=session.id,
                 accounts=sorted(accounts))
    return JSONResponse({"session": session.id,
                         "accounts": await chat.sessions.store.session_facilitators(session.id)})


async def calendar(request: Request) -> Response:
    """Staff: their upcoming sessions as iCalendar."""
    try:
        ctx = await require_staff(request)
    except Denied as denied:
        return denied.response()
    chat = _chat(request)
    now = datetime.now(UTC)
    found = (await _mine(chat.sessions, ctx, now) if ctx.account.role != "admin"
             else await chat.sessions.upcoming(None, now, limit=1000))
    host = request.url.hostname or "chatserver"
    events = []
    for s in found:
        room = await chat.directory.get(s.room_id)
        name = (room.names.get("fi") or room.id) if room else s.room_id
        summary = f"{name}: {s.theme}" if s.theme else name
        events.append(schedules.CalendarEvent(f"session-{s.id}@{host}", s.starts_at, s.ends_at,
                                              summary, cancelled=s.state == "cancelled"))
    body = schedules.to_ics(events, "Vertaistuki", dtstamp=now.replace(microsecond=0))
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={**NO_STORE,
                             "content-disposition": 'attachment; filename="sessions.ics"'})


ROUTES = [
    Route("/api/rooms", create_room, methods=["POST"]),
    Route("/api/rooms/{room_id}", get_room, methods=["GET"]),
    Route("/api/rooms/{room_id}", update_room, methods=["PATCH"]),
    Route("/api/rooms/{room_id}/schedules", list_schedules, methods=["GET"]),
    Route("/api/rooms/{room_id}/schedules", create_schedule, methods=["POST"]),
    Route("/api/rooms/{room_id}/sessions", public_sessions, methods=["GET"]),
    Route("/api/rooms/{room_id}/sessions", create_session, methods=["POST"]),
    Route("/api/schedules/preview", preview_schedule, methods=["POST"]),
    Route("/api/schedules/{schedule_id}", delete_schedule, methods=["DELETE"]),
    Route("/api/schedules/{schedule_id}/exceptions", add_exception, methods=["POST"]),
    Route("/api/sessions", list_sessions, methods=["GET"]),
    Route("/api/sessions/mine", my_sessions, methods=["GET"]),
    Route("/api/sessions.ics", calendar, methods=["GET"]),
    *[Route(f"/api/sessions/{{session_id}}/{action}", session_action, methods=["POST"])
      for action in ("open", "close", "extend")],
    Route("/api/sessions/{session_id}/facilitators", set_facilitators, methods=["PUT"]),
]
