"""Helpers for tests and the benchmark: real processes on free ports and a protocol client.

Shipped with the package (like structlog's testing module) so that anyone embedding or
extending the server can test against the real thing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

Frame = dict[str, Any]

# Server settings for tests that send far faster than people do: the connection's rate
# limits lifted, and the rooms' flood guards off.
FAST: dict[str, Any] = {"send_rate": 1000, "send_burst": 1000, "frame_rate": 2000,
                        "frame_burst": 2000, "max_connections_per_client": 10000,
                        "hello_rate": 1000, "hello_burst": 10000, "new_identity_rate": 1000,
                        "new_identity_burst": 10000, "join_rate": 1000, "join_burst": 10000,
                        "new_member_rate": 1000, "new_member_burst": 10000,
                        "sanction_cooldown_seconds": 0,
                        "filter_defaults": '{"flood": false, "newcomer": false}'}
FACILITATOR_PASSWORD = "hiljainen metsä ja kuu"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(count: int, avoid: Iterable[int] = ()) -> list[int]:
    """``count`` different free ports, none of ``avoid``: each socket stays bound until all
    are picked (two calls of free_port() may be given the same port back)."""
    avoid = set(avoid)
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            s = socket.socket()
            held.append(s)
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
            if port not in avoid:
                ports.append(port)
        return ports
    finally:
        for s in held:
            s.close()


def _wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s")


def _real_clock_env() -> dict[str, str]:
    """The environment without libfaketime: the suite can run with the clock years ahead
    (`faketime`, docs/operations.md), which reaches the chat servers it starts, but
    redis-server does not start under it. Redis holds only relative times (TTLs, stream ids
    it makes itself), so its real clock changes nothing the tests look at."""
    return {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME")}


class RedisServer:
    """A real redis-server on a free port, with no persistence, that a test may stop (SIGKILL,
    SIGSTOP) and start again on the same port."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian: apt-get install "
                               "redis-server); the Redis tests need it")
        self.binary = binary
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="chat-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_real_clock_env())
        _wait_for_port(self.port, 10, self.proc)
        return self

    def send_signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            if sig == signal.SIGSTOP:
                return
            self.proc.wait(10)
        self.proc = None

    def cleanup(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


class PortTaken(RuntimeError):
    """Another process bound the server's port first."""


class ServerProcess:
    """`python -m chatserver serve` on a free port with the given environment."""

    def __init__(self, env: Mapping[str, str], *, log_path: Path) -> None:
        self.port = free_port()
        self.env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port),
                    "LOG_LEVEL": "INFO", **env}
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, timeout: float = 30) -> ServerProcess:
        """Start, and wait until this process listens and answers. A free port can be taken
        by another test's server before this one binds it (then that server would answer
        here): a first start moves to another port; a restart keeps its port (clients
        reconnect to it) and fails."""
        first = self.proc is None
        for attempt in range(3):
            try:
                return self._start_once(timeout)
            except PortTaken:
                if not first or attempt == 2:
                    raise
                self.port = free_port()
                self.env["PORT"] = str(self.port)
        raise AssertionError("unreachable")

    def _start_once(self, timeout: float) -> ServerProcess:
        provide_sqlite_schema(self.env.get("DATABASE_URL", ""))
        mark = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "chatserver", "serve"],
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while '"server listening"' not in self._log_since(mark):
            if self.proc.poll() is not None:
                if "address already in use" in self._log_since(mark):
                    raise PortTaken(self.port)
                raise RuntimeError(f"server exited with {self.proc.returncode} before listening")
            if time.monotonic() > deadline:
                raise TimeoutError(f"server did not listen on port {self.port}")
            time.sleep(0.05)
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("server did not become healthy")

    def _log_since(self, mark: int) -> str:
        with open(self.log_path, "rb") as f:
            f.seek(mark)
            return f.read().decode(errors="replace")

    def get(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as r:
                ANSWERS_SEEN.append(("GET", path.split("?", 1)[0], r.status))
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            ANSWERS_SEEN.append(("GET", path.split("?", 1)[0], e.code))
            return e.code, json.loads(e.read() or b"null")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        code = self.proc.returncode
        self.proc = None
        return code

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class ChatClient:
    """A protocol client that records every frame it receives, for tests and the benchmark."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[Frame] = []
        self.token: str | None = None
        self.pseudonym: str | None = None
        self.closed: asyncio.Future[tuple[int | None, str]] = (
            asyncio.get_running_loop().create_future())
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())
        self._ids = 0

    @classmethod
    async def connect(cls, ws_url: str, *, token: str | None = None, lang: str = "fi",
                      hello: bool = True, **kwargs: Any) -> ChatClient:
        ws = await websockets.connect(ws_url, max_size=2**22, open_timeout=10, **kwargs)
        client = cls(ws)
        if hello:
            frame: Frame = {"type": "hello", "v": 1, "lang": lang}
            if token:
                frame["token"] = token
            await client.send(frame)
            welcome = await client.wait_for(lambda f: f["type"] in ("welcome", "error"))
            if welcome["type"] == "error":
                await client.close()
                raise RuntimeError(f"hello refused: {welcome['code']}")
            client.token = welcome.get("token", token)
            client.pseudonym = welcome["pseudonym"]
        return client

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self.frames.append(json.loads(raw))
                self._changed.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            if not self.closed.done():
                rcvd = self.ws.protocol.close_rcvd
                self.closed.set_result((rcvd.code if rcvd else None,
                                        rcvd.reason if rcvd else ""))
            self._changed.set()

    def next_id(self) -> str:
        self._ids += 1
        return f"c{self._ids}"

    async def send(self, frame: Frame | str | bytes) -> None:
        await self.ws.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))

    async def wait_for(self, predicate: Callable[[Frame], bool], timeout: float = 10,
                       start: int = 0) -> Frame:
        deadline = time.monotonic() + timeout
        seen = start
        while True:
            for frame in self.frames[seen:]:
                if predicate(frame):
                    return frame
            seen = len(self.frames)
            if self.closed.done():
                raise ConnectionError(f"closed {self.closed.result()} while waiting")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no matching frame; last frames: "
                                   f"{self.frames[-5:]!r}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def request(self, frame: Frame, timeout: float = 10) -> Frame:
        """Send a frame (with a fresh id unless it names one: a retry keeps its id) and return
        the answer that echoes it."""
        frame = {**frame, "id": frame.get("id") or self.next_id()}
        mark = len(self.frames)
        await self.send(frame)
        return await self.wait_for(lambda f: f.get("id") == frame["id"], timeout, start=mark)

    async def join(self, room: str, since: int | None = None, name: str | None = None,
                   timeout: float = 10, *, accept_rules: bool = True) -> Frame:
        """Join and wait until synced. A room with ground rules answers `rules_not_accepted`
        with their version; like a person who reads and accepts them, this joins again with
        it (unless ``accept_rules`` is False)."""
        frame: Frame = {"type": "join", "room": room}
        if since is not None:
            frame["since"] = since
        if name is not None:
            frame["name"] = name
        mark = len(self.frames)
        answer = await self.request(frame, timeout)
        if accept_rules and answer.get("code") == "rules_not_accepted":
            mark = len(self.frames)
            answer = await self.request({**frame, "rules": answer["reason"]}, timeout)
        if answer["type"] == "joined":
            await self.wait_for(lambda f: f["type"] == "synced" and f["room"] == room,
                                timeout, start=mark)
        return answer

    async def say(self, room: str, text: str, timeout: float = 10, **extra: Any) -> Frame:
        return await self.request({"type": "send", "room": room, "text": text, **extra},
                                  timeout)

    def events(self, room: str, kind: str | None = None) -> list[Frame]:
        """Stream frames (those with a seq) received for ``room``, in arrival order."""
        return [f for f in self.frames if "seq" in f and f.get("room") == room
                and f["type"] not in ("joined", "synced", "ack")
                and (kind is None or f["type"] == kind)]

    def last_seq(self, room: str) -> int:
        seqs = [f["seq"] for f in self.events(room)]
        return max(seqs) if seqs else 0

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(BaseException):
            await self._reader


_SCHEMA_TEMPLATE: list[Path] = []


def provide_sqlite_schema(database_url: str) -> None:
    """A fresh SQLite file for a test starts as a copy of one migrated once per test run:
    the server's own migration then finds nothing to do (hundreds of server starts each ran
    every migration otherwise). The migrations themselves are tested on their own."""
    prefix = "sqlite+aiosqlite:///"
    if not database_url.startswith(prefix):
        return
    target = Path(database_url[len(prefix):])
    if target.exists() or str(target) == ":memory:":
        return
    if not _SCHEMA_TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="chat-schema-"))
        template = folder / "template.sqlite3"
        subprocess.run([sys.executable, "-m", "chatserver", "migrate"],
                       env={**os.environ, "DATABASE_URL": prefix + str(template)},
                       capture_output=True, timeout=120, check=True)
        _SCHEMA_TEMPLATE.append(template)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_SCHEMA_TEMPLATE[0], target)


def create_admin(env: Mapping[str, str], username: str = "admin",
                 display_name: str = "Ylläpito") -> str:
    """Create an admin as `chatserver users create-admin --generate` does, in this process
    (a thread of its own, since the caller's event loop may be running); returns the
    password. tests/test_migrations_log.py and test_cli_help.py run the command itself."""
    import secrets

    from chatserver.core.staff import StaffService
    from chatserver.storage.migrate import migrate
    from chatserver.storage.staff import StaffStore
    from chatserver.storage.store import Store

    url = env["DATABASE_URL"]
    provide_sqlite_schema(url)
    password = secrets.token_urlsafe(18)

    async def create() -> None:
        await migrate(url)
        store = Store.from_url(url)
        try:
            await StaffService(StaffStore(store)).create(username, display_name, password,
                                                         "admin")
        finally:
            await store.close()

    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(create())
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    import threading

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(60)
    if failure:
        raise failure[0]
    return password


# (method, path, status) of every HTTP answer the helpers here received: the suite checks
# each against the OpenAPI description's answers for that operation (tests/conftest.py).
ANSWERS_SEEN: list[tuple[str, str, int]] = []


async def _note_answer(response: Any) -> None:
    ANSWERS_SEEN.append((response.request.method, response.request.url.path,
                         response.status_code))


class StaffHttp:
    """A signed-in staff browser: the session cookie plus the CSRF token."""

    def __init__(self, base_url: str) -> None:
        import httpx

        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10,
                                      event_hooks={"response": [_note_answer]})
        self.csrf = ""

    async def login(self, username: str, password: str, *, expect: int | None = 200) -> Any:
        """Sign in; a test that does not ask for another answer (``expect=None``: any) stops
        here if it is not signed in, so that a "forbidden" later cannot come from a failed
        sign-in instead of the rule it means to show."""
        response = await self.http.post("/api/auth/login",
                                        json={"username": username, "password": password})
        if expect is not None and response.status_code != expect:
            raise AssertionError(f"signing in as {username} answered {response.status_code}, "
                                 f"not {expect}: {response.text[:200]}")
        if response.status_code == 200:
            self.csrf = response.json()["csrf"]
        return response

    async def post(self, path: str, body: Any, **kw: Any) -> Any:
        return await self.http.post(path, json=body,
                                    headers={"x-csrf-token": self.csrf, **kw.pop("headers", {})},
                                    **kw)

    async def put(self, path: str, body: Any) -> Any:
        return await self.http.put(path, json=body, headers={"x-csrf-token": self.csrf})

    async def patch(self, path: str, body: Any) -> Any:
        return await self.http.patch(path, json=body, headers={"x-csrf-token": self.csrf})

    def cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())}

    async def socket(self, ws_url: str, **kwargs: Any) -> ChatClient:
        """The staff socket, as the server's own page opens it (a staff cookie is honoured
        only with an allowed Origin)."""
        scheme, rest = ws_url.split("://", 1)
        kwargs.setdefault("origin", f"{'https' if scheme == 'wss' else 'http'}://"
                                    f"{rest.split('/', 1)[0]}")
        return await ChatClient.connect(ws_url, additional_headers=self.cookie_header(),
                                        **kwargs)

    async def close(self) -> None:
        await self.http.aclose()


async def add_facilitator(admin: StaffHttp, username: str, rooms: list[str],
                          password: str = FACILITATOR_PASSWORD) -> str:
    """Create a facilitator through the admin API and assign rooms; returns the account id."""
    created = await admin.post("/api/staff", {"username": username, "password": password,
                                              "display_name": username.capitalize(),
                                              "role": "facilitator"})
    if created.status_code != 201:
        raise RuntimeError(f"facilitator not created: {created.text}")
    account_id = str(created.json()["id"])
    assigned = await admin.patch(f"/api/staff/{account_id}", {"rooms": rooms})
    if assigned.status_code != 200:
        raise RuntimeError(f"rooms not assigned: {assigned.text}")
    return account_id
