"""Nobody in distress goes unnoticed (issue 15), in real browsers against real processes: the
console's shared alert inbox (a facilitator who joined nothing gets the alert, on the other
process; a reloaded console lists it; a second staff member sees who handles it; resolving
with an outcome; escalation), what the person is told (nobody online, a facilitator told, a
facilitator has seen it), a private conversation opened from an alert beside the group, and
crisis-flagged messages folded for the others, live and in a newcomer's history. Screenshots
for the README."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest
from playwright.async_api import Browser, Page, WebSocketRoute

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)
from tests.browser.staff_helpers import no_dialogs_or_errors, participant_page, sign_in
from tests.browser.test_accessibility import new_page, no_violations
from tests.browser.test_help_in_view_ui import DESKTOP, PHONE, in_view
from tests.browser.test_participant_ui import (
    SHOTS,
    HeldFrames,
    join,
    relay,
    say,
    wait_until,
)
from tests.test_catalogues import STATIC
from tests.test_one_to_one import _server_whose_handlers_are_soon_gone

pytestmark = pytest.mark.browser
CRISIS_TEXT = "en jaksa enää, haluan kuolla"


async def console_page(browser: Browser, url: str, username: str, password: str, *,
                       joins: bool = True, viewport: dict[str, int] = DESKTOP) -> Page:
    """A staff console; with ``joins=False`` every `join` it sends is dropped on the way, so
    it is signed in and has joined no room at all."""
    ctx = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = await ctx.new_page()
    page.errors = no_dialogs_or_errors(page)  # type: ignore[attr-defined]
    page.joins = []  # type: ignore[attr-defined]

    async def no_joins(page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if json.loads(message).get("type") == "join":
                page.joins.append(message)  # type: ignore[attr-defined]
                return
            server_side.send(message)

        page_side.on_message(from_page)

    if not joins:
        await page.route_web_socket(re.compile(r"/ws$"), no_joins)
    await page.goto(url + "/staff")
    await page.wait_for_selector("#signin:not([hidden])")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.press("#password", "Enter")
    await page.wait_for_selector("#console:not([hidden])")
    await page.wait_for_selector("#my-rooms li")
    return page


async def two_processes(start_server, redis_server, pg_url, **env: object):
    """Two processes sharing Redis and PostgreSQL; an admin, Sanna (Olohuone) and Ville
    (Läheisten ilta). Returns (a, b, admin password)."""
    password = create_admin({"DATABASE_URL": pg_url})
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST, **env)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST, **env)
    admin = StaffHttp(b.url)
    await admin.login("admin", password)
    await add_facilitator(admin, "sanna", ["olohuone"])
    await add_facilitator(admin, "ville", ["laheiset"])
    await admin.close()
    return a, b, password


async def test_the_inbox_is_shared_and_says_who_handles_what(
        browser, start_server, redis_server, pg_url):
    a, b, admin_password = await two_processes(start_server, redis_server, pg_url,
                                               alert_escalate_seconds=2)
    # Sanna on process A has joined nothing (her console's joins are dropped); Ville leads
    # another group; the admin is on process B, like the participant.
    sanna = await console_page(browser, a.url, "sanna", FACILITATOR_PASSWORD, joins=False)
    ville = await console_page(browser, a.url, "ville", FACILITATOR_PASSWORD)
    admin = await console_page(browser, b.url, "admin", admin_password)
    await wait_until(sanna, "document.getElementById('no-alerts').hidden === false")
    assert sanna.joins, "her console tried to join (and was kept from it)"  # type: ignore[attr-defined]
    person = await participant_page(browser, b.url, viewport=PHONE)
    await join(person, name="Kuikka")

    # "I need help now": the facilitator who joined nothing has it within a second.
    await person.click("#help-now")
    started = time.monotonic()
    help_alert = sanna.locator("#alerts li", has_text="Tarvitsee apua nyt")
    await help_alert.wait_for(timeout=1000)
    assert time.monotonic() - started <= 1.0
    assert "Kuikka ryhmässä Olohuone" in await help_alert.inner_text()
    assert "Kukaan ei ole vielä ottanut tätä hoitaakseen." in await help_alert.inner_text()
    # The person is told honestly that a facilitator has been told.
    await person.locator("#help-dialog-status", has_text="Ohjaajalle on kerrottu").wait_for()
    await person.click("#help-close")
    # Crisis language in someone else's message: a second alert, and the lines above their
    # composer.
    other = await participant_page(browser, a.url, viewport=PHONE)
    await join(other, name="Kaisla")
    await say(other, CRISIS_TEXT)
    crisis_alert = sanna.locator("#alerts li", has_text="Viesti viittaa kriisiin")
    await crisis_alert.wait_for(timeout=1000)
    await other.locator("#private .resources a[href='tel:112']").wait_for()
    await other.locator("#private .help-status", has_text="Ohjaajalle on kerrottu").wait_for()
    assert await sanna.inner_text("#alerts-title") == "Hälytykset (2)"
    assert (await sanna.title()).startswith("(2)")
    await admin.locator("#alerts li", has_text="Tarvitsee apua nyt").wait_for()
    # A facilitator of another group sees nothing of it.
    await asyncio.sleep(0.5)
    assert await ville.locator("#alerts li").count() == 0
    assert await ville.inner_text("#alerts-title") == "Hälytykset (0)"

    # Sanna takes the help alert: she sees that she handles it, the admin sees who does,
    # and the person that a facilitator has seen it (never who).
    await help_alert.get_by_role("button", name="Kuittaa").click()
    await help_alert.locator(".alert-state", has_text="Sinä hoidat tätä.").wait_for()
    handled = admin.locator("#alerts li", has_text="Tarvitsee apua nyt")
    await handled.locator(".alert-state", has_text="Hoitaa: Sanna").wait_for()
    await wait_until(admin, "document.getElementById('status-live').textContent"
                            ".startsWith('Sanna hoitaa')")
    await person.locator("#private", has_text="Ohjaaja on nähnyt").wait_for()
    assert "Sanna" not in await person.inner_text("#private")
    # Pressed again: Sanna hears that Kuikka asks again, with no second alert to take, and
    # the person still reads that a facilitator has seen it.
    await person.click("#help-now")
    await person.locator("#help-dialog-status", has_text="Ohjaaja on nähnyt").wait_for()
    await wait_until(sanna, "document.getElementById('urgent-live').textContent"
                            " === 'Kuikka pyytää taas apua, Olohuone'")
    assert await sanna.inner_text("#alerts-title") == "Hälytykset (2)"
    await person.click("#help-close")
    # Crisis language from Kuikka now is the same call: the lines at once, and Sanna hears it.
    await say(person, CRISIS_TEXT)
    await person.locator("#private .resources a[href='tel:112']").wait_for()
    await person.locator("#private .help-status", has_text="Ohjaaja on nähnyt").wait_for()
    await wait_until(sanna, "document.getElementById('urgent-live').textContent"
                            " === 'Uusi kriisiin viittaava viesti: Kuikka, Olohuone'")
    assert await sanna.inner_text("#alerts-title") == "Hälytykset (2)"
    # Nobody takes the crisis alert in time (2 s here): it goes to the admins too, marked.
    await crisis_alert.locator(".escalated").wait_for(timeout=10000)
    await wait_until(admin, "document.getElementById('urgent-live').textContent"
                            ".startsWith('Kuittaamaton hälytys')")

    # A reloaded console lists the same alerts, from the server.
    await sanna.reload()
    await sanna.wait_for_selector("#console:not([hidden])")
    await help_alert.locator(".alert-state", has_text="Sinä hoidat tätä.").wait_for()
    await crisis_alert.wait_for()
    assert await sanna.evaluate("sessionStorage.getItem('vt.staff.alerts')") is None

    # Resolving: an outcome from a short list and a note for staff.
    await crisis_alert.get_by_role("button", name="Merkitse hoidetuksi").click()
    form = crisis_alert.locator(".resolve-form")
    await form.get_by_label("tuettu keskustelussa").check()
    await form.get_by_label("Muistiinpano henkilökunnalle (valinnainen)").fill(
        "Soitti kriisipuhelimeen.")
    await form.get_by_role("button", name="Tallenna").click()
    done = sanna.locator("#alerts-resolved li", has_text="Viesti viittaa kriisiin")
    await done.wait_for(state="attached")
    assert await sanna.locator("#alerts li").count() == 1
    assert await sanna.inner_text("#alerts-done-title") == \
        "Hoidetut viimeisen vuorokauden ajalta (1)"
    resolved = admin.locator("#alerts-resolved li", has_text="Viesti viittaa kriisiin")
    await resolved.wait_for(state="attached")
    await admin.click("#alerts-done summary")
    assert "Hoidettu: tuettu keskustelussa (Sanna)" in await resolved.inner_text()
    assert "Soitti kriisipuhelimeen." in await resolved.inner_text()
    for page in (sanna, ville, admin, person, other):
        assert page.errors == []  # type: ignore[attr-defined]


@pytest.fixture
async def quick_escalation(start_server, tmp_path):
    """One process (SQLite) whose alerts escalate after 2 s, and are untaken again 2 s after
    their handler went offline; an admin and Sanna (Olohuone). Yields the server and the
    admin's password."""
    db = f"sqlite+aiosqlite:///{tmp_path}/escalation.sqlite3"
    admin_password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, alert_escalate_seconds=2,
                          handler_gone_seconds=2, **FAST)
    admin_http = StaffHttp(server.url)
    await admin_http.login("admin", admin_password)
    await add_facilitator(admin_http, "sanna", ["olohuone"])
    await admin_http.close()
    yield server, admin_password


