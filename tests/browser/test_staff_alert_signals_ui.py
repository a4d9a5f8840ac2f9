"""A facilitator notices, acknowledges and can answer a call whichever tab or process they are
on, in a real Chromium against real server processes: a console whose rooms an admin changes
comes back by itself with its new rooms (never "not signed in"); an escalated alert sounds
once however often it is told; an escalation of an alert the console never heard of is said
and sounded as a new alert; a desktop notification goes once someone takes the alert; and
"you are handling this" is said only to the one who took it, not to a namesake."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, WebSocketRoute

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    ServerProcess,
    StaffHttp,
    add_facilitator,
    create_admin,
)
from tests.browser.staff_helpers import no_dialogs_or_errors, sign_in
from tests.browser.test_help_in_view_ui import DESKTOP, FAKE_AUDIO
from tests.browser.test_participant_ui import relay, wait_until
from tests.conftest import ServerFactory

pytestmark = pytest.mark.browser
HELP = "Tarvitsee apua nyt"
# Installed before the console's own scripts: the tone and desktop notifications are chosen
# (as a facilitator would, kept on the device), the facilitator is in another window, and
# fakes count what the console does: tones played (two notes each), notifications shown and
# closed, and every text put in the assertive live region (what a screen reader reads out).
SIGNALS = """
localStorage.setItem("vt.staff.sound", "1");
localStorage.setItem("vt.staff.notify", "1");
window.__tones = 0; window.__shown = []; window.__closed = []; window.__said = [];
class FakeNotification {
  static permission = "granted";
  static async requestPermission() { return "granted"; }
  constructor(title, options) {
    this.tag = options.tag; this.on = {}; window.__shown.push(this.tag);
  }
  addEventListener(type, listener) { this.on[type] = listener; }
  close() { window.__closed.push(this.tag); this.on.close?.(); }
}
window.Notification = FakeNotification;
document.hasFocus = () => false;
document.addEventListener("DOMContentLoaded", () => {
  const live = document.getElementById("urgent-live");
  new MutationObserver(() => { if (live.textContent) window.__said.push(live.textContent); })
    .observe(live, { childList: true, characterData: true, subtree: true });
});
""" + FAKE_AUDIO


async def account_id(admin: StaffHttp, username: str) -> str:
    listed = (await admin.http.get("/api/staff")).json()
    return str(next(a["id"] for a in listed if a["username"] == username))


async def test_a_console_whose_rooms_change_comes_back_with_them_and_gets_their_alerts(
        browser: Browser, staff_server: tuple[ServerProcess, str]) -> None:
    server, admin_password = staff_server
    sanna = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    await sanna.locator("#my-rooms li", has_text="Olohuone").wait_for()
    admin = StaffHttp(server.url)
    await admin.login("admin", admin_password)
    sanna_id = await account_id(admin, "sanna")

    # The admin gives her a second group: her console reconnects by itself and shows it.
    assert (await admin.patch(f"/api/staff/{sanna_id}",
                              {"rooms": ["olohuone", "laheiset"]})).status_code == 200
    await sanna.locator("#my-rooms li", has_text="Läheisten ilta").wait_for(timeout=5000)
    assert await sanna.inner_text("#rooms-changed") == \
        "Ylläpitäjä muutti ryhmiäsi. Ohjaat nyt: Läheisten ilta, Olohuone."
    assert "Et ole kirjautunut" not in await sanna.inner_text("#connection")
    # She hears a call for help in the new group.
    person = await ChatClient.connect(server.ws_url)
    await person.join("laheiset", name="Kuikka")
    await person.request({"type": "help", "room": "laheiset"})
    await sanna.locator("#alerts li", has_text="Kuikka ryhmässä Läheisten ilta").wait_for(
        timeout=5000)

    # Olohuone is taken away while she is in it: it goes from her list and her view, and the
    # console is not refused a room it no longer has.
    assert (await admin.patch(f"/api/staff/{sanna_id}", {"rooms": ["laheiset"]})).status_code \
        == 200
    await wait_until(sanna, "![...document.querySelectorAll('#my-rooms li')]"
                            ".some((li) => li.textContent.includes('Olohuone'))")
    await sanna.locator("#room-title", has_text="Läheisten ilta").wait_for()
    assert await sanna.inner_text("#rooms-changed") == \
        "Ylläpitäjä muutti ryhmiäsi. Ohjaat nyt: Läheisten ilta."
    assert "Et ole kirjautunut" not in await sanna.inner_text("#connection")
    assert sanna.errors == []  # type: ignore[attr-defined]
    await person.close()
    await admin.close()


@pytest.fixture
async def escalating(start_server: ServerFactory, tmp_path: Path
                     ) -> AsyncIterator[tuple[ServerProcess, str]]:
    """One process (SQLite) whose alerts escalate after 2 s; an admin and Sanna (Olohuone).
    Yields the server and the admin's password."""
    db = f"sqlite+aiosqlite:///{tmp_path}/signals.sqlite3"
    admin_password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, alert_escalate_seconds=2, **FAST)
    admin = StaffHttp(server.url)
    await admin.login("admin", admin_password)
    await add_facilitator(admin, "sanna", ["olohuone"])
    await admin.close()
    yield server, admin_password


