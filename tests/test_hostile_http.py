"""Hostile HTTP: every route tried by every role (a new route without a row fails), other
rooms' ids, SQL injection, path traversal, and the security headers on every answer."""

from __future__ import annotations

import http.client
import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.routing import Mount, Route, WebSocketRoute

from chatserver.domain.config import Settings
from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)
from chatserver.web.app import create_app

ROLES = ("anonymous", "participant", "facilitator_a", "facilitator_b", "admin")
SQL = ["' OR '1'='1", "1; DROP TABLE staff_accounts; --", "\" OR \"\"=\"", "1 UNION SELECT "
       "token_hash FROM identities --", "admin'--", "%' OR 1=1 --", "\x00", "１"]
HEADERS = {"content-security-policy", "x-content-type-options", "referrer-policy",
           "x-frame-options"}


def app_routes() -> set[tuple[str, str]]:
    """(method, path) of every HTTP route the app serves, read from the app itself."""
    found: set[tuple[str, str]] = set()
    for route in create_app(Settings()).routes:
        if isinstance(route, Route):
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((method, route.path))
        elif isinstance(route, Mount):
            found.add(("GET", route.path + "/{path}"))
        elif isinstance(route, WebSocketRoute):
            found.add(("WEBSOCKET", route.path))
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")
    return found


def assert_headers(response: httpx.Response, *, tls: bool = False) -> None:
    names = {k.lower() for k in response.headers}
    missing = HEADERS - names
    assert not missing, (response.request.url, response.status_code, missing)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert ("strict-transport-security" in names) is tls
    assert "server" not in names  # no version banner


def assert_no_leak(response: httpx.Response) -> None:
    body = response.text
    for needle in ("Traceback", "sqlalchemy", "SELECT ", "INSERT ", "/work/", "site-packages",
                   "uvicorn", "Python/", "psycopg", "asyncpg", "sqlite3."):
        assert needle not in body, (response.request.url, needle, body[:300])


@pytest.fixture
async def world(start_server, tmp_path):
    """One process; an admin; Sanna facilitates olohuone (A), Pekka laheiset (B); a message in
    olohuone reported by a participant; a participant's token."""
    db = f"sqlite+aiosqlite:///{tmp_path}/hostile.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, **FAST)
    admin = StaffHttp(server.url)
    assert (await admin.login("admin", password)).status_code == 200
    ids = {"sanna": await add_facilitator(admin, "sanna", ["olohuone"]),
           "pekka": await add_facilitator(admin, "pekka", ["laheiset"])}
    clients: dict[str, StaffHttp] = {"admin": admin}
    for role, name in (("facilitator_a", "sanna"), ("facilitator_b", "pekka")):
        clients[role] = StaffHttp(server.url)
        assert (await clients[role].login(name, FACILITATOR_PASSWORD)).status_code == 200
    writer = await ChatClient.connect(server.ws_url)
    reporter = await ChatClient.connect(server.ws_url)
    await writer.join("olohuone")
    await reporter.join("olohuone")
    seq = (await writer.say("olohuone", "viesti josta ilmoitetaan"))["seq"]
    reported = await reporter.request({"type": "report", "room": "olohuone", "seq": seq,
                                       "category": "spam"})
    assert reported["type"] != "error", reported
    report_id = (await admin.http.get("/api/reports")).json()[0]["id"]
    # Participants have no HTTP credentials; one that sends its token as if it were a staff
    # cookie (or a bearer token) is anonymous.
    participant = StaffHttp(server.url)
    participant.http.cookies.set("chat_staff", writer.token or "")
    participant.http.headers["authorization"] = f"Bearer {writer.token}"
    clients["participant"] = participant
    clients["anonymous"] = StaffHttp(server.url)
    yield server, clients, ids, report_id
    for c in (writer, reporter):
        await c.close()
    for http_client in clients.values():
        await http_client.close()


Expect = dict[str, int | tuple[int, ...]]
OPEN: Expect = {role: 200 for role in ROLES}
STAFF: Expect = {"anonymous": 401, "participant": 401, "facilitator_a": 200,
                 "facilitator_b": 200, "admin": 200}
# An unknown session: staff are told it does not exist, like another room's session.
NO_SUCH_SESSION: Expect = {"anonymous": 401, "participant": 401, "facilitator_a": 404,
                           "facilitator_b": 404, "admin": 404}