async def test_a_late_escalation_does_not_show_a_taken_alert_as_untaken(
        browser, quick_escalation):
    """The escalation of an alert is sent just before Sanna acknowledges it and reaches the
    consoles after her acknowledgement (frames from two processes can overtake each other;
    here they are held back). Both consoles keep showing that Sanna handles it, with the
    escalation marked: no "Kuittaa" button comes back, and the admin is not told that an
    alert nobody has taken was escalated."""
    server, admin_password = quick_escalation
    # A facilitator is told of an escalation as a change, an admin as an escalation.
    hold_escalations = HeldFrames(lambda frame: frame.get("type") in (
        "alert_changed", "alert_escalated") and (frame.get("alert") or {}).get("escalated")
        and frame["alert"].get("state") == "open")
    held = hold_escalations.frames

    pages = []
    for username, password in (("sanna", FACILITATOR_PASSWORD), ("admin", admin_password)):
        page = await console_page(browser, server.url, username, password)
        await page.route_web_socket(re.compile(r"/ws$"), relay(to_page=hold_escalations))
        await page.reload()
        await page.wait_for_selector("#console:not([hidden])")
        pages.append(page)
    sanna, admin = pages
    person = await participant_page(browser, server.url, viewport=PHONE)
    await join(person, name="Kuikka")
    await person.click("#help-now")
    alert = {page: page.locator("#alerts li", has_text="Tarvitsee apua nyt")
             for page in pages}
    await alert[sanna].wait_for()
    await alert[admin].wait_for()
    for _ in range(150):  # nobody acknowledges within 2 s: both escalations are held
        if len(held) == 2:
            break
        await asyncio.sleep(0.1)
    assert len(held) == 2, held

    await alert[sanna].get_by_role("button", name="Kuittaa").click()
    await alert[sanna].locator(".alert-state", has_text="Sinä hoidat tätä.").wait_for()
    await alert[admin].locator(".alert-state", has_text="Hoitaa: Sanna").wait_for()
    for page_side, message in held:
        page_side.send(message)
    await alert[sanna].locator(".escalated").wait_for()
    await alert[admin].locator(".escalated").wait_for()
    await asyncio.sleep(0.3)  # the admin's read-out is written 50 ms after it is asked
    assert "Sinä hoidat tätä." in await alert[sanna].inner_text()
    assert "Hoitaa: Sanna" in await alert[admin].inner_text()
    for page in pages:
        assert await alert[page].get_by_role("button", name="Kuittaa").count() == 0
        assert await page.locator("#alerts li.state-open").count() == 0
    assert not (await admin.inner_text("#urgent-live")).startswith("Kuittaamaton")
    for page in (sanna, admin, person):
        assert page.errors == []  # type: ignore[attr-defined]


