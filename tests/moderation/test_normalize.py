"""Normalisation: each obfuscation it undoes, and what it keeps."""

from __future__ import annotations

import pytest

from moderation.normalize import clean, digest, fold, normalize

ZW = "\u200b"


@pytest.mark.parametrize(("text", "word"), [
    ("IDIOT", "idiot"),
    ("idi" + ZW + "ot", "idiot"),  # zero-width space
    ("idi\u00adot", "idiot"),  # soft hyphen
    ("idi\u2060ot", "idiot"),  # word joiner
    ("\u202eidiot", "idiot"),  # bidi override
    ("іdіоt", "idiot"),  # Cyrillic
    ("ιdιοt", "idiot"),  # Greek
    ("ｉｄｉｏｔ", "idiot"),  # full-width
    ("𝐢𝐝𝐢𝐨𝐭", "idiot"),  # mathematical bold
    ("1d10t", "idiot"),
    ("$h!t", "shit"),
    ("@ss", "ass"),
    ("idíòt", "idiot"),  # accents
    ("i̶d̶i̶o̶t̶", "idiot"),  # combining strike-through
    ("i d i o t", "idiot"),
    ("t.a.p.a", "tapa"),
    ("i-d-i-o-t", "idiot"),
])
def test_obfuscations_are_undone(text: str, word: str) -> None:
    assert normalize(text).words == (word,)


def test_repeated_letters_give_variants() -> None:
    token = normalize("kuollaaaa").tokens[0]
    assert "kuolla" in token.variants and "kuollaa" in token.variants
    assert normalize("idiooooot").tokens[0].variants == ("idioot", "idiot")
    # Double letters are Finnish spelling, not emphasis: left alone.
    assert normalize("tappaa").tokens[0].variants == ("tappaa",)


def test_one_reads_as_i_or_l() -> None:
    assert set(normalize("k1ll").tokens[0].variants) >= {"kill"}
    assert set(normalize("1d1ot").tokens[0].variants) >= {"idiot"}


def test_numbers_stay_numbers() -> None:
    assert normalize("soita 112 tai 040 123").words == ("soita", "112", "tai", "040", "123")


def test_nordic_letters_are_kept_and_fold_is_separate() -> None:
    token = normalize("Höra").tokens[0]
    assert token.text == "höra" and token.nordic
    assert not normalize("hora").tokens[0].nordic
    assert fold("häät ålö") == "haat alo"
    assert normalize("Æble Ørn").words == ("äble", "örn")


def test_apostrophes_join_and_short_runs_of_letters_stay_words() -> None:
    assert normalize("don't you're").words == ("dont", "youre")
    assert normalize("I a m").words == ("iam",)  # three single letters: spelled out
    assert normalize("a b").words == ("a", "b")


def test_joined_form() -> None:
    assert normalize("you id iot!").joined == "youidiot"


def test_clean_keeps_digits_and_removes_invisibles() -> None:
    assert clean("０４０" + ZW + "１２３\t4") == "040123 4"


def test_digest_ignores_obfuscation_but_not_content() -> None:
    assert digest("Hei kaikki!") == digest("  HEI " + ZW + " kaikki")
    assert digest("hei kaikki") != digest("hei kaikille")
    assert len(digest("x")) == 16


def test_empty_and_symbol_only() -> None:
    assert normalize("").tokens == ()
    assert normalize("!!! ... ???").tokens == ()
