"""decide(): precedence, the separate alert flag, room controls and failing closed."""

from __future__ import annotations

import pytest

from moderation import policy
from moderation.filters import PARTICIPANT_FILTERS, Message
from moderation.normalize import digest
from moderation.policy import decide, verdict_from_hits
from moderation.settings import FilterSettings
from moderation.types import (
    Category,
    FilterName,
    Hit,
    Outcome,
    Role,
    RoomControls,
    SenderContext,
    SenderHistory,
    Verdict,
)

NOW = 50_000.0
SETTLED = SenderContext(joined_at=NOW - 3600)
DEFAULTS = FilterSettings()


def run(text: str, sender: SenderContext = SETTLED, **kw: object) -> Verdict:
    kw.setdefault("settings", DEFAULTS)
    return decide(text, sender_context=sender, now=NOW, **kw)  # type: ignore[arg-type]


def test_plain_message_is_allowed() -> None:
    v = run("hei kaikki, kiva olla täällä")
    assert v == Verdict(Outcome.ALLOW)
    assert v.posts and v.counts_as_sent and v.code == "allow"


def test_crisis_is_posted_with_an_alert() -> None:
    v = run("en jaksa elää enää")
    assert v.outcome is Outcome.ALLOW_AND_ALERT and v.alert and v.posts
    assert v.reason is None
    assert [h.category for h in v.hits] == [Category.CRISIS]


def test_crisis_with_a_phone_number_asks_to_confirm_and_still_alerts() -> None:
    v = run("haluan kuolla, soittakaa mulle 040 123 4567")
    assert v.outcome is Outcome.CONFIRM and v.alert
    assert v.reason is Category.PHONE
    assert {h.category for h in v.hits} == {Category.CRISIS, Category.PHONE}


def test_confirmed_personal_details_go_through_and_other_filters_still_apply() -> None:
    assert run("mun numero on 040 123 4567", confirmed=True).outcome is Outcome.ALLOW
    v = run("haluan kuolla, numeroni 040 123 4567", confirmed=True)
    assert v.outcome is Outcome.ALLOW_AND_ALERT
    assert run("olet idiootti, 040 123 4567", confirmed=True).outcome is Outcome.REJECT


def test_abuse_is_rejected_with_a_reason() -> None:
    v = run("kill yourself")
    assert v.outcome is Outcome.REJECT and v.reason is Category.ABUSE and not v.posts


def test_a_crisis_message_is_never_rejected() -> None:
    v = run("olet idiootti ja haluan kuolla")
    assert v.outcome is Outcome.HOLD and v.alert
    history = SenderHistory()
    for k in range(6):
        history = history.record(digest(f"viesti {k}"), NOW - 5 + k * 0.5)
    flooding = SenderContext(joined_at=NOW - 3600, history=history)
    v = run("I want to die", flooding)
    assert v.outcome is Outcome.HOLD and v.alert


def test_the_newcomer_pace_does_not_hold_back_crisis_language() -> None:
    """A newcomer's lines a second apart: a plain one waits for the pace (refused with
    retry_after), one with crisis language is posted with its alert, not held for a
    facilitator's decision; a link from a newcomer is still not posted either way."""
    history = SenderHistory().record(digest("hei"), NOW - 0.5)
    newcomer = SenderContext(joined_at=NOW - 10, history=history)
    assert run("hei taas", newcomer).reason is Category.NEWCOMER_RATE
    v = run("en jaksa enää, haluan kuolla", newcomer)
    assert v.outcome is Outcome.ALLOW_AND_ALERT and v.alert and v.posts
    assert (v.reason, v.retry_after) == (None, 0.0)
    v = run("haluan kuolla, katso www.example.com", newcomer)
    assert v.outcome is Outcome.HOLD and v.alert and v.reason is Category.NEWCOMER_LINK


def test_slow_mode_does_not_hold_back_crisis_language() -> None:
    """Slow mode paces like the newcomer pace: a plain line too soon is refused, one with
    crisis language is posted with its alert."""
    history = SenderHistory().record(digest("moi"), NOW - 3)
    sender = SenderContext(joined_at=0, history=history)
    slow = RoomControls(slow_mode_seconds=10)
    assert run("moi taas", sender, controls=slow).reason is Category.SLOW_MODE
    v = run("en jaksa enää, haluan kuolla", sender, controls=slow)
    assert v.outcome is Outcome.ALLOW_AND_ALERT and v.alert and v.posts
    assert (v.reason, v.retry_after) == (None, 0.0)


@pytest.mark.parametrize("text", [
    "en jaksa enää, haluan kuolla", "I want to end it all", "jag vill inte leva längre",
    "hei kaikki", "kuolla nauruun", "musta aukko nielee minut",
])
@pytest.mark.parametrize("settings", [
    DEFAULTS, FilterSettings(crisis_extra=("musta aukko*",)), FilterSettings(crisis=False),
    {"crisis_extra": ["musta aukko*"]}, {"nonsense": True}, FilterSettings(flood_messages=0),
])
def test_the_crisis_check_alone_agrees_with_decide(text: str, settings: object) -> None:
    """``crisis_language_in`` (for a line refused before the policy runs) finds crisis
    language exactly where ``decide`` alerts: the room's own phrases, the filter switched
    off, invalid settings read as the defaults."""
    assert policy.crisis_language_in(text, settings=settings) == run(  # type: ignore[arg-type]
        text, settings=settings).alert


