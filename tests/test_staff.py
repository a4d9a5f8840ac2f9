"""Staff accounts: login that reveals nothing, rate limits, CSRF, rehash, roles, and sessions
that end on every process when an account is disabled."""

from __future__ import annotations

import asyncio
import statistics
import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from chatserver.core.staff import HASHER
from chatserver.testing import (
    FACILITATOR_PASSWORD,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)


@pytest.fixture
def db(tmp_path):
    return f"sqlite+aiosqlite:///{tmp_path}/staff.sqlite3"


@pytest.fixture
async def admin_setup(start_server, db):
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db)
    admin = StaffHttp(server.url)
    assert (await admin.login("admin", password)).status_code == 200
    yield server, admin, password
    await admin.close()


async def test_login_answers_never_reveal_whether_an_account_exists(admin_setup):
    server, _admin, _password = admin_setup
    probe = StaffHttp(server.url)
    wrong = await probe.login("admin", "not the password at all", expect=None)
    nobody = await probe.login("nobody-here", "not the password at all", expect=None)
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json() == nobody.json() == {"error": "invalid_credentials"}
    assert "set-cookie" not in wrong.headers

    # Timing: one Argon2 verification either way. Measured and printed, not asserted
    # tightly (a loaded machine is noisy); a missing verification would be ~100x faster.
    async def timed(username: str) -> float:
        client = StaffHttp(server.url)
        start = time.perf_counter()
        await client.login(username, "wrong password 123", expect=None)
        await client.close()
        return time.perf_counter() - start

    # One failure per username: a second and later ones are answered late on purpose
    # (tests/test_login_limits.py), which would hide what is measured here.
    existing, missing = [], []
    for i in range(4):
        await add_facilitator(_admin, f"real{i}", [])
        existing.append(await timed(f"real{i}"))
        missing.append(await timed(f"ghost{i}"))
    e, m = statistics.median(existing), statistics.median(missing)
    print(f"\nlogin timing: existing {e * 1000:.1f} ms, missing {m * 1000:.1f} ms, "
          f"difference {abs(e - m) * 1000:.1f} ms")
    assert m > e / 3, "a missing account must cost a password verification too"
    await probe.close()


async def test_login_is_rate_limited_per_account_even_for_accounts_that_do_not_exist(
        admin_setup):
    server, _, password = admin_setup
    for username in ("admin", "does-not-exist"):
        client = StaffHttp(server.url)
        codes = [(await client.login(username, "wrong password 123", expect=None)).status_code
                 for _ in range(6)]
        assert codes == [401] * 5 + [429]
        limited = await client.login(username, password if username == "admin" else "x" * 12,
                                     expect=None)
        assert limited.status_code == 429 and limited.json()["retry_after"] > 0
        await client.close()


async def test_login_is_rate_limited_per_client_across_usernames(admin_setup):
    server, _, _ = admin_setup
    client = StaffHttp(server.url)
    codes = [(await client.login(f"user{i}", "wrong password 123", expect=None)).status_code
             for i in range(31)]
    # Failures only: the fixture's successful login did not count.
    assert codes[:30] == [401] * 30 and codes[-1] == 429
    await client.close()


async def test_state_changes_need_the_csrf_token_and_same_origin(admin_setup):
    _server, admin, _ = admin_setup
    body = {"username": "maija", "display_name": "Maija", "password": FACILITATOR_PASSWORD,
            "role": "facilitator"}
    no_token = await admin.http.post("/api/staff", json=body)
    assert no_token.status_code == 403 and no_token.json()["error"] == "csrf_failed"
    cross_site = await admin.post("/api/staff", body, headers={"origin": "https://evil.example"})
    assert cross_site.status_code == 403
    ok = await admin.post("/api/staff", body)
    assert ok.status_code == 201


async def test_roles_guard_the_admin_endpoints(admin_setup):
    server, admin, _ = admin_setup
    await add_facilitator(admin, "ville", ["olohuone"])
    ville = StaffHttp(server.url)
    assert (await ville.login("ville", FACILITATOR_PASSWORD)).status_code == 200
    assert (await ville.http.get("/api/auth/me")).json()["account"]["role"] == "facilitator"
    for method, path in (("GET", "/api/staff"), ("GET", "/api/audit"),
                         ("POST", "/api/staff"), ("PATCH", "/api/staff/x")):
        response = await ville.http.request(method, path, json={},
                                            headers={"x-csrf-token": ville.csrf})
        assert response.status_code == 403, (method, path)
    anonymous = StaffHttp(server.url)
    assert (await anonymous.http.get("/api/staff")).status_code == 401
    audit = (await admin.http.get("/api/audit")).json()
    assert {"staff_create", "staff_assign", "login"} <= {e["action"] for e in audit}
    # Times carry their zone (a browser shows them in local time, not two hours off), and a
    # staff account aimed at is named, not shown as its id.
    assert all(e["at"].endswith("Z") for e in audit)
    assigned = next(e for e in audit if e["action"] == "staff_assign")
    assert assigned["target_name"] == "Ville"
    await ville.close()
    await anonymous.close()


