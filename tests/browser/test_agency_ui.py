"""A participant's control over their own part, in the real browser."""

from __future__ import annotations

import asyncio

import pytest

from tests.browser.test_participant_ui import join, open_page, say, wait_until

pytestmark = pytest.mark.browser


async def _two_in_the_room(browser, url: str):
    """A writer and a reader, both joined to the first room."""
    writer = await open_page(browser, url)
    reader = await open_page(browser, url)
    await join(writer)
    await join(reader)
    return writer, reader


async def test_a_warned_message_is_hidden_until_opened(browser, start_server):
    server = start_server()
    writer, reader = await _two_in_the_room(browser, server.url)
    await writer.check("#cw")
    await writer.fill("#cw-topic", "väkivalta")
    await say(writer, "Kerron nyt jotain raskasta.")
    warning = reader.locator(".message .cw", has_text="väkivalta")
    await warning.wait_for()
    text = reader.locator(".message .text", has_text="raskasta")
    assert not await text.is_visible(), "hidden until the reader chooses"
    announced = await reader.inner_text("#announce")
    assert "raskasta" not in announced, "not read out either"
    await warning.locator("button").click()
    assert await text.is_visible()
    assert await warning.locator("button").get_attribute("aria-expanded") == "true"


async def test_a_reaction_with_the_keyboard_alone(browser, start_server):
    server = start_server()
    writer, reader = await _two_in_the_room(browser, server.url)
    await say(writer, "Tänään oli vaikeaa.")
    await reader.locator(".message .text", has_text="vaikeaa").wait_for()
    await reader.focus("#text")
    heart = reader.locator(".message .reaction[data-reaction='heart']")
    hug = reader.locator(".message .reaction[data-reaction='hug']")
    for _ in range(40):  # Shift+Tab back from the message box to the reactions (one stop)
        if await heart.evaluate("b => b === document.activeElement"):
            break
        await reader.keyboard.press("Shift+Tab")
    assert await heart.evaluate("b => b === document.activeElement")
    await reader.keyboard.press("ArrowRight")  # the arrows move within the reactions
    assert await hug.evaluate("b => b === document.activeElement")
    await reader.keyboard.press("Enter")
    counted = writer.locator(".message .reaction[data-reaction='hug']")
    await wait_until(writer, "document.querySelector(\".reaction[data-reaction='hug']\")"
                             ".textContent.includes('1')")
    assert "1" in await counted.get_attribute("aria-label")


async def test_edit_delete_and_leave_with_erase(browser, start_server):
    server = start_server()
    writer, reader = await _two_in_the_room(browser, server.url)
    await say(writer, "kirjoitin väärin")
    await _edit(writer, "kirjoitin väärin", "kirjoitin oikein")
    await reader.locator(".message .text", has_text="kirjoitin oikein").wait_for()
    assert await reader.locator(".message .edited").count() == 1
    await asyncio.sleep(2.1)  # a newcomer writes at most every 2 s
    await say(writer, "tämän poistan")
    doomed = writer.locator(".message:not(.pending)", has_text="tämän poistan")
    await doomed.wait_for()
    await doomed.locator(".menu-button").click()
    await doomed.get_by_role("button", name="Poista").click()
    await doomed.get_by_role("button", name="Kyllä, poista").click()  # it asks first
    await reader.locator(".message .removed", has_text="Kirjoittaja").wait_for()
    assert await reader.locator(".message .text", has_text="tämän poistan").count() == 0
    # Leaving with erase: plain words first, then everything of theirs is gone for others.
    await writer.click("#leave")
    assert "teksti poistuu kaikilta" in await writer.inner_text("#leave-panel")
    await writer.click("#leave-erase")
    await writer.wait_for_selector("#landing:not([hidden])")
    await wait_until(reader, "document.querySelectorAll('.message .removed').length === 2")
    assert await reader.locator(".message .text", has_text="kirjoitin oikein").count() == 0


async def test_erase_everywhere_from_the_settings(browser, start_server):
    server = start_server()
    writer, reader = await _two_in_the_room(browser, server.url)
    await say(writer, "poistan tämän myöhemmin")
    await reader.locator(".message .text", has_text="myöhemmin").wait_for()
    await writer.click("#leave")
    await writer.click("#leave-only")
    await writer.click("#erase-all")
    assert "teksti poistuu kaikilta" in await writer.inner_text("#erase-confirm")
    await writer.click("#erase-all-yes")
    await wait_until(writer, "document.getElementById('forgotten').textContent.includes('1')")
    await reader.locator(".message .removed").wait_for()
    assert await reader.locator(".message .text", has_text="myöhemmin").count() == 0

async def _edit(page, original: str, new: str) -> None:
    mine = page.locator(".message:not(.pending)", has_text=original)
    await mine.wait_for()
    await mine.locator(".menu-button").click()
    await mine.get_by_role("button", name="Muokkaa").click()
    await page.fill("#text", new)
    await page.press("#text", "Enter")


async def test_an_edit_with_a_phone_number_asks_first_and_then_goes_through(browser,
                                                                           start_server):
    # The page dropped the server's question about an edit: the new text vanished, unsaid.
    server = start_server()
    writer, reader = await _two_in_the_room(browser, server.url)
    await say(writer, "soita minulle joskus")
    await _edit(writer, "soita minulle joskus", "soita minulle 040 123 4567")
    ask = writer.locator("#private-notice", has_text="yhteystietoja")
    await ask.wait_for()
    assert await writer.input_value("#text") == "soita minulle 040 123 4567", "not lost"
    await ask.get_by_role("button", name="Lähetä silti").click()
    await reader.locator(".message .text", has_text="040 123 4567").wait_for()
    assert await reader.locator(".message .edited").count() == 1
    assert await writer.input_value("#text") == ""


async def test_an_edit_too_late_keeps_its_text_and_says_why(browser, start_server):
    server = start_server(edit_window_seconds="1")
    writer, reader = await _two_in_the_room(browser, server.url)
    await say(writer, "hei kaikki")
    await reader.locator(".message .text", has_text="hei kaikki").wait_for()
    await asyncio.sleep(1.5)
    await _edit(writer, "hei kaikki", "hei kaikille, mukava olla täällä")
    await writer.locator("#replying", has_text="ei voi enää muokata").wait_for()
    assert await writer.input_value("#text") == "hei kaikille, mukava olla täällä"
    assert "ei voi enää muokata" in await writer.inner_text("#announce")
    assert await reader.locator(".message .edited").count() == 0
