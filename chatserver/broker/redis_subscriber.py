"""One process's subscription to Redis: the control channel and every room it has members in,
on one connection, read without redis-py's PubSub.

redis-py's ``PubSub.get_message`` spends ~10 µs of Python on each message even when they
queue up (a timeout context, a retry wrapper, a push-message parser, a dict per message) and
wakes a coroutine for each; with many small rooms every message reaches two processes, and
that was a large part of what a process receiving them spent (issue 20). Here whatever one
read brings is parsed by hiredis and handed on at once, from one task.

redis-py still makes the connection (the URL's host or socket, TLS, user, password); after
that the connection is only written to and read here. When it is lost it is made again
(backoff with jitter) with every channel subscribed again, and ``on_subscribed`` of each
channel tells the broker that it is back (so it can catch up on what was missed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from typing import Any

import hiredis
from redis import asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

log = logging.getLogger("chatserver.broker")

READ_SIZE = 256 * 1024
# A connection can die without a word (a NAT or firewall that forgot it, a frozen Redis): a
# subscription that has heard nothing for this long is sent a PING, and one that has still
# heard nothing at the next look is taken for lost and made again (the process then catches up
# on what it missed), rather than leaving the process deaf while it believes it is subscribed.
PING_SECONDS = 2.0


class Subscriber:
    def __init__(self, url: str, on_message: Callable[[str, bytes], None],
                 on_subscribed: Callable[[str], None],
                 on_lost: Callable[[BaseException], None]) -> None:
        self._pool: Any = aioredis.ConnectionPool.from_url(url, socket_connect_timeout=2,
                                                           socket_keepalive=True)
        self._on_message = on_message
        self._on_subscribed = on_subscribed
        self._on_lost = on_lost
        self._channels: set[str] = set()
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._conn: Any = None  # redis-py's connection, while open
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._first = ""
        # Set by a subscription asked for while the connection is down: try again at once
        # rather than at the end of the backoff (redis-py's PubSub connected on demand).
        self._wake = asyncio.Event()
        self._heard = 0.0  # loop time of the last read that brought anything
        self._watchdog: asyncio.Task[None] | None = None

    async def start(self, first: str, timeout: float) -> None:
        """Connect (an error if Redis cannot be reached), subscribe ``first`` and return once
        Redis confirmed it; from then on the connection is kept up. After a reconnection
        ``first`` is subscribed again last: once it is confirmed, every channel is."""
        self._first = first
        reader = await self._connect()
        self._task = asyncio.create_task(self._run(reader), name="redis-listen")
        await self.subscribe(first, timeout)

    async def close(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RedisError, OSError):
                await self._task
        await self._drop()
        await self._pool.disconnect()

    async def subscribe(self, channel: str, timeout: float) -> None:
        """Return once Redis confirmed the subscription: whatever is published to ``channel``
        from then on reaches this process. A connection that is down subscribes it when it
        is back; ``TimeoutError`` if that takes longer than ``timeout``."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(channel, []).append(waiter)
        self._channels.add(channel)
        if self._writer is None:
            self._wake.set()
        self._send("SUBSCRIBE", channel)
        try:
            await asyncio.wait_for(waiter, timeout)
        finally:
            waiters = self._waiters.get(channel)
            if waiters is not None and waiter in waiters:
                waiters.remove(waiter)
                if not waiters:
                    del self._waiters[channel]

    def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        self._send("UNSUBSCRIBE", channel)

    def _send(self, *command: str) -> None:
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(hiredis.pack_command(command))  # type: ignore[arg-type]

    async def _connect(self) -> asyncio.StreamReader:
        conn = self._pool.make_connection()
        await conn.connect()
        # redis-py's stream pair of the connection it made (and authenticated): read here.
        reader: asyncio.StreamReader | None = conn._reader
        writer: asyncio.StreamWriter | None = conn._writer
        if reader is None or writer is None:
            await conn.disconnect()
            raise RedisConnectionError("redis connection without a stream")
        self._conn, self._writer = conn, writer
        self._heard = asyncio.get_running_loop().time()
        self._watchdog = asyncio.create_task(self._watch(writer), name="redis-listen-watch")
        if self._channels:  # the first channel (always among them) last
            self._send("SUBSCRIBE", *sorted(self._channels - {self._first}), self._first)
        return reader

    async def _drop(self) -> None:
        conn, self._conn, self._writer = self._conn, None, None
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if conn is not None:
            with contextlib.suppress(RedisError, OSError):
                await conn.disconnect(nowait=True)

    async def _run(self, reader: asyncio.StreamReader) -> None:
        backoff = 0.1
        while not self._closing:
            try:
                await self._read(reader)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the listener must outlive any error
                if not isinstance(exc, (RedisError, OSError)):
                    log.exception("redis listener error")
                self._on_lost(exc)
            await self._drop()
            while not self._closing:
                # Backoff with jitter so many processes do not reconnect in lock step.
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), backoff * (0.5 + random.random()))
                backoff = min(backoff * 2, 5.0)
                try:
                    reader = await self._connect()
                except (RedisError, OSError):
                    continue
                backoff = 0.1
                break

    async def _watch(self, writer: asyncio.StreamWriter) -> None:
        """PING a quiet connection; abort one that answers nothing within PING_SECONDS (its
        read then ends, and the connection is made again as for any loss)."""
        loop = asyncio.get_running_loop()
        asked: float | None = None
        while writer is self._writer and not writer.is_closing():
            await asyncio.sleep(PING_SECONDS)
            if asked is not None and self._heard < asked:
                log.warning("redis subscription silent: connecting again")
                writer.transport.abort()
                return
            asked = None
            if loop.time() - self._heard >= PING_SECONDS:
                asked = loop.time()
                self._send("PING")

    async def _read(self, reader: asyncio.StreamReader) -> None:
        """Hand on what arrives until the connection ends (always by an exception)."""
        parser = hiredis.Reader()
        loop = asyncio.get_running_loop()
        while True:
            data = await reader.read(READ_SIZE)
            if not data:
                raise RedisConnectionError("redis closed the subscription")
            self._heard = loop.time()
            parser.feed(data)
            while (reply := parser.gets()) is not False:
                self._handle(reply)

    def _handle(self, reply: Any) -> None:
        if isinstance(reply, hiredis.ReplyError):
            raise RedisConnectionError(f"redis refused a subscription: {reply}")
        # [kind, channel, payload]; anything else (a push of another kind, with RESP3) is
        # not for this connection to act on.
        if not isinstance(reply, list) or len(reply) != 3 or not isinstance(reply[1], bytes):
            return
        kind, channel = reply[0], reply[1].decode()
        if kind == b"message":
            try:
                self._on_message(channel, reply[2])
            except Exception:  # one event that could not be handed on; the others can
                log.exception("redis event not delivered")
        elif kind == b"subscribe":
            for waiter in self._waiters.pop(channel, ()):
                if not waiter.done():
                    waiter.set_result(None)
            self._on_subscribed(channel)
