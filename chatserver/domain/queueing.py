"""One-to-one queue policy, pure: ordering, wait estimates, opening hours and statistics.

No I/O and no clock of its own: callers pass ``now``, so tests are exact. The backends in
chatserver/one_to_one_backend.py store the queue; the service in chatserver/one_to_one.py
decides with these functions.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from chatserver.domain.schedules import (
    DEFAULT_TIME_ZONE,
    Schedule,
    next_occurrence,
    occurrences,
    zone_of,
)
from moderation.filters import crisis_labels

# Bands of the queue's score: lower is served first. A person whose supporter's process died
# was already served once and must not wait again behind newcomers; a crisis comes next.
BAND_RETURNED = 0
BAND_CRISIS = 1
BAND_NORMAL = 2
_BAND_WIDTH = 10**13  # wider than any millisecond timestamp of this millennium

# Until conversations have ended here, assume this long (minutes): a typical peer chat.
DEFAULT_SERVICE_MINUTES = 20.0
# The estimate looks at this many recent conversations (enough to be steady, recent enough to
# follow the day's pace).
RECENT_CONVERSATIONS = 30

MAX_TOPIC_CHARS = 200
MAX_ANSWER_CHARS = 300
MAX_QUESTIONS = 8


def score(band: int, arrived_ms: int) -> float:
    """The sorted-set score: band first, then arrival (first come, first served)."""
    return float(band * _BAND_WIDTH + arrived_ms)


def band_of(crisis: bool) -> int:
    return BAND_CRISIS if crisis else BAND_NORMAL


@dataclass(frozen=True, slots=True)
class Estimate:
    """An honest wait: ``minutes`` is None when no supporter is available (we cannot know)."""

    minutes: int | None
    position: int

    def to_dict(self) -> dict[str, Any]:
        return {"position": self.position, "estimate_minutes": self.minutes}


def mean_service_minutes(recent_durations_s: Sequence[float]) -> float:
    """Mean length of recent conversations, or the default before there are any."""
    recent = [d for d in recent_durations_s[-RECENT_CONVERSATIONS:] if d > 0]
    if not recent:
        return DEFAULT_SERVICE_MINUTES
    return statistics.fmean(recent) / 60.0


def estimate_wait(position: int, *, capacity: int, busy: int,
                  service_minutes: float) -> Estimate:
    """Expected wait of the person at ``position`` (1 = next).

    With ``capacity`` slots of which ``busy`` are taken, free slots serve the first people at
    once; after that slots free up about every ``service_minutes / capacity`` minutes (busy
    conversations are half-way through on average), so the person ``k`` places past the free
    slots waits about ``(k - 0.5) * service / capacity``. Rounded up to whole minutes: an
    estimate that errs late disappoints less than one that errs early.
    """
    if capacity <= 0:
        return Estimate(None, position)
    free = max(capacity - busy, 0)
    ahead = position - free
    if ahead <= 0:
        return Estimate(0, position)
    return Estimate(math.ceil((ahead - 0.5) * service_minutes / capacity), position)


# Pre-chat questions ----------------------------------------------------------------------

class QuestionsError(ValueError):
    """An admin's question list is not usable; the message names the entry."""


LANGS = ("fi", "sv", "en")


def validate_questions(raw: Any) -> list[dict[str, Any]]:
    """Each question: an id, a text in fi/sv/en, optional ``choices`` (ids with texts) and
    ``crisis_choices`` (choice ids that mean "I am in crisis now")."""
    if not isinstance(raw, list) or len(raw) > MAX_QUESTIONS:
        raise QuestionsError(f"questions must be a list of at most {MAX_QUESTIONS}")
    out: list[dict[str, Any]] = []
    for i, q in enumerate(raw):
        if not isinstance(q, dict) or not isinstance(q.get("id"), str) or not (
                1 <= len(q["id"]) <= 32):
            raise QuestionsError(f"question {i}: id must be text of 1 to 32 characters")
        text = q.get("text")
        if not isinstance(text, dict) or set(text) != set(LANGS) or not all(
                isinstance(t, str) and 0 < len(t) <= 200 for t in text.values()):
            raise QuestionsError(f"question {i}: text needs fi, sv and en")
        clean: dict[str, Any] = {"id": q["id"], "text": dict(text)}
        choices = q.get("choices")
        if choices is not None:
            if not isinstance(choices, list) or not 1 <= len(choices) <= 12:
                raise QuestionsError(f"question {i}: choices must be a list of 1 to 12")
            ids = []
            for c in choices:
                if not isinstance(c, dict) or not isinstance(c.get("id"), str) or not isinstance(
                        c.get("text"), dict) or set(c["text"]) != set(LANGS):
                    raise QuestionsError(f"question {i}: each choice needs an id and texts")
                ids.append(c["id"])
            clean["choices"] = [{"id": c["id"], "text": dict(c["text"])} for c in choices]
            crisis = q.get("crisis_choices", [])
            if not isinstance(crisis, list) or not set(crisis) <= set(ids):
                raise QuestionsError(f"question {i}: crisis_choices must be choice ids")
            clean["crisis_choices"] = list(crisis)
        out.append(clean)
    return out


