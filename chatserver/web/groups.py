"""Closed groups' invite codes, feedback and statistics, and facilitators' debriefs over HTTP.
Figures and feedback carry no identities."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatserver.domain.schedules import DEFAULT_TIME_ZONE, zone_of
from chatserver.features.groups import new_code
from chatserver.storage.sessions import iso
from chatserver.web.auth import Denied, read_json, require_staff
from chatserver.web.sessions import NO_STORE, _audit, _chat, _int, _period, _session, _staff_room
from moderation.permissions import Action

MAX_CODES = 50
DEBRIEF_CHARS = 4000


async def create_invites(request: Request) -> Response:
    """Single-use codes for a closed group, shown once: only their hashes are kept."""
    try:
        ctx, room = await _staff_room(request, Action.OPEN_SESSION)
        if room.access != "closed":
            raise Denied(400, "not_closed_group")
        body = await read_json(request)
        count = _int(body, "count", 1, MAX_CODES) if "count" in body else 1
        days = _int(body, "days", 1, 90) if "days" in body else 30
    except Denied as denied:
        return denied.response()
    chat = _chat(request)
    expires = datetime.now(UTC) + timedelta(days=days)
    codes = [new_code() for _ in range(count)]
    for code in codes:
        await chat.sessions.store.add_invite(room.id, code, ctx.account.id, expires)
    await _audit(chat, ctx, "invites_created", room.id, count=count)
    return JSONResponse({"room": room.id, "codes": codes, "expires_at": iso(expires)},
                        status_code=201, headers=NO_STORE)


async def invite_counts(request: Request) -> Response:
    try:
        _, room = await _staff_room(request, Action.OPEN_SESSION)
    except Denied as denied:
        return denied.response()
    store = _chat(request).sessions.store
    return JSONResponse({**await store.invites(room.id),
                         "members": await store.group_size(room.id)}, headers=NO_STORE)


async def roster(request: Request) -> Response:
    """A closed group's members for its facilitators: the pseudonym each keeps in the group,
    since when, and which meetings they attended. Never an identity."""
    try:
        _, room = await _staff_room(request, Action.OPEN_SESSION)
    except Denied as denied:
        return denied.response()
    server = _chat(request)
    store = server.sessions.store
    attended = await store.attendance(room.id)
    members = [{"member": (member := server.chat.identities.member(identity, room.id)),
                "name": name, "joined_at": iso(joined), "attended": attended.get(member, [])}
               for identity, name, joined in await store.group_members(room.id)]
    meetings = [{"id": s.id, "starts_at": iso(s.starts_at), "meeting": s.meeting_number,
                 "state": s.state}
                for s in await store.find(room_id=room.id, limit=500)]
    return JSONResponse({"room": room.id, "members": members,
                         "meetings": sorted(meetings, key=lambda m: m["starts_at"])},
                        headers=NO_STORE)


async def remove_member(request: Request) -> Response:
    """A facilitator takes someone out of the closed group: they can no longer join it, are
    taken out of the room now if they are there, and their attendance there is forgotten."""
    try:
        ctx, room = await _staff_room(request, Action.KICK)
        server = _chat(request)
        member = request.path_params["member"]
        found = [identity for identity, _, _ in await server.sessions.store.group_members(room.id)
                 if server.chat.identities.member(identity, room.id) == member]
        if not found:
            raise Denied(404, "not_found")
        await server.sessions.store.remove_group_member(room.id, found[0], member)
        await server.chat.announce({"kind": "sanction", "room": room.id, "member": member,
                                    "sanction": "kick", "reason": None, "until": None})
        await _audit(server, ctx, "group_member_removed", room.id, member=member)
    except Denied as denied:
        return denied.response()
    return Response(status_code=204)


async def statistics(request: Request) -> Response:
    """What an association reports to its funder, per room: no identities."""
    try:
        await require_staff(request, Action.VIEW_STATS)
        after, before = _period(request)
    except Denied as denied:
        return denied.response()
    chat = _chat(request)
    store = chat.sessions.store
    held = await store.find(after=after, before=before, states=["closed"], limit=100_000)
    ratings = await store.feedback()
    rows: dict[str, dict[str, Any]] = {}
    for room in await chat.directory.all():
        rows[room.id] = {"room": room.id, "sessions_held": 0, "participants": 0,
                         "messages": 0, "reports": 0, "crisis_alerts": 0, "feedback": 0,
                         "rating": None}
    held_ids = {s.id for s in held}
    for s in held:
        row = rows.setdefault(s.room_id, {"room": s.room_id, "sessions_held": 0,
                                          "participants": 0, "messages": 0, "reports": 0,
                                          "crisis_alerts": 0, "feedback": 0, "rating": None})
        row["sessions_held"] += 1
        row["participants"] += s.attendance
        row["messages"] += s.messages
        row["crisis_alerts"] += s.alerts
        row["reports"] += await store.reports_between(s.room_id, s.starts_at,
                                                      s.closed_at or s.ends_at)
    # Always-open groups have no sessions to sum: their figures come from the period itself.
    for room in await chat.directory.all():
        if not room.has_sessions:
            rows[room.id].update(await store.activity(room.id, after, before))
    for room_id, row in rows.items():
        given = [f["rating"] for f in ratings if f["room"] == room_id
                 and f["session"] in held_ids]
        row["feedback"] = len(given)
        row["rating"] = round(sum(given) / len(given), 2) if given else None
    return JSONResponse(list(rows.values()), headers=NO_STORE)


async def _feedback(request: Request) -> list[dict[str, Any]]:
    """The feedback of sessions that started in the `from`/`to` period (ISO instants), of
    one room with `room`; each is {room, session, session_start, rating, text}."""
    await require_staff(request, Action.VIEW_FEEDBACK)
    after, before = _period(request)
    room = request.query_params.get("room")
    return await _chat(request).sessions.store.feedback([room] if room else None,
                                                        after=after, before=before)


async def feedback_summary(request: Request) -> Response:
    try:
        found = await _feedback(request)
    except Denied as denied:
        return denied.response()
    by_session: dict[int, dict[str, Any]] = {}
    for f in found:
        row = by_session.setdefault(f["session"], {
            "session": f["session"], "room": f["room"], "starts_at": f["session_start"],
            "count": 0, "rating": 0.0, "ratings": {str(n): 0 for n in range(1, 6)},
            "texts": []})
        row["count"] += 1
        row["rating"] += f["rating"]
        row["ratings"][str(f["rating"])] += 1
        if f["text"]:
            row["texts"].append(f["text"])
    for row in by_session.values():
        row["rating"] = round(row["rating"] / row["count"], 2)
    return JSONResponse(list(by_session.values()), headers=NO_STORE)


async def feedback_csv(request: Request) -> Response:
    try:
        found = await _feedback(request)
    except Denied as denied:
        return denied.response()
    # What an admin reads in a spreadsheet: the group's name in their language and the
    # session's start on the group's own wall clock (with its offset, so it is exact).
    lang = request.query_params.get("lang", "fi")
    rooms = {r.id: r for r in await _chat(request).directory.all()}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group", "room", "session", "session_start", "rating", "text"])
    for f in found:
        room = rooms.get(f["room"])
        name = (room.names.get(lang) or room.names.get("fi") or room.id) if room else f["room"]
        start = datetime.fromisoformat(f["session_start"].replace("Z", "+00:00"))
        local = start.astimezone(zone_of(room.time_zone if room else DEFAULT_TIME_ZONE))
        writer.writerow([_csv_safe(name), f["room"], f["session"],
                         local.isoformat(timespec="minutes"), f["rating"],
                         _csv_safe(f["text"])])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={**NO_STORE,
                             "content-disposition": 'attachment; filename="feedback.csv"'})


def _csv_safe(text: str) -> str:
    """A spreadsheet runs a cell that starts with = + - @ as a formula: quote it as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


