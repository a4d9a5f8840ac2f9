"""Recurring sessions in a room's own time zone, and their iCalendar export: pure, no I/O.

Time-zone rules, decided once here (and the same as RFC 5545, so the `.ics` export and the
server agree):

- A schedule keeps its **local wall-clock start**: "Tuesdays 18:00 Europe/Helsinki" is 18:00
  local all year, 16:00 UTC in winter and 15:00 UTC in summer. Recurrence is computed on naive
  local date-times with dateutil's rrule and only then placed in the zone.
- A session lasts a **fixed elapsed duration**, not until a wall-clock end: a 2-hour session
  that crosses a change at night still gives people 2 hours, and the session timers (warning,
  auto-close) run on UTC instants. Its local end may therefore read an hour "off" on those nights.
- A **non-existent** local time (03:30 on the spring-forward night in Helsinki, where 03:00
  jumps to 04:00) is read with the offset before the gap (zoneinfo `fold=0`), so it moves
  forward by the gap: 03:30 becomes 04:30 EEST. An **ambiguous** one (03:30 on the fall-back
  night, which happens twice) means the first of the two, summer time (also `fold=0`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# python-dateutil ships no type information; the rrule results are typed where they are used.
from dateutil.rrule import DAILY, WEEKLY, rrule  # type: ignore[import-untyped]

DEFAULT_TIME_ZONE = "Europe/Helsinki"
# Longer than any meeting; it bounds how far before a window an overlapping session can start.
MAX_DURATION_MINUTES = 24 * 60


class Frequency(StrEnum):
    ONCE = "once"
    DAILY = "daily"
    WEEKLY = "weekly"


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone called `name`, or ValueError with a message an admin can act on."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as 'Europe/Helsinki'"
        ) from None


def _check_duration(minutes: int) -> None:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValueError(f"duration must be a whole number of minutes, got {minutes!r}")
    if not 0 < minutes <= MAX_DURATION_MINUTES:
        raise ValueError(
            f"duration must be between 1 and {MAX_DURATION_MINUTES} minutes, got {minutes}"
        )


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


def _to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    # fold=0 for both gaps and overlaps: see the module docstring.
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


@dataclass(frozen=True)
class Schedule:
    """When a room's sessions happen, in its local time.

    Weekly sessions fall on `weekdays` (0 = Monday … 6 = Sunday; by default the weekday of
    `start_date`) on or after `start_date`. A schedule ends on `until` (a local date,
    inclusive), after `count` occurrences (cancelled ones count, as in RFC 5545), or never.
    """

    frequency: Frequency
    start_date: date
    start_time: time
    duration_minutes: int
    weekdays: tuple[int, ...] = ()
    until: date | None = None
    count: int | None = None
    time_zone: str = DEFAULT_TIME_ZONE

    def __post_init__(self) -> None:
        zone_of(self.time_zone)
        _check_duration(self.duration_minutes)
        if self.start_time.tzinfo is not None:
            raise ValueError("start_time is a local wall-clock time: give it without a tzinfo")
        if self.until is not None and self.until < self.start_date:
            raise ValueError(f"end date {self.until} is before start date {self.start_date}")
        if self.count is not None and (isinstance(self.count, bool) or self.count < 1):
            raise ValueError(f"count must be at least 1, got {self.count!r}")
        if self.count is not None and self.until is not None:
            raise ValueError("give an end date or a count, not both")
        if self.frequency == Frequency.ONCE and (self.until or self.count or self.weekdays):
            raise ValueError("a one-off session takes no weekdays, end date or count")
        if self.frequency == Frequency.DAILY and self.weekdays:
            raise ValueError("a daily schedule takes no weekdays")
        if any(isinstance(d, bool) or d not in range(7) for d in self.weekdays):
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), got {self.weekdays!r}")
        # Normalised so equal schedules compare equal; frozen, hence object.__setattr__.
        days = sorted(set(self.weekdays))
        if self.frequency == Frequency.WEEKLY and not days:
            days = [self.start_date.weekday()]
        object.__setattr__(self, "weekdays", tuple(days))

    @classmethod
    def weekly(
        cls,
        weekdays: Iterable[int],
        start_time: time,
        duration_minutes: int,
        start_date: date,
        *,
        until: date | None = None,
        count: int | None = None,
        time_zone: str = DEFAULT_TIME_ZONE,
    ) -> Schedule:
        return cls(
            Frequency.WEEKLY,
            start_date,
            start_time,
            duration_minutes,
            tuple(weekdays),
            until,
            count,
            time_zone,
        )

    @classmethod
    def daily(
        cls,
        start_time: time,
        duration_minutes: int,
        start_date: date,
        *,
        until: date | None = None,
        count: int | None = None,
        time_zone: str = DEFAULT_TIME_ZONE,
    ) -> Schedule:
        return cls(
            Frequency.DAILY, start_date, start_time, duration_minutes, (), until, count, time_zone
        )

    @classmethod
    def one_off(
        cls, start: datetime, duration_minutes: int, *, time_zone: str = DEFAULT_TIME_ZONE
    ) -> Schedule:
        """A single session at the local wall-clock time `start` (naive)."""
        if start.tzinfo is not None:
            raise ValueError("start is a local wall-clock time: give it without a tzinfo")
        return cls(
            Frequency.ONCE, start.date(), start.time(), duration_minutes, time_zone=time_zone
        )

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.time_zone)  # ZoneInfo caches by name: cheap

    def _rule(self) -> rrule:
        dtstart = datetime.combine(self.start_date, self.start_time)
        if self.frequency == Frequency.ONCE:
            return rrule(DAILY, dtstart=dtstart, count=1)
        until = datetime.combine(self.until, self.start_time) if self.until else None
        if self.frequency == Frequency.DAILY:
            return rrule(DAILY, dtstart=dtstart, until=until, count=self.count)
        return rrule(
            WEEKLY, dtstart=dtstart, byweekday=self.weekdays, until=until, count=self.count
        )

    def local_starts(self, after: datetime, before: datetime) -> list[datetime]:
        """The naive local starts in [after, before], before any exception."""
        found: list[datetime] = self._rule().between(after, before, inc=True)
        return found

    def iter_local_starts(self, after: datetime) -> Iterator[datetime]:
        """The naive local starts from `after` on, in order (possibly without end)."""
        found: Iterator[datetime] = self._rule().xafter(after, inc=True)
        return found

    def occurs_on(self, day: date) -> bool:
        """Whether the schedule (before exceptions) has a session on the local date `day`."""
        start = datetime.combine(day, self.start_time)
        return bool(self.local_starts(start, start))


@dataclass(frozen=True)
class Cancellation:
    """No session on the local date `date`."""

    date: date


@dataclass(frozen=True)
class Move:
    """The session of the local date `date` happens at `new_start` (naive, the schedule's local
    time) instead, for `duration_minutes` (by default the schedule's)."""

    date: date
    new_start: datetime
    duration_minutes: int | None = None

    def __post_init__(self) -> None:
        if self.new_start.tzinfo is not None:
            raise ValueError("new_start is a local wall-clock time: give it without a tzinfo")
        if self.duration_minutes is not None:
            _check_duration(self.duration_minutes)


ScheduleException = Cancellation | Move


@dataclass(frozen=True)
class Occurrence:
    """One session of a schedule.

    `key` is the ISO local date of the scheduled occurrence ("2026-03-31"); it stays the same
    when the session is moved or cancelled, so a timer or a database row keyed on
    (schedule, key) is never duplicated.
    """

    key: str
    local_date: date
    start_utc: datetime
    end_utc: datetime
    time_zone: str
    moved: bool = False
    cancelled: bool = False
    duration: timedelta = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "duration", self.end_utc - self.start_utc)

    @property
    def start_local(self) -> datetime:
        return self.start_utc.astimezone(zone_of(self.time_zone))

    @property
    def end_local(self) -> datetime:
        return self.end_utc.astimezone(zone_of(self.time_zone))


