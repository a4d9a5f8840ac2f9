"""Pseudonyms: NFKC, 2-32 characters, no hidden characters, unique, not passing for staff."""

from __future__ import annotations

import pytest

from moderation.names import NameProblem, check_pseudonym, normalise, skeleton


def test_a_good_name_comes_back_normalised() -> None:
    assert check_pseudonym("  Sininen   lintu ") == "Sininen lintu"
    assert check_pseudonym("Ｍａｒｊａ") == "Marja"  # NFKC: full-width letters
    assert check_pseudonym("Åsa-Löv") == "Åsa-Löv"
    assert normalise("a\u00a0b") == "a b"


@pytest.mark.parametrize(("raw", "problem"), [
    ("a", NameProblem.TOO_SHORT),
    ("  ", NameProblem.TOO_SHORT),
    ("12", NameProblem.TOO_SHORT),  # needs a letter
    ("x" * 33, NameProblem.TOO_LONG),
    ("Anna\u200b", NameProblem.FORBIDDEN_CHARACTER),  # zero-width space
    ("\u202eanna", NameProblem.FORBIDDEN_CHARACTER),  # bidi override
    ("an\u2066na", NameProblem.FORBIDDEN_CHARACTER),  # bidi isolate
    ("anna<script>", NameProblem.FORBIDDEN_CHARACTER),
    ("an\x07na", NameProblem.FORBIDDEN_CHARACTER),  # control character
])
def test_refused(raw: str, problem: NameProblem) -> None:
    assert check_pseudonym(raw) is problem


def test_length_limits_are_inclusive() -> None:
    assert check_pseudonym("ab") == "ab"
    assert check_pseudonym("x" * 32) == "x" * 32


def test_taken_case_insensitively() -> None:
    assert check_pseudonym("MARJA", present=["marja"]) is NameProblem.TAKEN
    assert check_pseudonym("Marja", present=["Marjo"]) == "Marja"


@pytest.mark.parametrize("raw", [
    "Ohjaaja", "ohjaaja_2", "0hjaaja", "Ryhmänohjaaja", "Moderaattori", "admin", "Adm1n",
    "Handledare", "Facilitator", "sta ff", "Ylläpito",
])
def test_role_words_look_like_staff(raw: str) -> None:
    assert check_pseudonym(raw) is NameProblem.LOOKS_LIKE_STAFF


def test_look_alikes_of_staff_names() -> None:
    staff = ["Tuija (ohjaus)", "Mikko"]
    assert check_pseudonym("M1kko", staff=staff) is NameProblem.LOOKS_LIKE_STAFF
    assert check_pseudonym("mikkko", staff=staff) is NameProblem.LOOKS_LIKE_STAFF
    assert check_pseudonym("Mikaela", staff=staff) == "Mikaela"
    assert skeleton("Mïkko") == skeleton("MIKKO")


@pytest.mark.parametrize("raw", [
    "аdmin",  # Cyrillic а
    "Fасilitator",  # Cyrillic а and с
    "Ꭺdmin",  # Cherokee letter GO
    "ꓮdmin",  # Lisu letter A
    "Ѕtaff",  # Cyrillic DZE
    "Μoderator",  # Greek capital MU
])
def test_confusable_letters_of_other_scripts_look_like_staff(raw: str) -> None:
    assert check_pseudonym(raw) is NameProblem.LOOKS_LIKE_STAFF


def test_confusable_letters_imitate_staff_and_present_names() -> None:
    assert check_pseudonym("Sаnna", staff=["Sanna"]) is NameProblem.LOOKS_LIKE_STAFF
    assert check_pseudonym("Ѕanna", staff=["Sanna"]) is NameProblem.LOOKS_LIKE_STAFF
    assert check_pseudonym("Tyyni Sаukko", present=["Tyyni Saukko"]) is NameProblem.TAKEN
    assert check_pseudonym("ТYYNI SAUKKO", present=["Tyyni Saukko"]) is NameProblem.TAKEN
    # Other scripts are welcome in names of their own; accents still tell names apart.
    assert check_pseudonym("Мария") == "Мария"
    assert check_pseudonym("Säde", present=["Sade"]) == "Säde"
