"""The participant page in a real browser: chat, safety, languages, quick exit, reconnection."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, WebSocketRoute

from chatserver.testing import FAST

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"
XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


Frame = str | bytes


def relay(to_server: Callable[[WebSocketRoute, Frame], bool] | None = None,
          to_page: Callable[[WebSocketRoute, Frame], bool] | None = None,
          ) -> Callable[[WebSocketRoute], None]:
    """A ``route_web_socket`` handler that carries frames both ways between the page and the
    server. Each callback sees a frame first (with the page's side of the socket) and says
    whether it goes on: a test can count, hold back or drop what passes."""

    def handler(page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()

        def up(message: Frame) -> None:
            if to_server is None or to_server(page_side, message):
                server_side.send(message)

        def down(message: Frame) -> None:
            if to_page is None or to_page(page_side, message):
                page_side.send(message)

        page_side.on_message(up)
        server_side.on_message(down)

    return handler


class HeldFrames:
    """A ``to_page`` callback for `relay` that holds back the frames from the server that
    ``matches`` picks (while ``holding``), to be released later in any order."""

    def __init__(self, matches: Callable[[dict[str, Any]], bool], holding: bool = True) -> None:
        self.matches = matches
        self.holding = holding
        self.frames: list[tuple[WebSocketRoute, str]] = []

    def __call__(self, page_side: WebSocketRoute, message: Frame) -> bool:
        if self.holding and self.matches(json.loads(message)):
            self.frames.append((page_side, str(message)))
            return False
        return True


async def wait_until(page: Page, expression: str, timeout: float = 15) -> None:
    """Poll a JavaScript expression (page.wait_for_function would need eval, which the
    page's Content Security Policy rightly forbids)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await page.evaluate(expression):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(expression)
        await asyncio.sleep(0.1)


async def open_page(browser: Browser, url: str, **context: object) -> Page:
    ctx = await browser.new_context(**context)
    page = await ctx.new_page()
    page.on("dialog", lambda d: (_ for _ in ()).throw(AssertionError("a dialog opened")))
    await page.goto(url)
    await page.wait_for_selector(".room")
    return page


async def join(page: Page, room_index: int = 0, name: str | None = None) -> None:
    await page.locator(".room button").nth(room_index).click()
    if name is not None:
        await page.fill("#name", name)
    await page.click("#accept")
    await page.wait_for_selector("#chat:not([hidden])")


async def say(page: Page, text: str) -> None:
    await page.fill("#text", text)
    await page.press("#text", "Enter")


async def test_two_people_chat_and_hostile_text_stays_text(browser, start_server):
    server = start_server()
    response_headers = {}
    alice = await open_page(browser, server.url)
    bob = await open_page(browser, server.url)
    resp = await alice.request.get(server.url + "/")
    response_headers = resp.headers
    assert "script-src 'self'" in response_headers["content-security-policy"]
    assert "unsafe-inline" not in response_headers["content-security-policy"]

    # A hostile pseudonym is refused, with the reason in the page's language.
    await alice.locator(".room button").first.click()
    await alice.fill("#name", XSS[:32])
    await alice.click("#accept")
    await wait_until(alice, "document.getElementById('name-error').textContent !== ''")
    assert "merkki" in await alice.inner_text("#name-error")
    await alice.fill("#name", "Tiira")
    await alice.click("#accept")
    await alice.wait_for_selector("#chat:not([hidden])")
    await join(bob, name="Kuikka")
    await say(bob, "Hei, onko täällä ketään?")
    await alice.wait_for_selector(".message .text >> text=Hei, onko täällä ketään?")
    await say(alice, XSS)
    shown = bob.locator(".message .text", has_text="onerror")
    await shown.wait_for()
    assert await shown.inner_text() == XSS, "the payload is shown as plain text"
    assert await bob.evaluate("window.__pwned") is None
    assert await alice.evaluate("window.__pwned") is None
    assert await bob.locator(".messages img, .messages script").count() == 0
    members = await alice.locator("#members li").all_inner_texts()
    assert any("Kuikka" in m for m in members)
    # A new message is announced to screen readers.
    await asyncio.sleep(2.1)  # bob is still a newcomer: one message every 2 s
    await say(bob, "Tervetuloa")
    await wait_until(alice,
                     "document.getElementById('announce').textContent.includes('Tervetuloa')")


async def test_languages_switch_every_text(browser, start_server):
    server = start_server()
    page = await open_page(browser, server.url)
    assert await page.inner_text("#quick-exit") == "Pikapoistuminen"
    assert await page.get_attribute("html", "lang") == "fi"
    for lang, exit_text, rules in (("sv", "Snabb utgång", "Samtalsregler"),
                                   ("en", "Quick exit", "Ground rules")):
        await page.select_option("#lang", lang)
        await wait_until(
            page, f"document.getElementById('quick-exit').textContent === {exit_text!r}")
        assert await page.get_attribute("html", "lang") == lang
        await page.locator(".room button").first.click()
        assert await page.inner_text("#rules h2") == rules
        await page.click("#rules-back")
    await page.reload()
    await page.wait_for_selector(".room")
    assert await page.inner_text("#quick-exit") == "Quick exit", "the choice is remembered"


async def test_quick_exit_leaves_no_chat_page_in_history(browser, start_server):
    server = start_server()
    ctx = await browser.new_context()
    page = await ctx.new_page()
    await page.route("https://www.google.com/**",
                     lambda route: route.fulfill(body="<p>weather</p>",
                                                 content_type="text/html"))
    await page.goto("about:blank")
    await page.goto(server.url)
    await page.wait_for_selector(".room")
    await join(page)
    await say(page, "jotain henkilökohtaista")
    await page.wait_for_selector(".message .text")
    await page.keyboard.press("Escape")
    await page.keyboard.press("Escape")  # Esc twice: the shortcut
    await page.wait_for_url("https://www.google.com/**")
    await page.go_back()
    await asyncio.sleep(0.3)
    assert not page.url.startswith(server.url), "Back does not return to the chat"
    assert "henkilökohtaista" not in await page.content()
    await ctx.close()


async def test_reconnects_after_a_restart_and_resumes_without_duplicates(browser,
                                                                          start_server):
    server = start_server()
    alice = await open_page(browser, server.url)
    bob = await open_page(browser, server.url)
    await join(alice)
    await join(bob)
    await say(alice, "ennen katkoa")
    await bob.wait_for_selector(".message .text >> text=ennen katkoa")

    server.stop()  # SIGTERM: clients are told to reconnect (1012)
    await bob.wait_for_selector("#connection:not([hidden])")
    assert "Yhdistetään" in await bob.inner_text("#connection")
    # Written while the server is away: kept, marked as waiting, sent once it is back.
    await say(alice, "katkon aikana")
    waiting = alice.locator(".message.pending", has_text="katkon aikana")
    await waiting.locator(".status", has_text="odottaa yhteyttä").wait_for()
    server.start()
    await wait_until(bob, "document.getElementById('connection').hidden === true", timeout=20)
    await wait_until(alice, "document.getElementById('connection').hidden === true", timeout=20)
    await bob.wait_for_selector(".message .text >> text=katkon aikana")
    await waiting.wait_for(state="detached")
    await asyncio.sleep(2.1)
    await say(alice, "katkon jälkeen")
    await bob.wait_for_selector(".message .text >> text=katkon jälkeen")
    # Bob may have it before Alice has her ack (then it is still marked as on its way).
    await alice.locator(".message:not(.pending) .text", has_text="katkon jälkeen").wait_for()
    for page in (alice, bob):
        texts = await page.locator(".message:not(.pending) .text").all_inner_texts()
        assert [texts.count(t) for t in ("ennen katkoa", "katkon aikana", "katkon jälkeen")] \
            == [1, 1, 1], texts


async def test_a_message_whose_answer_was_lost_is_sent_again_and_stored_once(browser,
                                                                              start_server):
    """The connection breaks after the server stored a message but before its ack arrived:
    the page sends it again with the same id, and the server answers with the first ack."""
    server = start_server()
    bob = await open_page(browser, server.url)
    await join(bob)
    sends: list[dict] = []
    dropped: list[dict] = []
    closing: list[asyncio.Future[None]] = []

    def from_page(page_side: WebSocketRoute, message: Frame) -> bool:
        frame = json.loads(message)
        if frame.get("type") == "send":
            sends.append(frame)
        return True

    def from_server(page_side: WebSocketRoute, message: Frame) -> bool:
        frame = json.loads(message)
        if frame.get("type") == "ack" and sends and not dropped:
            dropped.append(frame)  # lost on the way: the page never sees this ack
            closing.append(asyncio.ensure_future(page_side.close(code=1001)))
            return False
        return True

    ctx = await browser.new_context()
    alice = await ctx.new_page()
    await alice.route_web_socket(re.compile(r"/ws$"), relay(from_page, from_server))
    await alice.goto(server.url)
    await alice.wait_for_selector(".room")
    await join(alice)
    await say(alice, "kuittaus katosi")
    await bob.wait_for_selector(".message .text >> text=kuittaus katosi")
    await alice.wait_for_selector(".message:not(.pending) .text >> text=kuittaus katosi")
    await wait_until(alice, "document.querySelectorAll('.message.pending').length === 0")
    assert len(sends) == 2 and sends[0]["id"] == sends[1]["id"], sends
    await say(bob, "kuittaus tuli")
    await alice.wait_for_selector(".message .text >> text=kuittaus tuli")
    for page in (alice, bob):
        texts = await page.locator(".message .text").all_inner_texts()
        assert texts.count("kuittaus katosi") == 1, texts
    # Stored once: a newcomer's history holds it once.
    carol = await open_page(browser, server.url)
    await join(carol)
    await carol.wait_for_selector(".message .text >> text=kuittaus tuli")
    assert (await carol.locator(".message .text").all_inner_texts()).count("kuittaus katosi") == 1


async def test_ignoring_someone_folds_their_messages_for_me_only(browser, start_server):
    server = start_server(**FAST)
    alice = await open_page(browser, server.url)
    bob = await open_page(browser, server.url)
    carol = await open_page(browser, server.url)
    for page, name in ((alice, "Alli"), (bob, "Pekka"), (carol, "Kaisa")):
        await join(page, name=name)
    await say(bob, "ensimmäinen")
    await alice.locator(".message", has_text="ensimmäinen").locator(".menu-button").click()
    await alice.locator(".message", has_text="ensimmäinen").get_by_role(
        "button", name="Ohita henkilön Pekka viestit").click()
    await alice.locator("#private", has_text="Et enää näe henkilön Pekka viestejä").wait_for()
    await alice.locator(".message.ignored").first.wait_for()
    assert await alice.locator(".message .text", has_text="ensimmäinen").count() == 0
    await say(bob, "toinen")
    await carol.locator(".message .text", has_text="toinen").wait_for()
    await say(carol, "kolmas")
    await alice.locator(".message .text", has_text="kolmas").wait_for()
    # Bob's second message reached Alice folded: no name, no text, not read aloud.
    assert await alice.locator(".message.ignored").count() == 2
    assert await alice.locator(".message .text", has_text="toinen").count() == 0
    assert "toinen" not in await alice.inner_text("#announce")
    assert "(ohitettu)" in await alice.locator("#members li", has_text="Pekka").inner_text()
    # Only for Alice: Carol sees everything; Bob is not told.
    assert await carol.locator(".message.ignored").count() == 0
    assert await bob.locator("#private", has_text="ohit").count() == 0
    # It lasts over a reload on this device; one message can be opened; it can be undone.
    await alice.reload()
    await join(alice, name="Alli")
    await alice.locator(".message.ignored").first.wait_for()
    await alice.locator(".message.ignored").first.get_by_role("button", name="Näytä").click()
    await alice.locator(".message .text", has_text="ensimmäinen").wait_for()
    await alice.locator("#members li", has_text="Pekka").get_by_role(
        "button", name="Lopeta ohittaminen").click()
    await alice.locator(".message .text", has_text="toinen").wait_for()
    assert await alice.locator(".message.ignored").count() == 0


async def test_screenshots_of_the_main_screens(browser, start_server):
    server = start_server()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, viewport in (("phone", {"width": 360, "height": 740}),
                            ("desktop", {"width": 1280, "height": 800})):
        other = await open_page(browser, server.url, viewport=viewport)
        page = await open_page(browser, server.url, viewport=viewport)
        await page.screenshot(path=str(SHOTS / f"landing-{label}.png"), full_page=True)
        await join(other, name="Tyyni Saukko")
        await join(page)
        await say(other, "Hei kaikki. Tänään on ollut raskas päivä, mutta täällä on hyvä olla.")
        await page.wait_for_selector(".message .text >> text=raskas päivä")
        await asyncio.sleep(2.1)
        await say(page, "Kiitos kun kerroit. Sama täällä.")
        await page.wait_for_selector(".message:not(.pending) .text >> text=Sama täällä")
        await page.screenshot(path=str(SHOTS / f"chat-{label}.png"))
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], "no sideways scrolling"
        await page.context.close()
        await other.context.close()


async def test_a_phone_that_loses_its_network_says_so_and_is_back_as_soon_as_it_can(browser,
                                                                               start_server):
    """Offline, the page said nothing: the socket looked open (unheard) and a line written
    then sat as "sending". Back online after some time offline, the page waited out its
    backoff (up to 30 s) before connecting. Now offline is said at once, what is written
    waits for the connection, and the network's return connects at once."""
    server = start_server()
    page = await open_page(browser, server.url, viewport={"width": 390, "height": 844},
                           is_mobile=True, has_touch=True)
    other = await open_page(browser, server.url)
    await join(page, name="Kuikka")
    await join(other)
    await page.context.set_offline(True)
    await page.locator("#connection", has_text="Yhdistetään").wait_for(timeout=5000)
    await say(page, "olen yhä täällä")
    await page.locator(".message.pending", has_text="olen yhä täällä").wait_for()
    await asyncio.sleep(12)  # attempts fail offline, and their backoff grows (8 s and more)
    await page.context.set_offline(False)
    await page.locator("#connection", has_text="Yhteys palautui").wait_for(timeout=4000)
    await other.locator(".message .text", has_text="olen yhä täällä").wait_for(timeout=5000)
