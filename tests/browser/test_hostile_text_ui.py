"""Hostile text everywhere a person can type it renders as text and runs nothing; every page
carries the Content Security Policy."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Page

from chatserver.core.seed import seed_example_rooms
from chatserver.storage.store import Store
from chatserver.testing import FAST, StaffHttp, create_admin
from tests.browser.staff_helpers import admin_section, report, sign_in
from tests.browser.test_participant_ui import join, open_page, say, wait_until

pytestmark = pytest.mark.browser

PAYLOADS = [
    '<script>window.__pwned="script"</script>',
    '<img src=x onerror="window.__pwned=\'img\'">',
    '<a href="javascript:window.__pwned=\'link\'">apua</a>',
    '<svg onload="window.__pwned=\'svg\'"><circle r=9 /></svg>',
    'javascript:window.__pwned="bare"',
]
STAFF_NAME = '<img src=x onerror="window.__pwned=1">'
ROOM_NAME = '<svg onload="window.__pwned=2">Ilta</svg>'
RESOURCE_NAME = '<script>window.__pwned=3</script>Auttava puhelin'
# Elements no user text may ever create.
ACTIVE = "body img, body script, body svg, body iframe, body object, body a[href^='javascript']"


async def assert_inert(page: Page) -> None:
    assert await page.evaluate("window.__pwned") is None
    assert await page.locator(ACTIVE).count() == 0


async def test_hostile_text_in_every_field_renders_as_text(browser, start_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/hostile.sqlite3"
    admin_password = create_admin({"DATABASE_URL": db})
    store = Store.from_url(db)
    await seed_example_rooms(store)
    await store.add_room(id="ilta", names={"fi": ROOM_NAME, "sv": ROOM_NAME, "en": ROOM_NAME},
                         descriptions={"fi": PAYLOADS[1], "sv": PAYLOADS[1], "en": PAYLOADS[1]},
                         kind="guided", access="drop_in", capacity=20, retention="days",
                         retention_days=1, position=3)
    await store.close()
    server = start_server(database_url=db, **FAST)
    http = StaffHttp(server.url)
    await http.login("admin", admin_password)
    created = await http.post("/api/staff", {"username": "varjo", "display_name": STAFF_NAME,
                                             "password": "hiljainen metsä ja kuu",
                                             "role": "facilitator"})
    assert created.status_code == 201
    await http.patch(f"/api/staff/{created.json()['id']}", {"rooms": ["olohuone", "ilta"]})
    await http.close()

    # An admin types a hostile crisis-line name in the admin page.
    admin = await sign_in(browser, server.url, "admin", admin_password, path="/admin")
    await admin_section(admin, "resources-section")
    await admin.wait_for_selector("#resource-list li")
    first = admin.locator("#resource-list li").first
    for lang in ("suomi", "ruotsi", "englanti"):
        await first.get_by_label(f"Nimi ({lang})").fill(RESOURCE_NAME)
    await admin.click("#resources-form button[type=submit]")
    await wait_until(admin, "document.getElementById('status-live').textContent === 'Tallennettu.'")

    # The landing page: the room's name and the crisis line are text.
    participant = await open_page(browser, server.url)
    assert ROOM_NAME in await participant.inner_text("#rooms")
    assert RESOURCE_NAME in await participant.inner_text("#resources")
    await assert_inert(participant)

    console = await sign_in(browser, server.url, "varjo", "hiljainen metsä ja kuu")
    assert STAFF_NAME in await console.inner_text("#who")
    await console.get_by_role("button", name="Olohuone").click()
    await join(participant, name="Kuikka")
    await participant.locator("#members li", has_text=STAFF_NAME).wait_for()
    for payload in PAYLOADS:
        await say(participant, payload)
        await console.locator("#messages .message .text", has_text=payload).wait_for()
    for payload in PAYLOADS:  # the writer's own copy turns from pending to sent on its ack
        await participant.locator(".message:not(.pending) .text",
                                  has_text=payload).first.wait_for()
    shown = await participant.locator(".message:not(.pending) .text").all_inner_texts()
    assert all(p in shown for p in PAYLOADS)
    # A report carries the hostile text into the queue, still as text.
    reporter = await open_page(browser, server.url)
    await join(reporter)
    await report(reporter, "onerror", "other", PAYLOADS[0])
    await console.locator("#reports li", has_text="onerror").wait_for()
    # A kick with a hostile reason: the participant and the audit log show it as text.
    member = console.locator("#members li", has_text="Kuikka")
    await member.get_by_role("button", name="Toimet: Kuikka").click()
    await member.get_by_role("button", name="Poista ryhmästä").click()
    await console.fill("#action-text", PAYLOADS[3])
    await console.click("#action-confirm")
    await participant.locator("#private", has_text="poisti sinut").wait_for()
    await admin.reload()
    await admin_section(admin, "audit-section")
    await admin.wait_for_selector("#audit li")
    assert PAYLOADS[3] in await admin.inner_text("#audit")
    # The room with the hostile name, in the console.
    await console.get_by_role("button", name=ROOM_NAME).click()
    await wait_until(console, "document.getElementById('room-title').textContent.includes('Ilta')")
    await asyncio.sleep(0.5)
    for page in (participant, reporter, console, admin):
        await assert_inert(page)
        assert page is participant or page is reporter or page.errors == []


async def test_every_page_carries_the_content_security_policy(start_server):
    import httpx

    server = start_server()
    async with httpx.AsyncClient(base_url=server.url) as http:
        for path in ("/", "/staff", "/admin", "/report", "/static/js/staff.js",
                     "/static/i18n/fi.json", "/api/rooms", "/api/auth/me", "/no-such-page"):
            response = await http.get(path)
            csp = response.headers.get("content-security-policy", "")
            assert "script-src 'self'" in csp, path
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
            assert "default-src 'self'" in csp and "object-src 'none'" in csp, path
