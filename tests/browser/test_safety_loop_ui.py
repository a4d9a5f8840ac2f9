"""The participant page's safety loop in a real browser against a real server: the crisis
lines are never taken away by another notice, follow the call for help's status, do not follow
the person into another room; a reconnect whose rejoin or hello is refused is never left
silent; a socket that went half-open is noticed when the person asks for help.

Frames the server could send but a test cannot make it send at will (a refused hello or
rejoin) are played by a relay between the page and the real server."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, Route, WebSocketRoute

from chatserver.testing import FACILITATOR_PASSWORD, FAST, ChatClient, StaffHttp, create_admin
from tests.browser.staff_helpers import no_dialogs_or_errors, participant_page, sign_in
from tests.browser.test_alert_inbox_ui import quick_escalation  # noqa: F401 (a fixture)
from tests.browser.test_help_in_view_ui import PHONE, in_view
from tests.browser.test_participant_ui import join, say, wait_until
from tests.browser.test_second_pass_ui import enter, group_in_lobby, make_group, wait_for_lobby
from tests.test_sessions_flow import local_minute

pytestmark = pytest.mark.browser
CRISIS_WITH_PHONE = "en jaksa enää, haluan kuolla. soita 040 1234567"
LINE = "a[href='tel:112']"
# Whether an element is inside the visible part of the (scrolling) private area and the screen.
SHOWN_IN_PRIVATE = """(selector) => {
  const e = document.querySelector(selector).getBoundingClientRect();
  const box = document.getElementById("private").getBoundingClientRect();
  return e.top >= box.top && e.bottom <= box.bottom && e.top >= 0
    && e.bottom <= window.innerHeight;
}"""


class Sockets:
    """A ``route_web_socket`` handler that relays frames and keeps every socket the page
    opened: a test can cut one (nothing passes either way, as on a half-open connection),
    answer a frame itself instead of the server, or send the server frames of its own."""

    def __init__(self) -> None:
        self.pages: list[WebSocketRoute] = []
        self.servers: list[WebSocketRoute] = []
        self.cut: set[int] = set()
        # (socket index, frame type) -> the frames to answer with, one a time, in place of
        # the server (the frame is not passed on while answers are left)
        self.answers: dict[tuple[int, str], list[dict[str, Any]]] = {}
        self.rewrite: dict[int, Any] = {}  # socket index -> f(frame) for frames to the page

    def __call__(self, page_side: WebSocketRoute) -> None:
        index = len(self.pages)
        server_side = page_side.connect_to_server()
        self.pages.append(page_side)
        self.servers.append(server_side)

        def up(message: str | bytes) -> None:
            if index in self.cut:
                return
            frame = json.loads(message)
            queue = self.answers.get((index, frame.get("type")))
            if queue:
                answer = queue.pop(0)
                if "id" in frame:
                    answer = {**answer, "id": frame["id"], "room": frame.get("room")}
                page_side.send(json.dumps({k: v for k, v in answer.items() if v is not None}))
                return
            server_side.send(message)

        def down(message: str | bytes) -> None:
            if index in self.cut:
                return
            if index in self.rewrite:
                message = json.dumps(self.rewrite[index](json.loads(message)))
            page_side.send(message)

        page_side.on_message(up)
        server_side.on_message(down)


async def relayed(page: Page) -> Sockets:
    """Put a `Sockets` relay under the page (reloaded, so its socket goes through it)."""
    sockets = Sockets()
    await page.route_web_socket(re.compile(r"/ws$"), sockets)
    await page.reload()
    await page.wait_for_selector(".room")
    return sockets


async def sockets_opened(sockets: Sockets, n: int, timeout: float = 15) -> None:
    for _ in range(int(timeout * 10)):
        if len(sockets.pages) >= n:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"{len(sockets.pages)} sockets, not {n}")


async def visible_lines(page: Page, where: str) -> bool:
    return await page.locator(f"{where} {LINE}").is_visible()


# Every text the connection line showed, recorded in the page: "Connection restored" fades
# after 2.5 s, which a test process slowed by a busy machine can miss if it looks only then.
RECORD_CONNECTION = """() => {
  const line = document.getElementById("connection");
  window.connectionSaid = [];
  new MutationObserver(() => { if (!line.hidden) window.connectionSaid.push(line.textContent); })
    .observe(line, { attributes: true, childList: true, characterData: true, subtree: true });
}"""


async def said_back(page: Page, timeout: float = 15) -> None:
    """Wait until the page has said "Connection restored" (recorded by RECORD_CONNECTION,
    evaluated before the connection was cut), however briefly it was shown."""
    await wait_until(page, "window.connectionSaid.some((s) => s.includes('Yhteys palautui'))",
                     timeout)


async def test_a_crisis_message_with_a_phone_number_keeps_its_lines_beside_the_question(
        browser: Browser, start_server: Any) -> None:
    """Crisis language and a phone number: the server sends the lines, the status and then
    asks to confirm the personal detail. The question comes beside the lines, in view, and
    the lines stay after "Send anyway" (the server does not send them again)."""
    server = start_server(**FAST)
    person = await participant_page(browser, server.url, viewport=PHONE)
    await join(person, name="Kuikka")
    await say(person, CRISIS_WITH_PHONE)
    send_anyway = person.locator("#private").get_by_role("button", name="Lähetä silti")
    await send_anyway.wait_for()
    await person.locator("#private .help-status", has_text="Yksikään ohjaaja ei ole").wait_for()
    await asyncio.sleep(0.3)  # nothing later may take them away
    assert await visible_lines(person, "#private"), "the crisis lines stay beside the question"
    # In a live region of their own: a screen reader is told them, not only the question.
    assert await person.locator(f"#private-help[role=alert] {LINE}").count() == 1
    assert await in_view(person, "#private .help-status")
    # Seen, not only there: the first line is inside what the private area shows on the phone
    # (the question's focus must not scroll the lines out of its box).
    assert await person.evaluate(SHOWN_IN_PRIVATE, f"#private-help {LINE}")
    assert await person.evaluate("document.activeElement.textContent") == "Lähetä silti"

    await send_anyway.click()
    await person.locator(".message:not(.pending) .text", has_text="040 1234567").wait_for()
    assert not await send_anyway.is_visible()
    assert await visible_lines(person, "#private"), "still there once the message is posted"
    assert "Yksikään ohjaaja ei ole" in await person.inner_text("#private .help-status")
    assert person.errors == []  # type: ignore[attr-defined]


async def test_lines_come_back_when_the_facilitator_who_saw_the_call_leaves(
        browser: Browser, quick_escalation: Any) -> None:  # noqa: F811 (the fixture imported above)
    """The sheet is closed before Sanna sees the call: the panel above the composer says that
    a facilitator has seen it (no lines needed then). Sanna goes offline: the panel says that
    she had to leave and that the crisis lines answer now, and shows them, also after a
    change of language."""
    server, _ = quick_escalation
    sanna = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    person = await participant_page(browser, server.url, viewport=PHONE)
    await join(person, name="Kuikka")
    await person.click("#help-now")
    await person.locator("#help-dialog-status", has_text="Ohjaajalle on kerrottu").wait_for()
    await person.click("#help-close")
    await sanna.locator("#alerts li", has_text="Tarvitsee apua nyt").get_by_role(
        "button", name="Kuittaa").click()
    await person.locator("#private .help-status", has_text="Ohjaaja on nähnyt").wait_for()
    assert not await visible_lines(person, "#private")
    await sanna.context.close()

    await person.locator("#private .help-status", has_text="joutui lähtemään").wait_for(
        timeout=15000)
    await person.locator(f"#private {LINE}").wait_for()
    assert await visible_lines(person, "#private"), "'the crisis lines answer now', and here"
    await person.select_option("#lang", "en")
    await person.locator("#private .help-status", has_text="had to leave").wait_for()
    assert await visible_lines(person, "#private")
    assert person.errors == []  # type: ignore[attr-defined]


async def test_a_call_for_help_in_one_room_does_not_follow_the_person_into_the_next(
        browser: Browser, staff_server: Any) -> None:
    server, admin_password = staff_server
    admin = StaffHttp(server.url)
    await admin.login("admin", admin_password)
    created = await admin.post("/api/rooms", {
        "id": "ilta", "names": {"fi": "Iltaryhmä", "sv": "Kvällsgrupp", "en": "Evening group"},
        "kind": "unguided", "session_mode": "always"})
    assert created.status_code == 201, created.text
    await admin.close()
    person = await participant_page(browser, server.url, viewport=PHONE)
    await enter(person, "Olohuone", "Kuikka")
    await say(person, "en jaksa enää, haluan kuolla")
    await person.locator("#private .help-status", has_text="Yksikään ohjaaja ei ole").wait_for()
    assert await visible_lines(person, "#private")

    await person.click("#leave")
    await person.click("#leave-only")
    await person.wait_for_selector("#landing:not([hidden])")
    await enter(person, "Iltaryhmä")
    await asyncio.sleep(0.3)
    assert (await person.inner_text("#private")).strip() == "", "nothing said about the other room"
    assert not await person.is_visible("#private .help-status")
    assert await person.text_content("#help-dialog-status") == "", "nor in the help sheet"
    await person.click("#help-now")
    await person.locator("#help-dialog-status", has_text="Yksikään ohjaaja ei ole").wait_for()
    # Closing the sheet is not an answer: what it said stays above the composer, lines too.
    await person.click("#help-close")
    await person.locator("#private .help-status", has_text="Yksikään ohjaaja ei ole").wait_for()
    assert await visible_lines(person, "#private")
    assert person.errors == []  # type: ignore[attr-defined]


async def test_a_session_that_closed_while_the_phone_slept_shows_its_closing_screen(
        browser: Browser, start_server: Any, tmp_path: Path) -> None:
    """The page's connection is dead (nothing passes) while the facilitator closes the
    session; when it comes back, the rejoin is refused (room_closed): the page shows the
    session's closing screen with the crisis lines, not a dead room."""
    server, admin, session = await group_in_lobby(
        start_server, f"sqlite+aiosqlite:///{tmp_path}/closed.sqlite3", "ilta")
    person = await participant_page(browser, server.url, viewport=PHONE)
    sockets = await relayed(person)
    await enter(person, "Ryhmä ilta", "Kuikka")
    opened = await admin.post(f"/api/sessions/{session}/open", {})
    assert opened.status_code == 200, opened.text
    await wait_until(person, "!document.getElementById('text').disabled")

    sockets.cut.add(0)  # the phone sleeps: nothing passes
    closed = await admin.post(f"/api/sessions/{session}/close", {"message": "Kiitos."})
    assert closed.status_code == 200, closed.text
    await sockets.pages[0].close()  # and wakes: the page connects again
    await person.wait_for_selector("#closing:not([hidden])", timeout=15000)
    assert await person.is_visible("#closing-away")
    assert "päättyi sillä aikaa" in await person.inner_text("#closing-away")
    assert await person.locator(f"#closing-resources {LINE}").is_visible()
    assert await person.evaluate("document.activeElement.id") == "closing-title"
    await admin.close()
    assert person.errors == []  # type: ignore[attr-defined]


