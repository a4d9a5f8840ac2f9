"""The OpenAPI description of the HTTP API, served at /api/openapi.json.

Written as a table, one row per operation, beside the routes; tests/test_openapi.py checks
that the table and the app's routes list the same operations, so the description stays true
when an endpoint is added or removed. docs/http-api.md has the prose.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

ANYONE, STAFF, ADMIN = "anyone", "staff", "admin"
ROOM_STAFF = "admin, or a facilitator of the room"
SESSION_STAFF = "admin, the room's facilitators, or the session's own facilitators"
SUPPORTER = "admin, or a facilitator with the one-to-one permission"

_TEXTS = {"type": "object", "additionalProperties": {"type": "string"},
          "description": "text per UI language: fi, sv, en"}
ROOM_BODY = {"type": "object", "properties": {
    "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,63}$"},
    "names": _TEXTS, "descriptions": _TEXTS, "target_group": _TEXTS, "ground_rules": _TEXTS,
    "kind": {"enum": ["guided", "unguided"]}, "access": {"enum": ["drop_in", "closed"]},
    "capacity": {"type": "integer", "minimum": 2, "maximum": 1000},
    "retention": {"enum": ["ephemeral", "session", "days"]},
    "retention_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 3650},
    "is_open": {"type": "boolean"}, "position": {"type": "integer"},
    "time_zone": {"type": "string", "default": "Europe/Helsinki"},
    "session_mode": {"enum": ["always", "sessions"]},
    "lobby_minutes": {"type": "integer", "minimum": 0, "maximum": 120},
    "warn_minutes": {"type": "integer", "minimum": 0, "maximum": 60},
    "grace_minutes": {"type": "integer", "minimum": 0, "maximum": 60},
    "checkin": {"type": ["object", "null"], "description":
                "the anonymous check-in and check-out of guided sessions",
                "properties": {"enabled": {"type": "boolean"}, "question": _TEXTS}}}}
SCHEDULE_BODY = {"type": "object", "required": ["frequency", "start_date", "start_time",
                                                "duration_minutes"], "properties": {
    "frequency": {"enum": ["once", "daily", "weekly"]},
    "start_date": {"type": "string", "format": "date"},
    "start_time": {"type": "string", "pattern": "^\\d\\d:\\d\\d$",
                   "description": "local wall-clock time in the room's zone"},
    "duration_minutes": {"type": "integer", "minimum": 1, "maximum": 1440},
    "weekdays": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}},
    "until": {"type": "string", "format": "date"}, "count": {"type": "integer", "minimum": 1},
    "themes": {"type": "array", "items": {"type": "string", "maxLength": 200}}}}
SESSION = {"type": "object", "properties": {
    "id": {"type": "integer"}, "room": {"type": "string"},
    "state": {"enum": ["scheduled", "lobby", "live", "ending", "closed", "cancelled"]},
    "starts_at": {"type": "string", "format": "date-time"},
    "ends_at": {"type": "string", "format": "date-time"},
    "theme": {"type": ["string", "null"]}, "meeting": {"type": ["integer", "null"]}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


# method, path, who, summary, request body schema (or None)
OPERATIONS: list[tuple[str, str, str, str, dict[str, Any] | None]] = [
    ("GET", "/api/openapi.json", ANYONE, "This description", None),
    ("GET", "/api/rooms", ANYONE, "Rooms for the landing page, with their current session",
     None),
    ("POST", "/api/rooms", ADMIN, "Create a room", ROOM_BODY),
    ("GET", "/api/rooms/{room_id}", ROOM_STAFF, "A room's whole configuration", None),
    ("PATCH", "/api/rooms/{room_id}", ADMIN, "Change a room", ROOM_BODY),
    ("GET", "/api/rooms/{room_id}/sessions", ANYONE, "The room's upcoming sessions", None),
    ("POST", "/api/rooms/{room_id}/sessions", ADMIN, "A one-off session",
     {"type": "object", "required": ["start", "duration_minutes"], "properties": {
         "start": {"type": "string", "description": "local YYYY-MM-DDTHH:MM"},
         "duration_minutes": {"type": "integer"}, "theme": {"type": "string"}}}),
    ("GET", "/api/rooms/{room_id}/schedules", ROOM_STAFF, "Schedules with their next dates",
     None),
    ("POST", "/api/rooms/{room_id}/schedules", ADMIN, "Add a schedule", SCHEDULE_BODY),
    ("POST", "/api/schedules/preview", ADMIN, "The next dates of a schedule, unsaved",
     SCHEDULE_BODY),
    ("DELETE", "/api/schedules/{schedule_id}", ADMIN,
     "Remove a schedule and its sessions not started", None),
    ("POST", "/api/schedules/{schedule_id}/exceptions", ADMIN, "Cancel or move one date",
     {"type": "object", "required": ["date", "kind"], "properties": {
         "date": {"type": "string", "format": "date"}, "kind": {"enum": ["cancel", "move"]},
         "new_start": {"type": "string"}, "duration_minutes": {"type": "integer"}}}),
    ("GET", "/api/sessions", STAFF, "Sessions of my rooms, with their figures", None),
    ("GET", "/api/sessions/mine", STAFF, "My upcoming sessions", None),
    ("GET", "/api/sessions.ics", STAFF, "My upcoming sessions as iCalendar", None),
    ("POST", "/api/sessions/{session_id}/open", SESSION_STAFF, "Open (go live)", None),
    ("POST", "/api/sessions/{session_id}/close", SESSION_STAFF, "Close now",
     {"type": "object", "properties": {"message": {"type": "string", "maxLength": 500}}}),
    ("POST", "/api/sessions/{session_id}/extend", SESSION_STAFF, "Extend",
     {"type": "object", "required": ["minutes"],
      "properties": {"minutes": {"type": "integer", "minimum": 1, "maximum": 120}}}),
    ("PUT", "/api/sessions/{session_id}/facilitators", ADMIN,
     "Facilitators of this one session (a pair allowed)",
     {"type": "object", "properties": {"accounts": {"type": "array",
                                                    "items": {"type": "string"}}}}),
    ("POST", "/api/sessions/{session_id}/debrief", SESSION_STAFF,
     "A debrief after the close (staff only)",
     {"type": "object", "properties": {"text": {"type": "string", "maxLength": 4000}}}),
    ("GET", "/api/sessions/{session_id}/debriefs", SESSION_STAFF, "The session's debriefs",
     None),
    ("POST", "/api/rooms/{room_id}/invites", ROOM_STAFF,
     "Single-use invite codes for a closed group (shown once)",
     {"type": "object", "properties": {"count": {"type": "integer", "maximum": 50},
                                       "days": {"type": "integer", "maximum": 90}}}),
    ("GET", "/api/rooms/{room_id}/invites", ROOM_STAFF, "Invite and member counts", None),
    ("GET", "/api/rooms/{room_id}/roster", ROOM_STAFF,
     "A closed group's members: group pseudonyms and meetings attended", None),
    ("DELETE", "/api/rooms/{room_id}/members/{member}", ROOM_STAFF,
     "Take a member out of a closed group", None),
    ("GET", "/api/stats", ADMIN, "Per-room figures for funders, no identities", None),
    ("GET", "/api/feedback", ADMIN, "Feedback per session, with the ratings 1-5 counted", None),
    ("GET", "/api/feedback.csv", ADMIN, "The feedback as CSV (?from=, ?to=, ?room=)", None),
    ("GET", "/api/impact", STAFF,
     "The funder's report per group (admins: all; facilitators: their groups); figures from "
     "fewer than 5 answers read fewer_than_5", None),
    ("GET", "/api/impact.csv", STAFF, "The same report as CSV", None),
    ("GET", "/api/crisis-resources", ANYONE, "Crisis resources per language", None),
    ("PUT", "/api/crisis-resources", ADMIN, "Replace the crisis resources",
     {"type": "object"}),
    ("GET", "/api/rooms/{room_id}/filters", ADMIN, "A room's automated-safety settings", None),
    ("PUT", "/api/rooms/{room_id}/filters", ADMIN, "Change them", {"type": "object"}),
    ("POST", "/api/auth/login", ANYONE, "Sign in (staff)", {"type": "object", "properties": {
        "username": {"type": "string"}, "password": {"type": "string"}}}),
    ("POST", "/api/auth/logout", STAFF, "Sign out", None),
    ("GET", "/api/auth/me", STAFF, "Who am I, and the CSRF token", None),
    ("POST", "/api/auth/password", STAFF, "Change my password", {"type": "object"}),
    ("GET", "/api/staff", ADMIN, "Staff accounts", None),
    ("POST", "/api/staff", ADMIN, "Create a staff account", {"type": "object"}),
    ("PATCH", "/api/staff/{account_id}", ADMIN, "Disable, or assign rooms",
     {"type": "object"}),
    ("GET", "/api/audit", ADMIN, "The audit log", None),
    ("GET", "/api/reports", STAFF, "Open reports of my rooms", None),
    ("POST", "/api/reports/{report_id}/resolve", ROOM_STAFF, "Resolve a report",
     {"type": "object"}),
    ("GET", "/api/held", STAFF, "Messages waiting for approval in my rooms", None),
    ("GET", "/api/alerts", STAFF,
     "The alert inbox: unresolved alerts of my rooms and those resolved in the last day",
     None),
    ("GET", "/api/one-to-one", ANYONE, "Whether one-to-one support is open, and when next",
     None),
    ("GET", "/api/one-to-one/settings", ADMIN, "One-to-one support settings", None),
    ("PUT", "/api/one-to-one/settings", ADMIN, "Change them", {"type": "object"}),
    ("GET", "/api/one-to-one/stats", ADMIN, "One-to-one figures, no identities", None),
    ("GET", "/api/one-to-one/supporters", SUPPORTER,
     "Supporters available now (for a handover)", None),
    ("POST", "/api/erase", ADMIN,
     "A person's request to erase their data, by the member id they have in a room",
     {"type": "object", "required": ["room", "member"], "properties": {
         "room": {"type": "string"}, "member": {"type": "string"}}}),
]


# The answers of each operation beyond what its row implies (see `answers`): a created
# thing, nothing to send back, a conflict with the current state, a limit, a backend away.
EXTRA_ANSWERS: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/api/rooms"): {"201": "created", "409": "exists (the id is taken)"},
    ("POST", "/api/rooms/{room_id}/sessions"): {"201": "created"},
    ("POST", "/api/rooms/{room_id}/schedules"): {"201": "created"},
    ("POST", "/api/schedules/{schedule_id}/exceptions"): {"201": "created"},
    ("DELETE", "/api/schedules/{schedule_id}"): {"204": "removed"},
    ("POST", "/api/sessions/{session_id}/open"): {"409": "session_state"},
    ("POST", "/api/sessions/{session_id}/close"): {"409": "session_state"},
    ("POST", "/api/sessions/{session_id}/extend"): {"409": "session_state"},
    ("POST", "/api/sessions/{session_id}/debrief"): {
        "201": "saved", "409": "session_state (not closed yet)"},
    ("POST", "/api/rooms/{room_id}/invites"): {"201": "the codes, shown once"},
    ("DELETE", "/api/rooms/{room_id}/members/{member}"): {"204": "removed"},
    ("POST", "/api/staff"): {"201": "created"},
    ("GET", "/api/sessions"): {"400": "invalid_field (from/to)", "404": "not_found (?room=)"},
    ("GET", "/api/stats"): {"400": "invalid_field (from/to)"},
    ("GET", "/api/feedback"): {"400": "invalid_field (from/to)"},
    ("GET", "/api/feedback.csv"): {"400": "invalid_field (from/to)"},
    ("GET", "/api/one-to-one/stats"): {"400": "invalid_field (since/until)"},
    ("POST", "/api/erase"): {"404": "not_found (no one has that member id there)"},
    ("GET", "/api/impact"): {"400": "invalid_field (from/to)", "404": "not_found (?room=)"},
    ("GET", "/api/impact.csv"): {"400": "invalid_field (from/to)", "404": "not_found (?room=)"},
    ("POST", "/api/auth/login"): {
        "401": "invalid_credentials (whether the account exists is not said)",
        "429": "too_many_attempts (retry_after in seconds)",
        "503": "unavailable (the database is away; nothing was checked)"},
}


def answers(method: str, path: str, who: str, body: dict[str, Any] | None) -> dict[str, Any]:
    """What an operation may answer: the success, and the errors its row implies (a body can
    be refused, a signed-in role can be required, a path can name something that does not
    exist), plus `EXTRA_ANSWERS`. tests/conftest.py checks every answer the suite sees."""
    # Any request may be refused for control characters in its path or query (and a body
    # for those or for its fields): 400 invalid_field.
    out: dict[str, str] = {"200": "done", "400": (
        "bad_json or invalid_field (`field` names it; also control characters anywhere)"),
        "503": "unavailable (the database or Redis is away; Retry-After says when to try "
               "again)"}
    if who != ANYONE:
        out["401"] = "not_signed_in"
        out["403"] = "forbidden, or csrf_failed (a change without the X-CSRF-Token header)"
    if "{" in path:
        out["404"] = "not_found (also another room's object: ids reveal nothing)"
    extra = EXTRA_ANSWERS.get((method, path), {})
    if any(code in extra for code in ("201", "204")):
        del out["200"]
    out.update(extra)
    return {code: {"description": text} for code, text in sorted(out.items())}


def document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, who, summary, body in OPERATIONS:
        operation: dict[str, Any] = {
            "summary": summary, "description": f"Who may: {who}.",
            "responses": answers(method, path, who, body)}
        params = re.findall(r"{(\w+)}", path)
        if params:
            operation["parameters"] = [{"name": p, "in": "path", "required": True,
                                        "schema": {"type": "string"}} for p in params]
        if body is not None:
            operation["requestBody"] = _body(body)
        if who != ANYONE:
            operation["security"] = [{"staffCookie": []}]
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Peer-support chat server", "version": "1"},
        "components": {
            "securitySchemes": {"staffCookie": {"type": "apiKey", "in": "cookie",
                                                "name": "chat_staff"}},
            "schemas": {"Session": SESSION, "Room": ROOM_BODY, "Schedule": SCHEDULE_BODY}},
        "paths": paths,
    }


async def openapi_json(request: Request) -> Response:
    return JSONResponse(document(), headers={"cache-control": "no-cache"})
