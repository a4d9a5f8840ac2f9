"""A real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

Never downloads a browser: a missing Chromium fails these tests, it does not skip them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"{CHROMIUM} is required for the browser tests "
                           "(Debian: apt-get install chromium)")
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def staff_server(start_server, tmp_path):
    """A server (SQLite, flood guards off) with an admin and facilitator "sanna" of olohuone.
    Yields the server and the admin's password."""
    from chatserver.testing import FAST, StaffHttp, add_facilitator, create_admin

    db = f"sqlite+aiosqlite:///{tmp_path}/staff-ui.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, **FAST)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    await add_facilitator(admin, "sanna", ["olohuone"])
    await admin.close()
    yield server, password


AXE = Path(__file__).resolve().parent.parent.parent / ".cache" / "axe"
AXE_FILE = AXE / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core from the npm registry, installed for the test run only (never served to
    users, never committed): `make test` installs it; here a missing copy is installed, and
    a failure to do so fails the tests."""
    if not AXE_FILE.exists():
        subprocess.run(["npm", "install", "--prefix", str(AXE), "--no-save", "--no-audit",
                        "--no-fund", "axe-core@4"], check=True, timeout=300)
    return AXE_FILE.read_text()