def _index(exceptions: Iterable[ScheduleException]) -> dict[date, ScheduleException]:
    index: dict[date, ScheduleException] = {}
    for exception in exceptions:
        if exception.date in index:
            raise ValueError(f"more than one exception for {exception.date}")
        index[exception.date] = exception
    return index


def check_exceptions(schedule: Schedule, exceptions: Iterable[ScheduleException]) -> None:
    """ValueError unless every exception names a date the schedule has, at most once each.

    Call it when an admin adds an exception. `occurrences` ignores exceptions for dates the
    schedule no longer has (after the schedule was edited), so an edit never breaks a listing.
    """
    for day in _index(exceptions):
        if not schedule.occurs_on(day):
            raise ValueError(f"the schedule has no session on {day} to cancel or move")


def _occurrence(
    schedule: Schedule, day: date, local_start: datetime, minutes: int, **flags: bool
) -> Occurrence:
    start = _to_utc(local_start, schedule.zone)
    return Occurrence(
        key=day.isoformat(),
        local_date=day,
        start_utc=start,
        end_utc=start + timedelta(minutes=minutes),
        time_zone=schedule.time_zone,
        **flags,
    )


def _resolve(
    schedule: Schedule, local_start: datetime, index: dict[date, ScheduleException]
) -> Occurrence:
    """The occurrence scheduled at `local_start`, with its exception applied."""
    day = local_start.date()
    exception = index.get(day)
    if isinstance(exception, Move):
        minutes = exception.duration_minutes or schedule.duration_minutes
        return _occurrence(schedule, day, exception.new_start, minutes, moved=True)
    cancelled = isinstance(exception, Cancellation)
    return _occurrence(schedule, day, local_start, schedule.duration_minutes, cancelled=cancelled)


