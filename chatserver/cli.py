"""`chatserver serve | migrate | seed`: the console script."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from chatserver import logs
from chatserver.domain.config import ConfigError, Settings
from chatserver.storage.migrate import migrate

# The exit code uvicorn gives a server that did not start (a port in use, a failed start-up).
STARTUP_FAILURE = 3

# What chatserver.staff.StaffService.create accepts, said where people look for it.
USERNAME_RULE = ("3-64 characters: letters, digits, '.', '-' and '_'; "
                 "upper and lower case are the same")
PASSWORD_RULE = ("at least 12 characters, not a common password, not containing the username, "
                 "and hard to guess (a few uncommon words, not names, dates or keyboard rows)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chatserver",
                                     description="Anonymous peer-support chat server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate the database and serve HTTP and WebSocket")
    serve.add_argument("--host", help="overrides HOST")
    serve.add_argument("--port", type=int, help="overrides PORT")
    sub.add_parser("migrate", help="apply database migrations and exit")
    sub.add_parser("seed", help="insert the example rooms if there are no rooms")
    users = sub.add_parser("users", help="manage staff accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    for role, helptext in (("admin", "create an admin account"),
                           ("facilitator", "create a facilitator account (also in /admin)")):
        create = users_sub.add_parser(f"create-{role}", help=helptext)
        create.add_argument("--username", required=True,
                            help=f"the sign-in name, {USERNAME_RULE}")
        create.add_argument("--display-name",
                            help="shown with the staff badge, 2-64 characters "
                                 "(default: username)")
        create.add_argument("--generate", action="store_true",
                            help="generate a strong password and print it once, instead of "
                                 f"asking for one ({PASSWORD_RULE})")
        if role == "facilitator":
            create.add_argument("--rooms", default="",
                                help="the room ids they facilitate, comma-separated")
    args = parser.parse_args(argv)

    overrides = {k: v for k, v in (("host", getattr(args, "host", None)),
                                   ("port", getattr(args, "port", None))) if v is not None}
    try:
        settings = Settings.from_env(**overrides)
    except ConfigError as exc:
        print(f"chatserver: configuration error: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)

    if args.command == "migrate":
        asyncio.run(migrate(settings.database_url))
        print("chatserver: database is up to date")
        return 0
    if args.command == "seed":
        from chatserver.core.seed import seed_example_rooms
        from chatserver.storage.store import Store

        async def _seed() -> int:
            await migrate(settings.database_url)  # a fresh database has no tables yet
            store = Store.from_url(settings.database_url)
            try:
                return await seed_example_rooms(store)
            finally:
                await store.close()

        print(f"chatserver: {asyncio.run(_seed())} example rooms added")
        return 0
    if args.command == "users":
        return _create_staff(settings, args,
                             "admin" if args.users_command == "create-admin" else "facilitator")
    return _serve(settings)


def _create_staff(settings: Settings, args: argparse.Namespace, role: str) -> int:
    import getpass
    import secrets

    from chatserver.core.staff import StaffError, StaffService
    from chatserver.storage.staff import StaffStore
    from chatserver.storage.store import Store

    if args.generate:
        password = secrets.token_urlsafe(18)
    else:
        password = getpass.getpass(f"Password ({PASSWORD_RULE}): ")
        if getpass.getpass("Again: ") != password:
            print("chatserver: the passwords differ", file=sys.stderr)
            return 1

    rooms = [r.strip() for r in getattr(args, "rooms", "").split(",") if r.strip()]

    async def create() -> list[str]:
        await migrate(settings.database_url)
        store = Store.from_url(settings.database_url)
        try:
            account = await StaffService(StaffStore(store)).create(
                args.username, args.display_name or args.username, password, role)
            known = {room.id for room in await store.list_rooms()}
            unknown = [room for room in rooms if room not in known]
            if rooms and not unknown:
                await StaffStore(store).set_rooms(account.id, set(rooms))
            return unknown
        finally:
            await store.close()

    try:
        unknown = asyncio.run(create())
    except StaffError as exc:
        rule = {"username_invalid": f" (the username: {USERNAME_RULE})",
                "display_name_invalid": " (the display name: 2-64 characters)"}.get(exc.code, "")
        if exc.reason:
            rule = f" ({exc.reason.replace('_', ' ')}: {PASSWORD_RULE})"
        print(f"chatserver: cannot create the {role}: {exc.code}{rule}", file=sys.stderr)
        return 1
    print(f"chatserver: {role} {args.username!r} created")
    if unknown:
        print(f"chatserver: no such rooms: {', '.join(unknown)}; assign rooms in /admin",
              file=sys.stderr)
    if args.generate:
        print(f"chatserver: password (shown once): {password}")
    return 0


def _serve(settings: Settings) -> int:
    from chatserver.web.main_loop import serve

    if settings.migrate_on_start:
        asyncio.run(migrate(settings.database_url))
    shown_host = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0", "::") else settings.host
    print(f"chatserver: open http://{shown_host}:{settings.port}/ in your browser "
          f"(broker: {'redis' if settings.redis_enabled else 'in-process'}, "
          f"database: {settings.database_url.split(':', 1)[0]})", flush=True)
    started = serve({"app": "chatserver.web.app:create_app_from_env", "factory": True,
                     **uvicorn_options(settings)})
    return 0 if started else STARTUP_FAILURE


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The production transport settings; the conformance run (tests/conformance) uses the
    very same ones."""
    from chatserver.web.transport import http_protocol, ws_protocol

    return dict(
        host=settings.host,
        port=settings.port,
        # Keep-alive pings every WS_PING_INTERVAL_SECONDS to a peer that said nothing, 1011
        # after WS_PING_TIMEOUT_SECONDS without an answer: one timer per process (a timing
        # wheel, chatserver.web.transport.KeepAlive), so uvicorn's own per-connection pings
        # are off.
        ws=ws_protocol(ping_interval=settings.ws_ping_interval_seconds,
                       ping_timeout=settings.ws_ping_timeout_seconds),
        # Request headers within HEADER_TIMEOUT_SECONDS, and half-open connections counted
        # against their address (slow-header floods).
        http=http_protocol(header_timeout=settings.header_timeout_seconds,
                           max_half_open=settings.max_connections_per_client,
                           trust_proxy_headers=settings.trust_proxy_headers,
                           forwarded_allow_ips=settings.forwarded_allow_ips),
        # Frames over 4x the protocol limit are a transport violation (1009); smaller ones
        # that are still too large get an error frame and the connection stays usable.
        ws_max_size=4 * settings.max_frame_bytes,
        # Per-message compression costs CPU per member on every broadcast and opens
        # compression side channels; peer-support chat frames are small.
        ws_per_message_deflate=False,
        ws_ping_interval=None,
        ws_ping_timeout=None,
        # uvicorn believes X-Forwarded-For/-Proto from 127.0.0.1 by default; the server
        # believes them only when told to (TRUST_PROXY_HEADERS), else a local client could
        # pose as https or as any address.
        proxy_headers=settings.trust_proxy_headers,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        access_log=False,
        server_header=False,
        log_config=None,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        lifespan="on",
    )
