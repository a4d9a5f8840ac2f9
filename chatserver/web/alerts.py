"""The alert inbox over HTTP: what a reloaded console lists (acknowledging and resolving go
over the WebSocket, so that every console sees the change at once)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatserver.broker.errors import BrokerError
from chatserver.web.auth import Denied, require_staff
from chatserver.web.server import Server


async def list_alerts(request: Request) -> Response:
    try:
        ctx = await require_staff(request)
    except Denied as denied:
        return denied.response()
    server: Server = request.app.state.server
    found = {a.id: a for a in await server.alerts.visible_to(ctx.account)}
    # An on-duty one-to-one supporter got escalated alerts of any room live: a reloaded
    # console lists them too. Who is on duty is in Redis; with Redis away the console still
    # lists what the database has (its own rooms' alerts) rather than nothing.
    try:
        on_duty = {s["id"] for s in await server.one_to_one.available_supporters()
                   if s["capacity"] > 0}
    except (BrokerError, OSError):
        on_duty = set()
    if ctx.account.id in on_duty:
        for alert in await server.alerts.store.escalated_unresolved():
            found.setdefault(alert.id, alert)
    ordered = sorted(found.values(), key=lambda a: (a.created_at, a.id), reverse=True)
    return JSONResponse({"alerts": [a.public() for a in ordered]},
                        headers={"cache-control": "no-store"})


ROUTES = [Route("/api/alerts", list_alerts, methods=["GET"])]
