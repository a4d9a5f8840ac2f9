"""Several limits in one look (Broker.admit, issue 20): a join checks the address's cooldown
after a kick or a ban, the address's joins and a fresh identity's joins of the room in one
round trip to Redis instead of four, and takes its tokens only when every limit lets it in.
The same rules in memory and in Redis (a real redis-server)."""

from __future__ import annotations

import pytest

from chatserver.broker import create_broker


async def _nothing(*_: object) -> None:
    return None


@pytest.fixture(params=["memory", "redis"])
async def broker(request):
    url = request.getfixturevalue("redis_server").url if request.param == "redis" else ""
    made = create_broker(url, durable_write=_nothing, store_batch=_nothing,
                         buffer_events=100, buffer_seconds=60)
    await made.start(lambda *_: None, lambda _: None, _nothing)
    yield made
    await made.close()


async def test_tokens_are_taken_from_every_bucket_or_from_none(broker):
    roomy, tight = ("join:a", 1.0, 5.0), ("newmember:r", 0.01, 2.0)
    assert await broker.admit([roomy, tight]) == 0
    assert await broker.admit([roomy, tight]) == 0
    wait = await broker.admit([roomy, tight])  # the room's bucket is empty ...
    assert 50 < wait <= 100
    # ... and the refused join took nothing from the address's: 3 more of its 5 are left.
    assert [await broker.admit([roomy]) for _ in range(3)] == [0, 0, 0]
    assert await broker.admit([roomy]) > 0


async def test_a_cooling_address_is_refused_for_what_is_left_of_its_window(broker):
    assert await broker.admit([("join:b", 10.0, 10.0)], ["cool:r:b", "cool:*:b"]) == 0
    await broker.hit("cool:*:b", 30)  # banned from every room
    wait = await broker.admit([("join:b", 10.0, 10.0)], ["cool:r:b", "cool:*:b"])
    assert 1.0 <= wait <= 30
    assert await broker.admit([("join:b", 10.0, 10.0)], ["cool:r:c"]) == 0  # another address
    # A look (amount 0) made no hit: the window of another room stays clear.
    await broker.hit("cool:s:b", 30, amount=0)
    assert await broker.admit([("join:c", 10.0, 10.0)], ["cool:s:b"]) == 0
