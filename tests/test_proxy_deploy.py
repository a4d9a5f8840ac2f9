"""Deployed as an operator would: Debian's nginx with deploy/nginx.conf.template (only addresses,
ports and certificate paths filled in) over TLS in front of the app processes.

- A rolling restart (SIGTERM one process, wait until it is ready again, then the other) while 50
  people stay connected and talk: no reconnect fails, the proxy answers no 5xx, no
  acknowledged message is lost or doubled.
- TLS: the staff cookie is Secure through the proxy, HSTS once, X-Forwarded-Proto on /ws too
  and kept when a TLS terminator in front of nginx set it, plain HTTP redirected.
- A header timeout at the proxy and a cap on open requests per address.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import signal
import ssl
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import websockets

from chatserver.testing import FAST, ChatClient, ServerProcess, create_admin, free_port
from tests.invariants import Ledger, check_room
from tests.proxy import Nginx, client_tls, make_certificate, placeholders

ROOM = "olohuone"
PEOPLE = 50
BEHIND_PROXY = {"trust_proxy_headers": "true", "forwarded_allow_ips": "127.0.0.1"}


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    return make_certificate(tmp_path)


@pytest.fixture
def start_nginx(tmp_path: Path, certificate, request: pytest.FixtureRequest):
    started: list[Nginx] = []

    def start(apps: tuple[str, str]) -> Nginx:
        proxy = Nginx(tmp_path / f"nginx-{len(started)}", apps, *certificate).start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        for proxy in started:
            print(f"--- nginx log ---\n{proxy.log_text()[-4000:]}")


def address(server: ServerProcess) -> str:
    return f"127.0.0.1:{server.port}"


# -- rolling restart ------------------------------------------------------------------------


@dataclass
class Tally:
    handshakes: Counter[int] = field(default_factory=Counter)  # attempt number -> tries
    failed: Counter[int] = field(default_factory=Counter)      # attempt number -> failures
    failures: Counter[str] = field(default_factory=Counter)    # what went wrong
    handshake_5xx: int = 0
    close_codes: Counter[int | None] = field(default_factory=Counter)
    polls: Counter[int] = field(default_factory=Counter)       # status -> count
    poll_errors: int = 0
    resent: int = 0  # sends without an answer before a 1012, sent again with the same id


class Participant:
    """A browser tab as static/js/client.js behaves: on 1012 it reconnects after 125-375 ms
    with its token, rejoins with `since`, and sends its unanswered message again with the same
    id; a failed attempt backs off (500 ms * 2^attempt, jittered) and tries again."""

    def __init__(self, index: int, url: str, tls: ssl.SSLContext, ledger: Ledger,
                 tally: Tally) -> None:
        self.index, self.url, self.tls = index, url, tls
        self.ledger, self.tally = ledger, tally
        self.conns: list[ChatClient] = []
        self.token: str | None = None
        self.reconnects = 0

    @property
    def client(self) -> ChatClient:
        return self.conns[-1]

    def last_seq(self) -> int:
        return max((c.last_seq(ROOM) for c in self.conns), default=0)

    async def _attempt(self) -> ChatClient:
        client = await ChatClient.connect(self.url, token=self.token, ssl=self.tls)
        since = self.last_seq()
        try:
            answer = await client.join(ROOM, since=since or None)
            if answer["type"] != "joined":
                raise RuntimeError(f"join answered {answer.get('code')}")
        except BaseException:
            await client.close()
            raise
        return client

    async def connect(self) -> None:
        self.conns.append(await self._attempt())
        self.token = self.client.token

    async def reconnect(self) -> None:
        code, _ = await self.client.closed
        self.tally.close_codes[code] += 1
        self.reconnects += 1
        base = 0.25 if code == 1012 else 1.0
        attempt = 0
        while True:
            await asyncio.sleep(base / 2 + random.random() * base)
            attempt += 1
            self.tally.handshakes[attempt] += 1
            try:
                client = await self._attempt()
            except (OSError, TimeoutError, RuntimeError, ConnectionError,
                    websockets.InvalidHandshake, websockets.ConnectionClosed) as exc:
                self.tally.failed[attempt] += 1
                status = getattr(getattr(exc, "response", None), "status_code", None)
                if status is not None and status >= 500:
                    self.tally.handshake_5xx += 1
                self.tally.failures[f"{type(exc).__name__} {status or ''}".strip()] += 1
                assert attempt < 6, (f"participant {self.index} could not reconnect: "
                                     f"failed {dict(self.tally.failed)} "
                                     f"{dict(self.tally.failures)}, GET /api/rooms "
                                     f"{dict(self.tally.polls)}")
                base = min(30.0, 0.5 * 2 ** attempt)
                continue
            assert client.pseudonym is not None and client.token == self.token
            self.conns.append(client)
            return

    async def talk(self, stop: asyncio.Event, interval: float) -> None:
        await asyncio.sleep(random.random() * interval)
        n = 0
        while not stop.is_set():
            text, request_id = f"p{self.index} m{n}", f"m{n}"
            while True:
                try:
                    answer = await self.client.say(ROOM, text, timeout=20, id=request_id)
                except (ConnectionError, websockets.ConnectionClosed):
                    await self.reconnect()  # and the same message again, with its id
                    self.tally.resent += 1
                    continue
                if self.ledger.record(ROOM, answer, text):
                    break
                assert answer["code"] == "unavailable", answer
                await asyncio.sleep(0.2)
            n += 1
            closed = self.client.closed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(closed), interval)
            if closed.done():
                await self.reconnect()


async def poll_rooms(origin: str, tls: ssl.SSLContext, stop: asyncio.Event,
                     tally: Tally) -> None:
    async with httpx.AsyncClient(base_url=origin, verify=tls, timeout=10) as http:
        while not stop.is_set():
            try:
                response = await http.get("/api/rooms")
                tally.polls[response.status_code] += 1
            except httpx.HTTPError:
                tally.poll_errors += 1
            await asyncio.sleep(0.05)


def connections(server: ServerProcess) -> int:
    import urllib.request

    with urllib.request.urlopen(server.url + "/metrics", timeout=5) as r:
        text = r.read().decode()
    found = re.search(r"^chat_connections (\d+)", text, re.M)
    assert found, "chat_connections missing from /metrics"
    return int(found.group(1))


async def wait_ready(server: ServerProcess, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (await asyncio.to_thread(server.get, "/readyz"))[0] != 200:
        assert time.monotonic() < deadline, "the restarted process never became ready"
        await asyncio.sleep(0.1)


async def restart(server: ServerProcess) -> float:
    """What docs/operations.md tells the operator to do for one process: SIGTERM, start it
    again, wait until its own /readyz says 200. Returns the seconds it was away."""
    t0 = time.monotonic()
    code = await asyncio.to_thread(server.stop, signal.SIGTERM, 30)
    assert code in (0, -signal.SIGTERM), f"exit status {code} after SIGTERM"
    await asyncio.to_thread(server.start)
    await wait_ready(server)
    return time.monotonic() - t0


async def test_rolling_restart_behind_nginx_drops_no_one(start_server, start_nginx, redis_server,
                                                         pg_url, certificate):
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST, **BEHIND_PROXY)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST, **BEHIND_PROXY)
    proxy = start_nginx((address(a), address(b)))
    tls = client_tls(certificate[0])
    ledger, tally = Ledger(), Tally()
    people = [Participant(i, proxy.wss_url, tls, ledger, tally) for i in range(PEOPLE)]
    await asyncio.gather(*[p.connect() for p in people])
    spread = (connections(a), connections(b))
    assert sum(spread) == PEOPLE and min(spread) >= PEOPLE // 5, spread

    stop = asyncio.Event()
    talking = [asyncio.create_task(p.talk(stop, interval=1.0)) for p in people]
    polling = asyncio.create_task(poll_rooms(proxy.origin, tls, stop, tally))
    await asyncio.sleep(2)
    t0 = time.monotonic()
    away_a = await restart(a)
    await asyncio.sleep(1)
    away_b = await restart(b)
    rolled = time.monotonic() - t0
    await asyncio.sleep(2)
    # Everyone is back and talking, all on A: the process restarted first took every person
    # of the one restarted last (nginx did not keep it out after its restart).
    assert (connections(a), connections(b)) == (PEOPLE, 0)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*talking), 60)
    await polling

    assert all(not p.client.closed.done() for p in people), "everyone is still connected"
    last = await people[0].client.say(ROOM, "loppu")
    assert ledger.record(ROOM, last, "loppu")
    await asyncio.gather(*[p.client.wait_for(lambda f: f.get("text") == "loppu", 20)
                           for p in people])
    checked = await check_room(pg_url, ROOM, ledger, [p.conns for p in people])

    reconnects = sum(p.reconnects for p in people)
    failed_first = tally.failed[1]
    failed_later = sum(n for attempt, n in tally.failed.items() if attempt > 1)
    polls_5xx = sum(n for status, n in tally.polls.items() if status >= 500)
    print(f"\nrolling restart behind nginx with {PEOPLE} people: {rolled:.1f} s "
          f"(A away {away_a:.1f} s, B away {away_b:.1f} s); {reconnects} reconnects, "
          f"close codes {dict(tally.close_codes)}; handshakes by attempt "
          f"{dict(tally.handshakes)}, failed {dict(tally.failed)} {dict(tally.failures)}; "
          f"GET /api/rooms through the proxy {dict(tally.polls)}, {tally.poll_errors} errors; "
          f"{tally.resent} sends answered only after a reconnect; {ledger.count()} "
          f"acknowledged, {checked} events checked, none lost or doubled")
    assert reconnects >= PEOPLE, "every person was moved at least once"
    assert set(tally.close_codes) == {1012}, "every socket was closed as a restart, no drop"
    assert failed_later == 0, "no reconnect failed after its first retry"
    assert failed_first == 0 and tally.handshake_5xx == 0, tally.failures
    assert polls_5xx == 0 and tally.poll_errors == 0, tally.polls
    assert sum(tally.polls.values()) > 100 and set(tally.polls) == {200}, tally.polls
    assert "127.0.0.1" not in proxy.request_log_text(), "nginx's logs name no client"
    for p in people:
        for c in p.conns:
            await c.close()


# -- TLS, headers, failover -----------------------------------------------------------------


class Recorder:
    """A process that is not ready: answers every request 503 and keeps the request heads the
    proxy sent it, so the test sees exactly what nginx passes to the app."""

    def __init__(self) -> None:
        self.port = free_port()
        self.heads: list[str] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> Recorder:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            head = await reader.readuntil(b"\r\n\r\n")
            self.heads.append(head.decode("latin-1"))
            writer.write(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n"
                         b"connection: close\r\n\r\n")
            await writer.drain()
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    def seen(self, path: str) -> list[dict[str, str]]:
        found = []
        for head in self.heads:
            first, *lines = head.strip().split("\r\n")
            if first.split(" ")[1] == path:
                found.append({k.strip().lower(): v.strip() for k, v in
                              (line.split(":", 1) for line in lines)})
        return found

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


def cookie_attributes(response: httpx.Response) -> set[str]:
    header = response.headers["set-cookie"]
    return {part.strip().split("=", 1)[0].lower() for part in header.split(";")[1:]}


async def test_tls_proxy_makes_the_staff_cookie_secure_with_one_hsts(start_server, start_nginx,
                                                                   certificate, tmp_path):
    """The second process is down (nothing listens at its address): every request still
    reaches the first, POSTs included (a refused connection never reached a process)."""
    db = f"sqlite+aiosqlite:///{tmp_path}/tls.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    app = start_server(database_url=db, **FAST, **BEHIND_PROXY)
    proxy = start_nginx((address(app), f"127.0.0.1:{free_port()}"))
    tls = client_tls(certificate[0])
    async with httpx.AsyncClient(base_url=proxy.origin, verify=tls, timeout=10) as https:
        # Over TLS: one HSTS header (nginx's; the app's own is hidden), the app's CSP.
        for _ in range(3):
            page = await https.get("/")
            assert page.status_code == 200
            assert page.headers.get_list("strict-transport-security") == [
                "max-age=31536000; includeSubDomains"]
            assert "content-security-policy" in page.headers
        # A client claiming plain HTTP over TLS does not downgrade what the app is told.
        login = await https.post("/api/auth/login", headers={"x-forwarded-proto": "http"},
                                 json={"username": "admin", "password": password})
        assert login.status_code == 200, login.text
        assert {"secure", "httponly", "samesite"} <= cookie_attributes(login)
        me = await https.get("/api/auth/me")
        assert me.status_code == 200 and me.json()["account"]["username"] == "admin"
        # The staff socket over wss carries the cookie and is signed in.
        staff = await ChatClient.connect(proxy.wss_url, ssl=tls, origin=proxy.origin,
                                         additional_headers={"Cookie": "; ".join(
                                             f"{k}={v}" for k, v in https.cookies.items())})
        participant = await ChatClient.connect(proxy.wss_url, ssl=tls)
        roles = [next(f["role"] for f in c.frames if f["type"] == "welcome")
                 for c in (staff, participant)]
        assert roles == ["admin", "participant"], roles
        await staff.join(ROOM)
        await participant.join(ROOM)
        await participant.say(ROOM, "salattu yhteys")
        await staff.wait_for(lambda f: f.get("text") == "salattu yhteys")
        await staff.close()
        await participant.close()

    async with httpx.AsyncClient(base_url=proxy.plain, timeout=10) as plain:
        # Plain HTTP is redirected to the https origin, without HSTS (meaningless there).
        moved = await plain.get("/api/rooms?x=1")
        assert moved.status_code == 308
        assert moved.headers["location"] == f"{proxy.origin}/api/rooms?x=1"
        assert "strict-transport-security" not in moved.headers
        ws_moved = await plain.get("/ws", headers={"upgrade": "websocket",
                                                    "connection": "upgrade"})
        assert ws_moved.status_code == 308
        # A TLS terminator in front of nginx said https: nginx keeps it, so the request is
        # served, the cookie is Secure and HSTS is sent once.
        outer = {"x-forwarded-proto": "https"}
        served = await plain.get("/api/rooms", headers=outer)
        assert served.status_code == 200
        assert len(served.headers.get_list("strict-transport-security")) == 1
        login = await plain.post("/api/auth/login", headers=outer,
                                 json={"username": "admin", "password": password})
        assert login.status_code == 200 and "secure" in cookie_attributes(login)


async def test_proxy_tells_processes_proto_and_address_on_ws_too_and_passes_503s_on(
        start_server, start_nginx, certificate):
    """The second process is not ready (answers 503) and records what nginx sent it: every
    request still reaches the first process, and /ws carries X-Forwarded-Proto too."""
    app = start_server(**FAST, **BEHIND_PROXY)
    recorder = await Recorder().start()
    proxy = start_nginx((address(app), f"127.0.0.1:{recorder.port}"))
    tls = client_tls(certificate[0])
    spoofed = {"x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "http"}
    try:
        async with httpx.AsyncClient(base_url=proxy.origin, verify=tls, timeout=10) as https:
            for _ in range(4):
                assert (await https.get("/", headers=spoofed)).status_code == 200
        async with httpx.AsyncClient(base_url=proxy.plain, timeout=10) as plain:
            for _ in range(4):  # behind a TLS terminator
                served = await plain.get("/api/rooms", headers={"x-forwarded-proto": "https"})
                assert served.status_code == 200
        # Sockets: the recorder is tried first once the app holds one (fewest connections).
        sockets = [await ChatClient.connect(proxy.wss_url, ssl=tls, additional_headers=spoofed)
                   for _ in range(3)]
        for client in sockets:
            await client.join(ROOM)
            await client.close()
    finally:
        await recorder.stop()

    ws, pages, api = recorder.seen("/ws"), recorder.seen("/"), recorder.seen("/api/rooms")
    assert ws and pages and api, (len(recorder.heads), "the recorder was never tried")
    for head in [*ws, *pages, *api]:
        assert head["x-forwarded-proto"] == "https"
        assert head["x-forwarded-for"] == "127.0.0.1", "a client's own X-Forwarded-For is replaced"
    for head in ws:
        assert head["upgrade"].lower() == "websocket" and head["connection"].lower() == "upgrade"
    print(f"\nthe not-ready process was tried first for {len(ws)} sockets and "
          f"{len(pages) + len(api)} requests; nginx passed each to the ready one")


# -- slow clients and a per-address cap -----------------------------------------------------


async def trickle_header(port: int, tls: ssl.SSLContext | None) -> float:
    """Send half a request header, then one more header line a second; return the seconds
    until the proxy closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=tls)
    t0 = time.monotonic()
    try:
        writer.write(b"GET /api/rooms HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        while time.monotonic() - t0 < 30:
            try:
                data = await asyncio.wait_for(reader.read(4096), 1.0)
            except TimeoutError:
                writer.write(b"X-Slow: 1\r\n")
                continue
            if not data:
                break
            raise AssertionError(f"the proxy answered a half header: {data[:60]!r}")
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
    return time.monotonic() - t0


async def test_proxy_closes_trickled_headers_and_caps_requests_per_address(
        start_server, start_nginx, certificate):
    app = start_server(**FAST, **BEHIND_PROXY)
    proxy = start_nginx((address(app), address(app)))
    tls = client_tls(certificate[0])
    slow = [asyncio.create_task(trickle_header(port, context)) for port, context in
            [(proxy.http_port, None)] * 25 + [(proxy.https_port, tls)] * 25]

    # Meanwhile the proxy serves everyone else, and caps open requests per address: a
    # WebSocket is one for as long as it is open.
    async with httpx.AsyncClient(base_url=proxy.origin, verify=tls, timeout=10) as https:
        assert (await https.get("/api/rooms")).status_code == 200
    cap = int(re.search(r"limit_conn chat_per_address (\d+);",
                        proxy.site.read_text()).group(1))  # type: ignore[union-attr]
    opened = [await websockets.connect(proxy.wss_url, ssl=tls) for _ in range(cap)]
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(proxy.wss_url, ssl=tls)
    assert refused.value.response.status_code == 429
    await opened.pop().close()
    opened.append(await websockets.connect(proxy.wss_url, ssl=tls))
    for ws in opened:
        await ws.close()

    held = await asyncio.gather(*slow)
    print(f"\nhalf headers trickled a line a second: closed by the proxy after "
          f"{min(held):.1f}-{max(held):.1f} s (50 connections, plain and TLS); "
          f"request cap per address {cap}, the next one 429")
    assert max(held) < 12, "client_header_timeout (10 s) closes a trickled header"
    assert min(held) > 8, "closed by the header timeout, not before"
    assert "127.0.0.1" not in proxy.request_log_text(), "nginx's logs name no client"


def test_operators_render_the_template_with_the_documented_values():
    """docs/operations.md's envsubst line names exactly the template's values (any other
    `$name` would be left for nginx, any missing one would reach nginx unrendered)."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "operations.md").read_text()
    named = re.search(r"envsubst '([^']+)'", doc)
    assert named, "docs/operations.md shows the envsubst step"
    assert set(re.findall(r"\$(CHAT_[A-Z0-9_]+)", named.group(1))) == placeholders()
    compose = (Path(__file__).resolve().parent.parent / "docker-compose.yml").read_text()
    assert set(re.findall(r"^\s+(CHAT_[A-Z0-9_]+):", compose, re.M)) == placeholders()
