"""The funder's figures from anonymous answers (domain/impact.py): pure, with fixed data."""

from __future__ import annotations

import math
import statistics

import pytest

from chatserver.domain.impact import (
    FEWER_THAN_5,
    Answer,
    change,
    distribution,
    summarise,
    t_quantile_975,
)


def test_t_quantiles_follow_the_table_and_the_expansion_beyond_it() -> None:
    assert t_quantile_975(1) == 12.706 and t_quantile_975(30) == 2.042
    # Beyond the table: within 0.001 of the exact values (R: qt(0.975, df)).
    for df, exact in ((31, 2.0395), (40, 2.0211), (60, 2.0003), (120, 1.9799), (1000, 1.9623)):
        assert math.isclose(t_quantile_975(df), exact, abs_tol=0.001), df
    with pytest.raises(ValueError):
        t_quantile_975(0)


def test_change_shares_mean_and_its_confidence_interval() -> None:
    pairs = [(2, 3), (3, 3), (2, 4), (1, 2), (4, 3), (3, 4)]
    diffs = [1, 0, 2, 1, -1, 1]
    result = change(pairs)
    assert isinstance(result, dict)
    assert (result["n"], result["better"], result["same"], result["worse"]) == (
        6, round(4 / 6, 3), round(1 / 6, 3), round(1 / 6, 3))
    mean, sd = statistics.fmean(diffs), statistics.stdev(diffs)
    half = 2.571 * sd / math.sqrt(6)
    assert result["mean_change"] == round(mean, 2)
    assert result["ci95"] == [round(mean - half, 2), round(mean + half, 2)]


def test_fewer_than_five_answers_are_never_shown() -> None:
    four = [Answer(2, 4, 5)] * 4
    report = summarise(four)
    assert report == {"answers": FEWER_THAN_5, "check_in": FEWER_THAN_5,
                      "check_out": FEWER_THAN_5, "change": FEWER_THAN_5, "extra": FEWER_THAN_5}
    assert distribution([3, 3, 4, 5, 1]) == {"n": 5, "1": 1, "2": 0, "3": 2, "4": 1, "5": 1,
                                             "mean": 3.2}
    # Five answered at the start but only four at the end: the start is shown, the rest not.
    mixed = summarise([Answer(3, 4)] * 4 + [Answer(2, None)])
    assert mixed["check_in"] != FEWER_THAN_5 and mixed["check_out"] == FEWER_THAN_5
    assert mixed["change"] == FEWER_THAN_5 and mixed["answers"] == 5
