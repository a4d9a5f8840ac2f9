"""The database goes away and comes back: a private PostgreSQL cluster (never the machine's
shared one on 5432) is stopped under a running server."""

from __future__ import annotations

import asyncio
import glob
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis

from chatserver.broker.redis import CONTROL_CHANNEL
from chatserver.testing import FAST, ChatClient, free_port
from tests.invariants import Ledger, check_room
from tests.test_faults import facilitator_and_person, say_until_acked, wait_ready

ROOM = "olohuone"


class PrivatePostgres:
    """initdb + pg_ctl as the `postgres` user in a temporary folder, on a free port."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            raise RuntimeError("PostgreSQL server binaries are required (Debian: postgresql)")
        self.bin = found[-1].rsplit("/", 1)[0]
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="chat-pg-")
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = f"{self.dir}/data"
        self._as_postgres(f"{self.bin}/initdb", "-D", self.data, "-A", "trust", "-U",
                          "postgres", "--no-sync")

    def _as_postgres(self, *cmd: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True,
                       capture_output=True, timeout=120)

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self._as_postgres(f"{self.bin}/pg_ctl", "-D", self.data, "-w", "-t", "60", "-l",
                          f"{self.dir}/log", "-o",
                          f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                          "-c fsync=off", "start")

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(f"{self.bin}/pg_ctl", "-D", self.data, "-w", "-m", mode, "stop")

    def cleanup(self) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", f"{self.bin}/pg_ctl", "-D",
                        self.data, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    pg.start()
    yield pg
    pg.cleanup()


@pytest.mark.slow
async def test_postgres_stopped_and_started_clear_errors_no_crash_nothing_lost(
        private_pg, start_server):
    server = start_server(database_url=private_pg.url, **FAST)
    alice = await ChatClient.connect(server.ws_url)
    bob = await ChatClient.connect(server.ws_url)
    leaver = await ChatClient.connect(server.ws_url)
    for c in (alice, bob):
        await c.join(ROOM)
    leaver_id = (await leaver.join(ROOM))["member"]
    ledger = Ledger()
    for i in range(20):
        await say_until_acked(alice, ROOM, f"ennen {i}", ledger=ledger)

    private_pg.stop("immediate")  # as a crash: no goodbye to the clients
    body = await wait_ready(server, 503, timeout=20)
    assert body["database"].startswith("unavailable") and body["broker"] == "ok"
    refused = await alice.say(ROOM, "katkon aikana", timeout=30)
    assert refused["type"] == "error" and refused["code"] == "unavailable", refused
    assert server.proc is not None and server.proc.poll() is None, "no crash"
    assert (await bob.request({"type": "ping"}))["type"] == "pong", "sockets stay served"
    # A newcomer gets a clear error too, not a hang or a dropped socket.
    newcomer = await ChatClient.connect(server.ws_url, hello=False)
    await newcomer.send({"type": "hello", "v": 1})
    answer = await newcomer.wait_for(lambda f: f["type"] in ("welcome", "error"), 30)
    if answer["type"] == "welcome":
        answer = await newcomer.request({"type": "join", "room": ROOM}, timeout=30)
    assert answer["type"] == "error" and answer["code"] == "unavailable", answer
    await newcomer.close()
    await leaver.close()  # leaving while the database is away must not break the server

    private_pg.start()
    await wait_ready(server, 200, timeout=60)  # recovery on its own, no restart
    started = time.monotonic()
    after = await say_until_acked(alice, ROOM, "katkon jälkeen", ledger=ledger, timeout=60)
    await bob.wait_for(lambda f: f.get("text") == "katkon jälkeen", timeout=20)
    await asyncio.sleep(0.5)
    checked = await check_room(private_pg.url, ROOM, ledger, [[alice], [bob]])
    texts = [f["text"] for f in bob.events(ROOM, "message")]
    assert "katkon aikana" not in texts, "what was refused was not sent"
    print(f"\ndatabase outage: 20 acknowledged before, refused during, {after['seq']} after in "
          f"{time.monotonic() - started:.1f} s; {checked} events checked, none lost or doubled")
    # The leaver is gone from presence, announced once the database was back, and nothing
    # went unhandled.
    await bob.wait_for(lambda f: f["type"] == "member_left" and f["member"] == leaver_id, 20)
    deadline = time.monotonic() + 20
    while (await asyncio.to_thread(server.get, "/api/rooms"))[1][0]["members"] != 2:
        assert time.monotonic() < deadline, "the leaver stayed present"
        await asyncio.sleep(0.3)
    log = server.log_text()
    assert '"level":"ERROR"' not in log and "Traceback" not in log, log[-2000:]
    await alice.close()
    await bob.close()


@pytest.mark.slow
async def test_crisis_words_while_the_database_is_away_reach_the_facilitators_after(
        private_pg, start_server, redis_server):
    """Redis carries the room while PostgreSQL is away, so a message with crisis language is
    posted; its alert cannot be stored. The writer is told at once that the facilitators
    could not be reached (beside the crisis lines), never left believing they were told; when
    the database is back, the alert is stored and reaches the facilitator, and the writer is
    told that a facilitator has been told."""
    (server,), https, sanna, person = await facilitator_and_person(
        start_server, private_pg.url, redis_server.url)
    await say_until_acked(person, ROOM, "hei kaikki", ledger=Ledger())

    private_pg.stop("immediate")
    await wait_ready(server, 503, timeout=20)
    await person.send({"type": "send", "room": ROOM, "id": "c1",
                       "text": "en jaksa enää, haluan kuolla"})
    await person.wait_for(lambda f: f["type"] == "crisis_resources", timeout=30)
    unsent = await person.wait_for(lambda f: f["type"] == "help_status", timeout=30)
    assert unsent["status"] == "not_sent", unsent
    assert not [f for f in sanna.frames if f["type"] == "alert"]

    private_pg.start()
    alert = await sanna.wait_for(lambda f: f["type"] == "alert", timeout=60)
    assert (alert["why"], alert["room"]) == ("crisis", ROOM)
    told = await person.wait_for(lambda f: f["type"] == "help_status"
                                 and f["status"] == "notified", timeout=10)
    assert told["alert"] == alert["alert"]["id"]
    for c in (person, sanna):
        await c.close()
    for http in https:
        await http.close()


@pytest.mark.slow
async def test_help_asked_while_the_database_is_away_reaches_the_facilitators_after(
        private_pg, start_server, redis_server):
    """"I need help now" with PostgreSQL away (Redis carries the room): the person gets the
    crisis lines (the last ones read, even if an admin's edit made the server forget them
    just then) and is told at once that the facilitators could not be reached, not an
    error; the server tries again by itself (the connection stays up, so the page would never
    send it again), and when the database is back the facilitator gets the alert and the
    person hears that a facilitator has been told."""
    (server,), https, sanna, person = await facilitator_and_person(
        start_server, private_pg.url, redis_server.url)

    private_pg.stop("immediate")
    await wait_ready(server, 503, timeout=20)
    # An admin's edit of the lines was announced just then: the server cannot read them
    # again. The person is shown the last ones read, never nothing.
    control = aioredis.from_url(redis_server.url)
    await control.publish(CONTROL_CHANNEL, b'{"kind": "resources_changed"}')
    await control.aclose()
    await asyncio.sleep(0.5)
    mark = len(person.frames)
    await person.send({"type": "help", "room": ROOM, "id": "h1"})
    lines = await person.wait_for(lambda f: f.get("id") == "h1", timeout=30, start=mark)
    assert lines["type"] == "crisis_resources" and lines["resources"], lines
    assert lines["resources"][0]["phone"] == "112"
    unsent = await person.wait_for(lambda f: f["type"] == "help_status", timeout=30, start=mark)
    assert unsent["status"] == "not_sent", unsent
    await asyncio.sleep(1.5)  # a retry or two against the stopped database
    # Her console's reload is told the database is away (it answered a bare 500 before).
    away = await https[1].http.get("/api/alerts")
    assert (away.status_code, away.json(), away.headers["retry-after"]) == (
        503, {"error": "unavailable"}, "5")
    assert not [f for f in person.frames[mark:] if f["type"] == "error"], person.frames[mark:]
    assert not [f for f in sanna.frames if f["type"] == "alert"]

    private_pg.start()
    alert = await sanna.wait_for(lambda f: f["type"] == "alert", timeout=60)
    assert (alert["why"], alert["room"]) == ("help", ROOM)
    told = await person.wait_for(lambda f: f["type"] == "help_status"
                                 and f["status"] == "notified", timeout=10)
    assert told["alert"] == alert["alert"]["id"]
    assert len([f for f in sanna.frames if f["type"] == "alert"]) == 1  # told once
    for c in (person, sanna):
        await c.close()
    for http in https:
        await http.close()