Passes = Callable[[dict[str, Any]], int]  # how many times a frame from the server reaches the page


async def signalling_console(browser: Browser, url: str, username: str, password: str,
                             passes: Passes) -> Page:
    """A signed-in console with the tone and notifications on (counted by SIGNALS), whose
    frames from the server reach the page as often as ``passes`` says (0: lost; 2: told
    twice, as a Redis outage's missed events tell it again)."""
    ctx = await browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    await ctx.add_init_script(SIGNALS)
    page = await ctx.new_page()
    page.errors = no_dialogs_or_errors(page)  # type: ignore[attr-defined]

    def to_page(page_side: WebSocketRoute, message: str | bytes) -> bool:
        times = passes(json.loads(message))
        for _ in range(times - 1):
            page_side.send(message)
        return times > 0

    await page.route_web_socket(re.compile(r"/ws$"), relay(to_page=to_page))
    await page.goto(url + "/staff")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.press("#password", "Enter")
    await page.wait_for_selector("#my-rooms li")
    # The first GET /api/alerts has been answered: an alert from now on is news to it.
    await wait_until(page, "document.getElementById('no-alerts').hidden === false")
    return page


def escalation(frame: dict[str, Any]) -> bool:
    alert = frame.get("alert") or {}
    return frame.get("type") in ("alert_changed", "alert_escalated") \
        and alert.get("escalated") is True and alert.get("state") == "open"


async def test_an_escalation_sounds_once_even_if_told_twice_or_first(
        browser: Browser, escalating: tuple[ServerProcess, str]) -> None:
    """Sanna's console loses the new alert's frame (its process died between storing and
    sending it; or it came between her first GET /api/alerts and her hello), so she hears of
    the call first when it escalates (as `alert_changed`, being the room's facilitator): it is
    read out, sounded and notified then, once, though the escalation reaches her twice. The
    admin hears the new alert and then its escalation once, though told it twice. When Sanna
    takes it, the desktop notifications for it close on both desks."""
    server, admin_password = escalating
    sanna = await signalling_console(browser, server.url, "sanna", FACILITATOR_PASSWORD,
                                     lambda f: 0 if f.get("type") == "alert"
                                     else 2 if escalation(f) else 1)
    admin = await signalling_console(browser, server.url, "admin", admin_password,
                                     lambda f: 2 if escalation(f) else 1)
    person = await ChatClient.connect(server.ws_url)
    await person.join("olohuone", name="Kuikka")
    await person.request({"type": "help", "room": "olohuone"})
    alert = {page: page.locator("#alerts li", has_text=HELP) for page in (sanna, admin)}
    await alert[admin].wait_for()
    await alert[sanna].locator(".escalated").wait_for(timeout=10000)
    await alert[admin].locator(".escalated").wait_for()
    await asyncio.sleep(0.5)  # the second telling, and its read-out 50 ms after it is asked

    waiting = f"Kuittaamaton hälytys: {HELP}: Kuikka, Olohuone"
    assert await sanna.evaluate("window.__said") == [waiting]
    assert await sanna.evaluate("window.__tones") == 2, "one tone (two notes)"
    assert await admin.evaluate("window.__said") == [
        f"Hälytys: {HELP}: Kuikka, Olohuone", waiting]
    # A tone for the new alert, one when it escalates.
    assert await admin.evaluate("window.__tones") == 4
    alert_id = await alert[admin].get_attribute("data-alert")
    tag = f"alert-{alert_id}"
    assert await sanna.evaluate("window.__shown") == [tag]
    assert await admin.evaluate("window.__shown") == [tag, tag]
    assert await admin.evaluate("window.__closed") == []

    # Sanna takes it: the admin's notification goes (and hers), nothing more is sounded.
    await alert[sanna].get_by_role("button", name="Kuittaa").click()
    await alert[admin].locator(".alert-state", has_text="Hoitaa: Sanna").wait_for()
    await wait_until(admin, "window.__closed.length > 0")
    await wait_until(sanna, "window.__closed.length > 0")
    assert await admin.evaluate("window.__closed") == [tag]
    assert await sanna.evaluate("window.__closed") == [tag]
    assert await admin.evaluate("window.__tones") == 4
    for page in (sanna, admin):
        assert page.errors == []  # type: ignore[attr-defined]
    await person.close()


