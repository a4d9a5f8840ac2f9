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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import ahocorasick

from moderation.normalize import Normalized, Token, fold, has_nordic, letters_form, normalize
from moderation.patterns import initials, needle_groups

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
# Words run together: at least 5 letters ("fag go" is not glued), from pieces of at most 5
# (obfuscation splits a word into short pieces; long words are just words).
MIN_GLUED = 5
MAX_GLUED_PIECE = 5
_ENTRY_WORD = re.compile(r"^[^\W_]+\*?$")


class EntryError(ValueError):
    """An admin-written list entry is not usable. The message names the problem only."""


@dataclass(frozen=True, slots=True)
class Part:
    """One word slot. ``strict_nordic`` refuses the folded comparison: "skär" then does
    not match "skar". ``glued`` is the pattern for words run together from several tokens
    (a stem's ending left out there: "who reads" must not read as "whore...")."""

    pattern: str
    strict_nordic: bool = False
    glued: str | None = None
    _exact: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _folded: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _glued_exact: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _glued_folded: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        glued = self.pattern if self.glued is None else self.glued
        object.__setattr__(self, "_exact", re.compile(self.pattern))
        object.__setattr__(self, "_folded", re.compile(fold(self.pattern)))
        object.__setattr__(self, "_glued_exact", re.compile(glued))
        object.__setattr__(self, "_glued_folded", re.compile(fold(glued)))

    @property
    def initials(self) -> frozenset[str] | None:
        """Letters a matching word can start with (folded ones included), or None if the
        pattern is too clever to tell. Lets a :class:`PhraseSet` skip most phrases."""
        firsts = initials(self.pattern)
        return None if firsts is None else firsts | {fold(c) for c in firsts}

    def matches(self, token: Token) -> bool:
        folded_too = not self.strict_nordic and not token.nordic
        for v in token.variants:
            if self._exact.fullmatch(v) or (folded_too and self._folded.fullmatch(v)):
                return True
        return False

    def matches_glued(self, word: str) -> bool:
        """Match words run together from several tokens."""
        if self._glued_exact.fullmatch(word):
            return True
        return not self.strict_nordic and not has_nordic(word) and bool(
            self._glued_folded.fullmatch(word))


@dataclass(frozen=True, slots=True)
class Phrase:
    """Word patterns in order. ``label`` identifies the phrase in tests and statistics.

    ``gaps[k]``: how many other words may stand between part ``k`` and part ``k + 1``
    (missing entries default to ``max_gap``).
    ``not_before``/``not_after``: a pattern that, matching the word just before the phrase or
    one of the two words after it, cancels the match ("kuolla nauruun", "50 kms").
    ``negatable``: a negator between the parts cancels the match ("du är ingen idiot");
    ``negation_window``: so does one among that many words before it ("don't kill yourself").
    ``not_within``: a pattern that, matching one of the ``within`` words before the phrase,
    cancels it ("I was such a fucking idiot": the insult is about the writer).
    ``fill[k]``: when set, every word in gap ``k`` must match it ("you" + up to three of
    "such, a, fucking, ..." + "idiot").
    ``glue``: a part may also match 2-4 short tokens run together ("you id iot"), when the
    joined word is at least ``MIN_GLUED`` letters long (shorter ones hide in innocent pairs),
    or when every one of them is a single letter ("jag vill d ö").
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
    not_within: Part | None = None
    within: int = 0
    fill: tuple[Part | None, ...] = ()

    def find(self, text: Normalized) -> bool:
        return any(self.find_at(text.tokens, i) for i in range(len(text.tokens)))

    def find_at(self, tokens: Sequence[Token], i: int) -> bool:
        """True if the phrase occurs starting at token ``i``."""
        for end in self._spans(0, tokens, i):
            if self._rest(tokens, i, end, 1):
                return True
        return False

    def _gap(self, k: int) -> int:
        return self.gaps[k] if k < len(self.gaps) else self.max_gap

    def _spans(self, k: int, tokens: Sequence[Token], i: int) -> Iterator[int]:
        """Where part ``k`` can end (exclusive) when it starts at token ``i``."""
        part = self.parts[k]
        if part.matches(tokens[i]):
            yield i + 1
        if not self.glue:
            return
        word = tokens[i].text
        if len(word) > MAX_GLUED_PIECE:
            return
        letters = len(word) == 1
        for j in range(i + 1, min(len(tokens), i + 4)):
            piece = tokens[j].text
            if len(piece) > MAX_GLUED_PIECE:
                return
            word += piece
            letters = letters and len(piece) == 1
            if (len(word) >= MIN_GLUED or letters) and part.matches_glued(word):
                yield j + 1

    def _rest(self, tokens: Sequence[Token], start: int, end: int, k: int) -> bool:
        if k == len(self.parts):
            return self._context_ok(tokens, start, end - 1)
        fill = self.fill[k - 1] if k - 1 < len(self.fill) else None
        for j in range(end, min(len(tokens), end + 1 + self._gap(k - 1))):
            if j > end:
                skipped = tokens[j - 1]
                if self.negatable and _is_negator(skipped):
                    break
                if fill is not None and not fill.matches(skipped):
                    break
            for e in self._spans(k, tokens, j):
                if self._rest(tokens, start, e, k + 1):
                    return True
        return False

    def _context_ok(self, tokens: Sequence[Token], start: int, last: int) -> bool:
        after = self.not_after
        if after is not None:
            for t in tokens[last + 1:last + 3]:
                if after.matches(t):
                    return False
        before = self.not_before
        if before is not None and start > 0 and before.matches(tokens[start - 1]):
            return False
        if self.negation_window:
            for t in tokens[max(0, start - self.negation_window):start]:
                if _is_negator(t):
                    return False
        within = self.not_within
        if within is not None:
            for t in tokens[max(0, start - self.within):start]:
                if within.matches(t):
                    return False
        return True


def _is_negator(token: Token) -> bool:
    return fold(token.text) in NEGATORS


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
        parts.append(Part(core + (r"\w*" if stem else ""), glued=core))
    return Phrase(tuple(parts), label or " ".join(words), gaps=tuple(gaps),
                  negatable=len(parts) > 1, negation_window=2 if len(parts) > 1 else 0,
                  glue=True)


def _plain(word: str) -> str:
    """An entry's word in token form (so "sh1t" in a list matches like a message would)."""
    tokens = normalize(word).tokens
    return tokens[0].text if len(tokens) == 1 else word


