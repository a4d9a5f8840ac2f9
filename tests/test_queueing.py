"""The one-to-one queue's pure rules: order, estimates (against a simulated day), opening
hours, pre-chat answers and statistics."""

from __future__ import annotations

import heapq
import random
import statistics
from datetime import timedelta

import pytest

from chatserver.domain import queueing
from chatserver.domain.queueing import (
    BAND_CRISIS,
    BAND_NORMAL,
    BAND_RETURNED,
    Outcome,
    estimate_wait,
    score,
)
from tests.calendar_dates import MONDAY, WEDNESDAY, on_or_after, spring_change, this_year, utc_at

QUESTIONS = queueing.validate_questions([
    {"id": "about", "text": {"fi": "Mistä haluaisit puhua?", "sv": "Vad vill du prata om?",
                             "en": "What would you like to talk about?"}},
    {"id": "now", "text": {"fi": "Miten voit nyt?", "sv": "Hur mår du nu?",
                           "en": "How are you now?"},
     "choices": [{"id": "ok", "text": {"fi": "Ihan ok", "sv": "Okej", "en": "Okay"}},
                 {"id": "crisis", "text": {"fi": "Tarvitsen apua nyt",
                                           "sv": "Jag behöver hjälp nu",
                                           "en": "I need help now"}}],
     "crisis_choices": ["crisis"]},
])


def test_returned_then_crisis_then_arrival_order() -> None:
    early, late = 1_700_000_000_000, 1_700_000_900_000
    assert score(BAND_RETURNED, late) < score(BAND_CRISIS, early) < score(BAND_NORMAL, early)
    assert score(BAND_NORMAL, early) < score(BAND_NORMAL, late)


def test_estimate_is_unknown_without_supporters_and_zero_with_a_free_slot() -> None:
    assert estimate_wait(1, capacity=0, busy=0, service_minutes=20).minutes is None
    assert estimate_wait(2, capacity=3, busy=1, service_minutes=20).minutes == 0
    # Full: the first waits about half a conversation spread over the slots, and each later
    # place adds one slot's turnover.
    assert estimate_wait(1, capacity=2, busy=2, service_minutes=20).minutes == 5
    assert estimate_wait(3, capacity=2, busy=2, service_minutes=20).minutes == 25


def test_mean_service_uses_recent_conversations_or_a_default() -> None:
    assert queueing.mean_service_minutes([]) == queueing.DEFAULT_SERVICE_MINUTES
    assert queueing.mean_service_minutes([600.0, 1800.0]) == 20.0


def _simulate_day(seed: int) -> list[tuple[float, float]]:
    """A day of arrivals at one-to-one support: busier in the evening, four slots (two
    supporters with capacities 1 and 3), conversations of 5-45 minutes. Returns (estimated,
    actual) waits in minutes for everyone who had to wait behind a full house."""
    rng = random.Random(seed)
    slots = 4
    arrivals = []
    t = 0.0
    while t < 24 * 60:
        hour = t / 60
        rate = 0.04 if hour < 8 else 0.12 if hour < 17 else 0.17  # people per minute
        t += rng.expovariate(rate)
        arrivals.append(t)
    busy: list[float] = []  # end times of ongoing conversations
    queue: list[float] = []  # arrival times of people waiting (first come first served)
    durations: list[float] = []
    estimates: dict[float, float] = {}
    results = []

    def serve_until(now: float) -> None:
        while busy and busy[0] <= now:
            end = heapq.heappop(busy)
            if queue:
                arrived = queue.pop(0)
                results.append((estimates[arrived], end - arrived))
                length = rng.uniform(5, 45)
                durations.append(length * 60)
                heapq.heappush(busy, end + length)

    for arrived in arrivals:
        serve_until(arrived)
        if len(busy) < slots and not queue:
            length = rng.uniform(5, 45)
            durations.append(length * 60)
            heapq.heappush(busy, arrived + length)
            continue
        queue.append(arrived)
        est = estimate_wait(len(queue), capacity=slots, busy=len(busy),
                            service_minutes=queueing.mean_service_minutes(durations))
        assert est.minutes is not None
        estimates[arrived] = est.minutes
    serve_until(float("inf"))
    return results


