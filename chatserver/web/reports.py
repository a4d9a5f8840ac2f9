"""The reports queue over HTTP, for the facilitators of the reported message's room."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatserver.web.auth import Denied, actor, id_param, read_json, require_staff, str_field
from chatserver.web.server import Server
from moderation import permissions
from moderation.permissions import Action

RESOLUTIONS = ("dismissed", "actioned")


async def list_reports(request: Request) -> Response:
    try:
        ctx = await require_staff(request)
    except Denied as denied:
        return denied.response()
    chat: Server = request.app.state.server
    rooms = None if ctx.account.role == "admin" else set(ctx.account.rooms)
    return JSONResponse(await chat.mod.store.open_reports(rooms),
                        headers={"cache-control": "no-store"})


async def resolve_report(request: Request) -> Response:
    try:
        ctx = await require_staff(request)
        chat: Server = request.app.state.server
        report_id = id_param(request.path_params["report_id"])
        report = await chat.mod.store.report(report_id) if report_id is not None else None
        # Another room's report answers exactly like a missing one: ids reveal nothing.
        if report is None or not permissions.may(actor(ctx), Action.RESOLVE_REPORT,
                                                 report["room"]):
            raise Denied(404, "not_found")
        body = await read_json(request)
        resolution = str_field(body, "resolution", limit=32)
        if resolution not in RESOLUTIONS:
            raise Denied(400, "invalid_field", field="resolution")
        note = body.get("note")
        if note is not None and (not isinstance(note, str) or len(note) > 500):
            raise Denied(400, "invalid_field", field="note")
        await chat.mod.store.resolve_report(report["id"], by=ctx.account.id,
                                            resolution=resolution, note=note)
        await chat.staff.store.audit(actor_id=ctx.account.id,
                                     actor_name=ctx.account.display_name,
                                     action="resolve_report", room_id=report["room"],
                                     target=report["target"], reason=note,
                                     detail={"report": report["id"], "resolution": resolution,
                                             "category": report["category"]})
        # Its alert goes with it: handled here, it must not escalate a minute later.
        alert = await chat.alerts.store.for_report(report["id"])
        if alert is not None:
            await chat.alerts.handled_elsewhere(alert.id, ctx.account.id,
                                                ctx.account.display_name, f"report_{resolution}")
    except Denied as denied:
        return denied.response()
    return JSONResponse({"id": report["id"], "status": "resolved", "resolution": resolution})


async def list_held(request: Request) -> Response:
    try:
        ctx = await require_staff(request)
    except Denied as denied:
        return denied.response()
    chat: Server = request.app.state.server
    rooms = None if ctx.account.role == "admin" else set(ctx.account.rooms)
    return JSONResponse(await chat.mod.store.held(rooms), headers={"cache-control": "no-store"})


ROUTES = [
    Route("/api/held", list_held, methods=["GET"]),
    Route("/api/reports", list_reports, methods=["GET"]),
    Route("/api/reports/{report_id}/resolve", resolve_report, methods=["POST"]),
]
