"""The SQLite event writer: small batches on the loop, never a wait there, nothing lost."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from chatserver.storage import sqlite_writes
from chatserver.storage.sqlite_writes import SqliteBatchWriter

INSERT = "INSERT INTO events (room_id, seq, frame) VALUES (?, ?, ?)"


def _database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE events (room_id TEXT, seq INTEGER, frame TEXT, "
                 "PRIMARY KEY (room_id, seq))")
    conn.commit()
    conn.close()


def _stored(path: Path) -> list[tuple[str, int]]:
    conn = sqlite3.connect(path)
    try:
        return [(r, s) for r, s in conn.execute("SELECT room_id, seq FROM events ORDER BY rowid")]
    finally:
        conn.close()


def _log_size(path: Path) -> int:
    return os.path.getsize(f"{path}-wal")


async def test_small_batches_are_written_on_the_loop_and_large_ones_on_the_thread(
        tmp_path: Path) -> None:
    path = tmp_path / "chat.sqlite3"
    _database(path)
    writer = SqliteBatchWriter(str(path))
    try:
        await writer.write([(INSERT, [("a", 1, "x"), ("b", 1, "x")])])
        big = [("c", n, "x") for n in range(1, sqlite_writes.INLINE_ROWS + 2)]
        await writer.write([(INSERT, big)])
        await writer.write([(INSERT, [("a", 2, "x")])])
    finally:
        await writer.close()
    assert writer.inline_batches == 2  # the large one went to the thread
    assert _stored(path) == [("a", 1), ("b", 1), *[(r, n) for r, n, _ in big], ("a", 2)]


async def test_a_batch_that_meets_another_writer_waits_off_the_loop_and_is_stored(
        tmp_path: Path) -> None:
    path = tmp_path / "chat.sqlite3"
    _database(path)
    writer = SqliteBatchWriter(str(path))
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        await writer.write([(INSERT, [("a", 1, "x")])])  # the loop's connection is open
        other.execute("BEGIN IMMEDIATE")  # another writer holds the database
        other.execute(INSERT, ("z", 1, "x"))
        pending = asyncio.create_task(writer.write([(INSERT, [("a", 2, "x")])]))
        # The loop goes on serving everyone else while the batch waits for the lock.
        ticks = 0
        for _ in range(20):
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 20 and not pending.done()
        other.execute("COMMIT")
        await asyncio.wait_for(pending, 10)
    finally:
        other.close()
        await writer.close()
    assert _stored(path) == [("a", 1), ("z", 1), ("a", 2)]  # once each, in commit order


async def test_a_failing_batch_stores_nothing_and_raises(tmp_path: Path) -> None:
    path = tmp_path / "chat.sqlite3"
    _database(path)
    writer = SqliteBatchWriter(str(path))
    try:
        await writer.write([(INSERT, [("a", 1, "x")])])
        with pytest.raises(sqlite3.IntegrityError):  # the same number again
            await writer.write([(INSERT, [("a", 2, "x"), ("a", 1, "y")])])
        await writer.write([(INSERT, [("a", 2, "x")])])  # the writer goes on
    finally:
        await writer.close()
    assert _stored(path) == [("a", 1), ("a", 2)]


async def test_the_log_is_checkpointed_while_batches_are_written_on_the_loop(
        tmp_path: Path) -> None:
    """The loop's connection never checkpoints (an fsync there would stall every socket):
    the thread does, so the write-ahead log stops growing."""
    path = tmp_path / "chat.sqlite3"
    _database(path)
    writer = SqliteBatchWriter(str(path))
    frame = "x" * 2_000
    sizes = []
    try:
        for n in range(1, 6 * sqlite_writes.CHECKPOINT_EVERY + 1):
            await writer.write([(INSERT, [("a", n, frame)])])
            if n % sqlite_writes.CHECKPOINT_EVERY == 0:
                await asyncio.sleep(0.05)  # the checkpoint runs on the thread meanwhile
                sizes.append(_log_size(path))
    finally:
        await writer.close()
    assert writer.inline_batches == 6 * sqlite_writes.CHECKPOINT_EVERY
    # Without checkpoints the log would hold every page written: six times the first size.
    assert sizes[-1] <= 2 * sizes[0], sizes
    assert len(_stored(path)) == 6 * sqlite_writes.CHECKPOINT_EVERY
