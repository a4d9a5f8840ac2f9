"""Whose call for help is open, per room and person, as this process heard it from the alert
events: so that a person back in the room hears where their call stands without a database
read for everyone else who joins. Pure (no I/O): the caller passes the clock.

An entry goes when its alert is resolved, when a newer call of the same person replaces it,
and once it is older than the age past which a call is no longer said to its person (a day:
core/alerts.py's RECENT). Without that last rule an alert nobody ever closed (the group ended,
nobody marked it handled) stayed for the life of the process: a slow leak in a server that
runs for months. A bound keeps the table finite whatever comes (a flood of calls): past it,
the oldest calls go first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

# Aged calls are looked for at most this often (each is a pass over the table), and at once
# when the table is past its bound.
PRUNE_EVERY = timedelta(minutes=1)
# Far above the calls a day brings (each is a person pressing "I need help now" or writing
# crisis language): only a flood reaches it.
LIMIT = 50_000

Key = tuple[str, str]  # (room, member)


class OpenCalls:
    def __init__(self, max_age: timedelta, limit: int = LIMIT) -> None:
        self.max_age = max_age
        self.limit = limit
        self._calls: dict[Key, tuple[int, datetime]] = {}  # -> (alert, created at)
        self._pruned_at: datetime | None = None

    def __len__(self) -> int:
        return len(self._calls)

    def note(self, room: str, member: str, alert: int, created_at: datetime, *,
             resolved: bool, now: datetime) -> None:
        """An alert event about the person's call (new, changed, escalated, resolved; live or
        sent again after an outage): a resolved one goes, a later one replaces an earlier."""
        key = (room, member)
        current = self._calls.get(key)
        if resolved:
            if current is not None and current[0] == alert:
                del self._calls[key]
        elif created_at >= now - self.max_age and (current is None or alert >= current[0]):
            self._calls[key] = (alert, created_at)
        self._prune(now)

    def get(self, room: str, member: str, now: datetime) -> int | None:
        """The person's open call, if it is young enough to be said to them."""
        call = self._calls.get((room, member))
        if call is None:
            return None
        if call[1] < now - self.max_age:
            del self._calls[(room, member)]
            return None
        return call[0]

    def forget(self, room: str, member: str) -> None:
        """The call turned out to be closed (read from the store)."""
        self._calls.pop((room, member), None)

    def open(self, now: datetime) -> dict[Key, int]:
        """(room, member) -> alert of every call young enough to be said to its person."""
        oldest = now - self.max_age
        return {key: alert for key, (alert, created) in self._calls.items() if created >= oldest}

    def _prune(self, now: datetime) -> None:
        if len(self._calls) <= self.limit and self._pruned_at is not None and \
                now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        oldest = now - self.max_age
        self._calls = {k: v for k, v in self._calls.items() if v[1] >= oldest}
        if len(self._calls) > self.limit:
            newest = sorted(self._calls.items(), key=lambda kv: kv[1][1])[-self.limit:]
            self._calls = dict(newest)
