"""Every filter against the labelled example set: no example may be misclassified, and
precision and recall are printed at the end of the run (see conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from moderation.filters import (
    Filter,
    Message,
    blocklist,
    crisis_language,
    flood,
    links,
    newcomer,
    personal_details,
)
from moderation.normalize import digest
from moderation.settings import FilterSettings, LinkPolicy
from moderation.types import SenderContext, SenderHistory
from tests.moderation import examples as ex
from tests.moderation.scoring import Score, record

NOW = 1_000_000.0
SETTINGS = FilterSettings(links=LinkPolicy.HOLD, allowed_domains=("mieli.fi",))
SETTLED = SenderContext(joined_at=NOW - 3600)


def _message(text: str) -> Message:
    return Message.of(text, SETTLED, NOW)


def _scenario(s: ex.Scenario) -> Message:
    history = SenderHistory()
    for ago, text in s.before:
        history = history.record(digest(text), NOW - ago)
    return Message.of(s.text, SenderContext(joined_at=NOW - s.joined_ago, history=history), NOW)


CASES: dict[str, tuple[Filter, Callable[[ex.Example], Message], Sequence[ex.Example],
                       Sequence[ex.Example]]] = {
    "blocklist": (blocklist, lambda e: _message(e.text),
                  ex.BLOCKLIST_POSITIVE, ex.BLOCKLIST_NEGATIVE),
    "personal_details": (personal_details, lambda e: _message(e.text),
                         ex.PERSONAL_POSITIVE, ex.PERSONAL_NEGATIVE),
    "crisis": (crisis_language, lambda e: _message(e.text),
               ex.CRISIS_POSITIVE, ex.CRISIS_NEGATIVE),
    "links": (links, lambda e: _message(e.text), ex.LINKS_POSITIVE, ex.LINKS_NEGATIVE),
}
SCENARIOS: dict[str, tuple[Filter, Sequence[ex.Scenario], Sequence[ex.Scenario]]] = {
    "flood": (flood, ex.FLOOD_POSITIVE, ex.FLOOD_NEGATIVE),
    "newcomer": (newcomer, ex.NEWCOMER_POSITIVE, ex.NEWCOMER_NEGATIVE),
}


def _label(example: ex.Example | ex.Scenario) -> str:
    note = f" ({example.note})" if example.note else ""
    return f"[{example.lang}] {example.text!r}{note}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_text_filter_examples(name: str, request: pytest.FixtureRequest) -> None:
    check, build, positive, negative = CASES[name]
    score = Score(name)
    for expected, examples in ((True, positive), (False, negative)):
        for e in examples:
            score.add(expected, bool(check(build(e), SETTINGS)), _label(e))
    record(request.config, score)
    assert not score.wrong, "\n".join(score.wrong)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_filter_examples(name: str, request: pytest.FixtureRequest) -> None:
    check, positive, negative = SCENARIOS[name]
    score = Score(name)
    for expected, scenarios in ((True, positive), (False, negative)):
        for s in scenarios:
            score.add(expected, bool(check(_scenario(s), SETTINGS)), _label(s))
    record(request.config, score)
    assert not score.wrong, "\n".join(score.wrong)


def test_the_example_set_is_large_enough_in_every_language() -> None:
    for name, (_, _, positive, negative) in CASES.items():
        minimum = 40
        assert len(positive) >= minimum and len(negative) >= minimum, name
        for lang in ("fi", "sv", "en"):
            assert any(e.lang == lang for e in positive), (name, lang)
            assert any(e.lang == lang for e in negative), (name, lang)
    for name, (_, scenario_pos, scenario_neg) in SCENARIOS.items():
        assert len(scenario_pos) >= 35 and len(scenario_neg) >= 35, name
