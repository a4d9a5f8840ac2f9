"""Where the one-to-one queue lives: in this process (no Redis) or in Redis (any number).

The Redis backend keeps the queue as a sorted set (score: band, then arrival, see
chatserver/queueing.py), each request and conversation as a JSON string, and which process
holds which supporter, conversation and waiting participant as sets per process. Each process
renews its liveness in a sorted set by heartbeat; a sweeper (any process, atomically in Lua)
returns the participants of a dead supporter process to the FRONT of the queue, so no one is
lost (and ends the conversations opened from an alert, for the caller to hand back to the
group's facilitators), and ``take`` is one Lua script, so no one is assigned twice. A process
that stops cleanly (a deploy) parks its conversations instead: they wait, bound to no process,
for their supporter's console to come back on another one (``rebind``), and only if it does
not in time are they handed back as a dead process's are (``parked_expired``).

Requests and conversations are plain dicts (JSON-able): {"id", "identity", "lang", "topic",
"answers", "crisis", "arrived", "band", "process"} and {"id", "request", "supporter",
"supporter_name", "process", "started"}. Transcripts are kept here only while a
conversation lasts (ephemeral), capped, so a transfer keeps the conversation.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from redis import asyncio as aioredis

from chatserver.broker import queue_scripts as lua
from chatserver.broker.endings import Endings, MemoryEndings, RedisEndings
from chatserver.domain.queueing import BAND_RETURNED, RECENT_CONVERSATIONS, score

Request = dict[str, Any]
Conversation = dict[str, Any]
TRANSCRIPT_CAP = 200  # frames kept per conversation for a supporter who takes it over
FULL = "full"  # take/transfer refused: the supporter has no free slot


class QueueBackend(Protocol):
    endings: Endings  # how each supporter's conversations ended, for a console that was away

    async def enqueue(self, request: Request) -> None: ...

    async def remove(self, request_id: str) -> Request | None:
        """Take a request out of the queue (the participant left); None if not queued."""
        ...

    async def queued(self) -> list[Request]:
        """Waiting requests, first served first."""
        ...

    async def flag_crisis(self, request_id: str, band: int) -> bool: ...

    async def claim(self, request_id: str, process: str) -> Request | None:
        """A waiting participant came back on ``process``: the request is now tied to it (so
        that it is dropped if that process dies, not the one they left). None if not queued."""
        ...

    async def set_available(self, process: str, supporter: str, name: str,
                            capacity: int) -> None:
        """Capacity 0: not available (open conversations continue)."""
        ...

    async def availability(self) -> dict[str, dict[str, Any]]:
        """supporter -> {"capacity", "process", "name", "load"}."""
        ...

    async def take(self, supporter: str, name: str, capacity: int, process: str,
                   conv_id: str, now_ms: int, request_id: str | None) -> Conversation | str | None:
        """Assign the first waiting request (or ``request_id``) to the supporter: the new
        conversation, FULL if they have no free slot, None if no one waits."""
        ...

    async def open(self, conv: Conversation) -> None:
        """Start a conversation nobody queued for (a facilitator answering an alert)."""
        ...

    async def conversation(self, conv_id: str) -> Conversation | None: ...

    async def conversations(self) -> list[Conversation]:
        """Every open conversation (an admin took someone's right away: whose are theirs)."""
        ...

    async def conversations_of(self, supporter: str) -> list[Conversation]:
        """The supporter's open conversations (so that a reloaded console gets them back)."""
        ...

    async def conversation_of_request(self, request_id: str) -> Conversation | None:
        """The open conversation a queued request became (taken while its person was away)."""
        ...

    async def end(self, conv_id: str) -> Conversation | None: ...

    async def transfer(self, conv_id: str, to: str) -> Conversation | str | None:
        """Hand a conversation to another available supporter: the updated conversation,
        FULL if they have no free slot (or are not available), None if it is gone."""
        ...

    async def return_to_queue(self, conv_id: str, band: int) -> Conversation | None:
        """End a conversation whose supporter is gone (or may no longer support) and put its
        person back in the queue (in ``band``, marked returned, keeping their arrival time and
        pre-chat answers); None if it had ended (so one caller of several tells them)."""
        ...

    async def heartbeat(self, process: str, expires_at: float,
                        now: float) -> tuple[list[Conversation], list[Request]]:
        """Renew ``process`` until ``expires_at`` and sweep the processes whose heartbeat
        lapsed by ``now`` (one step: it runs every few seconds on every process, idle or
        not): their conversations are returned (those from the queue go back to its front;
        those opened from an alert, whose request has "alert", end and are not queued: the
        caller hands them back to the group's facilitators), their waiting participants are
        dropped (abandoned)."""
        ...

    async def drop_process(self, process: str, keep_requests_until: float | None = None,
                           park: tuple[float, float] | None = None
                           ) -> tuple[list[Conversation], list[Request]]:
        """A clean shutdown: sweep this process at once. With ``keep_requests_until`` (a
        time), its waiting requests stay queued until then for their people to claim. With
        ``park`` (the times at which their people are told the supporter is away, and until
        which they wait), its conversations are neither returned nor ended: they wait, bound
        to no process, for their supporter to come back elsewhere (``rebind``)."""
        ...

    async def rebind(self, conv_id: str, supporter: str, process: str) -> Conversation | None:
        """The supporter's console has the conversation again, on ``process``: it is bound
        to that process from now on (atomically: one owner), parked or not. None if it ended
        or is not theirs."""
        ...

    async def parked_away(self, now: float) -> list[Conversation]:
        """Parked conversations whose people are due to hear that their supporter is away:
        each returned once, to one caller."""
        ...

    async def parked_expired(self, now: float) -> list[Conversation]:
        """Parked conversations whose supporter did not come back in time, handed back as in
        the sweep (from the queue: requeued at its front; from an alert: ended), each
        returned once, to one caller."""
        ...

    async def append_transcript(self, conv_id: str, frame: str) -> None: ...

    async def transcript(self, conv_id: str) -> list[str]: ...

    async def record_duration(self, seconds: float) -> None: ...

    async def durations(self) -> list[float]: ...

    async def close(self) -> None: ...


class MemoryQueue:
    """One process: the same rules over plain dicts (a real backend, not a test fake)."""

    def __init__(self) -> None:
        self._queue: dict[str, tuple[float, Request]] = {}
        self._convs: dict[str, Conversation] = {}
        self._avail: dict[str, dict[str, Any]] = {}
        self._load: dict[str, int] = {}
        self._transcripts: dict[str, list[str]] = {}
        self._durations: list[float] = []
        self.endings: Endings = MemoryEndings()

    async def enqueue(self, request: Request) -> None:
        self._queue[request["id"]] = (score(request["band"], request["arrived"]), request)

    async def remove(self, request_id: str) -> Request | None:
        entry = self._queue.pop(request_id, None)
        return entry[1] if entry else None

    async def queued(self) -> list[Request]:
        return [r for _, r in sorted(self._queue.values(), key=lambda e: e[0])]

    async def claim(self, request_id: str, process: str) -> Request | None:
        entry = self._queue.get(request_id)
        if entry is None:
            return None
        request = {**entry[1], "process": process}
        self._queue[request_id] = (entry[0], request)
        return request

    async def flag_crisis(self, request_id: str, band: int) -> bool:
        entry = self._queue.get(request_id)
        if entry is None:
            return False
        request = {**entry[1], "crisis": True, "band": min(band, entry[1]["band"])}
        self._queue[request_id] = (score(request["band"], request["arrived"]), request)
        return True

    async def set_available(self, process: str, supporter: str, name: str,
                            capacity: int) -> None:
        if capacity <= 0:
            self._avail.pop(supporter, None)
        else:
            self._avail[supporter] = {"capacity": capacity, "process": process, "name": name}

    async def availability(self) -> dict[str, dict[str, Any]]:
        return {s: {**a, "load": self._load.get(s, 0)} for s, a in self._avail.items()}

    async def take(self, supporter: str, name: str, capacity: int, process: str,
                   conv_id: str, now_ms: int, request_id: str | None) -> Conversation | str | None:
        if self._load.get(supporter, 0) >= capacity:
            return FULL
        if request_id is None:
            order = await self.queued()
            request_id = order[0]["id"] if order else None
        if request_id is None or request_id not in self._queue:
            return None
        _, request = self._queue.pop(request_id)
        conv = {"id": conv_id, "request": request, "supporter": supporter,
                "supporter_name": name, "process": process, "started": now_ms}
        self._convs[conv_id] = conv
        self._load[supporter] = self._load.get(supporter, 0) + 1
        return conv

    async def open(self, conv: Conversation) -> None:
        self._convs[conv["id"]] = conv
        self._load[conv["supporter"]] = self._load.get(conv["supporter"], 0) + 1

    async def conversation(self, conv_id: str) -> Conversation | None:
        return self._convs.get(conv_id)

    async def conversations(self) -> list[Conversation]:
        return list(self._convs.values())

    async def conversations_of(self, supporter: str) -> list[Conversation]:
        return [c for c in self._convs.values() if c["supporter"] == supporter]

    async def conversation_of_request(self, request_id: str) -> Conversation | None:
        return next((c for c in self._convs.values() if c["request"]["id"] == request_id),
                    None)

    def _unload(self, supporter: str) -> None:
        left = self._load.get(supporter, 0) - 1
        if left > 0:
            self._load[supporter] = left
        else:
            self._load.pop(supporter, None)

    async def end(self, conv_id: str) -> Conversation | None:
        conv = self._convs.pop(conv_id, None)
        self._transcripts.pop(conv_id, None)
        if conv is not None:
            self._unload(conv["supporter"])
        return conv

    async def transfer(self, conv_id: str, to: str) -> Conversation | str | None:
        conv = self._convs.get(conv_id)
        if conv is None:
            return None
        target = self._avail.get(to)
        if target is None or self._load.get(to, 0) >= target["capacity"]:
            return FULL
        self._unload(conv["supporter"])
        self._load[to] = self._load.get(to, 0) + 1
        conv = {**conv, "supporter": to, "supporter_name": target["name"],
                "process": target["process"]}
        self._convs[conv_id] = conv
        return conv

    async def return_to_queue(self, conv_id: str, band: int) -> Conversation | None:
        conv = await self.end(conv_id)
        if conv is not None:
            await self.enqueue({**conv["request"], "band": band, "returned": True,
                                "returned_from": conv_id})
        return conv

    async def heartbeat(self, process: str, expires_at: float,
                        now: float) -> tuple[list[Conversation], list[Request]]:
        return [], []  # one process: it cannot outlive itself

    async def drop_process(self, process: str, keep_requests_until: float | None = None,
                           park: tuple[float, float] | None = None
                           ) -> tuple[list[Conversation], list[Request]]:
        return [], []  # the only process: its queue and conversations end with it

    async def rebind(self, conv_id: str, supporter: str, process: str) -> Conversation | None:
        conv = self._convs.get(conv_id)
        return conv if conv is not None and conv["supporter"] == supporter else None

    async def parked_away(self, now: float) -> list[Conversation]:
        return []  # nothing outlives the only process

    async def parked_expired(self, now: float) -> list[Conversation]:
        return []

    async def append_transcript(self, conv_id: str, frame: str) -> None:
        if conv_id in self._convs:
            kept = self._transcripts.setdefault(conv_id, [])
            kept.append(frame)
            del kept[:-TRANSCRIPT_CAP]

    async def transcript(self, conv_id: str) -> list[str]:
        return list(self._transcripts.get(conv_id, []))

    async def record_duration(self, seconds: float) -> None:
        self._durations.append(seconds)
        del self._durations[:-RECENT_CONVERSATIONS]

    async def durations(self) -> list[float]:
        return list(self._durations)

    async def close(self) -> None:
        return None


P = "oo:"
QUEUE, AVAIL, LOAD, PROCS, DURATIONS = P + "q", P + "avail", P + "load", P + "procs", P + "dur"


def _decode(raw: Any) -> Any:
    return json.loads(raw) if raw else None


class RedisQueue:
    def __init__(self, url: str, *, transcript_seconds: int = 86_400) -> None:
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=8, timeout=5,
                                                        socket_connect_timeout=2,
                                                        socket_timeout=10)
        self._redis: Any = aioredis.Redis(connection_pool=pool)
        self._take = self._redis.register_script(lua.TAKE)
        self._end = self._redis.register_script(lua.END)
        self._transfer = self._redis.register_script(lua.TRANSFER)
        self._sweep = self._redis.register_script(lua.SWEEP)
        self._return = self._redis.register_script(lua.RETURN)
        self._flag = self._redis.register_script(lua.FLAG)
        self._claim = self._redis.register_script(lua.CLAIM)
        self._rebind = self._redis.register_script(lua.REBIND)
        self._parked_away = self._redis.register_script(lua.PARKED_AWAY)
        self._parked_expired = self._redis.register_script(lua.PARKED_EXPIRED)
        # A transcript outlives no conversation; the TTL only bounds one a crash left behind.
        self._transcript_seconds = transcript_seconds
        self.endings: Endings = RedisEndings(self._redis)

    async def enqueue(self, request: Request) -> None:
        rid = request["id"]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(P + "r:" + rid, json.dumps(request))
            pipe.sadd(P + "pr:" + request["process"], rid)
            pipe.zadd(QUEUE, {rid: score(request["band"], request["arrived"])})
            await pipe.execute()

    async def remove(self, request_id: str) -> Request | None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(QUEUE, request_id)
            pipe.get(P + "r:" + request_id)
            pipe.delete(P + "r:" + request_id)
            removed, data, _ = await pipe.execute()
        request: Request | None = _decode(data)
        if not removed or request is None:
            return None
        await self._redis.srem(P + "pr:" + request["process"], request_id)
        return request

    async def queued(self) -> list[Request]:
        ids = await self._redis.zrange(QUEUE, 0, -1)
        if not ids:
            return []
        rows = await self._redis.mget([P + "r:" + i.decode() for i in ids])
        return [json.loads(r) for r in rows if r]

    async def claim(self, request_id: str, process: str) -> Request | None:
        request: Request | None = _decode(await self._claim(keys=[QUEUE],
                                                            args=[request_id, process]))
        return request

    async def flag_crisis(self, request_id: str, band: int) -> bool:
        return bool(await self._flag(keys=[QUEUE], args=[request_id, band]))

    async def set_available(self, process: str, supporter: str, name: str,
                            capacity: int) -> None:
        if capacity <= 0:
            await self._redis.hdel(AVAIL, supporter)
            await self._redis.srem(P + "pa:" + process, supporter)
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(AVAIL, supporter, json.dumps({"capacity": capacity, "process": process,
                                                    "name": name}))
            pipe.sadd(P + "pa:" + process, supporter)
            await pipe.execute()

    async def availability(self) -> dict[str, dict[str, Any]]:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(AVAIL)
            pipe.hgetall(LOAD)
            avail, load = await pipe.execute()
        return {s.decode(): {**json.loads(a), "load": int(load.get(s, 0))}
                for s, a in avail.items()}

    async def take(self, supporter: str, name: str, capacity: int, process: str,
                   conv_id: str, now_ms: int, request_id: str | None) -> Conversation | str | None:
        got = await self._take(keys=[QUEUE, LOAD], args=[supporter, capacity, process, conv_id,
                                                         now_ms, request_id or "", name])
        if got == b"full":
            return FULL
        conv: Conversation | None = _decode(got)
        return conv

    async def open(self, conv: Conversation) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(P + "c:" + conv["id"], json.dumps(conv))
            pipe.sadd(P + "pc:" + conv["process"], conv["id"])
            pipe.hincrby(LOAD, conv["supporter"], 1)
            await pipe.execute()

    async def conversation(self, conv_id: str) -> Conversation | None:
        conv: Conversation | None = _decode(await self._redis.get(P + "c:" + conv_id))
        return conv

    async def conversations(self) -> list[Conversation]:
        keys = [k async for k in self._redis.scan_iter(match=P + "c:*", count=500)]
        found = [_decode(raw) for raw in (await self._redis.mget(keys) if keys else [])]
        return [c for c in found if c is not None]

    async def conversations_of(self, supporter: str) -> list[Conversation]:
        return [c for c in await self.conversations() if c["supporter"] == supporter]

    async def conversation_of_request(self, request_id: str) -> Conversation | None:
        return next((c for c in await self.conversations()
                     if c["request"]["id"] == request_id), None)

    async def end(self, conv_id: str) -> Conversation | None:
        conv: Conversation | None = _decode(await self._end(keys=[LOAD], args=[conv_id]))
        return conv

    async def return_to_queue(self, conv_id: str, band: int) -> Conversation | None:
        conv: Conversation | None = _decode(await self._return(keys=[QUEUE, LOAD],
                                                               args=[conv_id, band]))
        return conv

    async def transfer(self, conv_id: str, to: str) -> Conversation | str | None:
        got = await self._transfer(keys=[AVAIL, LOAD], args=[conv_id, to])
        if got == b"full":
            return FULL
        conv: Conversation | None = _decode(got)
        return conv

    async def _run_sweep(self, now: float | str, process: str, keep_until: float | str,
                         renew: tuple[str, float] | None = None,
                         park: tuple[float, float] | None = None
                         ) -> tuple[list[Conversation], list[Request]]:
        alive, until = renew if renew is not None else ("", "")
        away_at, park_until = park if park is not None else ("", "")
        out = await self._sweep(keys=[PROCS, QUEUE, LOAD, AVAIL],
                                args=[now, process, BAND_RETURNED, keep_until, alive, until,
                                      park_until, away_at])
        split = out.index(b"|")
        return [json.loads(c) for c in out[:split]], [json.loads(r) for r in out[split + 1:]]

    async def heartbeat(self, process: str, expires_at: float,
                        now: float) -> tuple[list[Conversation], list[Request]]:
        return await self._run_sweep(now, "", "", renew=(process, expires_at))

    async def drop_process(self, process: str, keep_requests_until: float | None = None,
                           park: tuple[float, float] | None = None
                           ) -> tuple[list[Conversation], list[Request]]:
        return await self._run_sweep("", process,
                                     "" if keep_requests_until is None else keep_requests_until,
                                     park=park)

    async def rebind(self, conv_id: str, supporter: str, process: str) -> Conversation | None:
        conv: Conversation | None = _decode(await self._rebind(args=[conv_id, supporter,
                                                                     process]))
        return conv

    async def parked_away(self, now: float) -> list[Conversation]:
        return [json.loads(c) for c in await self._parked_away(args=[now])]

    async def parked_expired(self, now: float) -> list[Conversation]:
        return [json.loads(c) for c in await self._parked_expired(keys=[QUEUE, LOAD],
                                                                  args=[now, BAND_RETURNED])]

    async def append_transcript(self, conv_id: str, frame: str) -> None:
        key = P + "t:" + conv_id
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, frame)
            pipe.ltrim(key, -TRANSCRIPT_CAP, -1)
            pipe.expire(key, self._transcript_seconds)
            await pipe.execute()

    async def transcript(self, conv_id: str) -> list[str]:
        return [f.decode() for f in await self._redis.lrange(P + "t:" + conv_id, 0, -1)]

    async def record_duration(self, seconds: float) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(DURATIONS, seconds)
            pipe.ltrim(DURATIONS, -RECENT_CONVERSATIONS, -1)
            await pipe.execute()

    async def durations(self) -> list[float]:
        return [float(d) for d in await self._redis.lrange(DURATIONS, 0, -1)]

    async def close(self) -> None:
        await self._redis.aclose()


def create_queue(redis_url: str) -> QueueBackend:
    return RedisQueue(redis_url) if redis_url else MemoryQueue()
