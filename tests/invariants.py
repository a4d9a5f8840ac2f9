"""The invariants every fault test checks after breaking something.

1. Every acknowledged message is stored exactly once (the database holds its text under one
   seq, the seq its ack named).
2. Every member's received sequence numbers equal the room's for the time it was a member: no
   gap, no duplicate (a person's reconnections count as one stream).
3. All members saw the same order: one seq means one event for everybody.

The room's truth is the database (retained rooms store every stream event there).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from chatserver.testing import ChatClient, Frame


@dataclass
class Ledger:
    """What the server acknowledged, room by room: seq -> text."""

    acked: dict[str, dict[int, str]] = field(default_factory=dict)

    def record(self, room: str, answer: Frame, text_sent: str) -> bool:
        """Note an answer to a send; True if it was an ack."""
        if answer.get("type") != "ack":
            return False
        seen = self.acked.setdefault(room, {})
        assert answer["seq"] not in seen, f"seq {answer['seq']} acknowledged twice"
        seen[answer["seq"]] = text_sent
        return True

    def count(self) -> int:
        return sum(len(v) for v in self.acked.values())


async def stored_events(db_url: str, room: str) -> dict[int, Frame]:
    """The room's stream as the database holds it: seq -> frame."""
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT seq, frame FROM events WHERE room_id = :r ORDER BY seq"),
                {"r": room})
            return {int(seq): json.loads(frame) for seq, frame in rows}
    finally:
        await engine.dispose()


def check_stored_once(ledger: Ledger, room: str, stored: dict[int, Frame]) -> None:
    """Invariant 1."""
    texts: dict[str, list[int]] = {}
    for seq, frame in stored.items():
        if frame.get("type") == "message":
            texts.setdefault(frame["text"], []).append(seq)
    for seq, sent in ledger.acked.get(room, {}).items():
        assert seq in stored, f"acknowledged seq {seq} is not stored"
        assert stored[seq].get("text") == sent, f"seq {seq} holds another text"
        assert texts.get(sent) == [seq], f"{sent!r} stored as {texts.get(sent)}"


def received(streams: Iterable[ChatClient], room: str) -> list[Frame]:
    """The stream events one member received over all its connections, in arrival order."""
    return [f for client in streams for f in client.events(room)]


def check_member_stream(frames: Sequence[Frame], stored: dict[int, Frame],
                        *, since: int | None = None, until: int | None = None) -> list[int]:
    """Invariant 2 for one member: its seqs are the room's between `since` (exclusive; default
    just before the first it got) and `until` (inclusive; default the last it got). Events meant
    for one member only (`only`) may be absent for the others."""
    seqs = [f["seq"] for f in frames]
    doubled = sorted({s for s in seqs if seqs.count(s) > 1})
    assert not doubled, f"duplicates: {doubled[:10]}"
    assert seqs == sorted(seqs), "out of order"
    if not seqs:
        return []
    low = seqs[0] - 1 if since is None else since
    high = seqs[-1] if until is None else until
    room = [s for s in stored if low < s <= high and "only" not in stored[s]]
    got = [s for s in seqs if low < s <= high]
    missing = sorted(set(room) - set(got))
    extra = sorted(set(got) - set(stored))
    assert not missing, (f"gap: {len(missing)} events missed, first {missing[:10]}; "
                         f"got {got[:3]}...{got[-3:]} ({len(got)})")
    assert not extra, f"received seqs the room never stored: {extra[:10]}"
    return seqs


def check_same_order(members: Sequence[Sequence[Frame]]) -> None:
    """Invariant 3: each seq stands for the same event in every member's stream."""
    by_seq: dict[int, tuple[str, str | None, str | None]] = {}
    for frames in members:
        for f in frames:
            key = (f["type"], f.get("member"), f.get("text"))
            assert by_seq.setdefault(f["seq"], key) == key, f"seq {f['seq']} differs"


async def check_room(db_url: str, room: str, ledger: Ledger,
                     members: Sequence[Sequence[ChatClient]],
                     *, windows: Sequence[tuple[int | None, int | None]] | None = None,
                     store_timeout: float = 60) -> int:
    """All three invariants for a room; each item of `members` is one person's connections in
    the order they were made. Returns the number of events checked across members.

    Persisting is asynchronous (after a crash another process claims the dead one's queue
    once it has been idle 10 s): first wait, with a deadline, for every event that was
    acknowledged or delivered to be stored."""
    streams = [received(conns, room) for conns in members]
    expected = set(ledger.acked.get(room, {})) | {f["seq"] for s in streams for f in s}
    deadline = time.monotonic() + store_timeout
    while True:
        stored = await stored_events(db_url, room)
        if expected <= set(stored) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    check_stored_once(ledger, room, stored)
    checked = 0
    for i, frames in enumerate(streams):
        since, until = windows[i] if windows else (None, None)
        checked += len(check_member_stream(frames, stored, since=since, until=until))
    check_same_order(streams)
    return checked
