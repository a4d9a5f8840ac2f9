"""Single-flight loads: when many coroutines ask for the same thing that is not cached yet (the
eight people of a room joining in the same second at the hour), one of them reads it and the
others wait for that read, instead of each making the same database round trip."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._flights: dict[K, asyncio.Future[V]] = {}

    async def run(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The result of `load()`, shared by every caller for `key` while it runs. An error
        reaches every waiter; the next call tries again."""
        flight = self._flights.get(key)
        if flight is None:
            flight = self._flights[key] = asyncio.ensure_future(load())
            flight.add_done_callback(lambda _: self._flights.pop(key, None))
        return await asyncio.shield(flight)
