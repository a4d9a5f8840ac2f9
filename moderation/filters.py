"""The filters. Each is a pure function ``(message, settings) -> list[Hit]``.

A :class:`Message` bundles what filters look at: the text, its normalised forms, the sender
and ``now``. Filters never see or return more than that; none keeps state (the sender's
history is handed in and the caller records the new message, see ``SenderHistory``).

The policy (:func:`moderation.policy.decide`) runs them all and fails closed if one raises,
so a filter may simply raise on anything it does not understand.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from moderation import abuse, crisis, harm, personal
from moderation.matching import GAP, Phrase, PhraseSet, compile_entry, entry_key
from moderation.normalize import Normalized, clean, digest, normalize
from moderation.settings import FilterSettings, LinkPolicy
from moderation.types import (
    Category,
    FilterName,
    Hit,
    Outcome,
    RoomControls,
    SenderContext,
)


@dataclass(frozen=True, slots=True)
class Message:
    """A message as the filters see it. Build with :meth:`Message.of`."""

    text: str
    cleaned: str  # NFKC, invisible characters gone: for digits, e-mails, links
    normalized: Normalized  # for words
    digest: str
    sender: SenderContext
    now: float

    @classmethod
    def of(cls, text: str, sender: SenderContext, now: float) -> Message:
        normalized = normalize(text)
        return cls(text, clean(text), normalized, digest(normalized), sender, now)

    @property
    def newcomer_age(self) -> float:
        """Seconds since the sender arrived in the room."""
        return self.now - self.sender.joined_at


Filter = Callable[[Message, FilterSettings], list[Hit]]


# --- blocklist --------------------------------------------------------------------------

@functools.cache
def bundled_entries(language: str) -> tuple[str, ...]:
    """The bundled list for ``fi``, ``sv`` or ``en`` (read once from the package data)."""
    path = resources.files("moderation") / "data" / f"blocklist_{language}.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(s for s in (line.split("#", 1)[0].strip() for line in lines) if s)


def _disabled(disabled: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """A room's disabled entries: their keys, and the single words among them."""
    off = frozenset(entry_key(e) for e in disabled)
    return off, frozenset(k.rstrip("*") for k in off if " " not in k)


@functools.lru_cache(maxsize=256)
def blocklist_phrases(languages: frozenset[str], extra: tuple[str, ...],
                      disabled: tuple[str, ...]) -> PhraseSet:
    """The compiled blocklist of a room (cached: rooms share settings objects): the bundled
    lists, the built-in abuse and harm patterns and the room's extra entries."""
    off, off_words = _disabled(disabled)
    entries = [e for lang in sorted(languages) for e in bundled_entries(lang)]
    entries += extra
    seen: dict[str, None] = {}
    for entry in entries:
        key = entry_key(entry)
        if key in off:
            continue
        seen.setdefault(key, None)
        words = key.split()
        if len(words) > 1 and GAP not in words:
            # Spelled out letter by letter, a phrase becomes one word: "k i l l y o u r s e l f".
            seen.setdefault("".join(w.rstrip("*") for w in words[:-1]) + words[-1], None)
    phrases: list[Phrase] = [compile_entry(key) for key in seen]
    phrases += abuse.table(languages, off, off_words)
    phrases += harm.table(languages, off)
    return PhraseSet(phrases)


@functools.lru_cache(maxsize=256)
def harm_phrases(languages: frozenset[str], disabled: tuple[str, ...]) -> PhraseSet:
    """The harm-to-others patterns of a room (a part of its blocklist)."""
    return PhraseSet(harm.table(languages, _disabled(disabled)[0]))


def blocklist(msg: Message, settings: FilterSettings) -> list[Hit]:
    """Slurs and abuse aimed at someone: the message is rejected. Telling someone to kill
    or harm themselves is abuse too, and also a ``harm_to_others`` hit (an alert)."""
    if not settings.blocklist:
        return []
    phrases = blocklist_phrases(settings.blocklist_languages, settings.blocklist_extra,
                                settings.blocklist_disabled)
    if not phrases.any(msg.normalized):
        return []
    hits = [Hit(FilterName.BLOCKLIST, Category.ABUSE, Outcome.REJECT)]
    if harm_phrases(settings.blocklist_languages, settings.blocklist_disabled).any(
            msg.normalized):
        hits.append(Hit(FilterName.BLOCKLIST, Category.HARM_TO_OTHERS, Outcome.REJECT))
    return hits


