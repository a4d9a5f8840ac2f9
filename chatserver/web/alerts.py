"""The alert inbox over HTTP: what a reloaded console lists (acknowledging and resolving go
over the WebSocket, so that every console sees the change at once)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatserver.web.auth import Denied, require_staff
from chatserver.web.server import Server


async def list_alerts(request: Request) -> Response:
    try:
        ctx = await require_staff(request)
    except Denied as denied:
        return denied.response()
    server: Server = request.app.state.server
    found = await server.alerts.visible_to(ctx.account)
    return JSONResponse({"alerts": [a.public() for a in found]},
                        headers={"cache-control": "no-store"})


ROUTES = [Route("/api/alerts", list_alerts, methods=["GET"])]
