"""One-to-one support end to end: two uvicorn processes with a real redis-server and
PostgreSQL (the queue, places and assignments shared), and authorisation on one process."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import pytest

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)

Frame = dict[str, Any]

QUESTIONS = [
    {"id": "about", "text": {"fi": "Mistä haluaisit puhua?", "sv": "Vad vill du prata om?",
                             "en": "What would you like to talk about?"}},
    {"id": "age", "text": {"fi": "Ikäryhmä", "sv": "Åldersgrupp", "en": "Age group"},
     "choices": [{"id": "u18", "text": {"fi": "alle 18", "sv": "under 18", "en": "under 18"}},
                 {"id": "o18", "text": {"fi": "18+", "sv": "18+", "en": "18+"}}]},
    {"id": "now", "text": {"fi": "Miten voit nyt?", "sv": "Hur mår du nu?",
                           "en": "How are you now?"},
     "choices": [{"id": "ok", "text": {"fi": "Ihan ok", "sv": "Okej", "en": "Okay"}},
                 {"id": "crisis", "text": {"fi": "Tarvitsen apua nyt",
                                           "sv": "Jag behöver hjälp nu",
                                           "en": "I need help now"}}],
     "crisis_choices": ["crisis"]},
]


def _is(kind: str, **fields: Any) -> Callable[[Frame], bool]:
    return lambda f: f["type"] == kind and all(f.get(k) == v for k, v in fields.items())


async def _position(client: ChatClient, position: int, timeout: float = 20,
                    start: int = 0) -> Frame:
    """Wait until the live status says this place (statuses are pushed, never polled)."""
    return await client.wait_for(_is("queue_status", position=position), timeout, start=start)


async def _queue(client: ChatClient, topic: str, **answers: str) -> Frame:
    answer = await client.request({"type": "queue_request", "topic": topic, "answers": answers})
    assert answer["type"] == "queued", answer
    return answer


async def _supporter(base_url: str, ws_url: str, username: str) -> tuple[StaffHttp, ChatClient]:
    http = StaffHttp(base_url)
    assert (await http.login(username, FACILITATOR_PASSWORD)).status_code == 200
    return http, await http.socket(ws_url)


async def _setup(admin: StaffHttp, *, supporters: list[str],
                 others: Sequence[str] = ()) -> dict[str, str]:
    ids = {name: await add_facilitator(admin, name, ["olohuone"])
           for name in [*supporters, *others]}
    put = await admin.put("/api/one-to-one/settings", {
        "questions": QUESTIONS, "supporters": [ids[n] for n in supporters]})
    assert put.status_code == 200, put.text
    return ids


async def _with_supporters(start_server: Any, db: str, redis_url: str, names: list[str],
                           **settings: object) -> tuple[Any, StaffHttp,
                                                        list[tuple[StaffHttp, ChatClient]]]:
    """A server on ``db`` (with Redis if ``redis_url``), its admin signed in, and ``names``
    made supporters, signed in, their consoles' sockets open."""
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, redis_url=redis_url, **{**FAST, **settings})
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    await _setup(admin, supporters=names)
    return server, admin, [await _supporter(server.url, server.ws_url, n) for n in names]


async def _two_processes(start_server: Any, redis_server: Any, pg_url: str,
                         **env: Any) -> tuple[Any, Any, StaffHttp]:
    """Two processes sharing Redis and PostgreSQL with these settings, and the admin signed in
    on the second."""
    password = create_admin({"DATABASE_URL": pg_url})
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **{**FAST, **env})
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **{**FAST, **env})
    admin = StaffHttp(b.url)
    await admin.login("admin", password)
    return a, b, admin


@pytest.fixture
def pair(start_server, redis_server, pg_url):
    password = create_admin({"DATABASE_URL": pg_url})
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST)
    return a, b, password


async def _in_two_conversations(b: Any, aino: ChatClient
                                ) -> tuple[ChatClient, Frame, str, ChatClient, Frame, str]:
    """Aino (capacity 2) takes a person waiting on process B (topic "uni", answers now=ok),
    and opens a private conversation from the crisis alert of a member of olohuone on B.
    Returns the person, their request, that conversation, the member, the alert and theirs."""
    await aino.request({"type": "support_available", "capacity": 2})
    p = await ChatClient.connect(b.ws_url)
    asked = await _queue(p, "uni", now="ok")
    conv = (await aino.request({"type": "support_take"}))["conv"]
    await p.wait_for(_is("conv_started", conv=conv))
    member = await ChatClient.connect(b.ws_url)
    await member.join("olohuone")
    await member.say("olohuone", "en jaksa enää, haluan kuolla")
    alert = (await aino.wait_for(lambda f: f["type"] == "alert"))["alert"]
    private = (await aino.request({"type": "conv_open", "alert": alert["id"]}))["conv"]
    await member.wait_for(_is("conv_started", conv=private))
    return p, asked, conv, member, alert, private


async def _waiting_after(server: Any) -> ChatClient:
    """Someone who asks for a conversation later, first in the queue."""
    later = await ChatClient.connect(server.ws_url)
    await _queue(later, "myöhemmin")
    await _position(later, 1)
    return later


async def test_queue_over_two_processes_crisis_transfer_and_a_killed_supporter(pair):
    a, b, password = pair
    admin = StaffHttp(b.url)
    await admin.login("admin", password)
    ids = await _setup(admin, supporters=["aino", "ville"])
    # Aino (capacity 1) works on process A, Ville (capacity 2) on process B.
    aino_http, aino = await _supporter(a.url, a.ws_url, "aino")
    ville_http, ville = await _supporter(b.url, b.ws_url, "ville")
    assert (await aino.request({"type": "support_available", "capacity": 1}))[
        "type"] == "support_status"
    assert (await ville.request({"type": "support_available", "capacity": 2}))[
        "type"] == "support_status"

    # Three participants queue (on process B, so they outlive A), and see their places.
    p1, p2, p3 = [await ChatClient.connect(b.ws_url) for _ in range(3)]
    for n, p in enumerate((p1, p2, p3), start=1):
        await _queue(p, f"aihe {n}", about="uni", age="o18", now="ok")
        await _position(p, n)
        # The crisis resources are shown while waiting.
        await p.wait_for(_is("crisis_resources"))
    # All four slots are free: nobody should wait, honestly.
    assert (await _position(p3, 3))["estimate_minutes"] == 0

    # A later arrival on process A says they are in crisis: first in the queue, flagged.
    p4 = await ChatClient.connect(a.ws_url)
    queued = await _queue(p4, "", now="crisis")
    assert queued["crisis"] is True
    await _position(p4, 1)
    for n, p in enumerate((p1, p2, p3), start=2):
        await _position(p, n)  # everyone else moved down, live
    listing = await ville.wait_for(lambda f: f["type"] == "queue" and len(f["waiting"]) == 4)
    assert listing["waiting"][0]["crisis"] is True
    assert listing["waiting"][1]["topic"] == "aihe 1"
    assert listing["waiting"][1]["answers"] == {"about": "uni", "age": "o18", "now": "ok"}
    assert "identity" not in listing["waiting"][0]

    # Aino takes the next person: the one in crisis. Ville takes two.
    mark1, mark3 = len(p1.frames), len(p3.frames)
    taken = await aino.request({"type": "support_take"})
    assert taken["type"] == "taken"
    conv4 = taken["conv"]
    started = await aino.wait_for(_is("conv_started", conv=conv4))
    assert started["crisis"] is True and started["answers"] == {"now": "crisis"}
    assert (await p4.wait_for(_is("conv_started", conv=conv4)))["name"] == "Aino"
    await _position(p1, 1, start=mark1)
    conv1 = (await ville.request({"type": "support_take"}))["conv"]
    conv2 = (await ville.request({"type": "support_take"}))["conv"]
    await p1.wait_for(_is("conv_started", conv=conv1))
    await p2.wait_for(_is("conv_started", conv=conv2))
    await _position(p3, 1, start=mark3)
    # Capacities hold, on both processes.
    assert (await ville.request({"type": "support_take"}))["code"] == "at_capacity"
    assert (await aino.request({"type": "support_take"}))["code"] == "at_capacity"

    # The conversation crosses processes both ways.
    await p4.request({"type": "conv_send", "conv": conv4, "text": "hei, kiitos"})
    await aino.wait_for(_is("conv_message", conv=conv4, text="hei, kiitos", **{"from":
                                                                               "participant"}))
    await aino.request({"type": "conv_send", "conv": conv4, "text": "Hei, olen tässä."})
    await p4.wait_for(_is("conv_message", conv=conv4, name="Aino"))

    # Ville is full: a transfer to him is refused and the conversation stays with Aino.
    refused = await aino.request({"type": "conv_transfer", "conv": conv4, "to": ids["ville"]})
    assert refused["code"] == "at_capacity"
    # Ville ends one conversation: the participant gets the crisis resources and a prompt.
    assert (await ville.request({"type": "conv_end", "conv": conv2}))["type"] == "conv_closed"
    ended = await p2.wait_for(_is("conv_ended", conv=conv2))
    assert ended["by"] == "supporter" and ended["feedback"] is True and ended["resources"]
    # Anonymous feedback, once, with the key only the participant was given.
    ville_view = await ville.wait_for(_is("conv_ended", conv=conv2))
    assert "feedback_key" not in ville_view
    feedback = {"type": "conv_feedback", "conv": conv2, "key": ended["feedback_key"],
                "rating": 5, "text": "Kiitos, auttoi."}
    forged = await p4.request({**feedback, "key": "x" * 24})
    assert forged["code"] == "conversation_not_found"
    assert (await ville.request(feedback))["code"] == "forbidden"
    assert (await p2.request(feedback))["type"] == "conv_feedback_saved"
    assert (await p2.request(feedback))["code"] == "feedback_given"
    stats = (await admin.http.get("/api/one-to-one/stats")).json()["feedback"]
    assert (stats["count"], stats["rating"], stats["ratings"]["5"]) == (1, 5.0, 1)

    # Now the transfer: the same conversation, the history, and a note only Ville sees.
    note = "Kriisi, soitti jo 112:een? Kysy vointia."
    moved = await aino.request({"type": "conv_transfer", "conv": conv4, "to": ids["ville"],
                                "note": note})
    assert moved["type"] == "conv_handed_over"
    handed = await ville.wait_for(_is("conv_started", conv=conv4))
    assert handed["handover"] == note
    assert [m["text"] for m in handed["history"]] == ["hei, kiitos", "Hei, olen tässä."]
    assert (await p4.wait_for(_is("conv_transferred", conv=conv4)))["name"] == "Ville"
    await p4.request({"type": "conv_send", "conv": conv4, "text": "vieläkö olet siellä"})
    await ville.wait_for(_is("conv_message", conv=conv4, text="vieläkö olet siellä"))
    assert (await aino.request({"type": "conv_send", "conv": conv4, "text": "x"}))[
        "code"] == "conversation_not_found"
    assert not any(note in str(f) for f in p4.frames), "the handover note is private"

    # Aino is free again and takes P3; a fifth person queues behind.
    conv3 = (await aino.request({"type": "support_take"}))["conv"]
    await p3.wait_for(_is("conv_started", conv=conv3))
    p5 = await ChatClient.connect(b.ws_url)
    await _queue(p5, "aihe 5", now="ok")
    await _position(p5, 1)

    # Aino's process is killed: P3 is not lost but back at the FRONT, ahead of P5.
    mark3, mark5 = len(p3.frames), len(p5.frames)
    a.stop(signal.SIGKILL)
    await p3.wait_for(_is("conv_interrupted", conv=conv3), timeout=30, start=mark3)
    back = await _position(p3, 1, timeout=30, start=mark3)
    assert back.get("returned") is True
    await _position(p5, 2, start=mark5)
    mark5 = len(p5.frames)
    # Ville ends P1's conversation and takes the next: P3, not P5.
    await ville.request({"type": "conv_end", "conv": conv1})
    conv3b = (await ville.request({"type": "support_take"}))["conv"]
    assert (await p3.wait_for(_is("conv_started", conv=conv3b)))["name"] == "Ville"
    await _position(p5, 1, start=mark5)

    # Statistics: no identities, served and waiting people counted once each.
    stats = (await admin.http.get("/api/one-to-one/stats")).json()
    print(f"\none-to-one statistics after the two-process run: {stats}")
    assert stats["conversations"] == 4  # P1-P4 (P3's second start is not a second request)
    assert stats["crisis_flagged"] == 1
    assert stats["wait_median_seconds"] is not None
    for c in (p1, p2, p3, p4, p5, ville, aino):
        await c.close()
    for h in (admin, aino_http, ville_http):
        await h.close()