async def test_a_rejoin_refused_for_now_is_tried_again(
        browser: Browser, start_server: Any) -> None:
    """After a reconnect the rejoin is answered `unavailable`, then `rate_limited`: the page
    tries again (after retry_after) and is back in the room: it hears the others and its
    messages are posted, not refused with "open the group first"."""
    server = start_server(**FAST)
    person = await participant_page(browser, server.url, viewport=PHONE)
    sockets = await relayed(person)
    await join(person, name="Kuikka")
    sockets.answers[(1, "join")] = [
        {"type": "error", "code": "unavailable", "message": "try again"},
        {"type": "error", "code": "rate_limited", "message": "wait", "retry_after": 0.5}]
    await person.evaluate(RECORD_CONNECTION)
    await sockets.pages[0].close()
    await sockets_opened(sockets, 2)
    await said_back(person)
    other = await ChatClient.connect(server.ws_url)
    await other.join("olohuone", name="Kaisla")
    await wait_until(person, "!document.getElementById('connection').textContent"
                             ".includes('Yhdistetään')")
    await other.say("olohuone", "Hei taas")
    await person.locator(".message .text", has_text="Hei taas").wait_for()
    await say(person, "Olen täällä")
    await person.locator(".message:not(.pending) .text", has_text="Olen täällä").wait_for()
    assert await person.locator(".message.failed").count() == 0
    assert sockets.answers[(1, "join")] == [], "both refusals were heard and tried again"
    await other.close()
    assert person.errors == []  # type: ignore[attr-defined]