async def test_seen_is_not_undone_by_a_late_first_word(browser, staff_server):
    """The person is told "a facilitator has been told" by the process they are on and "a
    facilitator has seen it" by the facilitator's: the second can arrive first (held back
    here). The page keeps saying that a facilitator has seen it."""
    server, _ = staff_server
    sanna = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    person = await participant_page(browser, server.url, viewport=PHONE)
    hold_told = HeldFrames(lambda frame: frame.get("type") == "help_status"
                           and frame.get("status") == "notified")
    held = hold_told.frames

    await person.route_web_socket(re.compile(r"/ws$"), relay(to_page=hold_told))
    await person.reload()
    await person.wait_for_selector(".room")
    await join(person, name="Kuikka")
    await person.click("#help-now")
    alert = sanna.locator("#alerts li", has_text="Tarvitsee apua nyt")
    await alert.get_by_role("button", name="Kuittaa").click()
    status = person.locator("#help-dialog-status")
    await status.filter(has_text="Ohjaaja on nähnyt").wait_for()
    assert len(held) == 1, held
    page_side, message = held[0]
    page_side.send(message)
    await asyncio.sleep(0.5)
    assert "Ohjaaja on nähnyt" in await status.inner_text()
    assert person.errors == [] and sanna.errors == []  # type: ignore[attr-defined]


async def test_a_reloaded_page_hears_where_its_call_for_help_stands(browser, staff_server):
    """On a phone, "I need help now", then the page is reloaded (or the browser was closed);
    Sanna takes the alert while the page is not in the room, so the word that she has seen it
    reaches nobody. Back in the room, the page says that a facilitator has seen it, rather
    than nothing at all."""
    server, _ = staff_server
    sanna = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    person = await participant_page(browser, server.url, viewport=PHONE)
    await join(person, name="Kuikka")
    await person.click("#help-now")
    await person.locator("#help-dialog-status", has_text="Ohjaajalle on kerrottu").wait_for()
    await person.reload()
    await person.wait_for_selector(".room")
    await sanna.locator("#alerts li", has_text="Tarvitsee apua nyt").get_by_role(
        "button", name="Kuittaa").click()
    await sanna.locator("#alerts li", has_text="Sinä hoidat tätä").wait_for()
    await join(person, name="Kuikka")
    told = person.locator("#private .help-status", has_text="Ohjaaja on nähnyt")
    await told.wait_for()
    assert await in_view(person, "#private .help-status")
    assert person.errors == [] and sanna.errors == []  # type: ignore[attr-defined]


async def test_a_person_nobody_answers_is_told_so_with_the_lines(browser, quick_escalation):
    """Sanna is signed in, so the person is told that a facilitator has been told; nobody
    takes the alert within the escalation time (2 s here). The person, who closed the help
    sheet, is then told above the composer that no facilitator has answered yet, with the
    crisis lines: never left believing someone is coming."""
    server, _ = quick_escalation
    sanna = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    person = await participant_page(browser, server.url, viewport=PHONE)
    await join(person, name="Kuikka")
    await person.click("#help-now")
    await person.locator("#help-dialog-status", has_text="Ohjaajalle on kerrottu").wait_for()
    await person.click("#help-close")
    told = person.locator("#private", has_text="Kukaan ohjaaja ei ole vielä ehtinyt vastata")
    await told.wait_for(timeout=15000)
    await told.locator(".resources a[href='tel:112']").wait_for()
    assert await in_view(person, "#private .help-status")
    assert person.errors == [] and sanna.errors == []  # type: ignore[attr-defined]


