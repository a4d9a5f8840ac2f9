"""Per-room filter settings: what admins store as JSON, validated into a frozen object.

Build one with :meth:`FilterSettings.from_dict` (raises :class:`SettingsError` naming every
bad key) and store :meth:`FilterSettings.to_dict`. The dict keys are the field names.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from moderation.matching import EntryError, parse_entry

LANGUAGES = frozenset({"fi", "sv", "en"})

# The national crisis lines and the emergency number (see docs: MIELI Kriisipuhelin in
# Finnish, Swedish and English), and the Poison Information Centre (Myrkytystietokeskus),
# which people share when someone has taken too much of something. A room's published
# lines must never trigger the personal-details guard, so the chat server adds the crisis
# resources it shows (see ``with_allowed_numbers``). Short service numbers (116 117,
# 116 123, 1177, 90101, 988) never look like a phone number to the guard.
DEFAULT_ALLOWED_NUMBERS = ("112", "09 2525 0111", "09 2525 0112", "09 2525 0113",
                           "0800 147 111")

MAX_LIST_ENTRIES = 500


class LinkPolicy(StrEnum):
    """What to do with a message that has a link in it (newcomers aside, see settings)."""

    ALLOW = "allow"
    HOLD = "hold"


class SettingsError(ValueError):
    """Settings that cannot be used. ``problems`` has one line per bad key; the message lists
    them all, so an admin can fix everything at once. Values are never echoed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid filter settings: " + "; ".join(problems))


@dataclass(frozen=True, slots=True)
class FilterSettings:
    """Every filter's per-room settings, with the defaults a new room gets.

    Filters on/off: ``blocklist``, ``personal_details``, ``flood``, ``crisis``, ``newcomer``.

    - ``blocklist_languages``: which bundled lists apply (``fi``, ``sv``, ``en``).
    - ``blocklist_extra``/``blocklist_disabled``: entries added to / removed from the
      bundled lists (words, ``stem*``, or phrases of several words).
    - ``crisis_extra``: extra crisis phrases in the same notation.
    - ``allowed_numbers``: phone numbers that may be posted (the room's crisis lines).
    - ``links``: ``allow`` or ``hold`` messages with links; ``allowed_domains`` are always fine.
    - ``flood_messages`` in ``flood_window_seconds``: more is refused.
    - ``repeat_limit``: how many identical messages within ``repeat_window_seconds`` are
      fine; one more is refused.
    - ``newcomer_seconds``: how long a participant counts as newly arrived; meanwhile
      links are refused unless ``newcomer_links`` and messages must be at least
      ``newcomer_min_interval_seconds`` apart.
    """

    blocklist: bool = True
    personal_details: bool = True
    flood: bool = True
    crisis: bool = True
    newcomer: bool = True
    blocklist_languages: frozenset[str] = LANGUAGES
    blocklist_extra: tuple[str, ...] = ()
    blocklist_disabled: tuple[str, ...] = ()
    crisis_extra: tuple[str, ...] = ()
    allowed_numbers: tuple[str, ...] = DEFAULT_ALLOWED_NUMBERS
    links: LinkPolicy = LinkPolicy.ALLOW
    allowed_domains: tuple[str, ...] = ()
    flood_messages: int = 5
    flood_window_seconds: float = 10.0
    repeat_limit: int = 2
    repeat_window_seconds: float = 120.0
    newcomer_seconds: float = 60.0
    newcomer_links: bool = False
    # Two quick lines ("hei" and then the real message) are how people start; a bot is faster.
    newcomer_min_interval_seconds: float = 2.0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FilterSettings:
        """Validate an admin's settings; missing keys take the defaults.

        Raises :class:`SettingsError` listing every unknown key and every bad value.
        """
        if not isinstance(data, Mapping):
            raise SettingsError(["settings must be a JSON object"])
        problems: list[str] = []
        values: dict[str, Any] = {}
        for key in sorted(data, key=str):
            spec = _SPEC.get(key) if isinstance(key, str) else None
            if spec is None:
                problems.append(f"{key!s}: unknown setting")
                continue
            try:
                values[key] = spec(data[key])
            except (TypeError, ValueError) as exc:
                problems.append(f"{key}: {exc}")
        if problems:
            raise SettingsError(problems)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict that :meth:`from_dict` accepts."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, frozenset):
                value = sorted(value)
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, StrEnum):
                value = value.value
            out[f.name] = value
        return out

    def validate(self) -> FilterSettings:
        """Check an object built directly rather than by :meth:`from_dict`; return the
        validated equivalent or raise :class:`SettingsError` (the policy then fails closed)."""
        return _validated(self)


