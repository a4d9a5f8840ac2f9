"""Sessions over two real processes (real redis-server, PostgreSQL, two uvicorns): lobby, live,
closing with retention; the no-facilitator alert; the timer's auto-close."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select

from chatserver.storage.models import Event
from chatserver.storage.store import Store
from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
TIMER = {"session_timer_seconds": 0.3}
RULES = {"fi": "Puhu omasta kokemuksestasi.", "sv": "Tala om din egen erfarenhet.",
         "en": "Speak from your own experience."}


def local_second(offset_seconds: int) -> str:
    """A Helsinki wall-clock time `offset_seconds` from now, to the second: the API takes
    seconds too, so a timer test need not wait for the next full minute."""
    now = datetime.now(HELSINKI).replace(microsecond=0)
    return (now + timedelta(seconds=offset_seconds)).strftime("%Y-%m-%dT%H:%M:%S")


def local_minute(offset_minutes: int) -> str:
    """A Helsinki wall-clock minute `offset_minutes` from the current one, for the API."""
    now = datetime.now(HELSINKI).replace(second=0, microsecond=0)
    return (now + timedelta(minutes=offset_minutes)).strftime("%Y-%m-%dT%H:%M")


async def make_room(admin: StaffHttp, room_id: str, **values: object) -> dict:
    body = {"id": room_id, "names": {"fi": "Ilta", "sv": "Kväll", "en": "Evening"},
            "kind": "guided", "retention": "session", "ground_rules": RULES,
            "lobby_minutes": 30, "warn_minutes": 5, "grace_minutes": 5, **values}
    created = await admin.post("/api/rooms", body)
    assert created.status_code == 201, created.text
    return created.json()


async def make_session(admin: StaffHttp, room_id: str, start: str, minutes: int) -> dict:
    created = await admin.post(f"/api/rooms/{room_id}/sessions",
                               {"start": start, "duration_minutes": minutes, "theme": "Jaksaminen"})
    assert created.status_code == 201, created.text
    return created.json()


async def wait_state(server, room_id: str, state: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        _, found = server.get(f"/api/rooms/{room_id}/sessions")
        if found and found[0]["state"] == state:
            return found[0]
        if time.monotonic() > deadline:
            raise TimeoutError(f"session not {state}: {found}")
        await asyncio.sleep(0.1)


@pytest.fixture
async def pair(start_server, redis_server, pg_url, request):
    admin_password = create_admin({"DATABASE_URL": pg_url})
    more = getattr(request, "param", {})  # settings of a test's own (indirect parametrize)
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST, **TIMER, **more)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST, **TIMER, **more)
    admin = StaffHttp(a.url)
    await admin.login("admin", admin_password)
    yield a, b, admin
    await admin.close()


def session_events(client: ChatClient, room: str) -> list[tuple[int, str, str]]:
    return [(f["seq"], f["event"], f["session"]["state"])
            for f in client.events(room, "session")]


async def test_lobby_live_closed_seen_alike_on_two_processes_with_retention(pair, redis_server,
                                                                           pg_url):
    a, b, admin = pair
    await make_room(admin, "ilta")
    await add_facilitator(admin, "sanna", ["ilta"])
    sanna_http = StaffHttp(b.url)
    await sanna_http.login("sanna", FACILITATOR_PASSWORD)
    sanna = await sanna_http.socket(a.ws_url)
    # Before any session, participants cannot enter a sessions-only room; staff can.
    early = await ChatClient.connect(b.ws_url)
    assert (await early.join("ilta"))["code"] == "room_closed"
    session = await make_session(admin, "ilta", local_minute(5), 60)
    await wait_state(a, "ilta", "lobby")

    p1 = await ChatClient.connect(a.ws_url)
    p2 = await ChatClient.connect(b.ws_url)
    joined = await p1.join("ilta")
    await p2.join("ilta")
    # The lobby: "starts at" as a UTC instant, the ground rules, no posting.
    assert joined["session"]["state"] == "lobby"
    assert joined["session"]["id"] == session["id"]
    assert joined["session"]["starts_at"] == session["starts_at"]
    assert joined["session"]["starts_at"].endswith("Z")
    assert joined["rules"] == RULES
    refused = await p1.say("ilta", "hei kaikki")
    assert (refused["type"], refused["code"]) == ("error", "session_not_started")

    # The facilitator opens it (from process A); everyone on both processes sees it go live.
    assert (await sanna.join("ilta"))["role"] == "facilitator"
    done = await sanna.request({"type": "session", "room": "ilta", "action": "open"})
    assert done["type"] == "done" and done["session"]["state"] == "live"
    for c in (p1, p2):
        await c.wait_for(lambda f: f["type"] == "session" and f["event"] == "facilitator_open")
    text = "Tänään on ollut raskas päivä"
    assert (await p2.say("ilta", text))["type"] == "ack"
    await p1.wait_for(lambda f: f.get("text") == text)
    extended = await sanna.request({"type": "session", "room": "ilta", "action": "extend",
                                    "minutes": 15})
    assert extended["type"] == "done"
    assert extended["session"]["ends_at"] > session["ends_at"]

    # The message is stored (PostgreSQL) and buffered (Redis) until the close.
    store = Store.from_url(pg_url)
    redis = aioredis.from_url(redis_server.url)
    try:
        deadline = time.monotonic() + 10
        while await _count_events(store, "ilta", "message") == 0:
            assert time.monotonic() < deadline, "the message never reached the database"
            await asyncio.sleep(0.1)
        assert await _redis_holds(redis, text)

        following = await make_session(admin, "ilta", local_minute(24 * 60), 60)
        goodbye = "Kiitos kaikille, nähdään taas."
        closed = await sanna.request({"type": "session", "room": "ilta", "action": "close",
                                      "message": goodbye})
        assert closed["session"]["state"] == "closed"
        closing = []
        for c in (p1, p2):
            closing.append(await c.wait_for(
                lambda f: f["type"] == "session" and f["session"]["state"] == "closed"))
            left = await c.wait_for(lambda f: f["type"] == "left")
            assert left["reason"] == "session_closed"
        # Crisis resources and the feedback prompt reach everyone with the closing event, and
        # the facilitator's closing words with the next meeting's start.
        assert closing[0]["resources"] and closing[0]["feedback"] is True
        assert (closing[0]["message"], closing[0]["next"]) == (goodbye, following["starts_at"])
        assert closing[0] == closing[1]
        # One cycle, seen identically by members on both processes.
        assert session_events(p1, "ilta") == session_events(p2, "ilta")
        assert [e for _, e, _ in session_events(p1, "ilta")] == [
            "open_lobby", "facilitator_open", "extend", "close"]
        seqs = [s for s, _, _ in session_events(p1, "ilta")]
        assert seqs == sorted(seqs)
        # The room's texts are gone from the database and from Redis (the timer's sweep
        # removes late durable writes too).
        deadline = time.monotonic() + 10
        while await _count_events(store, "ilta") or await _redis_holds(redis, text):
            assert time.monotonic() < deadline, "retention not applied at close"
            await asyncio.sleep(0.2)
        # Closed: no more messages, no more participants.
        again = await p1.join("ilta")
        assert again["code"] == "room_closed"
        stats = (await admin.http.get("/api/sessions", params={"room": "ilta"})).json()
        assert stats[0]["state"] == "closed" and stats[0]["attendance"] == 2
        assert stats[0]["messages"] == 1
    finally:
        await store.close()
        await redis.aclose()
    for c in (early, p1, p2, sanna):
        await c.close()
    await sanna_http.close()


async def _count_events(store: Store, room: str, kind: str | None = None) -> int:
    query = select(func.count()).select_from(Event).where(Event.room_id == room)
    if kind is not None:
        query = query.where(Event.kind == kind)
    async with store.sessions() as s:
        return int(await s.scalar(query) or 0)


async def _redis_holds(redis: aioredis.Redis, text: str) -> bool:
    needle = text.encode()
    async for key in redis.scan_iter(count=1000):
        kind = await redis.type(key)
        if kind == b"list":
            values = await redis.lrange(key, 0, -1)
        elif kind == b"zset":
            values = await redis.zrange(key, 0, -1)
        elif kind == b"hash":
            values = list((await redis.hgetall(key)).values())
        elif kind == b"stream":
            values = [v for _, fields in await redis.xrange(key) for v in fields.values()]
        elif kind == b"string":
            values = [await redis.get(key)]
        else:
            continue
        if any(needle in v for v in values if isinstance(v, bytes)):
            return True
    return False


async def test_guided_session_without_facilitator_tells_participants_and_alerts_staff(pair):
    a, b, admin = pair
    await make_room(admin, "ilta")
    await add_facilitator(admin, "sanna", ["ilta"])
    sanna_http = StaffHttp(a.url)
    await sanna_http.login("sanna", FACILITATOR_PASSWORD)
    # Sanna is signed in on B but not in the room; the alert still reaches her.
    sanna = await sanna_http.socket(b.ws_url)
    await make_session(admin, "ilta", local_second(6), 60)
    await wait_state(a, "ilta", "lobby")
    waiting = await ChatClient.connect(a.ws_url)
    await waiting.join("ilta")
    told = await waiting.wait_for(
        lambda f: f["type"] == "session" and f["event"] == "no_facilitator", timeout=90)
    assert told["session"]["state"] == "lobby"
    alert = await sanna.wait_for(lambda f: f["type"] == "alert", timeout=10)
    assert alert["why"] == "no_facilitator" and alert["room"] == "ilta"
    # Once only, across both processes' timers.
    await asyncio.sleep(1.5)
    assert len([f for f in waiting.frames if f.get("event") == "no_facilitator"]) == 1
    # Someone who arrives (or reloads) later, on either process, is told too: the page says
    # that the facilitator is not here yet, not only "starts at 18.00" after 18.00.
    for process in (a, b):
        late = await ChatClient.connect(process.ws_url)
        joined = await late.join("ilta")
        assert (joined["session"]["state"], joined["session"]["alerted"]) == ("lobby", True)
        await late.close()
    for c in (waiting, sanna):
        await c.close()
    await sanna_http.close()


async def test_unguided_schedule_goes_live_and_the_timer_warns_and_closes(pair):
    _, b, admin = pair
    await make_room(admin, "vapaa", kind="unguided", session_mode="sessions",
                    retention="ephemeral", lobby_minutes=0, warn_minutes=1, grace_minutes=0)
    # Started almost a minute ago and ends in seconds: live and warned at once, then closed
    # by the timer.
    await make_session(admin, "vapaa", local_second(-52), 1)
    await wait_state(b, "vapaa", "ending")
    member = await ChatClient.connect(b.ws_url)
    joined = await member.join("vapaa")
    assert joined["session"]["state"] == "ending"
    assert (await member.say("vapaa", "vielä ehtii"))["type"] == "ack"
    closing = await member.wait_for(
        lambda f: f["type"] == "session" and f["event"] == "auto_close", timeout=90)
    assert closing["resources"]
    await member.wait_for(lambda f: f["type"] == "left")
    await member.close()


async def ilta_staff(admin: StaffHttp, server, others: bool) -> tuple[dict, dict]:
    """Group "ilta" with facilitator Sanna (and, with ``others``, group "toinen" with Pekka),
    each signed in with a console on ``server``: their sign-ins and consoles by name."""
    await make_room(admin, "ilta")
    await add_facilitator(admin, "sanna", ["ilta"])
    if others:
        await make_room(admin, "toinen", names={"fi": "Toinen", "sv": "Annan", "en": "Other"})
        await add_facilitator(admin, "pekka", ["toinen"])
    https, consoles = {}, {}
    for name in ("sanna", "pekka") if others else ("sanna",):
        https[name] = StaffHttp(server.url)
        await https[name].login(name, FACILITATOR_PASSWORD)
        consoles[name] = await https[name].socket(server.ws_url)
    return https, consoles


async def ilta_open_with_calls(a, admin: StaffHttp, sanna: ChatClient,
                               servers: list) -> tuple[list[ChatClient], list[dict]]:
    """Sanna opens "ilta" with one person on each of ``servers`` in it, and each person asks
    for help: the people, and their alerts as Sanna's console got them."""
    await make_session(admin, "ilta", local_minute(5), 60)
    await wait_state(a, "ilta", "lobby")
    people = [await ChatClient.connect(server.ws_url) for server in servers]
    for person in people:
        await person.join("ilta")
    await sanna.join("ilta")
    assert (await sanna.request({"type": "session", "room": "ilta", "action": "open"}))[
        "type"] == "done"
    alerts = []
    for person in people:
        mark = len(sanna.frames)
        await person.send({"type": "help", "id": "h1", "room": "ilta"})
        await person.wait_for(lambda f: f["type"] == "help_status", timeout=5)
        alerts.append((await sanna.wait_for(lambda f: f["type"] == "alert", start=mark,
                                            timeout=5))["alert"])
    return people, alerts