async def test_a_person_whose_facilitator_leaves_is_told_and_others_see_it_untaken(
        browser, quick_escalation):
    """Sanna has seen the person's call for help and goes offline (her page closed) without
    answering. 2 s later the person, whose help sheet is closed, is told above the composer
    that she had to leave and that no other facilitator is online, with the crisis lines:
    "seen" is not left standing. The admin who signs in then finds the alert untaken, with who
    left it; when the admin takes it, the person is told that a facilitator has seen it."""
    server, admin_password = quick_escalation
    sanna = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    person = await participant_page(browser, server.url, viewport=PHONE)
    await join(person, name="Kuikka")
    await person.click("#help-now")
    await sanna.locator("#alerts li", has_text="Tarvitsee apua nyt").get_by_role(
        "button", name="Kuittaa").click()
    await person.locator("#help-dialog-status", has_text="Ohjaaja on nähnyt").wait_for()
    await person.click("#help-close")
    assert sanna.errors == []  # type: ignore[attr-defined]
    await sanna.context.close()

    told = person.locator("#private", has_text="joutui lähtemään, eikä muita ohjaajia")
    await told.wait_for(timeout=15000)
    await told.locator(".resources a[href='tel:112']").wait_for()
    assert await in_view(person, "#private .help-status")

    admin = await console_page(browser, server.url, "admin", admin_password)
    untaken = admin.locator("#alerts li.state-open", has_text="Tarvitsee apua nyt")
    await untaken.wait_for()
    assert "Sanna poistui linjoilta sulkematta tätä." in await untaken.inner_text()
    await untaken.get_by_role("button", name="Kuittaa").click()
    await person.locator("#private .help-status", has_text="Ohjaaja on nähnyt").wait_for()
    assert person.errors == [] and admin.errors == []  # type: ignore[attr-defined]


async def test_an_admin_online_hears_that_an_alert_is_untaken_again(browser, quick_escalation):
    """The admin is signed in when Sanna, who took the alert, goes offline: the admin's console
    reads out that it is untaken again and by whom it was left, shows it open with the
    "Kuittaa" button back, and the person is told that the other facilitators know."""
    server, admin_password = quick_escalation
    sanna = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    admin = await console_page(browser, server.url, "admin", admin_password)
    person = await participant_page(browser, server.url, viewport=PHONE)
    await join(person, name="Kuikka")
    await person.click("#help-now")
    await sanna.locator("#alerts li", has_text="Tarvitsee apua nyt").get_by_role(
        "button", name="Kuittaa").click()
    alert = admin.locator("#alerts li", has_text="Tarvitsee apua nyt")
    await alert.locator(".alert-state", has_text="Hoitaa: Sanna").wait_for()
    await sanna.context.close()

    await alert.locator(".alert-state", has_text="Sanna poistui linjoilta").wait_for(
        timeout=15000)
    await wait_until(admin, "document.getElementById('urgent-live').textContent"
                     ".startsWith('Taas hoitamatta (Sanna poistui linjoilta)')")
    assert await alert.get_by_role("button", name="Kuittaa").count() == 1
    await person.locator("#help-dialog-status",
                         has_text="Ohjaajille on kerrottu uudelleen").wait_for()
    assert person.errors == [] and admin.errors == []  # type: ignore[attr-defined]


async def test_help_asked_while_offline_is_said_not_sent_and_sent_on_return(browser,
                                                                           start_server):
    """The connection is down (the server restarting) when the person asks for help: the
    sheet says at once that the facilitators could not be reached, with the lines, never
    that they are being told; once the room is back the request goes out and the sheet says
    what really happened."""
    server = start_server(**FAST)
    person = await participant_page(browser, server.url, viewport=PHONE)
    await join(person, name="Kuikka")
    server.stop()
    await person.locator("#connection", has_text="Yhdistetään").wait_for()
    await person.click("#help-now")
    status = person.locator("#help-dialog-status")
    await status.filter(has_text="Ohjaajille ei juuri nyt saatu tietoa").wait_for(timeout=5000)
    assert "Kerromme" not in await status.inner_text()
    assert await person.locator("#help-lines a[href='tel:112']").count() == 1
    server.start()
    await status.filter(has_text="Yksikään ohjaaja ei ole").wait_for(timeout=20000)
    assert person.errors == []  # type: ignore[attr-defined]


