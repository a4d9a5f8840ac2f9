"""Schedule arithmetic in the room's time zone (DST included) and the iCalendar export.

Every date is computed from the current year (tests/calendar_dates.py): the clock changes on
the last Sundays of March and October, and the turn of the year, whichever year this runs in.
The functions under test take `now` and windows as arguments, so nothing here reads the clock
except to pick the year.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from chatserver.domain.schedules import (
    CalendarEvent,
    Cancellation,
    Frequency,
    Move,
    Occurrence,
    Schedule,
    ScheduleException,
    check_exceptions,
    escape_text,
    fold,
    next_occurrence,
    occurrences,
    to_ics,
)
from tests.calendar_dates import (
    MONDAY,
    SUNDAY,
    THURSDAY,
    TUESDAY,
    WEDNESDAY,
    autumn_change,
    on_or_after,
    spring_change,
    this_year,
    utc_at,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = timedelta(weeks=1)
YEAR = this_year()
SPRING = spring_change(YEAR)  # a Sunday: 03:00 EET becomes 04:00 EEST
AUTUMN = autumn_change(YEAR)  # a Sunday: 04:00 EEST becomes 03:00 EET
# The first Tuesday in summer time: 18:00 Helsinki is 15:00 UTC.
TUE = SPRING + timedelta(days=2)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A naive wall-clock time, as a Move or a one-off session takes it."""
    return datetime.combine(day, time(hour, minute))


def keys(days: Sequence[date]) -> list[str]:
    return [d.isoformat() for d in days]


def offset(occ: Occurrence) -> timedelta | None:
    return occ.start_local.utcoffset()


def in_window(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    exceptions: Sequence[ScheduleException] = (),
) -> list[Occurrence]:
    return occurrences(schedule, list(exceptions), start, end)


def changes(year: int) -> list[tuple[date, date, int, int]]:
    """The Tuesdays on either side of each of the year's clock changes, with their offsets."""
    spring, autumn = spring_change(year), autumn_change(year)
    return [
        (spring - timedelta(days=5), spring + timedelta(days=2), 2, 3),
        (autumn - timedelta(days=5), autumn + timedelta(days=2), 3, 2),
    ]


def test_the_computed_change_days_are_sundays_at_the_end_of_the_month() -> None:
    for year in (YEAR, YEAR + 1):
        for change, month in ((spring_change(year), 3), (autumn_change(year), 10)):
            assert change.weekday() == SUNDAY and change.month == month
            assert (change + WEEK).month != month
        # The change really happens on that Sunday in the room's zone.
        assert Schedule.daily(time(12), 60, date(year, 1, 1)).zone.utcoffset(
            datetime.combine(spring_change(year), time(12))
        ) == timedelta(hours=3)
        assert Schedule.daily(time(12), 60, date(year, 1, 1)).zone.utcoffset(
            datetime.combine(spring_change(year) - DAY, time(12))
        ) == timedelta(hours=2)


# --- weekly 18:00 across the changes ------------------------------------------------------

TUESDAYS_18 = Schedule.weekly([TUESDAY], time(18, 0), 90, on_or_after(date(YEAR, 1, 1), TUESDAY))


@pytest.mark.parametrize(
    ("before", "after", "offset_before", "offset_after"),
    changes(YEAR) + changes(YEAR + 1),
)
def test_weekly_session_stays_at_18_local_across_dst(
    before: date, after: date, offset_before: int, offset_after: int
) -> None:
    schedule = Schedule.weekly([TUESDAY], time(18, 0), 90, date(before.year, 1, 1))
    found = in_window(
        schedule,
        datetime.combine(before, time(0), UTC),
        datetime.combine(after, time(23), UTC),
    )
    assert [o.local_date for o in found] == [before, after]
    for occ, hours in zip(found, (offset_before, offset_after), strict=True):
        assert occ.start_local.time() == time(18, 0)
        assert occ.end_local.time() == time(19, 30)
        assert offset(occ) == timedelta(hours=hours)
        assert occ.start_utc == datetime.combine(occ.local_date, time(18 - hours), UTC)
        assert occ.duration == timedelta(minutes=90)
        assert occ.key == occ.local_date.isoformat()