async def close_ilta(sanna: ChatClient, people: list[ChatClient]) -> None:
    """Sanna closes the group; each of ``people`` is told they left with the close."""
    assert (await sanna.request({"type": "session", "room": "ilta", "action": "close"}))[
        "type"] == "done"
    for person in people:
        await person.wait_for(lambda f: f["type"] == "left" and f["reason"] == "session_closed",
                              timeout=10)


@pytest.mark.parametrize("pair", [{"queue_reattach_seconds": 2}], indirect=True)
async def test_a_call_for_help_open_at_the_close_can_still_be_answered_in_private(pair):
    """Kuikka (process A) asks for help; Sanna (process B) closes the group before answering.
    The close takes Kuikka out of the room, but her page is still open (the closing screen):
    a private conversation from the alert reaches her there, across processes. Before, it was
    refused with member_not_found, as if she had gone. Tiira, who asked too and closed her
    page, is said to have left with the close (person_left), not 'not found'. A facilitator
    of another group, and a participant, are still refused."""
    a, b, admin = pair
    https, consoles = await ilta_staff(admin, b, others=True)
    sanna, pekka = consoles["sanna"], consoles["pekka"]
    (kuikka, tiira), called = await ilta_open_with_calls(a, admin, sanna, [a, b])
    alerts = {kuikka: called[0], tiira: called[1]}
    await close_ilta(sanna, [kuikka, tiira])
    await tiira.close()  # her page is gone

    # Only Sanna, who may handle the group's alerts, may open it; not Pekka nor a participant.
    refused = await pekka.request({"type": "conv_open", "alert": alerts[kuikka]["id"]})
    assert refused["code"] == "alert_not_found"
    refused = await kuikka.request({"type": "conv_open", "alert": alerts[kuikka]["id"]})
    assert refused["code"] == "forbidden"
    opened = await sanna.request({"type": "conv_open", "alert": alerts[kuikka]["id"]})
    assert (opened["type"], opened["role"]) == ("conv_started", "supporter"), opened
    started = await kuikka.wait_for(lambda f: f["type"] == "conv_started", timeout=5)
    assert (started["role"], started["name"], started["room"]) == ("participant", "Sanna",
                                                                   "ilta")
    assert (await sanna.request({"type": "conv_send", "conv": opened["conv"],
                                 "text": "Hei, olen tässä."}))["type"] == "conv_sent"
    heard = await kuikka.wait_for(lambda f: f["type"] == "conv_message", timeout=5)
    assert heard["text"] == "Hei, olen tässä."
    assert (await kuikka.request({"type": "conv_send", "conv": opened["conv"],
                                  "text": "Kiitos."}))["type"] == "conv_sent"

    # Tiira's page is closed, and not back within the reconnect grace (2 s here): said as it
    # is (the closing screen showed her the lines).
    deadline = time.monotonic() + 10
    while True:
        gone = await sanna.request({"type": "conv_open", "alert": alerts[tiira]["id"]})
        if gone.get("code") == "person_left" or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert gone["code"] == "person_left", gone
    for c in (kuikka, sanna, pekka):
        await c.close()
    for http in https.values():
        await http.close()


