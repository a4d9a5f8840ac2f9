"""Keeps full garbage collections short while thousands of connections are open.

A full collection walks every object the collector tracks, and an open connection is ~70 of
them: with 5,000 connections a full collection stopped the event loop for 200-300 ms (measured
in the bench's small-rooms run; issue 20), and one falls every few seconds of traffic, because
every object that outlives two young collections counts towards the next one. So what has
lived a while goes out of the collector's sight (``gc.freeze``) every few seconds, after the
young generations have been collected, so that what is garbage now is not frozen. A full
collection then walks only what is newer.

That is safe because the long-lived objects do not form reference cycles when they die: a
closed connection, its handshake and its messages are freed by reference counting
(``chatserver.web.transport`` cuts the cycles uvicorn and websockets leave; tests/test_heap.py
proves it for a connection's whole life). Should a frozen object still end up in a garbage
cycle, the hourly thaw gives it to one full collection; what that finds is logged, so a leak
shows.
"""

from __future__ import annotations

import asyncio
import gc
import logging

log = logging.getLogger("chatserver.heap")

FREEZE_SECONDS = 5.0
THAW_SECONDS = 3600.0


def _after_collection(phase: str, info: dict[str, int]) -> None:
    """After a full collection, what is left is exactly what is alive: freeze it, so that
    the next full collection walks only what comes after (the 18:00 peak, when thousands of
    connections open in a minute, had full collections of 50-130 ms one after another)."""
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


def freeze_survivors() -> None:
    """Collect the young generations (what is garbage now goes), then freeze the rest."""
    gc.collect(1)
    gc.freeze()


def thaw() -> int:
    """Give everything frozen back to the collector and collect all of it once (one full
    pause); returns the number of unreachable objects found, which should stay near 0."""
    gc.unfreeze()
    found = gc.collect()
    gc.freeze()
    return found


async def keep_collections_short(freeze_seconds: float = FREEZE_SECONDS,
                                 thaw_seconds: float = THAW_SECONDS) -> None:
    """Run for the process's life: freeze survivors every ``freeze_seconds``, thaw every
    ``thaw_seconds``. (The young generations keep their default thresholds: after 10,000
    new objects instead of 700, connection set-up was ~20 % faster but a delivery in the big
    room cost 19 µs instead of 14.)"""
    loop = asyncio.get_running_loop()
    next_thaw = loop.time() + thaw_seconds
    gc.callbacks.append(_after_collection)
    try:
        while True:
            await asyncio.sleep(freeze_seconds)
            if loop.time() >= next_thaw:
                next_thaw = loop.time() + thaw_seconds
                found = thaw()
                log.info("heap thawed and collected", extra={"unreachable": found,
                                                              "frozen": gc.get_freeze_count()})
            else:
                freeze_survivors()
    finally:
        gc.callbacks.remove(_after_collection)
