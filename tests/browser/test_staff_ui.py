"""The facilitator console in a real browser: reports and alerts that cannot be missed,
moderation from the menus, the keyboard alone."""

from __future__ import annotations

import json
import re

import pytest

from chatserver.testing import FACILITATOR_PASSWORD
from tests.browser.staff_helpers import report, sign_in
from tests.browser.test_participant_ui import (
    HeldFrames,
    join,
    open_page,
    relay,
    say,
    wait_until,
)

pytestmark = pytest.mark.browser


async def test_a_report_reaches_the_console_and_the_facilitator_redacts_and_mutes(
        browser, staff_server):
    server, _ = staff_server
    console = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    assert await console.inner_text("#room-title") == "Olohuone"
    writer = await open_page(browser, server.url)
    reporter = await open_page(browser, server.url)
    await join(writer, name="Kuikka")
    await join(reporter, name="Tiira")
    await say(writer, "Tämä viesti loukkaa muita")
    line = console.locator("#messages .message", has_text="loukkaa muita")
    await line.wait_for()

    # A participant reports it: the console shows it, says it aloud at once, and counts it.
    await report(reporter, "loukkaa muita", "harassment", "Tämä satuttaa")
    report_item = console.locator("#reports li", has_text="loukkaa muita")
    await report_item.wait_for()
    await wait_until(console, "document.getElementById('urgent-live').textContent"
                              ".startsWith('Uusi ilmoitus')")
    assert await console.get_attribute("#urgent-live", "aria-live") == "assertive"
    assert await console.inner_text("#reports-title") == "Ilmoitukset (1)"
    assert "Häirintä" in await report_item.inner_text()
    assert "Tämä satuttaa" in await report_item.inner_text()
    assert (await console.title()).startswith("(1)")

    # Remove the message from its menu: gone for everyone.
    await line.get_by_role("button", name="Toimet: Kuikka").click()
    await line.get_by_role("button", name="Poista viesti", exact=True).click()
    await writer.locator(".message .removed").wait_for()
    await reporter.locator(".message .removed").wait_for()
    assert await reporter.locator(".message .text", has_text="loukkaa muita").count() == 0

    # Mute the writer from the participant's menu, with a reason.
    member = console.locator("#members li", has_text="Kuikka")
    await member.get_by_role("button", name="Toimet: Kuikka").click()
    await member.get_by_role("button", name="Mykistä", exact=True).click()
    assert await console.locator("#action-dialog").is_visible()
    await console.fill("#action-text", "Pieni tauko")
    await console.select_option("#action-duration", "900")
    await console.click("#action-confirm")
    await wait_until(console, "!document.getElementById('action-dialog').open")
    await writer.locator("#private", has_text="hiljennetty").wait_for()
    # Muted: the composer says until when, and sending waits for it (nothing fails).
    await writer.locator("#composer-note", has_text="Et voi lähettää viestejä ennen klo").wait_for()
    assert await writer.is_disabled("#send-form button[type=submit]")
    assert "Pieni tauko" in await writer.inner_text("#private")

    # The report stays until it is resolved.
    await report_item.get_by_role("button", name="Hoidettu").click()
    await wait_until(console, "document.querySelectorAll('#reports li').length === 0")
    assert await console.inner_text("#reports-title") == "Ilmoitukset (0)"
    assert console.errors == []


async def test_a_crisis_alert_is_announced_and_stays_until_acknowledged(browser, staff_server):
    server, _ = staff_server
    console = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    participant = await open_page(browser, server.url)
    await join(participant, name="Kuikka")
    await participant.click("#help-now")
    await participant.click("#help-close")
    alert = console.locator("#alerts li", has_text="Kuikka")
    await alert.wait_for()
    assert "Tarvitsee apua nyt" in await alert.inner_text()
    await wait_until(console, "document.getElementById('urgent-live').textContent"
                              ".includes('Tarvitsee apua nyt')")
    assert await console.get_attribute("#alerts-panel", "class") == "alerts active"
    # Crisis language from Kuikka is the same call (said, not listed again); from someone
    # else, a second alert.
    await say(participant, "en jaksa enää, haluan kuolla")
    await wait_until(console, "document.getElementById('urgent-live').textContent"
                              ".startsWith('Uusi kriisiin viittaava viesti: Kuikka')")
    other = await open_page(browser, server.url)
    await join(other, name="Kaisla")
    await say(other, "en jaksa enää, haluan kuolla")
    await wait_until(console, "document.querySelectorAll('#alerts li').length === 2")
    assert await console.inner_text("#alerts-title") == "Hälytykset (2)"

    # Still there after a reload (the server keeps them); acknowledging says who handles it,
    # and only what nobody has taken counts in the tab's title.
    await console.reload()
    await console.wait_for_selector("#console:not([hidden])")
    await wait_until(console, "document.querySelectorAll('#alerts li').length === 2")
    assert (await console.title()).startswith("(2)")
    await alert.first.get_by_role("button", name="Kuittaa").click()
    await alert.locator(".alert-state", has_text="Sinä hoidat tätä.").wait_for()
    assert (await console.title()).startswith("(1)")
    assert await console.inner_text("#alerts-title") == "Hälytykset (2)"
    assert console.errors == []


