"""Normalisation: each obfuscation it undoes, and what it keeps."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation import normalize as normalize_module
from moderation.normalize import clean, digest, fold, letters_form, normalize

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


# --- the shortcuts for ASCII and Latin-1 text give what every step would -------------------

def _clean_step_by_step(text: str) -> str:
    out = []
    for c in unicodedata.normalize("NFKC", text):
        cat = unicodedata.category(c)
        if cat == "Cf" or c in normalize_module._INVISIBLE_EXTRA:
            continue
        out.append(" " if cat in ("Cc", "Zl", "Zp") else c)
    return "".join(out)


def _letters_step_by_step(text: str) -> str:
    out: list[str] = []
    folded = _clean_step_by_step(text).casefold().translate(normalize_module._HOMOGLYPHS)
    for c in unicodedata.normalize("NFD", folded):
        if unicodedata.combining(c):
            if out and (out[-1], c) in normalize_module._KEEP_MARKS:
                out.append(c)
            continue
        out.append(c)
    return unicodedata.normalize("NFC", "".join(out))


# Where the shortcuts end: controls, Latin-1 and beyond it, combining marks, invisibles,
# look-alikes, compatibility forms.
_EDGES = ("\t\n\r\x00\x1f\x7f\x80\x85\x9f\xa0\xad\xb2\xbc\xbf\xc0\xc5\xd7\xdf\xe4\xe5"
          "\xe6\xf6\xf7\xf8\xff\u0100\u0301\u0308\u030a\u200b\u2060\u202e\u0430\u03bf"
          "\u0131\u0142\uff41\U0001d422 aAoOzZ09!@$*'’")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(_EDGES) | st.characters(max_codepoint=0x3ff),
               max_size=40))
def test_shortcuts_give_what_every_step_gives(text: str) -> None:
    assert clean.__wrapped__(text) == _clean_step_by_step(text)
    assert letters_form(text) == _letters_step_by_step(text)


def test_finnish_text_keeps_its_letters_and_loses_its_controls() -> None:
    assert clean("Tänään\toli\x00hyvä päivä") == "Tänään oli hyvä päivä"
    assert letters_form("TÄNÄÄN Ærligt Øl Straße") == "tänään ärligt öl strasse"
    assert letters_form("Crème brûlée, Åbo") == "creme brulee, åbo"