def find_all(phrases: Iterable[Phrase], text: Normalized) -> list[Phrase]:
    """Every phrase that occurs in ``text``."""
    return [p for p in phrases if p.find(text)]


def _union(patterns: Iterable[str]) -> re.Pattern[str] | None:
    """One alternation of many word patterns: a word fullmatches it iff it fullmatches one
    of them (none has a backreference or inline flag: they are built by this module)."""
    unique = dict.fromkeys(patterns)
    return re.compile("|".join(f"(?:{p})" for p in unique)) if unique else None


class _Gate:
    """A quick reject: can any phrase's first part match at token ``i``? One regex call per
    token variant (in C) instead of walking every candidate phrase in Python. It mirrors
    :meth:`Part.matches` and :meth:`Phrase._spans` (a superset: it may let a token through
    that no phrase then matches, never the reverse)."""

    __slots__ = ("exact", "folded", "glue", "glued_exact", "glued_folded", "seen")

    # Tokens are shared between messages (normalize caches them by word), so without glue
    # the answer for a token is remembered; the memo is cleared when it grows this large.
    SEEN_MAX = 8192

    def __init__(self, phrases: Sequence[Phrase]) -> None:
        firsts = [p.parts[0] for p in phrases]
        self.exact = _union(f.pattern for f in firsts)
        self.folded = _union(fold(f.pattern) for f in firsts if not f.strict_nordic)
        glued = [p.parts[0] for p in phrases if p.glue]
        self.glue = bool(glued)
        self.glued_exact = _union(f.pattern if f.glued is None else f.glued for f in glued)
        self.glued_folded = _union(fold(f.pattern if f.glued is None else f.glued)
                                   for f in glued if not f.strict_nordic)
        self.seen: dict[Token, bool] = {}

    def passes(self, tokens: Sequence[Token], i: int) -> bool:
        token = tokens[i]
        if self.glue:
            return self._passes(tokens, i)
        known = self.seen.get(token)
        if known is None:
            if len(self.seen) >= self.SEEN_MAX:
                self.seen.clear()
            known = self.seen[token] = self._passes(tokens, i)
        return known

    def _passes(self, tokens: Sequence[Token], i: int) -> bool:
        token = tokens[i]
        exact, folded = self.exact, None if token.nordic else self.folded
        for v in token.variants:
            if (exact is not None and exact.fullmatch(v)) or (folded is not None
                                                              and folded.fullmatch(v)):
                return True
        if not self.glue:
            return False
        word = token.text
        if len(word) > MAX_GLUED_PIECE:
            return False
        letters = len(word) == 1
        for j in range(i + 1, min(len(tokens), i + 4)):
            piece = tokens[j].text
            if len(piece) > MAX_GLUED_PIECE:
                return False
            word += piece
            letters = letters and len(piece) == 1
            if len(word) < MIN_GLUED and not letters:
                continue
            if self.glued_exact is not None and self.glued_exact.fullmatch(word):
                return True
            if (self.glued_folded is not None and not has_nordic(word)
                    and self.glued_folded.fullmatch(word)):
                return True
        return False


