"""Coalesced refreshes (chatserver/core/loads.py): a supporter's queue listing is built by a
refresh that reads the queue and then awaits more reads; two refreshes running at once could
finish in the wrong order and leave the console showing someone who has already left."""

from __future__ import annotations

import asyncio

from chatserver.core.loads import Coalesced


async def test_a_change_during_a_slow_refresh_is_followed_by_a_newer_one_never_overtaken() -> None:
    queue = ["eka", "toka", "kolmas"]
    shown: list[list[str]] = []
    running = 0
    overlapped = False
    first_read = asyncio.Event()

    async def refresh() -> None:
        nonlocal running, overlapped
        running += 1
        overlapped |= running > 1
        seen = list(queue)  # read the queue ...
        first_read.set()
        await asyncio.sleep(0.2 if len(seen) == 3 else 0.01)  # ... then slower reads
        shown.append(seen)
        running -= 1

    refresher = Coalesced(refresh, delay=0.01)
    refresher.schedule()
    await first_read.wait()
    queue.remove("kolmas")  # someone leaves while the first refresh is under way
    refresher.schedule()
    await asyncio.sleep(0.5)
    assert not overlapped
    assert shown[-1] == ["eka", "toka"]
    await refresher.close()


async def test_a_burst_of_changes_makes_one_refresh() -> None:
    runs = 0

    async def refresh() -> None:
        nonlocal runs
        runs += 1

    refresher = Coalesced(refresh, delay=0.05)
    for _ in range(20):
        refresher.schedule()
    await asyncio.sleep(0.2)
    assert runs == 1
    refresher.schedule()
    await asyncio.sleep(0.2)
    assert runs == 2
    await refresher.close()
