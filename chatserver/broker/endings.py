"""How each supporter's recent conversations ended, for a console that was offline then.

A conversation ends for its supporter while their console may have no socket (an admin took
their right away, the person ended it, it went back to the queue): the ``conv_ended`` sent
then reaches nobody. Each ending is kept here per supporter, by conversation id, with why
(``participant``, ``supporter``, ``revoked``, ``gone``), for a day, so that a console that
comes back says at once which of its conversations ended and why. Ids and reasons only: no
identity, pseudonym or text. In this process (no Redis) or in Redis (every process).
"""

from __future__ import annotations

import time
from typing import Any, Protocol

P = "oo:"
KEEP_SECONDS = 86_400


class Endings(Protocol):
    async def note(self, supporter: str, conv_id: str, by: str) -> None: ...

    async def of(self, supporter: str) -> dict[str, str]:
        """conversation id -> why it ended, for the supporter's endings of the last day."""
        ...


class MemoryEndings:
    def __init__(self) -> None:
        self._kept: dict[str, dict[str, tuple[float, str]]] = {}

    async def note(self, supporter: str, conv_id: str, by: str) -> None:
        self._kept.setdefault(supporter, {})[conv_id] = (time.monotonic() + KEEP_SECONDS, by)

    async def of(self, supporter: str) -> dict[str, str]:
        now = time.monotonic()
        kept = {c: e for c, e in self._kept.get(supporter, {}).items() if e[0] > now}
        if kept:
            self._kept[supporter] = kept
        else:
            self._kept.pop(supporter, None)
        return {conv: by for conv, (_, by) in kept.items()}


class RedisEndings:
    """A hash per supporter, kept a day after its last ending."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis

    async def note(self, supporter: str, conv_id: str, by: str) -> None:
        key = P + "ended:" + supporter
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, conv_id, by)
            pipe.expire(key, KEEP_SECONDS)
            await pipe.execute()

    async def of(self, supporter: str) -> dict[str, str]:
        found = await self._redis.hgetall(P + "ended:" + supporter)
        return {k.decode(): v.decode() for k, v in found.items()}
