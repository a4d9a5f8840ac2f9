"""A person told that no facilitator is there is told when one comes, however late: on a phone,
against two real processes sharing Redis and PostgreSQL, with the facilitator signing in on the
other process long after the person asked; and a restart of her process does not end the
private conversation she opened from the call."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, Page

from chatserver.testing import FACILITATOR_PASSWORD
from tests.browser.staff_helpers import participant_page, sign_in
from tests.browser.test_alert_inbox_ui import console_page, two_processes
from tests.browser.test_help_in_view_ui import PHONE, in_view
from tests.browser.test_participant_ui import join, wait_until

pytestmark = pytest.mark.browser
# The crisis lines in the live region above the composer.
LINES = "#private-help[role=alert] .resources a[href='tel:112']"


async def help_status(person: Page, text: str, timeout: float = 10) -> None:
    """The status above the composer says ``text``, in view on the phone, read out (role=alert)
    and with the crisis lines."""
    await person.locator("#private-help[role=alert] .help-status", has_text=text).wait_for(
        timeout=timeout * 1000)
    assert await in_view(person, "#private-help .help-status")
    assert await person.locator(LINES).is_visible()


async def test_a_person_told_nobody_is_there_hears_when_a_facilitator_comes_later(
        browser: Browser, start_server, redis_server, pg_url) -> None:
    """Help asked with nobody online, the facilitator signing in well after the few heartbeats
    the server looks again: the person reads that a facilitator has been told, not still that
    nobody is there. Then her process is restarted (a deploy) during the private conversation
    she opened from the call: it goes on once her console is back, and the person is never
    told that nobody is there."""
    # Heartbeats of 0.5 s: the server's own second look is over 2.5 s after the press.
    a, b, _ = await two_processes(start_server, redis_server, pg_url, heartbeat_seconds=0.5)
    person = await participant_page(browser, a.url, viewport=PHONE, is_mobile=True,
                                     has_touch=True)
    await join(person, name="Kuikka")
    await person.click("#help-now")
    await person.locator("#help-dialog-status", has_text="Yksikään ohjaaja ei ole").wait_for()
    await person.click("#help-close")
    await help_status(person, "Yksikään ohjaaja ei ole")
    await asyncio.sleep(4)  # well past the second look (1.5 and 5 heartbeats)

    sanna = await console_page(browser, b.url, "sanna", FACILITATOR_PASSWORD)
    alert = sanna.locator("#alerts li", has_text="Kuikka")
    await alert.wait_for()
    await help_status(person, "Ohjaajalle on kerrottu")

    # She opens a private conversation from the call; her process restarts (a deploy): the
    # conversation waits for her console and goes on (80035e4), and the person is never told
    # that nobody is there.
    await alert.get_by_role("button", name="Keskustele kahden kesken: Kuikka").click()
    await person.wait_for_selector("#side-conv:not([hidden]) #support-conv:not([hidden])")
    b.stop()
    b.start()
    await wait_until(sanna, "document.getElementById('connection').textContent"
                            ".includes('Yhteys palautui')", timeout=20)
    conv = sanna.locator("#supporter-conv .conversation:not([hidden])")
    await conv.locator(".conv-text").fill("Olen yhä täällä.")
    await conv.locator(".conv-text").press("Enter")
    await person.locator("#support-messages .message:not(.mine)",
                         has_text="Olen yhä täällä.").wait_for(timeout=15000)
    assert "ei ole juuri nyt paikalla" not in await person.inner_text("#private")
    for page in (person, sanna):
        assert page.errors == []  # type: ignore[attr-defined]


async def test_the_admin_pages_say_that_a_call_waits_and_lead_to_the_console(
        browser: Browser, staff_server) -> None:
    """Sanna is signed in but on the admin pages, which hold no live connection: she is not
    counted as there, so the person is told that nobody is. The page she is on says that a
    call waits untaken, with the way to the console; once she is there, the person reads
    that a facilitator has been told."""
    server, _ = staff_server
    person = await participant_page(browser, server.url, viewport=PHONE, is_mobile=True,
                                     has_touch=True)
    await join(person, name="Kuikka")
    await person.click("#help-now")
    await person.click("#help-close")
    await help_status(person, "Yksikään ohjaaja ei ole")

    sanna = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD, path="/admin")
    waiting = sanna.locator("#open-alerts[role=status]")
    await waiting.filter(has_text="joita kukaan ei ole ottanut hoitaakseen: 1.").wait_for()
    await asyncio.sleep(1)
    await help_status(person, "Yksikään ohjaaja ei ole")  # the admin page does not count
    await sanna.select_option("#lang", "sv")
    await waiting.filter(has_text="Öppna larm som ingen har tagit hand om: 1.").wait_for()
    await sanna.select_option("#lang", "fi")
    await waiting.get_by_role("link", name="Avaa ohjaajan näkymä").click()
    await sanna.wait_for_selector("#console:not([hidden])")
    await sanna.locator("#alerts li", has_text="Kuikka").wait_for()
    await help_status(person, "Ohjaajalle on kerrottu")
    for page in (person, sanna):
        assert page.errors == []  # type: ignore[attr-defined]