async def test_help_the_server_could_not_pass_on_goes_again_after_a_break(browser,
                                                                          staff_server):
    """The server got "I need help now" but could not store its alert (the database away):
    it answered with the lines and `not_sent` (played here by the relay; the server's own
    retry is tests/test_database_outage.py). The connection then breaks before any other
    word came, as when that server restarts: the page, back in the room, sends the help
    again, and the facilitator gets it."""
    server, _ = staff_server
    sanna = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    person = await participant_page(browser, server.url, viewport=PHONE)
    sockets: list[WebSocketRoute] = []
    kept: list[dict] = []

    def keep_the_first_help(page_side: WebSocketRoute, message: str | bytes) -> bool:
        frame = json.loads(message)
        if frame.get("type") != "help" or kept:
            return True
        kept.append(frame)
        lines = [{"id": "emergency", "phone": "112",
                  "name": {"fi": "Hätänumero", "sv": "Nödnumret", "en": "Emergency number"}}]
        page_side.send(json.dumps({"type": "crisis_resources", "id": frame["id"],
                                   "room": frame["room"], "resources": lines}))
        page_side.send(json.dumps({"type": "help_status", "room": frame["room"],
                                   "status": "not_sent"}))
        return False

    def route(page_side: WebSocketRoute) -> None:
        sockets.append(page_side)
        relay(to_server=keep_the_first_help)(page_side)

    await person.route_web_socket(re.compile(r"/ws$"), route)
    await person.reload()
    await person.wait_for_selector(".room")
    await join(person, name="Kuikka")
    await person.click("#help-now")
    status = person.locator("#help-dialog-status")
    await status.filter(has_text="Ohjaajille ei juuri nyt saatu tietoa").wait_for()
    await asyncio.sleep(0.5)
    assert await sanna.locator("#alerts li", has_text="Kuikka").count() == 0
    assert len(kept) == 1

    await sockets[-1].close()  # the connection breaks; the page comes back by itself
    await sanna.locator("#alerts li", has_text="Kuikka").wait_for(timeout=20000)
    await status.filter(has_text="Ohjaajalle on kerrottu").wait_for()
    assert len(sockets) >= 2 and len(kept) == 1
    assert person.errors == [] and sanna.errors == []  # type: ignore[attr-defined]


async def test_nobody_online_is_said_at_once_with_the_lines(browser, start_server):
    server = start_server(**FAST)
    SHOTS.mkdir(parents=True, exist_ok=True)
    person = await participant_page(browser, server.url, viewport=PHONE)
    await join(person, name="Tyyni Saukko")
    await person.click("#help-now")
    started = time.monotonic()
    status = person.locator("#help-dialog-status", has_text="Yksikään ohjaaja ei ole")
    await status.wait_for(timeout=1000)
    assert time.monotonic() - started <= 1.0
    assert "Kriisipuhelimet vastaavat nyt." in await status.inner_text()
    assert await in_view(person, "#help-dialog-status")
    assert await person.evaluate("document.activeElement.id") == "help-lines"
    await person.screenshot(path=str(SHOTS / "help-sheet-phone.png"))
    assert person.errors == []  # type: ignore[attr-defined]


async def test_a_private_conversation_from_an_alert_opens_beside_the_group_and_ends_cleanly(
        browser, staff_server):
    server, _ = staff_server
    SHOTS.mkdir(parents=True, exist_ok=True)
    sanna = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD, viewport=DESKTOP)
    person = await participant_page(browser, server.url, viewport=PHONE)
    await join(person, name="Kuikka")
    other = await ChatClient.connect(server.ws_url)
    await other.join("olohuone", name="Kaisla")
    await person.click("#help-now")
    await person.click("#help-close")
    alert = sanna.locator("#alerts li", has_text="Kuikka")
    await alert.get_by_role("button", name="Keskustele kahden kesken: Kuikka").click()

    # Sanna (no one-to-one supporter) gets the conversation in her console.
    conv = sanna.locator("#supporter-conv .conversation:not([hidden])")
    await conv.wait_for()
    assert await conv.locator("h4").inner_text() == "Kahdenkeskinen keskustelu: Kuikka, Olohuone"
    assert await conv.locator(".conv-text").evaluate("e => e === document.activeElement")
    assert not await sanna.is_visible("#supporter-availability"), "only the conversations"
    await alert.locator(".alert-state", has_text="Sinä hoidat tätä.").wait_for()
    await alert.locator(".alert-conv", has_text="Kahdenkeskinen keskustelu on avattu.").wait_for()

    # The person sees it beside the group: on a phone a sheet below the header.
    await person.wait_for_selector("#side-conv:not([hidden]) #support-conv:not([hidden])")
    assert await person.inner_text("#support-conv-title") == "Keskustelu: Sanna"
    # Not an empty box: why it opened is its first line, on the screen.
    opened = person.locator("#support-messages .note",
                            has_text="Ohjaaja Sanna haluaa jutella kanssasi kahden kesken.")
    assert await opened.is_visible()
    assert await person.is_visible("#chat")
    for selector in ("#help-now", "#quick-exit", "#support-text", "#support-conv-title"):
        assert await in_view(person, selector), selector
    await conv.locator(".conv-text").fill("Hei, olen Sanna. Haluatko jutella hetken?")
    await conv.locator(".conv-text").press("Enter")
    await person.locator("#support-messages .message:not(.mine)",
                         has_text="Haluatko jutella").wait_for()
    assert "ohjaaja" in await person.locator("#support-messages .message:not(.mine)").inner_text()
    await person.fill("#support-text", "Kiitos, haluan.")
    await person.press("#support-text", "Enter")
    await conv.locator(".conv-messages .message", has_text="Kiitos, haluan.").wait_for()
    # A reloaded console has the conversation back, with what was said.
    await sanna.reload()
    await sanna.wait_for_selector("#room-view:not([hidden])")
    await conv.locator(".conv-messages .message", has_text="Kiitos, haluan.").wait_for()
    assert "Kuikka" in await conv.locator(".conv-messages .message:not(.mine) .name").inner_text()
    await conv.locator(".conv-text").focus()
    await sanna.screenshot(path=str(SHOTS / "console-alert-desktop.png"))

    # Folded to a bar, the group is in view and its messages keep coming.
    await person.click("#side-conv-toggle")
    assert await person.inner_text("#side-conv-toggle") == \
        "Kahdenkeskinen keskustelu: Sanna – näytä"
    await other.say("olohuone", "Tervetuloa, Kuikka.")
    await person.locator("#messages .message", has_text="Tervetuloa, Kuikka.").wait_for()
    assert await in_view(person, "#messages .message:last-child")
    await conv.locator(".conv-text").fill("Olen täällä.")
    await conv.locator(".conv-text").press("Enter")
    await person.locator("#side-conv-toggle.unread").wait_for()
    await person.click("#side-conv-toggle")
    await person.locator("#support-messages .message", has_text="Olen täällä.").wait_for()

    # Sanna ends it: the person is told, with the crisis lines, and goes back to the group.
    await conv.get_by_role("button", name="Lopeta", exact=True).click()
    await conv.get_by_role("button", name="Kyllä, lopeta").click()
    ended = person.locator("#support-messages .note", has_text="Ohjaaja lopetti keskustelun.")
    await ended.wait_for()
    await person.locator("#support-notice .resources a[href='tel:112']").wait_for()
    assert await person.is_disabled("#support-text")
    await person.get_by_role("button", name="Sulje keskustelu").click()
    await person.wait_for_selector("#side-conv", state="hidden")
    assert await person.is_visible("#chat")
    assert await person.evaluate("document.activeElement.id") == "text"
    await say(person, "Kiitos kaikille.")
    await sanna.locator("#messages .message", has_text="Kiitos kaikille.").wait_for()
    await conv.locator(".conv-messages .note").wait_for()
    for page in (sanna, person):
        assert page.errors == []  # type: ignore[attr-defined]
    await other.close()


