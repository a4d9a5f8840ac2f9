"""Hot reads on SQLite through a plain driver connection of their own.

What the first people of a room need when they join (the room's last number, its newest events,
its controls, the sanctions in force) is read once per room; at 18:00 that is hundreds of rooms
in the same minute. Through an ORM session each statement costs about 700 µs of CPU here, most
of it in hops to aiosqlite's thread and back (checkout, execute, fetch, close, rollback on
return); on a plain connection one `execute_fetchall` is one hop: about 75 µs for the same read
(measured, issue 20). PostgreSQL keeps the engine's path: asyncpg has no such thread.

Reads only, outside any transaction: in WAL mode each statement sees the latest commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterable
from typing import Any

import aiosqlite
from sqlalchemy.exc import OperationalError


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
