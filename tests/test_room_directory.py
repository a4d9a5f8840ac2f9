"""The room table cache: a message never waits for the table to be read again."""

from __future__ import annotations

import asyncio
import time

import pytest

from chatserver.core.rooms import RoomDirectory
from chatserver.core.seed import EXAMPLE_ROOMS, seed_example_rooms
from chatserver.storage.migrate import migrate
from chatserver.storage.store import Store


@pytest.fixture
async def store(database_url):
    await migrate(database_url)
    s = Store.from_url(database_url)
    await seed_example_rooms(s)
    yield s
    await s.close()


async def test_a_stale_table_is_read_again_in_the_background(store):
    directory = RoomDirectory(store, max_age=0.0)
    await directory.refresh()
    assert [r.id for r in await directory.all()] == ["olohuone", "laheiset"]
    await store.add_room(**{**EXAMPLE_ROOMS[0], "id": "uusi", "position": 9})
    # The look that finds the table stale answers from memory at once (no read inline)...
    assert await directory.get("uusi") is None
    # ...and the read it started in the background brings the new room.
    deadline = time.monotonic() + 30
    while await directory.get("uusi") is None:
        assert time.monotonic() < deadline, "the room table was never read again"
        await asyncio.sleep(0.05)
    assert (await directory.get("uusi")).names == EXAMPLE_ROOMS[0]["names"]
    await directory.close()  # a read it started may still be under way


async def test_an_unknown_room_is_looked_up_at_once_at_most_once_a_second(store):
    """The table is read in the background once a minute; a room made meanwhile (on another
    process whose event was lost, or straight in the database) is found when asked for."""
    directory = RoomDirectory(store)
    await directory.refresh()
    await store.add_room(**{**EXAMPLE_ROOMS[0], "id": "uusi", "position": 9})
    assert await directory.get("uusi") is None  # read less than a second ago: not again
    await asyncio.sleep(1.1)
    assert (await directory.get("uusi")).names == EXAMPLE_ROOMS[0]["names"]