async def test_a_page_reloaded_after_the_close_can_still_be_answered(pair):
    """Kuikka (process A) asks for help, Sanna closes the group, and Kuikka's page reloads
    after the close (a new connection, on process B). While it is reloading, Sanna's answer
    says that her page is coming back (person_returning), not that she has left; once it is
    back, the private conversation reaches the reloaded page. Before, the reloaded page was
    not reachable: Sanna was told person_left while Kuikka was on the site."""
    a, b, admin = pair
    https, consoles = await ilta_staff(admin, b, others=False)
    sanna = consoles["sanna"]
    (kuikka,), (alert,) = await ilta_open_with_calls(a, admin, sanna, [a])
    await close_ilta(sanna, [kuikka])

    await kuikka.close()  # the reload: the old page goes ...
    reloading = await sanna.request({"type": "conv_open", "alert": alert["id"]})
    assert reloading["code"] == "person_returning", reloading
    reloaded = await ChatClient.connect(b.ws_url, token=kuikka.token)  # ... and is back
    opened = await sanna.request({"type": "conv_open", "alert": alert["id"]})
    assert (opened["type"], opened["role"]) == ("conv_started", "supporter"), opened
    started = await reloaded.wait_for(lambda f: f["type"] == "conv_started", timeout=5)
    assert (started["role"], started["name"], started["room"]) == ("participant", "Sanna",
                                                                   "ilta")
    assert (await sanna.request({"type": "conv_send", "conv": opened["conv"],
                                 "text": "Hei, olen tässä."}))["type"] == "conv_sent"
    heard = await reloaded.wait_for(lambda f: f["type"] == "conv_message", timeout=5)
    assert heard["text"] == "Hei, olen tässä."
    for c in (reloaded, sanna):
        await c.close()
    await https["sanna"].close()


