"""Presence after a Redis outage that kept its data (Redis with persistence, stopped and started
again; a network cut looks the same to a process): what changed on a process while Redis was
away is true in Redis once it is back. A facilitator who closed her console meanwhile is no
longer counted online (the person who asks for help is told honestly that nobody is there);
one who opened her console meanwhile is counted; a participant who left meanwhile is announced
as gone and no longer listed in the room."""

from __future__ import annotations

import asyncio
import time

from redis import Redis

from chatserver.testing import ChatClient, RedisServer, ServerProcess
from tests.test_faults import ROOM, facilitator_and_person, wait_ready

# A quick heartbeat: the one after Redis is back puts each process's presence right. The
# outages below are far shorter than the TTL, so no process is expired by another meanwhile
# (which would hide the fault: an expired process adds all its presence again).
SETTINGS = {"heartbeat_seconds": 0.5, "presence_ttl_seconds": 10}


def stop_keeping_data(redis_server: RedisServer) -> None:
    """Stop Redis as one with persistence stops: its data is written out and loaded again by
    the next start."""
    Redis.from_url(redis_server.url).shutdown(save=True)
    assert redis_server.proc is not None
    redis_server.proc.wait(10)
    redis_server.stop()


async def members_listed(server: ServerProcess) -> int:
    _, rooms = await asyncio.to_thread(server.get, "/api/rooms")
    return int({r["id"]: r["members"] for r in rooms}[ROOM] or 0)


async def press_help(person: ChatClient) -> str:
    mark = len(person.frames)
    await person.send({"type": "help", "room": ROOM, "id": f"h{mark}"})
    status = await person.wait_for(lambda f: f["type"] == "help_status", timeout=10, start=mark)
    return str(status["status"])


async def test_who_left_or_came_while_redis_was_away_is_right_once_it_is_back(
        start_server, redis_server, pg_url):
    (a, b), https, sanna, person = await facilitator_and_person(
        start_server, pg_url, redis_server.url, processes=2, alert_escalate_seconds=300,
        **SETTINGS)
    reader = await ChatClient.connect(b.ws_url)
    await reader.join(ROOM)
    assert await members_listed(a) == 2

    # Away: Sanna shuts her laptop and the reader closes the page.
    stop_keeping_data(redis_server)
    await sanna.close()
    await reader.close()
    await asyncio.sleep(0.5)  # process B has seen both sockets close
    redis_server.start()
    for server in (a, b):
        await wait_ready(server, 200)
    deadline = time.monotonic() + 10
    while await members_listed(a) != 1:
        assert time.monotonic() < deadline, "a member who left during the outage stays listed"
        await asyncio.sleep(0.25)
    left = await person.wait_for(lambda f: f["type"] == "member_left", timeout=5)
    assert left["name"] == reader.pseudonym
    # Nobody who could answer is online, and the person is told so (not "notified").
    assert await press_help(person) == "nobody_online"

    # Away again: Sanna opens her console meanwhile (on either process). Once Redis is back,
    # she counts as someone who is there.
    stop_keeping_data(redis_server)
    sanna = await https[1].socket(b.ws_url)
    await asyncio.sleep(0.5)
    redis_server.start()
    for server in (a, b):
        await wait_ready(server, 200)
    await asyncio.sleep(2.0)  # a few heartbeats
    assert await press_help(person) == "notified"
    for c in (person, sanna):
        await c.close()
    for http in https:
        await http.close()


async def test_nobody_online_said_while_a_console_was_reconnecting_is_corrected_when_it_is_back(
        start_server, redis_server, pg_url):
    """Sanna's console is reconnecting (her process restarted, or Redis came back empty and
    the processes have not listed their staff again yet) when the person asks for help, and
    again when the person is back in the room: both times they hear at once that nobody is
    online, which was true then. A moment later she is back, and they hear that a facilitator
    has been told: not left believing that nobody is there while she is."""
    (a, b), https, sanna, person = await facilitator_and_person(
        start_server, pg_url, redis_server.url, processes=2, alert_escalate_seconds=300)
    await sanna.close()  # reconnecting
    first = await press_help(person)
    assert first == "nobody_online"
    alert = person.frames[-1]["alert"]
    await asyncio.sleep(0.5)
    sanna = await https[1].socket(b.ws_url)
    corrected = await person.wait_for(lambda f: f.get("status") == "notified", timeout=6)
    assert corrected["alert"] == alert

    token = person.token
    await person.close()
    await sanna.close()  # reconnecting again when the person is back
    back = await ChatClient.connect(a.ws_url, token=token)
    await back.join(ROOM)
    told = await back.wait_for(lambda f: f["type"] == "help_status", timeout=5)
    assert (told["status"], told["alert"]) == ("nobody_online", alert)
    await asyncio.sleep(0.5)
    sanna = await https[1].socket(b.ws_url)
    again = await back.wait_for(lambda f: f.get("status") == "notified", timeout=6)
    assert again["alert"] == alert
    for c in (back, sanna):
        await c.close()
    for http in https:
        await http.close()