def test_weekly_on_several_weekdays() -> None:
    # Thursdays and Mondays from the Wednesday before the spring change.
    schedule = Schedule.weekly([THURSDAY, MONDAY], time(17, 30), 60, SPRING - timedelta(days=4))
    assert schedule.weekdays == (MONDAY, THURSDAY)
    found = in_window(schedule, utc_at(SPRING - timedelta(days=6)), utc_at(SPRING + 9 * DAY))
    expected = [SPRING - 3 * DAY, SPRING + DAY, SPRING + 4 * DAY, SPRING + 8 * DAY]
    assert [o.key for o in found] == keys(expected)
    assert [o.start_utc.hour for o in found] == [15, 14, 14, 14]


def test_weekly_defaults_to_the_start_dates_weekday() -> None:
    schedule = Schedule(Frequency.WEEKLY, TUE, time(18), 90)
    assert schedule.weekdays == (TUESDAY,)


# --- a session that spans the change at night ---------------------------------------------


@pytest.mark.parametrize("day", [SPRING - DAY, AUTUMN - DAY])
def test_daily_2330_for_two_hours_lasts_two_hours_on_the_change_night(day: date) -> None:
    # Helsinki changes at 03:00/04:00 local, so 23:30-01:30 stays clear of it: still 2 h.
    schedule = Schedule.daily(time(23, 30), 120, date(YEAR, 1, 1))
    (occ,) = [
        o for o in in_window(schedule, utc(YEAR, 1, 1), utc(YEAR, 12, 1)) if o.local_date == day
    ]
    assert occ.end_utc - occ.start_utc == timedelta(hours=2)
    assert occ.start_local.time() == time(23, 30)
    assert occ.end_local.time() == time(1, 30)


def test_night_session_across_spring_forward_keeps_its_elapsed_duration() -> None:
    # 02:00 EET + 2 h: the clocks jump 03:00 → 04:00 on the way, so it ends 05:00 EEST.
    schedule = Schedule.daily(time(2, 0), 120, SPRING - DAY, count=3)
    found = in_window(schedule, utc_at(SPRING - 2 * DAY), utc_at(SPRING + 3 * DAY))
    assert [o.key for o in found] == keys([SPRING - DAY, SPRING, SPRING + DAY])
    night = found[1]
    assert night.start_utc == utc_at(SPRING, 0, 0)
    assert night.end_utc == utc_at(SPRING, 2, 0)
    assert night.start_local.time() == time(2, 0)
    assert night.end_local.time() == time(5, 0)
    assert night.end_local.utcoffset() == timedelta(hours=3)
    assert all(o.duration == timedelta(hours=2) for o in found)


def test_night_session_across_fall_back_keeps_its_elapsed_duration() -> None:
    # 02:00 EEST + 2 h: at 04:00 EEST the clocks go back to 03:00 EET, so it ends 03:00 EET.
    schedule = Schedule.daily(time(2, 0), 120, AUTUMN - DAY, until=AUTUMN + DAY)
    found = in_window(schedule, utc_at(AUTUMN - 2 * DAY), utc_at(AUTUMN + 3 * DAY))
    night = found[1]
    assert night.key == AUTUMN.isoformat()
    assert night.start_utc == utc_at(AUTUMN - DAY, 23, 0)
    assert night.end_utc == utc_at(AUTUMN, 1, 0)
    assert night.end_local.time() == time(3, 0)
    assert night.end_local.utcoffset() == timedelta(hours=2)
    assert all(o.duration == timedelta(hours=2) for o in found)


# --- the turn of the year ------------------------------------------------------------------