# --- personal details -------------------------------------------------------------------

_DIGIT = re.compile(r"\d")


def personal_details(msg: Message, settings: FilterSettings) -> list[Hit]:
    """Phone numbers (also in number words), e-mail addresses, identity codes, street
    addresses: the sender is asked to confirm before the message is posted. Numbers in
    ``allowed_numbers`` are fine."""
    if not settings.personal_details:
        return []
    text = msg.cleaned
    found = []
    # A phone number, an identity code and a house number all need a digit: most messages
    # have none, and the address patterns are the costly ones.
    digits = _DIGIT.search(text) is not None
    if ((digits and personal.find_phone(text, settings.allowed_numbers))
            or (personal.may_hold_spoken_number(msg.normalized.hay)
                and personal.find_spoken_phone(msg.normalized.words, settings.allowed_numbers))):
        found.append(Category.PHONE)
    if personal.find_email(text):
        found.append(Category.EMAIL)
    if digits and personal.find_identity_code(text):
        found.append(Category.IDENTITY_CODE)
    if digits and personal.find_address(text):
        found.append(Category.ADDRESS)
    return [Hit(FilterName.PERSONAL_DETAILS, c, Outcome.CONFIRM) for c in found]


# --- crisis language --------------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def crisis_phrases(extra: tuple[str, ...]) -> PhraseSet:
    return PhraseSet(crisis.PHRASES + tuple(compile_entry(e) for e in extra))


def crisis_language(msg: Message, settings: FilterSettings) -> list[Hit]:
    """Crisis language: posted as usual, with an alert (see ``Verdict.alert``)."""
    if not settings.crisis:
        return []
    if crisis_phrases(settings.crisis_extra).any(msg.normalized):
        return [Hit(FilterName.CRISIS, Category.CRISIS, Outcome.ALLOW_AND_ALERT)]
    return []


