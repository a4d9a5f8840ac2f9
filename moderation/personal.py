"""Detectors for personal details that could identify the sender (or someone else).

Each ``find_*`` function takes text already passed through
:func:`moderation.normalize.clean` (NFKC, invisible characters removed; full-width digits
are then plain digits) and answers whether the text holds such a detail. They lean towards
precision: a hit asks the sender to confirm, so a miss is a lost warning while a false hit
is an extra question; dates, times, prices and road numbers must not trigger them.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import re
from collections.abc import Iterable, Sequence

import ahocorasick

# --- phone numbers ---------------------------------------------------------------------

# Digit groups separated by single spaces, hyphens or parentheses. Dots and slashes are left
# out on purpose: with them, dates ("01.02.2024") and times ("09.30-10.30") look like numbers.
_RUN = re.compile(r"(?<![\w/.,])\+?\(?\d+\)?(?:[ \-]{1,2}\(?\d+\)?)*(?![\w/]|[.,]\d)")
_GROUP = re.compile(r"\+?\(?\d+\)?")
_MAX_GROUPS = 6
_DATE_LIKE = re.compile(r"\d{1,2}-\d{1,2}-\d{2,4}|\d{4}-\d{1,2}-\d{1,2}")
_NANP = re.compile(r"\(?\d{3}\)?[ -]\d{3}[ -]\d{4}")
# The fewest digits any number _looks_like_phone takes (a national one, or one written digit
# by digit in more than _MAX_GROUPS groups).
_MIN_DIGITS = 7


def canonical_number(number: str) -> str:
    """Digits only, with +358 / 00358 written as the Finnish trunk prefix 0."""
    digits = "".join(c for c in number if c.isdigit())
    stripped = number.strip()
    if stripped.startswith("+358"):
        return "0" + digits[3:]
    if stripped.startswith("00358"):
        return "0" + digits[5:]
    return digits


def _looks_like_phone(raw: str) -> bool:
    raw = raw.strip()
    digits = "".join(c for c in raw if c.isdigit())
    groups = re.findall(r"\d+", raw)
    if raw.startswith(("+", "00")):
        # International: a country code and a subscriber number, 8 to 15 digits (E.164).
        return 8 <= len(digits) <= 15
    if _DATE_LIKE.fullmatch(raw):
        return False
    if raw.startswith("0"):
        # National Finnish (and Swedish, UK...) format: trunk 0, 7 to 12 digits, written in
        # groups of at least two (so "0 5 10 15" is a list, not a number), or digit by digit
        # ("0 4 0 1 2 3 4 5 6 7", to dodge a filter).
        return 7 <= len(digits) <= 12 and (all(len(g) >= 2 for g in groups)
                                           or (len(digits) >= 8 and len(groups) == len(digits)))
    return bool(_NANP.fullmatch(raw))


# The letter O typed for a zero next to digits: "O4O 123 4567".
_LETTER_ZERO = re.compile(r"(?<=\d)[oO]|[oO](?=\d)")


@functools.lru_cache(maxsize=256)
def _canonical_set(allowed: tuple[str, ...]) -> frozenset[str]:
    return frozenset(canonical_number(a) for a in allowed)


def find_phone(text: str, allowed: Iterable[str] = ()) -> bool:
    """True if ``text`` holds a phone number that is not in ``allowed`` (compared by digits,
    so "+358 9 2525 0111" is the same as "09 2525 0111")."""
    allowed_set = _canonical_set(tuple(allowed))
    if "o" in text or "O" in text:
        text = _LETTER_ZERO.sub("0", text)
    for run in _RUN.finditer(text):
        # A run can join a number to its neighbours ("vuonna 2019 040 123 4567 kahdesti"), so
        # stretches of consecutive digit groups are tried; an allowed number is skipped whole
        # first, so that a part of it ("+358 9 2525") is not taken for another number.
        raw_run = run.group(0)
        if sum(c.isdigit() for c in raw_run) < _MIN_DIGITS:
            continue  # "30 päivää", "klo 18": too few digits for any stretch of it
        groups = [g.span() for g in _GROUP.finditer(raw_run)]
        if (len(groups) > _MAX_GROUPS and all(e - s == 1 for s, e in groups)
                and canonical_number(raw_run) not in allowed_set
                and _looks_like_phone(raw_run)):
            return True  # written digit by digit: "0 4 0 1 2 3 4 5 6 7"
        i = 0
        while i < len(groups):
            ends = range(min(len(groups), i + _MAX_GROUPS) - 1, i - 1, -1)
            stretches = [(j, raw_run[groups[i][0]:groups[j][1]]) for j in ends]
            allowed_end = next((j for j, raw in stretches
                                if canonical_number(raw) in allowed_set), None)
            if allowed_end is not None:
                i = allowed_end + 1
                continue
            if any(_looks_like_phone(raw) for _, raw in stretches):
                return True
            i += 1
    return False


# --- phone numbers written in words ----------------------------------------------------

# Digits 0-9 as words, in the forms people type (spoken Finnish, without å ä ö too).
_DIGIT_WORDS = {
    # Finnish
    "nolla": 0, "yksi": 1, "yks": 1, "kaksi": 2, "kaks": 2, "kolme": 3, "neljä": 4,
    "nelja": 4, "viisi": 5, "viis": 5, "kuusi": 6, "kuus": 6, "seitsemän": 7,
    "seitseman": 7, "seittemän": 7, "seitteman": 7, "seiska": 7, "kahdeksan": 8,
    "kaheksan": 8, "kasi": 8, "yhdeksän": 9, "yhdeksan": 9, "yheksän": 9, "yheksan": 9,
    "ysi": 9,
    # Swedish ("en" is left out: it is also "a")
    "noll": 0, "ett": 1, "två": 2, "tva": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6,
    "sju": 7, "åtta": 8, "atta": 8, "nio": 9,
    # English
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9,
}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
          "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
          "tio": 10, "elva": 11, "tolv": 12, "tretton": 13, "fjorton": 14, "femton": 15,
          "sexton": 16, "sjutton": 17, "arton": 18, "nitton": 19, "kymmenen": 10}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90, "tjugo": 20, "trettio": 30, "tretti": 30, "fyrtio": 40,
         "förti": 40, "forti": 40, "femtio": 50, "sextio": 60, "sjuttio": 70, "åttio": 80,
         "attio": 80, "nittio": 90}
_REPEAT = {"double": 2, "triple": 3, "dubbel": 2, "tuplat": 2, "tupla": 2}
# Finnish compounds: "nelkytneljä" (44), "satakakskytkolme" (123), "kolmetoista" (13).
_FI_UNIT = "|".join(sorted((w for w in _DIGIT_WORDS if w.isalpha()), key=len, reverse=True))
_FI_NUMBER = re.compile(
    rf"(?:(?P<h>{_FI_UNIT})?(?P<sata>sataa|sata))?"
    rf"(?:(?P<t>{_FI_UNIT}|nel)(?:kymmentä|kymmenta|kytä|kyta|kyt)|(?P<ten>kymmenen)"
    rf"|(?P<teen>{_FI_UNIT})(?:toista|toist))?"
    rf"(?P<u>{_FI_UNIT})?")
_SV_UNITS = {"ett": 1, "två": 2, "tva": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7,
             "åtta": 8, "atta": 8, "nio": 9}
_SV_UNIT = "|".join(_SV_UNITS)
_SV_TEN = "|".join(w for w in _TENS if w.isalpha() and not w.endswith("y"))
_SV_NUMBER = re.compile(
    rf"(?:(?P<h>{_SV_UNIT})?(?P<hundra>hundra))?(?P<t>{_SV_TEN})?(?P<u>{_SV_UNIT})?")


def _compound(word: str) -> int | None:
    """The value of a Finnish or Swedish compound numeral ("nelkytneljä", "satakakskyt-
    kolme", "niohundraåttiosju"), or None."""
    m = _FI_NUMBER.fullmatch(word)
    if m and m.group(0):
        value = 0
        if m.group("sata"):
            value += 100 * (_DIGIT_WORDS[m.group("h")] if m.group("h") else 1)
        if m.group("t"):
            value += 10 * (4 if m.group("t") == "nel" else _DIGIT_WORDS[m.group("t")])
        if m.group("ten"):
            value += 10
        if m.group("teen"):
            value += 10 + _DIGIT_WORDS[m.group("teen")]
        if m.group("u"):
            value += _DIGIT_WORDS[m.group("u")]
        return value or None
    m = _SV_NUMBER.fullmatch(word)
    if m and m.group(0) and (m.group("t") or m.group("hundra")):
        value = 0
        if m.group("hundra"):
            value += 100 * (_SV_UNITS[m.group("h")] if m.group("h") else 1)
        if m.group("t"):
            value += _TENS[m.group("t")]
        if m.group("u"):
            value += _SV_UNITS[m.group("u")]
        return value
    return None


# Every simple number word with its value.
_NUMBERS: dict[str, int] = {**_DIGIT_WORDS, **_TEENS, **_TENS}


@functools.lru_cache(maxsize=4096)
def _spoken(word: str) -> int | None:
    """The number a word stands for in a spoken phone number ("neljä" 4, "nelkytneljä" 44,
    "sjuttiotre" 73, "twenty" 20), or None."""
    value = _NUMBERS.get(word)
    if value is not None or len(word) < 6:
        return value
    return _compound(word)


def _number_automaton() -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    words = {f" {w.translate(_FOLD)} " for w in _NUMBERS}
    # Every compound numeral holds one of these.
    words |= {"sata", "kymmen", "kyt", "toist", "hundra", "tjugo", "tretti", "fyrti", "forti",
              "femti", "sexti", "sjutti", "atti", "nitti"}
    for w in words:
        automaton.add_word(w, w)
    automaton.make_automaton()
    return automaton


_FOLD = str.maketrans("åäö", "aao")
_NUMBER_WORDS = _number_automaton()


def may_hold_spoken_number(hay: str) -> bool:
    """A quick test before :func:`find_spoken_phone`: does the message's folded word list
    (``Normalized.hay``) hold three number words at all?"""
    found = 0
    for _ in _NUMBER_WORDS.iter(hay):
        found += 1
        if found == 3:
            return True
    return False


def _counting(digits: str) -> bool:
    """"1234567", "7654321": counting (breaths, steps), not a number to call."""
    steps = {int(b) - int(a) for a, b in itertools.pairwise(digits)}
    return steps in ({1}, {-1})


def find_spoken_phone(words: Sequence[str], allowed: Iterable[str] = ()) -> bool:
    """True if ``words`` (a message's normalised words) hold a phone number written out in
    number words, maybe mixed with digits: "nolla neljä nolla yks kaks kolme...", "noll sju
    noll, ett två tre...", "oh seven seven double oh...", "040 yks kaks kolme 45 67".

    At least three number words and 7 to 15 digits in a row count; a few numbers in a
    sentence ("kolme viikkoa ja neljä päivää", "one two three, breathe") do not. Numbers in
    ``allowed`` (compared by digits) are fine."""
    run: list[str] = []
    spoken = 0
    repeat = 1
    tens = False  # the last value was a tens word: "twenty" "three" is 23
    numbers = _NUMBERS
    for word in (*words, ""):
        value: str | int | None = numbers.get(word)
        if value is None and word:
            if word.isdigit():
                value = word
            elif word in _REPEAT:
                repeat = _REPEAT[word]
                continue
            elif len(word) >= 6:
                value = _spoken(word)
        if value is not None:
            if isinstance(value, int):
                spoken += 1
                if tens and 0 < value < 10:
                    run[-1] = run[-1][0] + str(value)
                    tens = False
                    continue
                tens = word in _TENS
                value = str(value)
            else:
                tens = False
            run.append(value * repeat)
            repeat = 1
            continue
        if (spoken >= 3 and 7 <= len(digits := "".join(run)) <= 15
                and not _counting(digits) and digits not in _canonical_set(tuple(allowed))):
            return True
        run, spoken, repeat, tens = [], 0, 1, False
    return False


# --- e-mail addresses -------------------------------------------------------------------

# Lookbehinds make a match start only at the start of a word and the lengths are bounded, so
# a long word costs linear time, not quadratic.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,5}\.[a-z]{2,24}",
                    re.IGNORECASE)