async def test_the_keyboard_alone_sends_a_message_and_opens_the_moderation_menu(
        browser, staff_server):
    server, _ = staff_server
    participant = await open_page(browser, server.url)
    await join(participant, name="Kuikka")
    await say(participant, "Hei ohjaaja")

    ctx = await browser.new_context()
    console = await ctx.new_page()
    await console.goto(server.url + "/staff")
    await console.wait_for_selector("#signin:not([hidden])")
    assert await console.evaluate("document.activeElement.id") == "username"
    await console.keyboard.type("sanna")
    await console.keyboard.press("Tab")
    await console.keyboard.type(FACILITATOR_PASSWORD)
    await console.keyboard.press("Enter")
    await console.wait_for_selector("#room-view:not([hidden])")
    line = console.locator("#messages .message", has_text="Hei ohjaaja")
    await line.wait_for()

    async def tab_to(selector: str, key: str = "Tab") -> None:
        target = console.locator(selector)
        for _ in range(80):
            if await target.evaluate("e => e === document.activeElement"):
                return
            await console.keyboard.press(key)
        raise AssertionError(f"{selector} cannot be reached with {key}")

    await tab_to("#text")
    await console.keyboard.type("Tervetuloa, olen tänään ohjaajana.")
    await console.keyboard.press("Enter")
    await participant.locator(".message .text", has_text="olen tänään ohjaajana").wait_for()

    # Back to the participant's message and open its menu with Enter.
    toggle = "#messages .message[data-seq] .menu-button[aria-label='Toimet: Kuikka']"
    await tab_to(toggle, "Shift+Tab")
    await console.keyboard.press("Enter")
    assert await console.get_attribute(toggle, "aria-expanded") == "true"
    assert await console.evaluate("document.activeElement.textContent") == "Poista viesti"
    await console.keyboard.press("ArrowDown")
    assert await console.evaluate("document.activeElement.textContent") == "Kiinnitä"
    await console.keyboard.press("Escape")
    assert await console.get_attribute(toggle, "aria-expanded") == "false"
    assert await console.locator(toggle).evaluate("e => e === document.activeElement")
    # The focus is visible: the outline of :focus-visible.
    outline = await console.locator(toggle).evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"
    await console.keyboard.press("Enter")
    await console.keyboard.press("Enter")  # "Poista viesti"
    await participant.locator(".message .removed").wait_for()
    await ctx.close()


async def test_room_controls_and_the_held_queue(browser, staff_server):
    server, _ = staff_server
    console = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    participant = await open_page(browser, server.url)
    await join(participant, name="Kuikka")
    await console.check("#premoderate")
    await wait_until(console, "document.getElementById('status-live').textContent"
                              ".includes('Ennakkomoderointi')")
    await say(participant, "odotan hyväksyntää")
    await participant.locator(".message.pending", has_text="odottaa").wait_for()
    held = console.locator("#held li", has_text="odotan hyväksyntää")
    await held.wait_for()
    await held.get_by_role("button", name="Hyväksy").click()
    await console.locator("#messages .message", has_text="odotan hyväksyntää").wait_for()
    await wait_until(console, "document.querySelectorAll('#held li').length === 0")
    # The writer sees it once, in the conversation: the waiting copy goes.
    await participant.locator(".message.pending", has_text="odotan").wait_for(state="detached")
    mine = participant.locator("#messages .message", has_text="odotan hyväksyntää")
    await mine.wait_for()
    assert await mine.count() == 1
    # A message the facilitator does not approve: the writer is told, not left waiting.
    await say(participant, "toinen yritys")
    second_held = console.locator("#held li", has_text="toinen yritys")
    await second_held.get_by_role("button", name="Hylkää").click()
    refused = participant.locator("#messages .message", has_text="toinen yritys")
    await refused.locator(".status", has_text="ohjaaja ei julkaissut").wait_for()
    assert await refused.count() == 1
    assert "pending" not in (await refused.get_attribute("class") or "")
    assert await participant.inner_text("#announce") == \
        "Ohjaaja ei julkaissut viestiäsi: toinen yritys"
    # Lock: the participant's composer is off, with the reason in their language.
    await console.uncheck("#premoderate")
    await console.check("#lock")
    await wait_until(console, "document.getElementById('status-live').textContent"
                              ".includes('Lukitus')")
    await participant.locator("#room-state", has_text="vain lukea").wait_for()
    await wait_until(participant, "document.getElementById('text').disabled")
    assert "vain luettavaksi" in await participant.inner_text("#composer-note")
    # A new console sees the room's current state.
    second = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    assert await second.is_checked("#lock")
    assert not await second.is_checked("#premoderate")
    assert console.errors == [] and second.errors == []


