"""The supporter's console says, politely, when the person in a private conversation has no
page open any more, and when they are back; what the supporter wrote meanwhile reaches them."""

from __future__ import annotations

import pytest

from tests.browser.test_one_to_one_ui import _talking_with_sanna

pytestmark = pytest.mark.browser


async def test_the_console_says_when_the_person_is_gone_and_when_back(
        browser, start_server, tmp_path):
    """One process. Aino's page goes (her phone's browser leaves the page): 2 s later
    (PERSON_AWAY_SECONDS) Sanna's conversation says, in a polite live region, that the
    participant is not connected and that her messages wait. Sanna writes; Aino's tab comes
    back to the page, gets the conversation with Sanna's message, and the console says that
    the participant is back."""
    server, sanna, aino = await _talking_with_sanna(browser, start_server, tmp_path,
                                                    person_away_seconds=2)
    conversation = sanna.locator("#supporter-conv .conversation:not([hidden])")
    presence = conversation.locator(".person-presence[aria-live=polite]")
    assert await presence.inner_text() == ""

    await aino.goto("about:blank")  # the page is gone; the tab keeps its sessionStorage
    await presence.filter(has_text="Keskustelun 1 osallistuja ei ole juuri nyt yhteydessä"
                          ).wait_for(timeout=15000)
    await conversation.locator(".conv-text").fill("Olen täällä, kun palaat.")
    await conversation.locator(".conv-text").press("Enter")
    await conversation.locator(".text", has_text="Olen täällä, kun palaat.").wait_for()

    await aino.goto(server.url)
    await aino.locator("#support-messages .text", has_text="Olen täällä, kun palaat."
                       ).wait_for(timeout=15000)
    await presence.filter(has_text="Keskustelun 1 osallistuja on taas paikalla").wait_for(
        timeout=15000)
    assert sanna.errors == [] and aino.errors == []  # type: ignore[attr-defined]