@pytest.mark.parametrize("pair", [{"queue_reattach_seconds": 1}], indirect=True)
async def test_consoles_on_every_process_hear_who_left_with_the_close_and_who_is_back(pair):
    """Kuikka (process A) asks for help and Sanna closes the group. Kuikka's page goes: once
    the grace is over, Sanna's console on process B and Pekka's (an admin's) on A are told by
    themselves that she left with the close (alert_person, left); a console of another group
    is told nothing. Her page comes back on B: both hear that she is back (left: false)."""
    a, b, admin = pair
    https, consoles = await ilta_staff(admin, b, others=True)
    sanna, pekka = consoles["sanna"], consoles["pekka"]
    boss = await admin.socket(a.ws_url)
    (kuikka,), (alert,) = await ilta_open_with_calls(a, admin, sanna, [a])
    await close_ilta(sanna, [kuikka])
    await kuikka.close()

    def told(left: bool):
        return lambda f: f["type"] == "alert_person" and f["alert"] == alert["id"] \
            and f["left"] is left
    for console in (sanna, boss):
        heard = await console.wait_for(told(True), timeout=15)
        assert heard["room"] == "ilta"
    back = await ChatClient.connect(b.ws_url, token=kuikka.token)
    for console in (sanna, boss):
        await console.wait_for(told(False), timeout=10)
    assert not [f for f in pekka.frames if f["type"] == "alert_person"]
    for c in (back, sanna, pekka, boss):
        await c.close()
    for http in https.values():
        await http.close()


