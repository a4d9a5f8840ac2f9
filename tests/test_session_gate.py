"""The session gate's cache against a reload that overlaps session changes (pure logic: the
store is a stand-in whose read can be held open)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from chatserver.core.session_gate import SessionGate
from chatserver.storage.sessions import SessionRecord, SessionStore


def session(id_: int, state: str) -> SessionRecord:
    start = datetime.now(UTC)
    return SessionRecord(id=id_, room_id="tiistai", schedule_id=None, state=state,
                         starts_at=start, ends_at=start + timedelta(hours=1))


class HeldStore:
    """`in_states` answers what the database held when the read began, once released."""

    def __init__(self, rows: list[SessionRecord]) -> None:
        self.rows = rows
        self.release = asyncio.Event()

    async def in_states(self, *_: Any) -> list[SessionRecord]:
        rows = list(self.rows)
        await self.release.wait()
        return rows


async def test_a_reload_that_began_before_a_change_does_not_undo_it():
    """Meeting 1 closes and meeting 2 opens while the periodic reload reads the database: the
    reload must not bring meeting 1 back (a participant's join was counted in the closed
    meeting, and a join between meetings could be refused as 'closed')."""
    store = HeldStore([session(1, "live")])
    gate = SessionGate(cast(SessionStore, store))
    gate.on_session({"session": session(1, "live").to_wire()})
    reload = asyncio.create_task(gate.refresh())
    await asyncio.sleep(0)  # the reload has read meeting 1 as live
    gate.on_session({"session": session(1, "closed").to_wire()})
    gate.on_session({"session": session(2, "live").to_wire()})
    store.release.set()
    await reload
    current = gate.current("tiistai")
    assert current is not None and current.id == 2
    # A close during a reload stays closed too.
    store.rows, store.release = [session(2, "live")], asyncio.Event()
    reload = asyncio.create_task(gate.refresh())
    await asyncio.sleep(0)
    gate.on_session({"session": session(2, "closed").to_wire()})
    store.release.set()
    await reload
    assert gate.current("tiistai") is None
    # With no change during it, a reload takes what the database says.
    store.rows = [session(3, "lobby")]
    await gate.refresh()
    current = gate.current("tiistai")
    assert current is not None and current.id == 3
