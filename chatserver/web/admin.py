"""Admin settings over HTTP: crisis resources, and each room's automated-safety filters."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatserver.core.crisis import ResourcesError, validate
from chatserver.web.auth import Denied, read_json, require_staff, str_field
from chatserver.web.server import Server
from moderation.permissions import Action
from moderation.settings import FilterSettings, SettingsError


async def get_resources(request: Request) -> Response:
    """Public: the landing page shows the crisis resources to everyone, signed in or not."""
    chat: Server = request.app.state.server
    return JSONResponse(await chat.crisis.current(), headers={"cache-control": "no-cache"})


async def put_resources(request: Request) -> Response:
    try:
        ctx = await require_staff(request, Action.MANAGE_CRISIS_RESOURCES)
        body = await read_json(request)
        resources = validate(body.get("resources"))
    except Denied as denied:
        return denied.response()
    except ResourcesError as exc:
        return Denied(400, "invalid_field", field="resources", detail=str(exc)).response()
    chat: Server = request.app.state.server
    await chat.store.set_app_setting("crisis_resources", resources)
    await chat.broker.publish_control(msgspec.json.encode({"kind": "resources_changed"}))
    await chat.staff.store.audit(actor_id=ctx.account.id, actor_name=ctx.account.display_name,
                                 action="crisis_resources",
                                 detail={"entries": len(resources)})
    return JSONResponse(resources)


async def get_filters(request: Request) -> Response:
    try:
        await require_staff(request, Action.MANAGE_FILTERS)
    except Denied as denied:
        return denied.response()
    chat: Server = request.app.state.server
    room = await chat.directory.get(request.path_params["room_id"])
    if room is None:
        return Denied(404, "not_found").response()
    effective = FilterSettings.from_dict(chat.safety.filter_settings(room)).to_dict()
    return JSONResponse({"room": room.id, "own": room.filter_settings, "effective": effective})


async def put_filters(request: Request) -> Response:
    try:
        ctx = await require_staff(request, Action.MANAGE_FILTERS)
        body = await read_json(request)
        chat: Server = request.app.state.server
        room = await chat.directory.get(request.path_params["room_id"])
        if room is None:
            raise Denied(404, "not_found")
        own = body.get("settings")
        if own is not None:
            if not isinstance(own, dict):
                raise Denied(400, "invalid_field", field="settings")
            own = FilterSettings.from_dict(own).to_dict()
    except Denied as denied:
        return denied.response()
    except SettingsError as exc:
        # The problems name keys and rules, never the submitted values.
        return Denied(400, "invalid_field", field="settings",
                      problems=list(exc.problems)).response()
    await chat.store.set_filter_settings(room.id, own)
    await chat.broker.publish_control(msgspec.json.encode({"kind": "rooms_changed"}))
    await chat.directory.refresh()
    await chat.staff.store.audit(actor_id=ctx.account.id, actor_name=ctx.account.display_name,
                                 action="filters", room_id=room.id,
                                 detail={"keys": sorted(own) if own else []})
    return JSONResponse({"room": room.id, "own": own})


async def erase_identity(request: Request) -> Response:
    """A person asked for their data to be erased; they are found by the member id they have
    in one room (from a report, the audit log or the member list)."""
    try:
        ctx = await require_staff(request, Action.ERASE_IDENTITY)
        body = await read_json(request)
        room, member = str_field(body, "room", limit=64), str_field(body, "member", limit=32)
    except Denied as denied:
        return denied.response()
    chat: Server = request.app.state.server
    erased = await chat.agency.erase_identity(room, member)
    if erased is None:
        return Denied(404, "not_found").response()
    count = sum(len(seqs) for seqs in erased.values())
    await chat.staff.store.audit(actor_id=ctx.account.id, actor_name=ctx.account.display_name,
                                 action="erase_identity", room_id=room, target=member,
                                 detail={"messages": count})
    return JSONResponse({"messages": count,
                         "rooms": {r: len(seqs) for r, seqs in erased.items() if seqs}})


ROUTES = [
    Route("/api/crisis-resources", get_resources, methods=["GET"]),
    Route("/api/crisis-resources", put_resources, methods=["PUT"]),
    Route("/api/rooms/{room_id}/filters", get_filters, methods=["GET"]),
    Route("/api/rooms/{room_id}/filters", put_filters, methods=["PUT"]),
    Route("/api/erase", erase_identity, methods=["POST"]),
]