def test_wait_estimate_against_a_simulated_day() -> None:
    pairs = [p for seed in range(5) for p in _simulate_day(seed)]
    errors = [est - actual for est, actual in pairs]
    actual = [a for _, a in pairs]
    mae = statistics.fmean(abs(e) for e in errors)
    bias = statistics.fmean(errors)
    within = sum(1 for e in errors if abs(e) <= 5) / len(errors)
    print(f"\nwait estimate over 5 simulated days: {len(pairs)} waits, mean actual "
          f"{statistics.fmean(actual):.1f} min, mean absolute error {mae:.1f} min, "
          f"bias {bias:+.1f} min, median error {statistics.median(errors):+.1f} min, "
          f"within 5 min {within:.0%}")
    assert len(pairs) > 100  # the day was busy enough to queue people
    # Honest: not systematically early or late, and off by less than half the typical wait.
    assert abs(bias) < 0.25 * statistics.fmean(actual)
    assert mae < 0.5 * statistics.fmean(actual)


def test_opening_hours_and_the_next_opening() -> None:
    hours = queueing.parse_hours([{"weekdays": [0, 1, 2, 3, 4], "start": "18:00",
                                   "minutes": 180}])
    # A Wednesday in summer time, 19:00 in Helsinki (UTC+3), is open.
    wednesday = on_or_after(spring_change(this_year()), WEDNESDAY)
    assert queueing.opening(hours, utc_at(wednesday, 16, 0)).open
    closed = queueing.opening(hours, utc_at(wednesday, 6, 0))
    assert not closed.open
    assert closed.next_open == utc_at(wednesday, 15, 0)
    # Friday night: next is Monday evening.
    friday = queueing.opening(hours, utc_at(wednesday + timedelta(days=2), 20, 0))
    assert friday.next_open == utc_at(wednesday + timedelta(days=5), 15, 0)
    assert queueing.opening([], utc_at(wednesday + timedelta(days=2), 20, 0)).open
    with pytest.raises(queueing.HoursError):
        queueing.parse_hours([{"weekdays": [9], "start": "18:00", "minutes": 60}])


def test_crisis_from_a_choice_or_from_free_text() -> None:
    assert queueing.is_crisis(QUESTIONS, None, {"now": "crisis"})
    assert not queueing.is_crisis(QUESTIONS, None, {"now": "ok"})
    assert queueing.is_crisis(QUESTIONS, None, {"about": "en halua enää elää"})
    assert queueing.is_crisis(QUESTIONS, "I want to die", {})
    assert not queueing.is_crisis(QUESTIONS, "riitaa äidin kanssa", {"now": "ok"})


def test_answers_must_fit_the_questions() -> None:
    with pytest.raises(queueing.AnswersError, match="unknown_question"):
        queueing.check_answers(QUESTIONS, {"age": "18-25"})
    with pytest.raises(queueing.AnswersError, match="unknown_choice"):
        queueing.check_answers(QUESTIONS, {"now": "maybe"})
    with pytest.raises(queueing.AnswersError, match="answer_too_long"):
        queueing.check_answers(QUESTIONS, {"about": "x" * (queueing.MAX_ANSWER_CHARS + 1)})
    assert queueing.check_answers(QUESTIONS, {"about": "  uni  ", "now": "ok"}) == {
        "about": "uni", "now": "ok"}
    with pytest.raises(queueing.QuestionsError):
        queueing.validate_questions([{"id": "x", "text": {"fi": "vain suomeksi"}}])
    with pytest.raises(queueing.QuestionsError):
        queueing.validate_questions([dict(QUESTIONS[1], crisis_choices=["nope"])])


def test_statistics_median_p90_abandoned_per_hour_of_week() -> None:
    monday = on_or_after(spring_change(this_year()), MONDAY)  # in summer time
    monday_18 = queueing.hour_of_week(utc_at(monday, 15, 30))
    assert monday_18 == 18
    rows = [Outcome(18, float(w), True, False) for w in range(1, 11)]
    rows += [Outcome(18, None, False, False), Outcome(42, None, False, True)]
    summary = queueing.summarise(rows)
    assert summary["conversations"] == 10
    assert summary["abandoned"] == 2
    assert summary["crisis_flagged"] == 1
    assert summary["wait_median_seconds"] == 5.5
    assert summary["wait_p90_seconds"] == 9.0
    assert summary["per_hour_of_week"]["18"] == {"requests": 11, "conversations": 10,
                                                 "abandoned": 1}
    assert queueing.summarise([])["wait_median_seconds"] is None
