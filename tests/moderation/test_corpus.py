"""The held-out corpus (tests/moderation/corpus/): well-formed, large and varied enough, and
the filters above the thresholds of issue 16 with a new room's default settings.

``make filter-eval`` prints the full table and the misclassified ids.
"""

from __future__ import annotations

import collections

import pytest

from tests.moderation import corpus_eval as ce

ITEMS = ce.load()
REPORT = ce.evaluate(ITEMS)

# The thresholds (docs/moderation.md repeats them).
CRISIS_RECALL, CRISIS_PRECISION = 0.97, 0.95
HARM_RECALL, HARM_PRECISION = 0.97, 0.95
ABUSE_F1 = 0.90
PERSONAL_F1 = 0.95
HARD_NEGATIVES_FLAGGED = 0.01


def _wrong(category: str) -> str:
    s = REPORT.score(category)
    return f"missed {s.missed}, false hits {s.false}"


def test_crisis_language() -> None:
    s = REPORT.score("crisis")
    assert s.recall >= CRISIS_RECALL, _wrong("crisis")
    assert s.precision >= CRISIS_PRECISION, _wrong("crisis")


def test_harm_to_others_is_refused_and_alerted() -> None:
    s = REPORT.score("harm")
    assert s.recall >= HARM_RECALL, _wrong("harm")
    assert s.precision >= HARM_PRECISION, _wrong("harm")


def test_abuse_aimed_at_a_person() -> None:
    assert REPORT.score("abuse").f1 >= ABUSE_F1, _wrong("abuse")


def test_personal_details() -> None:
    assert REPORT.score("personal").f1 >= PERSONAL_F1, _wrong("personal")


def test_hard_negatives_stay_clean() -> None:
    assert REPORT.negative_rate() <= HARD_NEGATIVES_FLAGGED, REPORT.negatives_flagged["all"]


@pytest.mark.parametrize("lang", ce.LANGS)
def test_no_language_is_left_behind(lang: str) -> None:
    # Looser than the overall thresholds (a language has fewer messages), but a language
    # the patterns do not cover would fail here.
    for category in ce.CATEGORIES:
        s = REPORT.score(category, lang)
        assert s.support >= 10 and s.recall >= 0.9 and s.precision >= 0.9, (category, lang)
    assert REPORT.negative_rate(lang) <= 0.03, REPORT.negatives_flagged[lang]


def test_corpus_is_well_formed() -> None:
    ids = [i.id for i in ITEMS]
    assert len(ids) == len(set(ids))
    for item in ITEMS:
        assert item.id.startswith(item.lang + "-") and item.text.strip(), item.id
        assert item.labels <= set(ce.CATEGORIES), item.id
        assert ("harm" in item.labels) <= ("abuse" in item.labels), item.id
        family = item.kind.split("/")[0]
        assert family in {"crisis", "harm", "abuse", "personal", "neg"}, item.id
        assert (family == "neg") == (not item.labels), item.id


def test_corpus_is_large_and_varied() -> None:
    assert len(ITEMS) >= 400
    per_lang = collections.Counter(i.lang for i in ITEMS)
    assert all(per_lang[lang] >= 100 for lang in ce.LANGS), per_lang
    kinds = {i.kind for i in ITEMS}
    for kind in ("crisis/means-plan", "crisis/finality", "crisis/ideation", "crisis/self-harm",
                 "harm/encourage", "abuse/expletive", "abuse/insult", "personal/phone-words",
                 "personal/phone-digits", "personal/email", "personal/address",
                 "personal/id-code", "neg/idiom", "neg/title", "neg/past-crisis",
                 "neg/everyday", "neg/public-number", "neg/swear-like-word",
                 "neg/swearing-unaimed", "neg/self-talk", "neg/ordinary"):
        assert kind in kinds, kind
    tags = collections.Counter(t for i in ITEMS for t in i.tags)
    for tag in ("spoken", "inflected", "SP", "REP", "HG", "ZW", "MASK", "LEET", "NA", "FW"):
        assert tags[tag] >= 1, tag
    assert sum(1 for i in ITEMS if not i.labels) >= 150
    assert any("\u200b" in i.text for i in ITEMS)


def test_the_report_never_prints_message_text() -> None:
    printed = ce.format_report(REPORT, ITEMS)
    assert "misclassified" in printed
    for item in ITEMS:
        if len(item.text) > 12:
            assert item.text not in printed