async def test_asking_whether_someone_left_with_the_close_keeps_nothing_of_them_in_redis(
        pair, redis_server):
    """Kuikka asks for help and then leaves the live group herself; Tiira asks and is still
    there when Sanna closes it. Answering Kuikka's call asks the broker whether she left with
    a close (she did not: member_not_found). Before, that look alone stored a counter at 0
    under her member id in Redis for a day, one for every member asked about; now nothing of
    hers is kept, and only Tiira, who did leave with the close, is remembered (1)."""
    a, b, admin = pair
    https, consoles = await ilta_staff(admin, b, others=False)
    sanna = consoles["sanna"]
    (kuikka, tiira), called = await ilta_open_with_calls(a, admin, sanna, [a, b])
    alerts = {kuikka: called[0], tiira: called[1]}
    assert (await kuikka.request({"type": "leave", "room": "ilta"}))["type"] != "error"
    await sanna.wait_for(lambda f: f["type"] == "member_left"
                         and f["member"] == alerts[kuikka]["member"], timeout=5)
    refused = await sanna.request({"type": "conv_open", "alert": alerts[kuikka]["id"]})
    assert refused["code"] == "member_not_found"
    assert (await sanna.request({"type": "session", "room": "ilta", "action": "close"}))[
        "type"] == "done"
    await tiira.wait_for(lambda f: f["type"] == "left", timeout=10)
    refused = await sanna.request({"type": "conv_open", "alert": alerts[kuikka]["id"]})
    assert refused["code"] == "member_not_found"

    r = aioredis.from_url(redis_server.url, decode_responses=True)
    try:
        keys = [k async for k in r.scan_iter("chat:hits:left-at-close:*")]
        kept = {k.rsplit(":", 1)[1]: await r.get(k) for k in keys}
    finally:
        await r.aclose()
    assert kept == {alerts[tiira]["member"]: "1"}
    for c in (kuikka, tiira, sanna):
        await c.close()
    await https["sanna"].close()