def test_weekly_series_runs_across_new_year_and_counts_on() -> None:
    new_years_eve = date(YEAR, 12, 31)
    schedule = Schedule.weekly(
        [new_years_eve.weekday()], time(18), 90, new_years_eve - 2 * WEEK, count=4
    )
    found = in_window(schedule, utc(YEAR, 12, 1), utc(YEAR + 1, 2, 1))
    expected = [new_years_eve - 2 * WEEK, new_years_eve - WEEK, new_years_eve, new_years_eve + WEEK]
    assert [o.key for o in found] == keys(expected)
    assert found[-1].local_date.year == YEAR + 1
    # Winter time on both sides: 18:00 EET is 16:00 UTC.
    assert {o.start_utc.time() for o in found} == {time(16, 0)}
    last = found[-1].start_utc
    assert next_occurrence(schedule, [], last + timedelta(seconds=1)) is None


def test_a_night_session_on_new_years_eve_ends_next_year() -> None:
    schedule = Schedule.daily(time(23, 30), 120, date(YEAR, 12, 30), count=3)
    found = in_window(schedule, utc(YEAR, 12, 29), utc(YEAR + 1, 1, 5))
    assert [o.key for o in found] == [f"{YEAR}-12-30", f"{YEAR}-12-31", f"{YEAR + 1}-01-01"]
    eve = found[1]
    assert eve.start_utc == utc(YEAR, 12, 31, 21, 30)
    assert eve.end_utc == utc(YEAR, 12, 31, 23, 30)  # 01:30 EET is still the old year in UTC
    assert eve.end_local.date() == date(YEAR + 1, 1, 1)
    assert eve.end_local.time() == time(1, 30)
    nxt = next_occurrence(schedule, [], utc(YEAR, 12, 31, 21, 30, 1))
    assert nxt is not None and nxt.key == f"{YEAR + 1}-01-01"


def test_a_move_into_the_new_year_and_the_calendar_across_it() -> None:
    first = on_or_after(date(YEAR, 12, 20), TUESDAY)
    schedule = Schedule.weekly([TUESDAY], time(18), 60, first, count=3)
    move = [Move(first + WEEK, local(date(YEAR + 1, 1, 2), 12))]
    found = in_window(schedule, utc(YEAR, 12, 1), utc(YEAR + 1, 2, 1), move)
    assert [(o.key, o.moved) for o in found] == [
        (first.isoformat(), False),
        ((first + WEEK).isoformat(), True),
        ((first + 2 * WEEK).isoformat(), False),
    ]
    assert found[1].start_utc == utc(YEAR + 1, 1, 2, 10, 0)
    events = [CalendarEvent.for_occurrence(o, uid=f"r-{o.key}@x", summary="S") for o in found]
    text = to_ics(events, "C", dtstamp=utc(YEAR, 12, 1))
    starts = [line.split(":", 1)[1] for line in unfold(text) if line.startswith("DTSTART")]
    assert starts[1] == f"{YEAR + 1}0102T100000Z"


# --- non-existent and ambiguous local times ------------------------------------------------


@pytest.mark.parametrize("year", [YEAR, YEAR + 1])
def test_nonexistent_time_moves_forward_by_the_gap(year: int) -> None:
    gap_day = spring_change(year)
    schedule = Schedule.daily(time(3, 30), 60, gap_day - timedelta(days=1), count=3)
    before, gap, after = in_window(schedule, utc(year, 3, 1), utc(year, 4, 30))
    assert before.start_local.time() == time(3, 30)
    assert before.start_utc.time() == time(1, 30)
    # 03:30 does not exist on the night: read with the winter offset, it is 04:30 EEST.
    assert gap.local_date == gap_day
    assert gap.start_utc == datetime.combine(gap_day, time(1, 30), UTC)
    assert gap.start_local.time() == time(4, 30)
    assert after.start_local.time() == time(3, 30)
    assert after.start_utc.time() == time(0, 30)