async def add_debrief(request: Request) -> Response:
    try:
        ctx = await require_staff(request)
        session = await _session(request, ctx)
        if session.state != "closed":
            raise Denied(409, "session_state")
        body = await read_json(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > DEBRIEF_CHARS:
            raise Denied(400, "invalid_field", field="text", max=DEBRIEF_CHARS)
    except Denied as denied:
        return denied.response()
    chat = _chat(request)
    saved = await chat.sessions.store.add_debrief(session.id, ctx.account.id,
                                                  ctx.account.display_name, text.strip())
    await _audit(chat, ctx, "debrief", session.room_id, session=session.id)
    return JSONResponse(saved, status_code=201)


async def list_debriefs(request: Request) -> Response:
    try:
        ctx = await require_staff(request)
        session = await _session(request, ctx)
    except Denied as denied:
        return denied.response()
    return JSONResponse(await _chat(request).sessions.store.debriefs(session.id),
                        headers=NO_STORE)


ROUTES = [
    Route("/api/rooms/{room_id}/invites", create_invites, methods=["POST"]),
    Route("/api/rooms/{room_id}/invites", invite_counts, methods=["GET"]),
    Route("/api/rooms/{room_id}/roster", roster, methods=["GET"]),
    Route("/api/rooms/{room_id}/members/{member}", remove_member, methods=["DELETE"]),
    Route("/api/stats", statistics, methods=["GET"]),
    Route("/api/feedback", feedback_summary, methods=["GET"]),
    Route("/api/feedback.csv", feedback_csv, methods=["GET"]),
    Route("/api/sessions/{session_id}/debrief", add_debrief, methods=["POST"]),
    Route("/api/sessions/{session_id}/debriefs", list_debriefs, methods=["GET"]),
]