@pytest.fixture
async def single(start_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/oo.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, **FAST)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    yield server, admin
    await admin.close()


async def test_a_supporter_whose_right_is_taken_away_no_longer_sees_who_waits(
        start_server, tmp_path):
    """An admin takes Aino's one-to-one right away while her console is open: she is told,
    and the waiting list (people's topics and answers) and new people stop coming to her.
    Before, her open console kept getting every waiting person's topic and answers."""
    server, admin, [(aino_http, aino)] = await _with_supporters(
        start_server, f"sqlite+aiosqlite:///{tmp_path}/revoked.sqlite3", "", ["aino"])
    await aino.request({"type": "support_available", "capacity": 0})
    first = await ChatClient.connect(server.ws_url)
    await _queue(first, "eka")
    await aino.wait_for(lambda f: f["type"] == "queue"
                        and [w["topic"] for w in f["waiting"]] == ["eka"])
    put = await admin.put("/api/one-to-one/settings", {"questions": QUESTIONS,
                                                       "supporters": []})
    assert put.status_code == 200, put.text
    await aino.wait_for(_is("support_revoked"), timeout=10)
    mark = len(aino.frames)
    second = await ChatClient.connect(server.ws_url)
    await _queue(second, "toka")
    await asyncio.sleep(1.5)
    assert not [f for f in aino.frames[mark:] if f["type"] == "queue"], aino.frames[mark:]
    assert (await aino.request({"type": "support_take"}))["code"] == "forbidden"
    for c in (first, second, aino):
        await c.close()
    for http in (admin, aino_http):
        await http.close()


async def test_who_may_do_what(single):
    server, admin = single
    ids = await _setup(admin, supporters=["aino", "ville"], others=["kalle"])
    aino_http, aino = await _supporter(server.url, server.ws_url, "aino")
    ville_http, ville = await _supporter(server.url, server.ws_url, "ville")
    kalle_http, kalle = await _supporter(server.url, server.ws_url, "kalle")
    p1 = await ChatClient.connect(server.ws_url)
    p2 = await ChatClient.connect(server.ws_url)

    # A participant cannot act as a supporter.
    for frame in ({"type": "support_available", "capacity": 1}, {"type": "support_take"}):
        assert (await p1.request(frame))["code"] == "forbidden"
    # A facilitator without the one-to-one permission cannot either.
    for frame in ({"type": "support_available", "capacity": 1}, {"type": "support_take"}):
        assert (await kalle.request(frame))["code"] == "forbidden"
    # Staff do not queue as participants.
    assert (await aino.request({"type": "queue_request"}))["code"] == "forbidden"
    # Taking needs availability first.
    assert (await aino.request({"type": "support_take"}))["code"] == "not_available"

    await aino.request({"type": "support_available", "capacity": 1})
    await ville.request({"type": "support_available", "capacity": 1})
    assert (await aino.request({"type": "support_take"}))["code"] == "queue_empty"
    await _queue(p1, "")
    conv = (await aino.request({"type": "support_take"}))["conv"]
    await p1.wait_for(_is("conv_started", conv=conv))

    # No one else reads, writes in, ends or moves the conversation.
    for intruder in (p2, ville, kalle):
        for frame in ({"type": "conv_send", "conv": conv, "text": "kuka siellä"},
                      {"type": "conv_end", "conv": conv},
                      {"type": "conv_transfer", "conv": conv, "to": ids["ville"]},
                      {"type": "conv_warn", "conv": conv}):
            assert (await intruder.request(frame))["code"] == "conversation_not_found", frame
    # The participant cannot transfer or warn in their own conversation.
    for frame in ({"type": "conv_transfer", "conv": conv, "to": ids["ville"]},
                  {"type": "conv_warn", "conv": conv}):
        assert (await p1.request(frame))["code"] == "forbidden"
    await p1.request({"type": "conv_send", "conv": conv, "text": "oma viesti"})
    await aino.wait_for(_is("conv_message", text="oma viesti"))
    for other in (p2, ville, kalle):
        assert not any(f.get("text") == "oma viesti" for f in other.frames)

    # The moderation tools: a warning reaches the participant; either side may end.
    await aino.request({"type": "conv_warn", "conv": conv, "reason": "ei yhteystietoja"})
    assert (await p1.wait_for(_is("conv_warned", conv=conv)))["reason"] == "ei yhteystietoja"
    # Crisis language in the conversation: resources to the participant, an alert to Aino.
    mark = len(p1.frames)
    await p1.request({"type": "conv_send", "conv": conv, "text": "en halua enää elää"})
    await p1.wait_for(_is("crisis_resources"), start=mark)
    await aino.wait_for(_is("conv_alert", conv=conv, reason="crisis"))
    await p1.request({"type": "conv_end", "conv": conv})
    assert (await p1.wait_for(_is("conv_ended", conv=conv)))["by"] == "participant"
    await aino.wait_for(_is("conv_ended", conv=conv))

    # A ban ends the conversation and keeps the participant out of the queue; others not.
    await _queue(p2, "")
    conv2 = (await ville.request({"type": "support_take"}))["conv"]
    await p2.wait_for(_is("conv_started", conv=conv2))
    assert (await p1.request({"type": "conv_ban", "conv": conv2}))["code"] == (
        "conversation_not_found")
    banned = await ville.request({"type": "conv_ban", "conv": conv2, "reason": "uhkailua"})
    assert banned["type"] == "conv_closed"
    await p2.wait_for(_is("conv_ended", conv=conv2, by="supporter"))
    assert (await p2.request({"type": "queue_request"}))["code"] == "banned"
    assert (await p1.request({"type": "queue_request"}))["type"] == "queued"

    # HTTP: statistics and settings are for admins.
    assert (await kalle_http.http.get("/api/one-to-one/stats")).status_code == 403
    assert (await kalle_http.put("/api/one-to-one/settings", {"supporters": [ids["kalle"]]})
            ).status_code == 403
    import httpx

    async with httpx.AsyncClient(base_url=server.url) as anon:
        assert (await anon.get("/api/one-to-one/stats")).status_code == 401
        public = (await anon.get("/api/one-to-one")).json()
        assert public["open"] is True and public["questions"][0]["id"] == "about"
        assert "supporters" not in public
    # Taking the permission away works at once.
    await admin.put("/api/one-to-one/settings", {"supporters": [ids["ville"]]})
    assert (await aino.request({"type": "support_take"}))["code"] == "forbidden"
    for c in (p1, p2, aino, ville, kalle):
        await c.close()
    for h in (aino_http, ville_http, kalle_http):
        await h.close()


