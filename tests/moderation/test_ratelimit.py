"""Token buckets and strike counters with a fixed clock."""

from __future__ import annotations

import pytest

from moderation.ratelimit import StrikeCounter, TokenBucket


def test_burst_then_refill() -> None:
    bucket = TokenBucket(rate=1.0, burst=3, updated=100.0)
    assert [bucket.take(100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(100.0) == pytest.approx(1.0)
    assert bucket.take(100.5) == pytest.approx(0.5)
    assert bucket.take(101.0) == 0.0


def test_a_refused_take_costs_nothing_so_waiting_the_advertised_time_works() -> None:
    bucket = TokenBucket(rate=0.5, burst=1, updated=0.0)
    assert bucket.take(0.0) == 0.0
    wait = bucket.take(0.0)
    assert wait == pytest.approx(2.0)
    for _ in range(5):
        assert bucket.take(1.0) > 0  # refusals do not push the time further out
    assert bucket.take(0.0 + wait) == 0.0


def test_never_more_than_burst() -> None:
    bucket = TokenBucket(rate=10, burst=2, updated=0.0)
    bucket.take(1000.0)
    assert bucket.tokens == pytest.approx(1.0)


def test_cost_and_time_going_backwards() -> None:
    bucket = TokenBucket(rate=1, burst=5, updated=10.0)
    assert bucket.take(10.0, cost=4) == 0.0
    assert bucket.take(5.0, cost=2) == pytest.approx(1.0)  # an earlier now refills nothing


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (1, 0), (-1, 5)])
def test_invalid_bucket(rate: float, burst: float) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=rate, burst=burst)


def test_strike_counter_window() -> None:
    strikes = StrikeCounter(limit=2, window=10.0)
    assert not strikes.hit(0.0)
    assert not strikes.hit(1.0)
    assert strikes.hit(2.0)
    assert not strikes.hit(20.0)  # the old strikes left the window