ADMIN: Expect = {"anonymous": 401, "participant": 401, "facilitator_a": 403,
                 "facilitator_b": 403, "admin": 200}


def matrix(ids: dict[str, str], report_id: int) -> dict[tuple[str, str],
                                                       tuple[Callable[[], tuple[str, Any]],
                                                             Expect]]:
    """Each route: the concrete request (path, JSON body) and the status per role. Requests
    that change something are harmless: the body is refused or changes nothing."""
    def fixed(path: str, body: Any = None) -> Callable[[], tuple[str, Any]]:
        return lambda: (path, body)

    return {
        ("GET", "/"): (fixed("/"), OPEN),
        # The staff pages are static; their data needs a session (the /api rows below).
        ("GET", "/staff"): (fixed("/staff"), OPEN),
        ("GET", "/admin"): (fixed("/admin"), OPEN),
        ("GET", "/report"): (fixed("/report"), OPEN),
        ("GET", "/healthz"): (fixed("/healthz"), OPEN),
        ("GET", "/readyz"): (fixed("/readyz"), OPEN),
        ("GET", "/metrics"): (fixed("/metrics"), OPEN),
        ("GET", "/api/rooms"): (fixed("/api/rooms"), OPEN),
        ("GET", "/api/crisis-resources"): (fixed("/api/crisis-resources"), OPEN),
        ("GET", "/static/{path}"): (fixed("/static/js/app.js"), OPEN),
        ("POST", "/api/auth/login"): (fixed("/api/auth/login", {"username": "x' OR 1=1 --",
                                                                "password": "x"}),
                                      {role: 401 for role in ROLES}),
        ("GET", "/api/auth/me"): (fixed("/api/auth/me"), STAFF),
        # A wrong old password: refused for staff (400), unauthenticated for the others.
        ("POST", "/api/auth/password"): (fixed("/api/auth/password", {
            "old": "not the password", "new": "uusi salasana joka on pitkä"}),
            {**STAFF, "facilitator_a": 400, "facilitator_b": 400, "admin": 400}),
        ("GET", "/api/staff"): (fixed("/api/staff"), ADMIN),
        ("POST", "/api/staff"): (fixed("/api/staff", {"username": ""}), {**ADMIN, "admin": 400}),
        ("PATCH", "/api/staff/{account_id}"): (fixed(f"/api/staff/{ids['sanna']}",
                                                     {"rooms": ["olohuone"]}), ADMIN),
        ("GET", "/api/audit"): (fixed("/api/audit"), ADMIN),
        ("GET", "/api/reports"): (fixed("/api/reports"), STAFF),
        # Room A's report: Pekka (room B) is told it does not exist. A bad resolution keeps
        # the report open for the next role.
        ("POST", "/api/reports/{report_id}/resolve"): (
            fixed(f"/api/reports/{report_id}/resolve", {"resolution": "maybe"}),
            {**STAFF, "facilitator_a": 400, "facilitator_b": 404, "admin": 400}),
        ("GET", "/api/held"): (fixed("/api/held"), STAFF),
        ("GET", "/api/alerts"): (fixed("/api/alerts"), STAFF),
        ("PUT", "/api/crisis-resources"): (fixed("/api/crisis-resources", {"resources": []}),
                                           {**ADMIN, "admin": 400}),
        ("GET", "/api/rooms/{room_id}/filters"): (fixed("/api/rooms/olohuone/filters"), ADMIN),
        ("PUT", "/api/rooms/{room_id}/filters"): (fixed("/api/rooms/olohuone/filters",
                                                        {"settings": {"nonsense": 1}}),
                                                  {**ADMIN, "admin": 400}),
        # An unknown member id: nothing to erase (404) for the admin.
        ("POST", "/api/erase"): (fixed("/api/erase", {"room": "olohuone", "member": "x" * 22}),
                                 {**ADMIN, "admin": 404}),
        ("GET", "/api/one-to-one"): (fixed("/api/one-to-one"), OPEN),
        ("GET", "/api/one-to-one/settings"): (fixed("/api/one-to-one/settings"), ADMIN),
        # An invalid question list: refused (400) for the admin, nothing changes.
        ("PUT", "/api/one-to-one/settings"): (fixed("/api/one-to-one/settings",
                                                    {"questions": "kaikki"}),
                                              {**ADMIN, "admin": 400}),
        ("GET", "/api/one-to-one/stats"): (fixed("/api/one-to-one/stats"), ADMIN),
        # Supporters only: no facilitator here has the one-to-one permission.
        ("GET", "/api/one-to-one/supporters"): (fixed("/api/one-to-one/supporters"), ADMIN),
        # Rooms, schedules and sessions (issue 4): room A is Sanna's; B's facilitator Pekka
        # is told room A's objects do not exist; bodies are refused, ids unknown.
        ("POST", "/api/rooms"): (fixed("/api/rooms", {"id": "Bad Id"}), {**ADMIN, "admin": 400}),
        ("GET", "/api/rooms/{room_id}"): (fixed("/api/rooms/olohuone"),
                                          {**STAFF, "facilitator_b": 404}),
        ("PATCH", "/api/rooms/{room_id}"): (fixed("/api/rooms/olohuone", {"capacity": 0}),
                                            {**ADMIN, "admin": 400}),
        ("GET", "/api/rooms/{room_id}/schedules"): (fixed("/api/rooms/olohuone/schedules"),
                                                    {**STAFF, "facilitator_b": 404}),
        ("POST", "/api/rooms/{room_id}/schedules"): (
            fixed("/api/rooms/olohuone/schedules", {"frequency": "hourly"}),
            {**ADMIN, "facilitator_b": 404, "admin": 400}),
        ("GET", "/api/rooms/{room_id}/sessions"): (fixed("/api/rooms/olohuone/sessions"), OPEN),
        ("POST", "/api/rooms/{room_id}/sessions"): (
            fixed("/api/rooms/olohuone/sessions", {"start": "never"}),
            {**ADMIN, "facilitator_b": 404, "admin": 400}),
        ("POST", "/api/schedules/preview"): (fixed("/api/schedules/preview", {"frequency": "x"}),
                                             {**ADMIN, "admin": 400}),
        ("DELETE", "/api/schedules/{schedule_id}"): (fixed("/api/schedules/999999"),
                                                     {**ADMIN, "admin": 404}),
        ("POST", "/api/schedules/{schedule_id}/exceptions"): (
            fixed("/api/schedules/999999/exceptions", {"date": "x"}), {**ADMIN, "admin": 404}),
        ("GET", "/api/sessions"): (fixed("/api/sessions"), STAFF),
        ("GET", "/api/sessions/mine"): (fixed("/api/sessions/mine"), STAFF),
        ("GET", "/api/sessions.ics"): (fixed("/api/sessions.ics"), STAFF),
        ("POST", "/api/sessions/{session_id}/open"): (
            fixed("/api/sessions/999999/open", {"minutes": 5}), NO_SUCH_SESSION),
        ("POST", "/api/sessions/{session_id}/close"): (
            fixed("/api/sessions/999999/close", {"minutes": 5}), NO_SUCH_SESSION),
        ("POST", "/api/sessions/{session_id}/extend"): (
            fixed("/api/sessions/999999/extend", {"minutes": 5}), NO_SUCH_SESSION),
        ("POST", "/api/sessions/{session_id}/debrief"): (
            fixed("/api/sessions/999999/debrief", {"text": "x"}), NO_SUCH_SESSION),
        ("GET", "/api/sessions/{session_id}/debriefs"): (
            fixed("/api/sessions/999999/debriefs"), NO_SUCH_SESSION),
        # Room A is a drop-in room: no invites (400) for those who may ask.
        ("POST", "/api/rooms/{room_id}/invites"): (
            fixed("/api/rooms/olohuone/invites", {"count": 1}),
            {**STAFF, "facilitator_a": 400, "facilitator_b": 404, "admin": 400}),
        ("GET", "/api/rooms/{room_id}/invites"): (fixed("/api/rooms/olohuone/invites"),
                                                   {**STAFF, "facilitator_b": 404}),
        ("GET", "/api/rooms/{room_id}/roster"): (fixed("/api/rooms/olohuone/roster"),
                                                  {**STAFF, "facilitator_b": 404}),
        # No such member: nothing to remove, for those who may; another room's staff: 404.
        ("DELETE", "/api/rooms/{room_id}/members/{member}"): (
            fixed("/api/rooms/olohuone/members/" + "x" * 16),
            {**STAFF, "facilitator_a": 404, "facilitator_b": 404, "admin": 404}),
        ("GET", "/api/stats"): (fixed("/api/stats"), ADMIN),
        ("GET", "/api/feedback"): (fixed("/api/feedback"), ADMIN),
        ("GET", "/api/feedback.csv"): (fixed("/api/feedback.csv"), ADMIN),
        # Staff see their own groups' report; room B's facilitator is told A does not exist.
        ("GET", "/api/impact"): (fixed("/api/impact?room=olohuone"),
                                 {**STAFF, "facilitator_b": 404}),
        ("GET", "/api/impact.csv"): (fixed("/api/impact.csv?room=olohuone"),
                                     {**STAFF, "facilitator_b": 404}),
        ("GET", "/api/openapi.json"): (fixed("/api/openapi.json"), OPEN),
        ("PUT", "/api/sessions/{session_id}/facilitators"): (
            fixed("/api/sessions/999999/facilitators", {"accounts": []}),
            {**ADMIN, "admin": 404}),
        ("POST", "/api/auth/logout"): (fixed("/api/auth/logout"), STAFF),
        ("WEBSOCKET", "/ws"): (fixed("/ws"), {}),  # tests/test_hostile_ws.py
    }


