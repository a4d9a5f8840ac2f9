"""The session state machine: pure, synchronous, no I/O.

A session moves scheduled → lobby → live → ending → closed (or is cancelled before it runs).
Every process applies the same table, so the one process that fires a timer (and the store
that records the new state) is the only thing that has to be shared. Time is always passed in
(`now`), never read here, so the rules are exact under test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class SessionState(StrEnum):
    SCHEDULED = "scheduled"
    LOBBY = "lobby"  # early arrivals wait, read the ground rules, cannot post
    LIVE = "live"
    ENDING = "ending"  # the end warning has gone out; still open for messages
    CLOSED = "closed"
    CANCELLED = "cancelled"


class SessionEvent(StrEnum):
    OPEN_LOBBY = "open_lobby"
    FACILITATOR_OPEN = "facilitator_open"  # guided rooms: only a facilitator starts them
    START_BY_SCHEDULE = "start_by_schedule"  # unguided rooms: the clock starts them
    NO_FACILITATOR = "no_facilitator"  # guided, start time passed, nobody opened: alert
    WARN_ENDING = "warn_ending"
    EXTEND = "extend"
    CLOSE = "close"  # by a facilitator
    AUTO_CLOSE = "auto_close"  # by the clock, at end + grace
    CANCEL = "cancel"


S = SessionState
E = SessionEvent

# Anonymous feedback is accepted this long after a session closes; then who attended is
# forgotten (the attendance list exists only to let attendees, and no one else, give it).
FEEDBACK_DAYS = 7

# Every event leads to exactly one state, so the table is event → (target, legal sources).
# Why each source is there:
# - start_by_schedule/facilitator_open from scheduled: a lobby of 0 minutes, or a facilitator
#   who opens before the lobby time;
# - extend from live as well as ending: a facilitator may extend before the warning;
# - no_facilitator leaves the state alone: it is an alert, listed so that a list of due events
#   can be applied one by one with `transition`;
# - auto_close from scheduled and lobby: a guided session nobody opened, or one that every
#   process missed while down, still ends (participants are told, retention applies);
# - cancel only before a session is live: once people have talked, it is closed, not cancelled.
TRANSITIONS: Mapping[SessionEvent, tuple[SessionState, frozenset[SessionState]]] = {
    E.OPEN_LOBBY: (S.LOBBY, frozenset({S.SCHEDULED})),
    E.FACILITATOR_OPEN: (S.LIVE, frozenset({S.SCHEDULED, S.LOBBY})),
    E.START_BY_SCHEDULE: (S.LIVE, frozenset({S.SCHEDULED, S.LOBBY})),
    E.NO_FACILITATOR: (S.LOBBY, frozenset({S.LOBBY})),
    E.WARN_ENDING: (S.ENDING, frozenset({S.LIVE})),
    E.EXTEND: (S.LIVE, frozenset({S.LIVE, S.ENDING})),
    E.CLOSE: (S.CLOSED, frozenset({S.LOBBY, S.LIVE, S.ENDING})),
    E.AUTO_CLOSE: (S.CLOSED, frozenset({S.SCHEDULED, S.LOBBY, S.LIVE, S.ENDING})),
    E.CANCEL: (S.CANCELLED, frozenset({S.SCHEDULED, S.LOBBY})),
}

TERMINAL: frozenset[SessionState] = frozenset({S.CLOSED, S.CANCELLED})


class IllegalTransition(ValueError):
    """An event that the session's current state does not allow.

    The caller should refuse the request (for a facilitator's action) or drop the timer (for
    a timer that lost a race with another process); the state is unchanged.
    """

    def __init__(self, current: SessionState, event: SessionEvent, target: SessionState) -> None:
        self.current = current
        self.event = event
        self.target = target
        super().__init__(
            f"illegal session transition from {current} to {target} ({event}): "
            f"{event} is not allowed while the session is {current}"
        )


def transition(current: SessionState, event: SessionEvent) -> SessionState:
    """The state after `event`, or `IllegalTransition` if `current` does not allow it."""
    target, sources = TRANSITIONS[event]
    if current not in sources:
        raise IllegalTransition(current, event, target)
    return target


def legal_events(current: SessionState) -> frozenset[SessionEvent]:
    """The events `current` allows (what a UI may offer a facilitator, say)."""
    return frozenset(e for e, (_, sources) in TRANSITIONS.items() if current in sources)


def accepts_messages(state: SessionState) -> bool:
    """Whether participants may post: only while live (the lobby is read-only)."""
    return state in (S.LIVE, S.ENDING)


def _require_utc(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() != timedelta(0):
        raise ValueError(f"{name} must be a timezone-aware UTC datetime, got {value!r}")


def _require_minutes(value: int, name: str) -> None:
    # bool is an int; `lobby_minutes=True` is a bug, not one minute.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number of minutes >= 0, got {value!r}")


@dataclass(frozen=True)
class SessionTiming:
    """When a session's timers fire. All instants are UTC; an extension moves `end`."""

    start: datetime
    end: datetime
    lobby_minutes: int = 15
    warn_minutes: int = 5
    grace_minutes: int = 5

    def __post_init__(self) -> None:
        _require_utc(self.start, "start")
        _require_utc(self.end, "end")
        if self.end <= self.start:
            raise ValueError(f"session end {self.end} must be after its start {self.start}")
        _require_minutes(self.lobby_minutes, "lobby_minutes")
        _require_minutes(self.warn_minutes, "warn_minutes")
        _require_minutes(self.grace_minutes, "grace_minutes")

    @property
    def lobby_opens_at(self) -> datetime:
        return self.start - timedelta(minutes=self.lobby_minutes)

    @property
    def warn_at(self) -> datetime:
        # Never before the start: a warning longer than the session goes out as it goes live.
        return max(self.start, self.end - timedelta(minutes=self.warn_minutes))

    @property
    def auto_close_at(self) -> datetime:
        return self.end + timedelta(minutes=self.grace_minutes)

    def extended(self, minutes: int) -> SessionTiming:
        """The same session ending `minutes` later (apply with the `extend` event)."""
        if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
            raise ValueError(f"an extension must be a positive number of minutes, got {minutes!r}")
        return replace(self, end=self.end + timedelta(minutes=minutes))