def spelled(phrase: Phrase) -> Phrase:
    """The phrase written as one word, for words spelled out letter by letter and merged
    ("h a i s t a  v i t t u" -> "haistavittu") or typed run together ("fuckyou")."""
    pattern = "".join(f"(?:{p.pattern})" for p in phrase.parts)
    part = Part(pattern, strict_nordic=any(p.strict_nordic for p in phrase.parts))
    return Phrase((part,), phrase.label, not_before=phrase.not_before,
                  not_after=phrase.not_after, negation_window=phrase.negation_window,
                  not_within=phrase.not_within, within=phrase.within)


class PhraseSet:
    """Many phrases, indexed so that a clean message costs little: a phrase of plain words
    is walked only when its words' letters all occur in the message (its longest word found
    by an Aho-Corasick automaton, the others by substring tests),
    one of cleverer patterns only at a token that passes :class:`_Gate`; then only the
    phrases whose first part can start with the token's letter are tried there."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.phrases = tuple(phrases)
        self._needles: list[tuple[tuple[str, ...], ...]] = [
            tuple(dict.fromkeys(g for q in p.parts for g in needle_groups(q.pattern, p.glue)))
            for p in self.phrases]
        # Keyed by the group of longest words: "you" is in many messages and starts nine
        # phrases, "idiot" is in few. Every word of that group is a key.
        self._keyed: dict[str, list[int]] = {}
        # The other groups, checked once a key is found: a substring test for one word, a
        # regular expression (in C) for several.
        self._checks: list[tuple[str | re.Pattern[str], ...]] = []
        unkeyed: list[int] = []
        for n, needles in enumerate(self._needles):
            if needles:
                rarest = max(needles, key=lambda g: (min(map(len, g)), -len(g)))
                for word in rarest:
                    self._keyed.setdefault(word, []).append(n)
            else:
                unkeyed.append(n)
            self._checks.append(tuple(
                g[0] if len(g) == 1 else re.compile("|".join(map(re.escape, g)))
                for g in needles if not needles or g is not rarest))
        self._unkeyed = frozenset(unkeyed)
        self._automaton: ahocorasick.Automaton | None = None
        if self._keyed:
            self._automaton = ahocorasick.Automaton()
            for key, ns in self._keyed.items():
                self._automaton.add_word(key, tuple(ns))
            self._automaton.make_automaton()
        self._gate = _Gate([self.phrases[n] for n in unkeyed]) if unkeyed else None
        # Letters a phrase's first word can start with (None: any), to skip it elsewhere.
        self._starts: list[frozenset[str] | None] = [p.parts[0].initials for p in self.phrases]

    def _present(self, text: Normalized) -> set[int]:
        """The plain-word phrases whose every word occurs somewhere in ``text`` (in a token,
        one of its variants, or words run together), folded."""
        if self._automaton is None:
            return set()
        hay = text.hay
        found: set[int] = set()
        for _, ns in self._automaton.iter(hay):
            found.update(ns)
        checks = self._checks
        present: set[int] = set()
        for n in found:
            for check in checks[n]:
                if isinstance(check, str):
                    if check not in hay:
                        break
                elif check.search(hay) is None:
                    break
            else:
                present.add(n)
        return present

    def matches(self, text: Normalized, *, first_only: bool = False) -> list[Phrase]:
        """The phrases that occur in ``text``, in table order (just one with first_only)."""
        tokens = text.tokens
        keyed = self._present(text)
        gate = self._gate
        if not keyed and gate is None:
            return []
        found: set[int] = set()
        starts = self._starts
        for i, token in enumerate(tokens):
            viable = keyed | self._unkeyed if gate and gate.passes(tokens, i) else keyed
            if not viable:
                continue
            initials = token.initials
            for n in sorted(viable - found):
                first = starts[n]
                if first is not None and first.isdisjoint(initials):
                    continue
                if self.phrases[n].find_at(tokens, i):
                    found.add(n)
                    if first_only:
                        return [self.phrases[n]]
        return [self.phrases[n] for n in sorted(found)]

    def any(self, text: Normalized) -> bool:
        return bool(self.matches(text, first_only=True))


def phrase(label: str, *parts: str, gaps: tuple[int, ...] = (), gap: int = 0,
           not_after: str | None = None, not_before: str | None = None,
           strict: tuple[int, ...] = (), negatable: bool = False, negation_window: int = 0,
           not_within: str | None = None, within: int = 0, glue: bool = False,
           fill: tuple[str | None, ...] = ()) -> Phrase:
    """A :class:`Phrase` from word patterns, for the built-in tables."""
    return Phrase(
        tuple(Part(p, strict_nordic=i in strict) for i, p in enumerate(parts)),
        label,
        max_gap=gap,
        gaps=gaps,
        not_after=Part(not_after) if not_after else None,
        not_before=Part(not_before) if not_before else None,
        negatable=negatable,
        negation_window=negation_window,
        not_within=Part(not_within) if not_within else None,
        within=within,
        glue=glue,
        fill=tuple(Part(f) if f else None for f in fill),
    )
