"""Redis commands of many callers in one pipeline (chatserver/broker/redis_coalescer.py,
issue 20): at the hour hundreds of joins ask Redis the same few things at once. Against a
real redis-server: each caller gets its own replies, a refused command fails only its caller,
a script Redis lost is loaded again, and a Redis that is gone fails every caller at once
instead of leaving one waiting."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import hiredis
import pytest
from redis import asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from chatserver.broker import create_broker
from chatserver.broker.base import PresenceEntry
from chatserver.broker.redis_coalescer import MAX_COMMANDS, MAX_IN_FLIGHT, Coalescer
from chatserver.testing import RedisServer

SCRIPT = "return redis.call('INCRBY', KEYS[1], ARGV[1])"


class CountingRedis:
    """A real client that counts the pipelines it sends and the commands in each (to see
    that callers share them)."""

    def __init__(self, url: str) -> None:
        self.client: Any = aioredis.Redis.from_url(url)
        self.pipelines: list[int] = []
        self.connection_pool = self

    def make_connection(self) -> Any:
        return _Counted(self.client.connection_pool.make_connection(), self.pipelines)

    async def script_load(self, source: str) -> Any:
        return await self.client.script_load(source)


class _Counted:
    """A connection whose pipelines are counted in commands as they are written."""

    def __init__(self, conn: Any, pipelines: list[int]) -> None:
        self.conn = conn
        self.pipelines = pipelines

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)

    @property
    def _writer(self) -> Any:
        return _CountingWriter(self.conn._writer, self.pipelines)

    async def connect(self) -> None:
        await self.conn.connect()

    async def disconnect(self, nowait: bool = False) -> None:
        await self.conn.disconnect(nowait=nowait)


class _CountingWriter:
    def __init__(self, writer: Any, pipelines: list[int]) -> None:
        self.writer = writer
        self.pipelines = pipelines

    def write(self, packed: bytes) -> None:
        reader = hiredis.Reader()
        reader.feed(packed)
        commands = 0
        while reader.gets() is not False:
            commands += 1
        self.pipelines.append(commands)
        self.writer.write(packed)

    async def drain(self) -> None:
        await self.writer.drain()


@pytest.fixture
async def redis(redis_server: RedisServer) -> Any:
    counting = CountingRedis(redis_server.url)
    yield counting
    await counting.client.aclose()


async def test_callers_of_one_turn_share_a_pipeline_and_get_their_own_replies(redis) -> None:
    rpc = Coalescer(redis, {})
    await redis.client.set("k:a", "1")
    await redis.client.hset("h", mapping={"x": "1", "y": "2"})
    replies = await asyncio.gather(
        rpc.one("GET", "k:a"), rpc.call(("INCR", "k:b"), ("INCR", "k:b"), ("GET", "k:b")),
        rpc.one("HGETALL", "h"), *[rpc.one("INCR", f"n:{i}") for i in range(50)])
    assert replies[0] == b"1"
    assert replies[1] == [1, 2, b"2"]  # adjacent and in order
    assert replies[2] == {b"x": b"1", b"y": b"2"}  # as Redis sent it (a RESP3 map)
    assert replies[3:] == [1] * 50
    assert redis.pipelines == [55]  # one round trip for all 53 callers
    await rpc.close()


async def test_a_refused_command_fails_only_its_caller(redis) -> None:
    rpc = Coalescer(redis, {})
    await redis.client.set("text", "not a number")
    good, bad, after = await asyncio.gather(
        rpc.one("INCR", "fine"), rpc.call(("INCR", "fine2"), ("INCR", "text")),
        rpc.one("GET", "fine"), return_exceptions=True)
    assert good == 1 and after == b"1"
    assert isinstance(bad, ResponseError)
    # The refused caller's first command ran (a pipeline is not a transaction), as it would
    # have alone.
    assert await redis.client.get("fine2") == b"1"
    await rpc.close()


async def test_a_crowd_larger_than_one_pipeline_is_split(redis) -> None:
    rpc = Coalescer(redis, {})
    replies = await asyncio.gather(*[rpc.one("INCR", "crowd") for _ in range(MAX_COMMANDS + 10)])
    assert sorted(replies) == list(range(1, MAX_COMMANDS + 11))
    # The two pipelines go out at once on two connections; either may be written first.
    assert sorted(redis.pipelines) == [10, MAX_COMMANDS]
    await rpc.close()


async def test_while_redis_is_slow_new_commands_gather_for_the_next_pipeline(
        redis_server: RedisServer, redis) -> None:
    rpc = Coalescer(redis, {})
    # Connections for every pipeline in flight are open before Redis stops answering (a
    # crowd of more than one pipeline's size goes out on MAX_IN_FLIGHT at once).
    await asyncio.gather(*[rpc.one("PING") for _ in range(MAX_COMMANDS * (MAX_IN_FLIGHT - 1)
                                                          + 1)])
    redis.pipelines.clear()
    redis_server.send_signal(signal.SIGSTOP)  # every pipeline on its way waits
    try:
        calls = []
        for i in range(MAX_IN_FLIGHT + 12):  # one caller per loop turn
            calls.append(asyncio.ensure_future(rpc.one("INCR", f"slow{i}")))
            await asyncio.sleep(0.01)
        assert redis.pipelines == [1] * MAX_IN_FLIGHT  # no more go out ...
    finally:
        redis_server.send_signal(signal.SIGCONT)
    assert await asyncio.gather(*calls) == [1] * (MAX_IN_FLIGHT + 12)
    assert redis.pipelines == [1] * MAX_IN_FLIGHT + [12]  # ... the rest go out together
    await rpc.close()


async def test_a_script_redis_does_not_have_is_loaded_and_run_once(redis) -> None:
    sha = await redis.client.script_load(SCRIPT)
    await redis.client.script_flush()  # as after a restart of Redis
    rpc = Coalescer(redis, {sha: SCRIPT})
    first, second = await asyncio.gather(rpc.one("EVALSHA", sha, 1, "s", 2),
                                         rpc.one("EVALSHA", sha, 1, "s", 3))
    assert sorted([first, second]) == [2, 5]  # each ran exactly once
    assert await redis.client.get("s") == b"5"
    await rpc.close()


async def test_a_redis_that_is_gone_fails_every_caller() -> None:
    server = RedisServer().start()
    try:
        client: Any = aioredis.Redis.from_url(server.url, socket_timeout=2,
                                              socket_connect_timeout=1)
        rpc = Coalescer(client, {})
        assert await rpc.one("PING") == b"PONG"
        server.stop()
        replies = await asyncio.wait_for(asyncio.gather(
            *[rpc.one("GET", f"x{i}") for i in range(20)], return_exceptions=True), 30)
        assert all(isinstance(r, (RedisError, OSError)) for r in replies), replies
        await rpc.close()
        await client.aclose()
    finally:
        server.cleanup()


async def test_after_a_restart_of_redis_the_next_call_is_answered() -> None:
    """The coalescer keeps its connections between pipelines: one that Redis closed while
    idle (a restart) must be replaced, not used, so the first caller after it gets an
    answer rather than an error."""
    server = RedisServer().start()
    try:
        client: Any = aioredis.Redis.from_url(server.url, socket_timeout=2)
        rpc = Coalescer(client, {})
        assert await asyncio.gather(*[rpc.one("INCR", "n") for _ in range(3)]) == [1, 2, 3]
        server.stop()
        server.start()  # empty, on the same port
        await asyncio.sleep(0.2)  # the closed connection's end of file has arrived
        assert await rpc.one("INCR", "n") == 1
        await rpc.close()
        await client.aclose()
    finally:
        server.cleanup()


async def test_a_cancelled_caller_leaves_the_others_their_replies(redis) -> None:
    rpc = Coalescer(redis, {})
    doomed = asyncio.ensure_future(rpc.one("INCR", "c"))
    kept = asyncio.ensure_future(rpc.one("INCR", "d"))
    await asyncio.sleep(0)
    doomed.cancel()
    assert await kept == 1
    with pytest.raises(asyncio.CancelledError):
        await doomed
    await rpc.close()


async def test_a_cancelled_caller_s_reply_still_reaches_its_handler(redis) -> None:
    """An append's reply hands the process events to store: the sender hanging up while it
    is on its way must not drop them."""
    rpc = Coalescer(redis, {})
    handed: list[list[Any]] = []
    doomed = asyncio.ensure_future(rpc.call(("INCR", "e"), on_reply=handed.append))
    await asyncio.sleep(0)
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    for _ in range(100):
        if handed:
            break
        await asyncio.sleep(0.01)
    assert handed == [[1]]
    assert await rpc.one("GET", "e") == b"1"
    await rpc.close()


async def _nothing(*_: object) -> None:
    return None


async def test_the_redis_broker_answers_a_crowd_of_joins(redis_server: RedisServer) -> None:
    """The broker's join path through the coalescer: 100 connections join one room at once,
    each is told whether its member is new and sees everyone who joined before it."""
    broker = create_broker(redis_server.url, durable_write=_nothing, store_batch=_nothing,
                           buffer_events=100, buffer_seconds=60)
    await broker.start(lambda *_: None, lambda _: None, _nothing)
    try:
        flusher: Any = aioredis.Redis.from_url(redis_server.url)
        await flusher.script_flush()  # the join scripts are loaded again on first use
        await flusher.aclose()
        entries = [PresenceEntry("r", f"m{i}|p:{i}", f"m{i}", b'{"member":"m%d"}' % i)
                   for i in range(100)]
        joined = await asyncio.gather(*[broker.presence_join(e, 2e9) for e in entries])
        assert all(first for first, _ in joined)
        assert sorted(len(infos) for _, infos in joined) == list(range(1, 101))
        assert len(await broker.presence_list("r")) == 100
        assert await broker.presence_counts(["r", "empty"]) == {"r": 100, "empty": 0}
        gone = await asyncio.gather(*[broker.presence_remove("r", e.conn_key, e.member)
                                      for e in entries[:10]])
        assert gone == [True] * 10
        assert len(await broker.presence_list("r")) == 90
    finally:
        await broker.close()
