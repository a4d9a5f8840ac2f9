"""Pseudonym rules: what a participant may be called in a room.

A pseudonym protects anonymity and must not let anyone pass for a facilitator, so names are
compared by a *skeleton* that folds case, accents, look-alike digits and repeated letters,
and every character Unicode lists as confusable with another (UTS #39, the data that the
confusable-homoglyphs package ships: a Cyrillic а, a Cherokee Ꭺ) to one of its class.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Iterable
from enum import StrEnum
from importlib import resources

MIN_LENGTH = 2
MAX_LENGTH = 32

# Categories that can hide or reorder text: controls, format characters (zero-width joiners,
# bidirectional overrides), private use, surrogates, unassigned, line/paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
_ALLOWED_PUNCTUATION = frozenset(" -_.'")

# Digit-for-letter and symbol swaps people use to dodge a name check.
_LOOKALIKES = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                             "8": "b", "@": "a", "$": "s", "!": "i", "|": "i", "l": "i"})

# Words that mark a role. A participant's name may not contain them in any UI language.
RESERVED_WORDS = (
    "ohjaaja", "ryhmanohjaaja", "kokemusasiantuntija", "valvoja", "moderaattori", "yllapitaja",
    "yllapito", "handledare", "gruppledare", "erfarenhetsexpert", "administrator", "admin",
    "moderator", "facilitator", "staff",
)


class NameProblem(StrEnum):
    """Why a chosen pseudonym was refused; the value is the protocol error code."""

    TOO_SHORT = "name_too_short"
    TOO_LONG = "name_too_long"
    FORBIDDEN_CHARACTER = "name_forbidden_character"
    TAKEN = "name_taken"
    LOOKS_LIKE_STAFF = "name_looks_like_staff"


@functools.cache
def _confusables() -> dict[str, str]:
    """Each character of a UTS #39 confusable class mapped to one member of the class (an
    ASCII letter where the class has one). The package's table lists every pair in both
    directions; the classes are its connected components."""
    table = json.loads((resources.files("confusable_homoglyphs") / "confusables.json")
                       .read_text(encoding="utf-8"))
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        while parent.setdefault(c, c) != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for char, entries in table.items():
        for entry in entries:
            other = entry["c"].replace("\u200e", "")
            if len(char) == 1 and len(other) == 1:
                parent[find(char)] = find(other)
    classes: dict[str, list[str]] = {}
    for c in list(parent):
        classes.setdefault(find(c), []).append(c)

    def rank(c: str) -> tuple[int, str]:
        return (0 if c.isascii() and c.islower() else 1 if c.isascii() and c.isalpha()
                else 2 if c.isascii() else 3, c)

    return {c: min(members, key=rank) for members in classes.values() for c in members}


def confusable_key(name: str) -> str:
    """Two names with the same key look the same (UTS #39 skeleton, case folded)."""
    table = _confusables()
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", name))
    for _ in range(2):  # a capital's look-alike, then the look-alikes of its small letter
        text = unicodedata.normalize("NFD", "".join(table.get(c, c) for c in text).casefold())
    # UTS #39 maps a capital I to l, so case folding would part "TYYNI" from "tyyni".
    return text.replace("l", "i")


def normalise(raw: str) -> str:
    """NFKC-normalise and collapse runs of white space; the form that is stored and shown."""
    return " ".join(unicodedata.normalize("NFKC", raw).split())


def skeleton(name: str) -> str:
    """A folded form for comparisons: two names with the same skeleton look alike."""
    decomposed = unicodedata.normalize("NFKD", confusable_key(name))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    letters = letters.translate(_LOOKALIKES)
    letters = "".join(c for c in letters if c.isalnum())
    out: list[str] = []
    for c in letters:
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


_RESERVED_SKELETONS = tuple(skeleton(w) for w in RESERVED_WORDS)


def check_pseudonym(
    raw: str, *, present: Iterable[str] = (), staff: Iterable[str] = ()
) -> str | NameProblem:
    """Return the normalised name if a participant may use it here, else the problem.

    ``present`` are the names of the room's present members (compared by their confusable
    key: case and look-alike characters folded); ``staff`` are staff display names a
    participant must not imitate.
    """
    name = normalise(raw)
    for c in name:
        if unicodedata.category(c) in _FORBIDDEN_CATEGORIES:
            return NameProblem.FORBIDDEN_CHARACTER
        if not (c.isalnum() or c in _ALLOWED_PUNCTUATION or unicodedata.combining(c)):
            return NameProblem.FORBIDDEN_CHARACTER
    if len(name) < MIN_LENGTH or not any(c.isalpha() for c in name):
        return NameProblem.TOO_SHORT
    if len(name) > MAX_LENGTH:
        return NameProblem.TOO_LONG
    key = confusable_key(name)
    if any(key == confusable_key(other) for other in present):
        return NameProblem.TAKEN
    skel = skeleton(name)
    if any(word in skel for word in _RESERVED_SKELETONS):
        return NameProblem.LOOKS_LIKE_STAFF
    if any(skel == skeleton(s) for s in staff):
        return NameProblem.LOOKS_LIKE_STAFF
    return name
