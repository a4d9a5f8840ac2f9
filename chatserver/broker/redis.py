"""The Redis broker: sequence numbers, resume buffers, fan-out and presence for many processes.

One Lua script per append takes the room's next number, keeps the frame in the room's resume
buffer, queues it for the database and publishes it, atomically: so the order of publication
is the order of the numbers on every process, and an acknowledged event survives the death of
the process that took it (another process stores it from the queue). One subscription per
process multiplexes all its rooms; the commands of one loop turn, appends included, go in one
pipeline (redis_coalescer.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from chatserver.broker import redis_scripts as lua
from chatserver.broker.base import (
    ONCE_SECONDS,
    BatchStore,
    ControlCallback,
    EventCallback,
    EventMeta,
    FloorNeeded,
    PresenceEntry,
    ResyncCallback,
    process_of,
)
from chatserver.broker.redis_coalescer import Coalescer
from chatserver.broker.redis_entries import (
    buffered_frames,
    one_per_member,
    reaction_counts,
)
from chatserver.broker.redis_persister import (
    PERSIST_BATCH,
    PERSIST_GROUP,
    PERSIST_STREAM,
    Persister,
)
from chatserver.broker.redis_subscriber import Subscriber
from chatserver.domain.errors import BackendUnavailable
from chatserver.domain.protocol import frame_ts

log = logging.getLogger("chatserver.broker")

P = "chat:"
CONTROL_CHANNEL = P + "ctl"
PRESENCE_PROCS = P + "presprocs"
# How long a stalled process is told, at its next heartbeat, that it was expired.
DEAD_MARKER_SECONDS = 86_400
# Set once per Redis dataset: a new value means Redis restarted empty.
EPOCH_KEY = P + "epoch"
# How long a rewrite of a process's presence holds its joins and leaves back, waiting for
# those under way; if they are still waiting for Redis then, it is tried at the next heartbeat.
REWRITE_WAIT_SECONDS = 1.0


def _k(kind: str, room: str) -> str:
    return f"{P}{kind}:{room}"


class RedisBroker:
    name = "redis"
    remote = True

    def __init__(self, url: str, store_batch: BatchStore, *, buffer_events: int,
                 buffer_seconds: int) -> None:
        self._url = url
        self._buffer_events = buffer_events
        self._buffer_seconds = buffer_seconds
        # A stalled Redis (frozen, network cut) must turn into `unavailable` soon: a send
        # makes several calls in series, each may wait this long. No call blocks in Redis
        # (the persister reads without BLOCK).
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=24, timeout=5,
                                                        socket_connect_timeout=2,
                                                        socket_timeout=3)
        # Typed as Any: redis-py's annotations do not follow its bytes/str decoding option.
        self._redis: Any = aioredis.Redis(connection_pool=pool)
        self._subscriber = Subscriber(url, self._on_message, self._on_subscribed,
                                      self._on_lost)
        self._append = self._redis.register_script(lua.APPEND)
        self._p_add = self._redis.register_script(lua.PRESENCE_ADD)
        self._p_join = self._redis.register_script(lua.PRESENCE_JOIN)
        self._p_remove = self._redis.register_script(lua.PRESENCE_REMOVE)
        self._p_heartbeat = self._redis.register_script(lua.PRESENCE_HEARTBEAT)
        self._p_keep_only = self._redis.register_script(lua.PRESENCE_KEEP_ONLY)
        self._admit = self._redis.register_script(lua.ADMIT)
        self._hit = self._redis.register_script(lua.HIT)
        # The commands of joins, sends and leaves (appends included): all callers' of one
        # loop turn in one pipeline.
        self._rpc = Coalescer(self._redis, {script.sha: script.script for script in (
            self._append, self._p_add, self._p_join, self._p_remove, self._admit,
            self._hit)})
        self._on_event: EventCallback | None = None
        self._on_control: ControlCallback | None = None
        self._on_resync: ResyncCallback | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Task[None]] = set()
        self._persister = Persister(self._redis, store_batch, f"proc-{uuid.uuid4().hex[:12]}")
        self.connected = False
        self._ever_connected = False
        self._epoch: bytes | None = None
        # Why this process's presence must be added again ("lost": another process expired
        # it; "restarted": Redis lost its data), until that has been done.
        self._readd: str | None = None
        # Presence writes of this process that failed (done or not: the reply was lost), and
        # how many of them the last rewrite of its presence covered: while they differ, the
        # next heartbeat rewrites it from the process's own truth (a console closed while
        # Redis was away would stay "online" for good, one opened then never be counted).
        self._writes_failed = 0
        self._writes_mended = 0
        self._gate = _PresenceGate()

    # Life cycle ----------------------------------------------------------------------------

    async def start(self, on_event: EventCallback, on_control: ControlCallback,
                    on_resync: ResyncCallback) -> None:
        self._on_event, self._on_control, self._on_resync = on_event, on_control, on_resync
        await self._persister.ensure_group()
        await self._redis.set(EPOCH_KEY, uuid.uuid4().hex, nx=True)
        self._epoch = await self._redis.get(EPOCH_KEY)
        await self._subscriber.start(CONTROL_CHANNEL, 5)
        self._tasks = [asyncio.create_task(self._persister.run(), name="redis-persist")]

    async def close(self) -> None:
        self._persister.closing = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, RedisError):
                await task
        await self._rpc.close()
        try:
            await self._persister.drain()
        except (RedisError, OSError):
            pass
        except Exception as exc:  # the database: what is left stays queued for the others
            log.warning("persisting events at shutdown failed",
                        extra={"error": type(exc).__name__})
        await self._subscriber.close()
        await self._redis.aclose()
        # The pool was made here, so the client does not close it by itself.
        with contextlib.suppress(RedisError, OSError):
            await self._redis.connection_pool.disconnect()

    async def ready(self) -> bool:
        try:
            return bool(await asyncio.wait_for(self._redis.ping(), 2)) and self.connected
        except (RedisError, OSError, TimeoutError):
            return False

    # Subscriptions -------------------------------------------------------------------------

    async def subscribe(self, room: str) -> None:
        try:
            await self._subscriber.subscribe(_k("room", room), 5)
        except (RedisError, OSError, TimeoutError) as exc:
            raise BackendUnavailable("redis subscribe") from exc

    async def unsubscribe(self, room: str) -> None:
        self._subscriber.unsubscribe(_k("room", room))

    def _on_message(self, channel: str, data: bytes) -> None:
        if channel == CONTROL_CHANNEL:
            if self._on_control is not None:
                self._on_control(data)
        elif self._on_event is not None:
            self._on_event(channel[len(P) + 5:], data)

    def _on_subscribed(self, channel: str) -> None:
        if channel != CONTROL_CHANNEL:
            return
        was_connected, self.connected = self.connected, True
        restored = not was_connected and self._ever_connected
        self._ever_connected = True
        if restored and self._on_resync is not None:
            # Resubscribed after an outage: events published meanwhile were not delivered
            # here, so the local rooms catch up from the buffers.
            log.info("redis subscription restored")
            task = asyncio.create_task(self._restored(self._on_resync))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def _on_lost(self, exc: BaseException) -> None:
        if self.connected:
            log.warning("redis subscription lost", extra={"error": type(exc).__name__})
        self.connected = False

    async def _restored(self, resync: ResyncCallback) -> None:
        # Idle pooled connections predate the outage and would fail once each: drop them.
        with contextlib.suppress(RedisError, OSError):
            await self._redis.connection_pool.disconnect(inuse_connections=False)
        await self._rpc.reset()
        self._persister.hurry()  # a Redis back empty has lost the group: make it again now
        await resync()

    async def _eval(self, script: Any, keys: Sequence[Any], args: Sequence[Any],
                    on_reply: Callable[[list[Any]], None] | None = None) -> Any:
        """Run one of the scripts given to the coalescer, in the next shared pipeline."""
        return (await self._rpc.call(("EVALSHA", script.sha, len(keys), *keys, *args),
                                     on_reply=on_reply))[0]

    # The stream ----------------------------------------------------------------------------

    async def append(self, room: str, body: bytes, meta: EventMeta, *, persist: bool,
                     floor: int, once: str | None = None) -> tuple[int, bytes]:
        keys = [_k("seq", room), _k("buf", room), PERSIST_STREAM, _k("room", room),
                P + "once:" + once if once else _k("seq", room), _k("ovr", room),
                _k("react", room)]
        args = [floor, body, self._buffer_events, self._buffer_seconds, "1" if persist else "0",
                meta.kind, meta.member, meta.ts_ms, room, ONCE_SECONDS if once else "",
                self._persister.taker, PERSIST_GROUP, PERSIST_BATCH]
        try:
            reply = await self._eval(self._append, keys, args, on_reply=self._took)
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis append") from exc
        if isinstance(reply, int):  # the same request was appended before: its number
            return -reply, b'{"seq":%d,%s' % (-reply, body[1:])
        if isinstance(reply, (bytes, str)):  # no number here, and no floor given
            raise FloorNeeded(room)
        seq = int(reply[0])
        # Rebuilt here rather than returned by the script: it saves sending it back.
        return seq, b'{"seq":%d,%s' % (seq, body[1:])

    def _took(self, replies: list[Any]) -> None:
        """What an append's script read from the persistence queue for this process: handed
        to the persister even if the sender has gone meanwhile (it is in this process's
        pending list now, and may hold other processes' acknowledged events)."""
        reply = replies[0]
        if isinstance(reply, (int, bytes, str)):
            return
        if reply[1]:
            self._persister.take([(eid, dict(zip(fields[::2], fields[1::2], strict=True)))
                                  for eid, fields in reply[1] if fields])
        if len(reply) > 2:  # its read failed (the group is gone): the event waits unread
            self._persister.hurry()

    async def publish_ephemeral(self, room: str, frame: bytes) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self._rpc.one("PUBLISH", _k("room", room), frame)

    async def head(self, room: str) -> int:
        try:
            return int(await self._rpc.one("GET", _k("seq", room)) or 0)
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis head") from exc

    async def recent(self, room: str, after: int,
                     limit: int) -> tuple[list[tuple[int, bytes]], int | None]:
        key = _k("buf", room)
        try:
            first, entries, overrides = await self._rpc.call(
                ("XRANGE", key, "-", "+", "COUNT", 1),
                ("XRANGE", key, f"{after + 1}-0", "+", "COUNT", limit),
                ("HGETALL", _k("ovr", room)))
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis recent") from exc
        low = buffered_frames(first, {})[0][0] if first else None
        return buffered_frames(entries, overrides), low

    async def tail(self, room: str, count: int) -> list[tuple[int, bytes]]:
        if count <= 0:
            return []
        try:
            entries, overrides = await self._rpc.call(
                ("XREVRANGE", _k("buf", room), "+", "-", "COUNT", count),
                ("HGETALL", _k("ovr", room)))
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis tail") from exc
        return buffered_frames(entries[::-1], overrides)

    async def replace_buffered(self, room: str, seq: int, frame: bytes) -> None:
        # Stream entries cannot be rewritten in place: overrides live beside the buffer, with
        # the same lifetime, and are applied when the buffer is read.
        key = _k("ovr", room)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, str(seq), frame)
                pipe.expire(key, self._buffer_seconds)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis replace") from exc

    async def react(self, room: str, seq: int, member: str, reaction: str,
                    on: bool) -> dict[str, int]:
        key = _k("react", room)
        field = f"{seq}|{reaction}|{member}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                if on:
                    pipe.hset(key, field, 1)
                else:
                    pipe.hdel(key, field)
                pipe.expire(key, self._buffer_seconds)
                pipe.hkeys(key)
                *_, fields = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis react") from exc
        return reaction_counts(fields).get(seq, {})

    async def reactions(self, room: str) -> dict[int, dict[str, int]]:
        try:
            return reaction_counts(await self._rpc.one("HKEYS", _k("react", room)))
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis reactions") from exc

    async def drop_reactions(self, room: str, seq: int) -> None:
        key = _k("react", room)
        try:
            fields = [f for f in await self._redis.hkeys(key)
                      if f.split(b"|", 1)[0] == str(seq).encode()]
            if fields:
                await self._redis.hdel(key, *fields)
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis reactions") from exc

    async def forget_room(self, room: str) -> None:
        try:
            await self._redis.delete(_k("buf", room), _k("ovr", room), _k("react", room))
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis forget") from exc

    async def trim(self, room: str, before_ms: int) -> int:
        key, ovr, react = _k("buf", room), _k("ovr", room), _k("react", room)
        try:
            # Most buffers are gone (they expire) or began after the cut-off: one look at the
            # oldest entry settles it, instead of reading every buffer whole at every sweep.
            oldest = buffered_frames(await self._rpc.one("XRANGE", key, "-", "+", "COUNT", 1), {})
            if not oldest or frame_ts(oldest[0][1]) >= before_ms:
                return 0
            entries, overrides = await self._rpc.call(("XRANGE", key, "-", "+"),
                                                      ("HGETALL", ovr))
            upto = max((seq for seq, frame in buffered_frames(entries, overrides)
                        if frame_ts(frame) < before_ms), default=0)
            if not upto:
                return 0
            dropped = [f for f in await self._redis.hkeys(react)
                       if int(f.split(b"|", 1)[0]) <= upto]
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.xtrim(key, minid=f"{upto + 1}-0", approximate=False)
                old = [k for k in overrides if int(k) <= upto]
                if old:
                    pipe.hdel(ovr, *old)
                if dropped:
                    pipe.hdel(react, *dropped)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis trim") from exc
        return upto

    async def publish_control(self, payload: bytes) -> None:
        try:
            await self._redis.publish(CONTROL_CHANNEL, payload)
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis control") from exc

    # Presence ------------------------------------------------------------------------------

    @staticmethod
    def _add_call(entry: PresenceEntry, expires_at: float) -> tuple[list[str], list[Any]]:
        process = process_of(entry.conn_key)
        return ([_k("pres", entry.room), _k("presn", entry.room), _k("presp", process),
                 PRESENCE_PROCS],
                [entry.conn_key, entry.member, entry.info, expires_at, entry.room, process])

    async def presence_add(self, entry: PresenceEntry, expires_at: float) -> bool:
        keys, args = self._add_call(entry, expires_at)
        return bool(await self._presence_write(self._p_add, keys, args))

    async def _presence_write(self, script: Any, keys: Sequence[Any],
                              args: Sequence[Any]) -> Any:
        """One presence script of a connection. One that fails (or is cancelled) may or may
        not have been done: the next heartbeat puts this process's presence right."""
        await self._gate.enter()
        try:
            return await self._eval(script, keys, args)
        except (RedisError, OSError) as exc:
            self._writes_failed += 1
            raise BackendUnavailable("redis presence") from exc
        except asyncio.CancelledError:
            self._writes_failed += 1
            raise
        finally:
            self._gate.leave()

    async def presence_heartbeat(self, process: str, expires_at: float, now: float,
                                 entries: Callable[[], Sequence[PresenceEntry]]
                                 ) -> tuple[list[PresenceEntry], list[tuple[str, bytes]]]:
        """One step whatever the number of connections. Only when this process's presence
        was lost (another process expired it while this one was stalled, or Redis restarted
        empty) or one of its presence writes failed is it rewritten from ``entries()``: its
        connections not among them removed (returned with the members gone), the others
        added; the members present again are returned for a member_joined, except after
        Redis lost its data (nobody was told that anyone had left)."""
        try:
            flat = await self._p_heartbeat(
                keys=[PRESENCE_PROCS, _k("prespdead", process), EPOCH_KEY],
                args=[process, expires_at, uuid.uuid4().hex, now, P, DEAD_MARKER_SECONDS])
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis presence") from exc
        epoch, lost = flat[0], flat[1]
        gone = [(flat[i].decode(), flat[i + 1]) for i in range(2, len(flat), 2)]
        known, self._epoch = self._epoch, epoch
        if known is not None and epoch != known:
            self._readd = "restarted"
        elif lost and self._readd is None:
            self._readd = "lost"
        failed = self._writes_failed
        if self._readd is None and failed == self._writes_mended:
            return [], gone
        # The marker that said so is gone now: until the connections are back, this process
        # remembers it itself (a failed attempt is tried again at the next heartbeat).
        async with self._gate.alone(REWRITE_WAIT_SECONDS) as alone:
            if not alone:  # a write of this process still waits for Redis: next time
                return [], gone
            try:
                back, stale = await self._rewrite(process, list(entries()), expires_at)
            except (RedisError, OSError) as exc:
                log.warning("presence not restored yet", extra={"error": type(exc).__name__})
                return [], gone  # the departures found are announced all the same
        why, self._readd, self._writes_mended = self._readd, None, failed
        if why == "restarted":  # Redis lost its data: nobody was told that anyone had left
            return [], gone
        return back, gone + stale

    async def _rewrite(self, process: str, entries: list[PresenceEntry], expires_at: float
                       ) -> tuple[list[PresenceEntry], list[tuple[str, bytes]]]:
        """This process's presence made what it is here, in one round trip: what Redis holds
        of it and it does not have removed, what it has added. Returns the entries whose
        member is present again and (room, info) of the members gone."""
        async with self._redis.pipeline(transaction=False) as pipe:
            await self._p_keep_only(keys=[_k("presp", process)],
                                    args=[P, *[f"{e.room}\0{e.conn_key}" for e in entries]],
                                    client=pipe)
            for e in entries:
                keys, args = self._add_call(e, expires_at)
                await self._p_add(keys=keys, args=args, client=pipe)
            removed, *added = await pipe.execute()
        stale = [(removed[i].decode(), removed[i + 1]) for i in range(0, len(removed), 2)]
        return [e for e, first in zip(entries, added, strict=True) if first], stale

    async def presence_remove(self, room: str, conn_key: str, member: str) -> bool:
        return bool(await self._presence_write(
            self._p_remove,
            [_k("pres", room), _k("presn", room), _k("presp", process_of(conn_key))],
            [conn_key, member, room]))

    async def presence_join(self, entry: PresenceEntry,
                            expires_at: float) -> tuple[bool, list[bytes]]:
        keys, args = self._add_call(entry, expires_at)
        first, values = await self._presence_write(self._p_join, keys, args)
        return bool(first), one_per_member(values)

    async def presence_list(self, room: str) -> list[bytes]:
        try:
            values = await self._rpc.one("HVALS", _k("pres", room))
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis presence") from exc
        return one_per_member(values)

    async def presence_counts(self, rooms: Sequence[str]) -> dict[str, int]:
        if not rooms:
            return {}
        try:
            counts = await self._rpc.call(*[("HLEN", _k("presn", room)) for room in rooms])
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis presence") from exc
        return {room: int(c) for room, c in zip(rooms, counts, strict=True)}

    async def hit(self, key: str, window_seconds: int, amount: int = 1) -> tuple[int, float]:
        try:
            count, ttl_ms = await self._eval(self._hit, [P + "hits:" + key],
                                             [amount, window_seconds])
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis hit") from exc
        return int(count), max(0.0, int(ttl_ms) / 1000)


    async def admit(self, buckets: Sequence[tuple[str, float, float]],
                    cooldowns: Sequence[str] = ()) -> float:
        keys = [P + "hits:" + key for key in cooldowns] + [P + "bucket:" + key
                                                          for key, _, _ in buckets]
        args: list[Any] = [len(cooldowns)]
        for _, rate, burst in buckets:
            args += [1000 / rate, burst]
        try:
            wait_ms = await self._eval(self._admit, keys, args)
        except (RedisError, OSError) as exc:
            raise BackendUnavailable("redis admit") from exc
        return int(wait_ms) / 1000


class _PresenceGate:
    """A process's presence writes run side by side; a rewrite of its whole presence runs
    alone: a connection removed while the rewrite's list was on its way would otherwise be
    added back by it, for good."""

    def __init__(self) -> None:
        self._writes = 0
        self._rewrite_done: asyncio.Event | None = None  # while a rewrite runs
        self._idle: asyncio.Event | None = None  # while a rewrite waits for the writes

    async def enter(self) -> None:
        while self._rewrite_done is not None:
            await self._rewrite_done.wait()
        self._writes += 1

    def leave(self) -> None:
        self._writes -= 1
        if self._writes == 0 and self._idle is not None:
            self._idle.set()

    @contextlib.asynccontextmanager
    async def alone(self, timeout: float) -> AsyncIterator[bool]:
        """Hold new writes back and wait (at most ``timeout``) for those under way; yields
        whether they ended."""
        done = self._rewrite_done = asyncio.Event()
        try:
            if self._writes:
                self._idle = asyncio.Event()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._idle.wait(), timeout)
                self._idle = None
            yield self._writes == 0
        finally:
            self._rewrite_done = None
            done.set()
