"""Screenshots of the staff screens at phone and desktop widths, for the README; no sideways
scrolling at 360 px or at 200 % zoom (a 1280 px window zoomed to 200 % lays out at 640 px)."""

from __future__ import annotations

import pytest

from chatserver.testing import FACILITATOR_PASSWORD
from tests.browser.staff_helpers import admin_section, report, sign_in
from tests.browser.test_participant_ui import SHOTS, join, open_page, say, wait_until

pytestmark = pytest.mark.browser
WIDTHS = {"phone": {"width": 360, "height": 740}, "zoom200": {"width": 640, "height": 400},
          "desktop": {"width": 1280, "height": 800}}


async def test_screenshots_of_the_console_and_the_admin_pages(browser, staff_server):
    server, admin_password = staff_server
    SHOTS.mkdir(parents=True, exist_ok=True)
    writer = await open_page(browser, server.url)
    reporter = await open_page(browser, server.url)
    await join(writer, name="Tyyni Saukko")
    await join(reporter, name="Hiljainen Kuikka")
    for label, viewport in WIDTHS.items():
        console = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD,
                                viewport=viewport)
        text = f"Tänään on ollut raskas päivä ({label})."
        await say(writer, text)
        line = console.locator("#messages .message", has_text=text)
        await line.wait_for()
        await report(reporter, text, "worried", "Olen huolissani hänestä.")
        await console.locator("#reports li", has_text=text).wait_for(state="attached")
        await writer.click("#help-now")
        await writer.click("#help-close")
        await console.locator("#alerts li").first.wait_for(state="attached")
        if label == "desktop":
            await line.locator(".menu-button").click()
        else:  # a narrow screen: the alerts and reports open from the bar at the bottom
            await console.evaluate("window.scrollTo(0, 0)")
            await console.click("#inbox-toggle")
            await console.locator("#alerts li").first.wait_for()
        if label != "zoom200":
            await console.screenshot(path=str(SHOTS / f"console-{label}.png"),
                                     )
        width = await console.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"console scrolls sideways at {label}"

        admin = await sign_in(browser, server.url, "admin", admin_password, path="/admin",
                              viewport=viewport)
        # One section at a time: the groups first, the others from the navigation.
        await admin.wait_for_selector("#room-cards li")
        if label != "zoom200":
            await admin.screenshot(path=str(SHOTS / f"admin-{label}.png"))
        for section in ("rooms-section", "staff-section", "filters-section", "audit-section"):
            await admin_section(admin, section)
            if section == "filters-section":
                await wait_until(admin,
                                 "document.querySelectorAll('#filter-fields label').length > 5")
            width = await admin.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"admin {section} scrolls sideways at {label}"
        await console.context.close()
        await admin.context.close()