@pytest.mark.parametrize("year", [YEAR, YEAR + 1])
def test_ambiguous_time_means_the_first_of_the_two(year: int) -> None:
    fold_day = autumn_change(year)
    schedule = Schedule.daily(time(3, 30), 60, fold_day - timedelta(days=1), count=3)
    before, ambiguous, after = in_window(schedule, utc(year, 10, 1), utc(year, 11, 30))
    assert before.start_utc.time() == time(0, 30)
    # 03:30 happens twice; the first is still summer time (+03:00).
    assert ambiguous.start_utc == datetime.combine(fold_day, time(0, 30), UTC)
    assert ambiguous.start_local.time() == time(3, 30)
    assert ambiguous.start_local.utcoffset() == timedelta(hours=3)
    assert after.start_utc.time() == time(1, 30)


def test_one_off_in_the_gap_is_deterministic() -> None:
    schedule = Schedule.one_off(local(SPRING, 3, 30), 45)
    (occ,) = in_window(schedule, utc(YEAR, 1, 1), utc(YEAR + 1, 1, 1))
    assert occ.start_utc == utc_at(SPRING, 1, 30)
    assert occ.key == SPRING.isoformat()


# --- end date, count, one-off, other zones -------------------------------------------------

FIRST = TUE - 4 * WEEK  # a Tuesday in March, in winter time


def test_until_is_an_inclusive_local_date() -> None:
    schedule = Schedule.weekly([TUESDAY], time(18), 90, FIRST, until=FIRST + 3 * WEEK)
    found = in_window(schedule, utc(YEAR, 1, 1), utc(YEAR + 1, 1, 1))
    assert [o.key for o in found] == keys([FIRST + w * WEEK for w in range(4)])


def test_count_limits_the_series_and_cancelled_ones_count() -> None:
    schedule = Schedule.weekly([TUESDAY], time(18), 90, FIRST, count=3)
    found = in_window(
        schedule, utc(YEAR, 1, 1), utc(YEAR + 1, 1, 1), [Cancellation(FIRST + WEEK)]
    )
    assert [(o.key, o.cancelled) for o in found] == [
        (FIRST.isoformat(), False),
        ((FIRST + WEEK).isoformat(), True),
        ((FIRST + 2 * WEEK).isoformat(), False),
    ]
    assert next_occurrence(schedule, [], utc_at(FIRST + 2 * WEEK, 16, 0, 1)) is None


def test_one_off_session() -> None:
    schedule = Schedule.one_off(datetime(YEAR, 6, 10, 17, 0), 60)
    assert schedule.frequency is Frequency.ONCE
    (occ,) = in_window(schedule, utc(YEAR, 1, 1), utc(YEAR + 1, 1, 1))
    assert occ.start_utc == utc(YEAR, 6, 10, 14, 0)
    assert next_occurrence(schedule, [], utc(YEAR, 6, 10, 14, 0)) == occ
    assert next_occurrence(schedule, [], utc(YEAR, 6, 10, 14, 0, 1)) is None


def test_other_time_zone() -> None:
    schedule = Schedule.weekly(
        [TUESDAY], time(18), 60, date(YEAR, 3, 1), time_zone="Europe/Stockholm"
    )
    found = in_window(schedule, utc_at(TUE - WEEK), utc_at(TUE + DAY))
    assert [o.start_utc for o in found] == [utc_at(TUE - WEEK, 17), utc_at(TUE, 16)]


def test_schedule_starts_not_before_its_start_date() -> None:
    schedule = Schedule.weekly([TUESDAY], time(18), 90, TUE - 6 * DAY)  # a Wednesday
    assert (TUE - 6 * DAY).weekday() == WEDNESDAY
    found = in_window(schedule, utc_at(TUE - 4 * WEEK), utc_at(TUE + DAY))
    assert found[0].key == TUE.isoformat()


# --- windows -------------------------------------------------------------------------------


