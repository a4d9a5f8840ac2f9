"""Faults against real processes: Redis lost and back, a server process killed mid-broadcast.

Every test ends with the invariant checker (tests/invariants.py): acknowledged messages stored
once, every member's stream without gap or duplicate, one order for all.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from typing import Any

import pytest
import websockets

from chatserver.testing import FAST, ChatClient, ServerProcess
from tests.invariants import Ledger, check_room

ROOM = "olohuone"


async def say_until_acked(client: ChatClient, room: str, text: str, timeout: float = 30,
                          ledger: Ledger | None = None) -> dict:
    """Retry on `unavailable` as a UI would (the same request id and text again), until
    acknowledged."""
    deadline = asyncio.get_running_loop().time() + timeout
    request_id = client.next_id()
    while True:
        answer = await client.say(room, text, timeout=timeout, id=request_id)
        if answer["type"] == "ack":
            if ledger is not None:
                ledger.record(room, answer, text)
            return answer
        assert answer["code"] == "unavailable", answer
        assert asyncio.get_running_loop().time() < deadline, "never acknowledged"
        await asyncio.sleep(0.2)


class Talker:
    """Sends numbered messages one after another until stopped, retrying refused ones."""

    def __init__(self, client: ChatClient, name: str, ledger: Ledger) -> None:
        self.client, self.name, self.ledger = client, name, ledger
        self.refused = 0
        self._stop = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            text = f"{self.name} {n}"
            request_id = self.client.next_id()  # kept for the retries: appended once
            while not self._stop.is_set():
                answer = await self.client.say(ROOM, text, timeout=30, id=request_id)
                if self.ledger.record(ROOM, answer, text):
                    break
                assert answer["code"] == "unavailable", answer
                self.refused += 1
                await asyncio.sleep(0.2)
            n += 1
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.wait_for(self.task, 40)


async def wait_ready(server: ServerProcess, want: int, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, body = await asyncio.to_thread(server.get, "/readyz")
        if status == want:
            return body
        assert time.monotonic() < deadline, f"/readyz stayed {status}: {body}"
        await asyncio.sleep(0.2)


async def everyone_has(clients: list[ChatClient], text: str, timeout: float = 30) -> None:
    await asyncio.gather(*[c.wait_for(lambda f: f.get("text") == text, timeout)
                           for c in clients])


async def test_redis_killed_and_restarted_sequence_goes_on_without_gaps(start_server,
                                                                        redis_server, pg_url):
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    alice = await ChatClient.connect(a.ws_url)
    bob = await ChatClient.connect(b.ws_url)
    await alice.join(ROOM)
    await bob.join(ROOM)
    ledger = Ledger()
    before = [(await say_until_acked(alice, ROOM, f"before {i}", ledger=ledger))["seq"]
              for i in range(5)]
    await bob.wait_for(lambda f: f.get("text") == "before 4")
    await asyncio.sleep(0.5)  # let the persisters store what was sent

    redis_server.stop(signal.SIGKILL)
    refused = await alice.say(ROOM, "during")
    assert refused["type"] == "error" and refused["code"] == "unavailable"
    redis_server.start()  # empty: counters, buffers and presence are gone

    after = await say_until_acked(alice, ROOM, "after", ledger=ledger)
    assert after["seq"] > max(before), "the counter never goes backwards"
    await bob.wait_for(lambda f: f.get("text") == "after", timeout=20)
    reply = await say_until_acked(bob, ROOM, "reply from b", ledger=ledger)
    await alice.wait_for(lambda f: f.get("text") == "reply from b", timeout=20)
    await asyncio.sleep(2.5)  # a heartbeat after Redis came back empty
    for c in (alice, bob):
        joins = [f["member"] for f in c.events(ROOM, "member_joined")]
        assert len(joins) == len(set(joins)), "nobody is announced twice after Redis restarts"
        texts = [f["text"] for f in c.events(ROOM, "message")]
        assert texts[-2:] == ["after", "reply from b"] and "during" not in texts
    # A newcomer resumes the whole conversation from the database.
    carol = await ChatClient.connect(b.ws_url)
    await carol.join(ROOM, since=0)
    got = [f["seq"] for f in carol.events(ROOM, "message")]
    assert got == [*before, after["seq"], reply["seq"]]
    await check_room(pg_url, ROOM, ledger, [[alice], [bob], [carol]])
    for c in (alice, bob, carol):
        await c.close()


async def test_a_process_new_to_the_room_numbers_above_what_is_stored_after_redis_lost_it(
        start_server, redis_server, pg_url):
    """A process reads a room's stored floor only when Redis has no number for the room: one
    started after Redis came back empty, that never saw the room, must still number its first
    events above everything stored, or they would be dropped as duplicates."""
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    alice = await ChatClient.connect(a.ws_url)
    await alice.join(ROOM)
    before = [(await say_until_acked(alice, ROOM, f"before {i}"))["seq"] for i in range(3)]
    await alice.close()
    await asyncio.sleep(0.5)  # let the persister store what was sent
    redis_server.stop(signal.SIGKILL)
    redis_server.start()  # empty: the room's counter is gone

    c = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    dave = await ChatClient.connect(c.ws_url)
    await dave.join(ROOM)
    said = await say_until_acked(dave, ROOM, "after")
    assert said["seq"] > max(before) + 1, "above the stored events and alice's leaving"
    carol = await ChatClient.connect(c.ws_url)
    await carol.join(ROOM, since=0)
    texts = [f["text"] for f in carol.events(ROOM, "message")]
    assert texts == ["before 0", "before 1", "before 2", "after"], "nothing dropped"
    for client in (dave, carol):
        await client.close()


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["SIGKILL", "SIGSTOP"])
async def test_redis_lost_for_ten_seconds_under_load_with_two_processes(
        fault, start_server, redis_server, pg_url):
    """Members on both processes talk through a 10 s Redis outage: sockets stay open and are
    answered, sends are refused with `unavailable` (never hang for good), /readyz says 503,
    and afterwards every member has every event once, in one order."""
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    people = [await ChatClient.connect(s.ws_url) for s in (a, b, a, b)]
    for c in people:
        await c.join(ROOM)
    ledger = Ledger()
    talkers = [Talker(people[0], "a", ledger), Talker(people[1], "b", ledger)]
    await asyncio.sleep(1)

    redis_server.stop(getattr(signal, fault))
    t0 = time.monotonic()
    for server in (a, b):
        body = await wait_ready(server, 503, timeout=10)
        assert body["broker"] == "unavailable" and body["database"] == "ok"
    # Each process still serves its local members: a ping is answered at once (the talkers'
    # frames wait behind their pending send, one frame at a time per socket).
    for c in people[2:]:
        pong = await c.request({"type": "ping"}, timeout=5)
        assert pong["type"] == "pong"
    await asyncio.sleep(max(0.0, 10 - (time.monotonic() - t0)))
    if fault == "SIGSTOP":
        redis_server.send_signal(signal.SIGCONT)
    else:
        redis_server.start()
    for server in (a, b):
        await wait_ready(server, 200, timeout=30)
    # Load goes on after the outage until each talker has been acknowledged again.
    acked_before = ledger.count()
    deadline = time.monotonic() + 30
    while ledger.count() < acked_before + 20:
        assert time.monotonic() < deadline, "sending did not resume after the outage"
        await asyncio.sleep(0.1)
    for t in talkers:
        await t.stop()
    refused = sum(t.refused for t in talkers)
    await say_until_acked(people[2], ROOM, "end a", ledger=ledger)
    await say_until_acked(people[3], ROOM, "end b", ledger=ledger)
    await everyone_has(people, "end a")
    await everyone_has(people, "end b")
    await asyncio.sleep(1)  # the persisters store the last events
    checked = await check_room(pg_url, ROOM, ledger, [[c] for c in people])
    print(f"\nredis {fault} 10 s: {ledger.count()} acknowledged, {refused} refused while "
          f"down, {checked} events checked on 4 members, none lost or doubled")
    for c in people:
        assert not c.closed.done(), "a Redis outage closes no member's socket"
        await c.close()


@pytest.mark.slow
async def test_server_killed_mid_broadcast_clients_resume_on_the_other(start_server,
                                                                      redis_server, pg_url):
    """Process A is SIGKILLed while a broadcast to its members is under way; they reconnect to
    B with their token and `since`, and get every event once; presence heals."""
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    on_a = [await ChatClient.connect(a.ws_url) for _ in range(3)]
    on_b = [await ChatClient.connect(b.ws_url) for _ in range(2)]
    # The name each has in the room: their pseudonym, or a new one the room gave them if
    # another member already had it (then it is theirs from now on, everywhere).
    names = {id(c): (await c.join(ROOM))["name"] for c in on_a + on_b}
    ledger = Ledger()
    talkers = [Talker(on_b[0], "b", ledger), Talker(on_a[0], "a", ledger)]
    # Kill A once its members are in the middle of receiving the stream.
    await on_a[1].wait_for(lambda f: f.get("text") == "b 30", timeout=30)
    a.stop(signal.SIGKILL)
    for c in on_a:
        await asyncio.wait_for(c.closed, 10)
    with contextlib.suppress(websockets.ConnectionClosed, ConnectionError, TimeoutError):
        await talkers[1].stop()  # its socket died with A
    talkers = talkers[:1]

    # They come back on B, each with its token and the last seq it had.
    again = []
    for c in on_a:
        back = await ChatClient.connect(b.ws_url, token=c.token)
        assert back.pseudonym == names[id(c)]
        await back.join(ROOM, since=c.last_seq(ROOM))
        again.append(back)
    await asyncio.sleep(1)
    await talkers[0].stop()
    await say_until_acked(again[0], ROOM, "end", ledger=ledger)
    everyone = on_b + again
    await everyone_has(everyone, "end")
    # Presence heals: A's dead connections lapse, the people are listed once, on B.
    deadline = time.monotonic() + 20
    while True:
        _, rooms = await asyncio.to_thread(b.get, "/api/rooms")
        if {r["id"]: r["members"] for r in rooms}[ROOM] == 5:
            break
        assert time.monotonic() < deadline, f"presence did not heal: {rooms}"
        await asyncio.sleep(0.3)
    # A dead connection of A lapses by its own expiry, which may come a heartbeat after the
    # count first reads 5: look again until the list is right, within the deadline.
    while True:
        listing = await ChatClient.connect(b.ws_url)
        joined = await listing.join(ROOM)
        listed = sorted(m["name"] for m in joined["members"])
        want = sorted([names[id(c)] for c in on_b] + [c.pseudonym for c in again]
                      + [joined["name"]])
        if listed == want:
            break
        assert time.monotonic() < deadline, f"presence did not heal: {listed} != {want}"
        await listing.close()
        await asyncio.sleep(0.5)
    await asyncio.sleep(1)  # B's persister claims what A had queued
    checked = await check_room(pg_url, ROOM, ledger,
                               [[c] for c in on_b] + [[old, new] for old, new in
                                                      zip(on_a, again, strict=True)])
    print(f"\nserver SIGKILL mid-broadcast: {ledger.count()} acknowledged, 3 members moved "
          f"to the other process, {checked} events checked, none lost or doubled")
    for c in [*everyone, listing]:
        await c.close()


async def facilitator_and_person(start_server: Any, database_url: str, redis_url: str, *,
                                 processes: int = 1, **settings: object
                                 ) -> tuple[list[ServerProcess], tuple[Any, Any], ChatClient,
                                            ChatClient]:
    """Redis-backed processes on this database: the facilitator Sanna signed in (her
    console's socket open) on the last, a person in the room on the first. Returns the
    processes, the admin's and Sanna's HTTP sessions, her console and the person."""
    from chatserver.testing import StaffHttp, add_facilitator, create_admin

    password = create_admin({"DATABASE_URL": database_url})
    servers = [start_server(database_url=database_url, redis_url=redis_url,
                            **{**FAST, **settings}) for _ in range(processes)]
    admin = StaffHttp(servers[0].url)
    await admin.login("admin", password)
    await add_facilitator(admin, "sanna", [ROOM])
    sanna_http = StaffHttp(servers[-1].url)
    await sanna_http.login("sanna", "hiljainen metsä ja kuu")
    sanna = await sanna_http.socket(servers[-1].ws_url)
    person = await ChatClient.connect(servers[0].ws_url)
    await person.join(ROOM)
    return servers, (admin, sanna_http), sanna, person


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["SIGKILL", "SIGSTOP"])
async def test_help_asked_while_redis_is_away_reaches_a_facilitator_on_another_process(
        fault, start_server, redis_server, pg_url):
    """"I need help now" while Redis is away (killed, or frozen so that no subscription
    notices): the alert is stored, but it cannot be announced. The person is told at once
    that the facilitators could not be reached (beside the crisis lines); once Redis is back,
    the facilitator, whose console is on the other process, gets the alert within seconds, not
    only when it escalates (five minutes here), and the person hears that a facilitator has
    been told, not that nobody is online while the processes list their staff again."""
    # Alerts escalate only after five minutes here.
    _servers, https, sanna, person = await facilitator_and_person(
        start_server, pg_url, redis_server.url, processes=2, alert_escalate_seconds=300)
    if fault == "SIGKILL":
        redis_server.stop(signal.SIGKILL)
    else:  # frozen: the subscriptions stay up, so only the announcement itself can tell
        redis_server.send_signal(signal.SIGSTOP)
    mark = len(person.frames)
    await person.send({"type": "help", "room": ROOM, "id": "h1"})
    lines = await person.wait_for(lambda f: f.get("id") == "h1", timeout=30, start=mark)
    assert lines["type"] == "crisis_resources" and lines["resources"], lines
    unsent = await person.wait_for(lambda f: f["type"] == "help_status", timeout=30, start=mark)
    assert unsent["status"] == "not_sent", unsent
    assert not [f for f in sanna.frames if f["type"] == "alert"]

    if fault == "SIGKILL":
        redis_server.start()  # empty, as after a crash
    else:
        redis_server.send_signal(signal.SIGCONT)
    back = time.monotonic()
    alert = await sanna.wait_for(lambda f: f["type"] == "alert", timeout=40)
    assert (alert["why"], alert["room"], alert["alert"]["state"]) == ("help", ROOM, "open")
    told = await person.wait_for(lambda f: f["type"] == "help_status"
                                 and f["status"] == "notified", timeout=40, start=mark)
    assert told["alert"] == alert["alert"]["id"]
    print(f"\nhelp raised during a Redis outage reached the facilitator "
          f"{time.monotonic() - back:.1f} s after Redis came back")
    # She can take it as usual.
    taken = await sanna.request({"type": "alert_ack", "alert": told["alert"]}, timeout=20)
    assert taken["type"] == "done", taken
    await person.wait_for(lambda f: f["type"] == "help_status" and f["status"] == "seen", 20)
    for c in (person, sanna):
        await c.close()
    for http in https:
        await http.close()


@pytest.mark.slow
async def test_an_alert_taken_while_redis_was_away_shows_as_taken_on_every_console_after(
        start_server, redis_server, pg_url):
    """An admin takes a person's call for help while Redis is away: it is stored and the
    admin is answered, but the change cannot be announced. Once Redis is back, Sanna's console
    on the other process learns that it is handled (and by whom) without a reload, so two
    people do not both believe the other has it, or both go to it; and the person hears that a
    facilitator has seen it."""
    (a, _b), https, sanna, person = await facilitator_and_person(
        start_server, pg_url, redis_server.url, processes=2, alert_escalate_seconds=300)
    admin = await https[0].socket(a.ws_url)
    await person.send({"type": "help", "room": ROOM, "id": "h1"})
    new = await sanna.wait_for(lambda f: f["type"] == "alert", timeout=10)
    alert_id = new["alert"]["id"]
    await admin.wait_for(lambda f: f["type"] == "alert", timeout=10)

    redis_server.stop(signal.SIGKILL)
    taken = await admin.request({"type": "alert_ack", "alert": alert_id}, timeout=30)
    assert (taken["type"], taken["alert"]["state"]) == ("done", "acknowledged"), taken
    listed = (await https[0].http.get("/api/alerts")).json()["alerts"]
    assert [(x["id"], x["state"]) for x in listed] == [(alert_id, "acknowledged")]
    # What needs Redis says so clearly (it answered a bare 500 before).
    away = await https[0].http.get("/api/one-to-one")
    assert (away.status_code, away.json(), away.headers["retry-after"]) == (
        503, {"error": "unavailable"}, "5")
    assert not [f for f in sanna.frames if f["type"] == "alert_changed"]

    redis_server.start()  # empty, as after a crash
    changed = await sanna.wait_for(lambda f: f["type"] == "alert_changed", timeout=30)
    assert changed["alert"]["id"] == alert_id
    assert (changed["alert"]["state"], changed["alert"]["acknowledged_by"]) == (
        "acknowledged", "Ylläpito")
    seen = await person.wait_for(lambda f: f["type"] == "help_status"
                                 and f["status"] == "seen", timeout=30)
    assert seen["alert"] == alert_id
    for c in (person, sanna, admin):
        await c.close()
    for http in https:
        await http.close()
