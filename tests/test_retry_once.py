"""A send retried with the same request id (after a timeout or a dropped answer) is appended
once and acknowledged with its first number, on both brokers."""

from __future__ import annotations

import asyncio

import pytest

from chatserver.testing import FAST, ChatClient


@pytest.mark.parametrize("broker", ["memory", "redis"])
async def test_a_retried_send_is_appended_once(broker, start_server, request):
    redis_url = request.getfixturevalue("redis_server").url if broker == "redis" else ""
    server = start_server(redis_url=redis_url, **FAST)
    alice = await ChatClient.connect(server.ws_url)
    bob = await ChatClient.connect(server.ws_url)
    await alice.join("olohuone")
    await bob.join("olohuone")

    first = await alice.say("olohuone", "sanoin tämän kerran", id="retry-1")
    again = await alice.say("olohuone", "sanoin tämän kerran", id="retry-1")
    other = await alice.say("olohuone", "ja tämän toisen", id="retry-2")
    assert first["type"] == again["type"] == other["type"] == "ack"
    assert again["seq"] == first["seq"] and other["seq"] == first["seq"] + 1

    await bob.wait_for(lambda f: f.get("text") == "ja tämän toisen")
    await asyncio.sleep(0.3)
    texts = [f["text"] for f in bob.events("olohuone", "message")]
    assert texts == ["sanoin tämän kerran", "ja tämän toisen"]

    # A reloaded page counts its ids from the start again: the same id with another text is
    # a new message, and the same id from another person is their own request.
    reloaded = await alice.say("olohuone", "uusi sivu, uusi viesti", id="retry-1")
    assert reloaded["type"] == "ack" and reloaded["seq"] == other["seq"] + 1
    await bob.say("olohuone", "minun viestini", id="retry-1")
    await alice.wait_for(lambda f: f.get("text") == "minun viestini")
    await alice.close()
    await bob.close()
