"""The funder's report: per group and period, sessions held, people reached, how people felt
at the start and at the end (and whether better), the feedback, and how fast alerts were
answered. Figures from fewer than 5 answers are never shown (domain/impact.py)."""

from __future__ import annotations

import csv
import io
import statistics
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatserver.domain import impact
from chatserver.domain.impact import FEWER_THAN_5, Answer
from chatserver.storage.impact import ImpactStore
from chatserver.storage.sessions import iso
from chatserver.web.auth import Denied, StaffContext, require_staff
from chatserver.web.server import Server
from chatserver.web.sessions import NO_STORE, _period

ALERT_KINDS = ("crisis", "help", "harm_to_others")


async def _report(request: Request) -> tuple[StaffContext, dict[str, Any]]:
    ctx = await require_staff(request)
    after, before = _period(request)
    server: Server = request.app.state.server
    lang = request.query_params.get("lang", "fi")
    mine = None if ctx.account.role == "admin" else set(ctx.account.rooms)
    wanted = request.query_params.get("room")
    rooms = [r for r in await server.directory.all()
             if (mine is None or r.id in mine) and (not wanted or r.id == wanted)]
    if wanted and not rooms:
        raise Denied(404, "not_found")  # another's group answers like a missing one
    ids = [r.id for r in rooms]
    held = await server.sessions.store.find(rooms=ids, after=after, before=before,
                                            states=["closed"], limit=100_000)
    answers = await ImpactStore(server.store).answers(ids, after, before)
    feedback = await server.sessions.store.feedback(ids, after=after, before=before)
    alerts = await server.alerts.store.handling(ids, after, before)
    groups = []
    for room in rooms:
        sessions = [s for s in held if s.room_id == room.id]
        ratings = [f["rating"] for f in feedback if f["room"] == room.id]
        waits = [(ack - made).total_seconds() / 60 for r, kind, made, ack in alerts
                 if r == room.id and kind in ALERT_KINDS and ack is not None]
        question = (room.checkin or {}).get("question")
        groups.append({
            "room": room.id, "name": room.names.get(lang) or room.names.get("fi") or room.id,
            "checkin_asked": room.asks_checkin,
            "question": question.get(lang) if isinstance(question, dict) else None,
            "sessions_held": len(sessions),
            "people_reached": sum(s.attendance for s in sessions),
            **impact.summarise([Answer(b, a, e) for r, b, a, e in answers if r == room.id]),
            "feedback": {"count": len(ratings), "rating": impact.shown(
                round(statistics.fmean(ratings), 2) if ratings else None, len(ratings))},
            "alerts": {"count": sum(1 for r, kind, _, _ in alerts
                                    if r == room.id and kind in ALERT_KINDS),
                       "answered": len(waits),
                       "median_minutes_to_answer": impact.shown(
                           round(statistics.median(waits), 1) if waits else None,
                           len(waits))}})
    report: dict[str, Any] = {"from": iso(after) if after else None,
                              "to": iso(before) if before else None,
                              "min_answers": impact.MIN_ANSWERS, "groups": groups}
    return ctx, report


async def impact_report(request: Request) -> Response:
    try:
        _, report = await _report(request)
    except Denied as denied:
        return denied.response()
    return JSONResponse(report, headers=NO_STORE)


CSV_COLUMNS = ("group", "sessions_held", "people_reached", "answers", "check_in_mean",
               "check_out_mean", "pairs", "better", "same", "worse", "mean_change",
               "ci95_low", "ci95_high", "feedback_count", "feedback_rating", "alerts",
               "alerts_answered", "median_minutes_to_answer")
# How a suppressed figure reads in the spreadsheet, in the admin's language.
FEWER = {"fi": "alle 5", "sv": "färre än 5", "en": "fewer than 5"}


def _cell(value: Any, fewer: str) -> Any:
    return fewer if value == FEWER_THAN_5 else ("" if value is None else value)


def _pick(figure: Any, key: str) -> Any:
    return figure if not isinstance(figure, dict) else figure.get(key)


async def impact_csv(request: Request) -> Response:
    try:
        _, report = await _report(request)
    except Denied as denied:
        return denied.response()
    fewer = FEWER.get(request.query_params.get("lang", "fi"), FEWER["fi"])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for g in report["groups"]:
        change = g["change"]
        ci = _pick(change, "ci95")
        writer.writerow([_cell(v, fewer) for v in (
            g["name"], g["sessions_held"], g["people_reached"], g["answers"],
            _pick(g["check_in"], "mean"), _pick(g["check_out"], "mean"), _pick(change, "n"),
            _pick(change, "better"), _pick(change, "same"), _pick(change, "worse"),
            _pick(change, "mean_change"), ci[0] if isinstance(ci, list) else ci,
            ci[1] if isinstance(ci, list) else ci, g["feedback"]["count"],
            g["feedback"]["rating"], g["alerts"]["count"], g["alerts"]["answered"],
            g["alerts"]["median_minutes_to_answer"])])
    name = f"impact-{datetime.now().date().isoformat()}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={**NO_STORE, "content-disposition": f'attachment; filename="{name}"'})


ROUTES = [Route("/api/impact", impact_report, methods=["GET"]),
          Route("/api/impact.csv", impact_csv, methods=["GET"])]
