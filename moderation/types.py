"""The vocabulary of moderation decisions: roles, verdicts and what a filter found.

Every enum value is a stable string code: it goes over the wire and into the audit log, so
change a value only together with the protocol version. Nothing here carries message text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Role(StrEnum):
    """Who is acting. Participants are anonymous; staff have accounts."""

    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"
    ADMIN = "admin"

    @property
    def is_staff(self) -> bool:
        return self is not Role.PARTICIPANT


class Outcome(StrEnum):
    """What happens to a message.

    - ``allow``: broadcast it.
    - ``allow_and_alert``: broadcast it, show the sender the crisis resources privately and
      alert the room's facilitators.
    - ``hold``: do not broadcast; queue it for a facilitator, show it to the sender as pending.
    - ``confirm``: do not broadcast yet; ask the sender whether they really want to post it
      (it may identify them), then call ``decide(..., confirmed=True)``.
    - ``reject``: do not broadcast; tell only the sender why (``Verdict.reason``).
    """

    ALLOW = "allow"
    ALLOW_AND_ALERT = "allow_and_alert"
    HOLD = "hold"
    CONFIRM = "confirm"
    REJECT = "reject"

    @property
    def severity(self) -> Severity:
        return _SEVERITY[self]


class Severity(IntEnum):
    """Precedence when filters disagree: the highest wins (REJECT > HOLD > CONFIRM > ...)."""

    ALLOW = 0
    ALLOW_AND_ALERT = 1
    CONFIRM = 2
    HOLD = 3
    REJECT = 4


_SEVERITY = {
    Outcome.ALLOW: Severity.ALLOW,
    Outcome.ALLOW_AND_ALERT: Severity.ALLOW_AND_ALERT,
    Outcome.CONFIRM: Severity.CONFIRM,
    Outcome.HOLD: Severity.HOLD,
    Outcome.REJECT: Severity.REJECT,
}


class FilterName(StrEnum):
    """Which filter produced a hit."""

    BLOCKLIST = "blocklist"
    PERSONAL_DETAILS = "personal_details"
    FLOOD = "flood"
    NEWCOMER = "newcomer"
    CRISIS = "crisis"
    LINKS = "links"
    ROOM = "room"  # room controls: lock, slow mode, pre-moderation
    POLICY = "policy"  # the policy itself: invalid settings, a filter that failed


class Category(StrEnum):
    """What a filter found. Also the reason code shown to the sender of a rejected,
    held or to-be-confirmed message (the client translates it)."""

    ABUSE = "abuse"
    PHONE = "phone"
    EMAIL = "email"
    IDENTITY_CODE = "identity_code"
    ADDRESS = "address"
    FLOOD = "flood"
    REPEAT = "repeat"
    NEWCOMER_LINK = "newcomer_link"
    NEWCOMER_RATE = "newcomer_rate"
    LINK = "link"
    CRISIS = "crisis"
    # Someone is told to kill or harm themselves ("kys", "tapa ittes", "ta livet av dig"):
    # rejected like abuse (the sender is told ``abuse``) and ``Verdict.harm_alert`` is set.
    HARM_TO_OTHERS = "harm_to_others"
    LOCKED = "locked"
    SLOW_MODE = "slow_mode"
    PREMODERATED = "premoderated"
    FILTER_ERROR = "filter_error"
    INVALID_SETTINGS = "invalid_settings"


@dataclass(frozen=True, slots=True)
class Hit:
    """One finding: which filter, what it found, and the outcome it asks for.

    ``retry_after`` is set by rate-based filters: seconds until the sender may try again.
    """

    filter: FilterName
    category: Category
    outcome: Outcome
    retry_after: float = 0.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """The one decision about a message.

    ``outcome`` says what to do with it; ``alert`` says, independently, whether the room's
    facilitators must be alerted and the sender shown the crisis resources (a crisis message
    that also holds a phone number is CONFIRM *and* alert). ``harm_alert`` says that the
    message told someone to kill or harm themselves: it is refused (or held), the
    facilitators must be alerted that someone in the room is being told this, and the
    sender is *not* shown the crisis resources for it (they are not the one at risk).
    ``reason`` is the code to show the sender when the message is not simply posted.
    ``hits`` list every finding, for the facilitator's review queue and for statistics;
    they never contain message text.
    """

    outcome: Outcome
    alert: bool = False
    reason: Category | None = None
    hits: tuple[Hit, ...] = ()
    retry_after: float = 0.0
    harm_alert: bool = False

    @property
    def code(self) -> str:
        """The stable string code of the outcome, for the wire."""
        return self.outcome.value

    @property
    def posts(self) -> bool:
        """True when the message is broadcast now."""
        return self.outcome in (Outcome.ALLOW, Outcome.ALLOW_AND_ALERT)

    @property
    def counts_as_sent(self) -> bool:
        """True when the message should be recorded in the sender's history (not rejected)."""
        return self.outcome is not Outcome.REJECT


ALLOW = Verdict(Outcome.ALLOW)


@dataclass(frozen=True, slots=True)
class Sent:
    """One earlier message of a sender: when, and the digest of its normalised text."""

    at: float
    digest: str


@dataclass(frozen=True, slots=True)
class SenderHistory:
    """The little a flood guard needs to remember about one sender in one room.

    Keep one per (identity, room) in memory; after each message whose verdict
    ``counts_as_sent``, replace it with ``history.record(digest(text), now)``.
    """

    recent: tuple[Sent, ...] = ()

    # Bounds memory per sender; larger than any sensible flood or repeat limit.
    KEEP = 50

    def record(self, digest: str, now: float, *, horizon: float = 86_400.0) -> SenderHistory:
        """A new history with this message added and entries older than ``horizon`` dropped."""
        kept = [s for s in self.recent if s.at > now - horizon]
        kept.append(Sent(now, digest))
        return SenderHistory(tuple(kept[-self.KEEP:]))

    def since(self, cutoff: float) -> tuple[Sent, ...]:
        return tuple(s for s in self.recent if s.at > cutoff)

    @property
    def last_at(self) -> float | None:
        return self.recent[-1].at if self.recent else None


@dataclass(frozen=True, slots=True)
class SenderContext:
    """Who sends: role, when they arrived in the room (same clock as ``now``), their history."""

    role: Role = Role.PARTICIPANT
    joined_at: float = 0.0
    history: SenderHistory = SenderHistory()


@dataclass(frozen=True, slots=True)
class RoomControls:
    """The room's live controls, set by facilitators during a session (not by admins).

    ``locked``: read-only for participants. ``slow_mode_seconds``: minimum seconds between a
    participant's messages (0 = off). ``premoderated``: participants' messages are held.
    """

    locked: bool = False
    slow_mode_seconds: float = 0.0
    premoderated: bool = False
