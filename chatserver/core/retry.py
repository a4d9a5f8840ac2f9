"""Trying again with a growing pause: for what must not be lost when a backend is away (an
alert not stored or not announced)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

# An alert that could not be stored, or stored but not announced (the database or the broker
# away), is tried again for this long, with a pause growing to at most RETRY_PAUSE.
RETRY_SECONDS = 600.0
RETRY_PAUSE = 15.0


async def retry_with_backoff(attempt: Callable[[], Awaitable[T]],
                             retry_on: tuple[type[BaseException], ...]) -> T:
    """``attempt()`` after 1 s, then again after 2, 4, 8 and every RETRY_PAUSE seconds while it
    raises one of ``retry_on``, for RETRY_SECONDS; its result, or TimeoutError at the end."""
    deadline = time.monotonic() + RETRY_SECONDS
    pause = 1.0
    while time.monotonic() + pause <= deadline:
        await asyncio.sleep(pause)
        pause = min(pause * 2, RETRY_PAUSE)
        try:
            return await attempt()
        except retry_on:
            continue
    raise TimeoutError("never done")