async def test_bad_requests_leaving_and_closed_hours(single):
    server, admin = single
    await _setup(admin, supporters=[])
    p = await ChatClient.connect(server.ws_url)
    too_long = await p.request({"type": "queue_request", "topic": "x" * 201})
    assert too_long["code"] == "invalid_frame"
    unknown = await p.request({"type": "queue_request", "answers": {"shoe_size": "42"}})
    assert (unknown["code"], unknown["reason"]) == ("invalid_answers", "unknown_question")
    bad_choice = await p.request({"type": "queue_request", "answers": {"age": "99"}})
    assert bad_choice["reason"] == "unknown_choice"
    too_many = await p.request({"type": "queue_request",
                                "answers": {f"q{i}": "x" for i in range(9)}})
    assert too_many["code"] == "invalid_frame"
    assert (await p.request({"type": "queue_leave"}))["code"] == "not_queued"

    # Nothing was lost by the refusals: a good request queues, with no supporter the wait is
    # honestly unknown, and leaving counts as abandoned.
    await _queue(p, "yksinäisyys", age="u18")
    status = await _position(p, 1)
    assert status["estimate_minutes"] is None
    assert (await p.request({"type": "queue_request"}))["code"] == "already_queued"
    assert (await p.request({"type": "queue_leave"}))["type"] == "queue_left"
    stats = (await admin.http.get("/api/one-to-one/stats")).json()
    assert (stats["requests"], stats["abandoned"], stats["conversations"]) == (1, 1, 0)

    # Opening hours that never include now: closed, with the next opening and resources.
    bad = await admin.put("/api/one-to-one/settings", {"hours": [{"weekdays": [7],
                                                                  "start": "18:00",
                                                                  "minutes": 60}]})
    assert bad.status_code == 400
    elsewhen = (datetime.now(ZoneInfo("Europe/Helsinki")).weekday() + 3) % 7
    put = await admin.put("/api/one-to-one/settings", {"hours": [
        {"weekdays": [elsewhen], "start": "12:00", "minutes": 60}]})
    assert put.status_code == 200
    mark = len(p.frames)
    closed = await p.request({"type": "queue_request"})
    assert closed["code"] == "queue_closed" and closed["reason"]
    await p.wait_for(_is("crisis_resources"), start=mark)
    public = (await admin.http.get("/api/one-to-one")).json()
    assert public["open"] is False and public["next_open"] == closed["reason"]
    await p.close()


async def test_auto_offer_and_an_estimate_that_follows_capacity(single):
    server, admin = single
    await _setup(admin, supporters=["aino"])
    aino_http, aino = await _supporter(server.url, server.ws_url, "aino")
    p1, p2 = [await ChatClient.connect(server.ws_url) for _ in range(2)]
    await _queue(p1, "")
    assert (await _position(p1, 1))["estimate_minutes"] is None  # nobody to talk to yet
    # The public page can say so honestly before anyone queues.
    assert (await admin.http.get("/api/one-to-one")).json()["supporters_available"] == 0
    # Aino becomes available with automatic offers: P1 is given to her without a take.
    await aino.request({"type": "support_available", "capacity": 1, "auto": True})
    started = await p1.wait_for(_is("conv_started"))
    await aino.wait_for(_is("conv_started", conv=started["conv"]))
    # P2 waits behind a full house: a finite estimate (the default conversation length).
    await _queue(p2, "")
    waiting = await _position(p2, 1)
    assert waiting["estimate_minutes"] == 10  # half of the 20-minute default, one slot
    assert (await admin.http.get("/api/one-to-one")).json()["supporters_available"] == 1
    # When P1's conversation ends, P2 is offered at once.
    await p1.request({"type": "conv_end", "conv": started["conv"]})
    await p2.wait_for(_is("conv_started"))
    # Aino's socket closing makes her unavailable: the next person's wait is unknown again.
    await aino.close()
    p3 = await ChatClient.connect(server.ws_url)
    await _queue(p3, "")
    assert (await _position(p3, 1))["estimate_minutes"] is None
    for c in (p1, p2, p3):
        await c.close()
    await aino_http.close()


@pytest.fixture
def slow_sweep_pair(start_server, redis_server, pg_url):
    """Two processes whose liveness lapses only after five minutes (anything returned sooner
    was not found by the sweeper of a lapsed process), and whose supporters are away after 2 s
    and gone after 5 s."""
    password = create_admin({"DATABASE_URL": pg_url})
    env = {**FAST, "presence_ttl_seconds": 300, "handler_gone_seconds": 2,
           "supporter_requeue_seconds": 5}
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **env)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **env)
    return a, b, password


async def test_a_supporter_not_back_after_their_process_stopped_cleanly_hands_their_people_back(
        slow_sweep_pair):
    """A deploy stops Aino's process and her console does not come back. Her person waits
    for her as for a console gone while its process lives (not handed back at the stop
    itself, as before: a console closed with 1012 is normally back within seconds,
    tests/test_one_to_one_process_death.py): told she is away at HANDLER_GONE_SECONDS, back
    at the front of the queue at SUPPORTER_REQUEUE_SECONDS, by the other process."""
    a, b, password = slow_sweep_pair
    admin = StaffHttp(b.url)
    await admin.login("admin", password)
    await _setup(admin, supporters=["aino"])
    aino_http, aino = await _supporter(a.url, a.ws_url, "aino")
    await aino.request({"type": "support_available", "capacity": 1})
    p = await ChatClient.connect(b.ws_url)
    await _queue(p, "")
    conv = (await aino.request({"type": "support_take"}))["conv"]
    await p.wait_for(_is("conv_started", conv=conv))
    mark = len(p.frames)
    a.stop(signal.SIGTERM)  # a deploy: no heartbeat lapse needed
    await p.wait_for(_is("conv_supporter_away", conv=conv), timeout=30, start=mark)
    assert not [f for f in p.frames[mark:] if f["type"] == "conv_interrupted"]
    interrupted = await p.wait_for(_is("conv_interrupted", conv=conv), timeout=30, start=mark)
    assert interrupted["reason"] == "supporter_gone"
    assert (await _position(p, 1, start=mark)).get("returned") is True
    await p.close()
    await admin.close()
    await aino_http.close()


def _listing(size: int) -> Callable[[Frame], bool]:
    return lambda f: f["type"] == "queue" and len(f["waiting"]) == size


async def test_a_dropped_connection_keeps_the_place_and_the_conversation(start_server,
                                                                         redis_server, pg_url):
    """A phone changing networks or a reloaded page: the participant comes back (on another
    process too) with their token to the same place in the queue, and to their conversation
    with what was said meanwhile. One who does not come back leaves after the grace time;
    nobody else can claim another's place or conversation."""
    password = create_admin({"DATABASE_URL": pg_url})
    env = {**FAST, "queue_reattach_seconds": 2}
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **env)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **env)
    admin = StaffHttp(a.url)
    await admin.login("admin", password)
    await _setup(admin, supporters=["aino"])
    aino_http, aino = await _supporter(a.url, a.ws_url, "aino")
    await aino.request({"type": "support_available", "capacity": 2})
    p1, p2, gone = [await ChatClient.connect(a.ws_url) for _ in range(3)]
    await _queue(p1, "eka")
    asked = await _queue(p2, "toka")
    await _queue(gone, "kolmas")
    await _position(gone, 3)

    await p2.close()  # the connection drops ...
    p2 = await ChatClient.connect(b.ws_url, token=p2.token)  # ... and comes back elsewhere
    stranger = await ChatClient.connect(b.ws_url)
    refused = await stranger.request({"type": "queue_resume", "request": asked["request"]})
    assert refused["code"] == "not_queued"
    back = await p2.request({"type": "queue_resume", "request": asked["request"]})
    assert (back["type"], back["request"], back["resumed"]) == ("queued", asked["request"], True)
    assert (await _position(p2, 2))["request"] == asked["request"]
    # A second tab of the same person (on the other process) gets the same place, not a
    # second one; closing that tab does not take the place from the first.
    tab = await ChatClient.connect(a.ws_url, token=p2.token)
    again = await tab.request({"type": "queue_request", "topic": "toka"})
    assert again["request"] == asked["request"]
    await _position(tab, 2)
    await tab.close()

    # Never comes back: out of the queue after the grace time (and the heartbeat that finds
    # it), so the listing of 2 to wait for is one that comes after the close, not the one
    # from before the third person queued.
    mark = len(aino.frames)
    await gone.close()
    await aino.wait_for(_listing(2), timeout=20, start=mark)
    await asyncio.sleep(3)  # the tab's grace time is over too
    assert (await _position(p2, 2))["request"] == asked["request"]
    assert [len(f["waiting"]) for f in aino.frames if f["type"] == "queue"][-1] == 2
    await aino.request({"type": "support_take"})
    conv = (await aino.request({"type": "support_take"}))["conv"]
    await p2.wait_for(_is("conv_started", conv=conv))
    await aino.request({"type": "conv_send", "conv": conv, "text": "Hei, olen tässä."})
    await p2.wait_for(_is("conv_message", conv=conv, text="Hei, olen tässä."))

    await p2.close()
    await aino.request({"type": "conv_send", "conv": conv, "text": "Oletko vielä siellä?"})
    p2 = await ChatClient.connect(a.ws_url, token=p2.token)
    refused = await stranger.request({"type": "conv_resume", "conv": conv})
    assert refused["code"] == "conversation_not_found"
    resumed = await p2.request({"type": "conv_resume", "conv": conv})
    assert (resumed["type"], resumed["role"], resumed["name"]) == ("conv_started",
                                                                  "participant", "Aino")
    assert [m["text"] for m in resumed["history"]] == ["Hei, olen tässä.", "Oletko vielä siellä?"]
    await p2.request({"type": "conv_send", "conv": conv, "text": "Olen, yhteys katkesi."})
    await aino.wait_for(_is("conv_message", conv=conv, text="Olen, yhteys katkesi."))
    # The supporter's reloaded console gets it back too, with the pre-chat answers.
    aino2 = await aino_http.socket(b.ws_url)
    mine = await aino2.request({"type": "conv_resume", "conv": conv})
    assert (mine["role"], mine["topic"], len(mine["history"])) == ("supporter", "toka", 3)
    stats = (await admin.http.get("/api/one-to-one/stats")).json()
    assert (stats["requests"], stats["abandoned"]) == (3, 1)
    for c in (p1, p2, stranger, aino, aino2):
        await c.close()
    await aino_http.close()
    await admin.close()