async def test_weak_hashes_are_upgraded_at_login(admin_setup, db):
    server, admin, _ = admin_setup
    await add_facilitator(admin, "aino", ["olohuone"])
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(
        FACILITATOR_PASSWORD)
    engine = create_async_engine(db)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE staff_accounts SET password_hash = :h "
                                "WHERE username = 'aino'"), {"h": weak})
    aino = StaffHttp(server.url)
    assert (await aino.login("aino", FACILITATOR_PASSWORD)).status_code == 200
    async with engine.connect() as conn:
        stored = (await conn.execute(text(
            "SELECT password_hash FROM staff_accounts WHERE username = 'aino'"))).scalar_one()
    await engine.dispose()
    assert stored != weak and not HASHER.check_needs_rehash(stored)
    assert "m=65536,t=3,p=4" in stored
    await aino.close()


async def test_facilitator_badge_only_in_assigned_rooms_and_names_cannot_imitate(admin_setup):
    server, admin, _ = admin_setup
    await add_facilitator(admin, "sanna", ["olohuone"])
    sanna = StaffHttp(server.url)
    await sanna.login("sanna", FACILITATOR_PASSWORD)
    ws = await sanna.socket(server.ws_url)
    joined = await ws.join("olohuone")
    assert (joined["role"], joined["name"]) == ("facilitator", "Sanna")
    refused = await ws.join("laheiset")
    assert (refused["type"], refused["code"]) == ("error", "forbidden")
    participant = await ChatClient.connect(server.ws_url)
    seen = await participant.join("olohuone")
    assert {"name": "Sanna", "role": "facilitator", "member": joined["member"]} in seen["members"]
    imitation = await participant.request({"type": "join", "room": "laheiset", "name": "S4nna"})
    assert imitation["code"] == "name_looks_like_staff"
    for c in (ws, participant):
        await c.close()
    await sanna.close()


async def test_disabling_an_account_ends_its_sessions_on_every_process(start_server,
                                                                       redis_server, pg_url):
    password = create_admin({"DATABASE_URL": pg_url})
    a = start_server(database_url=pg_url, redis_url=redis_server.url)
    b = start_server(database_url=pg_url, redis_url=redis_server.url)
    admin = StaffHttp(a.url)
    await admin.login("admin", password)
    account = await add_facilitator(admin, "kalle", ["olohuone"])
    kalle = StaffHttp(b.url)
    await kalle.login("kalle", FACILITATOR_PASSWORD)
    ws = await kalle.socket(b.ws_url)
    await ws.join("olohuone")

    started = time.monotonic()
    assert (await admin.patch(f"/api/staff/{account}", {"disabled": True})).status_code == 200
    code, _ = await asyncio.wait_for(ws.closed, 5)
    elapsed = time.monotonic() - started
    print(f"\ndisabled account's socket on the other process closed after {elapsed:.3f} s")
    assert code == 1008 and elapsed < 1.0
    for server in (a, b):  # the old cookie is refused everywhere
        kalle.http.base_url = server.url
        assert (await kalle.http.get("/api/auth/me")).status_code == 401
    again = await kalle.socket(b.ws_url)
    assert (await again.join("olohuone"))["role"] == "participant"  # no staff powers
    assert (await kalle.login("kalle", FACILITATOR_PASSWORD, expect=None)).status_code == 401
    await again.close()
    await admin.close()
    await kalle.close()


def test_the_missing_account_hash_costs_what_a_real_one_costs():
    """A login for a missing account is checked against DUMMY_HASH: with other parameters than
    real hashes it would take another time and tell that the account does not exist."""
    from argon2 import extract_parameters

    from chatserver.core.staff import DUMMY_HASH, HASHER

    assert not HASHER.check_needs_rehash(DUMMY_HASH)
    assert extract_parameters(DUMMY_HASH) == extract_parameters(HASHER.hash("x" * 16))
