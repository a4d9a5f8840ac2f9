"""The admin pages in a real browser: accounts and their rooms, filters, crisis resources,
and the audit log; a facilitator cannot use them."""

from __future__ import annotations

import pytest

from chatserver.testing import FACILITATOR_PASSWORD
from tests.browser.staff_helpers import admin_section, sign_in
from tests.browser.test_participant_ui import join, open_page, say, wait_until

pytestmark = pytest.mark.browser
NEW_PASSWORD = "kuutamo järvellä ja sumu"


async def test_an_admin_creates_a_facilitator_who_then_moderates_the_room(browser,
                                                                          staff_server):
    server, admin_password = staff_server
    admin = await sign_in(browser, server.url, "admin", admin_password, path="/admin")
    await admin_section(admin, "staff-section")
    await admin.wait_for_selector("#accounts li")
    # A weak password is refused with the reason, and nothing is created.
    await admin.fill("#new-username", "mikko")
    await admin.fill("#new-display", "Mikko")
    await admin.fill("#new-password", "mikko-kirjoittaa-aina")
    await admin.click("#new-account button[type=submit]")
    await wait_until(admin, "document.getElementById('new-account-error').textContent !== ''")
    assert "käyttäjätunnusta" in await admin.inner_text("#new-account-error")
    await admin.fill("#new-password", NEW_PASSWORD)
    await admin.click("#new-account button[type=submit]")
    card = admin.locator("#accounts li", has_text="Mikko")
    await card.wait_for()
    await card.get_by_label("Olohuone").check()
    await card.get_by_role("button", name="Tallenna ryhmät").click()
    await wait_until(admin, "document.getElementById('status-live').textContent === 'Tallennettu.'")

    console = await sign_in(browser, server.url, "mikko", NEW_PASSWORD)
    assert await console.inner_text("#my-rooms") == "Olohuone"
    # The audit log shows who did what, in plain words.
    await admin.reload()
    await admin_section(admin, "audit-section")
    await admin.wait_for_selector("#audit li")
    audit = await admin.inner_text("#audit")
    assert "loi tilin" in audit and "muutti ohjattavia ryhmiä" in audit
    # Disabling the account ends its console's connection.
    await admin_section(admin, "staff-section")
    await card.get_by_role("button", name="Poista käytöstä").click()
    await admin.locator("#accounts li", has_text="Pois käytöstä").wait_for()
    await console.wait_for_selector("#connection:not([hidden])")
    assert admin.errors == []


async def test_crisis_resources_and_filters_edited_by_an_admin_reach_participants(
        browser, staff_server):
    server, admin_password = staff_server
    admin = await sign_in(browser, server.url, "admin", admin_password, path="/admin")
    await admin_section(admin, "resources-section")
    await admin.wait_for_selector("#resource-list li")
    first = admin.locator("#resource-list li").first
    await first.get_by_label("Aukioloajat (suomi)").fill("aina, myös pyhinä")
    await admin.click("#resources-form button[type=submit]")
    await wait_until(admin, "document.getElementById('status-live').textContent === 'Tallennettu.'")
    # A line without a name in every language is not sent; the form says which fields.
    await admin.click("#resource-add")
    await admin.locator("#resource-list li").last.get_by_label("Puhelinnumero").fill("0800 123")
    await admin.evaluate("document.getElementById('status-live').textContent = ''")
    await admin.click("#resources-form button[type=submit]")
    assert await admin.locator("#resource-list li").last.locator("input:invalid").count() == 3
    assert await admin.inner_text("#status-live") == ""
    await admin.get_by_role("button", name="Poista numero 5").click()
    assert await admin.locator("#resource-list li").count() == 4

    await admin_section(admin, "filters-section")
    assert await admin.input_value("#filter-room") == "olohuone"
    extra = admin.get_by_label("Lisäsanat estettäviksi")
    await extra.wait_for()
    await extra.fill("porkkana")
    await admin.click("#filters-form button[type=submit]")
    await wait_until(admin, "document.getElementById('status-live').textContent === 'Tallennettu.'")
    assert await admin.get_by_label("Lisäsanat estettäviksi").input_value() == "porkkana"

    participant = await open_page(browser, server.url)
    assert "aina, myös pyhinä" in await participant.inner_text("#resources")
    await join(participant)
    await say(participant, "porkkana")
    refused = participant.locator(".message.failed", has_text="porkkana")
    await refused.wait_for()
    assert "sääntöjä" in await refused.inner_text()
    assert admin.errors == []


async def test_a_facilitator_cannot_use_the_admin_pages(browser, staff_server):
    server, _ = staff_server
    page = await sign_in(browser, server.url, "sanna", FACILITATOR_PASSWORD, path="/admin")
    assert await page.is_visible("#not-admin")
    assert not await page.is_visible("#staff-section")
    status = await page.evaluate("fetch('/api/staff').then(r => r.status)")
    assert status == 403