async def test_a_control_stays_as_set_while_older_echoes_arrive(browser, staff_server):
    """Sanna turns pre-moderation off and at once locks the room; the server's answers and
    its `room_controls` events reach the console late, in the worst order (both answers,
    then the echo of "pre-moderation off", which still says "not locked"). The lock box
    stays ticked throughout: it must not flicker back (a CI flake once showed it did, and a
    facilitator on a slow link would click again and undo her lock)."""
    server, _ = staff_server
    console = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    await console.check("#premoderate")
    await wait_until(console, "document.getElementById('status-live').textContent"
                              ".includes('Ennakkomoderointi')")
    late = HeldFrames(lambda frame: frame.get("type") == "room_controls" or (
        frame.get("type") == "done" and frame.get("action") in ("lock", "premoderate")),
        holding=False)
    held = late.frames
    await console.route_web_socket(re.compile(r"/ws$"), relay(to_page=late))
    await console.reload()
    await console.wait_for_selector("#room-title:not(:empty)")
    await wait_until(console, "document.getElementById('premoderate').checked")
    late.holding = True
    await console.uncheck("#premoderate")
    await console.check("#lock")
    for _ in range(100):
        if len(held) == 4:
            break
        await console.evaluate("new Promise((done) => setTimeout(done, 50))")
    frames = [json.loads(m) for _, m in held]
    assert sorted(f["type"] for f in frames) == ["done", "done", "room_controls", "room_controls"]
    held.sort(key=lambda item: json.loads(item[1])["type"])  # the answers first
    late.holding = False

    async def shown() -> tuple[bool, bool]:
        return await console.is_checked("#lock"), await console.is_checked("#premoderate")

    assert await shown() == (True, False)
    for page_side, message in held:
        page_side.send(message)
        await console.evaluate("new Promise((done) => setTimeout(done, 150))")
        assert await shown() == (True, False), f"after {json.loads(message)}"
    # What the server holds: a new console shows the same.
    second = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD)
    assert await second.is_checked("#lock") and not await second.is_checked("#premoderate")
    assert console.errors == [] and second.errors == []  # type: ignore[attr-defined]


async def test_a_facilitator_assigned_to_one_meeting_gets_its_group_and_its_calls_for_help(
        browser, start_server, tmp_path):
    """A stand-in assigned to one meeting of a group (not to the group) signs in before:
    no groups yet. When the admin assigns them to the open meeting, their console says the
    meeting is theirs, shows the group, and they open it; a person's call for help there
    reaches their console, and the person is told a facilitator has been told. Before, they
    could never enter the group, and the person heard that nobody was online."""
    from chatserver.testing import add_facilitator
    from tests.browser.staff_helpers import participant_page
    from tests.browser.test_second_pass_ui import enter, group_in_lobby

    server, admin, session = await group_in_lobby(
        start_server, f"sqlite+aiosqlite:///{tmp_path}/stand-in.sqlite3", "ilta")
    cecilia_id = await add_facilitator(admin, "cecilia", [])  # the admin has no console open
    console = await (await browser.new_context()).new_page()
    errors: list[str] = []
    console.on("pageerror", lambda exc: errors.append(str(exc)))
    await console.goto(server.url + "/staff")
    await console.fill("#username", "cecilia")
    await console.fill("#password", FACILITATOR_PASSWORD)
    await console.press("#password", "Enter")
    await console.wait_for_selector("#console:not([hidden])")
    await console.locator("#my-sessions li").first.wait_for()
    assert await console.locator("#my-rooms .room-button").count() == 0

    put = await admin.put(f"/api/sessions/{session}/facilitators", {"accounts": [cecilia_id]})
    assert put.status_code == 200, put.text
    await admin.close()
    changed = console.locator("#rooms-changed")
    await changed.wait_for()
    assert "Ryhmäkerta" in await changed.inner_text()
    assert "Ryhmä ilta" in await changed.inner_text()
    await console.locator("#my-rooms .room-button", has_text="Ryhmä ilta").wait_for()
    await console.wait_for_selector("#room-view:not([hidden])")
    await console.click("#session-open")
    await console.locator("#session-state", has_text="Käynnissä").wait_for()

    person = await participant_page(browser, server.url, viewport={"width": 360, "height": 640})
    await enter(person, "Ryhmä ilta", "Kuikka")
    await person.click("#help-now")
    await person.locator("#help-dialog-status", has_text="Ohjaajalle on kerrottu").wait_for()
    await console.locator("#alerts li", has_text="Kuikka").wait_for()
    assert errors == [] and person.errors == []  # type: ignore[attr-defined]
