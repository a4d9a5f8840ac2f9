"""Detectors for personal details that could identify the sender (or someone else).

Each ``find_*`` function takes text already passed through
:func:`moderation.normalize.clean` (NFKC, invisible characters removed; full-width digits
are then plain digits) and answers whether the text holds such a detail. They lean towards
precision: a hit asks the sender to confirm, so a miss is a lost warning while a false hit
is an extra question; dates, times, prices and road numbers must not trigger them.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

# --- phone numbers ---------------------------------------------------------------------

# Digit groups separated by single spaces, hyphens or parentheses. Dots and slashes are left
# out on purpose: with them, dates ("01.02.2024") and times ("09.30-10.30") look like numbers.
_RUN = re.compile(r"(?<![\w/.,])\+?\(?\d+\)?(?:[ \-]{1,2}\(?\d+\)?)*(?![\w/]|[.,]\d)")
_GROUP = re.compile(r"\+?\(?\d+\)?")
_MAX_GROUPS = 6
_DATE_LIKE = re.compile(r"\d{1,2}-\d{1,2}-\d{2,4}|\d{4}-\d{1,2}-\d{1,2}")
_NANP = re.compile(r"\(?\d{3}\)?[ -]\d{3}[ -]\d{4}")


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
        # groups of at least two (so "0 5 10 15" is a list, not a number).
        return 7 <= len(digits) <= 12 and all(len(g) >= 2 for g in groups)
    return bool(_NANP.fullmatch(raw))


def find_phone(text: str, allowed: Iterable[str] = ()) -> bool:
    """True if ``text`` holds a phone number that is not in ``allowed`` (compared by digits,
    so "+358 9 2525 0111" is the same as "09 2525 0111")."""
    allowed_set = {canonical_number(a) for a in allowed}
    for run in _RUN.finditer(text):
        # A run can join a number to its neighbours ("vuonna 2019 040 123 4567 kahdesti"), so
        # stretches of consecutive digit groups are tried; an allowed number is skipped whole
        # first, so that a part of it ("+358 9 2525") is not taken for another number.
        raw_run = run.group(0)
        groups = [g.span() for g in _GROUP.finditer(raw_run)]
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


def find_email(text: str) -> bool:
    """True if ``text`` holds an e-mail address, also one spelled out to dodge a filter."""
    return bool(_EMAIL.search(text) or _EMAIL_SPELLED.search(text))


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


def find_identity_code(text: str) -> bool:
    """True if ``text`` holds a valid henkilötunnus. A code with a wrong check character
    is ignored: it is not anyone's."""
    return any(valid_identity_code(m.group(0)) for m in _HETU.finditer(text))


# --- street addresses -------------------------------------------------------------------

_L = "a-zåäöéü"
# Finnish: a compound ending in a street word, in the basic or the "on" (-lla) form, then a
# house number, maybe a staircase letter and a flat number: "Mannerheimintie 12 A 5".
_FI_STREET = (r"tie|tiellä|katu|kadulla|kuja|kujalla|polku|polulla|väylä|väylällä|raitti|"
              r"raitilla|rinne|rinteellä|kaari|kaarella|piha|pihalla|tori|torilla|aukio|"
              r"aukiolla|kierros|kierroksella|tanhua|portti")
_FI_ADDRESS = re.compile(
    rf"(?<![{_L}])(?!(?:valta|kanta|seutu|moottori|maan)tie)[{_L}]{{2,}}(?:{_FI_STREET})"
    rf"\s+\d{{1,4}}(?:\s*[a-h](?![{_L}]))?(?:\s*\d{{1,3}})?(?![\d{_L}])",
    re.IGNORECASE,
)
# Swedish: "Storgatan 5", "Kungsvägen 12 B".
_SV_ADDRESS = re.compile(
    rf"(?<![{_L}])[{_L}]{{2,}}(?:gatan|gata|vägen|väg|gränd|gränden|stigen|torget|backen|"
    rf"allén|allé|leden|gången)\s+\d{{1,4}}(?:\s*[a-h](?![{_L}]))?(?![\d{_L}])",
    re.IGNORECASE,
)
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


def find_address(text: str) -> bool:
    """True if ``text`` seems to hold a street address with a house number."""
    if _FI_ADDRESS.search(text) or _SV_ADDRESS.search(text):
        return True
    for m in _EN_ADDRESS.finditer(text):
        words = m.group(1).casefold().split()
        if not any(w in _NOT_STREET_NAME for w in words):
            return True
    return False
