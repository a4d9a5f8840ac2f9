"""Privacy, checked where the data lands: a full scenario, then every log line, every database
table and every Redis key is scanned for what docs/privacy.md says never lands there; dated
retention with a moved clock; an admin erasing one person's data on request."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from sqlalchemy import MetaData, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from chatserver.core.maintenance import apply_retention
from chatserver.domain.config import Settings
from chatserver.storage.store import Store
from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)

EPHEMERAL_TEXTS = ["hetken salaisuus kuusi kuusi", "vain nyt sanottu seitsemän"]
DATED_TEXT = "päivien viesti kahdeksan"
NOTE = "huolestuttava ilmoitusmuistiinpano"
WRONG_PASSWORD = "väärä salasana yhdeksän"
IP = re.compile(r"127\.0\.0\.1|::1\b|::ffff:")


async def add_room(url: str, room_id: str, retention: str, days: int | None = None) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO rooms (id, names, descriptions, kind, access, capacity, retention, "
            "retention_days, is_open, last_seq, position, created_at) VALUES (:id, :n, :d, "
            "'unguided', 'drop_in', 20, :r, :days, :open, 0, 9, :at)"),
            {"id": room_id, "n": json.dumps({"fi": room_id, "sv": room_id, "en": room_id}),
             "d": json.dumps({"fi": "", "sv": "", "en": ""}), "r": retention, "days": days,
             "open": True, "at": datetime.now(UTC)})
    await engine.dispose()


async def database_dump(url: str) -> dict[str, list[str]]:
    """Every row of every table, as text, by table."""
    engine = create_async_engine(url)
    dump: dict[str, list[str]] = {}
    async with engine.connect() as conn:
        meta = MetaData()
        await conn.run_sync(meta.reflect)
        for table in meta.sorted_tables:
            rows = (await conn.execute(select(table))).all()
            dump[table.name] = [" | ".join(str(v) for v in row) for row in rows]
    await engine.dispose()
    return dump


def redis_dump(url: str) -> list[str]:
    """Every key and value in Redis, whatever its type, as text."""
    r = redis.Redis.from_url(url)
    out = []
    readers: dict[str, Any] = {"string": r.get, "hash": r.hgetall, "set": r.smembers,
                               "list": lambda k: r.lrange(k, 0, -1),
                               "zset": lambda k: r.zrange(k, 0, -1, withscores=True),
                               "stream": r.xrange}
    for key in r.scan_iter(count=1000):
        kind = r.type(key).decode()
        value = readers[kind](key) if kind in readers else None
        out.append(f"{key!r} {kind} {value!r}")
    r.close()
    # Redis holds bytes: decode the escapes so that UTF-8 texts can be searched for.
    return [line.encode().decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")
            for line in out]


def all_rows(dump: dict[str, list[str]]) -> list[str]:
    return [row for rows in dump.values() for row in rows]


def find(haystack: list[str], needles: list[str]) -> list[tuple[str, str]]:
    return [(n, line[:160]) for line in haystack for n in needles if n and n in line]


@pytest.fixture
async def scenario(start_server, redis_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/privacy.sqlite3"
    admin_password = create_admin({"DATABASE_URL": db})
    await add_room(db, "hetki", "ephemeral")
    await add_room(db, "paivat", "days", 3)
    await add_room(db, "toinen", "days", 30)
    server = start_server(database_url=db, redis_url=redis_server.url, log_level="DEBUG",
                          resume_buffer_seconds=3, **FAST)
    admin = StaffHttp(server.url)
    assert (await admin.login("admin", admin_password)).status_code == 200
    await add_facilitator(admin, "sanna", ["hetki", "paivat"])
    sanna_http = StaffHttp(server.url)
    await sanna_http.login("sanna", FACILITATOR_PASSWORD)
    yield server, db, redis_server, admin, sanna_http, admin_password
    await admin.close()
    await sanna_http.close()


async def test_no_forbidden_data_in_logs_database_or_redis(scenario):
    server, db, redis_server, admin, sanna_http, admin_password = scenario
    sanna = await sanna_http.socket(server.ws_url)
    alice = await ChatClient.connect(server.ws_url)
    bob = await ChatClient.connect(server.ws_url)
    for client in (sanna, alice, bob):
        await client.join("hetki")
        await client.join("paivat")
    first = await alice.say("hetki", EPHEMERAL_TEXTS[0])
    await bob.say("hetki", EPHEMERAL_TEXTS[1])
    await alice.say("paivat", DATED_TEXT)
    # Moderation and a report, with its snapshot, resolved.
    member = (await alice.request({"type": "leave", "room": "hetki"}))
    assert member["type"] != "error"
    alice_member = (await alice.join("hetki"))["member"]
    report = await bob.request({"type": "report", "room": "hetki", "seq": first["seq"],
                                "category": "worried", "note": NOTE})
    assert report["type"] != "error", report
    assert (await sanna.request({"type": "moderate", "room": "hetki", "action": "warn",
                                 "member": alice_member, "text": "Muistathan säännöt",
                                 "reason": "sääntö 2"}))["type"] == "done"
    assert (await sanna.request({"type": "moderate", "room": "hetki", "action": "redact",
                                 "seq": first["seq"]}))["type"] == "done"
    reports = (await sanna_http.http.get("/api/reports")).json()
    assert (await sanna_http.post(f"/api/reports/{reports[0]['id']}/resolve",
                                  {"resolution": "actioned"})).status_code == 200
    # Failed sign-ins (a wrong password, an unknown account).
    probe = StaffHttp(server.url)
    await probe.login("sanna", WRONG_PASSWORD, expect=401)
    await probe.login("ei-ketaan", WRONG_PASSWORD, expect=401)
    await probe.close()

    # The dated room's message reaches the database: the scan can see what is there.
    deadline = time.monotonic() + 20
    while not find(all_rows(await database_dump(db)), [DATED_TEXT]):
        assert time.monotonic() < deadline, "the dated message was never stored"
        await asyncio.sleep(0.2)
    staff_tokens = [v for c in (admin, sanna_http) for v in c.http.cookies.values()]
    secrets = [alice.token or "", bob.token or "", *staff_tokens, admin.csrf, sanna_http.csrf,
               admin_password, FACILITATOR_PASSWORD, WRONG_PASSWORD]
    pseudonyms = [alice.pseudonym or "", bob.pseudonym or ""]
    for c in (sanna, alice, bob):
        await c.close()
    await asyncio.sleep(0.5)

    log = server.log_text().splitlines()
    database = await database_dump(db)
    rows = [f"{table}: {row}" for table, table_rows in database.items() for row in table_rows]
    keys = redis_dump(redis_server.url)
    print(f"\nprivacy scan: {len(log)} log lines, {len(rows)} rows in {len(database)} tables, "
          f"{len(keys)} Redis keys; looked for {len(secrets)} secrets, "
          f"{len(EPHEMERAL_TEXTS) + 2} texts, {len(pseudonyms)} pseudonyms and addresses")
    # Logs: no text of any room, note, pseudonym, token, password or address.
    assert find(log, [*secrets, *EPHEMERAL_TEXTS, DATED_TEXT, NOTE, *pseudonyms]) == []
    assert [line for line in log if IP.search(line)] == []
    # Database: no token, password, address, nor any text of the ephemeral room (the report
    # snapshot went when the report was resolved).
    # (The CSRF token is stored as docs/privacy.md says: useless without the cookie.)
    csrf = {admin.csrf, sanna_http.csrf}
    assert find(rows, [s for s in secrets if s not in csrf] + EPHEMERAL_TEXTS) == []
    assert [row for row in rows if IP.search(row)] == []
    assert find(database["audit_log"], [*EPHEMERAL_TEXTS, DATED_TEXT]) == []
    # Redis: no token, password or address (texts may wait in resume buffers for a while).
    assert find(keys, secrets) == []
    assert [k for k in keys if IP.search(k)] == []

    # Dated retention with the clock moved past it: the texts are gone from the database,
    # and (once the resume buffers lapse) from Redis; the audit log keeps its records.
    audit_before = database["audit_log"]
    store = Store.from_url(db)
    deleted, _ = await apply_retention(store, Settings(database_url=db),
                                       datetime.now(UTC) + timedelta(days=4))
    await store.close()
    after = await database_dump(db)
    assert deleted > 0
    assert find(all_rows(after), [DATED_TEXT]) == []
    assert not [r for r in after["events"] if r.startswith("paivat")]
    assert after["audit_log"] == audit_before and len(audit_before) >= 4
    deadline = time.monotonic() + 30
    while find(redis_dump(redis_server.url), [DATED_TEXT, *EPHEMERAL_TEXTS]):
        assert time.monotonic() < deadline, "texts stayed in Redis past the buffer's lifetime"
        await asyncio.sleep(0.5)
    print(f"retention: {deleted} events deleted 4 days on; {len(audit_before)} audit entries "
          "kept, none with text; Redis buffers empty")


async def test_an_admin_erases_one_persons_data_on_request(scenario):
    server, db, _redis, admin, sanna_http, _ = scenario
    person = await ChatClient.connect(server.ws_url)
    other = await ChatClient.connect(server.ws_url)
    member = (await person.join("paivat"))["member"]
    await person.join("toinen")
    await other.join("paivat")
    mine = [(await person.say("paivat", f"poistettava {i}"))["seq"] for i in range(3)]
    elsewhere = await person.say("toinen", "poistettava muualla")
    assert elsewhere["type"] == "ack", elsewhere
    mine_elsewhere = elsewhere["seq"]
    kept = (await other.say("paivat", "toisen viesti jää"))["seq"]
    token = person.token
    await person.close()
    await asyncio.sleep(0.5)

    # Only an admin may; a facilitator, or an unknown member id, gets nothing done.
    assert (await sanna_http.post("/api/erase", {"room": "paivat", "member": member})
            ).status_code == 403
    assert (await admin.post("/api/erase", {"room": "paivat", "member": "x" * 22})
            ).status_code == 404
    assert (await admin.post("/api/erase", {"room": "paivat"})).status_code == 400
    done = await admin.post("/api/erase", {"room": "paivat", "member": member})
    assert done.status_code == 200, done.text
    assert done.json() == {"messages": 4, "rooms": {"paivat": 3, "toinen": 1}}

    # Their messages are gone for everyone; the token no longer opens anything.
    fresh = await ChatClient.connect(server.ws_url)
    await fresh.join("paivat")
    await fresh.join("toinen")
    texts = {f["seq"]: f.get("text") for f in fresh.events("paivat", "message")}
    assert [texts[s] for s in mine] == [None] * 3 and texts[kept] == "toisen viesti jää"
    assert fresh.events("toinen", "message")[-1]["seq"] == mine_elsewhere
    assert "text" not in fresh.events("toinen", "message")[-1]
    with pytest.raises(RuntimeError, match="invalid_token"):
        await ChatClient.connect(server.ws_url, token=token)
    await asyncio.sleep(0.5)
    database = await database_dump(db)
    rows = all_rows(database)
    assert find(rows, ["poistettava"]) == []
    audit = (await admin.http.get("/api/audit")).json()
    entry = next(e for e in audit if e["action"] == "erase_identity")
    assert (entry["room"], entry["target"]) == ("paivat", member)
    remains = {table: len([r for r in table_rows if member in r])
               for table, table_rows in database.items()}
    print(f"\nerasure: 4 messages removed in 2 rooms, identity deleted; rows that still name "
          f"the member id: { {t: n for t, n in remains.items() if n} } (their texts: none)")
    for c in (other, fresh):
        await c.close()
