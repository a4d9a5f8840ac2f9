"""The durable write of every event batch on SQLite, without a thread hop where it can.

A batch is three statements (insert the events, raise the rooms' high-water marks, commit).
Through aiosqlite each was a hop to its thread and back, and a hop is two thread switches and
a wake-up of the event loop; with many small rooms most batches hold one or two messages, so
the hops were a large part of a message's cost (issue 20).

A small batch is written on the event loop's own thread: in WAL mode with
``synchronous=NORMAL`` its commit appends a few pages to the log without an fsync, which
costs less than the hop. It never waits there: that connection's busy timeout is zero, so a
batch that finds another writer holding the database (an admin's change, a session's
transaction that awaits between statements, which would wait on this very loop) is rolled
back untouched and written by the thread instead, which waits for the lock as before; so is
a large batch. The log is checkpointed from the thread too (an automatic checkpoint is an
fsync, and would stall every connection's traffic on the loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

log = logging.getLogger("chatserver.storage")

PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000")
# The loop's own connection (busy timeout 0: never waits for a lock) never checkpoints; the
# database is in WAL mode from the store's start.
INLINE_PRAGMAS = ("synchronous=NORMAL", "wal_autocheckpoint=0")
# Rows up to which a batch is written on the loop (a few hundred microseconds at most).
INLINE_ROWS = 32
# Batches written on the loop between two checkpoints from the thread (each adds a few
# pages to the log: about the 1,000 pages at which SQLite would checkpoint by itself).
CHECKPOINT_EVERY = 200

Statement = tuple[str, Sequence[tuple[Any, ...]]]


class SqliteBatchWriter:
    def __init__(self, path: str) -> None:
        self._path = path
        # One thread: the connection is used only there, and batches commit in order.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writes")
        self._conn: sqlite3.Connection | None = None  # opened and used on that thread only
        self._inline: sqlite3.Connection | None = None  # opened and used on the loop only
        self._since_checkpoint = 0
        self.inline_batches = 0  # written on the loop (the rest went to the thread)

    async def write(self, statements: Sequence[Statement]) -> None:
        """Run each statement for each of its rows, in one transaction, and commit; raises
        the driver's error (the connection is then opened afresh for the next batch)."""
        if sum(len(rows) for _, rows in statements) <= INLINE_ROWS and self._write_inline(
                statements):
            self.inline_batches += 1
            self._since_checkpoint += 1
            if self._since_checkpoint >= CHECKPOINT_EVERY:
                self._since_checkpoint = 0
                self._thread.submit(self._checkpoint)
            return
        await asyncio.get_running_loop().run_in_executor(self._thread, self._write, statements)

    def _write_inline(self, statements: Sequence[Statement]) -> bool:
        """Commit the batch here, or roll it back and return False if another writer holds
        the database."""
        try:
            if self._inline is None:
                self._inline = _connect(self._path, INLINE_PRAGMAS, timeout=0)
            _run(self._inline, statements)
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return False  # rolled back: the thread waits for the lock instead
            self._close_inline()
            raise
        except Exception:
            self._close_inline()
            raise
        return True

    def _write(self, statements: Sequence[Statement]) -> None:
        if self._conn is None:
            self._conn = _connect(self._path, PRAGMAS, timeout=15)
        try:
            _run(self._conn, statements)
        except Exception:
            self._close_thread()
            raise

    def _checkpoint(self) -> None:
        """Copy the log into the database where no reader needs it (never waits)."""
        try:
            if self._conn is None:
                self._conn = _connect(self._path, PRAGMAS, timeout=15)
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # the next one tries again; SQLite's own readers too
            log.warning("sqlite checkpoint failed", extra={"error": type(exc).__name__})

    def _close_inline(self) -> None:
        conn, self._inline = self._inline, None
        _close(conn)

    async def close(self) -> None:
        self._close_inline()
        with contextlib.suppress(RuntimeError):  # closed already
            await asyncio.get_running_loop().run_in_executor(self._thread, self._close_thread)
        self._thread.shutdown(wait=False)

    def _close_thread(self) -> None:
        conn, self._conn = self._conn, None
        _close(conn)


def _connect(path: str, pragmas: Sequence[str], *, timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=timeout, check_same_thread=False)
    for pragma in pragmas:
        conn.execute(f"PRAGMA {pragma}")
    return conn


def _run(conn: sqlite3.Connection, statements: Sequence[Statement]) -> None:
    with conn:  # commits, or rolls back on an error
        for sql, rows in statements:
            if rows:
                conn.executemany(sql, rows)


def _close(conn: sqlite3.Connection | None) -> None:
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.close()
