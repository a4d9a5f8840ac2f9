"""axe-core finds no violations on any page, in any of the three languages.

axe-core comes from the npm registry into the test run only (the axe_source fixture). The
pages' Content Security Policy rightly refuses inline scripts, so axe is injected into a
context opened with Playwright's bypass_csp; the CSP itself is tested elsewhere.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page

from chatserver.testing import FACILITATOR_PASSWORD, FAST, StaffHttp, create_admin
from tests.browser.staff_helpers import no_dialogs_or_errors
from tests.browser.test_participant_ui import HeldFrames, relay, say, wait_until
from tests.test_sessions_flow import local_minute

pytestmark = pytest.mark.browser
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(" "))}));
}"""
HELSINKI = ZoneInfo("Europe/Helsinki")
EXIT_TEXT = {"fi": "Pikapoistuminen", "sv": "Snabb utgång", "en": "Quick exit"}


async def no_violations(page: Page, axe_source: str, where: str) -> None:
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.add_script_tag(content=axe_source)
    violations = await page.evaluate(RUN_AXE)
    assert violations == [], f"{where}: {violations}"


async def new_page(browser: Browser, url: str, lang: str, **context: object) -> Page:
    ctx = await browser.new_context(bypass_csp=True, **context)
    page = await ctx.new_page()
    page.errors = no_dialogs_or_errors(page)  # type: ignore[attr-defined]
    await page.goto(url)
    await page.select_option("#lang", lang)
    await wait_until(page, f"document.documentElement.lang === {lang!r}")
    return page


