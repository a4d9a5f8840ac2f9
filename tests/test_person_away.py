"""The facilitator of a private conversation sees whether the person is still there: two
uvicorn processes with a real redis-server and PostgreSQL, the supporter's console on one and
the people on the other."""

from __future__ import annotations

import asyncio

from chatserver.testing import ChatClient
from tests.test_one_to_one import (
    _in_two_conversations,
    _is,
    _setup,
    _supporter,
    _two_processes,
)

GRACE = 2  # PERSON_AWAY_SECONDS here


def _kinds(frames: list[dict], start: int, *kinds: str) -> list[dict]:
    return [f for f in frames[start:] if f["type"] in kinds]


async def test_the_supporter_hears_when_the_person_is_gone_and_when_back(
        start_server, redis_server, pg_url):
    """Aino's console is on process A; the person she took from the queue and the member she
    answers in private after their crisis message are on B. A reload of the person's page
    (landing on the other process) within PERSON_AWAY_SECONDS says nothing. A phone that dies
    mid-conversation: after the grace, not before, Aino hears that the person is away (in the
    conversation it concerns only); what she writes meanwhile is accepted and is there when
    the person's page has the conversation again, and Aino hears that they are back. A console
    reloaded meanwhile says at once whether the person is there."""
    a, b, admin = await _two_processes(start_server, redis_server, pg_url,
                                       person_away_seconds=GRACE)
    await _setup(admin, supporters=["aino"])
    aino_http, aino = await _supporter(a.url, a.ws_url, "aino")
    p, _, conv, member, _, private = await _in_two_conversations(b, aino)

    # A reload within the grace, on the other process: neither away nor back.
    mark = len(aino.frames)
    await p.close()
    p = await ChatClient.connect(a.ws_url, token=p.token)
    resumed = await p.request({"type": "conv_resume", "conv": conv})
    assert resumed["type"] == "conv_started", resumed
    await asyncio.sleep(GRACE + 4)  # the grace, a heartbeat and the processes asked, past
    assert _kinds(aino.frames, mark, "conv_person_away", "conv_person_back") == []

    # The phone dies: away after the grace, not before, and only in its conversation.
    mark = len(aino.frames)
    await p.close()
    await asyncio.sleep(GRACE / 2)
    assert _kinds(aino.frames, mark, "conv_person_away") == []
    await aino.wait_for(_is("conv_person_away", conv=conv), timeout=15, start=mark)
    await asyncio.sleep(1)
    assert _kinds(aino.frames, mark, "conv_person_away") == [
        {"type": "conv_person_away", "conv": conv}]
    sent = await aino.request({"type": "conv_send", "conv": conv, "text": "Oletko siellä?"})
    assert sent["type"] == "conv_sent", sent

    # Her console reloaded (on B): it says the person is away, the other one is there.
    await aino.close()
    aino = await aino_http.socket(b.ws_url)
    mark = len(aino.frames)
    await aino.request({"type": "support_available", "capacity": 2})
    again = await aino.wait_for(_is("conv_started", conv=conv, resumed=True), start=mark)
    other = await aino.wait_for(_is("conv_started", conv=private, resumed=True), start=mark)
    assert (again["person_away"], other["person_away"]) == (True, False)

    # The person is back (a new socket, the same token): the message is there; Aino hears it.
    mark = len(aino.frames)
    p = await ChatClient.connect(a.ws_url, token=p.token)
    resumed = await p.request({"type": "conv_resume", "conv": conv})
    assert [m["text"] for m in resumed["history"]] == ["Oletko siellä?"]
    await aino.wait_for(_is("conv_person_back", conv=conv), timeout=15, start=mark)

    # The member in the conversation from an alert: the same.
    mark = len(aino.frames)
    await member.close()
    await aino.wait_for(_is("conv_person_away", conv=private), timeout=15, start=mark)
    member = await ChatClient.connect(b.ws_url, token=member.token)
    await member.request({"type": "conv_resume", "conv": private})
    await aino.wait_for(_is("conv_person_back", conv=private), timeout=15, start=mark)
    assert _kinds(aino.frames, mark, "conv_person_away", "conv_person_back") == [
        {"type": "conv_person_away", "conv": private},
        {"type": "conv_person_back", "conv": private}]

    # A console reloaded now says both are there.
    await aino.close()
    aino = await aino_http.socket(a.ws_url)
    await aino.request({"type": "support_available", "capacity": 2})
    again = await aino.wait_for(_is("conv_started", conv=conv, resumed=True))
    other = await aino.wait_for(_is("conv_started", conv=private, resumed=True))
    assert (again["person_away"], other["person_away"]) == (False, False)
    for c in (p, member, aino):
        await c.close()
    await admin.close()
    await aino_http.close()
