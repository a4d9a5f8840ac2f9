"""The phrase index (:class:`moderation.matching.PhraseSet`) is only a shortcut: it must find
exactly the phrases that walking every phrase over every token finds."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation import crisis
from moderation.filters import blocklist_phrases, crisis_phrases
from moderation.matching import PhraseSet, find_all
from moderation.normalize import normalize
from moderation.settings import FilterSettings
from tests.moderation import examples
from tests.moderation.corpus_eval import load

_DEFAULTS = FilterSettings()
BLOCKLIST = blocklist_phrases(_DEFAULTS.blocklist_languages, (), ())
CRISIS = crisis_phrases(())
# Admin-written entries: stems, gaps, words with å ä ö, a phrase that starts with a stem.
EXTRA = PhraseSet(crisis_phrases(("en jaksa enää", "hyppään ... sillalta", "itsetuhoi*",
                                   "slut*", "mår dåligt")).phrases)
SETS = {"blocklist": BLOCKLIST, "crisis": CRISIS, "extra": EXTRA}

ALL_TEXTS = [e.text for name in dir(examples) if name.isupper()
             and isinstance(getattr(examples, name), tuple)
             for e in getattr(examples, name) if isinstance(e, examples.Example)]
CORPUS_TEXTS = [i.text for i in load()]
# Pieces of listed phrases, to build messages that come close to them.
WORDS = sorted({w for e in ALL_TEXTS + CORPUS_TEXTS for w in e.split()}
               | {"you", "it", "all", "i d i o t", "v*ttu", "k y s", "d ö"})


def _same(phrases: PhraseSet, text: str) -> None:
    n = normalize(text)
    expected = find_all(phrases.phrases, n)
    assert phrases.matches(n) == expected, text
    assert phrases.any(n) == bool(expected), text


def test_every_labelled_example_finds_the_same_phrases() -> None:
    assert len(ALL_TEXTS) > 300
    for phrases, text in itertools.product(SETS.values(), ALL_TEXTS):
        _same(phrases, text)


def test_every_corpus_message_finds_the_same_phrases() -> None:
    # The built-in crisis, abuse and harm tables: alternations, stems inside words,
    # spelled-out phrases, gaps that only modifiers may fill.
    for phrases, text in itertools.product(SETS.values(), CORPUS_TEXTS):
        _same(phrases, text)


def test_the_index_still_finds_listed_phrases() -> None:
    # Guards against a test above passing because nothing matches at all.
    hits = sum(bool(BLOCKLIST.matches(normalize(t))) for t in ALL_TEXTS)
    assert hits >= len(examples.BLOCKLIST_POSITIVE)
    assert CRISIS.any(normalize("haluan vaan kuolla"))
    assert EXTRA.any(normalize("mar daligt idag"))
    assert not EXTRA.any(normalize("mår bra idag"))


@pytest.mark.parametrize("name", sorted(SETS))
@settings(max_examples=300, deadline=None)
@given(picked=st.lists(st.sampled_from(WORDS), min_size=1, max_size=12))
def test_messages_made_of_listed_words_find_the_same_phrases(name: str,
                                                            picked: list[str]) -> None:
    _same(SETS[name], " ".join(picked))


def test_builtin_crisis_table_is_indexed_whole() -> None:
    assert CRISIS.phrases == crisis.PHRASES