async def test_reconnecting_is_said_until_the_room_is_joined_again(
        browser: Browser, start_server: Any) -> None:
    """After a reconnect the rejoin is refused for 3 s (`rate_limited`): the page keeps
    saying "Reconnecting…" all that time, not "Connection restored" (its messages and a call
    for help would not reach the group yet), and says that it is back once it is in the room.
    Before, "back" was said at the server's welcome and its fading hid the "Reconnecting…"
    said after it."""
    server = start_server(**FAST)
    person = await participant_page(browser, server.url, viewport=PHONE)
    sockets = await relayed(person)
    await join(person, name="Kuikka")
    refusals = [{"type": "error", "code": "rate_limited", "message": "wait", "retry_after": 3}]
    sockets.answers[(1, "join")] = refusals
    await person.evaluate(RECORD_CONNECTION)
    await sockets.pages[0].close()
    await sockets_opened(sockets, 2)
    for _ in range(100):
        if not refusals:
            break
        await asyncio.sleep(0.05)
    assert not refusals, "the rejoin was refused"
    await asyncio.sleep(2.7)  # longer than a "back" is shown
    line = person.locator("#connection")
    assert await line.is_visible()
    assert "Yhdistetään" in await line.inner_text()
    await said_back(person, 10)
    await say(person, "Olen täällä")
    await person.locator(".message:not(.pending) .text", has_text="Olen täällä").wait_for()
    assert person.errors == []  # type: ignore[attr-defined]


