"""Several uvicorn processes sharing rooms through one real redis-server and PostgreSQL."""

from __future__ import annotations

import asyncio
import signal

import pytest

from chatserver.testing import FAST, ChatClient


@pytest.fixture
def pair(start_server, redis_server, pg_url):
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    return a, b


async def test_clients_on_two_processes_see_one_order_and_agree_on_presence(pair):
    a, b = pair
    on_a = [await ChatClient.connect(a.ws_url) for _ in range(2)]
    on_b = [await ChatClient.connect(b.ws_url) for _ in range(2)]
    for c in on_a + on_b:
        await c.join("olohuone")
    # Everyone sends at once, from both processes.
    await asyncio.gather(*[c.say("olohuone", f"{i}-{n}") for i, c in enumerate(on_a + on_b)
                           for n in range(10)])
    everyone = on_a + on_b
    for c in everyone:
        await c.wait_for(lambda f, c=c: len(c.events("olohuone", "message")) >= 40, timeout=15)
    orders = [[(f["seq"], f["text"]) for f in c.events("olohuone", "message")][-40:]
              for c in everyone]
    assert all(order == orders[0] for order in orders), "one order for every member"
    seqs = [s for s, _ in orders[0]]
    assert seqs == sorted(seqs) and len(set(seqs)) == 40
    # Presence is global: a member who joins on B is listed on A's join too.
    late = await ChatClient.connect(a.ws_url)
    joined = await late.join("olohuone")
    assert len(joined["members"]) == 5
    names_a = {m["name"] for m in joined["members"]}
    assert {c.pseudonym for c in everyone} <= names_a
    for c in [*everyone, late]:
        await c.close()


async def test_resume_on_another_process_after_sigkill(pair, start_server):
    a, b = pair
    alice = await ChatClient.connect(b.ws_url)
    bob = await ChatClient.connect(a.ws_url)
    await alice.join("olohuone")
    await bob.join("olohuone")
    await alice.say("olohuone", "before")
    await bob.wait_for(lambda f: f.get("text") == "before")
    last, token = bob.last_seq("olohuone"), bob.token

    # Process A (bob's) is killed; meanwhile 100 messages are acknowledged on B.
    a.stop(signal.SIGKILL)
    await asyncio.wait_for(bob.closed, 10)
    sent = [(await alice.say("olohuone", f"missed {i}"))["seq"] for i in range(100)]

    bob2 = await ChatClient.connect(b.ws_url, token=token)
    assert bob2.pseudonym == bob.pseudonym
    await bob2.join("olohuone", since=last)
    assert [f["seq"] for f in bob2.events("olohuone", "message")] == sent
    await alice.say("olohuone", "live")
    await bob2.wait_for(lambda f: f.get("text") == "live")
    seqs = [f["seq"] for f in bob2.events("olohuone")]
    assert seqs == sorted(set(seqs))
    await alice.close()
    await bob2.close()


async def test_acknowledged_messages_survive_a_crash_right_after_the_ack(pair, pg_url):
    """The process that acknowledged dies at once; the resume stream and the database still
    get every acknowledged message (another process stores them from Redis)."""
    a, b = pair
    sender = await ChatClient.connect(a.ws_url)
    await sender.join("olohuone")
    acks = await asyncio.gather(*[sender.say("olohuone", f"m{i}") for i in range(50)])
    a.stop(signal.SIGKILL)
    seqs = sorted(ack["seq"] for ack in acks)
    reader = await ChatClient.connect(b.ws_url)
    await reader.join("olohuone", since=seqs[0] - 1)
    got = [f["seq"] for f in reader.events("olohuone", "message")]
    assert got == seqs
    # And B's persister takes over what A had queued, within its claim interval.
    from tests.dbcheck import stored_message_seqs

    for _ in range(60):
        stored = await stored_message_seqs(pg_url, "olohuone")
        if set(seqs) <= set(stored):
            break
        await asyncio.sleep(0.5)
    assert set(seqs) <= set(stored)
    await reader.close()


async def _watched(a, b):  # type: ignore[no-untyped-def]
    """A watcher on B and a member on A, both in olohuone: (watcher, member, its joined)."""
    watcher = await ChatClient.connect(b.ws_url)
    me = (await watcher.join("olohuone"))["member"]
    member = await ChatClient.connect(a.ws_url)
    await member.join("olohuone")
    joined = await watcher.wait_for(lambda f: f["type"] == "member_joined" and f["member"] != me)
    return watcher, member, joined


async def test_members_of_a_dead_process_leave_within_seconds(pair):
    a, b = pair
    watcher, _, joined = await _watched(a, b)
    a.stop(signal.SIGKILL)
    left = await watcher.wait_for(lambda f: f["type"] == "member_left"
                                  and f["member"] == joined["member"], timeout=15)
    assert left["seq"] > joined["seq"]
    _, rooms = b.get("/api/rooms")
    assert {r["id"]: r["members"] for r in rooms}["olohuone"] == 1
    await watcher.close()


async def test_members_of_a_stalled_process_leave_and_come_back_when_it_does(pair):
    """A process that stops answering (SIGSTOP: a stalled host) is taken for dead: its members
    leave. When it runs again its next heartbeat finds that out and lists them again, so the
    others see them come back rather than stay gone while they are still connected."""
    a, b = pair
    watcher, stalled, joined = await _watched(a, b)
    a.proc.send_signal(signal.SIGSTOP)
    try:
        left = await watcher.wait_for(lambda f: f["type"] == "member_left"
                                      and f["member"] == joined["member"], timeout=20)
    finally:
        a.proc.send_signal(signal.SIGCONT)
    back = await watcher.wait_for(lambda f: f["type"] == "member_joined"
                                  and f["member"] == joined["member"], timeout=15,
                                  start=watcher.frames.index(left) + 1)
    assert back["seq"] > left["seq"]
    _, rooms = b.get("/api/rooms")
    assert {r["id"]: r["members"] for r in rooms}["olohuone"] == 2
    await stalled.close()
    await watcher.close()