@pytest.mark.parametrize("broker", ["memory", "redis"])
async def test_a_supporters_new_socket_gets_their_open_conversations_back(
        start_server, redis_server, tmp_path, broker):
    """A reloaded console: the conversation stays the supporter's, and saying they are
    available again (any capacity, 0 too) sends it to the new socket with its history."""
    server, admin, [(aino_http, aino)] = await _with_supporters(
        start_server, f"sqlite+aiosqlite:///{tmp_path}/resume.sqlite3",
        redis_server.url if broker == "redis" else "", ["aino"])
    await aino.request({"type": "support_available", "capacity": 1})
    p = await ChatClient.connect(server.ws_url)
    await _queue(p, "uni", now="ok")
    conv = (await aino.request({"type": "support_take"}))["conv"]
    await p.wait_for(_is("conv_started", conv=conv))
    await p.request({"type": "conv_send", "conv": conv, "text": "Hei"})
    await aino.wait_for(_is("conv_message", conv=conv))
    await aino.close()  # the page is reloaded
    again = await aino_http.socket(server.ws_url)
    status = await again.request({"type": "support_available", "capacity": 0})
    assert (status["type"], status["convs"]) == ("support_status", [conv])
    resumed = await again.wait_for(_is("conv_started", conv=conv))
    assert resumed["role"] == "supporter" and resumed["resumed"] is True
    assert resumed["topic"] == "uni" and resumed["answers"] == {"now": "ok"}
    assert [m["text"] for m in resumed["history"]] == ["Hei"]
    assert "identity" not in resumed and "handover" not in resumed
    # Still hers: she can end it from the new socket.
    assert (await again.request({"type": "conv_end", "conv": conv}))["type"] == "conv_closed"
    await p.wait_for(_is("conv_ended", conv=conv))
    for c in (p, again):
        await c.close()
    await admin.close()
    await aino_http.close()


async def test_a_deploy_keeps_the_places_of_people_waiting_on_the_stopped_process(
        start_server, redis_server, pg_url):
    """SIGTERM (a deploy): the people waiting on that process reconnect to another one and
    claim their places; a place nobody claims is dropped by the other process after the
    grace time and counted as abandoned."""
    a, b, admin = await _two_processes(start_server, redis_server, pg_url,
                                       queue_reattach_seconds=4)
    await _setup(admin, supporters=["aino"])
    aino_http, aino = await _supporter(b.url, b.ws_url, "aino")
    await aino.request({"type": "support_available", "capacity": 1})
    first = await ChatClient.connect(b.ws_url)
    await _queue(first, "eka")
    mover = await ChatClient.connect(a.ws_url)
    asked = await _queue(mover, "toka")
    gone = await ChatClient.connect(a.ws_url)
    await _queue(gone, "kolmas")
    await _position(gone, 3)

    mark = len(aino.frames)
    a.stop(signal.SIGTERM)
    code, _ = await asyncio.wait_for(mover.closed, 20)
    assert code == 1012
    mover = await ChatClient.connect(b.ws_url, token=mover.token)
    resumed = await mover.request({"type": "queue_resume", "request": asked["request"]})
    assert (resumed["type"], resumed["request"]) == ("queued", asked["request"]), resumed
    assert (await _position(mover, 2))["request"] == asked["request"]
    await aino.wait_for(_listing(2), timeout=30, start=mark)  # the unclaimed place, later
    assert [r["topic"] for r in next(f for f in reversed(aino.frames)
                                     if f["type"] == "queue")["waiting"]] == ["eka", "toka"]
    stats = (await admin.http.get("/api/one-to-one/stats")).json()
    assert (stats["requests"], stats["abandoned"]) == (1, 1)  # the two still waiting: not yet
    for c in (first, mover, aino):
        await c.close()
    await aino_http.close()
    await admin.close()


async def test_people_are_told_when_their_supporter_is_gone_and_when_back(
        start_server, redis_server, pg_url):
    """Aino's laptop shuts mid-conversation (her socket goes, her process lives on): after
    HANDLER_GONE_SECONDS the participant is told that she is away, with the crisis lines,
    never left writing to nobody. A reload within that time (here on the other process) says
    nothing. What the participant writes meanwhile reaches her when she is back, and the
    participant is told that she is."""
    a, b, admin = await _two_processes(start_server, redis_server, pg_url,
                                       handler_gone_seconds=2)
    await _setup(admin, supporters=["aino"])
    aino_http, aino = await _supporter(a.url, a.ws_url, "aino")
    await aino.request({"type": "support_available", "capacity": 1})
    p = await ChatClient.connect(b.ws_url)
    await _queue(p, "")
    conv = (await aino.request({"type": "support_take"}))["conv"]
    await p.wait_for(_is("conv_started", conv=conv))

    await aino.close()
    aino = await aino_http.socket(b.ws_url)
    await aino.request({"type": "support_available", "capacity": 1})
    await aino.wait_for(_is("conv_started", conv=conv, resumed=True))
    await asyncio.sleep(4)
    assert not [f for f in p.frames if f["type"] == "conv_supporter_away"]

    mark = len(p.frames)
    await aino.close()
    away = await p.wait_for(_is("conv_supporter_away", conv=conv), timeout=15, start=mark)
    assert "112" in str(away["resources"])
    sent = await p.request({"type": "conv_send", "conv": conv, "text": "Oletko siellä?"})
    assert sent["type"] != "error", sent
    aino = await aino_http.socket(a.ws_url)
    await aino.request({"type": "support_available", "capacity": 1})
    resumed = await aino.wait_for(_is("conv_started", conv=conv, resumed=True))
    assert [m["text"] for m in resumed["history"]] == ["Oletko siellä?"]
    await p.wait_for(_is("conv_supporter_back", conv=conv), start=mark)
    assert len([f for f in p.frames if f["type"] == "conv_supporter_away"]) == 1
    for c in (p, aino):
        await c.close()
    await admin.close()
    await aino_http.close()


@pytest.mark.parametrize("broker", ["memory", "redis"])
async def test_a_supporter_gone_too_long_hands_their_people_back_to_the_queue(
        start_server, redis_server, tmp_path, broker):
    """Aino's laptop shuts mid-conversation and she does not come back: the participant is
    told she is away (HANDLER_GONE_SECONDS), and at SUPPORTER_REQUEUE_SECONDS the
    conversation ends and the participant is back at the front of the queue, where Ville
    takes them; Aino's load is freed. Someone else's conversation, whose supporter stayed,
    is untouched."""
    server, admin, [(aino_http, aino), (ville_http, ville)] = await _with_supporters(
        start_server, f"sqlite+aiosqlite:///{tmp_path}/requeue.sqlite3",
        redis_server.url if broker == "redis" else "", ["aino", "ville"],
        handler_gone_seconds=2, supporter_requeue_seconds=5)
    await aino.request({"type": "support_available", "capacity": 1})
    p = await ChatClient.connect(server.ws_url)
    await _queue(p, "uni", now="ok")
    conv = (await aino.request({"type": "support_take"}))["conv"]
    await p.wait_for(_is("conv_started", conv=conv))
    await ville.request({"type": "support_available", "capacity": 1})
    other = await ChatClient.connect(server.ws_url)
    await _queue(other, "")
    kept = (await ville.request({"type": "support_take"}))["conv"]
    await other.wait_for(_is("conv_started", conv=kept))

    mark = len(p.frames)
    await aino.close()
    await p.wait_for(_is("conv_supporter_away", conv=conv), timeout=15, start=mark)
    assert not [f for f in p.frames[mark:] if f["type"] == "conv_interrupted"]
    interrupted = await p.wait_for(_is("conv_interrupted", conv=conv), timeout=20, start=mark)
    assert interrupted["reason"] == "supporter_gone"
    back = await _position(p, 1, start=mark)
    assert back.get("returned") is True
    assert (await ville.request({"type": "conv_end", "conv": kept}))["type"] == "conv_closed"
    taken = await ville.request({"type": "support_take"})
    assert taken["type"] == "taken", taken
    started = await p.wait_for(_is("conv_started", conv=taken["conv"]), start=mark)
    assert started["name"] == "Ville"
    # Aino's slot is free again: back online, she can take the next person.
    aino = await aino_http.socket(server.ws_url)
    await aino.request({"type": "support_available", "capacity": 1})
    third = await ChatClient.connect(server.ws_url)
    await _queue(third, "")
    assert (await aino.request({"type": "support_take"}))["type"] == "taken"
    assert not [f for f in other.frames if f["type"] == "conv_interrupted"]
    for c in (p, other, third, aino, ville):
        await c.close()
    for http in (admin, aino_http, ville_http):
        await http.close()


