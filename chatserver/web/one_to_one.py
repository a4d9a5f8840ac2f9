"""One-to-one support over HTTP: what a participant sees before asking (questions, hours),
the admins' settings (questions, opening hours, who may support) and anonymous statistics."""

from __future__ import annotations

from datetime import date
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatserver.domain import queueing
from chatserver.features.one_to_one.settings import SETTINGS_KEY
from chatserver.web.auth import Denied, read_json, require_staff
from chatserver.web.server import Server
from moderation.permissions import Action


def _chat(request: Request) -> Server:
    chat: Server = request.app.state.server
    return chat


async def get_public(request: Request) -> Response:
    """Public: the pre-chat questions, whether the queue is open and when it opens next."""
    chat = _chat(request)
    settings = await chat.one_to_one.config.current()
    opening = await chat.one_to_one.config.opening()
    # Honest before anyone queues: within opening hours, is any supporter on duty right now?
    on_duty = [s for s in await chat.one_to_one.available_supporters() if s["capacity"] > 0]
    return JSONResponse({
        "open": opening.open,
        "supporters_available": len(on_duty),
        "next_open": opening.next_open.isoformat() if opening.next_open else None,
        "questions": settings.get("questions", []),
        "resources": await chat.crisis.current(),
    }, headers={"cache-control": "no-cache"})


async def get_settings(request: Request) -> Response:
    try:
        await require_staff(request, Action.MANAGE_ROOMS)
    except Denied as denied:
        return denied.response()
    settings = await _chat(request).one_to_one.config.current()
    return JSONResponse({"questions": settings.get("questions", []),
                         "hours": settings.get("hours", []),
                         "supporters": settings.get("supporters", [])},
                        headers={"cache-control": "no-store"})


async def put_settings(request: Request) -> Response:
    """Replace the fields given: ``questions``, ``hours`` (empty: always open) and
    ``supporters`` (the facilitators' account ids who may give one-to-one support)."""
    try:
        ctx = await require_staff(request, Action.MANAGE_ROOMS)
        body = await read_json(request)
        chat = _chat(request)
        current = dict(await chat.one_to_one.config.current())
        if "questions" in body:
            current["questions"] = queueing.validate_questions(body["questions"])
        if "hours" in body:
            queueing.parse_hours(body["hours"])
            current["hours"] = body["hours"] or []
        if "supporters" in body:
            await require_staff(request, Action.MANAGE_STAFF)
            current["supporters"] = await _supporters(chat, body["supporters"])
    except Denied as denied:
        return denied.response()
    except queueing.QuestionsError as exc:
        return Denied(400, "invalid_field", field="questions", detail=str(exc)).response()
    except queueing.HoursError as exc:
        return Denied(400, "invalid_field", field="hours", detail=str(exc)).response()
    await chat.store.set_app_setting(SETTINGS_KEY, current)
    await chat.broker.publish_control(msgspec.json.encode({"kind": "oo_settings"}))
    await chat.staff.store.audit(actor_id=ctx.account.id, actor_name=ctx.account.display_name,
                                 action="one_to_one_settings",
                                 detail={"fields": sorted(k for k in body if k in current)})
    return JSONResponse({"questions": current.get("questions", []),
                         "hours": current.get("hours", []),
                         "supporters": current.get("supporters", [])})


async def get_supporters(request: Request) -> Response:
    """Supporters only: who is available now, with their capacity and load, so that a
    conversation can be handed to one of them."""
    try:
        ctx = await require_staff(request)
        chat = _chat(request)
        if not await chat.one_to_one.config.may_support(ctx.account):
            raise Denied(403, "forbidden")
    except Denied as denied:
        return denied.response()
    return JSONResponse(await chat.one_to_one.available_supporters(),
                        headers={"cache-control": "no-store"})


async def _supporters(chat: Server, raw: Any) -> list[str]:
    if not isinstance(raw, list) or len(raw) > 500:
        raise Denied(400, "invalid_field", field="supporters")
    out = []
    for account_id in raw:
        account = await chat.staff.store.by_id(account_id) if isinstance(account_id, str) \
            else None
        if account is None:
            raise Denied(400, "invalid_field", field="supporters")
        out.append(account.id)
    return sorted(set(out))


def _day(raw: str | None, field: str) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Denied(400, "invalid_field", field=field) from None


async def get_stats(request: Request) -> Response:
    """Conversations, waits (median, 90th percentile), abandoned requests, per hour of the
    week; ``since``/``until`` (ISO dates) narrow the period. Counts only, no identities."""
    try:
        await require_staff(request, Action.VIEW_STATS)
        since = _day(request.query_params.get("since"), "since")
        until = _day(request.query_params.get("until"), "until")
    except Denied as denied:
        return denied.response()
    stats = _chat(request).one_to_one.stats
    summary = queueing.summarise(await stats.outcomes(since, until))
    ratings = [rating for rating, _ in await stats.feedback(since, until)]
    summary["feedback"] = {
        "count": len(ratings),
        "rating": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "ratings": {str(n): ratings.count(n) for n in range(1, 6)}}
    return JSONResponse(summary, headers={"cache-control": "no-store"})


ROUTES = [
    Route("/api/one-to-one", get_public, methods=["GET"]),
    Route("/api/one-to-one/settings", get_settings, methods=["GET"]),
    Route("/api/one-to-one/settings", put_settings, methods=["PUT"]),
    Route("/api/one-to-one/stats", get_stats, methods=["GET"]),
    Route("/api/one-to-one/supporters", get_supporters, methods=["GET"]),
]