async def test_every_route_by_every_role(world):
    _server, clients, ids, report_id = world
    rows = matrix(ids, report_id)
    assert set(rows) == app_routes(), "a route without a row in the authorisation matrix"
    tried = 0
    # Logout last: it ends the sessions the other rows need.
    for (method, _template), (request, expect) in sorted(
            rows.items(), key=lambda kv: kv[0][1] == "/api/auth/logout"):
        if method == "WEBSOCKET":
            continue
        path, body = request()
        for role in ROLES:
            client = clients[role]
            headers = {"x-csrf-token": client.csrf} if client.csrf else {}
            response = await client.http.request(method, path, json=body, headers=headers)
            wanted = expect[role]
            assert response.status_code in (wanted if isinstance(wanted, tuple) else (wanted,)), \
                (method, path, role, response.status_code, response.text[:200])
            assert_headers(response)
            assert_no_leak(response)
            tried += 1
    print(f"\nauthorisation matrix: {len(rows) - 1} HTTP routes x {len(ROLES)} roles = "
          f"{tried} requests, all as expected")


async def test_other_rooms_objects_look_missing_and_lists_hold_only_own_rooms(world):
    _server, clients, _ids, report_id = world
    pekka, sanna = clients["facilitator_b"], clients["facilitator_a"]
    assert (await pekka.http.get("/api/reports")).json() == []
    assert [r["id"] for r in (await sanna.http.get("/api/reports")).json()] == [report_id]
    # Another room's report answers exactly like one that does not exist.
    theirs = await pekka.post(f"/api/reports/{report_id}/resolve", {"resolution": "dismissed"})
    missing = await pekka.post("/api/reports/987654/resolve", {"resolution": "dismissed"})
    assert (theirs.status_code, theirs.json()) == (missing.status_code, missing.json()) == \
        (404, {"error": "not_found"})
    assert [r["id"] for r in (await sanna.http.get("/api/reports")).json()] == [report_id]
    done = await sanna.post(f"/api/reports/{report_id}/resolve", {"resolution": "dismissed"})
    assert done.status_code == 200