def crisis_labels(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Which crisis phrases a text matches (for tests and for tuning the table)."""
    return [p.label for p in crisis_phrases(extra).matches(normalize(text))]


# --- flood and repeats ------------------------------------------------------------------

def flood(msg: Message, settings: FilterSettings) -> list[Hit]:
    """Too many messages in a short time, or the same message again and again: rejected,
    with ``retry_after`` saying when the next message will go through."""
    if not settings.flood:
        return []
    hits = []
    history = msg.sender.history
    window = history.since(msg.now - settings.flood_window_seconds)
    if len(window) >= settings.flood_messages:
        wait = window[-settings.flood_messages].at + settings.flood_window_seconds - msg.now
        hits.append(Hit(FilterName.FLOOD, Category.FLOOD, Outcome.REJECT, max(wait, 0.0)))
    same = [s for s in history.since(msg.now - settings.repeat_window_seconds)
            if s.digest == msg.digest]
    if len(same) >= settings.repeat_limit:
        wait = same[-settings.repeat_limit].at + settings.repeat_window_seconds - msg.now
        hits.append(Hit(FilterName.FLOOD, Category.REPEAT, Outcome.REJECT, max(wait, 0.0)))
    return hits


# --- links and newcomers ----------------------------------------------------------------

# Top-level domains that are also everyday words ("kotona.se", "tired.me") count only with a
# scheme, "www." or a path, since people often leave out the space after a full stop.
_WORDLIKE_TLDS = "se|me|nu|co|no|it|is|to|in|at|on|us|be|do|so|hi"
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>]+"
    r"|(?<![\w@.-])(?:[\w-]{1,63}\.)+"
    r"(?:fi|com|net|org|io|ly|gg|info|app|xyz|ru|eu|uk|de|tv|link|click|site|online|shop|biz|"
    r"ax|dk|gl|live|top)\b(?:/[^\s<>]*)?"
    rf"|(?<![\w@.-])(?:[\w-]{{1,63}}\.)+(?:{_WORDLIKE_TLDS})/[^\s<>]*"
    # Spaced or bracketed dots, to dodge a link filter: "example . com", "example(dot)com".
    r"|(?<![\w@.-])[\w-]{2,63}(?:\s\.\s|\s*[(\[]\s*(?:dot|piste|punkt)\s*[)\]]\s*)"
    r"(?:fi|com|net|org|io|ru|se|info|xyz)\b",
    re.IGNORECASE,
)
_HOST = re.compile(r"^(?:https?://)?(?:www\.)?([^/:?#\s]+)", re.IGNORECASE)


def links_in(text: str, allowed_domains: tuple[str, ...] = ()) -> list[str]:
    """Hosts of the links in ``text`` (cleaned form), leaving out e-mail addresses and the
    allowed domains and their subdomains."""
    for start, end in personal.email_spans(text):
        text = text[:start] + " " * (end - start) + text[end:]
    hosts = []
    for m in _URL.finditer(text):
        host_match = _HOST.match(m.group(0))
        host = host_match.group(1).casefold().rstrip(".") if host_match else ""
        if not any(host == d or host.endswith("." + d) for d in allowed_domains):
            hosts.append(host)
    return hosts


def links(msg: Message, settings: FilterSettings) -> list[Hit]:
    """Links held for review when the room says so (``links: hold``)."""
    if settings.links is LinkPolicy.ALLOW or msg.sender.role.is_staff:
        return []
    if links_in(msg.cleaned, settings.allowed_domains):
        return [Hit(FilterName.LINKS, Category.LINK, Outcome.HOLD)]
    return []


def newcomer(msg: Message, settings: FilterSettings) -> list[Hit]:
    """Limits for a participant who arrived less than ``newcomer_seconds`` ago: no links
    (unless ``newcomer_links``) and a minimum interval between messages. Rejected with
    ``retry_after``; the limits lapse by themselves."""
    if not settings.newcomer or msg.sender.role.is_staff:
        return []
    remaining = settings.newcomer_seconds - msg.newcomer_age
    if remaining <= 0:
        return []
    hits = []
    if not settings.newcomer_links and links_in(msg.cleaned, settings.allowed_domains):
        hits.append(Hit(FilterName.NEWCOMER, Category.NEWCOMER_LINK, Outcome.REJECT, remaining))
    last = msg.sender.history.last_at
    interval = settings.newcomer_min_interval_seconds
    if last is not None and msg.now - last < interval:
        hits.append(Hit(FilterName.NEWCOMER, Category.NEWCOMER_RATE, Outcome.REJECT,
                        last + interval - msg.now))
    return hits


# --- room controls ----------------------------------------------------------------------

def room_controls(msg: Message, controls: RoomControls) -> list[Hit]:
    """Lock, slow mode and pre-moderation, for participants (staff are not limited)."""
    if msg.sender.role.is_staff:
        return []
    if controls.locked:
        return [Hit(FilterName.ROOM, Category.LOCKED, Outcome.REJECT)]
    hits = []
    last = msg.sender.history.last_at
    slow = controls.slow_mode_seconds
    if slow > 0 and last is not None and msg.now - last < slow:
        hits.append(Hit(FilterName.ROOM, Category.SLOW_MODE, Outcome.REJECT,
                        last + slow - msg.now))
    if controls.premoderated:
        hits.append(Hit(FilterName.ROOM, Category.PREMODERATED, Outcome.HOLD))
    return hits


# Staff messages are trusted: only the personal-details guard applies to them (it protects
# a facilitator's anonymity too). Order does not matter; the policy weighs every hit.
PARTICIPANT_FILTERS: tuple[Filter, ...] = (
    blocklist, personal_details, flood, newcomer, links, crisis_language,
)
STAFF_FILTERS: tuple[Filter, ...] = (personal_details,)