def with_allowed_numbers(settings: Mapping[str, Any],
                         numbers: Iterable[str]) -> dict[str, Any]:
    """A room's stored settings with ``numbers`` added to the numbers that may be posted:
    the chat server passes the crisis resources it shows, so that posting one never asks
    the sender to confirm a personal detail.

    Entries that are not phone numbers are left out, so that an admin's free-text phone
    field ("116 123 (maksuton)") never makes a room's settings invalid; settings whose own
    ``allowed_numbers`` is not a list are returned as they are (``decide`` then fails closed
    on them, as before).
    """
    extra = _phone_numbers(tuple(numbers))
    own = settings.get("allowed_numbers", DEFAULT_ALLOWED_NUMBERS)
    if not extra or not isinstance(own, list | tuple):
        return dict(settings)
    merged = list(dict.fromkeys([*own, *extra]))
    return {**settings, "allowed_numbers": merged[:max(MAX_LIST_ENTRIES, len(own))]}


@functools.lru_cache(maxsize=64)
def _phone_numbers(numbers: tuple[Any, ...]) -> tuple[str, ...]:
    valid: list[str] = []
    for n in numbers:
        try:
            valid += _numbers([n])
        except (TypeError, ValueError):
            continue
    return tuple(valid)


@functools.lru_cache(maxsize=256)
def _validated(settings: FilterSettings) -> FilterSettings:
    return FilterSettings.from_dict(settings.to_dict())


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise TypeError("must be true or false")
    return v


def _number(low: float, high: float) -> Any:
    def check(v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise TypeError("must be a number")
        if not low <= v <= high:
            raise ValueError(f"must be between {low:g} and {high:g}")
        return float(v)
    return check


def _count(low: int, high: int) -> Any:
    def check(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError("must be a whole number")
        if not low <= v <= high:
            raise ValueError(f"must be between {low} and {high}")
        return v
    return check


def _strings(v: Any) -> tuple[str, ...]:
    if isinstance(v, str) or not isinstance(v, list | tuple | frozenset | set):
        raise TypeError("must be a list of strings")
    if len(v) > MAX_LIST_ENTRIES:
        raise ValueError(f"must have at most {MAX_LIST_ENTRIES} entries")
    if not all(isinstance(s, str) for s in v):
        raise TypeError("must be a list of strings")
    return tuple(v)


def _entries(v: Any) -> tuple[str, ...]:
    entries = _strings(v)
    for i, entry in enumerate(entries):
        try:
            parse_entry(entry)
        except EntryError as exc:
            raise ValueError(f"entry {i + 1}: {exc}") from None
    return entries


def _numbers(v: Any) -> tuple[str, ...]:
    numbers = _strings(v)
    for i, n in enumerate(numbers):
        digits = sum(c.isdigit() for c in n)
        if digits < 3 or any(not (c.isdigit() or c in " +-()./") for c in n):
            raise ValueError(f"entry {i + 1}: must be a phone number")
    return numbers


def _domains(v: Any) -> tuple[str, ...]:
    domains = _strings(v)
    for i, d in enumerate(domains):
        if "." not in d or any(not (c.isalnum() or c in ".-") for c in d):
            raise ValueError(f"entry {i + 1}: must be a domain name like example.fi")
    return tuple(d.casefold().strip(".") for d in domains)


def _languages(v: Any) -> frozenset[str]:
    langs = frozenset(_strings(v))
    if not langs <= LANGUAGES:
        raise ValueError("must be a list of: " + ", ".join(sorted(LANGUAGES)))
    return langs


def _links(v: Any) -> LinkPolicy:
    try:
        return LinkPolicy(v)
    except ValueError:
        raise ValueError("must be one of: " + ", ".join(p.value for p in LinkPolicy)) from None


_DAY = 86_400.0
_SPEC: dict[str, Any] = {
    "blocklist": _bool,
    "personal_details": _bool,
    "flood": _bool,
    "crisis": _bool,
    "newcomer": _bool,
    "blocklist_languages": _languages,
    "blocklist_extra": _entries,
    "blocklist_disabled": _entries,
    "crisis_extra": _entries,
    "allowed_numbers": _numbers,
    "links": _links,
    "allowed_domains": _domains,
    "flood_messages": _count(1, 1000),
    "flood_window_seconds": _number(1, 3600),
    "repeat_limit": _count(1, 1000),
    "repeat_window_seconds": _number(1, _DAY),
    "newcomer_seconds": _number(0, _DAY),
    "newcomer_links": _bool,
    "newcomer_min_interval_seconds": _number(0, 3600),
}