async def test_a_resume_says_what_was_missed_and_takes_the_rooms_own_number(
        browser: Browser, start_server: Any) -> None:
    """The page's last number is beyond the room's (it saw another history): on the rejoin
    the server answers with the room's number, which the page takes, so new messages are
    shown, not dropped as already seen; `complete: false` is said as missed messages."""
    server = start_server(**FAST)
    person = await participant_page(browser, server.url, viewport=PHONE)
    sockets = await relayed(person)
    other = await ChatClient.connect(server.ws_url)
    await other.join("olohuone", name="Kaisla")
    await join(person, name="Kuikka")

    def ahead(frame: dict[str, Any]) -> dict[str, Any]:
        if frame.get("type") == "message":
            return {**frame, "seq": frame["seq"] + 1000}
        return frame

    def incomplete(frame: dict[str, Any]) -> dict[str, Any]:
        return {**frame, "complete": False} if frame.get("type") == "joined" else frame

    sockets.rewrite[0] = ahead
    sockets.rewrite[1] = incomplete
    await other.say("olohuone", "Ensimmäinen")
    await person.locator(".message .text", has_text="Ensimmäinen").wait_for()
    await person.evaluate(RECORD_CONNECTION)
    await sockets.pages[0].close()
    await said_back(person)
    await person.locator(".note", has_text="Osa aiemmista viesteistä").wait_for()
    await other.say("olohuone", "Toinen")
    await person.locator(".message .text", has_text="Toinen").wait_for()
    await other.close()
    assert person.errors == []  # type: ignore[attr-defined]