async def test_crisis_messages_are_folded_for_others_live_and_in_history(browser, staff_server):
    server, _ = staff_server
    sanna = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    writer = await participant_page(browser, server.url, viewport=PHONE)
    reader = await participant_page(browser, server.url, viewport=PHONE)
    await join(writer, name="Kuikka")
    await join(reader, name="Tiira")
    await say(writer, CRISIS_TEXT)
    # The writer sees it as written, and the lines privately above the composer.
    mine = writer.locator("#messages .message:not(.pending)", has_text=CRISIS_TEXT)
    await mine.wait_for()
    assert await mine.locator(".cw").count() == 0
    await writer.locator("#private .resources").wait_for()
    # Another participant sees it folded under a content warning, and opens it by choice.
    folded = reader.locator("#messages .message", has_text="Sisältövaroitus")
    await folded.wait_for()
    assert "raskas aihe, voi koskea kriisiä" in await folded.inner_text()
    assert not await folded.locator(".text").is_visible()
    assert CRISIS_TEXT not in await reader.inner_text("#announce")
    # Staff see it open and marked.
    line = sanna.locator("#messages .message.flagged", has_text=CRISIS_TEXT)
    await line.wait_for()
    assert "Kriisi" in await line.locator(".crisis-flag").inner_text()

    # The writer leaves; a newcomer reads the history: folded there too.
    await writer.click("#leave")
    await writer.click("#leave-only")
    newcomer = await participant_page(browser, server.url, viewport=PHONE)
    await join(newcomer, name="Kaisla")
    earlier = newcomer.locator("#messages .message", has_text="Sisältövaroitus")
    await earlier.wait_for()
    assert not await earlier.locator(".text").is_visible()
    await earlier.get_by_role("button", name="Näytä viesti").click()
    assert await earlier.locator(".text").inner_text() == CRISIS_TEXT
    assert await earlier.get_by_role("button", name="Piilota viesti").get_attribute(
        "aria-expanded") == "true"
    for page in (sanna, writer, reader, newcomer):
        assert page.errors == []  # type: ignore[attr-defined]


async def test_a_call_of_several_crisis_messages_shows_how_many_and_goes_to_the_latest(
        browser, staff_server):
    """Someone writes one despairing line after another: one call in Sanna's inbox, which
    says how many there were, and "Siirry ryhmään" takes her to the latest (where the person
    is now), not to the first (fails on the old code: no count, the first line focused)."""
    server, _ = staff_server
    sanna = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    person = await participant_page(browser, server.url, viewport=PHONE)
    await join(person, name="Kuikka")
    lines = [CRISIS_TEXT, "en halua elää enää", "haluan kuolla, en jaksa"]
    for text in lines:
        await say(person, text)
        await sanna.locator("#messages .message.flagged", has_text=text).wait_for()
    call = sanna.locator("#alerts li", has_text="Viesti viittaa kriisiin")
    await call.locator(".alert-messages", has_text="Kriisiin viittaavia viestejä: 3").wait_for()
    assert await sanna.locator("#alerts li").count() == 1
    await call.get_by_role("button", name="Siirry ryhmään").click()
    await wait_until(sanna, "document.activeElement.classList.contains('message')")
    assert lines[-1] in await sanna.evaluate("document.activeElement.textContent")
    for page in (sanna, person):
        assert page.errors == []  # type: ignore[attr-defined]


