"""Starting the servers under test, pinned to the server core, and reading their CPU and memory
from /proc."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chatserver.testing import free_port

REPO = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
# The cores this process may use, read once at import (before the generator pins itself).
_USABLE = sorted(os.sched_getaffinity(0))
SERVER_CORE = _USABLE[0]
GENERATOR_CORE = _USABLE[1] if len(_USABLE) > 1 else _USABLE[0]
PG_DSN = os.environ.get("BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")

# The product with its rate limits lifted (the generator sends far faster than people do) and
# the rooms' flood and newcomer guards off (they would refuse a benchmark's cadence); every
# other part of the message path stays on: validation, the moderation screen (blocklist,
# personal details, crisis language), sequence numbers, persistence, presence.
PRODUCT_ENV = {
    "SEED_EXAMPLE_ROOMS": "false",
    "LOG_LEVEL": "WARNING",
    "SEND_RATE": "100000", "SEND_BURST": "100000",
    "FRAME_RATE": "200000", "FRAME_BURST": "200000",
    # Every simulated person connects from the loopback: one address, so the per-address
    # limits on connections, hellos, new identities and joins (issue 17) are lifted too.
    "MAX_CONNECTIONS_PER_CLIENT": "1000000",
    "HELLO_RATE": "1000000", "HELLO_BURST": "1000000",
    "NEW_IDENTITY_RATE": "1000000", "NEW_IDENTITY_BURST": "1000000",
    "JOIN_RATE": "1000000", "JOIN_BURST": "1000000",
    "NEW_MEMBER_RATE": "1000000", "NEW_MEMBER_BURST": "1000000",
    "FILTER_DEFAULTS": '{"flood": false, "newcomer": false}',
    "SECRET_KEY": "benchmark-secret-key-not-for-production",
}


def cores() -> int:
    return len(_USABLE)


def pinned(argv: list[str], core: int) -> list[str]:
    """``taskset -c CORE argv`` where the machine has the cores and taskset."""
    if cores() >= 2 and shutil.which("taskset"):
        return ["taskset", "-c", str(core), *argv]
    return argv


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def wait_port(port: int, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listened on port {port} within {timeout} s")


def wait_healthy(port: int, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    wait_port(port, timeout, proc)
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        time.sleep(0.05)
    raise TimeoutError("server did not become healthy")


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    adapter: str  # bench.client.ADAPTERS key
    module: str  # python -m MODULE
    processes: int = 1
    redis: bool = False
    product: bool = False
    postgres: bool = False
    join_concurrency: int | None = None  # None: the scenario's own
    phases: tuple[str, ...] = ("throughput", "capacity")
    extra_args: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("websockets", "(a) websockets broadcast (ceiling)", "baseline",
         "bench.baselines.ws_server"),
    Kind("starlette", "(b) Starlette + uvicorn, in memory", "baseline",
         "bench.baselines.starlette_server"),
    Kind("product", "product, 1 process (in-process broker, SQLite)", "product",
         "chatserver", product=True),
    Kind("socketio", "(c) python-socketio + AsyncRedisManager, 2 processes", "socketio",
         "bench.baselines.socketio_server", processes=2, redis=True),
    Kind("broadcaster", "(d) broadcaster (Redis) + Starlette, 2 processes", "baseline",
         "bench.baselines.broadcaster_server", processes=2, redis=True),
    # broadcaster 0.3.1 loses messages two ways: its Redis listener stops for good when it
    # starts before its first subscription is complete, and members who join a room at the
    # same moment replace each other's subscription (Broadcast.subscribe). The same server
    # with both worked around (a standing subscription from the start, members joining one
    # at a time), to see what it costs when it delivers.
    Kind("broadcaster-fixed", "(d') broadcaster, both losses worked around", "baseline",
         "bench.baselines.broadcaster_server", processes=2, redis=True, join_concurrency=1,
         phases=("throughput",), extra_args=("--workaround",)),
    Kind("product-redis", "product, 2 processes (Redis, PostgreSQL)", "product",
         "chatserver", processes=2, redis=True, product=True, postgres=True),
)}


@dataclass
class ServerSet:
    """The processes of one kind: app processes (and Redis, and the database's backends)."""

    kind: Kind
    rooms: list[tuple[str, int]]  # (room id, capacity) the product must have
    logdir: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    redis: subprocess.Popen[bytes] | None = None
    redis_dir: str | None = None
    db_name: str | None = None
    sqlite_path: str | None = None
    pg_pids: list[int] = field(default_factory=list)
    pg_ready: bool = False

    @property
    def ws_urls(self) -> list[str]:
        path = "/socket.io/?EIO=4&transport=websocket" if self.kind.adapter == "socketio" \
            else "/ws"
        return [f"ws://127.0.0.1:{port}{path}" for port in self.ports]

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    async def start(self) -> ServerSet:
        env = dict(os.environ)
        env.pop("REDIS_URL", None)
        redis_url = ""
        if self.kind.redis:
            port = free_port()
            self.redis_dir = tempfile.mkdtemp(prefix="bench-redis-")
            self.redis = subprocess.Popen(  # noqa: ASYNC220
                pinned(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                        "--save", "", "--appendonly", "no", "--dir", self.redis_dir,
                        "--protected-mode", "no"], SERVER_CORE),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_port(port, 10, self.redis)
            redis_url = f"redis://127.0.0.1:{port}/0"
        if self.kind.product:
            env.update(PRODUCT_ENV)
            if self.kind.postgres:
                self.db_name = f"bench_{os.getpid()}_{int(time.time() * 1000) % 10**9}"
                await _pg_execute(f'CREATE DATABASE "{self.db_name}"')
                base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
                env["DATABASE_URL"] = f"{base}/{self.db_name}"
            else:
                fd, self.sqlite_path = tempfile.mkstemp(prefix="bench-", suffix=".sqlite3")
                os.close(fd)
                os.unlink(self.sqlite_path)
                env["DATABASE_URL"] = f"sqlite+aiosqlite:///{self.sqlite_path}"
            if redis_url:
                env["REDIS_URL"] = redis_url
            subprocess.run([sys.executable, "-m", "chatserver", "migrate"], env=env, cwd=REPO,  # noqa: ASYNC221
                           check=True, capture_output=True, timeout=120)
            await _add_rooms(env["DATABASE_URL"], self.rooms)
        for i in range(self.kind.processes):
            port = free_port()
            if self.kind.product:
                argv = [sys.executable, "-m", "chatserver", "serve", "--port", str(port)]
            else:
                argv = [sys.executable, "-m", self.kind.module, "--port", str(port)]
                if redis_url:
                    argv += ["--redis", redis_url]
                argv += list(self.kind.extra_args)
            log = open(self.logdir / f"{self.kind.name}-{i}-{port}.log", "ab")  # noqa: ASYNC230
            proc = subprocess.Popen(pinned(argv, SERVER_CORE), env=env, cwd=REPO, stdout=log,  # noqa: ASYNC220
                                    stderr=subprocess.STDOUT)
            log.close()
            self.procs.append(proc)
            self.ports.append(port)
        for proc, port in zip(self.procs, self.ports, strict=True):
            if self.kind.product:
                wait_healthy(port, 60, proc)
            else:
                wait_port(port, 30, proc)
        return self

    async def refresh_db_pids(self) -> None:
        """The PostgreSQL backends that serve this run's database (their CPU is the
        product's too)."""
        if self.db_name is None:
            return
        import asyncpg

        conn = await asyncpg.connect(PG_DSN)
        try:
            rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1",
                                    self.db_name)
        finally:
            await conn.close()
        self.pg_pids = sorted({*self.pg_pids, *(r["pid"] for r in rows)})

    async def age_identities(self) -> None:
        """Every identity last used yesterday: a returning hello is then the first of the day
        (what most hellos at 18:00 are)."""
        yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(
            hour=0, minute=0, second=0, microsecond=0)
        if self.db_name is not None:
            import asyncpg

            conn = await asyncpg.connect(PG_DSN.rsplit("/", 1)[0] + "/" + self.db_name)
            try:
                await conn.execute("UPDATE identities SET last_seen_on = $1", yesterday)
            finally:
                await conn.close()
        elif self.sqlite_path is not None:
            import sqlite3

            def age(path: str) -> None:
                with contextlib.closing(sqlite3.connect(path, timeout=30)) as db, db:
                    # As SQLAlchemy stores a time in SQLite: naive UTC text.
                    db.execute("UPDATE identities SET last_seen_on = ?",
                               (yesterday.strftime("%Y-%m-%d %H:%M:%S.%f"),))

            await asyncio.to_thread(age, self.sqlite_path)

    def cpu(self) -> dict[str, float]:
        return {"app": sum(cpu_seconds(pid) for pid in self.pids),
                "redis": cpu_seconds(self.redis.pid) if self.redis else 0.0,
                "db": sum(cpu_seconds(pid) for pid in self.pg_pids)}

    def rss(self) -> dict[str, int]:
        return {"app_kb": sum(rss_kb(pid) for pid in self.pids),
                "redis_kb": rss_kb(self.redis.pid) if self.redis else 0}

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.procs)

    async def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.procs:
            while proc.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        if self.redis is not None:
            self.redis.kill()
            self.redis.wait(5)
        if self.redis_dir:
            shutil.rmtree(self.redis_dir, ignore_errors=True)
        if self.db_name is not None:
            with contextlib.suppress(Exception):
                await _pg_execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        if self.sqlite_path:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.unlink(self.sqlite_path + suffix)

    def log_tail(self, lines: int = 20) -> str:
        out = []
        for path in sorted(self.logdir.glob(f"{self.kind.name}-*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"== {path.name}\n" + "\n".join(text))
        return "\n".join(out)


async def _pg_execute(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _add_rooms(database_url: str, rooms: list[tuple[str, int]]) -> None:
    """The rooms of the scenarios, in one transaction: open drop-in rooms that keep their
    history for 30 days (so every message is persisted)."""
    from datetime import UTC, datetime

    from chatserver.storage.models import Room
    from chatserver.storage.store import Store

    store = Store.from_url(database_url)
    now = datetime.now(UTC)
    values = [{"id": room, "names": {"fi": room, "sv": room, "en": room},
               "descriptions": {"fi": "", "sv": "", "en": ""}, "kind": "unguided",
               "access": "drop_in", "capacity": capacity, "retention": "days",
               "retention_days": 30, "is_open": True, "last_seq": 0, "position": i,
               "created_at": now} for i, (room, capacity) in enumerate(rooms)]
    try:
        async with store.sessions.begin() as s:
            for start in range(0, len(values), 500):
                await s.execute(store.insert(Room).values(values[start:start + 500])
                                .on_conflict_do_nothing())
    finally:
        await store.close()