async def test_a_crisis_request_taken_from_the_queue_takes_its_alert_and_never_escalates(
        start_server, redis_server, pg_url):
    """Two people in crisis queue; Aino takes the first: its alert is hers on every console
    (not escalated to the admins a minute later while she is with the person), and resolved
    as supported when the conversation ends. The one nobody takes still escalates."""
    escalate = 1.5
    a, b, admin = await _two_processes(start_server, redis_server, pg_url,
                                       alert_escalate_seconds=escalate)
    await _setup(admin, supporters=["aino"])
    aino_http, aino = await _supporter(a.url, a.ws_url, "aino")
    assert (await aino.request({"type": "support_available", "capacity": 1}))[
        "type"] == "support_status"
    console = await admin.socket(b.ws_url)
    first, second = await ChatClient.connect(a.ws_url), await ChatClient.connect(b.ws_url)
    alerts = []
    for person in (first, second):
        await _queue(person, "", now="crisis")
        alerts.append((await console.wait_for(
            lambda f: f["type"] == "alert" and f["why"] == "one_to_one_crisis"
            and f["alert"]["id"] not in [x["id"] for x in alerts]))["alert"])
    conv = (await aino.request({"type": "support_take"}))["conv"]
    await first.wait_for(_is("conv_started", conv=conv))
    taken = await console.wait_for(lambda f: f["type"] == "alert_changed"
                                   and f["alert"]["id"] == alerts[0]["id"])
    assert (taken["alert"]["state"], taken["alert"]["acknowledged_by"]) == (
        "acknowledged", "Aino")
    escalated = await console.wait_for(_is("alert_escalated"), timeout=escalate + 3)
    assert escalated["alert"]["id"] == alerts[1]["id"]
    assert (await aino.request({"type": "conv_end", "conv": conv}))["type"] == "conv_closed"
    done = await console.wait_for(lambda f: f["type"] == "alert_changed"
                                  and f["alert"]["id"] == alerts[0]["id"]
                                  and f["alert"]["state"] == "resolved")
    assert (done["alert"]["outcome"], done["alert"]["resolved_by"]) == ("supported", "Aino")
    assert [f["alert"]["id"] for f in console.frames if f["type"] == "alert_escalated"] == [
        alerts[1]["id"]]
    for ws in (first, second, aino, console):
        await ws.close()
    for http in (aino_http, admin):
        await http.close()


@pytest.mark.parametrize("broker", ["memory", "redis"])
async def test_a_person_taken_while_their_connection_was_down_gets_the_conversation(
        start_server, redis_server, tmp_path, broker):
    """A phone's connection drops while its person waits, and Aino takes them meanwhile (the
    conv_started goes nowhere): coming back with queue_resume gives the conversation, with
    what Aino wrote, never "not_queued" (the page said the place was lost while Aino
    waited for an answer). Nobody else gets it that way."""
    server, admin, [(aino_http, aino)] = await _with_supporters(
        start_server, f"sqlite+aiosqlite:///{tmp_path}/taken.sqlite3",
        redis_server.url if broker == "redis" else "", ["aino"])
    await aino.request({"type": "support_available", "capacity": 1})
    p = await ChatClient.connect(server.ws_url)
    asked = await _queue(p, "ilta")
    await _position(p, 1)
    await p.close()  # the connection drops ...
    conv = (await aino.request({"type": "support_take"}))["conv"]
    await aino.request({"type": "conv_send", "conv": conv, "text": "Hei, olen Aino."})
    stranger = await ChatClient.connect(server.ws_url)
    refused = await stranger.request({"type": "queue_resume", "request": asked["request"]})
    assert refused["code"] == "not_queued"
    p = await ChatClient.connect(server.ws_url, token=p.token)  # ... and comes back
    back = await p.request({"type": "queue_resume", "request": asked["request"]})
    assert back["type"] == "conv_started", back
    assert (back["type"], back["conv"], back["role"], back["resumed"], back["name"]) == (
        "conv_started", conv, "participant", True, "Aino"), back
    assert [m["text"] for m in back["history"]] == ["Hei, olen Aino."]
    await p.request({"type": "conv_send", "conv": conv, "text": "Olen täällä."})
    await aino.wait_for(_is("conv_message", conv=conv, text="Olen täällä."))
    for c in (p, stranger, aino):
        await c.close()
    await aino_http.close()
    await admin.close()


async def test_a_person_waiting_is_told_at_once_when_nobody_is_on_duty_any_more(
        start_server, redis_server, pg_url):
    """Aino is the only supporter on duty, on process A; a person waits on B and is told
    their turn comes soon. A is killed (no socket closes in order, no conversation comes
    back, no event says so): within a few heartbeats the person's status says that nobody
    is on duty and the wait cannot be known, not 'soon' for good. When Ville comes on duty
    it says so again."""
    a, b, admin = await _two_processes(start_server, redis_server, pg_url)
    await _setup(admin, supporters=["aino", "ville"])
    aino_http, aino = await _supporter(a.url, a.ws_url, "aino")
    await aino.request({"type": "support_available", "capacity": 1})
    ville_http, ville = await _supporter(b.url, b.ws_url, "ville")
    p = await ChatClient.connect(b.ws_url)
    await _queue(p, "")
    status = await p.wait_for(_is("queue_status", position=1, estimate_minutes=0))
    assert status["supporters_available"] == 1
    mark = len(p.frames)
    a.stop(signal.SIGKILL)
    nobody = await p.wait_for(_is("queue_status", estimate_minutes=None), timeout=20,
                              start=mark)
    assert nobody["supporters_available"] == 0
    mark = len(p.frames)
    await ville.request({"type": "support_available", "capacity": 1})
    back = await p.wait_for(_is("queue_status", estimate_minutes=0), start=mark)
    assert back["supporters_available"] == 1
    for c in (p, ville):
        await c.close()
    for h in (admin, aino_http, ville_http):
        await h.close()


async def test_a_conversation_from_an_alert_moves_only_to_staff_of_that_group(single):
    """Sanna answers an alert in olohuone in private and tries to hand the conversation to
    Pekka, a one-to-one supporter who facilitates another group: refused, so he never sees
    the person's pseudonym in a group that is not his, and the person is never handed to
    someone whose every message would be refused. It stays Sanna's."""
    server, admin = single
    await _setup(admin, supporters=[], others=["sanna"])
    pekka_id = await add_facilitator(admin, "pekka", ["laheiset"])
    assert (await admin.put("/api/one-to-one/settings", {"supporters": [pekka_id]})
            ).status_code == 200
    sanna_http, sanna = await _supporter(server.url, server.ws_url, "sanna")
    pekka_http, pekka = await _supporter(server.url, server.ws_url, "pekka")
    assert (await pekka.request({"type": "support_available", "capacity": 2}))[
        "type"] == "support_status"
    person = await ChatClient.connect(server.ws_url)
    await person.join("olohuone")
    await person.say("olohuone", "en jaksa enää, haluan kuolla")
    alert = (await sanna.wait_for(lambda f: f["type"] == "alert"))["alert"]
    opened = await sanna.request({"type": "conv_open", "alert": alert["id"]})
    conv = opened["conv"]
    await person.wait_for(_is("conv_started", conv=conv))
    moved = await sanna.request({"type": "conv_transfer", "conv": conv, "to": pekka_id})
    assert moved["code"] == "forbidden", moved
    await asyncio.sleep(0.5)
    assert not [f for f in pekka.frames if f.get("conv") == conv]
    assert not [f for f in person.frames if f["type"] == "conv_transferred"]
    assert (await sanna.request({"type": "conv_send", "conv": conv, "text": "Olen tässä."}))[
        "type"] == "conv_sent"
    for c in (person, sanna, pekka):
        await c.close()
    for h in (sanna_http, pekka_http):
        await h.close()


async def test_a_supporter_whose_right_is_taken_away_hands_their_people_back_to_the_queue(
        start_server, redis_server, pg_url):
    """Aino (console on process A) is in a conversation with a person waiting on B and in one
    she opened from an alert in her group, when an admin takes her one-to-one right away.
    Before, the conversation stayed hers while every message she wrote was refused, and the
    person waited for an answer that could never come, told nothing. Now it ends for her
    (conv_ended, by revoked), and the person is told and back in the queue in their place,
    ahead of someone who came after them, with their topic and answers, where Ville takes
    them. The conversation from the alert rests on her group's right and goes on."""
    a, b, admin = await _two_processes(start_server, redis_server, pg_url)
    ids = await _setup(admin, supporters=["aino", "ville"])
    aino_http, aino = await _supporter(a.url, a.ws_url, "aino")
    p, asked, conv, member, _, private = await _in_two_conversations(b, aino)
    await aino.request({"type": "conv_send", "conv": conv, "text": "Hei, olen Aino."})
    await p.wait_for(_is("conv_message", conv=conv))
    later = await _waiting_after(a)

    mark_p, mark_later = len(p.frames), len(later.frames)
    put = await admin.put("/api/one-to-one/settings", {"supporters": [ids["ville"]]})
    assert put.status_code == 200, put.text
    await aino.wait_for(_is("support_revoked"), timeout=10)
    ended = await aino.wait_for(_is("conv_ended", conv=conv), timeout=10)
    assert ended["by"] == "revoked"
    told = await p.wait_for(_is("conv_interrupted", conv=conv), timeout=10, start=mark_p)
    assert (told["reason"], told["request"]) == ("supporter_revoked", asked["request"])
    back = await _position(p, 1, start=mark_p)
    assert (back["request"], back.get("returned")) == (asked["request"], True)
    assert back["supporters_available"] == 0  # Ville is not on duty yet: said honestly
    await _position(later, 2, start=mark_later)
    refused = await aino.request({"type": "conv_send", "conv": conv, "text": "Oletko siellä?"})
    assert refused["code"] == "conversation_not_found", refused
    assert not [f for f in member.frames if f["type"] in ("conv_ended", "conv_interrupted")]
    assert (await aino.request({"type": "conv_send", "conv": private, "text": "Olen tässä."})
            )["type"] == "conv_sent"
    await member.wait_for(_is("conv_message", conv=private, text="Olen tässä."))

    ville_http, ville = await _supporter(b.url, b.ws_url, "ville")
    await ville.request({"type": "support_available", "capacity": 1})
    taken = await ville.request({"type": "support_take"})
    assert taken["type"] == "taken", taken
    started = await ville.wait_for(_is("conv_started", conv=taken["conv"]))
    assert (started["request"], started["topic"], started["answers"]) == (
        asked["request"], "uni", {"now": "ok"})
    assert (await p.wait_for(_is("conv_started", conv=taken["conv"]), start=mark_p)
            )["name"] == "Ville"
    await ville.request({"type": "conv_send", "conv": taken["conv"], "text": "Hei, Ville tässä."})
    await p.wait_for(_is("conv_message", conv=taken["conv"], text="Hei, Ville tässä."))
    await p.request({"type": "conv_send", "conv": taken["conv"], "text": "Kiitos."})
    await ville.wait_for(_is("conv_message", conv=taken["conv"], text="Kiitos."))
    await _position(later, 1, start=mark_later)
    for c in (p, later, member, aino, ville):
        await c.close()
    for h in (admin, aino_http, ville_http):
        await h.close()


