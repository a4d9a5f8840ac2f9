"""axe-core finds no violations on any page, in any of the three languages.

axe-core comes from the npm registry into the test run only (the axe_source fixture). The
pages' Content Security Policy rightly refuses inline scripts, so axe is injected into a
context opened with Playwright's bypass_csp; the CSP itself is tested elsewhere.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page

from chatserver.testing import FACILITATOR_PASSWORD
from tests.browser.staff_helpers import no_dialogs_or_errors
from tests.browser.test_participant_ui import say, wait_until

pytestmark = pytest.mark.browser
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(" "))}));
}"""
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
    await page.click("#help-now")
    await page.locator("#private .resources").wait_for()
    await no_violations(page, axe_source, f"chat {lang}")
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
    await console.locator("#alerts li").wait_for()
    await other.locator(".message", has_text="Kiitos").locator(".tools button").last.click()
    await other.wait_for_selector("#report-dialog[open]")
    await no_violations(other, axe_source, f"report dialog {lang}")
    await other.click("#report-send")
    await console.locator("#reports li").wait_for()
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
    await admin.wait_for_selector("#audit li")
    await admin.wait_for_selector("#filter-fields label")
    await no_violations(admin, axe_source, f"admin {lang}")
    for p in (page, other, console, admin):
        assert p.errors == []
    # The check itself can fail: an unlabelled field is a violation axe reports.
    await admin.evaluate("document.getElementById('admin').append(document.createElement('input'))")
    with pytest.raises(AssertionError, match="'rule': 'label'"):
        await no_violations(admin, axe_source, "an unlabelled field")
