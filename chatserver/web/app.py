"""The one place that wires the server together. Nothing imports this module."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from chatserver.broker import StreamEntry, create_broker
from chatserver.broker.base import Broker
from chatserver.broker.queue import create_queue
from chatserver.core import heap, maintenance, metrics
from chatserver.core.alerts import AlertInbox
from chatserver.core.crisis import CrisisResources
from chatserver.core.guard import RoomGuard
from chatserver.core.history import RoomHistory
from chatserver.core.hub import Hub
from chatserver.core.identities import Identities
from chatserver.core.ports import Feature
from chatserver.core.presence import Presence
from chatserver.core.rooms import RoomDirectory, RoomLog, to_stored
from chatserver.core.safety import Safety
from chatserver.core.seed import seed_example_rooms
from chatserver.core.service import ChatService
from chatserver.core.session_gate import SessionGate
from chatserver.core.staff import StaffService
from chatserver.domain.config import Settings
from chatserver.domain.ground_rules import rules_version
from chatserver.features.agency import Agency
from chatserver.features.alerts import Alerts
from chatserver.features.chat import Chat
from chatserver.features.groups import Groups
from chatserver.features.moderating import Moderator
from chatserver.features.one_to_one.service import OneToOne
from chatserver.features.rounds import Rounds
from chatserver.features.sessions import SessionService
from chatserver.storage.alerts import AlertStore
from chatserver.storage.impact import ImpactStore
from chatserver.storage.moderation import ModerationStore
from chatserver.storage.rules import RulesStore
from chatserver.storage.sessions import SessionStore
from chatserver.storage.staff import StaffStore
from chatserver.storage.store import Store
from chatserver.storage.writer import GroupCommitWriter
from chatserver.web import admin, alerts, auth, groups, impact, one_to_one, reports, sessions
from chatserver.web.openapi import openapi_json
from chatserver.web.security import SecurityHeaders
from chatserver.web.server import Server
from chatserver.web.ws import websocket_endpoint
from moderation.policy import decide
from moderation.types import SenderContext

log = logging.getLogger("chatserver.app")

CHECKOUT_STATIC = Path(__file__).resolve().parent.parent.parent / "static"


WS_PATH = "/ws"


def create_app(settings: Settings) -> Starlette:
    static = Path(settings.static_dir) if settings.static_dir else CHECKOUT_STATIC

    def page(name: str) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            return FileResponse(static / name, headers={"cache-control": "no-cache"})
        return serve

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store = Store.from_url(settings.database_url)
        writer = GroupCommitWriter(store.insert_events)
        writer.start()

        async def durable_write(entry: StreamEntry) -> None:
            await writer.write(to_stored(entry))

        async def store_batch(entries: Sequence[StreamEntry]) -> None:
            await store.insert_events([to_stored(e) for e in entries])

        broker = create_broker(settings.redis_url, durable_write=durable_write,
                               store_batch=store_batch,
                               buffer_events=settings.resume_buffer_events,
                               buffer_seconds=settings.resume_buffer_seconds)
        if settings.seed_example_rooms:
            await seed_example_rooms(store)
        secret = settings.secret_key or await store.shared_secret("member_ids")
        directory = RoomDirectory(store)
        await directory.refresh()
        server = wire(settings, store, broker, directory, secret)
        await server.crisis.current()  # every message's screen allows their numbers
        chat = server.chat
        chat.identities.start()
        await broker.start(chat.on_event, chat.on_control, chat.resync)
        chat.start()
        server.one_to_one.start()
        server.alerts.start()
        server.sessions.start(settings.session_timer_seconds)
        retention = asyncio.create_task(maintenance.run_forever(store, settings, broker),
                                        name="retention")
        app.state.server = server
        app.state.store = store
        app.state.broker = broker
        app.state.staff = server.staff
        staff = server.staff
        app.state.hit_key = hashlib.sha256(b"hits\x00" + secret.encode()).digest()
        if not await staff.store.count_admins():
            # The console script may not be on PATH (a virtual environment): say the command
            # with this very interpreter, which works wherever the server itself runs.
            print("chatserver: no admin account yet; create one with `make admin` in the "
                  f"checkout, or `{sys.executable} -m chatserver users create-admin "
                  "--username NAME`", flush=True)
        # What start-up made (modules, compiled word lists, the room table) lives as long as
        # the process: out of the collector's sight, full collections stay short (p99).
        # The bundled word lists are compiled now rather than on the first message.
        decide("", settings={}, sender_context=SenderContext(), now=0.0)
        gc.collect()
        gc.freeze()
        collections = asyncio.create_task(heap.keep_collections_short(), name="heap")
        log.info("server ready", extra={"broker": broker.name,
                                        "database": store.engine.dialect.name})
        try:
            yield
        finally:
            retention.cancel()
            collections.cancel()
            await server.sessions.close()
            await server.safety.close()
            await server.alerts.close()
            await chat.close()
            await server.one_to_one.close()
            await chat.identities.close()
            await broker.close()
            await writer.close()
            await directory.close()
            await store.close()
            log.info("server stopped")

    routes = [
        Route("/", page("index.html")),
        Route("/staff", page("staff.html")),
        Route("/admin", page("admin.html")),
        Route("/report", page("report.html")),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint),
        Route("/api/rooms", list_rooms),
        *auth.ROUTES,
        *reports.ROUTES,
        *alerts.ROUTES,
        *impact.ROUTES,
        *admin.ROUTES,
        *one_to_one.ROUTES,
        *sessions.ROUTES,
        *groups.ROUTES,
        Route("/api/openapi.json", openapi_json, methods=["GET"]),
        WebSocketRoute(WS_PATH, websocket_endpoint),
        Mount("/static", StaticFiles(directory=static, check_dir=False), name="static"),
    ]
    app = ChatApp(routes=routes, lifespan=lifespan)
    app.state.settings = settings
    app.add_middleware(SecurityHeaders, trust_forwarded_proto=settings.trust_proxy_headers)
    return app


class ChatApp(Starlette):
    """Starlette, with the chat socket taken straight to its endpoint: every suspended layer
    of the middleware chain (none of which acts on a WebSocket) would be kept alive for as
    long as the connection, thousands of times over. The route stays listed for the rest."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and _route_path(scope) == WS_PATH:
            scope["app"] = self
            await websocket_endpoint(WebSocket(scope, receive, send))
            return
        await super().__call__(scope, receive, send)


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def wire(settings: Settings, store: Store, broker: Broker, directory: RoomDirectory,
         secret: str) -> Server:
    """Build the core and the features, and register the features' frames with the core."""
    hub = Hub(broker)
    # Read when scraped (a count kept per connection cost a lock each time).
    metrics.CONNECTIONS.set_function(lambda: len(hub.connected))
    staff = StaffService(StaffStore(store))
    roomlog = RoomLog(broker, store)
    identities = Identities(store, secret)
    moderation_store = ModerationStore(store)
    session_store = SessionStore(store)
    crisis = CrisisResources(store)
    guard = RoomGuard(moderation_store)
    gate = SessionGate(session_store)
    history = RoomHistory(broker, moderation_store, roomlog)
    presence = Presence(settings, broker, hub, directory, roomlog,
                        process_key=uuid.uuid4().hex[:10])
    inbox = AlertInbox(settings, AlertStore(store), broker, hub, presence, gate)
    safety = Safety(settings, broker, moderation_store, crisis, inbox)
    chat = ChatService(settings, store, broker, hub, identities, directory, roomlog, staff,
                       presence, crisis, guard, gate, inbox)
    mod = Moderator(chat, store=moderation_store, history=history, alerts=inbox,
                    crisis=crisis, identities=identities, staff=staff.store, safety=safety)
    agency = Agency(chat, store=store, moderation=moderation_store, broker=broker,
                    history=history, safety=safety, identities=identities, guard=guard)
    sessions = SessionService(chat, store=session_store, gate=gate, crisis=crisis,
                              broker=broker, events=store, alerts=inbox, staff=staff.store,
                              away_seconds=settings.facilitator_away_seconds)
    one_to_one = OneToOne(chat, create_queue(settings.redis_url), process_key=chat.process_key,
                          store=store, staff=staff.store, crisis=crisis, alerts=inbox,
                          identities=identities, moderation=moderation_store, broker=broker)
    # Alerts of no room (one-to-one requests in crisis) are for the one-to-one supporters.
    inbox.may_support = one_to_one.config.may_support
    features: list[Feature] = [
        Chat(chat, store=store, broker=broker, roomlog=roomlog, identities=identities,
             presence=presence, guard=guard, safety=safety, gate=gate, sessions=session_store,
             rules=RulesStore(store)),
        mod, agency, sessions, one_to_one, one_to_one.conversations,
        Alerts(inbox, staff=staff.store),
        Rounds(chat, sessions=session_store),
        Groups(chat, broker=broker, sessions=session_store, identities=identities,
               impact=ImpactStore(store))]
    chat.install(features, on_disconnect=[one_to_one.disconnect])
    return Server(settings=settings, store=store, broker=broker, directory=directory,
                  staff=staff, chat=chat, crisis=crisis, safety=safety, gate=gate, mod=mod,
                  agency=agency, sessions=sessions, one_to_one=one_to_one, alerts=inbox)