async def test_a_refused_hello_after_a_reconnect_is_tried_again(
        browser: Browser, start_server: Any) -> None:
    """The hello of a reconnect is refused (`rate_limited`, no id): the page closes that
    socket and connects again instead of waiting for the server's 1008, which ended
    reconnecting for good."""
    server = start_server(hello_timeout="3", **FAST)
    person = await participant_page(browser, server.url, viewport=PHONE)
    sockets = await relayed(person)
    await join(person, name="Kuikka")
    sockets.answers[(1, "hello")] = [
        {"type": "error", "code": "rate_limited", "message": "wait", "retry_after": 0.3}]
    await person.evaluate(RECORD_CONNECTION)
    await sockets.pages[0].close()
    await sockets_opened(sockets, 3, timeout=10)
    await said_back(person)
    await asyncio.sleep(3.5)  # past the hello timeout of the refused socket
    await say(person, "Takaisin")
    await person.locator(".message:not(.pending) .text", has_text="Takaisin").wait_for()
    assert not await person.locator("#connection", has_text="Lataa sivu").count()
    assert person.errors == []  # type: ignore[attr-defined]


async def test_when_reconnecting_stops_the_page_says_so_and_what_to_do(
        browser: Browser, start_server: Any) -> None:
    """The server closes a welcomed connection for good (1008 after repeated bad frames):
    the page does not say "Reconnecting…" for ever; it says that the connection will not
    come back by itself and offers to reload, in the page's language, also one picked after
    it was said."""
    server = start_server(**FAST)
    person = await participant_page(browser, server.url, viewport=PHONE)
    sockets = await relayed(person)
    await join(person, name="Kuikka")
    for _ in range(30):
        sockets.servers[0].send("not json")
    said = person.locator("#connection", has_text="eikä se palaa itsestään")
    await said.wait_for(timeout=10000)
    await person.select_option("#lang", "sv")
    line = person.locator("#connection", has_text="kommer inte tillbaka av sig själv")
    await line.wait_for(timeout=10000)
    assert await line.get_attribute("role") == "status"
    assert await line.get_by_role("button", name="Ladda om sidan").is_visible()
    await asyncio.sleep(1.5)
    assert len(sockets.pages) == 1, "no reconnect loop against a refusal"
    await line.get_by_role("button", name="Ladda om sidan").click()
    await person.wait_for_selector(".room")
    assert person.errors == []  # type: ignore[attr-defined]


async def test_a_call_for_help_on_a_half_open_socket_is_said_not_sent_and_sent_again(
        browser: Browser, start_server: Any) -> None:
    """Nothing passes on the socket any more, but the page does not know it: "I need help now"
    hears nothing, and 5 s later the sheet says that the facilitators could not be reached
    (the lines stay); the page connects again and the help goes out."""
    server = start_server(**FAST)
    person = await participant_page(browser, server.url, viewport=PHONE)
    sockets = await relayed(person)
    await join(person, name="Kuikka")
    sockets.cut.add(0)
    await person.click("#help-now")
    status = person.locator("#help-dialog-status")
    await status.filter(has_text="Ohjaajille ei juuri nyt saatu tietoa").wait_for(timeout=8000)
    assert await visible_lines(person, "#help-lines")
    await sockets_opened(sockets, 2)
    await status.filter(has_text="Yksikään ohjaaja ei ole").wait_for(timeout=15000)
    assert await visible_lines(person, "#help-lines")
    assert person.errors == []  # type: ignore[attr-defined]


async def test_coming_back_to_the_page_checks_the_socket(
        browser: Browser, start_server: Any) -> None:
    """The page comes back to the foreground (or the network returns) on a socket that went
    half-open: a ping that gets no pong within 4 s makes a new connection."""
    server = start_server(**FAST)
    person = await participant_page(browser, server.url, viewport=PHONE)
    sockets = await relayed(person)
    await join(person, name="Kuikka")
    sockets.cut.add(0)
    await person.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    await sockets_opened(sockets, 2, timeout=10)
    other = await ChatClient.connect(server.ws_url)
    await other.join("olohuone", name="Kaisla")
    await other.say("olohuone", "Oletko siellä?")
    await person.locator(".message .text", has_text="Oletko siellä?").wait_for()
    sockets.cut.add(1)
    await person.evaluate("window.dispatchEvent(new Event('online'))")
    await sockets_opened(sockets, 3, timeout=10)
    await other.close()
    assert person.errors == []  # type: ignore[attr-defined]