async def test_sql_injection_and_odd_ids_in_every_http_field(world):
    _server, clients, _ids, _report = world
    admin = clients["admin"]
    for value in [*SQL, "99999999999999999999999", "²", "-1", "0x10"]:
        await injected(clients, value)
    # Nothing was bypassed or destroyed: the accounts are all there and the admin still works.
    staff = (await admin.http.get("/api/staff")).json()
    assert {"admin", "sanna", "pekka"} <= {a["username"] for a in staff}
    assert not any(a["disabled"] for a in staff)


async def injected(clients: dict[str, StaffHttp], value: str) -> None:
    admin, anonymous = clients["admin"], clients["anonymous"]
    quoted = urllib.parse.quote(value, safe="")
    answers = [
        await anonymous.http.post("/api/auth/login", json={"username": value, "password": value}),
        await anonymous.http.post("/api/auth/login", json={"username": "admin",
                                                           "password": value}),
        await admin.post("/api/staff", {"username": value, "display_name": value,
                                        "password": value, "role": value}),
        await admin.patch(f"/api/staff/{quoted}", {"disabled": True}),
        await admin.http.get("/api/audit", params={"before": value}),
        await admin.post(f"/api/reports/{quoted}/resolve", {"resolution": "dismissed",
                                                           "note": value}),
        await admin.http.get(f"/api/rooms/{quoted}/filters"),
        await admin.put(f"/api/rooms/{quoted}/filters", {"settings": None}),
    ]
    for response in answers:
        assert response.status_code in (200, 400, 401, 404, 429), \
            (response.request.url, response.status_code, response.text[:200])
        assert_headers(response)
        assert_no_leak(response)
    assert "set-cookie" not in answers[0].headers and "set-cookie" not in answers[1].headers


