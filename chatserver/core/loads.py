"""Single-flight loads: when many coroutines ask for the same thing that is not cached yet (the
eight people of a room joining in the same second at the hour), one of them reads it and the
others wait for that read, instead of each making the same database round trip."""

from __future__ import annotations

import asyncio
import contextlib
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


class Coalesced:
    """Runs `work` after a burst of changes, once per burst and never twice at once.

    A change that arrives while `work` runs marks it due again: one more run follows the
    current one. So the last run always starts after the last change, and what it sends (a
    supporter's queue listing, say) can never be overtaken by the slower, older run of an
    earlier change (two overlapping runs could finish in either order)."""

    def __init__(self, work: Callable[[], Awaitable[None]], *, delay: float = 0.05) -> None:
        self._work = work
        self._delay = delay
        self._due = False
        self._task: asyncio.Task[None] | None = None

    def schedule(self) -> None:
        self._due = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while self._due:
            await asyncio.sleep(self._delay)  # let the burst gather
            self._due = False
            await self._work()

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
