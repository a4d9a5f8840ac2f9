"""What keeps full garbage collections short (chatserver.core.heap), and what makes that safe:
a connection's whole life leaves no reference cycles, so freezing its objects cannot leak
them."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatserver.core import heap

REPO = Path(__file__).resolve().parent.parent


class Node:
    other: Node | None = None


@pytest.fixture
def thawed() -> Iterator[None]:
    """These tests freeze this very process's objects: give them back afterwards."""
    yield
    gc.unfreeze()


def garbage_cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_garbage_is_collected_before_the_survivors_are_frozen(thawed: None) -> None:
    dead = garbage_cycle()
    assert dead() is not None  # only the cycle collector can free it
    heap.freeze_survivors()
    assert dead() is None
    assert gc.get_freeze_count() > 0


def test_a_cycle_that_forms_after_the_freeze_is_found_by_the_thaw(thawed: None) -> None:
    a, b = Node(), Node()
    heap.freeze_survivors()  # a and b are alive, so frozen
    a.other, b.other = b, a
    ref = weakref.ref(a)
    del a, b
    gc.collect()
    assert ref() is not None  # frozen: out of the collector's sight
    assert heap.thaw() >= 2
    assert ref() is None


async def test_what_survives_a_full_collection_is_frozen_while_the_keeper_runs(
        thawed: None) -> None:
    gc.unfreeze()
    keeper = asyncio.create_task(heap.keep_collections_short(freeze_seconds=3600))
    await asyncio.sleep(0)
    gc.collect()
    assert gc.get_freeze_count() > 0
    keeper.cancel()
    with pytest.raises(asyncio.CancelledError):
        await keeper
    gc.unfreeze()
    gc.collect()
    assert gc.get_freeze_count() == 0  # stopped: the collector is as it was


async def test_the_keeper_freezes_on_its_timer_and_thaws_on_its_own(thawed: None) -> None:
    gc.unfreeze()
    keeper = asyncio.create_task(heap.keep_collections_short(freeze_seconds=0.05,
                                                             thaw_seconds=0.3))
    try:
        await asyncio.sleep(0.12)
        assert gc.get_freeze_count() > 0
        a, b = Node(), Node()
        await asyncio.sleep(0.12)  # frozen with everything else
        a.other, b.other = b, a
        ref = weakref.ref(a)
        del a, b
        gc.collect()
        assert ref() is not None
        for _ in range(100):  # the next thaw comes within 0.3 s (polled: a loaded machine)
            if ref() is None:
                break
            await asyncio.sleep(0.05)
        assert ref() is None
    finally:
        keeper.cancel()


def test_a_connection_leaves_no_reference_cycles(tmp_path: Path) -> None:
    """Connect, hello, join, send, then close or drop without a close: the server's
    protocol objects (the HTTP one of the upgrade, the WebSocket one and websockets' state)
    are freed by reference counting, none found in a garbage cycle."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'chat.sqlite3'}"
    done = subprocess.run([sys.executable, str(REPO / "tests" / "garbage_probe.py"), url, "12"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"ChatWebSocketProtocol": 0, "ChatHttpProtocol": 0, "_ServerProtocol": 0,
                     "connections": 12}