async def test_a_disabled_supporters_people_are_handed_back_at_once(
        start_server, redis_server, pg_url):
    """Aino (console on A) is with a person from the queue (waiting on B) and in a
    conversation she opened from an alert in olohuone, when an admin disables her account.
    Before, her sockets closed but both people waited in silence until the 'supporter gone'
    timeout (minutes), told only that she 'did not come back'. Now, at once: the queue's
    person is told she cannot continue (supporter_revoked) and is back in the queue in their
    place, ahead of someone who came later; the group member's conversation ends (by revoked,
    with the crisis lines) and the alert is untaken, so Ville, who facilitates olohuone, sees
    it open again and the member is told that the facilitator had to leave and others know."""
    a, b, admin = await _two_processes(start_server, redis_server, pg_url)
    ids = await _setup(admin, supporters=["aino"], others=["ville"])
    aino_http, aino = await _supporter(a.url, a.ws_url, "aino")
    ville_http, ville = await _supporter(b.url, b.ws_url, "ville")
    p, asked, conv, member, alert, private = await _in_two_conversations(b, aino)
    later = await _waiting_after(a)
    await member.wait_for(_is("help_status", status="seen"))

    marks = {c: len(c.frames) for c in (p, later, member, ville)}
    patched = await admin.patch(f"/api/staff/{ids['aino']}", {"disabled": True})
    assert patched.status_code == 200, patched.text
    told = await p.wait_for(_is("conv_interrupted", conv=conv), timeout=10, start=marks[p])
    assert (told["reason"], told["request"]) == ("supporter_revoked", asked["request"])
    back = await _position(p, 1, start=marks[p])
    assert (back["request"], back.get("returned")) == (asked["request"], True)
    await _position(later, 2, start=marks[later])
    ended = await member.wait_for(_is("conv_ended", conv=private), timeout=10,
                                  start=marks[member])
    assert ended["by"] == "revoked" and ended["resources"], ended
    await member.wait_for(_is("help_status", status="released", alert=alert["id"]),
                          timeout=10, start=marks[member])
    again = await ville.wait_for(
        lambda f: f["type"] in ("alert_changed", "alert_escalated")
        and f["alert"]["id"] == alert["id"] and f["alert"]["state"] == "open",
        timeout=10, start=marks[ville])
    assert again["alert"]["released_by"] == "Aino"
    # It no longer points at the ended conversation: Ville's inbox offers to talk with them.
    await ville.wait_for(lambda f: f["type"] in ("alert_changed", "alert_escalated")
                         and f["alert"]["id"] == alert["id"] and f["alert"]["state"] == "open"
                         and f["alert"]["conv"] is None, timeout=10, start=marks[ville])
    gone = await member.request({"type": "conv_send", "conv": private, "text": "Oletko siellä?"})
    assert gone["code"] == "conversation_not_found", gone
    for c in (p, later, member, ville):
        await c.close()
    for h in (admin, aino_http, ville_http):
        await h.close()


@pytest.mark.parametrize("broker", ["memory", "redis"])
@pytest.mark.parametrize("how", ["right_removed", "disabled"])
async def test_a_supporter_taken_off_while_their_console_is_closed_still_frees_the_person(
        start_server, redis_server, tmp_path, broker, how):
    """Aino's console is closed (no socket on any process) when an admin takes her one-to-one
    right away or disables her account: her person does not wait the minutes it takes to call
    her gone; they are told at once and are back in the queue. With only the right removed,
    her reopened console has no conversation left."""
    server, admin, [(aino_http, aino)] = await _with_supporters(
        start_server, f"sqlite+aiosqlite:///{tmp_path}/offline.sqlite3",
        redis_server.url if broker == "redis" else "", ["aino"])
    await aino.request({"type": "support_available", "capacity": 1})
    p = await ChatClient.connect(server.ws_url)
    asked = await _queue(p, "ilta")
    conv = (await aino.request({"type": "support_take"}))["conv"]
    await p.wait_for(_is("conv_started", conv=conv))
    await aino.close()
    mark = len(p.frames)
    if how == "disabled":
        staff = (await admin.http.get("/api/staff")).json()
        aino_id = next(s["id"] for s in staff if s["username"] == "aino")
        changed = await admin.patch(f"/api/staff/{aino_id}", {"disabled": True})
    else:
        changed = await admin.put("/api/one-to-one/settings", {"supporters": []})
    assert changed.status_code == 200, changed.text
    told = await p.wait_for(_is("conv_interrupted", conv=conv), timeout=10, start=mark)
    assert told["reason"] == "supporter_revoked"
    back = await _position(p, 1, start=mark)
    assert back["request"] == asked["request"]
    if how == "right_removed":
        aino = await aino_http.socket(server.ws_url)
        refused = await aino.request({"type": "conv_resume", "conv": conv})
        assert refused["code"] == "conversation_not_found", refused
    for c in (p, aino):
        await c.close()
    for h in (admin, aino_http):
        await h.close()


def _alert_in(alert: Any, state: str) -> Callable[[Frame], bool]:
    """A change of the alert ``alert`` that leaves it in ``state``."""
    return lambda f: (f["type"] in ("alert_changed", "alert_escalated")
                      and f["alert"]["id"] == alert and f["alert"]["state"] == state)


async def _aino_takes_a_person_in_crisis(a: Any, aino: ChatClient, ville: ChatClient
                                         ) -> tuple[ChatClient, Frame, Any, Any]:
    """A person on ``a`` asks for a conversation in crisis; Ville's console is told of the
    queue's crisis alert, Aino takes the person, and Ville's console then says she handles
    it. Returns the person, their queue answer, the alert's id and the conversation's id."""
    p = await ChatClient.connect(a.ws_url)
    asked = await _queue(p, "", now="crisis")
    alert = (await ville.wait_for(lambda f: f["type"] == "alert"
                                  and f["why"] == "one_to_one_crisis"))["alert"]["id"]
    conv = (await aino.request({"type": "support_take"}))["conv"]
    await p.wait_for(_is("conv_started", conv=conv))
    taken = await ville.wait_for(lambda f: f["type"] == "alert_changed"
                                 and f["alert"]["id"] == alert)
    assert taken["alert"]["acknowledged_by"] == "Aino"
    return p, asked, alert, conv


class _HandedBack(NamedTuple):
    pia: ChatClient
    kai: ChatClient
    asked: Frame
    kai_asked: Frame
    conv: Any
    kai_conv: Any
    mark: int  # where Ville's frames stood before Aino's right was taken away


async def _pia_and_kai_handed_back_while_away(server: Any, admin: StaffHttp, aino: ChatClient,
                                              ville: ChatClient) -> _HandedBack:
    """Aino talks with Pia (about "ilta") and Kai (about "uni"); both their pages close, then
    an admin leaves only Ville with the one-to-one right, and Aino's console hears both
    conversations end. Ville then goes on duty."""
    await aino.request({"type": "support_available", "capacity": 2})
    pia, kai = await ChatClient.connect(server.ws_url), await ChatClient.connect(server.ws_url)
    asked = await _queue(pia, "ilta")
    conv = (await aino.request({"type": "support_take"}))["conv"]
    await pia.wait_for(_is("conv_started", conv=conv))
    kai_asked = await _queue(kai, "uni")
    kai_conv = (await aino.request({"type": "support_take"}))["conv"]
    await kai.wait_for(_is("conv_started", conv=kai_conv))
    await pia.close()  # both pages go away
    await kai.close()
    staff = (await admin.http.get("/api/staff")).json()
    ville_id = next(s["id"] for s in staff if s["username"] == "ville")
    mark = len(ville.frames)
    put = await admin.put("/api/one-to-one/settings", {"supporters": [ville_id]})
    assert put.status_code == 200, put.text
    await aino.wait_for(_is("conv_ended", conv=conv, by="revoked"), timeout=10)
    await aino.wait_for(_is("conv_ended", conv=kai_conv, by="revoked"), timeout=10)
    await ville.request({"type": "support_available", "capacity": 1})
    return _HandedBack(pia, kai, asked, kai_asked, conv, kai_conv, mark)


async def _server_whose_handlers_are_soon_gone(start_server: Any, db: str
                                               ) -> tuple[Any, StaffHttp]:
    """A server on ``db`` where a handler away for 2 s is gone (and a supporter's person would
    be put back in the queue at 5 s), and its admin signed in."""
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, **{**FAST, "handler_gone_seconds": 2,
                                              "supporter_requeue_seconds": 5})
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    return server, admin


async def _member_calls_and_sanna_answers_privately(ws_url: str, sanna: ChatClient
                                                    ) -> tuple[ChatClient, Any, Any]:
    """A member of olohuone writes words of crisis there; Sanna opens a private conversation
    from the alert, and the member hears it and that their call is seen. Returns the member,
    the alert's id and the conversation's id."""
    member = await ChatClient.connect(ws_url)
    await member.join("olohuone")
    await member.say("olohuone", "en jaksa enää, haluan kuolla")
    alert = (await sanna.wait_for(lambda f: f["type"] == "alert"))["alert"]["id"]
    private = (await sanna.request({"type": "conv_open", "alert": alert}))["conv"]
    await member.wait_for(_is("conv_started", conv=private))
    await member.wait_for(_is("help_status", status="seen"))
    return member, alert, private


async def _ended_as_gone(member: ChatClient, private: Any, *, timeout: float,
                         start: int) -> int:
    """Wait until the member hears that the conversation ended because its supporter is
    gone, with the crisis lines; returns where that stands in their frames."""
    ended = await member.wait_for(_is("conv_ended", conv=private), timeout=timeout, start=start)
    assert ended["by"] == "gone" and "112" in str(ended["resources"]), ended
    return member.frames.index(ended)