_TLDS = r"(?:fi|se|com|net|org|eu|io|info|me|uk|de|nu|co|ax|no|dk)"
_OPEN = r"\s*[(\[{<]?\s*"
_CLOSE = r"\s*[)\]}>]?\s*"
_AT = r"(?:at|ät|@|miukumauku|kissanhäntä|snabel-?a)"
_DOT = r"(?:dot|piste|punkt|pist|\.)"
# "name at domain dot fi", "name(at)domain(dot)fi", "nimi miukumauku posti piste fi".
_EMAIL_SPELLED = re.compile(
    rf"(?<![\w.+-])[\w.+-]{{1,64}}{_OPEN}{_AT}{_CLOSE}[\w-]{{1,63}}"
    rf"(?:{_OPEN}{_DOT}{_CLOSE}[\w-]{{1,63}}){{0,4}}?"
    rf"{_OPEN}{_DOT}{_CLOSE}{_TLDS}\b",
    re.IGNORECASE,
)


# What every spelled-out address ends with ("piste fi", "(dot) com"): a search that starts
# only at those words, so the costly pattern runs only on the few messages that have one.
_SPELLED_END = re.compile(rf"{_DOT}{_CLOSE}{_TLDS}\b", re.IGNORECASE)


def _may_spell_a_dot(text: str) -> bool:
    """Whether ``text`` has anything a spelled-out address's dot can be (cheaper than
    ``_SPELLED_END``'s search, which tries every position)."""
    if "." in text:
        return True
    low = text.casefold()
    return "dot" in low or "pist" in low or "punkt" in low