async def test_no_violations_while_a_message_waits_for_its_ack(browser, staff_server,
                                                              axe_source):
    """"Sending…" under a message the server has not acknowledged yet (a slow connection) is
    as readable as the rest: its acknowledgement is held back while axe looks. (The chat
    check below caught it only when the echo happened to come before the ack.)"""
    server, _ = staff_server
    held = HeldFrames(lambda frame: frame.get("type") == "ack")
    ctx = await browser.new_context(bypass_csp=True)
    page = await ctx.new_page()
    page.errors = no_dialogs_or_errors(page)  # type: ignore[attr-defined]
    await page.route_web_socket(re.compile(r"/ws$"), relay(to_page=held))
    await page.goto(server.url)
    await page.wait_for_selector(".room")
    await page.locator(".room button").first.click()
    await page.click("#accept")
    await page.wait_for_selector("#chat:not([hidden])")
    await say(page, "Kiitos")
    await page.locator(".message.pending .status").wait_for()
    await wait_until(page, "document.querySelectorAll('.message .text').length >= 2")
    await no_violations(page, axe_source, "a message waiting for its ack")
    for page_side, message in held.frames:
        page_side.send(message)
    await wait_until(page, "document.querySelector('.message.pending') === null")
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
async def test_no_violations_on_any_page(browser, staff_server, axe_source, lang):
    server, admin_password = staff_server
    # Participant: landing, ground rules, chat (with messages, a warning, a reply).
    other = await new_page(browser, server.url, lang)
    await other.wait_for_selector(".room")
    await other.locator(".room button").first.click()
    await other.click("#accept")
    await other.wait_for_selector("#chat:not([hidden])")

    page = await new_page(browser, server.url, lang)
    await page.wait_for_selector(".room")
    assert await page.inner_text("#quick-exit") == EXIT_TEXT[lang]
    await no_violations(page, axe_source, f"landing {lang}")
    await page.locator(".room button").first.click()
    await page.wait_for_selector("#rules:not([hidden])")
    await no_violations(page, axe_source, f"rules {lang}")
    await page.click("#accept")
    await page.wait_for_selector("#chat:not([hidden])")
    await say(other, "Hei kaikki")
    await page.locator(".message .text", has_text="Hei kaikki").wait_for()
    await other.check("#cw")
    await say(other, "raskas aihe")
    await page.locator(".message .cw").wait_for()
    await say(page, "Kiitos")
    await page.locator(".message:not(.pending) .text", has_text="Kiitos").wait_for()
    await no_violations(page, axe_source, f"chat {lang}")
    await page.click("#help-now")
    await page.locator("#help-lines .resource").first.wait_for()
    await no_violations(page, axe_source, f"help sheet {lang}")
    await page.click("#help-close")
    await page.click("#leave")
    await no_violations(page, axe_source, f"leaving {lang}")

    # Facilitator console: sign-in, then the live room with an alert, a report, a menu open.
    console = await new_page(browser, server.url + "/staff", lang)
    await console.wait_for_selector("#signin:not([hidden])")
    await no_violations(console, axe_source, f"staff sign-in {lang}")
    await console.fill("#username", "sanna")
    await console.fill("#password", FACILITATOR_PASSWORD)
    await console.press("#password", "Enter")
    await console.wait_for_selector("#room-view:not([hidden])")
    await console.locator("#messages .message .text", has_text="Hei kaikki").wait_for()
    await page.click("#help-now")
    await page.click("#help-close")
    # The first press was kept by the server before she signed in; the second is the same
    # call, asked again: one item in the inbox.
    await wait_until(console, "document.querySelectorAll('#alerts li').length === 1")
    await wait_until(console, "document.getElementById('urgent-live').textContent !== ''")
    await other.locator(".message", has_text="Kiitos").locator(".menu-button").click()
    await other.locator(".message", has_text="Kiitos").locator(".menu button").last.click()
    await other.wait_for_selector("#report-dialog[open]")
    await no_violations(other, axe_source, f"report dialog {lang}")
    await other.click("#report-send")
    await console.locator("#reports > li").wait_for()
    await console.locator("#messages .message .menu-button").first.click()
    await no_violations(console, axe_source, f"console {lang}")
    await console.keyboard.press("Escape")
    member = console.locator("#members li .menu-button").first
    await member.click()
    await console.locator("#members .menu:not([hidden]) button").nth(1).click()
    await console.wait_for_selector("#action-dialog[open]")
    await no_violations(console, axe_source, f"action dialog {lang}")

    # Admin pages.
    admin = await new_page(browser, server.url + "/admin", lang)
    await admin.fill("#username", "admin")
    await admin.fill("#password", admin_password)
    await admin.press("#password", "Enter")
    await admin.wait_for_selector("#admin:not([hidden])")
    # One section at a time: each is checked.
    for section in await admin.evaluate(
            "[...document.querySelectorAll('#admin > section.panel')].map(s => s.id)"):
        await admin.click(f"nav.sections a[href='#{section}']")
        await admin.wait_for_selector(f"#{section}:not([hidden])")
        if section == "audit-section":
            await admin.wait_for_selector("#audit li")
        if section == "filters-section":
            await admin.wait_for_selector("#filter-fields label")
        await no_violations(admin, axe_source, f"admin {section} {lang}")
    for p in (page, other, console, admin):
        assert p.errors == []
    # The check itself can fail: an unlabelled field is a violation axe reports.
    await admin.evaluate("document.getElementById('admin').append(document.createElement('input'))")
    with pytest.raises(AssertionError, match="'rule': 'label'"):
        await no_violations(admin, axe_source, "an unlabelled field")


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
async def test_no_violations_in_the_lobby_and_on_the_closing_screen(browser, start_server,
                                                                   tmp_path, axe_source, lang):
    db = f"sqlite+aiosqlite:///{tmp_path}/lobby.sqlite3"
    admin_password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, session_timer_seconds="1", **FAST)
    http = StaffHttp(server.url)
    await http.login("admin", admin_password)
    names = {"fi": "Ilta", "sv": "Kväll", "en": "Evening"}
    created = await http.post("/api/rooms", {
        "id": "ilta", "names": names, "kind": "guided", "session_mode": "sessions",
        "retention": "session", "lobby_minutes": 30,
        "ground_rules": {"fi": "Puhu omasta puolestasi.", "sv": "Tala för dig själv.",
                         "en": "Speak for yourself."}})
    assert created.status_code == 201, created.text
    start = (datetime.now(HELSINKI) + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    made = await http.post("/api/rooms/ilta/sessions", {"start": start, "duration_minutes": 60})
    assert made.status_code == 201, made.text
    session = made.json()["id"]
    for _ in range(100):  # the timer opens the lobby within a second or two
        _, found = server.get("/api/rooms/ilta/sessions")
        if found and found[0]["state"] == "lobby":
            break
        await asyncio.sleep(0.2)
    page = await new_page(browser, server.url, lang, timezone_id="Europe/Helsinki")
    await page.locator(".room", has_text=names[lang]).get_by_role("button").first.click()
    await page.click("#accept")
    await page.wait_for_selector("#session-banner:not([hidden])")
    await no_violations(page, axe_source, f"lobby {lang}")

    assert (await http.post(f"/api/sessions/{session}/open", {})).status_code == 200
    assert (await http.post(f"/api/sessions/{session}/close", {})).status_code == 200
    await page.wait_for_selector("#closing:not([hidden])")
    await page.locator("#closing .resources li").first.wait_for()
    await no_violations(page, axe_source, f"closing screen {lang}")
    await http.close()
    assert page.errors == []


async def signed_in(browser: Browser, url: str, lang: str, username: str,
                    password: str) -> Page:
    page = await new_page(browser, url, lang)
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.press("#password", "Enter")
    return page


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
async def test_no_violations_on_statistics_editors_and_debriefs(browser, staff_server,
                                                                axe_source, lang):
    """The admin's statistics, group editor, schedule exceptions and one-to-one settings, and
    the console's debrief form, each open, with the server's verdict on a field shown."""
    server, admin_password = staff_server
    http = StaffHttp(server.url)
    await http.login("admin", admin_password)
    made = await http.post("/api/rooms/olohuone/schedules", {
        "frequency": "daily", "start_date": local_minute(24 * 60)[:10], "start_time": "18:00",
        "duration_minutes": 90})
    assert made.status_code == 201, made.text
    session = await http.post("/api/rooms/olohuone/sessions",
                              {"start": local_minute(5), "duration_minutes": 60})
    for action in ("open", "close"):
        done = await http.post(f"/api/sessions/{session.json()['id']}/{action}", {})
        assert done.status_code == 200, done.text
    await http.close()

    admin = await signed_in(browser, server.url + "/admin", lang, "admin", admin_password)
    # One section at a time (by the URL's fragment): each is checked as it is being used.
    await admin.wait_for_selector("#room-cards li")
    await admin.locator("#room-cards li").first.locator("button").click()
    await admin.wait_for_selector("#room-edit:not([hidden])")
    await admin.fill("#room-edit-time_zone", "Mars/Olympus")
    await admin.click("#room-edit button[type=submit]")
    await admin.wait_for_selector("#room-edit-time_zone[aria-invalid=true]")
    await no_violations(admin, axe_source, f"admin group editor {lang}")
    await admin.click("nav.sections a[href='#schedules-section']")
    await admin.wait_for_selector("#schedule-list .date-actions")
    dates = admin.locator("#schedule-list .date-actions")
    await dates.nth(0).locator("button").nth(0).click()  # cancel: the confirmation
    await dates.nth(1).locator("button").nth(1).click()  # move: the new start
    await no_violations(admin, axe_source, f"admin schedule exceptions {lang}")
    await admin.click("nav.sections a[href='#stats-section']")
    await admin.wait_for_selector("#stats-rooms li")
    await no_violations(admin, axe_source, f"admin statistics {lang}")
    await admin.click("nav.sections a[href='#o2o-section']")
    await admin.wait_for_selector("#o2o-section:not([hidden])")
    await admin.click("#o2o-question-add")
    await admin.locator("#o2o-questions > li").last.locator("button").first.click()  # a choice
    await admin.click("#o2o-hours-add")
    await no_violations(admin, axe_source, f"admin one-to-one settings {lang}")

    console = await signed_in(browser, server.url + "/staff", lang, "sanna",
                              FACILITATOR_PASSWORD)
    await console.wait_for_selector("#debrief-sessions button")
    await console.locator("#debrief-sessions button").first.click()
    await console.wait_for_selector("#debrief-list li")
    await console.fill("#debrief-text", "Hyvä kerta.")
    await console.click("#debrief-form button[type=submit]")
    await console.wait_for_selector("#debrief-list li.card")
    await no_violations(console, axe_source, f"console debrief {lang}")
    for p in (admin, console):
        assert p.errors == []


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
async def test_no_violations_in_one_to_one_support(browser, staff_server, axe_source, lang):
    """The participant's queue and conversation views and the supporter's panel (waiting
    list with a crisis, an open conversation with a crisis alert, the handover form)."""
    from tests.browser.test_one_to_one_ui import make_sanna_a_supporter

    server, admin_password = staff_server
    await make_sanna_a_supporter(server.url, admin_password)
    console = await new_page(browser, server.url + "/staff", lang)
    await console.fill("#username", "sanna")
    await console.fill("#password", FACILITATOR_PASSWORD)
    await console.press("#password", "Enter")
    await console.wait_for_selector("#support-panel:not([hidden])")
    await console.fill("#supporter-capacity", "2")
    await console.click("#supporter-save")
    await wait_until(console, "document.getElementById('supporter-status').textContent"
                              ".includes('2')")

    page = await new_page(browser, server.url, lang)
    await page.wait_for_selector(".room")
    await page.click("#support-start")
    await page.wait_for_selector("#support-form:not([hidden])")
    await no_violations(page, axe_source, f"one-to-one questions {lang}")
    await page.check("input[name=q-now][value=crisis]")
    await page.fill("#support-topic", "Unettomuus")
    await page.click("#support-ask")
    await page.locator("#support-position:has-text('1')").wait_for()
    await no_violations(page, axe_source, f"one-to-one queue {lang}")

    await console.locator("#supporter-queue .crisis-flag").wait_for()
    await no_violations(console, axe_source, f"supporter waiting list {lang}")
    await console.click("#supporter-take-next")
    await page.wait_for_selector("#support-conv:not([hidden])")
    await say_one_to_one(page, "En jaksa enää elää")
    await page.locator("#support-notice .resources").wait_for()
    conv = console.locator("#supporter-conv .conversation:not([hidden])")
    await conv.locator(".crisis-alert:not([hidden])").wait_for()
    await conv.locator(".conv-text").fill("Olen tässä.")
    await conv.locator(".conv-text").press("Enter")
    await page.locator("#support-messages .message:not(.mine)").wait_for()
    await page.click("#support-end")
    await no_violations(page, axe_source, f"one-to-one conversation {lang}")
    await conv.locator(".conv-tools button").nth(1).click()  # transfer: the handover form
    await conv.locator(".transfer-panel:not([hidden])").wait_for()
    await no_violations(console, axe_source, f"supporter conversation {lang}")
    await page.click("#support-end-yes")
    await page.wait_for_selector("#support-ended:not([hidden])")
    await no_violations(page, axe_source, f"one-to-one closing {lang}")
    assert page.errors == [] and console.errors == []  # type: ignore[attr-defined]


async def say_one_to_one(page: Page, text: str) -> None:
    await page.fill("#support-text", text)
    await page.press("#support-text", "Enter")
