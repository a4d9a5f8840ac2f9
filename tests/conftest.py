"""Fixtures that start real parts: redis-server, PostgreSQL databases, uvicorn processes.

Nothing here skips: a missing part (redis-server, PostgreSQL) is an error, as it is in CI.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    RedisServer,
    ServerProcess,
    StaffHttp,
    add_facilitator,
    create_admin,
)

PG_ADMIN_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")


def run_in_thread(coro_fn: Callable[[], Any]) -> Any:
    """Run a coroutine to completion from sync code even inside a running loop."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro_fn())
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


def _create_pg_database() -> tuple[str, str]:
    name = f"chat_test_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    try:
        run_in_thread(create)
    except (OSError, asyncpg.PostgresError) as exc:
        raise RuntimeError(f"PostgreSQL at {PG_ADMIN_DSN} is required for these tests and is "
                           f"not reachable: {exc!r}") from exc
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return name, f"{base}/{name}"


def _drop_pg_database(name: str) -> None:
    async def drop() -> None:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    run_in_thread(drop)


@pytest.fixture
def pg_url() -> Iterator[str]:
    name, url = _create_pg_database()
    yield url
    _drop_pg_database(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/chat.sqlite3"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Runs the test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/chat.sqlite3"
        return
    name, url = _create_pg_database()
    yield url
    _drop_pg_database(name)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.cleanup()


ServerFactory = Callable[..., ServerProcess]


@pytest.fixture
def start_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[ServerFactory]:
    """Start `chatserver serve` processes; each is stopped (and its log kept) at teardown."""
    started: list[ServerProcess] = []

    def start(*, database_url: str | None = None, redis_url: str = "",
              **env: str) -> ServerProcess:
        index = len(started)
        values = {
            "DATABASE_URL": database_url or f"sqlite+aiosqlite:///{tmp_path}/chat.sqlite3",
            "REDIS_URL": redis_url,
            **{k.upper(): str(v) for k, v in env.items()},
        }
        proc = ServerProcess(values, log_path=tmp_path / f"server-{index}.log")
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.stop()
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        for index, proc in enumerate(started):
            print(f"--- server-{index} log ---\n{proc.log_text()[-4000:]}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
async def staffed(start_server, tmp_path):
    """One server (SQLite, flood guards off), an admin, and facilitator Sanna in olohuone,
    signed in with a socket already in the room."""
    db = f"sqlite+aiosqlite:///{tmp_path}/staffed.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, **FAST)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    await add_facilitator(admin, "sanna", ["olohuone"])
    sanna_http = StaffHttp(server.url)
    await sanna_http.login("sanna", FACILITATOR_PASSWORD)
    sanna: ChatClient = await sanna_http.socket(server.ws_url)
    await sanna.join("olohuone")
    yield server, sanna
    await sanna.close()
    await admin.close()
    await sanna_http.close()


@pytest.fixture(scope="session", autouse=True)
def answers_are_documented() -> Iterator[None]:
    """Every HTTP answer the suite saw from an API operation is one the OpenAPI description
    lists for it (issue 18, item 23): the description cannot drift from what the app does."""
    yield
    import re

    from chatserver.testing import ANSWERS_SEEN
    from chatserver.web.openapi import document

    paths = document()["paths"]
    templates = [(re.compile("^" + "[^/]+".join(map(re.escape, re.split(r"{\w+}", t))) + "$"),
                  t) for t in paths]
    undocumented = set()
    for method, path, status in ANSWERS_SEEN:
        for pattern, template in templates:
            operation = paths[template].get(method.lower())
            if operation is not None and pattern.match(path):
                if str(status) not in operation["responses"]:
                    undocumented.add((method, template, status))
                break
    assert not undocumented, f"answers missing from the OpenAPI description: {sorted(undocumented)}"
