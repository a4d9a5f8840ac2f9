"""``decide``: the one verdict about a message, from every filter, failing closed.

Precedence when filters disagree: REJECT > HOLD > CONFIRM > ALLOW_AND_ALERT > ALLOW. The
crisis alert is carried apart from the outcome (``Verdict.alert``), so a crisis message that
also holds a phone number asks the sender to confirm *and* alerts the facilitators at once.

A crisis message is never rejected: if another filter would reject it (a slur, flooding),
it is held for a facilitator instead, who is alerted anyway. The sender sees the crisis
resources whatever the outcome. The pace guards alone (``newcomer_rate``: a new member's
messages a second or two apart; ``slow_mode``: the room's slow mode) do not even hold it:
they only slow a message down, and held, a person in crisis would find their words stuck
until a facilitator decided, perhaps nobody online. It is posted (flagged, folded for the
others) like any crisis message.

``crisis_language_in`` is that crisis check alone, for a message refused before the whole
policy runs (muted, a locked room, the send rate): the sender still gets the crisis lines
and the facilitators the alert.

A message that tells someone to kill or harm themselves is rejected as abuse (``reason``
``abuse``, a code the client knows) and sets ``Verdict.harm_alert``: the facilitators must
be alerted, though the sender is not the one in crisis.

Failing closed: invalid settings, or a filter that raises, give HOLD (with a
``filter_error``/``invalid_settings`` hit), never ALLOW. The exception is not re-raised and
its text is not kept: it could quote the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moderation.filters import (
    PARTICIPANT_FILTERS,
    STAFF_FILTERS,
    Filter,
    Message,
    crisis_phrases,
    room_controls,
)
from moderation.normalize import normalize
from moderation.settings import FilterSettings, SettingsError
from moderation.types import (
    Category,
    FilterName,
    Hit,
    Outcome,
    RoomControls,
    SenderContext,
    Verdict,
)

__all__ = ["FilterSettings", "SettingsError", "crisis_language_in", "decide",
           "verdict_from_hits"]

_NO_CONTROLS = RoomControls()
_DEFAULTS = FilterSettings()
# Guards that only slow a message down: with crisis language they are not weighed.
_PACE = frozenset({Category.NEWCOMER_RATE, Category.SLOW_MODE})


def decide(
    text: str,
    *,
    settings: FilterSettings | Mapping[str, Any],
    sender_context: SenderContext,
    now: float,
    controls: RoomControls = _NO_CONTROLS,
    confirmed: bool = False,
) -> Verdict:
    """Decide what happens to ``text`` before it is broadcast.

    ``settings`` is the room's :class:`FilterSettings` (or the stored dict, validated here);
    ``sender_context`` says who sends and what they sent lately; ``now`` is on the same clock
    as ``sender_context``. ``controls`` are the room's live lock/slow mode/pre-moderation.
    Pass ``confirmed=True`` when the sender has confirmed a message that got CONFIRM: the
    personal-details guard then lets it through and every other filter still applies.

    Never raises. After a verdict that ``counts_as_sent``, record the message in the
    sender's history (``history.record(digest(text), now)``).
    """
    hits: list[Hit] = []
    try:
        valid = (FilterSettings.from_dict(settings) if isinstance(settings, Mapping)
                 else settings.validate())
    except Exception:
        # Hold, but still run the filters with the defaults: a crisis must still alert.
        hits.append(Hit(FilterName.POLICY, Category.INVALID_SETTINGS, Outcome.HOLD))
        valid = _DEFAULTS
    try:
        msg = Message.of(text, sender_context, now)
        filters: tuple[Filter, ...] = (STAFF_FILTERS if sender_context.role.is_staff
                                       else PARTICIPANT_FILTERS)
    except Exception:
        return _fail_closed(Category.FILTER_ERROR)

    for f in filters:
        try:
            hits.extend(f(msg, valid))
        except Exception:
            hits.append(Hit(FilterName.POLICY, Category.FILTER_ERROR, Outcome.HOLD))
    try:
        hits.extend(room_controls(msg, controls))
    except Exception:
        hits.append(Hit(FilterName.POLICY, Category.FILTER_ERROR, Outcome.HOLD))
    if confirmed:
        hits = [h for h in hits if h.filter is not FilterName.PERSONAL_DETAILS]
    return verdict_from_hits(hits)


def crisis_language_in(text: str, *, settings: FilterSettings | Mapping[str, Any]) -> bool:
    """Whether ``decide`` would find crisis language in ``text`` (a participant's) with the
    room's ``settings``: the crisis filter alone, without the others or a sender's history.
    Invalid settings are read as the defaults, as ``decide`` does. Never raises: where the
    crisis filter would fail inside ``decide`` (no alert, the message held), this is False."""
    try:
        valid = (FilterSettings.from_dict(settings) if isinstance(settings, Mapping)
                 else settings.validate())
    except Exception:
        valid = _DEFAULTS
    try:
        return valid.crisis and crisis_phrases(valid.crisis_extra).any(normalize(text))
    except Exception:
        return False


def verdict_from_hits(hits: list[Hit]) -> Verdict:
    """Combine findings into one verdict by the precedence in the module docstring."""
    alert = any(h.category is Category.CRISIS for h in hits)
    if not hits:
        return Verdict(Outcome.ALLOW)
    # The hits weighed: with crisis language, the pace guards are not (module docstring).
    weighed = [h for h in hits if not (alert and h.category in _PACE)]
    worst = max(weighed, key=lambda h: h.outcome.severity)
    outcome = worst.outcome
    if outcome is Outcome.REJECT and alert:
        outcome = Outcome.HOLD
    if outcome is Outcome.ALLOW_AND_ALERT and not alert:
        outcome = Outcome.ALLOW
    if outcome is Outcome.ALLOW and alert:
        outcome = Outcome.ALLOW_AND_ALERT
    reason = None if outcome in (Outcome.ALLOW, Outcome.ALLOW_AND_ALERT) else worst.category
    if reason is Category.HARM_TO_OTHERS:
        reason = Category.ABUSE
    retry_after = max((h.retry_after for h in weighed if h.outcome is Outcome.REJECT),
                      default=0.0)
    if outcome is not Outcome.REJECT:
        retry_after = 0.0
    harm = any(h.category is Category.HARM_TO_OTHERS for h in hits)
    return Verdict(outcome, alert=alert, reason=reason, hits=tuple(hits),
                   retry_after=retry_after, harm_alert=harm)


def _fail_closed(category: Category) -> Verdict:
    hit = Hit(FilterName.POLICY, category, Outcome.HOLD)
    return Verdict(Outcome.HOLD, reason=category, hits=(hit,))
