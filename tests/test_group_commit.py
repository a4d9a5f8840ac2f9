"""Group commit: batches, order, and errors reaching exactly the waiting writers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from chatserver.storage.store import StoredEvent
from chatserver.storage.writer import GroupCommitWriter


def ev(seq: int) -> StoredEvent:
    return StoredEvent("r", seq, "message", "m", datetime.now(UTC), "{}")


async def test_concurrent_writes_share_batches_and_wake_in_order():
    batches: list[list[int]] = []

    async def sink(events):
        await asyncio.sleep(0.01)  # a database round trip
        batches.append([e.seq for e in events])

    writer = GroupCommitWriter(sink)
    writer.start()
    woke: list[int] = []

    async def write(seq: int) -> None:
        await writer.write(ev(seq))
        woke.append(seq)

    await asyncio.gather(*[write(i) for i in range(100)])
    await writer.close()
    assert [s for b in batches for s in b] == list(range(100))
    assert len(batches) < 10, "many writes share one commit"
    assert woke == list(range(100))


async def test_a_failed_commit_fails_its_writers_and_the_writer_goes_on():
    calls = 0

    async def sink(events):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("database down")

    writer = GroupCommitWriter(sink)
    writer.start()
    with pytest.raises(OSError):
        await writer.write(ev(1))
    await writer.write(ev(2))
    await writer.close()
    assert calls == 2
