"""OpenCalls: whose call for help is open, as a process keeps it from the alert events
(pure, the clock passed in). Before, it was a dict in core/alerts.py that kept the entry of
every call nobody ever closed for the life of the process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chatserver.core.open_calls import PRUNE_EVERY, OpenCalls

DAY = timedelta(days=1)
NOW = datetime.now(UTC)


def test_a_call_is_said_until_it_is_resolved_or_replaced() -> None:
    calls = OpenCalls(DAY)
    calls.note("olohuone", "m1", 7, NOW, resolved=False, now=NOW)
    assert calls.get("olohuone", "m1", NOW) == 7
    calls.note("olohuone", "m1", 9, NOW, resolved=False, now=NOW)  # a newer call of theirs
    calls.note("olohuone", "m1", 7, NOW, resolved=False, now=NOW)  # an older one told late
    assert calls.get("olohuone", "m1", NOW) == 9
    calls.note("olohuone", "m1", 7, NOW, resolved=True, now=NOW)  # not the one said
    assert calls.open(NOW) == {("olohuone", "m1"): 9}
    calls.note("olohuone", "m1", 9, NOW, resolved=True, now=NOW)
    assert calls.get("olohuone", "m1", NOW) is None and len(calls) == 0


def test_a_call_nobody_closed_goes_once_it_is_a_day_old() -> None:
    """Nobody resolves the call and the person never comes back to ask where it stands:
    it no longer stays for good; a fresh call of someone else stays."""
    calls = OpenCalls(DAY)
    calls.note("olohuone", "m1", 1, NOW, resolved=False, now=NOW)
    later = NOW + DAY + PRUNE_EVERY
    assert calls.open(later) == {}  # never said after a day
    calls.note("laheiset", "m2", 2, later, resolved=False, now=later)
    assert len(calls) == 1 and calls.open(later) == {("laheiset", "m2"): 2}
    # A call already a day old, told again after an outage, is not kept at all.
    calls.note("olohuone", "m3", 3, NOW, resolved=False, now=later)
    assert calls.get("olohuone", "m3", later) is None and len(calls) == 1


def test_an_aged_call_asked_for_goes_at_once() -> None:
    calls = OpenCalls(DAY)
    calls.note("olohuone", "m1", 1, NOW, resolved=False, now=NOW)
    assert calls.get("olohuone", "m1", NOW + DAY + timedelta(seconds=1)) is None
    assert len(calls) == 0


def test_the_table_is_bounded_the_oldest_calls_going_first() -> None:
    calls = OpenCalls(DAY, limit=3)
    for n in range(5):
        calls.note("olohuone", f"m{n}", n, NOW + timedelta(seconds=n), resolved=False,
                   now=NOW + timedelta(seconds=n))
    assert calls.open(NOW + timedelta(seconds=5)) == {
        ("olohuone", "m2"): 2, ("olohuone", "m3"): 3, ("olohuone", "m4"): 4}
