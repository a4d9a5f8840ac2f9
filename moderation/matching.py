"""Phrase matching over normalised tokens, shared by the blocklist and the crisis filter.

A :class:`Phrase` is a sequence of word patterns that must appear in order, with at most
``max_gap`` other words between neighbours (so "haluan vaan kuolla" matches "haluan kuolla").
Word patterns are regular expressions written with å ä ö where the word has them; see
:mod:`moderation.normalize` for how words typed without å ä ö are compared.

Admins write entries in a tiny language instead of regular expressions
(:func:`compile_entry`): words separated by spaces, a trailing ``*`` for "any ending", e.g.
``itsemurh*`` or ``tapa itsesi``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from moderation.normalize import Normalized, Token, fold, letters_form, normalize

# Words that, between the parts of a phrase, turn it around ("you're not an idiot",
# "du är ingen idiot", "et ole yksin"). "en" is left out: it is also a Swedish article.
NEGATORS = frozenset({
    "not", "never", "no", "dont", "didnt", "isnt", "arent", "wont", "cant",
    "inte", "ingen", "inget", "aldrig", "ej",
    "ei", "et", "emme", "ette", "eivat", "ikina", "ala", "alkaa", "alkakaa",
})

MAX_ENTRY_LENGTH = 100
GAP = "..."
ENTRY_GAP = 2  # how many words "..." stands for
_ENTRY_WORD = re.compile(r"^[^\W_]+\*?$")


class EntryError(ValueError):
    """An admin-written list entry is not usable. The message names the problem only."""


@dataclass(frozen=True, slots=True)
class Part:
    """One word slot. ``strict_nordic`` refuses the folded comparison: "skär" then does
    not match "skar"."""

    pattern: str
    strict_nordic: bool = False
    _exact: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _folded: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_exact", re.compile(self.pattern))
        object.__setattr__(self, "_folded", re.compile(fold(self.pattern)))

    def matches(self, token: Token) -> bool:
        for v in token.variants:
            if self._exact.fullmatch(v):
                return True
            if not self.strict_nordic and not token.nordic and self._folded.fullmatch(v):
                return True
        return False

    def matches_text(self, word: str) -> bool:
        """Match a bare string (used for words glued from several tokens)."""
        if self._exact.fullmatch(word):
            return True
        return not self.strict_nordic and not any(c in "åäö" for c in word) and bool(
            self._folded.fullmatch(word))


@dataclass(frozen=True, slots=True)
class Phrase:
    """Word patterns in order. ``label`` identifies the phrase in tests and statistics.

    ``gaps[k]``: how many other words may stand between part ``k`` and part ``k + 1``
    (missing entries default to ``max_gap``).
    ``not_before``/``not_after``: a pattern that, matching the word just before the phrase or
    one of the two words after it, cancels the match ("kuolla nauruun", "50 kms").
    ``negatable``: a negator between the parts cancels the match ("du är ingen idiot");
    ``negation_window``: so does one among that many words before it ("don't kill yourself").
    ``glue``: a one-word phrase may also match words run together from 2-4 tokens
    ("id iot"); only for words long enough not to hide inside innocent pairs.
    """

    parts: tuple[Part, ...]
    label: str
    max_gap: int = 0
    gaps: tuple[int, ...] = ()
    not_before: Part | None = None
    not_after: Part | None = None
    negatable: bool = False
    negation_window: int = 0
    glue: bool = False

    def find(self, text: Normalized) -> bool:
        tokens = text.tokens
        first = self.parts[0]
        for i, tok in enumerate(tokens):
            if first.matches(tok) and self._rest(tokens, i, i, 1):
                return True
        return self.glue and len(self.parts) == 1 and _glued(tokens, first)

    def _gap(self, k: int) -> int:
        return self.gaps[k] if k < len(self.gaps) else self.max_gap

    def _rest(self, tokens: Sequence[Token], start: int, at: int, k: int) -> bool:
        if k == len(self.parts):
            return self._context_ok(tokens, start, at)
        part = self.parts[k]
        for j in range(at + 1, min(len(tokens), at + 2 + self._gap(k - 1))):
            if self.negatable and any(_is_negator(t) for t in tokens[at + 1:j]):
                break
            if part.matches(tokens[j]) and self._rest(tokens, start, j, k + 1):
                return True
        return False

    def _context_ok(self, tokens: Sequence[Token], start: int, last: int) -> bool:
        after = self.not_after
        if after is not None and any(after.matches(t) for t in tokens[last + 1:last + 3]):
            return False
        before = self.not_before
        if before is not None and start > 0 and before.matches(tokens[start - 1]):
            return False
        window = tokens[max(0, start - self.negation_window):start]
        return not any(_is_negator(t) for t in window)


def _is_negator(token: Token) -> bool:
    return fold(token.text) in NEGATORS


def _glued(tokens: Sequence[Token], part: Part) -> bool:
    for i in range(len(tokens)):
        word = tokens[i].text
        for j in range(i + 1, min(len(tokens), i + 4)):
            word += tokens[j].text
            if len(word) > 24:
                break
            if part.matches_text(word):
                return True
    return False


def parse_entry(entry: str) -> tuple[str, ...]:
    """Normalise an admin-written entry into its words (each maybe ending in ``*``).

    Raises :class:`EntryError` when the entry is empty, too long or has characters other
    than letters, digits, spaces and ``*`` at the end of a word.
    """
    if not isinstance(entry, str) or not entry.strip():
        raise EntryError("entry is empty")
    if len(entry) > MAX_ENTRY_LENGTH:
        raise EntryError(f"entry is longer than {MAX_ENTRY_LENGTH} characters")
    words = tuple(letters_form(entry).split())
    for k, w in enumerate(words):
        if w == GAP:
            if k == 0 or k == len(words) - 1 or words[k - 1] == GAP:
                raise EntryError("... must stand between two words")
        elif not _ENTRY_WORD.match(w):
            raise EntryError("entry may hold only letters, digits, spaces, ... and a final *")
    return words


def entry_key(entry: str) -> str:
    """The canonical form of an entry, for comparing an admin's "disabled" list."""
    return " ".join(parse_entry(entry))


def compile_entry(entry: str, *, label: str = "") -> Phrase:
    """Compile ``"tapa itsesi"``, ``"itsemurh*"`` or ``"you are ... idiot"`` into a
    :class:`Phrase`. Phrases of several words are negatable (also by one of the two words
    before them); ``...`` allows two other words there."""
    words = parse_entry(entry)
    parts: list[Part] = []
    gaps: list[int] = []
    gap = 0
    for w in words:
        if w == GAP:
            gap = ENTRY_GAP
            continue
        if parts:
            gaps.append(gap)
        gap = 0
        stem = w.endswith("*")
        core = re.escape(_plain(w.rstrip("*")))
        parts.append(Part(core + (r"\w*" if stem else "")))
    long_enough = len(parts) == 1 and len(fold(words[0].rstrip("*"))) >= 5
    return Phrase(tuple(parts), label or " ".join(words), gaps=tuple(gaps),
                  negatable=len(parts) > 1, negation_window=2 if len(parts) > 1 else 0,
                  glue=long_enough)


def _plain(word: str) -> str:
    """An entry's word in token form (so "sh1t" in a list matches like a message would)."""
    tokens = normalize(word).tokens
    return tokens[0].text if len(tokens) == 1 else word


def find_all(phrases: Iterable[Phrase], text: Normalized) -> list[Phrase]:
    """Every phrase that occurs in ``text``."""
    return [p for p in phrases if p.find(text)]