def test_window_takes_sessions_that_overlap_it() -> None:
    start, end = utc_at(TUE, 15), utc_at(TUE, 16, 30)
    assert in_window(TUESDAYS_18, start, start)[0].start_utc == start
    assert in_window(TUESDAYS_18, end - timedelta(seconds=1), end)[0].start_utc == start
    assert in_window(TUESDAYS_18, end, end + HOUR) == []  # the end is exclusive
    assert in_window(TUESDAYS_18, start - HOUR, start) == []  # so is the window's
    assert [o.key for o in in_window(TUESDAYS_18, start + HOUR, start + HOUR)] == keys([TUE])


def test_window_validation() -> None:
    with pytest.raises(ValueError, match=r"window end .* is before its start"):
        in_window(TUESDAYS_18, utc(YEAR, 4, 1), utc(YEAR, 3, 1))
    with pytest.raises(ValueError, match="window_start_utc must be a timezone-aware"):
        in_window(TUESDAYS_18, datetime(YEAR, 3, 1), utc(YEAR, 4, 1))


def test_window_may_be_given_in_any_zone() -> None:
    helsinki = timezone(timedelta(hours=3))
    found = in_window(
        TUESDAYS_18, datetime.combine(TUE, time(18), helsinki), utc_at(TUE, 15, 1)
    )
    assert [o.key for o in found] == keys([TUE])


# --- exceptions ----------------------------------------------------------------------------


def test_cancelled_date_is_listed_as_cancelled_and_skipped_by_next() -> None:
    cancel = [Cancellation(TUE)]
    found = in_window(TUESDAYS_18, utc_at(TUE - DAY), utc_at(TUE + 8 * DAY), cancel)
    assert [(o.key, o.cancelled, o.moved) for o in found] == [
        (TUE.isoformat(), True, False),
        ((TUE + WEEK).isoformat(), False, False),
    ]
    nxt = next_occurrence(TUESDAYS_18, cancel, utc_at(TUE - DAY))
    assert nxt is not None and nxt.key == (TUE + WEEK).isoformat()


def test_moved_date_keeps_its_key_and_takes_its_new_time() -> None:
    move = [Move(TUE, local(TUE + 2 * DAY, 17), duration_minutes=60)]
    found = in_window(TUESDAYS_18, utc_at(TUE - DAY), utc_at(TUE + 8 * DAY), move)
    assert [(o.key, o.moved) for o in found] == [
        (TUE.isoformat(), True),
        ((TUE + WEEK).isoformat(), False),
    ]
    moved = found[0]
    assert moved.local_date == TUE
    assert moved.start_utc == utc_at(TUE + 2 * DAY, 14, 0)
    assert moved.duration == HOUR
    # Nothing left on the original date and time.
    assert in_window(TUESDAYS_18, utc_at(TUE, 15), utc_at(TUE, 16), move) == []


def test_move_keeps_the_schedules_duration_by_default() -> None:
    move = [Move(TUE, local(TUE, 19))]
    (occ,) = in_window(TUESDAYS_18, utc_at(TUE), utc_at(TUE + DAY), move)
    assert occ.duration == timedelta(minutes=90)
    assert occ.start_local.time() == time(19, 0)


def test_session_moved_from_far_away_shows_in_the_window() -> None:
    september = on_or_after(date(YEAR, 9, 1), TUESDAY)
    move = [Move(september, local(TUE + DAY, 12))]
    found = in_window(TUESDAYS_18, utc_at(TUE + DAY), utc_at(TUE + 2 * DAY), move)
    assert [(o.key, o.moved) for o in found] == [(september.isoformat(), True)]


def test_session_moved_across_the_dst_change_uses_the_new_dates_offset() -> None:
    # The Tuesday before the change (winter) moved to the Monday after it (summer).
    move = [Move(TUE - WEEK, local(SPRING + DAY, 18))]
    (occ,) = in_window(TUESDAYS_18, utc_at(TUE - WEEK), utc_at(TUE), move)
    assert occ.start_utc == utc_at(SPRING + DAY, 15, 0)


