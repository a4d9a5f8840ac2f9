"""The session state machine and its timers, with a fixed `now`."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from chatserver.domain.session_state import (
    IllegalTransition,
    SessionEvent,
    SessionState,
    SessionTiming,
    accepts_messages,
    due_transitions,
    legal_events,
    transition,
)
from tests.calendar_dates import spring_change, this_year, utc_at

S = SessionState
E = SessionEvent

# Written out independently of the module's table, so a change to either shows up here.
LEGAL: dict[tuple[SessionState, SessionEvent], SessionState] = {
    (S.SCHEDULED, E.OPEN_LOBBY): S.LOBBY,
    (S.SCHEDULED, E.FACILITATOR_OPEN): S.LIVE,
    (S.SCHEDULED, E.START_BY_SCHEDULE): S.LIVE,
    (S.SCHEDULED, E.AUTO_CLOSE): S.CLOSED,
    (S.SCHEDULED, E.CANCEL): S.CANCELLED,
    (S.LOBBY, E.FACILITATOR_OPEN): S.LIVE,
    (S.LOBBY, E.START_BY_SCHEDULE): S.LIVE,
    (S.LOBBY, E.NO_FACILITATOR): S.LOBBY,
    (S.LOBBY, E.CLOSE): S.CLOSED,
    (S.LOBBY, E.AUTO_CLOSE): S.CLOSED,
    (S.LOBBY, E.CANCEL): S.CANCELLED,
    (S.LIVE, E.WARN_ENDING): S.ENDING,
    (S.LIVE, E.EXTEND): S.LIVE,
    (S.LIVE, E.CLOSE): S.CLOSED,
    (S.LIVE, E.AUTO_CLOSE): S.CLOSED,
    (S.ENDING, E.EXTEND): S.LIVE,
    (S.ENDING, E.CLOSE): S.CLOSED,
    (S.ENDING, E.AUTO_CLOSE): S.CLOSED,
}

ALL_PAIRS = list(itertools.product(SessionState, SessionEvent))


@pytest.mark.parametrize(("state", "event"), [p for p in ALL_PAIRS if p in LEGAL])
def test_legal_transition(state: SessionState, event: SessionEvent) -> None:
    assert transition(state, event) is LEGAL[(state, event)]


@pytest.mark.parametrize(("state", "event"), [p for p in ALL_PAIRS if p not in LEGAL])
def test_illegal_transition_raises_naming_from_and_to(
    state: SessionState, event: SessionEvent
) -> None:
    with pytest.raises(IllegalTransition) as refused:
        transition(state, event)
    assert isinstance(refused.value, ValueError)
    assert refused.value.current is state
    assert refused.value.event is event
    message = str(refused.value)
    assert f"from {state} to {refused.value.target}" in message
    assert str(event) in message


def test_matrix_is_complete() -> None:
    assert len(ALL_PAIRS) == 6 * 9
    for state in SessionState:
        assert legal_events(state) == {e for (s, e) in LEGAL if s is state}


def test_terminal_states_allow_nothing() -> None:
    assert legal_events(S.CLOSED) == frozenset()
    assert legal_events(S.CANCELLED) == frozenset()


def test_plain_strings_from_the_database_work() -> None:
    assert transition(SessionState("lobby"), SessionEvent("facilitator_open")) is S.LIVE


def test_only_live_sessions_accept_messages() -> None:
    assert {s for s in SessionState if accepts_messages(s)} == {S.LIVE, S.ENDING}


# --- timing -------------------------------------------------------------------------------

# Tuesday 18:00 Helsinki (EEST), the first Tuesday of this year's summer time.
START = utc_at(spring_change(this_year()) + timedelta(days=2), 15, 0)
END = START + timedelta(minutes=90)
TIMING = SessionTiming(START, END, lobby_minutes=15, warn_minutes=5, grace_minutes=10)
SECOND = timedelta(seconds=1)


def due(
    state: SessionState,
    now: datetime,
    *,
    guided: bool,
    present: bool = False,
    alerted: bool = False,
    timing: SessionTiming = TIMING,
) -> list[SessionEvent]:
    return due_transitions(
        timing, state, now, guided=guided, facilitator_present=present, alerted=alerted
    )


def test_timing_instants() -> None:
    assert TIMING.lobby_opens_at == START.replace(hour=14, minute=45)
    assert TIMING.warn_at == START.replace(hour=16, minute=25)
    assert TIMING.auto_close_at == START.replace(hour=16, minute=40)


@pytest.mark.parametrize("guided", [True, False])
def test_lobby_opens_exactly_at_its_instant(guided: bool) -> None:
    assert due(S.SCHEDULED, TIMING.lobby_opens_at - SECOND, guided=guided) == []
    assert due(S.SCHEDULED, TIMING.lobby_opens_at, guided=guided) == [E.OPEN_LOBBY]
    assert due(S.LOBBY, TIMING.lobby_opens_at, guided=guided) == []


def test_unguided_goes_live_at_start() -> None:
    assert due(S.LOBBY, START - SECOND, guided=False) == []
    assert due(S.LOBBY, START, guided=False) == [E.START_BY_SCHEDULE]
    assert due(S.LIVE, START, guided=False) == []


def test_unguided_with_no_lobby_goes_live_straight_from_scheduled() -> None:
    timing = SessionTiming(START, END, lobby_minutes=0)
    assert due(S.SCHEDULED, START - SECOND, guided=False, timing=timing) == []
    assert due(S.SCHEDULED, START, guided=False, timing=timing) == [E.START_BY_SCHEDULE]


def test_guided_never_goes_live_by_the_clock() -> None:
    for now in (START, START + timedelta(minutes=60), TIMING.warn_at):
        assert E.START_BY_SCHEDULE not in due(S.LOBBY, now, guided=True, alerted=True)
        assert E.FACILITATOR_OPEN not in due(S.LOBBY, now, guided=True, present=True)
        assert E.WARN_ENDING not in due(S.LOBBY, now, guided=True, alerted=True)


def test_no_facilitator_alert_at_start_once() -> None:
    assert due(S.LOBBY, START - SECOND, guided=True) == []
    assert due(S.LOBBY, START, guided=True) == [E.NO_FACILITATOR]
    assert due(S.LOBBY, START + timedelta(minutes=30), guided=True) == [E.NO_FACILITATOR]
    # Once recorded as sent, never again.
    assert due(S.LOBBY, START, guided=True, alerted=True) == []
    assert due(S.LOBBY, START + timedelta(minutes=30), guided=True, alerted=True) == []


def test_no_alert_while_a_facilitator_is_present() -> None:
    assert due(S.LOBBY, START, guided=True, present=True) == []
    # The facilitator leaves without opening: the alert goes out then.
    assert due(S.LOBBY, START + timedelta(minutes=3), guided=True) == [E.NO_FACILITATOR]


def test_no_alert_once_opened() -> None:
    assert due(S.LIVE, START, guided=True) == []


def test_guided_lobby_of_zero_minutes_opens_and_alerts_together() -> None:
    timing = SessionTiming(START, END, lobby_minutes=0)
    assert due(S.SCHEDULED, START, guided=True, timing=timing) == [
        E.OPEN_LOBBY,
        E.NO_FACILITATOR,
    ]


@pytest.mark.parametrize("guided", [True, False])
def test_ending_warning_at_its_instant(guided: bool) -> None:
    assert due(S.LIVE, TIMING.warn_at - SECOND, guided=guided) == []
    assert due(S.LIVE, TIMING.warn_at, guided=guided) == [E.WARN_ENDING]
    assert due(S.ENDING, TIMING.warn_at, guided=guided) == []
    assert due(S.ENDING, END, guided=guided) == []


@pytest.mark.parametrize("guided", [True, False])
@pytest.mark.parametrize("state", [S.SCHEDULED, S.LOBBY, S.LIVE, S.ENDING])
def test_auto_close_at_end_plus_grace(guided: bool, state: SessionState) -> None:
    assert E.AUTO_CLOSE not in due(state, TIMING.auto_close_at - SECOND, guided=guided)
    assert due(state, TIMING.auto_close_at, guided=guided) == [E.AUTO_CLOSE]
    assert due(state, TIMING.auto_close_at + timedelta(days=3), guided=guided) == [E.AUTO_CLOSE]


@pytest.mark.parametrize("state", [S.CLOSED, S.CANCELLED])
def test_nothing_is_due_after_the_end(state: SessionState) -> None:
    for now in (TIMING.lobby_opens_at, START, TIMING.warn_at, TIMING.auto_close_at):
        assert due(state, now, guided=False) == []
        assert due(state, now, guided=True) == []


def test_late_timer_catches_up_in_one_legal_sequence() -> None:
    # Every process was down from before the lobby until after the warning.
    events = due(S.SCHEDULED, TIMING.warn_at + SECOND, guided=False)
    assert events == [E.START_BY_SCHEDULE, E.WARN_ENDING]
    state = S.SCHEDULED
    for event in events:
        state = transition(state, event)
    assert state is S.ENDING


def test_every_due_list_applies_cleanly() -> None:
    instants = [
        TIMING.lobby_opens_at - SECOND,
        TIMING.lobby_opens_at,
        START,
        TIMING.warn_at,
        END,
        TIMING.auto_close_at,
    ]
    for state, now, guided, present, alerted in itertools.product(
        SessionState, instants, [True, False], [True, False], [True, False]
    ):
        for event in due(state, now, guided=guided, present=present, alerted=alerted):
            state = transition(state, event)


def test_extension_moves_the_end_and_rearms_the_warning() -> None:
    assert due(S.LIVE, TIMING.warn_at, guided=True) == [E.WARN_ENDING]
    state = transition(S.LIVE, E.WARN_ENDING)
    longer = TIMING.extended(15)
    state = transition(state, E.EXTEND)
    assert state is S.LIVE
    assert longer.end == END + timedelta(minutes=15)
    assert longer.start == START
    assert due(S.LIVE, TIMING.warn_at, guided=True, timing=longer) == []
    # The old close time is now the new warning time, not a close.
    assert due(S.LIVE, TIMING.auto_close_at, guided=True, timing=longer) == [E.WARN_ENDING]
    assert due(S.LIVE, longer.warn_at, guided=True, timing=longer) == [E.WARN_ENDING]
    assert due(S.ENDING, longer.auto_close_at, guided=True, timing=longer) == [E.AUTO_CLOSE]


def test_warning_longer_than_the_session_goes_out_at_the_start() -> None:
    timing = SessionTiming(START, START + timedelta(minutes=3), warn_minutes=10)
    assert timing.warn_at == START


@pytest.mark.parametrize("minutes", [0, -5, True])
def test_bad_extension(minutes: int) -> None:
    with pytest.raises(ValueError, match="positive number of minutes"):
        TIMING.extended(minutes)


def test_timing_validation() -> None:
    with pytest.raises(ValueError, match="must be after its start"):
        SessionTiming(START, START)
    with pytest.raises(ValueError, match="must be after its start"):
        SessionTiming(END, START)
    with pytest.raises(ValueError, match="start must be a timezone-aware UTC"):
        SessionTiming(START.replace(tzinfo=None), END)
    with pytest.raises(ValueError, match="end must be a timezone-aware UTC"):
        SessionTiming(START, END.astimezone(timezone(timedelta(hours=3))))
    with pytest.raises(ValueError, match="lobby_minutes"):
        SessionTiming(START, END, lobby_minutes=-1)
    with pytest.raises(ValueError, match="warn_minutes"):
        SessionTiming(START, END, warn_minutes=True)
    with pytest.raises(ValueError, match="grace_minutes"):
        SessionTiming(START, END, grace_minutes=1.5)  # type: ignore[arg-type]


def test_now_must_be_utc() -> None:
    with pytest.raises(ValueError, match="now must be a timezone-aware UTC"):
        due(S.SCHEDULED, START.replace(tzinfo=None), guided=False)
