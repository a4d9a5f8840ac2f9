"""What a word pattern can start with and must contain, read off the pattern's text.

The phrase index (:class:`moderation.matching.PhraseSet`) keys each phrase on fixed letters
that every match must contain, so one Aho-Corasick pass over a message finds the few phrases
worth trying; its gate needs the letters a pattern can start with. Both are worked out here
from the simple regular expressions this package writes (alternatives, groups, stems ending
in ``\\w*``); for anything cleverer these return None and the caller falls back to trying
the pattern everywhere.
"""

from __future__ import annotations

import re

from moderation.normalize import fold

_META = set("\\()[]{}?*+.|^$")


def initials(pattern: str) -> frozenset[str] | None:
    """First letters of the top-level alternatives of a simple pattern ("tap(an|at)|kil"
    -> {t, k}); None when an alternative does not start with a plain letter."""
    alternatives: list[str] = []
    depth, current = 0, ""
    for c in pattern:
        if c == "|" and depth == 0:
            alternatives.append(current)
            current = ""
            continue
        depth += (c in "([") - (c in ")]")
        current += c
    alternatives.append(current)
    firsts: set[str] = set()
    for alt in alternatives:
        if alt.startswith("(?:"):
            # A spelled-out phrase: the first letters of its first group.
            groups = _joined_groups(alt)
            inner = initials(groups[0]) if groups else None
            if inner is None:
                return None
            firsts |= inner
            continue
        if not alt or alt[0] in _META or (len(alt) > 1 and alt[1] in "?*{"):
            return None
        firsts.add(alt[0])
    return frozenset(firsts)


_ANY = "\\w*"  # the "any letters" of stems, as written in patterns
_LETTERS = re.compile(r"[^\W_]+")
_GROUP = re.compile(r"\(([^()?\\\[\]{}*+.|^$]+(?:\|[^()?\\\[\]{}*+.|^$]*)*)\)")
_MAX_EXPANDED = 64


def _split_top(pattern: str, sep: str = "|") -> list[str]:
    """Split ``pattern`` at ``sep`` outside brackets."""
    out: list[str] = []
    depth, current = 0, ""
    for c in pattern:
        if c == sep and depth == 0:
            out.append(current)
            current = ""
            continue
        depth += (c in "([") - (c in ")]")
        current += c
    out.append(current)
    return out


def _joined_groups(pattern: str) -> list[str] | None:
    """``"(?:a|b)(?:c)"`` (a spelled-out phrase, see :func:`spelled`) -> ``["a|b", "c"]``."""
    groups: list[str] = []
    i = 0
    while i < len(pattern):
        if not pattern.startswith("(?:", i):
            return None
        depth, j = 0, i
        while j < len(pattern):
            depth += (pattern[j] == "(") - (pattern[j] == ")")
            j += 1
            if depth == 0:
                break
        if depth:
            return None
        groups.append(pattern[i + 3:j - 1])
        i = j
    return groups or None


def _expand(alt: str) -> list[str] | None:
    """``"it(se|te)(ni|äni)"`` -> the four spelled-out alternatives; groups of plain letters
    only (None when there are too many combinations)."""
    out = [alt]
    while True:
        expanded: list[str] = []
        for a in out:
            m = _GROUP.search(a)
            if m is None:
                expanded.append(a)
                continue
            expanded += [a[:m.start()] + x + a[m.end():] for x in m.group(1).split("|")]
        if expanded == out:
            return out
        if len(expanded) > _MAX_EXPANDED:
            return None
        out = expanded


def _alt_needle(alt: str, spaced: bool) -> str | None:
    """Text that every match of one alternative puts into the hay: its leading letters
    (after an optional ``\\w*``), spaced as a word, a stem or an infix."""
    infix = alt.startswith(_ANY)
    rest = alt[len(_ANY):] if infix else alt
    m = _LETTERS.match(rest)
    if m is None:
        return None
    core, tail = m.group(0), rest[m.end():]
    if tail[:1] in ("?", "*", "+", "{"):
        core, tail = core[:-1], "?"  # the last letter may be missing or repeated
    if not core:
        return None
    word = not infix and tail == ""
    stem = tail == _ANY or (tail != "" and not word)
    core = fold(core)
    if not spaced:
        return core
    return ("" if infix else " ") + core + ("" if stem else " ")


def _alternatives(pattern: str, spaced: bool) -> tuple[str, ...] | None:
    """Text, one piece of which every match of ``pattern`` puts into :meth:`PhraseSet._hay`
    (folded): a word is `` word ``, a stem `` stem``, ``\\w*core\\w*`` is ``core``; words
    run together (``spaced=False``) give the bare core. None when an alternative is cleverer."""
    out: dict[str, None] = {}
    for alt in _split_top(pattern):
        for a in _expand(alt) or [""]:
            needle = _alt_needle(a, spaced)
            if needle is None:
                return None
            out.setdefault(needle, None)
    return tuple(out) or None


def _words(pattern: str) -> list[tuple[str, bool]] | None:
    """The alternatives of ``pattern`` as (folded letters, whether that is the whole word);
    None when one of them does not start with its letters."""
    out: list[tuple[str, bool]] = []
    for alt in _split_top(pattern):
        for a in _expand(alt) or [""]:
            if a.startswith(_ANY):
                return None
            m = _LETTERS.match(a)
            if m is None or a[m.end():][:1] in ("?", "*", "+", "{"):
                return None
            out.append((fold(m.group(0)), m.end() == len(a)))
    return out


def _prefixes(groups: list[str]) -> tuple[str, ...] | None:
    """How a word spelled from ``groups`` run together starts: " " and the first group's
    word and, where that is a whole word, the second group's letters ("(?:no)(?:one)..."
    -> " noone"). None when the first group is too clever."""
    first = _words(groups[0])
    if first is None:
        return None
    second = _words(groups[1]) if len(groups) > 1 else None
    out: dict[str, None] = {}
    for core, whole in first:
        if whole and second is not None:
            for nxt, _ in second:
                out.setdefault(" " + core + nxt, None)
        else:
            out.setdefault(" " + core, None)
        if len(out) > 4 * _MAX_EXPANDED:
            return tuple(dict.fromkeys(" " + c for c, _ in first))
    return tuple(out)


def needle_groups(pattern: str, glue: bool) -> list[tuple[str, ...]]:
    """The needle groups of one part: each group's text must be in the hay for the part to
    match (any one alternative of a group will do)."""
    joined = _joined_groups(pattern) if pattern.startswith("(?:") else None
    if joined is not None:
        # A whole token: it starts with the first group, the rest are inside it.
        groups = [_prefixes(joined)] + [_alternatives(g, spaced=False) for g in joined[1:]]
    else:
        groups = [_alternatives(pattern, spaced=not glue)]
    return [g for g in groups if g]
