"""Calendar dates for tests, computed from the clock so that the suite passes on any day.

No test holds a literal calendar date (``tests/test_no_calendar_dates.py`` checks): a test that
needs a Tuesday after the spring change, or the turn of the year, asks for it here. The pure
schedule tests take `now` as an argument, so they use the current year's dates; the tests that
talk to a server use dates relative to today, since the server reads the real clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)


def this_year() -> int:
    """The current year by the UTC clock (what a server started now would read)."""
    return datetime.now(UTC).year


def today_in_helsinki() -> date:
    """Today's date on the wall clock of the rooms' default time zone."""
    return datetime.now(HELSINKI).date()


def on_or_after(day: date, weekday: int) -> date:
    """The first `weekday` (0 = Monday) on or after `day`."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def last_sunday(year: int, month: int) -> date:
    """The last Sunday of a month: the EU's clocks change on those of March and October."""
    first_of_next = date(year + (month == 12), month % 12 + 1, 1)
    last_day = first_of_next - timedelta(days=1)
    return last_day - timedelta(days=(last_day.weekday() - SUNDAY) % 7)


def spring_change(year: int) -> date:
    """The Sunday when summer time starts (03:00 → 04:00 in Helsinki)."""
    return last_sunday(year, 3)


def autumn_change(year: int) -> date:
    """The Sunday when summer time ends (04:00 → 03:00 in Helsinki)."""
    return last_sunday(year, 10)


def utc_at(day: date, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """`day` at the given UTC time of day."""
    return datetime.combine(day, time(hour, minute, second), UTC)


def helsinki_to_utc(day: date, at: time) -> datetime:
    """A Helsinki wall-clock time as the UTC instant a server reports it."""
    return datetime.combine(day, at, HELSINKI).astimezone(UTC)


def iso_utc(instant: datetime) -> str:
    """An instant as the API writes it: ``YYYY-MM-DDTHH:MM:SSZ``."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