async def test_a_held_crisis_line_is_said_to_wait_beside_the_crisis_lines(browser, staff_server):
    """A crisis line that a filter holds for a facilitator (here: it also calls someone an
    idiot): on the phone, beside the crisis lines and where the call stands, the person reads
    that their message is not shown yet and waits for a facilitator; before, only a small
    grey "odottaa ohjaajan hyväksyntää" under the message said so, and a screen reader heard
    nothing. Once Sanna lets it through, the line goes (fails on the old code: no such line)."""
    server, _ = staff_server
    sanna = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    person = await participant_page(browser, server.url, viewport=PHONE)
    await join(person, name="Kuikka")
    text = "olet idiootti ja haluan kuolla"
    await say(person, text)
    waiting = person.locator("#private .help-held",
                             has_text="Viestisi ei vielä näy muille ryhmässä")
    await waiting.wait_for()
    await person.locator("#private .help-status", has_text="Ohjaajalle on kerrottu").wait_for()
    assert await in_view(person, "#private .help-held")
    assert await person.locator("#private .resources a[href='tel:112']").count() == 1
    held = sanna.locator("#held li", has_text=text)
    await held.get_by_role("button", name="Hyväksy").click()
    await person.locator("#messages .message:not(.pending)", has_text=text).wait_for()
    await waiting.wait_for(state="hidden")
    for page in (sanna, person):
        assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
async def test_no_violations_in_the_inbox_the_private_conversation_and_folded_messages(
        browser, staff_server, axe_source, lang):
    server, _ = staff_server
    console = await new_page(browser, server.url + "/staff", lang, viewport=DESKTOP)
    await console.fill("#username", "sanna")
    await console.fill("#password", FACILITATOR_PASSWORD)
    await console.press("#password", "Enter")
    await console.wait_for_selector("#room-view:not([hidden])")
    person = await new_page(browser, server.url, lang, viewport=PHONE)
    await person.locator(".room button").first.click()
    await person.click("#accept")
    await person.wait_for_selector("#chat:not([hidden])")
    reader = await new_page(browser, server.url, lang, viewport=PHONE)
    await reader.locator(".room button").first.click()
    await reader.click("#accept")
    await reader.wait_for_selector("#chat:not([hidden])")

    # A help alert; a crisis message of another person (folded for the first), taken and
    # resolved.
    texts = json.loads((STATIC / "i18n" / f"{lang}.json").read_text())
    await person.click("#help-now")
    await person.locator("#help-dialog-status", has_text=texts["help.status.notified"]).wait_for()
    await no_violations(person, axe_source, f"help sheet with its status {lang}")
    await person.keyboard.press("Escape")
    await say(reader, CRISIS_TEXT)
    await reader.locator("#private .resources").wait_for()
    await person.locator("#messages .message .cw").wait_for()
    await no_violations(person, axe_source, f"a folded crisis message {lang}")
    await wait_until(console, "document.querySelectorAll('#alerts > li').length === 2")
    crisis = console.locator("#alerts > li", has_text=texts["alerts.crisis"])
    await crisis.locator("[data-action=ack]").click()
    await console.locator("#alerts .state-acknowledged").wait_for()
    await console.locator("#alerts .state-acknowledged [data-action=resolve]").click()
    await console.locator("#alerts .resolve-form:not([hidden])").wait_for()
    await no_violations(console, axe_source, f"inbox with a resolve form {lang}")
    await console.locator("#alerts .resolve-form:not([hidden]) input").first.check()
    await console.locator("#alerts .resolve-form:not([hidden]) button[type=submit]").click()
    await console.locator("#alerts-resolved li").wait_for(state="attached")
    await console.click("#alerts-done summary")

    # The private conversation, in the console and beside the person's group.
    await console.locator("#alerts [data-action=talk]").first.click()
    await console.locator("#supporter-conv .conversation:not([hidden])").wait_for()
    await person.wait_for_selector("#side-conv:not([hidden]) #support-conv:not([hidden])")
    await no_violations(console, axe_source, f"console with a conversation from an alert {lang}")
    await no_violations(person, axe_source, f"private conversation beside the group {lang}")
    await person.click("#side-conv-toggle")
    await no_violations(person, axe_source, f"private conversation folded {lang}")
    for page in (console, person, reader):
        assert page.errors == []  # type: ignore[attr-defined]


