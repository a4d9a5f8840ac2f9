"""A facilitator's whole server process dies (kill -9) while they talk privately with a group
member they answered from a call for help: two uvicorn processes, a real redis-server and
PostgreSQL, and the other process's sweep of the dead one's state."""

from __future__ import annotations

import signal

from tests.test_one_to_one import (
    _ended_as_gone,
    _is,
    _member_calls_and_sanna_answers_privately,
    _setup,
    _supporter,
    _two_processes,
    _ville_opens_the_released_call,
)


async def test_a_facilitators_dead_process_hands_their_alert_conversation_back_to_the_group(
        start_server, redis_server, pg_url):
    """Sanna, who facilitates olohuone on process A, opens a private conversation from a
    member's call for help there; the member and Ville, who facilitates olohuone too, are on
    process B. Process A is killed. Before, B's sweep of A's state put the member in the
    general one-to-one queue (conv_interrupted, "you are at the front of the queue"), where
    the room's facilitators do not look and a queue supporter could not even write to them,
    and the alert kept pointing at the dead conversation. Now, as when a facilitator is gone
    too long, the conversation ends (by "gone", with the crisis lines), the member hears that
    the others know (help_status released), never a queue place, and Ville sees the call
    open with no conversation and opens a new one with them."""
    a, b, admin = await _two_processes(start_server, redis_server, pg_url)
    await _setup(admin, supporters=[], others=["sanna", "ville"])
    sanna_http, sanna = await _supporter(a.url, a.ws_url, "sanna")
    ville_http, ville = await _supporter(b.url, b.ws_url, "ville")
    member, alert, private = await _member_calls_and_sanna_answers_privately(b.ws_url, sanna)

    mark, ville_mark = len(member.frames), len(ville.frames)
    a.stop(signal.SIGKILL)
    after = await _ended_as_gone(member, private, timeout=30, start=mark)
    told = await member.wait_for(_is("help_status", alert=alert), timeout=15, start=after)
    assert told["status"] == "released", told
    assert not [f for f in member.frames[mark:]
                if f["type"] in ("conv_interrupted", "queue_status")], member.frames[mark:]
    gone = await member.request({"type": "conv_send", "conv": private, "text": "Oletko siellä?"})
    assert gone["code"] == "conversation_not_found", gone

    await _ville_opens_the_released_call(ville, member, alert, timeout=15, start=ville_mark,
                                         after=after)
    for c in (member, ville, sanna):
        await c.close()
    for h in (admin, sanna_http, ville_http):
        await h.close()
