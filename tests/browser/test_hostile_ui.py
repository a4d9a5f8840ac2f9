"""Hostile text in the real participant page: in messages, content-warning topics, room names
and descriptions, crisis resources and staff names entered through the admin API, and a
facilitator's warning. Nothing runs, nothing becomes markup, and every text reads literally."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from playwright.async_api import Page
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from chatserver.testing import FACILITATOR_PASSWORD, FAST, StaffHttp, create_admin
from tests.browser.test_participant_ui import open_page, say, wait_until

pytestmark = pytest.mark.browser

PAYLOADS = [
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=2</script>",
    '<svg onload="window.__pwned=3"><circle r=9 /></svg>',
    '<a href="javascript:window.__pwned=4">avaa</a>',
    "<style>body{display:none}</style>",
    '<iframe srcdoc="<script>parent.__pwned=5</script>">',
    '"><b onmouseover=window.__pwned=6>x</b>',
    "javascript:window.__pwned=7",
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=8">',
]
# Elements that would mean some text became markup.
MARKUP = "img, script, svg, iframe, style:not([data-app]), math, b, a[href^='javascript']"
TRAP = """() => {
  window.__csp = 0;
  document.addEventListener('securitypolicyviolation', () => { window.__csp += 1; });
  window.alert = window.confirm = window.prompt = () => { window.__pwned = 'dialog'; };
}"""


async def insert_room(url: str, room_id: str, name: str, description: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO rooms (id, names, descriptions, kind, access, capacity, retention, "
            "is_open, last_seq, position, created_at) VALUES (:id, :n, :d, 'unguided', "
            "'drop_in', 20, 'days', :open, 0, 0, :at)"),
            {"id": room_id, "n": json.dumps({"fi": name, "sv": name, "en": name}),
             "d": json.dumps({"fi": description, "sv": description, "en": description}),
             "open": True, "at": datetime.now(UTC)})
    await engine.dispose()


async def assert_inert(page: Page, where: str) -> None:
    assert await page.evaluate("window.__pwned") is None, where
    assert await page.evaluate("window.__csp") == 0, f"{where}: an inline script was tried"
    found = await page.evaluate(f"""() => [...document.querySelectorAll("{MARKUP}")]
        .filter(e => !e.closest('head')).map(e => e.outerHTML)""")
    assert found == [], (where, found)
    assert await page.evaluate("getComputedStyle(document.body).display") != "none", where


async def test_hostile_texts_from_everyone_render_as_text(browser, start_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/xss.sqlite3"
    password = create_admin({"DATABASE_URL": db})  # migrates and seeds
    await insert_room(db, "pahis", PAYLOADS[0] + PAYLOADS[3][:60], PAYLOADS[4] + PAYLOADS[1])
    server = start_server(database_url=db, **FAST)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    resources = (await admin.http.get("/api/crisis-resources")).json()
    hostile_resource = {"id": "x", "phone": "javascript:window.__pwned=9",
                        "name": {k: PAYLOADS[2] for k in ("fi", "sv", "en")},
                        "hours": {k: PAYLOADS[5][:60] for k in ("fi", "sv", "en")}}
    assert (await admin.put("/api/crisis-resources",
                            {"resources": [*resources, hostile_resource]})).status_code == 200
    staff_name = '<img src=x onerror=window.__pwned=10>'
    created = await admin.post("/api/staff", {"username": "vaara", "display_name": staff_name,
                                              "password": FACILITATOR_PASSWORD,
                                              "role": "facilitator"})
    assert created.status_code == 201, created.text
    await admin.patch(f"/api/staff/{created.json()['id']}", {"rooms": ["pahis"]})
    facilitator = StaffHttp(server.url)
    await facilitator.login("vaara", FACILITATOR_PASSWORD)

    page = await open_page(browser, server.url)
    await page.evaluate(TRAP)
    await page.reload()
    await page.wait_for_selector(".room")
    await page.evaluate(TRAP)
    landing = await page.inner_text("body")
    assert PAYLOADS[4] + PAYLOADS[1] in landing  # the room description, literally
    assert "<svg onload" in landing and "javascript:window.__pwned=9" in landing
    href = await page.evaluate("[...document.querySelectorAll('a.phone')].map(a => a.href)")
    assert all(h.startswith("tel:") for h in href), href
    await assert_inert(page, "landing")

    room_index = 0  # the hostile room is first (position 0)
    await page.locator(".room button").nth(room_index).click()
    await page.click("#accept")
    await page.wait_for_selector("#chat:not([hidden])")
    assert "<img src=x" in await page.inner_text("#room-title")

    staff_ws = await facilitator.socket(server.ws_url)
    member_of_staff = (await staff_ws.join("pahis"))["member"]
    assert member_of_staff
    await staff_ws.say("pahis", PAYLOADS[8])
    for payload in PAYLOADS:
        await say(page, payload)
    await wait_until(page, f"document.querySelectorAll('.message').length >= {len(PAYLOADS) + 1}")
    # A content warning whose topic is markup, opened by the reader.
    await staff_ws.say("pahis", "sisältö", cw="<img src=x onerror=window.__pwned=11>")
    await wait_until(page, "document.querySelector('.cw') !== null")
    shown = await page.inner_text("#messages")
    for payload in PAYLOADS:
        assert payload in shown, payload
    assert staff_name in await page.inner_text("body")  # the staff name, literally
    await assert_inert(page, "chat")

    # A facilitator's warning, written by them, shown privately to the participant.
    members = (await staff_ws.wait_for(lambda f: f["type"] == "member_joined"
                                       and f.get("role") == "participant"))["member"]
    warned = await staff_ws.request({"type": "moderate", "room": "pahis", "action": "warn",
                                     "member": members, "text": PAYLOADS[1] + PAYLOADS[0],
                                     "reason": PAYLOADS[2][:100]})
    assert warned["type"] == "done", warned
    await wait_until(page, "document.body.innerText.includes('<script>window.__pwned=2')")
    await assert_inert(page, "after a warning")
    await page.screenshot(path=str(tmp_path / "hostile.png"))
    await staff_ws.close()
    await admin.close()
    await facilitator.close()
