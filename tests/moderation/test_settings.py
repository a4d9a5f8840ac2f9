"""FilterSettings from the admins' JSON: defaults, validation that names every bad key,
and each setting taking effect."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from moderation.policy import decide
from moderation.settings import FilterSettings, LinkPolicy, SettingsError
from moderation.types import Category, Outcome, SenderContext

NOW = 10_000.0
SETTLED = SenderContext(joined_at=0)


def outcome(text: str, settings: Mapping[str, object]) -> Outcome:
    return decide(text, settings=settings, sender_context=SETTLED, now=NOW).outcome


def test_empty_dict_gives_defaults_and_round_trips_through_json() -> None:
    assert FilterSettings.from_dict({}) == FilterSettings()
    s = FilterSettings(links=LinkPolicy.HOLD, blocklist_extra=("pöljä",),
                       blocklist_languages=frozenset({"fi", "sv"}), flood_messages=3)
    stored = json.loads(json.dumps(s.to_dict()))
    assert FilterSettings.from_dict(stored) == s
    assert set(stored) == set(FilterSettings().to_dict())


def test_every_bad_key_is_listed_at_once() -> None:
    with pytest.raises(SettingsError) as info:
        FilterSettings.from_dict({
            "flood_messages": 0,
            "flod": 3,
            "links": "sometimes",
            "crisis": "yes",
            "blocklist_extra": ["ok", "bad!"],
            "blocklist_languages": ["fi", "de"],
            "allowed_numbers": ["call me"],
            "allowed_domains": ["not a domain"],
            "newcomer_seconds": float("nan"),
            "repeat_limit": True,
        })
    keys = [p.split(":")[0] for p in info.value.problems]
    assert keys == sorted(["flood_messages", "flod", "links", "crisis", "blocklist_extra",
                           "blocklist_languages", "allowed_numbers", "allowed_domains",
                           "newcomer_seconds", "repeat_limit"])
    message = str(info.value)
    assert "flod: unknown setting" in message
    assert "call me" not in message and "sometimes" not in message  # values are not echoed


@pytest.mark.parametrize("data", [[], "x", None, {1: True}])
def test_not_an_object(data: object) -> None:
    with pytest.raises(SettingsError):
        FilterSettings.from_dict(data)  # type: ignore[arg-type]


def test_list_sizes_are_bounded() -> None:
    with pytest.raises(SettingsError, match="at most"):
        FilterSettings.from_dict({"blocklist_extra": ["sana"] * 501})
    with pytest.raises(SettingsError, match="longer than"):
        FilterSettings.from_dict({"crisis_extra": ["a" * 101]})
    with pytest.raises(SettingsError, match=r"\.\.\."):
        FilterSettings.from_dict({"crisis_extra": ["... alone"]})


def test_filters_can_be_switched_off() -> None:
    assert outcome("kill yourself", {"blocklist": False}) is Outcome.ALLOW
    assert outcome("040 123 4567", {"personal_details": False}) is Outcome.ALLOW
    assert outcome("haluan kuolla", {"crisis": False}) is Outcome.ALLOW


def test_blocklist_extra_disabled_and_languages() -> None:
    assert outcome("olet pöljä", {}) is Outcome.ALLOW
    assert outcome("olet pöljä", {"blocklist_extra": ["olet ... pöljä"]}) is Outcome.REJECT
    assert outcome("kys", {"blocklist_disabled": ["KYS"]}) is Outcome.ALLOW
    assert outcome("you idiot", {"blocklist_languages": ["fi", "sv"]}) is Outcome.ALLOW
    assert outcome("olet idiootti", {"blocklist_languages": ["fi"]}) is Outcome.REJECT


def test_crisis_extra_phrases() -> None:
    text = "mulla on taas niitä synkkiä ajatuksia"
    assert not decide(text, settings={}, sender_context=SETTLED, now=NOW).alert
    v = decide(text, settings={"crisis_extra": ["synk* ajatuk*"]}, sender_context=SETTLED,
               now=NOW)
    assert v.alert and v.outcome is Outcome.ALLOW_AND_ALERT


def test_allowed_numbers() -> None:
    assert outcome("soita 09 2525 0111", {}) is Outcome.ALLOW
    assert outcome("soita 0800 123 456", {}) is Outcome.CONFIRM
    assert outcome("soita 0800 123 456", {"allowed_numbers": ["0800 123 456"]}) is Outcome.ALLOW
    # Replacing the list drops the defaults: the chat server merges the room's lines in.
    assert outcome("soita 09 2525 0111", {"allowed_numbers": ["112"]}) is Outcome.CONFIRM


def test_links_and_allowed_domains() -> None:
    assert outcome("katso example.com", {}) is Outcome.ALLOW
    assert outcome("katso example.com", {"links": "hold"}) is Outcome.HOLD
    settings = {"links": "hold", "allowed_domains": ["Example.com"]}
    assert outcome("katso www.example.com/x", settings) is Outcome.ALLOW


def test_newcomer_settings() -> None:
    fresh = SenderContext(joined_at=NOW - 5)
    v = decide("katso example.com", settings={}, sender_context=fresh, now=NOW)
    assert v.reason is Category.NEWCOMER_LINK and v.retry_after == pytest.approx(55)
    v = decide("katso example.com", settings={"newcomer_links": True}, sender_context=fresh,
               now=NOW)
    assert v.outcome is Outcome.ALLOW
    v = decide("katso example.com", settings={"newcomer_seconds": 0}, sender_context=fresh,
               now=NOW)
    assert v.outcome is Outcome.ALLOW
