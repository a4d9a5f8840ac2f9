"""Hot reads through the plain driver, beside the engine.

What the first people of a room need when they join (the room's last number, its newest events,
its controls, the sanctions in force) is read once per room; at 18:00 that is hundreds of rooms
in the same minute. What each person's hello and join read (their identity by its token, their
accepted ground rules, a guided room's sharing round, a closed group's name) is read for
everyone; the join's small writes (attendance, an acceptance) go through the same connections
(``Store.write_raw``). Through an ORM session each statement costs about 700 µs of CPU here, most
of it in hops to aiosqlite's thread and back (checkout, execute, fetch, close, rollback on
return); on a plain connection one `execute_fetchall` is one hop: about 75 µs for the same read
(measured, issue 20). On PostgreSQL the same read through the engine costs ~1.2 ms of CPU,
through a small asyncpg pool of its own ~180 µs. The timers' reads go here too (the session
timer's and the alert loop's, every few seconds on every process, idle or not): they were a
fifth of what an idle process cost.

Reads only, outside any transaction (each statement sees the latest commit; SQLite in WAL
mode). The SQL is written once with ``?`` placeholders, numbered for PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterable
from typing import Any

import aiosqlite
import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

# Connections of the PostgreSQL read pool, per process (beside the engine's pool).
PG_READ_POOL = 4


class RawReader:
    def __init__(self, path: str) -> None:
        self._path = path
        self._conn: aiosqlite.Connection | None = None
        self._opening = asyncio.Lock()

    async def _connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            async with self._opening:
                if self._conn is None:
                    conn = await aiosqlite.connect(self._path, timeout=15)
                    await conn.execute("PRAGMA busy_timeout=10000")
                    self._conn = conn
        return self._conn

    async def rows(self, sql: str, params: tuple[Any, ...]) -> Iterable[sqlite3.Row]:
        """The rows of one read; a driver error is raised as the engine's would be
        (``DatabaseError``), and the connection is opened afresh next time."""
        try:
            return await (await self._connection()).execute_fetchall(sql, params)
        except (sqlite3.Error, ValueError) as exc:  # ValueError: the connection was closed
            await self.close()
            raise OperationalError(sql, params, exc) from exc

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()


async def _nothing_to_reset(conn: asyncpg.Connection) -> None:
    """This pool's statements change no session state (no SET, LISTEN, cursor or advisory
    lock), so a connection goes back without asyncpg's reset query: a round trip to the
    server per read and per event batch saved. An open transaction is still rolled back
    (asyncpg does that before calling this)."""


class PgRawReader:
    def __init__(self, url: URL) -> None:
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        self._numbered: dict[str, str] = {}

    async def _connections(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self._dsn, min_size=1, max_size=PG_READ_POOL, timeout=10,
                        reset=_nothing_to_reset)
        return self._pool

    def _sql(self, sql: str) -> str:
        numbered = self._numbered.get(sql)
        if numbered is None:
            parts = sql.split("?")
            numbered = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))
            self._numbered[sql] = numbered
        return numbered

    async def rows(self, sql: str, params: tuple[Any, ...]) -> Iterable[Any]:
        try:
            pool = await self._connections()
            found: list[Any] = await pool.fetch(self._sql(sql), *params, timeout=10)
            return found
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError,
                TimeoutError) as exc:
            raise OperationalError(sql, params, exc) from exc

    async def execute(self, sql: str, params: tuple[Any, ...]) -> None:
        """One statement that returns nothing (atomic by itself: no BEGIN and COMMIT)."""
        try:
            pool = await self._connections()
            await pool.execute(self._sql(sql), *params, timeout=10)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError,
                TimeoutError) as exc:
            raise OperationalError(sql, params, exc) from exc

    async def write(self, steps: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        """Statements (each with its rows, executemany) in one transaction: the events'
        durable write, ~1.2 ms of CPU a batch through the engine (issue 20). Not a read, but
        the same pool and the same reason."""
        todo = [(sql, rows) for sql, rows in steps if rows]
        if not todo:
            return
        try:
            pool = await self._connections()
            async with pool.acquire(timeout=10) as conn:
                if len(todo) == 1:
                    # One executemany is atomic by itself (asyncpg ≥ 0.22 sends a single
                    # Sync): BEGIN and COMMIT would be two more round trips a batch.
                    sql, rows = todo[0]
                    await conn.executemany(self._sql(sql), rows, timeout=10)
                    return
                async with conn.transaction():
                    for sql, rows in todo:
                        await conn.executemany(self._sql(sql), rows, timeout=10)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError,
                TimeoutError) as exc:
            raise OperationalError(steps[0][0], None, exc) from exc

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pool.close(), 5)
