"""Schedule arithmetic in the room's time zone (DST included) and the iCalendar export."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from chatserver.schedules import (
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

TUESDAY = 1
HOUR = timedelta(hours=1)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def offset(occ: Occurrence) -> timedelta | None:
    return occ.start_local.utcoffset()


def in_window(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    exceptions: Sequence[ScheduleException] = (),
) -> list[Occurrence]:
    return occurrences(schedule, list(exceptions), start, end)


# --- weekly 18:00 across the changes ------------------------------------------------------

TUESDAYS_18 = Schedule.weekly([TUESDAY], time(18, 0), 90, date(2026, 1, 6))


@pytest.mark.parametrize(
    ("before", "after", "offset_before", "offset_after"),
    [
        # 2026: summer time from Sunday 29 March, winter time from Sunday 25 October.
        (date(2026, 3, 24), date(2026, 3, 31), 2, 3),
        (date(2026, 10, 20), date(2026, 10, 27), 3, 2),
        # 2027: Sunday 28 March and Sunday 31 October.
        (date(2027, 3, 23), date(2027, 3, 30), 2, 3),
        (date(2027, 10, 26), date(2027, 11, 2), 3, 2),
    ],
)
def test_weekly_session_stays_at_18_local_across_dst(
    before: date, after: date, offset_before: int, offset_after: int
) -> None:
    found = in_window(
        TUESDAYS_18,
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
    schedule = Schedule.weekly([3, 0], time(17, 30), 60, date(2026, 3, 25))  # Thu and Mon
    assert schedule.weekdays == (0, 3)
    found = in_window(schedule, utc(2026, 3, 23), utc(2026, 4, 7))
    assert [o.key for o in found] == ["2026-03-26", "2026-03-30", "2026-04-02", "2026-04-06"]
    assert [o.start_utc.hour for o in found] == [15, 14, 14, 14]


def test_weekly_defaults_to_the_start_dates_weekday() -> None:
    schedule = Schedule(Frequency.WEEKLY, date(2026, 3, 31), time(18), 90)
    assert schedule.weekdays == (TUESDAY,)


# --- a session that spans the change at night ---------------------------------------------


@pytest.mark.parametrize("day", [date(2026, 3, 28), date(2026, 10, 24)])
def test_daily_2330_for_two_hours_lasts_two_hours_on_the_change_night(day: date) -> None:
    # Helsinki changes at 03:00/04:00 local, so 23:30-01:30 stays clear of it: still 2 h.
    schedule = Schedule.daily(time(23, 30), 120, date(2026, 1, 1))
    (occ,) = [
        o for o in in_window(schedule, utc(2026, 1, 1), utc(2026, 12, 1)) if o.local_date == day
    ]
    assert occ.end_utc - occ.start_utc == timedelta(hours=2)
    assert occ.start_local.time() == time(23, 30)
    assert occ.end_local.time() == time(1, 30)


def test_night_session_across_spring_forward_keeps_its_elapsed_duration() -> None:
    # 02:00 EET + 2 h: the clocks jump 03:00 → 04:00 on the way, so it ends 05:00 EEST.
    schedule = Schedule.daily(time(2, 0), 120, date(2026, 3, 28), count=3)
    found = in_window(schedule, utc(2026, 3, 27), utc(2026, 4, 1))
    assert [o.key for o in found] == ["2026-03-28", "2026-03-29", "2026-03-30"]
    night = found[1]
    assert night.start_utc == utc(2026, 3, 29, 0, 0)
    assert night.end_utc == utc(2026, 3, 29, 2, 0)
    assert night.start_local.time() == time(2, 0)
    assert night.end_local.time() == time(5, 0)
    assert night.end_local.utcoffset() == timedelta(hours=3)
    assert all(o.duration == timedelta(hours=2) for o in found)


def test_night_session_across_fall_back_keeps_its_elapsed_duration() -> None:
    # 02:00 EEST + 2 h: at 04:00 EEST the clocks go back to 03:00 EET, so it ends 03:00 EET.
    schedule = Schedule.daily(time(2, 0), 120, date(2026, 10, 24), until=date(2026, 10, 26))
    found = in_window(schedule, utc(2026, 10, 23), utc(2026, 10, 28))
    night = found[1]
    assert night.key == "2026-10-25"
    assert night.start_utc == utc(2026, 10, 24, 23, 0)
    assert night.end_utc == utc(2026, 10, 25, 1, 0)
    assert night.end_local.time() == time(3, 0)
    assert night.end_local.utcoffset() == timedelta(hours=2)
    assert all(o.duration == timedelta(hours=2) for o in found)


# --- non-existent and ambiguous local times ------------------------------------------------


@pytest.mark.parametrize(
    ("year", "gap_day"),
    [(2026, date(2026, 3, 29)), (2027, date(2027, 3, 28))],
)
def test_nonexistent_time_moves_forward_by_the_gap(year: int, gap_day: date) -> None:
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


@pytest.mark.parametrize(
    ("year", "fold_day"),
    [(2026, date(2026, 10, 25)), (2027, date(2027, 10, 31))],
)
def test_ambiguous_time_means_the_first_of_the_two(year: int, fold_day: date) -> None:
    schedule = Schedule.daily(time(3, 30), 60, fold_day - timedelta(days=1), count=3)
    before, ambiguous, after = in_window(schedule, utc(year, 10, 1), utc(year, 11, 30))
    assert before.start_utc.time() == time(0, 30)
    # 03:30 happens twice; the first is still summer time (+03:00).
    assert ambiguous.start_utc == datetime.combine(fold_day, time(0, 30), UTC)
    assert ambiguous.start_local.time() == time(3, 30)
    assert ambiguous.start_local.utcoffset() == timedelta(hours=3)
    assert after.start_utc.time() == time(1, 30)


def test_one_off_in_the_gap_is_deterministic() -> None:
    schedule = Schedule.one_off(datetime(2026, 3, 29, 3, 30), 45)
    (occ,) = in_window(schedule, utc(2026, 1, 1), utc(2027, 1, 1))
    assert occ.start_utc == utc(2026, 3, 29, 1, 30)
    assert occ.key == "2026-03-29"


# --- end date, count, one-off, other zones -------------------------------------------------


def test_until_is_an_inclusive_local_date() -> None:
    schedule = Schedule.weekly([TUESDAY], time(18), 90, date(2026, 3, 3), until=date(2026, 3, 24))
    found = in_window(schedule, utc(2026, 1, 1), utc(2027, 1, 1))
    assert [o.key for o in found] == ["2026-03-03", "2026-03-10", "2026-03-17", "2026-03-24"]


def test_count_limits_the_series_and_cancelled_ones_count() -> None:
    schedule = Schedule.weekly([TUESDAY], time(18), 90, date(2026, 3, 3), count=3)
    found = in_window(schedule, utc(2026, 1, 1), utc(2027, 1, 1), [Cancellation(date(2026, 3, 10))])
    assert [(o.key, o.cancelled) for o in found] == [
        ("2026-03-03", False),
        ("2026-03-10", True),
        ("2026-03-17", False),
    ]
    assert next_occurrence(schedule, [], utc(2026, 3, 17, 16, 0, 1)) is None


def test_one_off_session() -> None:
    schedule = Schedule.one_off(datetime(2026, 6, 10, 17, 0), 60)
    assert schedule.frequency is Frequency.ONCE
    (occ,) = in_window(schedule, utc(2026, 1, 1), utc(2027, 1, 1))
    assert occ.start_utc == utc(2026, 6, 10, 14, 0)
    assert next_occurrence(schedule, [], utc(2026, 6, 10, 14, 0)) == occ
    assert next_occurrence(schedule, [], utc(2026, 6, 10, 14, 0, 1)) is None


def test_other_time_zone() -> None:
    schedule = Schedule.weekly(
        [TUESDAY], time(18), 60, date(2026, 3, 1), time_zone="Europe/Stockholm"
    )
    found = in_window(schedule, utc(2026, 3, 24), utc(2026, 4, 1))
    assert [o.start_utc for o in found] == [utc(2026, 3, 24, 17), utc(2026, 3, 31, 16)]


def test_schedule_starts_not_before_its_start_date() -> None:
    schedule = Schedule.weekly([TUESDAY], time(18), 90, date(2026, 3, 25))  # a Wednesday
    assert in_window(schedule, utc(2026, 3, 1), utc(2026, 4, 1))[0].key == "2026-03-31"


# --- windows -------------------------------------------------------------------------------


def test_window_takes_sessions_that_overlap_it() -> None:
    start, end = utc(2026, 3, 31, 15), utc(2026, 3, 31, 16, 30)
    assert in_window(TUESDAYS_18, start, start)[0].start_utc == start
    assert in_window(TUESDAYS_18, end - timedelta(seconds=1), end)[0].start_utc == start
    assert in_window(TUESDAYS_18, end, end + HOUR) == []  # the end is exclusive
    assert in_window(TUESDAYS_18, start - HOUR, start) == []  # so is the window's
    assert [o.key for o in in_window(TUESDAYS_18, start + HOUR, start + HOUR)] == ["2026-03-31"]


def test_window_validation() -> None:
    with pytest.raises(ValueError, match=r"window end .* is before its start"):
        in_window(TUESDAYS_18, utc(2026, 4, 1), utc(2026, 3, 1))
    with pytest.raises(ValueError, match="window_start_utc must be a timezone-aware"):
        in_window(TUESDAYS_18, datetime(2026, 3, 1), utc(2026, 4, 1))


def test_window_may_be_given_in_any_zone() -> None:
    helsinki = timezone(timedelta(hours=3))
    found = in_window(
        TUESDAYS_18, datetime(2026, 3, 31, 18, tzinfo=helsinki), utc(2026, 3, 31, 15, 1)
    )
    assert [o.key for o in found] == ["2026-03-31"]


# --- exceptions ----------------------------------------------------------------------------


def test_cancelled_date_is_listed_as_cancelled_and_skipped_by_next() -> None:
    cancel = [Cancellation(date(2026, 3, 31))]
    found = in_window(TUESDAYS_18, utc(2026, 3, 30), utc(2026, 4, 8), cancel)
    assert [(o.key, o.cancelled, o.moved) for o in found] == [
        ("2026-03-31", True, False),
        ("2026-04-07", False, False),
    ]
    nxt = next_occurrence(TUESDAYS_18, cancel, utc(2026, 3, 30))
    assert nxt is not None and nxt.key == "2026-04-07"


def test_moved_date_keeps_its_key_and_takes_its_new_time() -> None:
    move = [Move(date(2026, 3, 31), datetime(2026, 4, 2, 17, 0), duration_minutes=60)]
    found = in_window(TUESDAYS_18, utc(2026, 3, 30), utc(2026, 4, 8), move)
    assert [(o.key, o.moved) for o in found] == [("2026-03-31", True), ("2026-04-07", False)]
    moved = found[0]
    assert moved.local_date == date(2026, 3, 31)
    assert moved.start_utc == utc(2026, 4, 2, 14, 0)
    assert moved.duration == HOUR
    # Nothing left on the original date and time.
    assert in_window(TUESDAYS_18, utc(2026, 3, 31, 15), utc(2026, 3, 31, 16), move) == []


def test_move_keeps_the_schedules_duration_by_default() -> None:
    move = [Move(date(2026, 3, 31), datetime(2026, 3, 31, 19, 0))]
    (occ,) = in_window(TUESDAYS_18, utc(2026, 3, 31), utc(2026, 4, 1), move)
    assert occ.duration == timedelta(minutes=90)
    assert occ.start_local.time() == time(19, 0)


def test_session_moved_from_far_away_shows_in_the_window() -> None:
    move = [Move(date(2026, 9, 1), datetime(2026, 4, 1, 12, 0))]
    found = in_window(TUESDAYS_18, utc(2026, 4, 1), utc(2026, 4, 2), move)
    assert [(o.key, o.moved) for o in found] == [("2026-09-01", True)]


def test_session_moved_across_the_dst_change_uses_the_new_dates_offset() -> None:
    move = [Move(date(2026, 3, 24), datetime(2026, 3, 30, 18, 0))]
    (occ,) = in_window(TUESDAYS_18, utc(2026, 3, 24), utc(2026, 3, 31), move)
    assert occ.start_utc == utc(2026, 3, 30, 15, 0)


def test_next_occurrence_prefers_a_move_that_comes_earlier() -> None:
    move = [Move(date(2026, 4, 14), datetime(2026, 4, 1, 12, 0))]
    nxt = next_occurrence(TUESDAYS_18, move, utc(2026, 3, 31, 16))
    assert nxt is not None
    assert (nxt.key, nxt.start_utc) == ("2026-04-14", utc(2026, 4, 1, 9, 0))
    # A move to later is not taken before the dates in between.
    later = [Move(date(2026, 4, 7), datetime(2026, 5, 1, 12, 0))]
    nxt = next_occurrence(TUESDAYS_18, later, utc(2026, 3, 31, 16))
    assert nxt is not None and nxt.key == "2026-04-14"


def test_next_occurrence_boundaries() -> None:
    start = utc(2026, 3, 31, 15)
    at = next_occurrence(TUESDAYS_18, [], start)
    assert at is not None and at.start_utc == start
    after = next_occurrence(TUESDAYS_18, [], start + timedelta(seconds=1))
    assert after is not None and after.key == "2026-04-07"
    first = next_occurrence(TUESDAYS_18, [], utc(2000, 1, 1))
    assert first is not None and first.key == "2026-01-06"
    with pytest.raises(ValueError, match="now must be a timezone-aware"):
        next_occurrence(TUESDAYS_18, [], datetime(2026, 3, 31))


def test_next_occurrence_skips_a_run_of_cancellations() -> None:
    cancels = [Cancellation(date(2026, 3, 31) + timedelta(weeks=w)) for w in range(10)]
    nxt = next_occurrence(TUESDAYS_18, cancels, utc(2026, 3, 30))
    assert nxt is not None and nxt.key == "2026-06-09"


def test_stale_exceptions_are_ignored_but_refused_by_the_check() -> None:
    wednesday: list[ScheduleException] = [
        Cancellation(date(2026, 4, 1)),
        Move(date(2026, 4, 8), datetime(2026, 4, 9, 18)),
    ]
    found = in_window(TUESDAYS_18, utc(2026, 3, 30), utc(2026, 4, 15), wednesday)
    assert [(o.key, o.cancelled, o.moved) for o in found] == [
        ("2026-03-31", False, False),
        ("2026-04-07", False, False),
        ("2026-04-14", False, False),
    ]
    with pytest.raises(ValueError, match="no session on 2026-04-01"):
        check_exceptions(TUESDAYS_18, wednesday)
    check_exceptions(TUESDAYS_18, [Cancellation(date(2026, 3, 31))])


def test_two_exceptions_for_one_date_are_refused() -> None:
    twice: list[ScheduleException] = [
        Cancellation(date(2026, 3, 31)),
        Move(date(2026, 3, 31), datetime(2026, 4, 1, 18)),
    ]
    with pytest.raises(ValueError, match="more than one exception for 2026-03-31"):
        in_window(TUESDAYS_18, utc(2026, 3, 1), utc(2026, 5, 1), twice)
    with pytest.raises(ValueError, match="more than one exception"):
        check_exceptions(TUESDAYS_18, twice)


def test_move_validation() -> None:
    with pytest.raises(ValueError, match="new_start is a local wall-clock time"):
        Move(date(2026, 3, 31), utc(2026, 4, 1, 12))
    with pytest.raises(ValueError, match="duration must be between 1 and 1440"):
        Move(date(2026, 3, 31), datetime(2026, 4, 1, 12), duration_minutes=0)


# --- schedule validation -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Europe/Helsinki", "UTC", "America/New_York"])
def test_valid_time_zones(name: str) -> None:
    assert Schedule.daily(time(18), 60, date(2026, 1, 1), time_zone=name).zone.key == name


@pytest.mark.parametrize("name", ["Europe/Helsinkii", "EET+2", "", "../../etc/passwd", "/tmp/x"])
def test_invalid_time_zone(name: str) -> None:
    with pytest.raises(ValueError, match=r"unknown time zone .*use an IANA name"):
        Schedule.daily(time(18), 60, date(2026, 1, 1), time_zone=name)


@pytest.mark.parametrize("minutes", [0, -30, 24 * 60 + 1])
def test_duration_out_of_range(minutes: int) -> None:
    with pytest.raises(ValueError, match="duration must be between 1 and 1440 minutes"):
        Schedule.daily(time(18), minutes, date(2026, 1, 1))


def test_duration_must_be_whole_minutes() -> None:
    with pytest.raises(ValueError, match="whole number of minutes"):
        Schedule.daily(time(18), 1.5, date(2026, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole number of minutes"):
        Schedule.daily(time(18), True, date(2026, 1, 1))


def test_end_before_start() -> None:
    with pytest.raises(ValueError, match="end date 2026-02-28 is before start date 2026-03-01"):
        Schedule.daily(time(18), 60, date(2026, 3, 1), until=date(2026, 2, 28))
    # The same day is a series of one.
    one = Schedule.daily(time(18), 60, date(2026, 3, 1), until=date(2026, 3, 1))
    assert len(in_window(one, utc(2026, 1, 1), utc(2027, 1, 1))) == 1


def test_other_schedule_validation() -> None:
    with pytest.raises(ValueError, match="count must be at least 1"):
        Schedule.daily(time(18), 60, date(2026, 3, 1), count=0)
    with pytest.raises(ValueError, match="an end date or a count, not both"):
        Schedule.daily(time(18), 60, date(2026, 3, 1), count=3, until=date(2026, 4, 1))
    with pytest.raises(ValueError, match=r"weekdays are 0 \(Monday\) to 6 \(Sunday\)"):
        Schedule.weekly([7], time(18), 60, date(2026, 3, 1))
    with pytest.raises(ValueError, match="a daily schedule takes no weekdays"):
        Schedule(Frequency.DAILY, date(2026, 3, 1), time(18), 60, weekdays=(1,))
    with pytest.raises(ValueError, match="one-off session takes no"):
        Schedule(Frequency.ONCE, date(2026, 3, 1), time(18), 60, count=2)
    with pytest.raises(ValueError, match="start_time is a local wall-clock time"):
        Schedule.daily(time(18, tzinfo=UTC), 60, date(2026, 3, 1))
    with pytest.raises(ValueError, match="start is a local wall-clock time"):
        Schedule.one_off(utc(2026, 3, 1, 18), 60)


def test_equal_schedules_compare_equal() -> None:
    a = Schedule.weekly([3, 1, 3], time(18), 60, date(2026, 3, 1))
    b = Schedule.weekly((1, 3), time(18), 60, date(2026, 3, 1))
    assert a == b and hash(a) == hash(b)


# --- iCalendar -----------------------------------------------------------------------------

STAMP = utc(2026, 3, 20, 8, 0, 0)


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
    found = in_window(schedule, utc(2026, 3, 24), utc(2026, 4, 8), [Cancellation(date(2026, 4, 7))])
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
    assert values["DTSTART"] == ["20260324T160000Z", "20260331T150000Z", "20260407T150000Z"]
    assert values["DTEND"] == ["20260324T173000Z", "20260331T163000Z", "20260407T163000Z"]
    assert values["DTSTAMP"] == ["20260320T080000Z"] * 3
    assert values["UID"] == [
        "room-7-2026-03-24@chat.example.fi",
        "room-7-2026-03-31@chat.example.fi",
        "room-7-2026-04-07@chat.example.fi",
    ]
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
    event = CalendarEvent("u1@x", utc(2026, 3, 31, 15), utc(2026, 3, 31, 16), "S", long)
    lines = unfold(to_ics([event], "C", dtstamp=STAMP))
    (description,) = [v for k, v in properties(lines) if k == "DESCRIPTION"]
    assert unescape(description) == long


def test_ics_empty_calendar_and_validation() -> None:
    assert unfold(to_ics([], "C", dtstamp=STAMP))[-1] == "END:VCALENDAR"
    with pytest.raises(ValueError, match="dtstamp must be a timezone-aware"):
        to_ics([], "C", dtstamp=datetime(2026, 3, 20))
    backwards = CalendarEvent("u@x", utc(2026, 3, 31, 16), utc(2026, 3, 31, 15), "S")
    with pytest.raises(ValueError, match="ends before it starts"):
        to_ics([backwards], "C", dtstamp=STAMP)
    naive = CalendarEvent("u@x", datetime(2026, 3, 31, 15), datetime(2026, 3, 31, 16), "S")
    with pytest.raises(ValueError, match="start_utc must be a timezone-aware"):
        to_ics([naive], "C", dtstamp=STAMP)