def find_email(text: str) -> bool:
    """True if ``text`` holds an e-mail address, also one spelled out to dodge a filter."""
    return bool(("@" in text and _EMAIL.search(text))
                or (_may_spell_a_dot(text) and _SPELLED_END.search(text)
                    and _EMAIL_SPELLED.search(text)))


def email_spans(text: str) -> list[tuple[int, int]]:
    """Where e-mail addresses are, so the link guard does not count their domains."""
    return [m.span() for m in _EMAIL.finditer(text)]


# --- Finnish personal identity code (henkilötunnus) --------------------------------------

_HETU = re.compile(r"(?<![\w])(\d{2})(\d{2})(\d{2})([-+A-FYXWVU])(\d{3})([0-9A-Y])(?!\w)",
                   re.IGNORECASE)
_HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_CENTURY = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
            "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}


def valid_identity_code(code: str) -> bool:
    """True for a well-formed henkilötunnus: DDMMYYCNNNQ with a real date and the right
    check character (the remainder of DDMMYYNNN divided by 31)."""
    m = _HETU.fullmatch(code.strip())
    if not m:
        return False
    dd, mm, yy, sep, nnn, check = m.groups()
    try:
        datetime.date(_CENTURY[sep.upper()] + int(yy), int(mm), int(dd))
    except ValueError:
        return False
    return _HETU_CHECK[int(dd + mm + yy + nnn) % 31] == check.upper()


