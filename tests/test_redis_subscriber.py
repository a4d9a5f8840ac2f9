"""The Redis subscription of a process (chatserver/broker/redis_subscriber.py, issue 20):
what is published to a subscribed channel arrives in order, a channel left gets nothing
more, an event that cannot be handed on does not cost the others, and after Redis restarts
every channel is subscribed again, the control channel last. Against a real redis-server."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import redis.asyncio as aioredis

from chatserver.broker.redis_subscriber import Subscriber
from chatserver.testing import RedisServer


class Recorder:
    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.subscribed: list[str] = []
        self.lost = 0
        self.refuse: bytes | None = None  # a payload whose handling fails

    def on_message(self, channel: str, data: bytes) -> None:
        if data == self.refuse:
            raise ValueError("cannot hand this one on")
        self.messages.append((channel, data))

    def on_subscribed(self, channel: str) -> None:
        self.subscribed.append(channel)

    def on_lost(self, _: BaseException) -> None:
        self.lost += 1


async def _until(condition: Any, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


async def test_messages_arrive_in_order_and_stop_after_unsubscribe(
        redis_server: RedisServer) -> None:
    seen = Recorder()
    sub = Subscriber(redis_server.url, seen.on_message, seen.on_subscribed, seen.on_lost)
    publisher = aioredis.from_url(redis_server.url)
    try:
        await sub.start("ctl", 5)
        await sub.subscribe("room:a", 5)
        await sub.subscribe("room:b", 5)
        async with publisher.pipeline(transaction=False) as pipe:
            for i in range(300):  # many in one read: all parsed and handed on in order
                pipe.publish("room:a" if i % 2 else "room:b", b"%d" % i)
            seen.refuse = b"7"
            await pipe.execute()
        await _until(lambda: len(seen.messages) == 299, "every message but the refused one")
        assert [int(d) for _, d in seen.messages] == [i for i in range(300) if i != 7]
        assert all(ch == ("room:a" if int(d) % 2 else "room:b") for ch, d in seen.messages)
        assert seen.lost == 0  # a refused event does not drop the subscription

        sub.unsubscribe("room:a")
        await publisher.publish("room:a", b"after")
        await publisher.publish("ctl", b"marker")  # the same connection: comes after
        await _until(lambda: seen.messages[-1] == ("ctl", b"marker"), "the marker")
        assert ("room:a", b"after") not in seen.messages
    finally:
        await publisher.aclose()
        await sub.close()


async def test_every_channel_is_subscribed_again_after_redis_restarts(
        redis_server: RedisServer) -> None:
    seen = Recorder()
    sub = Subscriber(redis_server.url, seen.on_message, seen.on_subscribed, seen.on_lost)
    try:
        await sub.start("ctl", 5)
        await sub.subscribe("room:a", 5)
        await sub.subscribe("room:b", 5)
        redis_server.stop(signal.SIGKILL)
        await _until(lambda: seen.lost == 1, "the lost connection noticed")
        seen.subscribed.clear()
        # Asked for while Redis is away: subscribed once it is back.
        joining = asyncio.create_task(sub.subscribe("room:c", 10))
        await asyncio.sleep(0.3)
        redis_server.start()
        await joining
        await _until(lambda: "ctl" in seen.subscribed, "the control channel again")
        assert sorted(seen.subscribed[:-1]) == ["room:a", "room:b", "room:c"]
        assert seen.subscribed[-1] == "ctl"  # last: once it is confirmed, every room is
        publisher = aioredis.from_url(redis_server.url)
        try:
            for channel in ("room:a", "room:b", "room:c"):
                await publisher.publish(channel, b"back")
        finally:
            await publisher.aclose()
        await _until(lambda: len(seen.messages) == 3, "messages after the restart")
    finally:
        await sub.close()


async def test_a_subscription_redis_never_confirms_times_out(redis_server: RedisServer) -> None:
    seen = Recorder()
    sub = Subscriber(redis_server.url, seen.on_message, seen.on_subscribed, seen.on_lost)
    try:
        await sub.start("ctl", 5)
        redis_server.send_signal(signal.SIGSTOP)  # frozen: no confirmation comes
        started = time.monotonic()
        try:
            await sub.subscribe("room:a", 0.5)
        except TimeoutError:
            pass
        else:
            raise AssertionError("a subscription Redis did not confirm was reported done")
        assert time.monotonic() - started < 5
    finally:
        redis_server.send_signal(signal.SIGCONT)
        await sub.close()


async def test_a_room_asked_for_when_redis_is_back_does_not_wait_for_the_backoff(
        redis_server: RedisServer) -> None:
    """A join right after Redis came back is subscribed at once, not when the reconnection's
    backoff (grown while Redis was away, up to several seconds) next tries."""
    seen = Recorder()
    sub = Subscriber(redis_server.url, seen.on_message, seen.on_subscribed, seen.on_lost)
    try:
        await sub.start("ctl", 5)
        redis_server.stop(signal.SIGKILL)
        await asyncio.sleep(4.0)  # the backoff has grown to 1.6-4.8 s between tries
        redis_server.start()
        started = time.monotonic()
        await sub.subscribe("room:a", 10)
        assert time.monotonic() - started < 0.5
    finally:
        await sub.close()