TRAVERSALS = [
    "/static/../pyproject.toml", "/static/%2e%2e/pyproject.toml", "/static/%2e%2e%2fpyproject.toml",
    "/static/..%2f..%2fpyproject.toml", "/static/%252e%252e%252fpyproject.toml",
    "/static/..%5c..%5cpyproject.toml", "/static/....//....//pyproject.toml",
    "/static/%c0%ae%c0%ae/pyproject.toml", "/static//etc/passwd", "/static/..;/pyproject.toml",
    "/static/js/../../pyproject.toml", "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/../chatserver/config.py", "/static/%00../pyproject.toml", "/..%2fpyproject.toml",
]


def raw_get(port: int, path: str, headers: dict[str, str] | None = None
            ) -> tuple[int, dict[str, str], bytes]:
    """http.client sends the path exactly as written (httpx would normalise the dots)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    for k, v in (headers or {}).items():
        conn.putheader(k, v)
    conn.endheaders()
    response = conn.getresponse()
    result = response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    conn.close()
    return result


async def test_path_traversal_on_static_files_serves_nothing_outside(world):
    server, _clients, _ids, _report = world
    for path in TRAVERSALS:
        status, headers, body = raw_get(server.port, path)
        assert b"[project]" not in body and b"root:" not in body and b"Settings" not in body, path
        assert status in (400, 404, 405), (path, status)
        assert HEADERS <= set(headers), (path, headers)
    status, _, body = raw_get(server.port, "/static/js/app.js")
    assert status == 200 and b"import" in body
    print(f"\npath traversal: {len(TRAVERSALS)} variants refused")


async def test_security_headers_on_errors_404s_and_hsts_only_over_tls(world, start_server):
    server, clients, _ids, _report = world
    anonymous = clients["anonymous"]
    for method, path in (("GET", "/no/such/page"), ("GET", "/static/nope.js"),
                         ("DELETE", "/api/rooms"), ("POST", "/healthz"), ("GET", "/ws"),
                         ("POST", "/api/auth/login")):
        response = await anonymous.http.request(method, path, content=b"{not json")
        assert response.status_code >= 400
        assert_headers(response)
        assert_no_leak(response)
    # Behind a proxy that says https: HSTS on every answer, and the cookie is Secure.
    proxied = start_server(trust_proxy_headers="true")
    async with httpx.AsyncClient(base_url=proxied.url,
                                 headers={"x-forwarded-proto": "https"}) as http_client:
        for path in ("/", "/no/such/page", "/api/rooms", "/static/js/app.js"):
            assert_headers(await http_client.get(path), tls=True)
    # A proxy header from a client when the server does not trust proxies changes nothing.
    async with httpx.AsyncClient(base_url=server.url,
                                 headers={"x-forwarded-proto": "https"}) as http_client:
        assert_headers(await http_client.get("/"), tls=False)


async def test_spoofed_forwarded_for_does_not_escape_the_per_client_login_limit(world):
    server, _clients, _ids, _report = world
    codes = []
    for i in range(31):  # 30 failures per client address (tests/test_login_limits.py)
        async with httpx.AsyncClient(base_url=server.url,
                                     headers={"x-forwarded-for": f"192.0.2.{i}"}) as c:
            codes.append((await c.post("/api/auth/login", json={
                "username": f"someone{i}", "password": "wrong password 123"})).status_code)
    assert codes[-1] == 429, codes