def test_next_occurrence_prefers_a_move_that_comes_earlier() -> None:
    move = [Move(TUE + 2 * WEEK, local(TUE + DAY, 12))]
    nxt = next_occurrence(TUESDAYS_18, move, utc_at(TUE, 16))
    assert nxt is not None
    assert (nxt.key, nxt.start_utc) == ((TUE + 2 * WEEK).isoformat(), utc_at(TUE + DAY, 9, 0))
    # A move to later is not taken before the dates in between.
    later = [Move(TUE + WEEK, local(TUE + 30 * DAY, 12))]
    nxt = next_occurrence(TUESDAYS_18, later, utc_at(TUE, 16))
    assert nxt is not None and nxt.key == (TUE + 2 * WEEK).isoformat()


def test_next_occurrence_boundaries() -> None:
    start = utc_at(TUE, 15)
    at = next_occurrence(TUESDAYS_18, [], start)
    assert at is not None and at.start_utc == start
    after = next_occurrence(TUESDAYS_18, [], start + timedelta(seconds=1))
    assert after is not None and after.key == (TUE + WEEK).isoformat()
    first = next_occurrence(TUESDAYS_18, [], utc(YEAR - 10, 1, 1))
    assert first is not None and first.key == on_or_after(date(YEAR, 1, 1), TUESDAY).isoformat()
    with pytest.raises(ValueError, match="now must be a timezone-aware"):
        next_occurrence(TUESDAYS_18, [], datetime.combine(TUE, time(0)))


def test_next_occurrence_skips_a_run_of_cancellations() -> None:
    cancels = [Cancellation(TUE + w * WEEK) for w in range(10)]
    nxt = next_occurrence(TUESDAYS_18, cancels, utc_at(TUE - DAY))
    assert nxt is not None and nxt.key == (TUE + 10 * WEEK).isoformat()


def test_stale_exceptions_are_ignored_but_refused_by_the_check() -> None:
    wednesday: list[ScheduleException] = [
        Cancellation(TUE + DAY),
        Move(TUE + 8 * DAY, local(TUE + 9 * DAY, 18)),
    ]
    found = in_window(TUESDAYS_18, utc_at(TUE - DAY), utc_at(TUE + 15 * DAY), wednesday)
    assert [(o.key, o.cancelled, o.moved) for o in found] == [
        (TUE.isoformat(), False, False),
        ((TUE + WEEK).isoformat(), False, False),
        ((TUE + 2 * WEEK).isoformat(), False, False),
    ]
    with pytest.raises(ValueError, match=f"no session on {TUE + DAY}"):
        check_exceptions(TUESDAYS_18, wednesday)
    check_exceptions(TUESDAYS_18, [Cancellation(TUE)])


def test_two_exceptions_for_one_date_are_refused() -> None:
    twice: list[ScheduleException] = [
        Cancellation(TUE),
        Move(TUE, local(TUE + DAY, 18)),
    ]
    with pytest.raises(ValueError, match=f"more than one exception for {TUE}"):
        in_window(TUESDAYS_18, utc(YEAR, 3, 1), utc(YEAR, 5, 1), twice)
    with pytest.raises(ValueError, match="more than one exception"):
        check_exceptions(TUESDAYS_18, twice)


def test_move_validation() -> None:
    with pytest.raises(ValueError, match="new_start is a local wall-clock time"):
        Move(TUE, utc_at(TUE + DAY, 12))
    with pytest.raises(ValueError, match="duration must be between 1 and 1440"):
        Move(TUE, local(TUE + DAY, 12), duration_minutes=0)


# --- schedule validation -------------------------------------------------------------------

JAN_1 = date(YEAR, 1, 1)
MAR_1 = date(YEAR, 3, 1)


@pytest.mark.parametrize("name", ["Europe/Helsinki", "UTC", "America/New_York"])
def test_valid_time_zones(name: str) -> None:
    assert Schedule.daily(time(18), 60, JAN_1, time_zone=name).zone.key == name


@pytest.mark.parametrize("name", ["Europe/Helsinkii", "EET+2", "", "../../etc/passwd", "/tmp/x"])
def test_invalid_time_zone(name: str) -> None:
    with pytest.raises(ValueError, match=r"unknown time zone .*use an IANA name"):
        Schedule.daily(time(18), 60, JAN_1, time_zone=name)


