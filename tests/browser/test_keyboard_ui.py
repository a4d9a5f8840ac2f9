"""A phone's on-screen keyboard never hides help: with the keyboard open over the lower part of
a 390x844 screen, the person typing still sees "I need help now", quick exit, where their call
for help stands with the crisis lines, and a private conversation a facilitator opens.

Headless Chromium has no on-screen keyboard: the browser's part is played by a stand-in for
`window.visualViewport` (installed before the page's scripts), whose height shrinks by the
keyboard's and which says so with a `resize` event, as iOS Safari does (Chrome on Android
asks for the same with `interactive-widget=resizes-content`, checked too)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from chatserver.testing import FACILITATOR_PASSWORD
from tests.browser.staff_helpers import participant_page, sign_in
from tests.browser.test_help_in_view_ui import DESKTOP, PHONE
from tests.browser.test_participant_ui import join, wait_until

pytestmark = pytest.mark.browser
KEYBOARD = 336  # a phone keyboard's height on a 390x844 screen, in CSS pixels
# The visual viewport of a browser that shrinks only what is seen when a keyboard opens.
KEYBOARD_STAND_IN = """
(() => {
  let keyboard = 0;
  const seen = new EventTarget();
  Object.defineProperties(seen, {
    height: { get: () => window.innerHeight - keyboard },
    width: { get: () => window.innerWidth },
    scale: { value: 1 }, offsetTop: { value: 0 }, offsetLeft: { value: 0 },
  });
  Object.defineProperty(window, "visualViewport", { configurable: true, get: () => seen });
  window.__keyboard = (px) => { keyboard = px; seen.dispatchEvent(new Event("resize")); };
})();
"""
# Whether the element is wholly in the part of the screen above the keyboard and seen there:
# what is at its top and bottom edges is the element (not scrolled out of its box, not under
# the composer or a sheet).
ABOVE_KEYBOARD = """([selector, keyboard]) => {
  const e = document.querySelector(selector);
  if (!e) return false;
  const r = e.getBoundingClientRect();
  const x = r.left + r.width / 2;
  const seen = (y) => e.contains(document.elementFromPoint(x, y));
  return r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight - keyboard
    && seen(r.top + 1) && seen(r.bottom - 1);
}"""


async def above_keyboard(page: Page, selector: str) -> bool:
    return bool(await page.evaluate(ABOVE_KEYBOARD, [selector, KEYBOARD]))


async def test_the_keyboard_open_hides_neither_help_nor_a_private_conversation(
        browser, staff_server) -> None:
    server, _ = staff_server
    person = await participant_page(browser, server.url, viewport=PHONE, is_mobile=True,
                                    has_touch=True)
    await person.context.add_init_script(KEYBOARD_STAND_IN)
    await person.reload()
    await person.wait_for_selector(".room")
    viewport = await person.get_attribute("meta[name=viewport]", "content")
    assert "interactive-widget=resizes-content" in (viewport or "")
    await join(person, name="Kuikka")
    # Nobody online: the status and the lines stay above the composer.
    await person.click("#help-now")
    await person.locator("#help-dialog-status", has_text="Yksikään ohjaaja ei ole").wait_for()
    await person.click("#help-close")
    await person.locator("#private .help-status", has_text="Yksikään ohjaaja ei ole").wait_for()

    # The person starts typing: the keyboard covers the lower 336 px.
    await person.focus("#text")
    await person.evaluate(f"window.__keyboard({KEYBOARD})")
    # Laid out again for the smaller height (a frame later).
    await wait_until(person, "document.body.getBoundingClientRect().height"
                             f" <= window.innerHeight - {KEYBOARD}")
    for selector in ("#help-now", "#quick-exit", "#private-help .help-status",
                     "#private-help a[href='tel:112']", "#text"):
        assert await above_keyboard(person, selector), selector
    assert await person.evaluate("window.scrollY") == 0

    # A facilitator signs in and opens a private conversation from the call: its sheet, its
    # title and its composer are above the keyboard too.
    sanna = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD, viewport=DESKTOP)
    alert = sanna.locator("#alerts li", has_text="Kuikka")
    await alert.get_by_role("button", name="Keskustele kahden kesken: Kuikka").click()
    await person.wait_for_selector("#side-conv:not([hidden]) #support-conv:not([hidden])")
    for selector in ("#help-now", "#quick-exit", "#support-conv-title", "#support-text"):
        assert await above_keyboard(person, selector), selector

    # The keyboard closes: the whole screen is used again.
    await person.evaluate("window.__keyboard(0)")
    await wait_until(person, "document.body.getBoundingClientRect().height"
                             " === window.innerHeight")
    assert await person.evaluate(
        "document.getElementById('side-conv').getBoundingClientRect().bottom") == PHONE["height"]
    for page in (person, sanna):
        assert page.errors == []  # type: ignore[attr-defined]


async def test_a_facilitators_phone_keeps_the_conversation_and_the_inbox_above_the_keyboard(
        browser, staff_server) -> None:
    """A facilitator answers a person in crisis from a 390x844 phone: the conversation opened
    from the alert is not left under the inbox's sheet, and with the keyboard open its composer,
    the person's last message and the bar with the inbox's counts are above the keyboard; a
    new alert while she types is seen on that bar; a note on the alert, typed in the inbox's
    sheet, is in view with the sheet's top."""
    server, _ = staff_server
    phone = {"viewport": PHONE, "is_mobile": True, "has_touch": True}
    sanna = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD, **phone)
    await sanna.context.add_init_script(KEYBOARD_STAND_IN)
    await sanna.reload()
    await sanna.wait_for_selector("#room-view:not([hidden])")
    viewport = await sanna.get_attribute("meta[name=viewport]", "content")
    assert "interactive-widget=resizes-content" in (viewport or "")
    person = await participant_page(browser, server.url, **phone)
    await join(person, name="Kuikka")
    await person.click("#help-now")
    await person.click("#help-close")

    # From the alert in the inbox's sheet: the sheet goes, the conversation is there to answer.
    await sanna.locator("#inbox-toggle.active").click()
    alert = sanna.locator("#alerts li", has_text="Kuikka")
    await alert.get_by_role("button", name="Keskustele kahden kesken: Kuikka").click()
    await person.wait_for_selector("#side-conv:not([hidden]) #support-conv:not([hidden])")
    for n in range(1, 9):
        await person.fill("#support-text", f"Kuikka kirjoittaa {n}")
        await person.press("#support-text", "Enter")
    conv = "#supporter-conv .conversation:not([hidden])"
    await sanna.locator(f"{conv} .conv-messages li", has_text="kirjoittaa 8").wait_for()
    assert await sanna.evaluate(
        f"document.activeElement === document.querySelector('{conv} .conv-text')")
    assert not await sanna.locator("#inbox").is_visible()

    # Sanna starts typing: the keyboard covers the lower 336 px.
    await sanna.evaluate(f"window.__keyboard({KEYBOARD})")
    await wait_until(sanna, "document.getElementById('inbox-toggle').getBoundingClientRect()"
                            f".bottom <= window.innerHeight - {KEYBOARD}")
    for selector in (f"{conv} .conv-text", f"{conv} .conv-messages li:last-child",
                     "#inbox-toggle"):
        assert await above_keyboard(sanna, selector), selector
    assert "kirjoittaa 8" in await sanna.inner_text(f"{conv} .conv-messages li:last-child")
    # Someone else calls for help while she types: the bar above the keyboard says so.
    other = await participant_page(browser, server.url, **phone)
    await join(other, name="Tikka")
    await other.click("#help-now")
    await other.click("#help-close")
    await sanna.locator("#inbox-toggle.active", has_text="(1)").wait_for()
    assert await above_keyboard(sanna, "#inbox-toggle")

    # The keyboard closes; she opens the inbox and writes a note on Kuikka's alert: the sheet
    # ends above the keyboard, its top (where it is closed) and the note are seen.
    await sanna.evaluate("window.__keyboard(0)")
    await sanna.click("#inbox-toggle")
    await alert.get_by_role("button", name="Merkitse hoidetuksi").click()
    note = "#alerts li .resolve-form:not([hidden]) textarea"
    await sanna.focus(note)
    await sanna.evaluate(f"window.__keyboard({KEYBOARD})")
    await wait_until(sanna, "document.getElementById('inbox').getBoundingClientRect()"
                            f".bottom <= window.innerHeight - {KEYBOARD}")
    for selector in ("#inbox-close", note, "#inbox-toggle"):
        assert await above_keyboard(sanna, selector), selector

    # Closed again: the sheet and the bar are at the foot of the screen.
    await sanna.evaluate("window.__keyboard(0)")
    await wait_until(sanna, "document.getElementById('inbox-toggle').getBoundingClientRect()"
                            " .bottom === window.innerHeight")
    for page in (person, other, sanna):
        assert page.errors == []  # type: ignore[attr-defined]