def _overlaps(occ: Occurrence, start: datetime, end: datetime) -> bool:
    # Sessions and windows are both [start, end), so back-to-back windows never list a session
    # twice; an empty window is the instant itself, so (now, now) finds the session under way.
    if start == end:
        return occ.start_utc <= start < occ.end_utc
    return occ.start_utc < end and occ.end_utc > start


def occurrences(
    schedule: Schedule,
    exceptions: Sequence[ScheduleException],
    window_start_utc: datetime,
    window_end_utc: datetime,
) -> list[Occurrence]:
    """The sessions that overlap [window_start_utc, window_end_utc), ordered by start; with
    an empty window (start == end), the sessions under way at that instant.

    Cancelled sessions are listed with `cancelled=True` (a listing can say so); a moved
    session is listed where it moved to, with `moved=True`.
    """
    _require_aware(window_start_utc, "window_start_utc")
    _require_aware(window_end_utc, "window_end_utc")
    if window_end_utc < window_start_utc:
        raise ValueError(f"window end {window_end_utc} is before its start {window_start_utc}")
    index = _index(exceptions)
    zone = schedule.zone
    # Scan local dates generously (a day either side covers any UTC offset, plus the longest
    # session that can reach into the window), then filter exactly on UTC instants.
    margin = timedelta(days=1, minutes=MAX_DURATION_MINUTES)
    scan_from = window_start_utc.astimezone(zone).replace(tzinfo=None) - margin
    scan_to = window_end_utc.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    starts = set(schedule.local_starts(scan_from, scan_to))
    # A moved session can land in the window from a date far outside it.
    for exception in index.values():
        if isinstance(exception, Move) and schedule.occurs_on(exception.date):
            starts.add(datetime.combine(exception.date, schedule.start_time))
    found = [
        occ
        for occ in (_resolve(schedule, s, index) for s in starts)
        if _overlaps(occ, window_start_utc, window_end_utc)
    ]
    return sorted(found, key=lambda o: (o.start_utc, o.key))


