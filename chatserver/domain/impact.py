"""What a funder is shown of a group's effect, computed from anonymous answers: how people
felt when a session began and when it ended (1-5), paired only inside the person's own browser
and stored without anything that ties them to someone.

Small numbers are never shown: a figure computed from fewer than `MIN_ANSWERS` answers could
let a facilitator work out one person's answer in a small group, so it is replaced by
`FEWER_THAN_5` wherever it would appear (the page, the CSV, the API).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MIN_ANSWERS = 5
FEWER_THAN_5 = "fewer_than_5"
SCALE = range(1, 6)

# Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
_Z975 = 1.959964


def t_quantile_975(df: int) -> float:
    """The 97.5 % quantile of Student's t with `df` degrees of freedom (a table to 30, then
    the Cornish-Fisher expansion, which is within 0.001 of the exact value there)."""
    if df < 1:
        raise ValueError("at least one degree of freedom")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@dataclass(frozen=True, slots=True)
class Answer:
    """One person's answers for one session: how they felt at the start and at the end
    (either may be missing) and the admin's own question, each 1-5."""

    before: int | None
    after: int | None
    extra: int | None = None


def distribution(values: Sequence[int]) -> dict[str, Any] | str:
    """How many answered 1, 2, 3, 4 and 5, or FEWER_THAN_5."""
    if len(values) < MIN_ANSWERS:
        return FEWER_THAN_5
    return {"n": len(values), **{str(k): values.count(k) for k in SCALE},
            "mean": round(statistics.fmean(values), 2)}


def change(pairs: Sequence[tuple[int, int]]) -> dict[str, Any] | str:
    """For people who answered both: the shares who felt better, the same and worse at the
    end, and the mean change with its 95 % confidence interval; or FEWER_THAN_5."""
    n = len(pairs)
    if n < MIN_ANSWERS:
        return FEWER_THAN_5
    diffs = [after - before for before, after in pairs]
    mean = statistics.fmean(diffs)
    spread = statistics.stdev(diffs) if n > 1 else 0.0
    half = t_quantile_975(n - 1) * spread / math.sqrt(n)
    return {"n": n,
            "better": round(sum(d > 0 for d in diffs) / n, 3),
            "same": round(sum(d == 0 for d in diffs) / n, 3),
            "worse": round(sum(d < 0 for d in diffs) / n, 3),
            "mean_change": round(mean, 2),
            "ci95": [round(mean - half, 2), round(mean + half, 2)]}


def summarise(answers: Sequence[Answer]) -> dict[str, Any]:
    """The report's figures from one group's answers in a period."""
    before = [a.before for a in answers if a.before is not None]
    after = [a.after for a in answers if a.after is not None]
    extra = [a.extra for a in answers if a.extra is not None]
    pairs = [(a.before, a.after) for a in answers
             if a.before is not None and a.after is not None]
    return {"answers": len(answers) if len(answers) >= MIN_ANSWERS else FEWER_THAN_5,
            "check_in": distribution(before), "check_out": distribution(after),
            "change": change(pairs), "extra": distribution(extra)}


def shown(value: float | int | None, n: int) -> float | int | str | None:
    """A figure computed from `n` answers, or FEWER_THAN_5."""
    return value if n >= MIN_ANSWERS else FEWER_THAN_5
