"""Weak staff passwords are refused with a reason an admin can act on (issue 17, item 10):
zxcvbn's estimate, with Finnish and Swedish words added to its English lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatserver.core.staff import WeakBecause, check_password
from chatserver.testing import StaffHttp, create_admin

I18N = Path(__file__).resolve().parent.parent / "static" / "i18n"


@pytest.mark.parametrize(("password", "reason"), [
    ("salasana12345", "common_password"),  # the one from the issue
    ("qwertyuiop12", "common_password"),
    # zxcvbn alone scores these 3 or 4; the Finnish and Swedish words find them.
    ("Hämeenlinna1995", "common_words"),  # a Finnish town and a year
    ("sommaren1234", "common_words"),
    ("Sommarlov2020", "common_words"),
    ("midsommar2021", "common_words"),
    ("Johanna12345", "names"),
    ("mattimatti12", "repeats"),
    ("asdfghjkl;'zx", "keyboard_pattern"),
])
def test_weak_passwords_and_why(password, reason):
    assert check_password(password, "ohjaaja7", "Maija Ohjaaja") == ("password_too_weak",
                                                                      reason)


def test_passphrases_pass():
    for password in ("hiljainen metsä ja kuu", "kuutamo järvellä ja sumu",
                     "tyst skog och en blek måne", "correct horse battery staple"):
        assert check_password(password, "ohjaaja7", "Maija Ohjaaja") is None, password


def test_every_reason_has_a_text_in_every_language():
    for lang in ("fi", "sv", "en"):
        catalogue = json.loads((I18N / f"{lang}.json").read_text())
        assert "error.password_too_weak" in catalogue
        for reason in WeakBecause:
            assert f"error.password_weak_{reason.value}" in catalogue, (lang, reason)


async def test_the_api_refuses_a_weak_password_with_its_reason(start_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/strength.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    body = {"username": "liisa", "display_name": "Liisa", "role": "facilitator"}
    weak = await admin.post("/api/staff", {**body, "password": "salasana12345"})
    assert weak.status_code == 400
    assert weak.json() == {"error": "password_too_weak", "reason": "common_password"}
    strong = await admin.post("/api/staff", {**body, "password": "kuutamo järvellä ja sumu"})
    assert strong.status_code == 201, strong.text
    changed = await admin.post("/api/auth/password", {"old": password, "new": "Hämeenlinna1995"})
    assert changed.json() == {"error": "password_too_weak", "reason": "common_words"}
    await admin.close()