async def _ville_opens_the_released_call(ville: ChatClient, member: ChatClient, alert: Any, *,
                                         timeout: float, start: int, after: int) -> None:
    """Ville's console sees the call open again with no conversation, released by Sanna; he
    opens a new conversation from it, and the member hears it is with Ville."""
    free = await ville.wait_for(
        lambda f: _alert_in(alert, "open")(f) and f["alert"]["conv"] is None,
        timeout=timeout, start=start)
    assert free["alert"]["released_by"] == "Sanna"
    again = await ville.request({"type": "conv_open", "alert": alert})
    assert again["type"] == "conv_started", again
    assert (await member.wait_for(_is("conv_started", conv=again["conv"]), start=after)
            )["name"] == "Ville"


async def test_a_console_that_was_away_hears_at_once_which_conversations_ended_and_why(
        start_server, redis_server, pg_url):
    """Aino's console (on A) loses its connection while she is in a conversation from the
    queue and in one she opened from an alert; meanwhile an admin takes her one-to-one right
    away. Ville's console (on B) is away too while his person ends their conversation. Before,
    Aino's console coming back got only `forbidden` for its availability and no word of the
    ended conversation, and each console learned that a conversation had ended only when its
    supporter wrote into it, told that 'the connection was cut'. Now Aino's console hears
    support_revoked at once, with the conversation from the alert still hers and the other
    ended because her right was removed; Ville's status says his ended by the person; and a
    late message into an ended conversation is refused with why."""
    a, b, admin = await _two_processes(start_server, redis_server, pg_url)
    ids = await _setup(admin, supporters=["aino", "ville"])
    aino_http, aino = await _supporter(a.url, a.ws_url, "aino")
    p, _, conv, member, _, private = await _in_two_conversations(b, aino)
    ville_http, ville = await _supporter(b.url, b.ws_url, "ville")
    await ville.request({"type": "support_available", "capacity": 1})
    q = await ChatClient.connect(a.ws_url)
    await _queue(q, "ilta")
    ville_conv = (await ville.request({"type": "support_take"}))["conv"]
    await q.wait_for(_is("conv_started", conv=ville_conv))

    await aino.close()  # both consoles lose their connection ...
    await ville.close()
    mark = len(p.frames)
    put = await admin.put("/api/one-to-one/settings", {"supporters": [ids["ville"]]})
    assert put.status_code == 200, put.text
    await p.wait_for(_is("conv_interrupted", conv=conv), timeout=10, start=mark)
    await q.request({"type": "conv_end", "conv": ville_conv})

    aino = await aino_http.socket(a.ws_url)  # ... and come back
    refused = await aino.request({"type": "support_available", "capacity": 2})
    assert refused["code"] == "forbidden", refused
    revoked = await aino.wait_for(_is("support_revoked"))
    assert revoked["convs"] == [private]
    assert revoked["ended"] == {conv: "revoked"}
    late = await aino.request({"type": "conv_send", "conv": conv, "text": "Oletko siellä?"})
    assert (late["code"], late.get("reason")) == ("conversation_not_found", "revoked"), late
    assert (await aino.request({"type": "conv_send", "conv": private, "text": "Olen tässä."})
            )["type"] == "conv_sent"
    ville = await ville_http.socket(b.ws_url)
    status = await ville.request({"type": "support_available", "capacity": 1})
    assert status["convs"] == [] and status["ended"] == {ville_conv: "participant"}, status
    for c in (p, q, member, aino, ville):
        await c.close()
    for h in (admin, aino_http, ville_http):
        await h.close()


@pytest.mark.parametrize("how", ["right_removed", "disabled"])
async def test_a_crisis_request_handed_back_to_the_queue_has_its_alert_untaken_at_once(
        start_server, redis_server, pg_url, how):
    """A person in crisis (on A) is with Aino (console on A), so the queue's crisis alert is
    hers, when an admin takes her one-to-one right away or disables her account: the person
    is back in the queue. Before, the alert stayed taken by Aino (with only her right removed
    she was still online, so indefinitely; disabled, for HANDLER_GONE_SECONDS), so Ville, on
    duty on B, saw someone in crisis waiting whose call was "handled", and taking them did
    not make it his. Now it is open again at once on his console, released by Aino; when he
    takes the person it is his, and it is resolved as supported when their conversation
    ends."""
    a, b, admin = await _two_processes(start_server, redis_server, pg_url)
    ids = await _setup(admin, supporters=["aino", "ville"])
    aino_http, aino = await _supporter(a.url, a.ws_url, "aino")
    ville_http, ville = await _supporter(b.url, b.ws_url, "ville")
    for supporter in (aino, ville):
        await supporter.request({"type": "support_available", "capacity": 1})
    p, asked, alert, conv = await _aino_takes_a_person_in_crisis(a, aino, ville)
    assert asked["crisis"] is True

    mark_p, mark_v = len(p.frames), len(ville.frames)
    if how == "disabled":
        changed = await admin.patch(f"/api/staff/{ids['aino']}", {"disabled": True})
    else:
        changed = await admin.put("/api/one-to-one/settings", {"supporters": [ids["ville"]]})
    assert changed.status_code == 200, changed.text
    told = await p.wait_for(_is("conv_interrupted", conv=conv), timeout=10, start=mark_p)
    assert told["reason"] == "supporter_revoked"
    again = await ville.wait_for(_alert_in(alert, "open"), timeout=10, start=mark_v)
    assert (again["alert"]["released_by"], again["alert"]["acknowledged_by"]) == (
        "Aino", None)
    await _position(p, 1, start=mark_p)

    taken = await ville.request({"type": "support_take"})
    assert taken["type"] == "taken", taken
    await p.wait_for(_is("conv_started", conv=taken["conv"]), start=mark_p)
    his = await ville.wait_for(_alert_in(alert, "acknowledged"), timeout=10, start=mark_v)
    assert his["alert"]["acknowledged_by"] == "Ville"
    assert (await ville.request({"type": "conv_end", "conv": taken["conv"]}))[
        "type"] == "conv_closed"
    done = await ville.wait_for(_alert_in(alert, "resolved"), timeout=10, start=mark_v)
    assert (done["alert"]["outcome"], done["alert"]["resolved_by"]) == ("supported", "Ville")
    assert len([f for f in ville.frames[mark_v:] if _alert_in(alert, "open")(f)]) == 1
    for c in (p, aino, ville):
        await c.close()
    for h in (admin, aino_http, ville_http):
        await h.close()


async def test_an_off_duty_supporter_sees_a_crisis_call_open_again_when_it_is_untaken(
        start_server, redis_server, pg_url):
    """Ville's console is open on B but he is off duty (capacity 0) when Aino (on duty, on A)
    takes a person in crisis, so the queue's crisis alert shows "Aino" on his console too.
    An admin takes Aino's one-to-one right away: the person is back in the queue and the alert
    is untaken, escalated in the same change (nobody had let it wait so long). Before, only
    on-duty supporters got that escalation, so Ville's console still said Aino handled it
    until he reloaded; now it gets the change: open, released by Aino."""
    a, b, admin = await _two_processes(start_server, redis_server, pg_url)
    ids = await _setup(admin, supporters=["aino", "ville"])
    aino_http, aino = await _supporter(a.url, a.ws_url, "aino")
    ville_http, ville = await _supporter(b.url, b.ws_url, "ville")
    await aino.request({"type": "support_available", "capacity": 1})
    assert (await ville.request({"type": "support_available", "capacity": 0}))[
        "type"] == "support_status"
    p, _, alert, conv = await _aino_takes_a_person_in_crisis(a, aino, ville)

    mark = len(ville.frames)
    put = await admin.put("/api/one-to-one/settings", {"supporters": [ids["ville"]]})
    assert put.status_code == 200, put.text
    await p.wait_for(_is("conv_interrupted", conv=conv), timeout=10)
    again = await ville.wait_for(_alert_in(alert, "open"), timeout=10, start=mark)
    assert (again["alert"]["released_by"], again["alert"]["acknowledged_by"],
            again["alert"]["escalated"]) == ("Aino", None, True)
    for c in (p, aino, ville):
        await c.close()
    for h in (admin, aino_http, ville_http):
        await h.close()


@pytest.mark.parametrize("broker", ["memory", "redis"])
async def test_a_person_handed_back_while_their_page_was_away_is_told_they_wait_again(
        start_server, redis_server, tmp_path, broker):
    """Aino talks with two people, Pia and Kai; both their pages are away (a reload, a lost
    connection) when an admin takes Aino's one-to-one right away, so the conv_interrupted
    that says they are back in the queue reaches nobody. Before, their pages came back
    with conv_resume and were answered `conversation_not_found` ("the conversation ended")
    although they were waiting in the queue. Now Pia's conv_resume is answered with her
    place (`queued`, naming the conversation it came from), the crisis lines and her live
    place, first; Kai, whom Ville has taken meanwhile, gets that conversation. Nobody else
    gets either."""
    server, admin, [(aino_http, aino), (ville_http, ville)] = await _with_supporters(
        start_server, f"sqlite+aiosqlite:///{tmp_path}/away.sqlite3",
        redis_server.url if broker == "redis" else "", ["aino", "ville"])
    # Both pages go away ...
    pia, kai, asked, kai_asked, conv, kai_conv, _ = await _pia_and_kai_handed_back_while_away(
        server, admin, aino, ville)
    taken = await ville.request({"type": "support_take", "request": kai_asked["request"]})
    ville_conv = taken["conv"]

    stranger = await ChatClient.connect(server.ws_url)
    for gone in (conv, kai_conv):
        refused = await stranger.request({"type": "conv_resume", "conv": gone})
        assert refused["code"] == "conversation_not_found", refused
    pia = await ChatClient.connect(server.ws_url, token=pia.token)  # ... and come back
    back = await pia.request({"type": "conv_resume", "conv": conv})
    assert back["type"] == "queued", back
    assert (back["request"], back["resumed"], back["returned_from"]) == (
        asked["request"], True, conv), back
    lines = await pia.wait_for(_is("crisis_resources"))
    assert any(r["phone"] == "112" for r in lines["resources"]), lines
    status = await _position(pia, 1)
    assert status["request"] == asked["request"] and status["returned"] is True, status
    kai = await ChatClient.connect(server.ws_url, token=kai.token)
    again = await kai.request({"type": "conv_resume", "conv": kai_conv})
    assert (again["type"], again["conv"], again["role"], again["resumed"], again["name"]) == (
        "conv_started", ville_conv, "participant", True, "Ville"), again
    await kai.request({"type": "conv_send", "conv": ville_conv, "text": "Olen taas täällä."})
    await ville.wait_for(_is("conv_message", conv=ville_conv, text="Olen taas täällä."))
    for c in (pia, kai, stranger, aino, ville):
        await c.close()
    for h in (admin, aino_http, ville_http):
        await h.close()


