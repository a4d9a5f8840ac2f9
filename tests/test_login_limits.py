"""Failed sign-ins slow the guesser down without locking the owner out (issue 17, item 2;
OWASP's authentication cheat sheet): counted per username and address, per address, and per
username from everywhere with a much higher ceiling; progressive delays; a successful sign-in
never counts against an address."""

from __future__ import annotations

import asyncio
import time

import httpx

from chatserver.testing import create_admin

WRONG = "not the password at all"


async def attempt(server_url: str, address: str, username: str, password: str) -> tuple[
        int, float]:
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as http:
        started = time.monotonic()
        response = await http.post("/api/auth/login", json={"username": username,
                                                            "password": password},
                                   headers={"x-forwarded-for": address})
        return response.status_code, time.monotonic() - started


async def test_a_guesser_is_slowed_and_stopped_but_the_owner_still_signs_in(start_server,
                                                                             tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/login.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, trust_proxy_headers="true",
                          forwarded_allow_ips="127.0.0.1")
    answers = [await attempt(server.url, "203.0.113.9", "admin", WRONG) for _ in range(5)]
    assert [code for code, _ in answers] == [401] * 5
    delays = [round(took, 2) for _, took in answers]
    print(f"\nfailure answers took {delays} s")
    # Progressive: the 3rd, 4th and 5th failures wait 0.5, 1 and 2 s before the answer.
    assert answers[4][1] >= 2.0 and answers[3][1] >= 1.0 and answers[2][1] >= 0.5
    # The guesser's address may no longer try this username, even with the right password.
    assert (await attempt(server.url, "203.0.113.9", "admin", password))[0] == 429
    # The owner, from another address, signs in at once.
    code, took = await attempt(server.url, "198.51.100.7", "admin", password)
    assert code == 200 and took < 2.0


async def test_an_office_behind_one_address_never_locks_itself_out(start_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/office.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, trust_proxy_headers="true",
                          forwarded_allow_ips="127.0.0.1")
    # Two typos now and then among many sign-ins from one address: every sign-in passes.
    codes = []
    for i in range(40):
        if i % 10 == 0:
            codes.append((await attempt(server.url, "192.0.2.44", "admin", WRONG))[0])
        codes.append((await attempt(server.url, "192.0.2.44", "admin", password))[0])
    assert codes.count(200) == 40 and 429 not in codes


async def test_guesses_spread_over_many_addresses_meet_a_higher_ceiling(start_server,
                                                                         tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/spread.sqlite3"
    create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, trust_proxy_headers="true",
                          forwarded_allow_ips="127.0.0.1")
    results = await asyncio.gather(*(attempt(server.url, f"198.51.100.{100 + i}",
                                             "admin", WRONG) for i in range(50)))
    assert [code for code, _ in results] == [401] * 50
    # The 51st failure for this username from a fresh address is refused without a check.
    code, _ = await attempt(server.url, "198.51.100.200", "admin", WRONG)
    assert code == 429