def create_app_from_env() -> Starlette:
    """The uvicorn factory: settings are read once, here."""
    return create_app(Settings.from_env())


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    store: Store = request.app.state.store
    checks = {"database": "ok", "broker": "ok"}
    try:
        await store.ping()
    except Exception as exc:
        checks["database"] = f"unavailable: {type(exc).__name__}"
    if not await request.app.state.broker.ready():
        checks["broker"] = "unavailable"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ok else "not ready", **checks},
                        status_code=200 if ok else 503)


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)


async def list_rooms(request: Request) -> Response:
    server: Server = request.app.state.server
    rooms = await server.directory.all()
    try:
        counts = await server.broker.presence_counts([r.id for r in rooms])
    except Exception:
        counts = {}
    return JSONResponse([
        {"id": r.id, "name": r.names, "description": r.descriptions, "kind": r.kind,
         "access": r.access, "open": r.is_open, "capacity": r.capacity,
         "retention": r.retention, "retention_days": r.retention_days,
         "members": counts.get(r.id), "target_group": r.target_group,
         "rules": r.ground_rules, "rules_version": rules_version(r.ground_rules),
         "checkin": ({"question": (r.checkin or {}).get("question")} if r.asks_checkin
                     else None),
         "time_zone": r.time_zone, "session_mode": r.session_mode,
         "session": (current.public() if (current := server.gate.current(r.id)) else None)}
        for r in rooms
    ], headers={"cache-control": "no-store"})
