"""Helpers for the staff pages in the real browser."""

from __future__ import annotations

from playwright.async_api import Browser, Page

from tests.browser.test_participant_ui import wait_until


def no_dialogs_or_errors(page: Page) -> list[str]:
    """Fail on a JavaScript dialog; collect uncaught page errors (the test asserts none)."""
    errors: list[str] = []
    page.on("dialog", lambda d: (_ for _ in ()).throw(AssertionError("a dialog opened")))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


async def participant_page(browser: Browser, url: str, **context: object) -> Page:
    """A participant's landing page in a context of their own (a person of their own): a
    JavaScript dialog fails the test, page errors are collected, and quick exit's destination
    is answered here (no internet)."""
    ctx = await browser.new_context(**context)
    page = await ctx.new_page()
    page.errors = no_dialogs_or_errors(page)  # type: ignore[attr-defined]
    await page.route("https://www.google.com/**", lambda route: route.fulfill(
        body="<p>weather</p>", content_type="text/html"))  # where quick exit goes
    await page.goto(url)
    await page.wait_for_selector(".room")
    return page


async def admin_section(page: Page, section: str) -> None:
    """Open one section of /admin (one is shown at a time) by its link in the navigation."""
    await page.click(f"nav.sections a[href='#{section}']")
    await page.wait_for_selector(f"#{section}:not([hidden])")


async def sign_in(browser: Browser, url: str, username: str, password: str,
                  path: str = "/staff", **context: object) -> Page:
    ctx = await browser.new_context(**context)
    page = await ctx.new_page()
    page.errors = no_dialogs_or_errors(page)  # type: ignore[attr-defined]
    await page.goto(url + path)
    await page.wait_for_selector("#signin:not([hidden])")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.press("#password", "Enter")
    main = "#console" if path == "/staff" else "#admin"
    await page.wait_for_selector(f"{main}:not([hidden])")
    if path == "/staff":
        await page.wait_for_selector("#room-view:not([hidden])")
        await wait_until(page, "document.querySelectorAll('#members li').length > 0")
    return page


async def report(page: Page, text: str, category: str = "worried", note: str = "") -> None:
    """A participant reports the message with this text: why, and an optional note."""
    line = page.locator(".message", has_text=text)
    await line.locator(".menu-button").click()  # the message's one menu of actions
    await line.locator(".menu:not([hidden])").get_by_role("button", name="Ilmoita").click()
    await page.wait_for_selector("#report-dialog[open]")
    await page.check(f"#report-form input[value={category}]")
    if note:
        await page.fill("#report-note", note)
    await page.click("#report-send")
    await page.locator("#private", has_text="ilmoituksesi").wait_for()


async def period_reaches(page: Page, last_day_field: str, starts_at: str) -> bool:
    """Move a period's last day (a date input) on to the reader's local day of a session
    starting at ``starts_at`` (ISO) when that day is later; True when moved, and the caller
    shows the period again. A period ends with the reader's today and counts a session by
    its booked start, so near the reader's midnight a session booked minutes ahead and held
    at once is tomorrow's: without this a test of the default period fails then."""
    return await page.evaluate(
        """([field, start]) => {
          const input = document.querySelector(field);
          const day = new Date(start).toLocaleDateString("sv-SE");
          if (day <= input.value) return false;
          input.value = day;
          return true;
        }""", [last_day_field, starts_at])