async def test_you_handle_this_is_said_to_the_one_who_took_it_not_a_namesake(
        browser: Browser, staff_server: tuple[ServerProcess, str]) -> None:
    """Two facilitators of the room are both called Sanna (display names are not unique).
    When one takes a call, the other's console says that Sanna handles it, not that she does,
    and reads out that it was taken."""
    server, admin_password = staff_server
    admin = StaffHttp(server.url)
    await admin.login("admin", admin_password)
    created = await admin.post("/api/staff", {"username": "sanna2", "display_name": "Sanna",
                                              "password": FACILITATOR_PASSWORD,
                                              "role": "facilitator"})
    assert created.status_code == 201, created.text
    assert (await admin.patch(f"/api/staff/{created.json()['id']}",
                              {"rooms": ["olohuone"]})).status_code == 200
    first = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    second = await sign_in(browser, server.url, "sanna2", FACILITATOR_PASSWORD)
    person = await ChatClient.connect(server.ws_url)
    await person.join("olohuone", name="Kuikka")
    await person.request({"type": "help", "room": "olohuone"})
    alert = {page: page.locator("#alerts li", has_text=HELP) for page in (first, second)}
    await alert[second].wait_for()
    await alert[first].get_by_role("button", name="Kuittaa").click()
    await alert[first].locator(".alert-state", has_text="Sinä hoidat tätä.").wait_for()
    await alert[second].locator(".alert-state", has_text="Hoitaa: Sanna").wait_for()
    assert "Sinä hoidat" not in await alert[second].inner_text()
    await wait_until(second, "document.getElementById('status-live').textContent"
                             ".startsWith('Sanna hoitaa')")
    # A reloaded console tells them apart too (GET /api/alerts).
    await second.reload()
    await alert[second].locator(".alert-state", has_text="Hoitaa: Sanna").wait_for()
    assert "Sinä hoidat" not in await alert[second].inner_text()
    for page in (first, second):
        assert page.errors == []  # type: ignore[attr-defined]
    await person.close()
    await admin.close()


async def test_an_alert_raised_before_the_consoles_hello_is_listed(
        browser: Browser, staff_server: tuple[ServerProcess, str]) -> None:
    """A call for help stored after the console first read the inbox but before its hello
    (here the hello is held back): no frame brings it, since the socket was not yet a
    staff connection. The console reads the inbox after the welcome, so it is listed at once,
    not only when it escalates a minute later."""
    server, _ = staff_server
    ctx = await browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    sanna = await ctx.new_page()
    sanna.errors = no_dialogs_or_errors(sanna)  # type: ignore[attr-defined]
    held: list[Callable[[], None]] = []

    def hold_hello(page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()

        def up(message: str | bytes) -> None:
            if json.loads(message).get("type") == "hello" and not held:
                held.append(lambda: server_side.send(message))
                return
            server_side.send(message)

        page_side.on_message(up)
        server_side.on_message(page_side.send)

    await sanna.route_web_socket(re.compile(r"/ws$"), hold_hello)
    await sanna.goto(server.url + "/staff")
    await sanna.fill("#username", "sanna")
    await sanna.fill("#password", FACILITATOR_PASSWORD)
    await sanna.press("#password", "Enter")
    await sanna.wait_for_selector("#console:not([hidden])")
    for _ in range(50):
        if held:
            break
        await asyncio.sleep(0.1)
    assert held, "the console's hello is held back"
    await asyncio.sleep(1)  # anything the page asked of the server before its hello is answered
    person = await ChatClient.connect(server.ws_url)
    await person.join("olohuone", name="Kuikka")
    await person.request({"type": "help", "room": "olohuone"})
    await person.wait_for(lambda f: f["type"] == "help_status")  # stored
    held[0]()
    await sanna.locator("#alerts li", has_text=HELP).wait_for(timeout=5000)
    assert sanna.errors == []  # type: ignore[attr-defined]
    await person.close()
    await ctx.close()