def next_occurrence(
    schedule: Schedule, exceptions: Sequence[ScheduleException], now: datetime
) -> Occurrence | None:
    """The first session that starts at or after `now` and is not cancelled, or None.

    A session already under way is not "next": list it with `occurrences(…, now, now)`.
    """
    _require_aware(now, "now")
    index = _index(exceptions)
    candidates = [
        occ
        for e in index.values()
        if isinstance(e, Move) and schedule.occurs_on(e.date)
        for occ in [_resolve(schedule, datetime.combine(e.date, schedule.start_time), index)]
        if occ.start_utc >= now
    ]
    # A day before now's local time covers any resolution of gaps and folds.
    after = now.astimezone(schedule.zone).replace(tzinfo=None) - timedelta(days=1)
    for local_start in schedule.iter_local_starts(after):
        if local_start.date() in index:
            continue  # cancelled, or moved and already a candidate
        occ = _resolve(schedule, local_start, index)
        if occ.start_utc >= now:
            candidates.append(occ)
            break
    return min(candidates, key=lambda o: (o.start_utc, o.key), default=None)


# --- iCalendar export (RFC 5545) ----------------------------------------------------------
# Written by hand: no iCalendar library is a dependency, and a publish-only feed of UTC events
# needs only text escaping, line folding and CRLF.

PRODID = "-//chatserver//peer-support sessions//EN"
_FOLD_OCTETS = 75  # per physical line, CRLF excluded (RFC 5545 3.1)


@dataclass(frozen=True)
class CalendarEvent:
    """One VEVENT. `uid` must be globally unique and stable for the same session across
    exports (e.g. f"{schedule_id}-{occurrence.key}@{host}"), so a calendar updates a moved or
    cancelled session instead of adding a second one."""

    uid: str
    start_utc: datetime
    end_utc: datetime
    summary: str
    description: str = ""
    cancelled: bool = False

    @classmethod
    def for_occurrence(
        cls, occurrence: Occurrence, *, uid: str, summary: str, description: str = ""
    ) -> CalendarEvent:
        return cls(
            uid,
            occurrence.start_utc,
            occurrence.end_utc,
            summary,
            description,
            occurrence.cancelled,
        )


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, any line break
    as \\n; other control characters, which TEXT does not allow, dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = "".join(c for c in value if c in "\n\t" or not (c < " " or c == "\x7f"))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """`line` split into physical lines of at most 75 octets of UTF-8, never inside a
    character; continuation lines start with one space (RFC 5545 3.1)."""
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    limit = _FOLD_OCTETS
    for char in line:
        size = len(char.encode("utf-8"))
        if used + size > limit:
            pieces.append("".join(current))
            current, used, limit = [], 0, _FOLD_OCTETS - 1  # the leading space counts
        current.append(char)
        used += size
    pieces.append("".join(current))
    return "\r\n ".join(pieces)


def _utc_stamp(value: datetime, name: str) -> str:
    _require_aware(value, name)
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def to_ics(events: Iterable[CalendarEvent], calendar_name: str, *, dtstamp: datetime) -> str:
    """A VCALENDAR of `events` for staff calendars. `dtstamp` is when the export was made
    (pass the caller's `now`; it is required in every VEVENT)."""
    stamp = _utc_stamp(dtstamp, "dtstamp")
    name = escape_text(calendar_name)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{name}",  # RFC 7986
        f"X-WR-CALNAME:{name}",  # what most calendar apps still read
    ]
    for event in events:
        if event.end_utc <= event.start_utc:
            raise ValueError(f"event {event.uid!r} ends before it starts")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape_text(event.uid)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc_stamp(event.start_utc, 'start_utc')}",
            f"DTEND:{_utc_stamp(event.end_utc, 'end_utc')}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        lines += [f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