def test_precedence() -> None:
    def hit(outcome: Outcome, category: Category = Category.LINK) -> Hit:
        return Hit(FilterName.LINKS, category, outcome)

    order = [Outcome.REJECT, Outcome.HOLD, Outcome.CONFIRM, Outcome.ALLOW_AND_ALERT]
    for i, top in enumerate(order[:-1]):
        for lower in order[i + 1:]:
            v = verdict_from_hits([hit(lower, Category.CRISIS), hit(top)])
            want = Outcome.HOLD if top is Outcome.REJECT else top
            assert v.outcome is want and v.alert
            assert verdict_from_hits([hit(lower), hit(top)]).outcome is top
    assert verdict_from_hits([]).outcome is Outcome.ALLOW


def test_retry_after_is_given_for_rejections_only() -> None:
    history = SenderHistory().record(digest("hei"), NOW - 0.5)
    newcomer = SenderContext(joined_at=NOW - 10, history=history)
    v = run("hei taas", newcomer)
    assert v.outcome is Outcome.REJECT and v.reason is Category.NEWCOMER_RATE
    assert v.retry_after == pytest.approx(1.5)


def test_flood_through_decide_and_recorded_history() -> None:
    sender = SETTLED
    outcomes = []
    for k in range(7):
        now = NOW + k
        v = decide(f"viesti numero {k}", settings=DEFAULTS, sender_context=sender, now=now)
        outcomes.append(v.outcome)
        if v.counts_as_sent:
            history = sender.history.record(digest(f"viesti numero {k}"), now)
            sender = SenderContext(sender.role, sender.joined_at, history)
    assert outcomes == [Outcome.ALLOW] * 5 + [Outcome.REJECT] * 2


def test_room_controls() -> None:
    assert run("hei", controls=RoomControls(locked=True)).reason is Category.LOCKED
    v = run("hei", controls=RoomControls(premoderated=True))
    assert v.outcome is Outcome.HOLD and v.reason is Category.PREMODERATED
    v = run("haluan kuolla", controls=RoomControls(premoderated=True))
    assert v.outcome is Outcome.HOLD and v.alert
    history = SenderHistory().record(digest("moi"), NOW - 3)
    v = run("moi taas", SenderContext(joined_at=0, history=history),
            controls=RoomControls(slow_mode_seconds=10))
    assert v.reason is Category.SLOW_MODE and v.retry_after == pytest.approx(7.0)


def test_staff_are_trusted_except_for_their_own_anonymity() -> None:
    staff = SenderContext(role=Role.FACILITATOR, joined_at=NOW)
    locked = RoomControls(locked=True, premoderated=True)
    assert run("jos mietit itsemurhaa, soita 09 2525 0111", staff).outcome is Outcome.ALLOW
    assert run("kill yourself is never ok here", staff, controls=locked).outcome is Outcome.ALLOW
    assert run("mun numero 040 123 4567", staff).outcome is Outcome.CONFIRM


# --- failing closed ---------------------------------------------------------------------

def test_invalid_settings_dict_fails_closed_and_still_alerts() -> None:
    v = run("hei", settings={"flood_messages": "many"})
    assert v.outcome is Outcome.HOLD and v.reason is Category.INVALID_SETTINGS
    v = run("haluan kuolla", settings={"nonsense": True})
    assert v.outcome is Outcome.HOLD and v.alert


@pytest.mark.parametrize("bad", [
    FilterSettings(flood_messages=0),
    FilterSettings(blocklist_extra=["unhashable list"]),  # type: ignore[arg-type]
    FilterSettings(links="sometimes"),  # type: ignore[arg-type]
    FilterSettings(blocklist_languages=frozenset({"de"})),
    FilterSettings(crisis_extra=("",)),
])
def test_invalid_settings_object_fails_closed(bad: FilterSettings) -> None:
    v = run("hei", settings=bad)
    assert v.outcome is Outcome.HOLD and v.reason is Category.INVALID_SETTINGS


def test_not_settings_at_all_fails_closed() -> None:
    assert run("hei", settings=None).outcome is Outcome.HOLD
    assert run("hei", settings=42).outcome is Outcome.HOLD


def test_a_failing_filter_fails_closed_without_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(msg: Message, settings: FilterSettings) -> list[Hit]:
        raise RuntimeError(f"cannot handle {msg.text}")

    monkeypatch.setattr(policy, "PARTICIPANT_FILTERS", (*PARTICIPANT_FILTERS, broken))
    v = run("salainen viesti")
    assert v.outcome is Outcome.HOLD and v.reason is Category.FILTER_ERROR
    assert "salainen" not in repr(v)
    # The other filters still ran: a crisis still alerts.
    assert run("haluan kuolla").alert


def test_input_that_is_not_text_fails_closed() -> None:
    v = run(None)  # type: ignore[arg-type]
    assert v.outcome is Outcome.HOLD and v.reason is Category.FILTER_ERROR


def test_verdicts_never_carry_message_text() -> None:
    text = "haluan kuolla, soita 040 123 4567 tai anna@example.fi"
    v = run(text)
    assert "040" not in repr(v) and "anna" not in repr(v) and "kuolla" not in repr(v)


def test_verdict_is_frozen() -> None:
    v = run("hei")
    with pytest.raises(AttributeError):
        v.outcome = Outcome.REJECT  # type: ignore[misc]