@pytest.mark.parametrize("pair", [{"facilitator_away_seconds": 4}], indirect=True)
async def test_the_room_is_told_when_no_facilitator_is_there_any_more_and_when_one_is_back(
        pair):
    """Sanna opens the group and later leaves it while it is live. Everyone in the room, on
    both processes, is told (a session event, once), and so is whoever joins later (the
    session carries facilitator_away); when she is back, the room hears that too. A reload of
    her console (gone a second and a half) says nothing. Before, the group carried on without
    a word, and people believed someone was watching."""
    a, b, admin = pair
    await make_room(admin, "ilta")
    await add_facilitator(admin, "sanna", ["ilta"])
    sanna_http = StaffHttp(b.url)
    await sanna_http.login("sanna", FACILITATOR_PASSWORD)
    sanna = await sanna_http.socket(b.ws_url)
    await make_session(admin, "ilta", local_minute(5), 60)
    await wait_state(a, "ilta", "lobby")
    p1 = await ChatClient.connect(a.ws_url)
    p2 = await ChatClient.connect(b.ws_url)
    for c in (p1, p2, sanna):
        await c.join("ilta")
    opened = await sanna.request({"type": "session", "room": "ilta", "action": "open"})
    assert opened["session"]["facilitator_away"] is False

    def told(c: ChatClient, event: str) -> list[dict]:
        return [f for f in c.events("ilta", "session") if f["event"] == event]

    # A reload: gone for several timer ticks, back well within the grace.
    await sanna.close()
    await asyncio.sleep(1.5)
    sanna = await sanna_http.socket(a.ws_url)
    await sanna.join("ilta")
    await asyncio.sleep(1.0)
    assert not told(p1, "facilitator_away") and not told(p2, "facilitator_away")

    # She leaves for good: both processes' members are told, once.
    await sanna.close()
    for c in (p1, p2):
        away = await c.wait_for(lambda f: f.get("event") == "facilitator_away", timeout=20)
        assert (away["session"]["state"], away["session"]["facilitator_away"]) == ("live", True)
    for process in (a, b):  # someone who arrives or reloads now is told too
        late = await ChatClient.connect(process.ws_url)
        joined = await late.join("ilta")
        assert joined["session"]["facilitator_away"] is True
        await late.close()
    # She comes back (on the other process): the room hears it at once.
    sanna = await sanna_http.socket(a.ws_url)
    await sanna.join("ilta")
    for c in (p1, p2):
        back = await c.wait_for(lambda f: f.get("event") == "facilitator_back", timeout=5)
        assert back["session"]["facilitator_away"] is False
    await asyncio.sleep(1.0)
    for c in (p1, p2):
        assert (len(told(c, "facilitator_away")), len(told(c, "facilitator_back"))) == (1, 1)
    late = await ChatClient.connect(b.ws_url)
    assert (await late.join("ilta"))["session"]["facilitator_away"] is False
    for c in (late, p1, p2, sanna):
        await c.close()
    await sanna_http.close()
