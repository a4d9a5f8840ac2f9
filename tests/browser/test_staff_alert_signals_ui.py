"""A facilitator notices, acknowledges and can answer a call whichever tab or process they are
on, in a real Chromium against real server processes: a console whose rooms an admin changes
comes back by itself with its new rooms (never "not signed in"); an escalated alert sounds
once however often it is told; an escalation of an alert the console never heard of is said
and sounded as a new alert; a desktop notification goes once someone takes the alert; and
"you are handling this" is said only to the one who took it, not to a namesake."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from chatserver.testing import FACILITATOR_PASSWORD, ChatClient, ServerProcess, StaffHttp
from tests.browser.staff_helpers import sign_in
from tests.browser.test_participant_ui import wait_until

pytestmark = pytest.mark.browser


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