class AnswersError(ValueError):
    """A participant's answers do not fit the questions; ``args[0]`` is a stable field code."""


def check_answers(questions: Sequence[dict[str, Any]], answers: dict[str, str]) -> dict[str, str]:
    """Keep only answers to known questions; a choice must be one of the question's."""
    known = {q["id"]: q for q in questions}
    out: dict[str, str] = {}
    for key, value in answers.items():
        question = known.get(key)
        if question is None:
            raise AnswersError("unknown_question")
        if len(value) > MAX_ANSWER_CHARS:
            raise AnswersError("answer_too_long")
        if "choices" in question and value not in {c["id"] for c in question["choices"]}:
            raise AnswersError("unknown_choice")
        if value.strip():
            out[key] = value.strip()
    return out


def is_crisis(questions: Sequence[dict[str, Any]], topic: str | None,
              answers: dict[str, str]) -> bool:
    """A crisis choice was picked, or free text (topic or answers) holds crisis language."""
    for q in questions:
        if answers.get(q["id"]) in set(q.get("crisis_choices", ())):
            return True
    free = [topic or ""] + [v for k, v in answers.items()
                            if not any(q["id"] == k and "choices" in q for q in questions)]
    return any(crisis_labels(text) for text in free if text)


# Opening hours ---------------------------------------------------------------------------

class HoursError(ValueError):
    """The opening hours are not usable; the message names the entry."""


_EPOCH = date(2024, 1, 1)  # a Monday: opening hours are weekly, from any past date on


def parse_hours(raw: Any) -> list[Schedule]:
    """``[{"weekdays": [0..6], "start": "HH:MM", "minutes": N, "time_zone": "..."}]``;
    an empty list (or None) means always open."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > 14:
        raise HoursError("hours must be a list of at most 14 entries")
    out = []
    for i, entry in enumerate(raw):
        try:
            hh, mm = str(entry["start"]).split(":")
            out.append(Schedule.weekly(entry["weekdays"], time(int(hh), int(mm)),
                                       int(entry["minutes"]), _EPOCH,
                                       time_zone=entry.get("time_zone", DEFAULT_TIME_ZONE)))
        except (KeyError, TypeError, ValueError) as exc:
            raise HoursError(f"hours entry {i}: {exc}") from None
    return out


@dataclass(frozen=True, slots=True)
class Opening:
    open: bool
    next_open: datetime | None  # when closed: the next opening (None: never)


def opening(hours: Sequence[Schedule], now: datetime) -> Opening:
    """Whether the queue is open at ``now`` (aware), and if not, when it opens next."""
    if not hours:
        return Opening(True, None)
    if any(occurrences(s, (), now, now) for s in hours):
        return Opening(True, None)
    starts = [occ.start_utc for s in hours if (occ := next_occurrence(s, (), now)) is not None]
    return Opening(False, min(starts) if starts else None)


# Statistics ------------------------------------------------------------------------------

def hour_of_week(at: datetime, time_zone: str = DEFAULT_TIME_ZONE) -> int:
    """0 = Monday 00-01 local time ... 167 = Sunday 23-24."""
    local = at.astimezone(zone_of(time_zone))
    return local.weekday() * 24 + local.hour


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (a real observed wait, not an interpolation)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One finished request, as the statistics keep it: no identity, no text."""

    hour_of_week: int
    wait_seconds: float | None  # None: left the queue before anyone took them
    served: bool
    crisis: bool


def summarise(rows: Iterable[Outcome]) -> dict[str, Any]:
    rows = list(rows)
    waits = [r.wait_seconds for r in rows if r.served and r.wait_seconds is not None]
    per_hour: dict[int, dict[str, int]] = {}
    for r in rows:
        cell = per_hour.setdefault(r.hour_of_week, {"requests": 0, "conversations": 0,
                                                    "abandoned": 0})
        cell["requests"] += 1
        cell["conversations" if r.served else "abandoned"] += 1
    median = statistics.median(waits) if waits else None
    return {
        "requests": len(rows),
        "conversations": sum(1 for r in rows if r.served),
        "abandoned": sum(1 for r in rows if not r.served),
        "crisis_flagged": sum(1 for r in rows if r.crisis),
        "wait_median_seconds": round(median, 1) if median is not None else None,
        "wait_p90_seconds": percentile(waits, 90),
        "per_hour_of_week": {str(h): per_hour[h] for h in sorted(per_hour)},
    }


def utc_from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)