# Both codes start with six digits after a space or a symbol: a message without that skips
# both patterns (digits inside words, "~~s12r1n84t", cost them a try at every digit).
_SIX_DIGITS = re.compile(r"(?<!\w)\d{6}")


def find_identity_code(text: str) -> bool:
    """True if ``text`` holds a valid henkilötunnus or Swedish personnummer. A code with a
    wrong check character is ignored: it is not anyone's."""
    if not _SIX_DIGITS.search(text):
        return False
    return (any(valid_identity_code(m.group(0)) for m in _HETU.finditer(text))
            or any(valid_personnummer(m.group(0)) for m in _PNR.finditer(text)))


# Swedish personal identity number (personnummer): YYMMDD-NNNC or YYYYMMDD-NNNC, "+" for
# people over 100; C is the Luhn check digit of the ten digits YYMMDDNNN.
_PNR = re.compile(r"(?<![\w-])(\d{2})?(\d{2})(\d{2})(\d{2})[-+](\d{3})(\d)(?![\w-])")


def valid_personnummer(code: str) -> bool:
    """True for a well-formed personnummer: a real date (or a samordningsnummer, day + 60)
    and the right Luhn check digit."""
    m = _PNR.fullmatch(code.strip())
    if not m:
        return False
    century, yy, mm, dd, nnn, check = m.groups()
    day = int(dd) - 60 if int(dd) > 60 else int(dd)
    try:
        datetime.date(int(century or "19") * 100 + int(yy), int(mm), day)
    except ValueError:
        return False
    digits = yy + mm + dd + nnn
    total = 0
    for i, c in enumerate(digits):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d // 10 + d % 10
    return (10 - total % 10) % 10 == int(check)


