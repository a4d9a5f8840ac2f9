"""Text normalisation for matching: defeats trivial obfuscation, never used for display.

The pipeline, in order:

1. NFKC (full-width and styled letters become plain ones), then zero-width, bidirectional
   and other invisible characters are removed and control characters become spaces.
2. casefold, then Cyrillic and Greek look-alikes are mapped to Latin letters.
3. Accents are stripped, **except** that å, ä and ö are kept (æ and ø become ä and ö).
4. Words are split on anything that is not a letter or digit; apostrophes inside a word are
   dropped ("don't" -> "dont") and ``@ $ ! |`` inside or at the start of a word are kept as
   letters for step 5 ("$h!t"). A ``*`` inside or at the end of a word masks one letter
   each ("v*ttu", "f**k", "f***"): the word reads as the listed words it can stand for
   (:data:`moderation.lexicon.MASK_WORDS`), or without the stars when it fits none ("*hugs*").
5. In a word that has a letter, digits and symbols are read as letters
   (0->o 1->i/l 3->e 4->a 5->s 7->t 8->b @->a $->s !->i |->l). A word of digits stays digits.
6. Three or more single letters in a row are one word spelled out: "i d i o t", "t.a.p.a".
7. A run of three or more of the same letter is emphasis and could stand for one letter or
   two ("kuollaaaa", "idiooot"), so each word carries its plausible *variants*.

Why keep å ä ö: in Swedish and Finnish they are different letters, and folding them makes
innocent words collide with listed ones (Swedish "höra", to hear, would read as "hora").
But many people type without them on a foreign keyboard. So the rule used by the matcher is:
**a word written with å/ä/ö means what it says; a word written without them is compared with
å/ä/ö folded to a/a/o**. :func:`fold` gives that folded form.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import operator
import re
import unicodedata
from dataclasses import dataclass, field

from moderation.lexicon import MASK_WORDS

NORDIC = frozenset("åäö")

# Characters that render as nothing (or as blank space) but are not category Cf.
_INVISIBLE_EXTRA = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u034f")

# Look-alikes seen in evasion: Cyrillic and Greek letters that render as Latin ones. Applied
# after casefold, so only lower case is needed.
_HOMOGLYPHS = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "и": "u", "і": "i", "ї": "i",
    "ј": "j", "к": "k", "м": "m", "н": "h", "о": "o", "п": "n", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ь": "b",
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u",
    "ν": "v", "ο": "o", "ρ": "p", "σ": "o", "ς": "c", "τ": "t", "υ": "u", "χ": "x",
    "ω": "w", "æ": "ä", "ø": "ö", "ß": "ss", "ı": "i", "ł": "l", "đ": "d",
})

# Which characters the table maps: text without them (nearly all) is not translated, since a
# translation through a table costs per character once the text is not ASCII.
_HOMOGLYPH = re.compile("[" + re.escape("".join(chr(c) for c in _HOMOGLYPHS)) + "]")

# Digit and symbol swaps inside words. "1" and "|" stand for i or l, so both are tried.
_LEET = str.maketrans({"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                       "@": "a", "$": "s", "!": "i"})
_ONE_AS = ("i", "l")

_KEEP_MARKS = {("a", "\u0308"), ("o", "\u0308"), ("a", "\u030a")}

_WORD = re.compile(r"[@$]?[^\W_]+(?:['’@$!|*]+[^\W_]+)*[|*]*")
# Without any of those symbols (most messages) a word is a plain run of letters and digits,
# which this finds in half the time.
_PLAIN_WORD = re.compile(r"[^\W_]+")
_WORD_SYMBOL = re.compile(r"[@$'’!|*]")
_EMPHASIS = re.compile(r"(\w)\1{2,}")
_FOLD = str.maketrans("åäö", "aao")

# Runs of emphasised letters beyond this are all collapsed the same way (bounds the variants).
_MAX_EMPHASIS_RUNS = 4


# ASCII needs none of the Unicode steps: NFKC and NFD leave it alone, it has no invisible
# (Cf) characters, casefold is lower and no look-alike is ASCII. Most messages are ASCII.
_ASCII_CONTROLS = str.maketrans({c: " " for c in [*range(0x20), 0x7f]})
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Nor does text of ASCII and the Latin-1 letters (À-ÿ: Finnish and Swedish with their å ä ö,
# most of Western Europe): those letters are NFKC-stable and none is invisible. Most Finnish
# messages have an ä or an ö, and the step-by-step path cost them ~15 µs each.
_BEYOND_LATIN1 = re.compile(r"[^\x00-\x7f\u00c0-\u00ff]")
# After casefold, text of ASCII and å ä ö has no accent to strip.
_ACCENTED = re.compile(r"[^\x00-\x7fåäö]")


@functools.lru_cache(maxsize=32)
def clean(text: str) -> str:
    """NFKC-normalise and remove invisible characters; control characters become spaces.

    Safe for further regex work on the original letters and digits (the personal-details
    guard uses this form, since it needs the digits as typed).
    """
    if text.isascii() or not _BEYOND_LATIN1.search(text):
        return text.translate(_ASCII_CONTROLS) if _ASCII_CONTROL.search(text) else text
    out: list[str] = []
    for c in unicodedata.normalize("NFKC", text):
        cat = unicodedata.category(c)
        if cat == "Cf" or c in _INVISIBLE_EXTRA:
            continue
        out.append(" " if cat in ("Cc", "Zl", "Zp") else c)
    return "".join(out)


def strip_accents(text: str) -> str:
    """Remove combining marks (accents, strike-through...) but keep å, ä and ö."""
    if not _ACCENTED.search(text):
        return text
    out: list[str] = []
    for c in unicodedata.normalize("NFD", text):
        if unicodedata.combining(c):
            if out and (out[-1], c) in _KEEP_MARKS:
                out.append(c)
            continue
        out.append(c)
    return unicodedata.normalize("NFC", "".join(out))


def fold(word: str) -> str:
    """Fold å ä ö to a a o: the form compared when a word was typed without them."""
    return word.translate(_FOLD)


def has_nordic(word: str) -> bool:
    return not NORDIC.isdisjoint(word)


def letters_form(text: str) -> str:
    """Steps 1-3: clean, casefold, look-alikes mapped, accents stripped except å ä ö."""
    if text.isascii():
        return clean(text).lower()
    folded = clean(text).casefold()
    if _HOMOGLYPH.search(folded):
        folded = folded.translate(_HOMOGLYPHS)
    return strip_accents(folded)


@dataclass(frozen=True, slots=True)
class Token:
    """One word after normalisation.

    ``variants`` are the plausible readings (emphasis collapsed to one or two letters, "1" as
    i or l), most literal first; all keep å ä ö. Match against each of them.
    """

    variants: tuple[str, ...]
    # The first variant, the word as read (a field, not a property: it is read for every
    # token of every message).
    text: str = field(init=False, compare=False, repr=False)
    # True when the word was typed with å, ä or ö (it then means exactly what it says).
    nordic: bool = field(init=False, compare=False, repr=False)
    # The letters its variants start with (folded ones too unless ``nordic``).
    initials: frozenset[str] = field(init=False, compare=False, repr=False)
    # Its variants folded, space-separated, and its text folded: pieces of ``Normalized.hay``.
    hay: str = field(init=False, compare=False, repr=False)
    folded: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        variants = self.variants
        spaced = " ".join(variants)
        firsts = {v[0] for v in variants if v}
        if NORDIC.isdisjoint(spaced):  # nothing to fold (most words)
            nordic, hay, folded = False, spaced, variants[0]
        else:
            nordic = has_nordic(variants[0])
            if not nordic:
                firsts |= {fold(c) for c in firsts}
            hay, folded = fold(spaced), fold(variants[0])
        object.__setattr__(self, "text", variants[0])
        object.__setattr__(self, "nordic", nordic)
        object.__setattr__(self, "initials", frozenset(firsts))
        object.__setattr__(self, "hay", hay)
        object.__setattr__(self, "folded", folded)


@dataclass(frozen=True, slots=True)
class Normalized:
    """A message in matching form: ``tokens`` in order and ``joined``, every token's first
    variant run together without spaces (catches "id iot", "kill my self"). ``hay`` is every
    variant and ``joined`` between spaces, folded: what the phrase index searches."""

    tokens: tuple[Token, ...]
    joined: str
    hay: str

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(map(_TEXT, self.tokens))


def _delete_symbols(word: str) -> str:
    return word.replace("'", "").replace("’", "")


def _readings(word: str) -> list[str]:
    """Leet readings of one word that has at least one letter (masks resolved)."""
    word = _delete_symbols(word).translate(_LEET)
    if "1" not in word and "|" not in word:
        readings = [word]
    else:
        readings = [word.replace("1", a).replace("|", a) for a in _ONE_AS]
    if "*" not in word:
        return readings
    return list(dict.fromkeys(w for r in readings for w in _unmask(r)))


_MASKABLE: dict[int, tuple[str, ...]] = {}
for _w in MASK_WORDS:
    _MASKABLE[len(_w)] = (*_MASKABLE.get(len(_w), ()), _w)


def _unmask(word: str) -> list[str]:
    """The listed words that ``word`` with each ``*`` read as one letter can be; the word
    without its stars when it fits none."""
    mask = re.compile(".".join(re.escape(p) for p in word.split("*")))
    found = [w for w in _MASKABLE.get(len(word), ()) if mask.fullmatch(w)]
    return found or [word.replace("*", "")]


def _emphasis_variants(word: str) -> list[str]:
    if not _EMPHASIS.search(word):
        return [word]
    runs = list(_EMPHASIS.finditer(word))
    if len(runs) > _MAX_EMPHASIS_RUNS:
        return [_EMPHASIS.sub(r"\1\1", word), _EMPHASIS.sub(r"\1", word)]
    out: list[str] = []
    for lengths in itertools.product((2, 1), repeat=len(runs)):
        pieces: list[str] = []
        last = 0
        for run, n in zip(runs, lengths, strict=True):
            pieces.append(word[last:run.start()])
            pieces.append(run.group(1) * n)
            last = run.end()
        pieces.append(word[last:])
        out.append("".join(pieces))
    return out


# Words recur from message to message ("you", "today", "kiitos"): their readings are kept.
@functools.lru_cache(maxsize=4096)
def _token(word: str) -> Token | None:
    """The word's token; None for a word of nothing but symbols, or that reads as nothing."""
    if not word.strip("@$!|'’*"):
        return None
    if not any(c.isalpha() for c in word):
        token = Token((_delete_symbols(word).strip("@$!|*"),))
    else:
        seen: dict[str, None] = {}
        for reading in _readings(word):
            for v in _emphasis_variants(reading):
                seen.setdefault(v, None)
        token = Token(tuple(seen))
    return token if token.text else None