def due_transitions(
    timing: SessionTiming,
    state: SessionState,
    now: datetime,
    *,
    guided: bool,
    facilitator_present: bool,
    alerted: bool = False,
) -> list[SessionEvent]:
    """The timer-driven events due at `now`, in the order to apply them with `transition`.

    Instants are inclusive: an event is due at its exact instant. A timer that runs late (a
    restart, a busy process) gets the catch-up in one list, collapsed so that nobody sees a
    burst of stale announcements: a scheduled session found after its start goes straight to
    live (unguided), and one found after end + grace only closes.

    `alerted` says whether the no-facilitator alert was already sent for this session; the
    caller records it with the state, so the alert goes out once across processes and restarts.
    The alert is due when a guided session has passed its start in the lobby, nobody has opened
    it and no facilitator is present (a present facilitator already sees the waiting lobby, and
    telling participants "no facilitator" would be false).
    """
    _require_utc(now, "now")
    if state in TERMINAL:
        return []
    if now >= timing.auto_close_at:
        return [E.AUTO_CLOSE]
    due: list[SessionEvent] = []
    if state == S.SCHEDULED and now >= timing.lobby_opens_at:
        if not guided and now >= timing.start:
            due.append(E.START_BY_SCHEDULE)
            state = S.LIVE
        else:
            due.append(E.OPEN_LOBBY)
            state = S.LOBBY
    if state == S.LOBBY and now >= timing.start:
        if not guided:
            due.append(E.START_BY_SCHEDULE)
            state = S.LIVE
        elif not facilitator_present and not alerted:
            due.append(E.NO_FACILITATOR)
    if state == S.LIVE and now >= timing.warn_at:
        due.append(E.WARN_ENDING)
    return due
