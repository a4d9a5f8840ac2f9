"""Group commit: many events share one transaction, so no message waits in series behind
another's database round trip, and an event is acknowledged only once it is durable."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger("chatserver.storage")

T = TypeVar("T")


class GroupCommitWriter(Generic[T]):
    """Collects events from many coroutines and writes them in batches, in arrival order.

    ``write`` returns once the event's batch is committed and raises the commit's error
    otherwise; callers resume in the order their events were queued.
    """

    def __init__(self, sink: Callable[[Sequence[T]], Awaitable[None]], *,
                 max_batch: int = 500) -> None:
        self._sink = sink
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[T, asyncio.Future[None]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="group-commit-writer")

    async def close(self) -> None:
        """Finish what is queued, then stop."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None

    async def write(self, event: T) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((event, future))
        await future

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            batch = [first]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._sink([event for event, _ in batch])
            except Exception as exc:  # the waiting senders get the error, the writer lives on
                log.warning("event batch not stored", extra={"events": len(batch),
                                                              "error": type(exc).__name__})
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)
            finally:
                for _ in batch:
                    self._queue.task_done()