# --- street addresses -------------------------------------------------------------------

_L = "a-zåäöéü"
# Finnish: a compound ending in a street word, in the basic or the "on" (-lla) form, then a
# house number, maybe a staircase letter and a flat number: "Mannerheimintie 12 A 5".
_FI_STREET = (r"tie|tiellä|katu|kadulla|kuja|kujalla|polku|polulla|väylä|väylällä|raitti|"
              r"raitilla|rinne|rinteellä|kaari|kaarella|piha|pihalla|tori|torilla|aukio|"
              r"aukiolla|kierros|kierroksella|tanhua|portti")
_FI_STREET_ENDS = tuple(_FI_STREET.split("|"))
_FI_ADDRESS = re.compile(
    rf"(?<![{_L}])(?!(?:valta|kanta|seutu|moottori|maan)tie)[{_L}]{{2,}}(?:{_FI_STREET})"
    rf"\s+\d{{1,4}}(?:\s*[a-h](?![{_L}]))?(?:\s*\d{{1,3}})?(?![\d{_L}])",
    re.IGNORECASE,
)
# Swedish: "Storgatan 5", "Kungsvägen 12 B".
_SV_STREET = ("gatan|gata|vägen|väg|gränd|gränden|stigen|torget|backen|allén|allé|leden|"
              "gången")
_SV_ADDRESS = re.compile(
    rf"(?<![{_L}])[{_L}]{{2,}}(?:{_SV_STREET})\s+\d{{1,4}}(?:\s*[a-h](?![{_L}]))?(?![\d{_L}])",
    re.IGNORECASE,
)
# What a word before a number must end with to start a Finnish or Swedish address: the
# address patterns scan the whole text at every letter, so they run only after one is seen.
_STREET_ENDS = _FI_STREET_ENDS + tuple(_SV_STREET.split("|"))
# English: "12 Baker Street", "221b Baker St", "5 Church Lane".
_EN_ADDRESS = re.compile(
    r"(?<!\w)\d{1,5}[a-z]?\s+((?:[a-z']+\s+){1,3})"
    r"(street|st|road|rd|avenue|ave|lane|ln|drive|close|way|court|place|boulevard|blvd|"
    r"terrace|crescent)\b",
    re.IGNORECASE,
)
# Words that, between a number and "road"/"way"/"drive", show it is not an address:
# "5 miles down the road", "a 2 hour drive", "3 more steps on the way".
_NOT_STREET_NAME = frozenset("""
the a an on in at of to down up this that my your our their his her from by per more other
last next few some many all each every and or but just about over minute minutes min mins hour
hours hr hrs day days week weeks month months year years mile miles km kms meter meters metre
metres step steps block blocks time times people person kid kids car cars lane lanes way ways
long short good bad hard easy whole same first second third
""".split())


# Necessary for the patterns above, and cheap: the Finnish and Swedish forms need a word and
# then a number, the English one a number and then a word.
_WORD_NUMBER = re.compile(rf"[{_L}]\s+\d", re.IGNORECASE)
_NUMBER_WORD = re.compile(r"\d[a-z]?\s+[a-z']", re.IGNORECASE)


def _street_before_number(text: str) -> bool:
    """Whether a word that ends like a street name comes right before a number (necessary
    for the Finnish and Swedish patterns: their street word, spaces, a digit)."""
    return any(text[max(0, m.start() - 16):m.start() + 1].casefold().endswith(_STREET_ENDS)
               for m in _WORD_NUMBER.finditer(text))


def find_address(text: str) -> bool:
    """True if ``text`` seems to hold a street address with a house number."""
    if _street_before_number(text) and (_FI_ADDRESS.search(text) or _SV_ADDRESS.search(text)):
        return True
    if not _NUMBER_WORD.search(text):
        return False
    for m in _EN_ADDRESS.finditer(text):
        words = m.group(1).casefold().split()
        if not any(w in _NOT_STREET_NAME for w in words):
            return True
    return False
