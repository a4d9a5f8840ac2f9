"""A supporter's whole server process dies (kill -9) or is restarted (SIGTERM, a deploy) while
they talk privately with someone: two uvicorn processes, a real redis-server and PostgreSQL,
and the other process's sweep of the stopped one's state."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from chatserver.testing import ChatClient
from tests.test_one_to_one import (
    _ended_as_gone,
    _is,
    _member_calls_and_sanna_answers_privately,
    _queue,
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


def _none_of(client: ChatClient, kinds: tuple[str, ...], start: int) -> None:
    seen = [f for f in client.frames[start:] if f["type"] in kinds]
    assert not seen, seen


async def _exchange(person: ChatClient, staff: ChatClient, conv: Any, mine: str,
                    theirs: str) -> None:
    """A message each way, each heard by the other side."""
    assert (await staff.request({"type": "conv_send", "conv": conv, "text": mine}))[
        "type"] == "conv_sent"
    await person.wait_for(_is("conv_message", conv=conv, text=mine, **{"from": "supporter"}))
    assert (await person.request({"type": "conv_send", "conv": conv, "text": theirs}))[
        "type"] == "conv_sent"
    await staff.wait_for(_is("conv_message", conv=conv, text=theirs,
                             **{"from": "participant"}))


async def _stopped(server: Any, console: ChatClient) -> None:
    """A deploy: SIGTERM, the process exits cleanly, and the console was closed with 1012."""
    code = await asyncio.to_thread(server.stop, signal.SIGTERM, 30)
    assert code in (0, -signal.SIGTERM), code
    assert (await asyncio.wait_for(console.closed, 5))[0] == 1012


async def test_a_deploy_does_not_end_a_facilitators_conversation_from_a_call_for_help(
        start_server, redis_server, pg_url):
    """Sanna, who facilitates olohuone, opens a private conversation on process A from a
    member's call for help there (the member on process B). The admin deploys: A gets
    SIGTERM, Sanna's console is closed with 1012 and comes back on B. Before, the member
    heard at once that Sanna "did not come back after losing her connection" (conv_ended by
    gone), Sanna's console that the conversation was no longer open, and the call was
    untaken and escalated as if nobody had answered. Now the conversation waits for her,
    bound to no process: the member hears nothing of the restart, what they write meanwhile
    reaches her, her console gets the conversation back with everything said, and it goes
    on, now bound to B (after the grace, nothing ends it); the call stays hers, not
    escalated and never released."""
    a, b, admin = await _two_processes(start_server, redis_server, pg_url,
                                       handler_gone_seconds=5, supporter_requeue_seconds=8)
    await _setup(admin, supporters=[], others=["sanna"])
    sanna_http, sanna = await _supporter(a.url, a.ws_url, "sanna")
    member, alert, private = await _member_calls_and_sanna_answers_privately(b.ws_url, sanna)
    await _exchange(member, sanna, private, "Olen tässä.", "Hyvä.")

    mark = len(member.frames)
    await _stopped(a, sanna)
    sent = await member.request({"type": "conv_send", "conv": private, "text": "Oletko siellä?"})
    assert sent["type"] == "conv_sent", sent
    sanna = await sanna_http.socket(b.ws_url)  # her console's reconnect, on the other process
    resumed = await sanna.request({"type": "conv_resume", "conv": private})
    assert (resumed["type"], resumed.get("resumed")) == ("conv_started", True), resumed
    assert resumed["alert"] == alert and resumed["role"] == "supporter"
    assert [m["text"] for m in resumed["history"]] == ["Olen tässä.", "Hyvä.", "Oletko siellä?"]
    await _exchange(member, sanna, private, "Olen taas täällä.", "Kiitos.")

    await asyncio.sleep(9)  # past both graces: it was bound to B when she came back
    await _exchange(member, sanna, private, "Jatketaan.", "Joo.")
    _none_of(member, ("conv_ended", "conv_interrupted", "conv_supporter_away", "queue_status"),
             mark)
    assert not [f for f in member.frames[mark:] if f["type"] == "help_status"
                and f["status"] != "seen"], member.frames[mark:]
    listed = (await admin.http.get("/api/alerts")).json()["alerts"]
    call = next(x for x in listed if x["id"] == alert)
    assert (call["state"], call["escalated"], call["conv"], call["releases"],
            call["acknowledged_by"]) == ("acknowledged", False, private, 0, "Sanna"), call
    for c in (member, sanna):
        await c.close()
    for h in (admin, sanna_http):
        await h.close()


async def test_a_facilitator_not_back_after_a_deploy_hands_the_call_back_after_the_grace(
        start_server, redis_server, pg_url):
    """As above, but Sanna does not come back after the restart. The member is told after
    HANDLER_GONE_SECONDS that she is away (with the crisis lines; what they write still
    waits for her), and at SUPPORTER_REQUEUE_SECONDS the conversation ends as when a
    facilitator's process dies: conv_ended by gone with the crisis lines, the call no
    longer points at it, the member hears that the others know, and Ville (on B) opens a new
    conversation with them. Before, it ended at the stop itself, with no grace."""
    a, b, admin = await _two_processes(start_server, redis_server, pg_url,
                                       handler_gone_seconds=2, supporter_requeue_seconds=6)
    await _setup(admin, supporters=[], others=["sanna", "ville"])
    sanna_http, sanna = await _supporter(a.url, a.ws_url, "sanna")
    ville_http, ville = await _supporter(b.url, b.ws_url, "ville")
    member, alert, private = await _member_calls_and_sanna_answers_privately(b.ws_url, sanna)

    mark, ville_mark = len(member.frames), len(ville.frames)
    await _stopped(a, sanna)
    away = await member.wait_for(_is("conv_supporter_away", conv=private), timeout=15,
                                 start=mark)
    assert "112" in str(away["resources"])
    _none_of(member, ("conv_ended",), mark)
    sent = await member.request({"type": "conv_send", "conv": private, "text": "Oletko siellä?"})
    assert sent["type"] == "conv_sent", sent
    after = await _ended_as_gone(member, private, timeout=20, start=mark)
    told = await member.wait_for(_is("help_status", alert=alert), timeout=15, start=after)
    assert told["status"] == "released", told
    _none_of(member, ("conv_interrupted", "queue_status"), mark)
    gone = await member.request({"type": "conv_send", "conv": private, "text": "Haloo?"})
    assert gone["code"] == "conversation_not_found", gone

    await _ville_opens_the_released_call(ville, member, alert, timeout=15, start=ville_mark,
                                         after=after)
    # Sanna's console, back later, hears why it ended (her console says the call is open again).
    sanna = await sanna_http.socket(b.ws_url)
    late = await sanna.request({"type": "conv_resume", "conv": private})
    assert (late["code"], late.get("reason")) == ("conversation_not_found", "gone"), late
    for c in (member, ville, sanna):
        await c.close()
    for h in (admin, sanna_http, ville_http):
        await h.close()


async def test_a_deploy_does_not_end_a_supporters_conversation_from_the_queue(
        start_server, redis_server, pg_url):
    """Aino, a one-to-one supporter on process A, talks with someone she took from the queue
    (on B). A is restarted (SIGTERM) and her console comes back on B and says it is
    available again. Before, the person was put back at the front of the queue at once
    (conv_interrupted), as if Aino had gone. Now the conversation waits for her: her console
    gets it back with everything said, and it goes on; the person hears nothing of it."""
    a, b, admin = await _two_processes(start_server, redis_server, pg_url)
    await _setup(admin, supporters=["aino"])
    aino_http, aino = await _supporter(a.url, a.ws_url, "aino")
    await aino.request({"type": "support_available", "capacity": 1})
    p = await ChatClient.connect(b.ws_url)
    await _queue(p, "uni", now="ok")
    conv = (await aino.request({"type": "support_take"}))["conv"]
    await p.wait_for(_is("conv_started", conv=conv))
    await _exchange(p, aino, conv, "Hei, olen Aino.", "Hei.")

    mark = len(p.frames)
    await _stopped(a, aino)
    aino = await aino_http.socket(b.ws_url)
    status = await aino.request({"type": "support_available", "capacity": 1})
    assert (status["type"], status["convs"]) == ("support_status", [conv]), status
    resumed = await aino.wait_for(_is("conv_started", conv=conv, resumed=True))
    assert [m["text"] for m in resumed["history"]] == ["Hei, olen Aino.", "Hei."]
    await _exchange(p, aino, conv, "Olen taas täällä.", "Hyvä.")
    _none_of(p, ("conv_ended", "conv_interrupted", "queue_status", "queued"), mark)
    for c in (p, aino):
        await c.close()
    for h in (admin, aino_http):
        await h.close()
