"""The durable write of every event batch on SQLite: one hop to a thread of its own.

A batch is three statements (insert the events, raise the rooms' high-water marks, commit).
Through aiosqlite each is a hop to its thread and back, and a hop is two thread switches and
a wake-up of the event loop; with many small rooms most batches hold one or two messages, so
the hops were a large part of a message's cost (issue 20). Here the whole batch is one call
on a single thread that owns the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000")

Statement = tuple[str, Sequence[tuple[Any, ...]]]


class SqliteBatchWriter:
    def __init__(self, path: str) -> None:
        self._path = path
        # One thread: the connection is used only there, and batches commit in order.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writes")
        self._conn: sqlite3.Connection | None = None  # opened and used on that thread only

    async def write(self, statements: Sequence[Statement]) -> None:
        """Run each statement for each of its rows, in one transaction, and commit; raises
        the driver's error (the connection is then opened afresh for the next batch)."""
        await asyncio.get_running_loop().run_in_executor(self._thread, self._write, statements)

    def _write(self, statements: Sequence[Statement]) -> None:
        if self._conn is None:
            conn = sqlite3.connect(self._path, timeout=15, check_same_thread=False)
            for pragma in PRAGMAS:
                conn.execute(f"PRAGMA {pragma}")
            self._conn = conn
        try:
            with self._conn:  # commits, or rolls back on an error
                for sql, rows in statements:
                    if rows:
                        self._conn.executemany(sql, rows)
        except Exception:
            self._close()
            raise

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    async def close(self) -> None:
        with contextlib.suppress(RuntimeError):  # closed already
            await asyncio.get_running_loop().run_in_executor(self._thread, self._close)
        self._thread.shutdown(wait=False)
