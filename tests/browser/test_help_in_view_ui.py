"""Help stays in view (issue 15): the participant's page in a room is an app, with "I need
help now" and quick exit always on screen and the crisis lines opening in view, focused; the
facilitator console keeps its alerts in view while a room streams, with an opt-in tone and
desktop notifications and the count in the tab's title."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import Page

from chatserver.testing import FACILITATOR_PASSWORD, FAST, ChatClient
from tests.browser.staff_helpers import no_dialogs_or_errors, participant_page, sign_in
from tests.browser.test_accessibility import new_page, no_violations
from tests.browser.test_participant_ui import join, wait_until

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 320, "height": 568}
LAPTOP = {"width": 1280, "height": 800}
DESKTOP = {"width": 1366, "height": 900}

IN_VIEW = """(selector) => {
  const e = document.querySelector(selector);
  if (!e) return false;
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0
    && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
}"""
# Where the page itself has scrolled to, and how far it could scroll at all.
PAGE_SCROLL = """() => [window.scrollY,
  document.scrollingElement.scrollHeight - window.innerHeight,
  document.scrollingElement.scrollWidth - window.innerWidth]"""
# A fake AudioContext that counts the tones played (in window.__tones).
FAKE_AUDIO = """
class FakeAudioContext {
  constructor() { this.state = "running"; this.currentTime = 0; this.destination = {}; }
  resume() { return Promise.resolve(); }
  createOscillator() {
    return { type: "", frequency: { value: 0 }, connect: (n) => n,
             start: () => { window.__tones += 1; }, stop: () => {} };
  }
  createGain() {
    return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect: (n) => n };
  }
}
window.AudioContext = FakeAudioContext;
"""
# Fakes for the browser's audio and notifications, installed before the page's own scripts:
# they count what the page asks for (a tone played, a permission asked, a notification shown).
SIGNAL_FAKES = """
window.__tones = 0; window.__asked = 0; window.__shown = [];
class FakeNotification {
  // Kept over a reload, as a browser keeps it.
  static permission = localStorage.getItem("fake.permission") ?? "default";
  static async requestPermission() {
    window.__asked += 1;
    FakeNotification.permission = "granted";
    localStorage.setItem("fake.permission", "granted");
    return "granted";
  }
  constructor(title, options) { window.__shown.push({ title, ...options }); }
  addEventListener() {}
  close() {}
}
window.Notification = FakeNotification;
""" + FAKE_AUDIO


async def in_view(page: Page, selector: str) -> bool:
    return bool(await page.evaluate(IN_VIEW, selector))



async def fifty_messages(url: str, *, check: object = None) -> ChatClient:
    """Another participant (a protocol client) writes 50 messages; ``check`` is awaited after
    every tenth."""
    writer = await ChatClient.connect(url)
    await writer.join("olohuone", name="Kaisla")
    for n in range(1, 51):
        await writer.say("olohuone", f"Viesti {n}: tänään on ollut pitkä päivä, mutta tässä.")
        if check is not None and n % 10 == 0:
            await check()  # type: ignore[operator]
    return writer


@pytest.mark.parametrize("viewport", [PHONE, SMALL_PHONE, LAPTOP],
                         ids=["390x844", "320x568", "1280x800"])
async def test_help_and_quick_exit_stay_in_view_and_only_the_messages_scroll(
        browser, start_server, viewport):
    server = start_server(**FAST)
    page = await participant_page(browser, server.url, viewport=viewport)
    await join(page, name="Tyyni Saukko")
    narrow = viewport["width"] <= 700

    async def app_like() -> None:
        for selector in ("#help-now", "#quick-exit", "#text", "#send-form button[type=submit]",
                         "#room-title", "#leave"):
            assert await in_view(page, selector), f"{selector} is out of view at {viewport}"
        scroll_y, page_room, sideways = await page.evaluate(PAGE_SCROLL)
        assert scroll_y == 0 and page_room <= 0, "the page itself does not scroll in a room"
        assert sideways <= 0, "no sideways scrolling"

    await app_like()
    # The member list is folded away on a narrow screen, beside the messages on a wide one.
    assert await page.is_visible("#members-box") is not narrow
    assert await page.is_visible("#members-toggle") is narrow
    writer = await fifty_messages(server.ws_url)
    last = page.locator(".message", has_text="Viesti 50:")
    await last.wait_for()
    await app_like()
    await wait_until(page, "(() => { const l = document.getElementById('messages');"
                           " return l.scrollHeight - l.scrollTop - l.clientHeight < 2; })()")
    assert await page.evaluate("document.getElementById('messages').scrollHeight"
                               " > document.getElementById('messages').clientHeight"), \
        "the message list is the one scrolling area"
    assert await in_view(page, ".message:last-child"), "the newest message is shown"
    if narrow:
        assert await page.inner_text("#members-toggle") == "Paikalla (2)"
        await page.click("#members-toggle")
        assert await page.get_attribute("#members-toggle", "aria-expanded") == "true"
        await page.locator("#members-box li", has_text="Kaisla").wait_for()
        assert await in_view(page, "#members-box")
        await page.click("#members-toggle")
        assert not await page.is_visible("#members-box")

    # "I need help now": the crisis lines open in view, focused, with tap-to-call links.
    await page.click("#help-now")
    await page.wait_for_selector("#help-dialog[open]")
    await page.locator("#help-lines a.phone").first.wait_for()
    assert await page.evaluate("document.activeElement.id") == "help-lines"
    assert await in_view(page, "#help-dialog-title")
    assert await in_view(page, "#help-lines li:first-child a.phone")
    if viewport is not SMALL_PHONE:  # on the smallest screen the last lines are a scroll away
        assert await in_view(page, "#help-lines"), "every line is in view"
    calls = await page.locator("#help-lines a.phone").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    assert "tel:112" in calls and all(re.fullmatch(r"tel:\+?\d+", c) for c in calls), calls
    dialog = page.locator("#help-dialog")
    assert await dialog.get_attribute("role") == "alertdialog"
    title = await page.inner_text(f"#{await dialog.get_attribute('aria-labelledby')}")
    assert title == "Kriisiapu"
    assert await page.inner_text("#help-dialog-status") != "", "it says what happens next"
    assert await in_view(page, "#help-exit"), "quick exit is within reach in the sheet too"
    # The close button closes it and gives the focus back.
    await page.click("#help-close")
    await wait_until(page, "!document.getElementById('help-dialog').open")
    assert await page.evaluate("document.activeElement.id") == "help-now"
    assert page.url.startswith(server.url)
    assert page.errors == []  # type: ignore[attr-defined]
    await writer.close()


async def test_esc_closes_a_dialog_and_never_quick_exits_from_one(browser, start_server):
    server = start_server(**FAST)
    page = await participant_page(browser, server.url, viewport=PHONE)
    await join(page, name="Tyyni Saukko")
    writer = await ChatClient.connect(server.ws_url)
    await writer.join("olohuone", name="Kaisla")
    await writer.say("olohuone", "Hei kaikki")
    await page.locator(".message", has_text="Hei kaikki").wait_for()
    # Esc twice, fast, with the crisis lines open: the sheet closes, the page stays.
    await page.click("#help-now")
    await page.wait_for_selector("#help-dialog[open]")
    await page.keyboard.press("Escape")
    await page.keyboard.press("Escape")
    await wait_until(page, "!document.getElementById('help-dialog').open")
    await asyncio.sleep(0.3)
    assert page.url.startswith(server.url)
    assert await page.is_visible("#chat")
    assert await page.evaluate("document.activeElement.id") == "help-now"
    # The same in the report dialog.
    await asyncio.sleep(0.7)
    message = page.locator(".message", has_text="Hei kaikki")
    await message.locator(".menu-button").click()
    await message.get_by_role("button", name="Ilmoita").click()
    await page.wait_for_selector("#report-dialog[open]")
    await page.keyboard.press("Escape")
    await page.keyboard.press("Escape")
    await wait_until(page, "!document.getElementById('report-dialog').open")
    await asyncio.sleep(0.3)
    assert page.url.startswith(server.url)
    # With no dialog open, Esc twice is quick exit, as before.
    await asyncio.sleep(0.7)
    await page.keyboard.press("Escape")
    await page.keyboard.press("Escape")
    await page.wait_for_url("https://www.google.com/**")
    assert page.errors == []  # type: ignore[attr-defined]
    await writer.close()


async def test_the_help_button_on_the_landing_page_shows_the_lines_without_telling_anyone(
        browser, start_server):
    server = start_server(**FAST)
    page = await participant_page(browser, server.url, viewport=PHONE)
    assert await in_view(page, "#help-now")
    await page.click("#help-now")
    await page.wait_for_selector("#help-dialog[open]")
    await page.locator("#help-lines a[href='tel:112']").wait_for()
    assert await page.evaluate("document.activeElement.id") == "help-lines"
    assert not await page.is_visible("#help-dialog-status"), "no room: nobody to tell"
    await page.keyboard.press("Escape")
    await wait_until(page, "!document.getElementById('help-dialog').open")
    assert page.url.startswith(server.url)


async def test_an_alert_stays_in_view_while_the_room_streams(browser, staff_server):
    server, _ = staff_server
    console = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD,
                            viewport=DESKTOP)
    person = await ChatClient.connect(server.ws_url)
    await person.join("olohuone", name="Kuikka")
    await person.request({"type": "help", "room": "olohuone"})
    alert = console.locator("#alerts li", has_text="Kuikka")
    await alert.wait_for()
    assert await console.title() == "(1) Ohjaajan näkymä"

    async def still_in_view() -> None:
        assert await in_view(console, "#alerts li"), "the alert left the viewport"
        assert await console.evaluate("window.scrollY") == 0, "the page scrolled"

    await fifty_messages(server.ws_url, check=still_in_view)
    await console.locator("#messages .message", has_text="Viesti 50:").wait_for()
    await wait_until(console, "(() => { const l = document.getElementById('messages');"
                              " return l.scrollHeight - l.scrollTop - l.clientHeight < 2; })()")
    await still_in_view()
    assert await in_view(console, "#messages .message:last-child")
    assert await console.evaluate("document.getElementById('messages').scrollHeight"
                                  " > document.getElementById('messages').clientHeight")
    # Scrolled down the page (to the debriefs, say), the alerts are still beside it.
    await console.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert await in_view(console, "#alerts li")
    assert await in_view(console, "#alerts-title")
    assert console.errors == []  # type: ignore[attr-defined]
    await person.close()


async def test_on_a_phone_the_console_keeps_a_bar_with_the_count_that_opens_the_inbox(
        browser, staff_server):
    server, _ = staff_server
    console = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD, viewport=PHONE)
    assert await in_view(console, "#inbox-toggle")
    assert not await console.is_visible("#alerts-panel"), "folded away until opened"
    person = await ChatClient.connect(server.ws_url)
    await person.join("olohuone", name="Kuikka")
    await person.request({"type": "help", "room": "olohuone"})
    await console.locator("#inbox-toggle.active", has_text="Hälytykset (1)").wait_for()

    async def bar_in_view() -> None:
        assert await in_view(console, "#inbox-toggle")

    await fifty_messages(server.ws_url, check=bar_in_view)
    await console.locator("#messages .message", has_text="Viesti 50:").wait_for()
    await console.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    await bar_in_view()
    await console.click("#inbox-toggle")
    assert await console.get_attribute("#inbox-toggle", "aria-expanded") == "true"
    assert await console.evaluate("document.activeElement.id") == "alerts-title"
    assert await in_view(console, "#alerts li")
    assert "Kuikka" in await console.inner_text("#alerts li")
    await console.keyboard.press("Escape")
    assert not await console.is_visible("#alerts-panel")
    assert await console.evaluate("document.activeElement.id") == "inbox-toggle"
    width = await console.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    assert console.errors == []  # type: ignore[attr-defined]
    await person.close()


async def test_tone_and_desktop_notifications_only_by_choice(browser, staff_server):
    server, _ = staff_server
    ctx = await browser.new_context(viewport=DESKTOP)
    await ctx.add_init_script(SIGNAL_FAKES)
    console = await ctx.new_page()
    console.errors = no_dialogs_or_errors(console)  # type: ignore[attr-defined]
    requests: list[str] = []
    console.on("request", lambda r: requests.append(r.url))
    await console.goto(server.url + "/staff")
    await console.fill("#username", "sanna")
    await console.fill("#password", FACILITATOR_PASSWORD)
    await console.press("#password", "Enter")
    await console.wait_for_selector("#room-view:not([hidden])")
    person = await ChatClient.connect(server.ws_url)
    await person.join("olohuone", name="Kuikka")
    await person.request({"type": "help", "room": "olohuone"})
    await console.locator("#alerts li").first.wait_for()
    # Nothing asked or played on its own: no permission asked on load, no tone unasked.
    assert await console.evaluate("[window.__asked, window.__tones, window.__shown.length]") \
        == [0, 0, 0]
    assert not await console.is_checked("#alert-sound")

    await console.check("#alert-sound")
    assert await console.evaluate("window.__tones") == 2, "a sample of the tone"
    await console.click("#alert-notify")
    await wait_until(console, "window.__asked === 1")
    await console.locator("#alert-notify", has_text="Lopeta työpöytäilmoitukset").wait_for()
    assert await console.get_attribute("#alert-notify", "aria-pressed") == "true"
    await console.evaluate("document.hasFocus = () => false")  # the facilitator is elsewhere
    # Kuikka presses again: the same call, signalled again as one that asks again.
    await person.request({"type": "help", "room": "olohuone"})
    await wait_until(console, "window.__shown.length === 1")
    shown = await console.evaluate("window.__shown[0]")
    assert shown["title"] == "Pyytää taas apua" and "Olohuone" in shown["body"], shown
    assert await console.evaluate("window.__tones") == 4
    assert await console.locator("#alerts li").count() == 1
    assert await console.title() == "(1) Ohjaajan näkymä"
    # Someone else's call is a new alert, with its own signal.
    other = await ChatClient.connect(server.ws_url)
    await other.join("olohuone", name="Kaisla")
    await other.request({"type": "help", "room": "olohuone"})
    await wait_until(console, "window.__shown.length === 2")
    shown = await console.evaluate("window.__shown[1]")
    assert shown["title"] == "Uusi hälytys" and "Olohuone" in shown["body"], shown
    assert await console.evaluate("window.__tones") == 6
    assert await console.title() == "(2) Ohjaajan näkymä"
    # The tone is made in the page: nothing is fetched from anywhere else, no sound file.
    assert all(u.startswith(server.url) for u in requests), requests
    assert not [u for u in requests if re.search(r"\.(mp3|ogg|wav|m4a|webm|aac)\b", u)]
    # The choices are kept on this device; a reload asks nothing again.
    await console.reload()
    await console.wait_for_selector("#room-view:not([hidden])")
    assert await console.is_checked("#alert-sound")
    await console.locator("#alert-notify", has_text="Lopeta työpöytäilmoitukset").wait_for()
    assert await console.evaluate("window.__asked") == 0
    assert console.errors == []  # type: ignore[attr-defined]
    await person.close()
    await other.close()
    await ctx.close()


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
async def test_no_violations_with_help_open_and_in_the_console_layouts(
        browser, staff_server, axe_source, lang):
    server, _ = staff_server
    page = await new_page(browser, server.url, lang, viewport=PHONE)
    await page.wait_for_selector(".room")
    await page.locator(".room button").first.click()
    await page.click("#accept")
    await page.wait_for_selector("#chat:not([hidden])")
    await no_violations(page, axe_source, f"chat on a phone {lang}")
    await page.click("#members-toggle")
    await page.locator("#members-box li").first.wait_for()
    await no_violations(page, axe_source, f"members unfolded {lang}")
    await page.click("#help-now")
    await page.wait_for_selector("#help-dialog[open]")
    await page.locator("#help-lines a.phone").first.wait_for()
    await no_violations(page, axe_source, f"help sheet {lang}")
    await page.keyboard.press("Escape")

    for viewport in (DESKTOP, PHONE):
        console = await new_page(browser, server.url + "/staff", lang, viewport=viewport)
        await console.fill("#username", "sanna")
        await console.fill("#password", FACILITATOR_PASSWORD)
        await console.press("#password", "Enter")
        await console.wait_for_selector("#room-view:not([hidden])")
        await page.click("#help-now")
        await page.keyboard.press("Escape")
        await console.locator("#alerts li").first.wait_for(state="attached")
        if viewport is PHONE:
            await console.click("#inbox-toggle")
        await console.locator("#alerts li").first.wait_for()
        await no_violations(console, axe_source, f"console {viewport['width']} {lang}")
        assert console.errors == []  # type: ignore[attr-defined]
        await console.context.close()
    assert page.errors == []  # type: ignore[attr-defined]