async def test_a_facilitator_gone_too_long_leaves_the_person_with_the_group_not_the_queue(
        browser, start_server, tmp_path):
    """Sanna opens a private conversation from Kuikka's call for help, then loses her
    connection and does not come back. Before, at SUPPORTER_REQUEUE_SECONDS Kuikka's phone
    said they were at the front of the one-to-one queue, for a peer supporter who could not
    even write to them, and Ville's inbox (he facilitates the group too) offered no way to
    talk with them. Now the conversation beside the group says that Sanna did not come back
    and that it is not Kuikka's doing, with the crisis lines; above the composer Kuikka reads
    that the facilitators have been told again; Ville's inbox shows the call open with "talk
    privately", and he does."""
    server, admin = await _server_whose_handlers_are_soon_gone(
        start_server, f"sqlite+aiosqlite:///{tmp_path}/gone-ui.sqlite3")
    for name in ("sanna", "ville"):
        await add_facilitator(admin, name, ["olohuone"])
    await admin.close()
    ville = await console_page(browser, server.url, "ville", FACILITATOR_PASSWORD)
    sanna_http = StaffHttp(server.url)
    await sanna_http.login("sanna", FACILITATOR_PASSWORD)
    sanna = await sanna_http.socket(server.ws_url)
    person = await participant_page(browser, server.url, viewport=PHONE)
    await join(person, name="Kuikka")
    await person.click("#help-now")
    await person.click("#help-close")
    alert = (await sanna.wait_for(lambda f: f["type"] == "alert"))["alert"]["id"]
    assert (await sanna.request({"type": "conv_open", "alert": alert}))["type"] == "conv_started"
    await person.wait_for_selector("#side-conv:not([hidden]) #support-conv:not([hidden])")
    item = ville.locator("#alerts li", has_text="Kuikka")
    await item.locator(".alert-conv").wait_for()

    await sanna.close()
    ended = person.locator("#support-messages .note",
                           has_text="Sanna ei palannut yhteyden katkettua")
    await ended.wait_for(timeout=20000)
    assert "Se ei johdu sinusta." in await ended.inner_text()
    await person.locator("#support-notice .resources a[href='tel:112']").wait_for()
    assert await person.is_disabled("#support-text")
    assert not await person.is_visible("#support-returned")
    await person.locator("#private .help-status",
                         has_text="Ohjaajille on kerrottu uudelleen").wait_for()

    talk = item.get_by_role("button", name="Keskustele kahden kesken: Kuikka")
    await talk.wait_for()
    assert "Sanna poistui linjoilta sulkematta tätä." in await item.inner_text()
    await talk.click()
    conv = ville.locator("#supporter-conv .conversation:not([hidden])")
    await conv.wait_for()
    assert await conv.locator("h4").inner_text() == "Kahdenkeskinen keskustelu: Kuikka, Olohuone"
    await person.locator("#support-conv-title", has_text="Keskustelu: Ville").wait_for()
    assert await person.is_enabled("#support-text")
    for page in (ville, person):
        assert page.errors == []  # type: ignore[attr-defined]
    await sanna_http.close()


async def test_a_crisis_call_taken_by_a_supporter_whose_right_is_removed_is_open_again_live(
        browser, start_server, tmp_path):
    """Someone in crisis waits for a one-to-one conversation. Aino, a supporter, takes their
    call from the inbox ("Kuittaa") without taking them yet; Ville, a supporter whose console
    is open but who is off duty, sees "Hoitaa: Aino". An admin then removes Aino's one-to-one
    right while she stays signed in. Before, Ville's inbox went on saying that Aino handled
    it (she could no longer reach the person) until he reloaded; now it shows it open again
    at once, left by Aino, and Aino's inbox no longer lists it as hers. It says why, truly:
    Aino can no longer answer it (before, that she "went offline without closing it", while
    she was still signed in), read out so too, and still after a reload."""
    from tests.test_one_to_one import QUESTIONS

    db = f"sqlite+aiosqlite:///{tmp_path}/revoked-ui.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, **FAST)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    ids = {name: await add_facilitator(admin, name, ["olohuone"]) for name in ("aino", "ville")}
    put = await admin.put("/api/one-to-one/settings", {
        "questions": QUESTIONS, "supporters": list(ids.values())})
    assert put.status_code == 200, put.text
    aino = await console_page(browser, server.url, "aino", FACILITATOR_PASSWORD)
    ville = await console_page(browser, server.url, "ville", FACILITATOR_PASSWORD)
    person = await ChatClient.connect(server.ws_url)
    asked = await person.request({"type": "queue_request", "topic": "",
                                  "answers": {"now": "crisis"}})
    assert asked["crisis"] is True, asked
    call = "Kriisissä oleva odottaa kahdenkeskistä tukea"
    await aino.locator("#alerts li", has_text=call).get_by_role("button", name="Kuittaa").click()
    theirs = ville.locator("#alerts li", has_text=call)
    await theirs.locator(".alert-state", has_text="Hoitaa: Aino").wait_for()
    await aino.locator("#alerts li", has_text=call).locator(
        ".alert-state", has_text="Sinä hoidat tätä.").wait_for()

    put = await admin.put("/api/one-to-one/settings", {"supporters": [ids["ville"]]})
    assert put.status_code == 200, put.text
    why = "Aino ei voi enää vastata tähän, joten se on taas hoitamatta."
    await ville.locator("#alerts li.state-open", has_text=call).locator(
        ".alert-state", has_text=why).wait_for()
    assert "poistui linjoilta" not in await theirs.inner_text()
    await ville.locator("#urgent-live", has_text="Taas hoitamatta (Aino ei voi enää vastata)"
                        ).wait_for(state="attached")
    assert await theirs.get_by_role("button", name="Kuittaa").is_visible()
    await aino.locator("#alerts li", has_text=call).wait_for(state="detached")
    await ville.reload()
    await ville.locator("#alerts li.state-open", has_text=call).locator(
        ".alert-state", has_text=why).wait_for()
    for page in (aino, ville):
        assert page.errors == []  # type: ignore[attr-defined]
    await person.close()
    await admin.close()
