"""Redis commands issued in the same turn of the event loop, sent in one pipeline.

At the hour, hundreds of people join at once and each join asks Redis several things in
series (its limits, who is present, the room's last events). One round trip per command and
caller made Redis and the process switch for every reply; here every command queued while
the loop runs one turn goes out in one write and its replies come back in one read
(auto-pipelining, as ioredis and Lettuce do). A caller alone still waits one round trip; a
crowd shares them.

Each caller gets its own reply or error: a command that Redis refuses fails only its caller,
a lost connection fails everyone in that pipeline (as it would have failed each alone).
Commands of one ``call`` stay adjacent and in order; calls from different coroutines were
never ordered, and are not here.

Scripts run as plain EVALSHA, loaded on NOSCRIPT: a redis-py Script object in a pipeline asks
SCRIPT EXISTS first, a second round trip for every pipeline.

A pipeline is written and read here on a connection of the coalescer's own (one per pipeline in
flight, kept between pipelines), with hiredis packing the commands and reading the replies as
Redis sent them (RESP3), without redis-py's response callbacks: an XRANGE stays nested lists
(a dict per stream entry was ~1 us, 50 at every join). redis-py's own pipeline
spent about as much again in Python per pipeline (encoding each argument, retry and
observability wrappers), which was a large part of a message's cost with Redis (issue 20). It
does not resend a pipeline whose connection failed: a script may have run, and the callers'
errors lead to a retry that their request names make safe.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import (
    DataError,
    InvalidResponse,
    NoScriptError,
    RedisError,
)

# One pipeline's size at most: a bigger crowd is split, so one reply never gets very long.
MAX_COMMANDS = 512
# Pipelines on their way at once: while that many wait for Redis, new commands gather for
# the next ones, so a crowd (or a slow Redis) gets fewer, bigger pipelines. At the join peak
# 8 in flight cost more than 1 or 2 (more, smaller pipelines; the appends alone used to have
# one in flight).
MAX_IN_FLIGHT = 2

Command = tuple[Any, ...]
READ_SIZE = 65536
_MORE = object()  # the reader's answer while a reply is not complete yet


class _Link:
    """One of the coalescer's connections: redis-py opens it (address, TLS, AUTH, HELLO 3)
    and its streams are then written and read here, each pipeline under one timeout, its
    replies taken from a hiredis reader of our own. redis-py's ``send_packed_command`` ran
    every write in a task of its own (``wait_for``) and its ``read_response`` wrapped every
    reply in a timeout and a check for push messages: about ten replies a join."""

    __slots__ = ("_replies", "conn")

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        # Errors become redis-py's exception classes (NoScriptError above all), as its own
        # parser makes them; replies stay bytes (the pool does not decode).
        self._replies = hiredis.Reader(protocolError=InvalidResponse,
                                       replyError=conn._parser.parse_error,
                                       notEnoughData=_MORE)

    def usable(self) -> bool:
        reader = self.conn._reader
        return reader is not None and not reader.at_eof() and reader.exception() is None

    async def exchange(self, packed: bytes, count: int) -> list[Any]:
        """Write one pipeline and read its ``count`` replies (a refusal is its reply)."""
        stream, writer = self.conn._reader, self.conn._writer
        async with asyncio.timeout(self.conn.socket_timeout):
            writer.write(packed)
            await writer.drain()
            replies: list[Any] = []
            while len(replies) < count:
                reply = self._replies.gets()
                if reply is _MORE:
                    data = await stream.read(READ_SIZE)
                    if not data:
                        raise RedisConnectionError("Redis closed the connection")
                    self._replies.feed(data)
                else:
                    replies.append(reply)
        return replies


class _Call:
    __slots__ = ("commands", "future", "on_reply")

    def __init__(self, commands: Sequence[Command], future: asyncio.Future[list[Any]],
                 on_reply: Callable[[list[Any]], None] | None) -> None:
        self.commands = commands
        self.future = future
        self.on_reply = on_reply


class Coalescer:
    """Queue commands, send everything queued in one loop turn as one pipeline."""

    def __init__(self, redis: Any, scripts: Mapping[str, object]) -> None:
        self._redis = redis
        self._scripts = scripts  # sha -> source, to load a script Redis does not have
        self._queue: list[_Call] = []
        self._scheduled = False
        self._sending: set[asyncio.Task[None]] = set()
        self._idle: list[_Link] = []  # its own connections, at most one per pipeline in flight
        self._closed = False

    async def call(self, *commands: Command,
                   on_reply: Callable[[list[Any]], None] | None = None) -> list[Any]:
        """Run ``commands`` (each a tuple such as ``("HGETALL", key)``) in order, adjacent,
        in the next pipeline; their replies, or the first error (a ``RedisError`` or
        ``OSError``) of any of them. ``on_reply`` gets the replies as soon as they come,
        even if the caller was cancelled meanwhile (what a reply hands over is not lost)."""
        if self._closed:
            raise RedisError("closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        self._queue.append(_Call(commands, future, on_reply))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await future

    async def one(self, *command: Any) -> Any:
        return (await self.call(tuple(command)))[0]

    async def close(self) -> None:
        self._closed = True
        for task in list(self._sending):
            task.cancel()
        for task in list(self._sending):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for queued in self._queue:
            if not queued.future.done():
                queued.future.set_exception(RedisError("closing"))
        self._queue.clear()
        await self.reset()

    def _flush(self) -> None:
        self._scheduled = False
        if len(self._sending) >= MAX_IN_FLIGHT:
            return  # the next pipeline to come back sends what is queued
        queue, self._queue = self._queue, []
        loop = asyncio.get_running_loop()
        start = 0
        while start < len(queue) and len(self._sending) < MAX_IN_FLIGHT:
            end, size = start + 1, len(queue[start].commands)
            while end < len(queue) and size + len(queue[end].commands) <= MAX_COMMANDS:
                size += len(queue[end].commands)
                end += 1
            task = loop.create_task(self._send(queue[start:end]))
            self._sending.add(task)
            task.add_done_callback(self._sent)
            start = end
        self._queue[:0] = queue[start:]

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if self._queue and not self._scheduled and not self._closed:
            self._scheduled = True
            task.get_loop().call_soon(self._flush)

    async def _send(self, batch: list[_Call]) -> None:
        commands = [command for call in batch for command in call.commands]
        try:
            replies = await self._pipeline(commands)
            missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
            if missing:
                # A new or restarted Redis has no scripts: load them, run those once more.
                for sha in {commands[i][1] for i in missing}:
                    await self._redis.script_load(self._scripts[sha])
                again = await self._pipeline([commands[i] for i in missing])
                for i, reply in zip(missing, again, strict=True):
                    replies[i] = reply
        except (RedisError, OSError) as exc:
            replies = [exc] * len(commands)
        except BaseException as exc:  # cancelled at shutdown: nobody waits forever
            for call in batch:
                if not call.future.done():
                    call.future.set_exception(RedisError(type(exc).__name__))
            raise
        start = 0
        for call in batch:
            mine = replies[start:start + len(call.commands)]
            start += len(call.commands)
            error = next((r for r in mine if isinstance(r, BaseException)), None)
            if error is None and call.on_reply is not None:
                call.on_reply(mine)
            if call.future.done():  # the caller was cancelled
                continue
            if error is not None:
                call.future.set_exception(error)
            else:
                call.future.set_result(mine)

    async def _pipeline(self, commands: Sequence[Command]) -> list[Any]:
        """Every command's reply, or the ``ResponseError`` Redis gave it; raises if the
        connection fails (it is then dropped, so no reply is left on it for the next user)."""
        try:
            packed = b"".join([hiredis.pack_command(command) for command in commands])
        except TypeError as exc:  # an argument that is not str, bytes, int or float
            raise DataError(str(exc)) from exc
        link = await self._link()
        try:
            replies = await link.exchange(packed, len(commands))
        except BaseException:
            await link.conn.disconnect(nowait=True)
            raise
        if self._closed or len(self._idle) >= MAX_IN_FLIGHT:
            await link.conn.disconnect(nowait=True)
        else:
            self._idle.append(link)
        return replies

    async def _link(self) -> _Link:
        """An idle connection of the coalescer's own, or a new one. Not the pool's: taking a
        pooled connection and giving it back (two locks, a timeout, a read to check it, the
        observability hooks) cost about as much Python as the pipeline itself. A connection
        Redis closed meanwhile (a restart) has seen its end of file and is dropped here, as
        the pool's read would have dropped it."""
        while self._idle:
            link = self._idle.pop()
            if link.usable():
                return link
            await link.conn.disconnect(nowait=True)
        conn = self._redis.connection_pool.make_connection()
        await conn.connect()
        return _Link(conn)

    async def reset(self) -> None:
        """Drop the idle connections (Redis is back after an outage: they predate it)."""
        idle, self._idle = self._idle, []
        for link in idle:
            with contextlib.suppress(RedisError, OSError):
                await link.conn.disconnect(nowait=True)