async def test_on_a_small_phone_in_a_guided_session_the_composer_and_lines_are_reachable(
        browser: Browser, start_server: Any, tmp_path: Path) -> None:
    """360x640, a live guided session with a theme (the session banner), the check-in
    question open and the crisis lines above the composer: the page is an app whose body does
    not scroll, so each of these must fit or scroll inside its own box; the composer and
    "I need help now" stay in view and every crisis line can be scrolled to."""
    db = f"sqlite+aiosqlite:///{tmp_path}/phone.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, session_timer_seconds="1", **FAST)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    await make_group(admin, "ilta")
    patched = await admin.patch("/api/rooms/ilta", {"checkin": {"enabled": True}})
    assert patched.status_code == 200, patched.text
    made = await admin.post("/api/rooms/ilta/sessions", {
        "start": local_minute(5), "duration_minutes": 60, "theme": "Jaksaminen arjessa"})
    assert made.status_code == 201, made.text
    await wait_for_lobby(server, "ilta")
    person = await participant_page(browser, server.url, viewport={"width": 360, "height": 640})
    await enter(person, "Ryhmä ilta", "Kuikka")
    opened = await admin.post(f"/api/sessions/{made.json()['id']}/open", {})
    assert opened.status_code == 200, opened.text
    await person.locator("#checkin-form").wait_for()
    await person.locator("#session-banner", has_text="Jaksaminen arjessa").wait_for()
    await wait_until(person, "!document.getElementById('text').disabled")
    await say(person, "en jaksa enää, haluan kuolla")
    await person.locator(f"#private {LINE}").wait_for()
    await asyncio.sleep(0.3)
    for selector in ("#text", "#send-form button[type=submit]", "#help-now", "#quick-exit"):
        assert await in_view(person, selector), f"{selector} is out of view"
    for line in await person.locator("#private a.phone").all():
        await line.scroll_into_view_if_needed()
        box = await line.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 640, box
        assert await in_view(person, "#text"), "scrolling to a line never hides the composer"
        # Reached by its own box's scrolling, not by moving the page (which cannot be
        # scrolled by touch in a room): else it would be cut off for a finger.
        assert await person.evaluate("[window.scrollY, document.body.scrollTop]") == [0, 0]
    await admin.close()
    assert person.errors == []  # type: ignore[attr-defined]


async def test_the_crisis_lines_never_wait_for_the_network(
        browser: Browser, start_server: Any) -> None:
    """The page's requests for the groups and the crisis lines fail (the server restarting, a
    bad network): the landing says so where the groups would be, "I need help now" shows the
    emergency number at once (named in the page's language), and the groups and the lines come
    when they can be had: the page asks again by itself. Before, one failed request left the
    help sheet with no number at all and the landing empty without a word."""
    server = start_server(**FAST)
    page = await (await browser.new_context(viewport=PHONE)).new_page()
    errors = no_dialogs_or_errors(page)
    failing = True

    async def away(route: Route) -> None:
        if failing:
            await route.fulfill(status=503, body="")
        else:
            await route.continue_()

    await page.route("**/api/crisis-resources", away)
    await page.route("**/api/rooms", away)
    await page.goto(server.url)
    await page.locator("#rooms", has_text="Yritetään uudelleen").wait_for()
    await page.click("#help-now")
    await page.locator(f"#help-lines {LINE}").wait_for()
    assert "Hätänumero" in await page.inner_text("#help-lines")
    failing = False
    await page.locator("#help-lines a[href='tel:0925250111']").wait_for(timeout=10000)
    assert await page.locator(f"#help-lines {LINE}").count() == 1
    await page.click("#help-close")
    await page.locator(".room", has_text="Olohuone").wait_for(timeout=10000)
    assert errors == []
