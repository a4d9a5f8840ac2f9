"""Faults against real processes: Redis lost and back."""

from __future__ import annotations

import asyncio
import signal

from chatserver.testing import FAST, ChatClient


async def say_until_acked(client: ChatClient, room: str, text: str, timeout: float = 20) -> dict:
    """Retry on `unavailable` as a UI would, until the message is acknowledged."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        answer = await client.say(room, text)
        if answer["type"] == "ack":
            return answer
        assert answer["code"] == "unavailable", answer
        assert asyncio.get_running_loop().time() < deadline, "never acknowledged"
        await asyncio.sleep(0.2)


async def test_redis_killed_and_restarted_sequence_goes_on_without_gaps(start_server,
                                                                        redis_server, pg_url):
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    alice = await ChatClient.connect(a.ws_url)
    bob = await ChatClient.connect(b.ws_url)
    await alice.join("olohuone")
    await bob.join("olohuone")
    before = [(await alice.say("olohuone", f"before {i}"))["seq"] for i in range(5)]
    await bob.wait_for(lambda f: f.get("text") == "before 4")
    await asyncio.sleep(0.5)  # let the persisters store what was sent

    redis_server.stop(signal.SIGKILL)
    refused = await alice.say("olohuone", "during")
    assert refused["type"] == "error" and refused["code"] == "unavailable"
    redis_server.start()  # empty: counters, buffers and presence are gone

    after = await say_until_acked(alice, "olohuone", "after")
    assert after["seq"] > max(before), "the counter never goes backwards"
    await bob.wait_for(lambda f: f.get("text") == "after", timeout=20)
    reply = await say_until_acked(bob, "olohuone", "reply from b")
    await alice.wait_for(lambda f: f.get("text") == "reply from b", timeout=20)
    await asyncio.sleep(2.5)  # a heartbeat after Redis came back empty
    for c in (alice, bob):
        joins = [f["member"] for f in c.events("olohuone", "member_joined")]
        assert len(joins) == len(set(joins)), "nobody is announced twice after Redis restarts"
        seqs = [f["seq"] for f in c.events("olohuone")]
        assert seqs == sorted(set(seqs)), "in order, no duplicates"
        texts = [f["text"] for f in c.events("olohuone", "message")]
        assert texts[-2:] == ["after", "reply from b"] and "during" not in texts
    # A newcomer resumes the whole conversation from the database.
    carol = await ChatClient.connect(b.ws_url)
    await carol.join("olohuone", since=0)
    got = [f["seq"] for f in carol.events("olohuone", "message")]
    assert got == [*before, after["seq"], reply["seq"]]
    for c in (alice, bob, carol):
        await c.close()