@pytest.mark.parametrize("how", ["right_removed", "disabled"])
async def test_a_crisis_call_taken_from_the_inbox_is_untaken_when_its_taker_may_not_answer(
        start_server, redis_server, pg_url, how):
    """A person in crisis waits in the queue (on A); Aino (console on A, still signed in)
    takes their call from the alert inbox without taking them into a conversation, so every
    console says Aino handles it. Then an admin takes her one-to-one right away (or disables
    her account). Before, with only the right removed, the call stayed Aino's for as long as
    she stayed online: Ville, on duty on B, and the admin saw someone in crisis "handled" by
    a supporter who could no longer reach them. Now it is open again at once on both
    consoles, released by Aino, once; Ville takes the person and the call is his."""
    a, b, admin = await _two_processes(start_server, redis_server, pg_url)
    ids = await _setup(admin, supporters=["aino", "ville"])
    aino_http, aino = await _supporter(a.url, a.ws_url, "aino")
    ville_http, ville = await _supporter(b.url, b.ws_url, "ville")
    console = await admin.socket(b.ws_url)
    await aino.request({"type": "support_available", "capacity": 0})
    await ville.request({"type": "support_available", "capacity": 1})
    p = await ChatClient.connect(a.ws_url)
    await _queue(p, "", now="crisis")
    alert = (await aino.wait_for(lambda f: f["type"] == "alert"
                                 and f["why"] == "one_to_one_crisis"))["alert"]["id"]
    acked = await aino.request({"type": "alert_ack", "alert": alert})
    assert acked["alert"]["acknowledged_by"] == "Aino", acked

    for staff in (ville, console):
        assert (await staff.wait_for(_alert_in(alert, "acknowledged")))["alert"][
            "acknowledged_by"] == "Aino"
    marks = {c: len(c.frames) for c in (ville, console)}
    if how == "disabled":
        changed = await admin.patch(f"/api/staff/{ids['aino']}", {"disabled": True})
    else:
        changed = await admin.put("/api/one-to-one/settings", {"supporters": [ids["ville"]]})
    assert changed.status_code == 200, changed.text
    for staff in (ville, console):
        again = await staff.wait_for(_alert_in(alert, "open"), timeout=10, start=marks[staff])
        # Why: she may no longer answer it (not "went offline": she is still signed in).
        assert (again["alert"]["released_by"], again["alert"]["released_why"],
                again["alert"]["acknowledged_by"]) == ("Aino", "revoked", None)

    taken = await ville.request({"type": "support_take"})
    assert taken["type"] == "taken", taken
    await p.wait_for(_is("conv_started", conv=taken["conv"]))
    his = await ville.wait_for(_alert_in(alert, "acknowledged"), timeout=10, start=marks[ville])
    assert his["alert"]["acknowledged_by"] == "Ville"
    for staff in (ville, console):
        assert len([f for f in staff.frames[marks[staff]:] if _alert_in(alert, "open")(f)]) == 1
    for c in (p, aino, ville, console):
        await c.close()
    for h in (admin, aino_http, ville_http):
        await h.close()


@pytest.mark.parametrize("others", ["online", "nobody"])
async def test_a_facilitator_gone_too_long_hands_their_alert_conversation_back_to_the_group(
        start_server, tmp_path, others):
    """Sanna, who facilitates olohuone (and is no one-to-one supporter), opens a private
    conversation from a member's call for help there; then her laptop shuts and she does not
    come back. At HANDLER_GONE_SECONDS the member is told she is away, and the call is
    untaken. Before, at SUPPORTER_REQUEUE_SECONDS the member was put in the general
    one-to-one queue (conv_interrupted, "you are at the front of the queue"), where the
    room's facilitators do not look and a queue supporter could not even write to them.
    Now the conversation ends (by "gone", with the crisis lines), the call no longer points
    at it, and the member hears where it stands: with Ville, who facilitates olohuone,
    online, that the others know, and he opens a new conversation with them from the
    inbox; with nobody online, that nobody is."""
    server, admin = await _server_whose_handlers_are_soon_gone(
        start_server, f"sqlite+aiosqlite:///{tmp_path}/alert-gone.sqlite3")
    await _setup(admin, supporters=[], others=["sanna", "ville"])
    sanna_http, sanna = await _supporter(server.url, server.ws_url, "sanna")
    ville_http, ville = (await _supporter(server.url, server.ws_url, "ville")
                         if others == "online" else (None, None))
    member, alert, private = await _member_calls_and_sanna_answers_privately(server.ws_url, sanna)

    mark = len(member.frames)
    await sanna.close()
    await member.wait_for(_is("conv_supporter_away", conv=private), timeout=15, start=mark)
    after = await _ended_as_gone(member, private, timeout=20, start=mark)
    told = await member.wait_for(_is("help_status", alert=alert), timeout=10, start=after)
    assert told["status"] == ("released" if others == "online" else "released_nobody_online")
    assert not [f for f in member.frames[mark:]
                if f["type"] in ("conv_interrupted", "queue_status")]
    gone = await member.request({"type": "conv_send", "conv": private, "text": "Oletko siellä?"})
    assert gone["code"] == "conversation_not_found", gone

    if ville is not None:
        await _ville_opens_the_released_call(ville, member, alert, timeout=10, start=0,
                                             after=after)
        await ville.close()
        await ville_http.close()
    await member.close()
    for h in (admin, sanna_http):
        await h.close()


@pytest.mark.parametrize("broker", ["memory", "redis"])
async def test_a_person_handed_back_whose_page_is_gone_leaves_the_queue_after_the_grace(
        start_server, redis_server, tmp_path, broker):
    """Aino talks with Pia and Kai; both their pages go away (a closed tab, a phone that died)
    and an admin takes Aino's one-to-one right away, so both are handed back to the queue
    with no page to wait in. Before, such a place never expired: Ville saw two people waiting
    and could take Pia, who was gone, and wait for nobody. Now a place handed back keeps the
    same grace as any waiting person's whose page went away (QUEUE_REATTACH_SECONDS): Kai,
    whose page comes back within it, is in his place; Pia, who never comes back, leaves the
    queue, and Ville's list shows only Kai."""
    server, admin, [(aino_http, aino), (ville_http, ville)] = await _with_supporters(
        start_server, f"sqlite+aiosqlite:///{tmp_path}/gone.sqlite3",
        redis_server.url if broker == "redis" else "", ["aino", "ville"],
        queue_reattach_seconds=3)
    # Pia's tab is gone for good; Kai's reloads.
    _, kai, _, kai_asked, _, kai_conv, mark = await _pia_and_kai_handed_back_while_away(
        server, admin, aino, ville)
    await ville.wait_for(_listing(2), timeout=10, start=mark)  # both handed back ...
    kai = await ChatClient.connect(server.ws_url, token=kai.token)
    back = await kai.request({"type": "conv_resume", "conv": kai_conv})
    assert (back["type"], back["request"]) == ("queued", kai_asked["request"]), back
    # ... and only the one whose page is there stays once the grace is over.
    listing = await ville.wait_for(_listing(1), timeout=20, start=mark)
    assert [w["request"] for w in listing["waiting"]] == [kai_asked["request"]], listing
    assert (await _position(kai, 1))["request"] == kai_asked["request"]
    taken = await ville.request({"type": "support_take"})
    await kai.wait_for(_is("conv_started", conv=taken["conv"]))
    for c in (kai, aino, ville):
        await c.close()
    for h in (admin, aino_http, ville_http):
        await h.close()


async def test_a_crisis_line_in_a_conversation_brings_the_crisis_lines_with_redis_away(
        start_server, redis_server, tmp_path):
    """The crisis lines came only once the conversation was found and the line passed on to
    the supporter: with the queue's Redis away, the person who wrote that they cannot go on
    read "unavailable" and nothing else. Now the lines come first, whatever happens next."""
    server, admin, [(aino_http, aino)] = await _with_supporters(
        start_server, f"sqlite+aiosqlite:///{tmp_path}/away.sqlite3", redis_server.url,
        ["aino"])
    await aino.request({"type": "support_available", "capacity": 1})
    p = await ChatClient.connect(server.ws_url)
    await _queue(p, "uni", now="ok")
    conv = (await aino.request({"type": "support_take"}))["conv"]
    await p.wait_for(_is("conv_started", conv=conv))
    before = len(p.frames)  # the queue showed the crisis lines once already
    redis_server.stop()
    try:
        answer = await p.request({"type": "conv_send", "conv": conv,
                                  "text": "en jaksa enää, haluan kuolla"})
        assert answer["type"] == "error", answer
        shown = [f for f in p.frames[before:] if f["type"] == "crisis_resources"]
        assert shown and "112" in [r["phone"] for r in shown[0]["resources"]]
    finally:
        redis_server.start()
    for c in (p, aino):
        await c.close()
    await admin.close()
    await aino_http.close()