@pytest.mark.parametrize("minutes", [0, -30, 24 * 60 + 1])
def test_duration_out_of_range(minutes: int) -> None:
    with pytest.raises(ValueError, match="duration must be between 1 and 1440 minutes"):
        Schedule.daily(time(18), minutes, JAN_1)


def test_duration_must_be_whole_minutes() -> None:
    with pytest.raises(ValueError, match="whole number of minutes"):
        Schedule.daily(time(18), 1.5, JAN_1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole number of minutes"):
        Schedule.daily(time(18), True, JAN_1)


def test_end_before_start() -> None:
    day_before = MAR_1 - DAY
    with pytest.raises(ValueError, match=f"end date {day_before} is before start date {MAR_1}"):
        Schedule.daily(time(18), 60, MAR_1, until=day_before)
    # The same day is a series of one.
    one = Schedule.daily(time(18), 60, MAR_1, until=MAR_1)
    assert len(in_window(one, utc(YEAR, 1, 1), utc(YEAR + 1, 1, 1))) == 1


def test_other_schedule_validation() -> None:
    with pytest.raises(ValueError, match="count must be at least 1"):
        Schedule.daily(time(18), 60, MAR_1, count=0)
    with pytest.raises(ValueError, match="an end date or a count, not both"):
        Schedule.daily(time(18), 60, MAR_1, count=3, until=date(YEAR, 4, 1))
    with pytest.raises(ValueError, match=r"weekdays are 0 \(Monday\) to 6 \(Sunday\)"):
        Schedule.weekly([7], time(18), 60, MAR_1)
    with pytest.raises(ValueError, match="a daily schedule takes no weekdays"):
        Schedule(Frequency.DAILY, MAR_1, time(18), 60, weekdays=(1,))
    with pytest.raises(ValueError, match="one-off session takes no"):
        Schedule(Frequency.ONCE, MAR_1, time(18), 60, count=2)
    with pytest.raises(ValueError, match="start_time is a local wall-clock time"):
        Schedule.daily(time(18, tzinfo=UTC), 60, MAR_1)
    with pytest.raises(ValueError, match="start is a local wall-clock time"):
        Schedule.one_off(utc(YEAR, 3, 1, 18), 60)


def test_equal_schedules_compare_equal() -> None:
    a = Schedule.weekly([3, 1, 3], time(18), 60, MAR_1)
    b = Schedule.weekly((1, 3), time(18), 60, MAR_1)
    assert a == b and hash(a) == hash(b)


# --- iCalendar -----------------------------------------------------------------------------

STAMP = utc_at(TUE - 11 * DAY, 8, 0, 0)


def unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")  # no bare LF
    assert "\r" not in text.replace("\r\n", "")  # no bare CR
    for physical in text.split("\r\n")[:-1]:
        assert len(physical.encode("utf-8")) <= 75
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


def properties(lines: list[str]) -> list[tuple[str, str]]:
    return [(line.split(":", 1)[0], line.split(":", 1)[1]) for line in lines]


def test_ics_round_trip() -> None:
    schedule = TUESDAYS_18
    found = in_window(
        schedule, utc_at(TUE - WEEK), utc_at(TUE + 8 * DAY), [Cancellation(TUE + WEEK)]
    )
    events = [
        CalendarEvent.for_occurrence(
            o,
            uid=f"room-7-{o.key}@chat.example.fi",
            summary="Vertaistukiryhmä; omaiset, illat",
            description="Ohjaaja: Kaisa\nTervetuloa!\\ Välkommen",
        )
        for o in found
    ]
    text = to_ics(events, "Omaiset, tiistai", dtstamp=STAMP)
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    props = properties(lines)
    assert ("VERSION", "2.0") in props
    assert any(k == "PRODID" for k, _ in props)
    assert ("X-WR-CALNAME", "Omaiset\\, tiistai") in props
    vevents = text.count("BEGIN:VEVENT")
    assert vevents == text.count("END:VEVENT") == 3
    values = {k: [v for kk, v in props if kk == k] for k, _ in props}
    days = [TUE - WEEK, TUE, TUE + WEEK]
    compact = [d.strftime("%Y%m%d") for d in days]
    assert values["DTSTART"] == [f"{compact[0]}T160000Z", f"{compact[1]}T150000Z",
                                 f"{compact[2]}T150000Z"]
    assert values["DTEND"] == [f"{compact[0]}T173000Z", f"{compact[1]}T163000Z",
                               f"{compact[2]}T163000Z"]
    assert values["DTSTAMP"] == [STAMP.strftime("%Y%m%dT%H%M%SZ")] * 3
    assert values["UID"] == [f"room-7-{d}@chat.example.fi" for d in days]
    assert values["STATUS"] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    assert values["SUMMARY"][0] == "Vertaistukiryhmä\\; omaiset\\, illat"
    assert unescape(values["SUMMARY"][0]) == "Vertaistukiryhmä; omaiset, illat"
    assert unescape(values["DESCRIPTION"][0]) == "Ohjaaja: Kaisa\nTervetuloa!\\ Välkommen"


def test_ics_escaping() -> None:
    assert escape_text("a,b;c\\d\ne\r\nf\rg") == "a\\,b\\;c\\\\d\\ne\\nf\\ng"
    assert escape_text("tab\tok\x00\x07\x1b\x7fgone") == "tab\tokgone"
    # A line break in a name cannot inject a property.
    text = to_ics([], "x\r\nBEGIN:VEVENT", dtstamp=STAMP)
    assert "\r\nBEGIN:VEVENT" not in text
    assert "NAME:x\\nBEGIN:VEVENT" in unfold(text)


def test_ics_folding_at_75_octets_never_splits_a_character() -> None:
    ascii_line = "DESCRIPTION:" + "x" * 200
    folded = fold(ascii_line)
    parts = folded.split("\r\n")
    assert [len(p) for p in parts] == [75, 75, 64]
    assert all(p.startswith(" ") for p in parts[1:])
    assert folded.replace("\r\n ", "") == ascii_line

    nordic = "SUMMARY:" + "äö€" * 40  # 2, 2 and 3 octets
    folded = fold(nordic)
    for part in folded.split("\r\n"):
        assert len(part.encode("utf-8")) <= 75
    assert folded.replace("\r\n ", "") == nordic
    assert fold("SHORT:x") == "SHORT:x"
    assert fold("X" * 75) == "X" * 75
    assert fold("X" * 76) == "X" * 75 + "\r\n X"


def test_ics_long_event_text_is_folded_and_round_trips() -> None:
    long = "Pitkä kuvaus, jossa on pilkkuja; puolipisteitä ja ääkkösiä. " * 6
    event = CalendarEvent("u1@x", utc_at(TUE, 15), utc_at(TUE, 16), "S", long)
    lines = unfold(to_ics([event], "C", dtstamp=STAMP))
    (description,) = [v for k, v in properties(lines) if k == "DESCRIPTION"]
    assert unescape(description) == long


def test_ics_empty_calendar_and_validation() -> None:
    assert unfold(to_ics([], "C", dtstamp=STAMP))[-1] == "END:VCALENDAR"
    with pytest.raises(ValueError, match="dtstamp must be a timezone-aware"):
        to_ics([], "C", dtstamp=STAMP.replace(tzinfo=None))
    backwards = CalendarEvent("u@x", utc_at(TUE, 16), utc_at(TUE, 15), "S")
    with pytest.raises(ValueError, match="ends before it starts"):
        to_ics([backwards], "C", dtstamp=STAMP)
    naive = CalendarEvent("u@x", local(TUE, 15), local(TUE, 16), "S")
    with pytest.raises(ValueError, match="start_utc must be a timezone-aware"):
        to_ics([naive], "C", dtstamp=STAMP)