def _merge_spelled(words: list[str]) -> list[str]:
    """Join runs of three or more single letters: "i d i o t" -> "idiot"."""
    letters = 0
    for w in words:  # most messages have none ("I", "a" and "ja" alone are common)
        letters = letters + 1 if len(w) == 1 and w.isalpha() else 0
        if letters == 3:
            break
    else:
        return words
    out: list[str] = []
    run: list[str] = []
    for w in [*words, ""]:
        if len(w) == 1 and w.isalpha():
            run.append(w)
            continue
        if len(run) >= 3:
            out.append("".join(run))
        else:
            out.extend(run)
        run = []
        if w:
            out.append(w)
    return out


_TEXT = operator.attrgetter("text")
_HAY = operator.attrgetter("hay")
_FOLDED = operator.attrgetter("folded")


# A message is normalised by the filters and again for its digest in the sender's history:
# the last few are kept (in memory only, like the message itself at that point).
@functools.lru_cache(maxsize=32)
def normalize(text: str) -> Normalized:
    """Bring a message into matching form (see the module docstring for every step)."""
    form = letters_form(text)
    words = (_WORD if _WORD_SYMBOL.search(form) else _PLAIN_WORD).findall(form)
    # map and attrgetter run in C: with every word's token cached, this is most of the cost.
    tokens = tuple(filter(None, map(_token, _merge_spelled(words))))
    joined = "".join(map(_TEXT, tokens))
    hay = " ".join(["", *map(_HAY, tokens), "".join(map(_FOLDED, tokens)), ""])
    return Normalized(tokens, joined, hay)


def digest(text: str | Normalized) -> str:
    """A short hash of a message's normalised form, to spot repeats without keeping text.

    Two messages that differ only by case, accents, spacing or obfuscation get the same
    digest. Keep digests in memory only; they are not meant for storage.
    """
    n = text if isinstance(text, Normalized) else normalize(text)
    return hashlib.blake2b(fold(n.joined).encode(), digest_size=8).hexdigest()
