"""The admin page shows why the server refused a weak password, in the reader's language
(issue 17, item 10)."""

from __future__ import annotations

import pytest

from tests.browser.staff_helpers import admin_section, sign_in
from tests.browser.test_participant_ui import wait_until

pytestmark = pytest.mark.browser


async def test_a_weak_password_is_refused_with_what_to_do(browser, staff_server):
    server, admin_password = staff_server
    admin = await sign_in(browser, server.url, "admin", admin_password, path="/admin")
    await admin_section(admin, "staff-section")
    await admin.wait_for_selector("#accounts li")
    await admin.fill("#new-username", "liisa")
    await admin.fill("#new-display", "Liisa")
    await admin.fill("#new-password", "salasana12345")
    await admin.click("#new-account button[type=submit]")
    await wait_until(admin, "document.getElementById('new-account-error').textContent !== ''")
    said = await admin.inner_text("#new-account-error")
    assert "liian helppo arvata" in said and "tunnettu salasana" in said, said
    assert await admin.locator("#accounts li", has_text="Liisa").count() == 0
    assert admin.errors == []
