"""Closed groups (invite, redeem, three meetings with a stable pseudonym, a non-member
refused), feedback once and its CSV export, debriefs, statistics, and the sharing round over
the WebSocket across two processes."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)
from tests.calendar_dates import this_year
from tests.test_sessions_flow import TIMER, local_minute, make_room, make_session


@pytest.fixture
async def group(start_server, tmp_path):
    """One process (SQLite); an admin; closed group 'tiistai' led by Sanna; another room."""
    db = f"sqlite+aiosqlite:///{tmp_path}/groups.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, **TIMER, **FAST)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    await make_room(admin, "tiistai", access="closed", retention="days", retention_days=30)
    await make_room(admin, "muu")
    await add_facilitator(admin, "sanna", ["tiistai"])
    await add_facilitator(admin, "pekka", ["muu"])
    sanna = StaffHttp(server.url)
    await sanna.login("sanna", FACILITATOR_PASSWORD)
    pekka = StaffHttp(server.url)
    await pekka.login("pekka", FACILITATOR_PASSWORD)
    yield server, admin, sanna, pekka
    for http in (admin, sanna, pekka):
        await http.close()


async def meeting(server, admin: StaffHttp, sanna_ws: ChatClient, offset: int) -> int:
    """A session of tiistai, opened by Sanna; returns its id."""
    session = await make_session(admin, "tiistai", local_minute(offset), 60)
    done = await sanna_ws.request({"type": "session", "room": "tiistai", "action": "open"})
    assert done["type"] == "done" and done["session"]["id"] == session["id"], done
    return int(session["id"])


async def close(sanna_ws: ChatClient) -> None:
    done = await sanna_ws.request({"type": "session", "room": "tiistai", "action": "close"})
    assert done["session"]["state"] == "closed", done


async def test_closed_group_three_meetings_stable_pseudonym_feedback_and_csv(group):
    server, admin, sanna, pekka = group
    # Invites: the group's facilitator may issue them, another room's facilitator not.
    assert (await pekka.post("/api/rooms/tiistai/invites", {"count": 2})).status_code == 404
    made = await sanna.post("/api/rooms/tiistai/invites", {"count": 3})
    assert made.status_code == 201
    codes = made.json()["codes"]
    assert len(set(codes)) == 3
    # A drop-in room has no invites.
    assert (await admin.post("/api/rooms/muu/invites", {})).status_code == 400

    first = await ChatClient.connect(server.ws_url)
    redeemed = await first.request({"type": "redeem", "code": codes[0].lower().replace("-", " "),
                                    "name": "Tyyni Saukko"})
    assert (redeemed["type"], redeemed["room"], redeemed["name"]) == (
        "redeemed", "tiistai", "Tyyni Saukko")
    second = await ChatClient.connect(server.ws_url)
    assert (await second.request({"type": "redeem", "code": codes[1]}))["type"] == "redeemed"
    # Single use: the same code again, for anyone, is refused; so is a made-up one.
    outsider = await ChatClient.connect(server.ws_url)
    for code in (codes[0], "AAAA-BBBB-CCCC"):
        refused = await outsider.request({"type": "redeem", "code": code})
        assert (refused["type"], refused["code"]) == ("error", "invite_invalid")
    counts = (await sanna.http.get("/api/rooms/tiistai/invites")).json()
    assert counts == {"issued": 3, "used": 2, "open": 1, "members": 2}

    sanna_ws = await sanna.socket(server.ws_url)
    await sanna_ws.join("tiistai")
    token = first.token
    await first.close()
    names, sessions = [], []
    for n in range(3):
        sessions.append(await meeting(server, admin, sanna_ws, 5 + 10 * n))
        # Each meeting on a fresh connection with the same identity; a different name asked
        # for is not taken: inside the group the pseudonym stays.
        visitor = await ChatClient.connect(server.ws_url, token=token)
        joined = await visitor.join("tiistai", name=f"Toinen Nimi {n}")
        assert joined["type"] == "joined", joined
        names.append(joined["name"])
        if n == 0:
            await second.join("tiistai")
        assert (await visitor.say("tiistai", f"kokous {n + 1}"))["type"] == "ack"
        refused = await outsider.join("tiistai")
        assert (refused["type"], refused["code"]) == ("error", "not_a_member")
        await close(sanna_ws)
        await visitor.wait_for(lambda f: f["type"] == "left")
        if n == 0:
            # Feedback once, after the close, from those who attended.
            saved = await visitor.request({"type": "feedback", "session": sessions[0],
                                           "rating": 5, "text": "=HYPERLINK(\"x\") kiitos"})
            assert saved["type"] == "feedback_saved"
            again = await visitor.request({"type": "feedback", "session": sessions[0],
                                           "rating": 1})
            assert again["code"] == "feedback_given"
            by_second = await second.request({"type": "feedback", "session": sessions[0],
                                              "rating": 3})
            assert by_second["type"] == "feedback_saved"
            stranger = await outsider.request({"type": "feedback", "session": sessions[0],
                                               "rating": 1})
            assert stranger["code"] == "forbidden"
            for bad in ({"rating": 0}, {"rating": 6}, {"rating": 4, "text": "x" * 501}):
                answer = await second.request({"type": "feedback", "session": sessions[0],
                                               **bad})
                assert answer["type"] == "error", bad
        await visitor.close()
    assert names == ["Tyyni Saukko"] * 3
    # Feedback before a session has closed is refused.
    open_one = await meeting(server, admin, sanna_ws, 45)
    early = await second.request({"type": "feedback", "session": open_one, "rating": 4})
    assert early["code"] == "session_state"

    # Attendance per meeting: anonymous counts.
    held = {s["id"]: s for s in (await admin.http.get("/api/sessions")).json()}
    assert [held[i]["attendance"] for i in sessions] == [2, 1, 1]
    assert [held[i]["messages"] for i in sessions] == [1, 1, 1]

    # The course's roster for its facilitator: group pseudonyms and who came to which
    # meeting (never an identity); another room's facilitator learns nothing.
    assert (await pekka.http.get("/api/rooms/tiistai/roster")).status_code == 404
    roster = (await sanna.http.get("/api/rooms/tiistai/roster")).json()
    by_name = {m["name"]: m for m in roster["members"]}
    assert set(by_name) == {"Tyyni Saukko", second.pseudonym}
    assert by_name["Tyyni Saukko"]["attended"] == sessions
    assert by_name[second.pseudonym]["attended"] == sessions[:1]
    assert [m["id"] for m in roster["meetings"]][:3] == sessions
    assert "identity" not in str(roster) and token not in str(roster)
    # Sanna takes the second member out of the group: gone from the roster, cannot join.
    removed_member = by_name[second.pseudonym]["member"]
    assert (await pekka.http.delete(f"/api/rooms/tiistai/members/{removed_member}",
                                    headers={"x-csrf-token": pekka.csrf})).status_code == 404
    assert (await sanna.http.delete(f"/api/rooms/tiistai/members/{removed_member}",
                                    headers={"x-csrf-token": sanna.csrf})).status_code == 204
    after = (await sanna.http.get("/api/rooms/tiistai/roster")).json()
    assert [m["name"] for m in after["members"]] == ["Tyyni Saukko"]
    assert (await second.join("tiistai"))["code"] == "not_a_member"

    # The CSV export: admins only, one row per feedback, no identities, formulas defused.
    assert (await sanna.http.get("/api/feedback.csv")).status_code == 403
    exported = await admin.http.get("/api/feedback.csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["group", "room", "session", "session_start", "rating", "text"]
    assert sorted((r[0], r[1], r[2], r[4]) for r in rows[1:]) == [
        ("Ilta", "tiistai", str(sessions[0]), "3"), ("Ilta", "tiistai", str(sessions[0]), "5")]
    assert "'=HYPERLINK(\"x\") kiitos" in [r[5] for r in rows[1:]]
    summary = (await admin.http.get("/api/feedback")).json()
    # The start on the group's own wall clock (Helsinki), with its offset; the name in the
    # admin's language when asked.
    local = datetime.fromisoformat(rows[1][3])
    assert local.utcoffset() in (timedelta(hours=2), timedelta(hours=3))
    assert local == datetime.fromisoformat(summary[0]["starts_at"].replace("Z", "+00:00"))
    swedish = (await admin.http.get("/api/feedback.csv?lang=sv")).text.splitlines()[1]
    assert swedish.startswith("Kväll,")
    assert summary[0]["count"] == 2 and summary[0]["rating"] == 4.0
    assert summary[0]["ratings"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
    # Narrowed to a room or a period (the session's start), the list and the CSV agree.
    start = summary[0]["starts_at"]
    for query, expected in (("?room=muu", 0), (f"?room=tiistai&from={start}", 2),
                            (f"?to={start}", 0), (f"?from={this_year() - 5}-01-01T00:00:00Z", 2)):
        narrowed = (await admin.http.get(f"/api/feedback{query}")).json()
        assert sum(r["count"] for r in narrowed) == expected, query
        lines = (await admin.http.get(f"/api/feedback.csv{query}")).text.strip().splitlines()
        assert len(lines) == 1 + expected, query
    assert (await admin.http.get("/api/feedback?from=eilen")).status_code == 400
    stats = {r["room"]: r for r in (await admin.http.get("/api/stats")).json()}
    assert stats["tiistai"]["sessions_held"] == 3
    assert stats["tiistai"]["participants"] == 4 and stats["tiistai"]["messages"] == 3
    assert stats["tiistai"]["feedback"] == 2
    assert (await sanna.http.get("/api/stats")).status_code == 403

    # Debrief: staff who ran it, after the close; another room's facilitator gets 404.
    note = {"text": "Hyvä tapaaminen. Ensi kerralla aiheena uni."}
    assert (await pekka.post(f"/api/sessions/{sessions[0]}/debrief", note)).status_code == 404
    assert (await sanna.post(f"/api/sessions/{open_one}/debrief", note)).status_code == 409
    assert (await sanna.post(f"/api/sessions/{sessions[0]}/debrief",
                             {"text": "x" * 4001})).status_code == 400
    assert (await sanna.post(f"/api/sessions/{sessions[0]}/debrief", note)).status_code == 201
    listed = (await admin.http.get(f"/api/sessions/{sessions[0]}/debriefs")).json()
    assert [(d["author"], d["text"]) for d in listed] == [("Sanna", note["text"])]
    assert (await pekka.http.get(f"/api/sessions/{sessions[0]}/debriefs")).status_code == 404
    for c in (second, outsider, sanna_ws):
        await c.close()


@pytest.fixture
async def two(start_server, redis_server, pg_url):
    admin_password = create_admin({"DATABASE_URL": pg_url})
    a = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST, **TIMER)
    b = start_server(database_url=pg_url, redis_url=redis_server.url, **FAST, **TIMER)
    admin = StaffHttp(a.url)
    await admin.login("admin", admin_password)
    await make_room(admin, "ilta")
    await add_facilitator(admin, "sanna", ["ilta"])
    sanna = StaffHttp(b.url)
    await sanna.login("sanna", FACILITATOR_PASSWORD)
    yield a, b, admin, sanna
    await admin.close()
    await sanna.close()


def latest_round(client: ChatClient) -> dict:
    return client.events("ilta", "round")[-1]


async def test_sharing_round_over_the_websocket_on_two_processes(two):
    a, b, admin, sanna_http = two
    await make_session(admin, "ilta", local_minute(5), 60)
    sanna = await sanna_http.socket(a.ws_url)
    await sanna.join("ilta")
    assert (await sanna.request({"type": "session", "room": "ilta",
                                 "action": "open"}))["type"] == "done"
    p1 = await ChatClient.connect(a.ws_url)
    p2 = await ChatClient.connect(b.ws_url)
    m1 = (await p1.join("ilta"))["member"]
    m2 = (await p2.join("ilta"))["member"]
    # No round yet: a hand cannot go up; a participant cannot start one.
    assert (await p1.request({"type": "round", "room": "ilta", "action": "raise"}))[
        "code"] == "no_round"
    assert (await p1.request({"type": "round", "room": "ilta", "action": "start"}))[
        "code"] == "forbidden"
    assert (await sanna.request({"type": "round", "room": "ilta",
                                 "action": "start"}))["type"] == "done"
    assert (await p1.request({"type": "round", "room": "ilta", "action": "raise"}))[
        "type"] == "done"
    assert (await p2.request({"type": "round", "room": "ilta", "action": "pass"}))[
        "type"] == "done"
    for c in (p1, p2, sanna):
        await c.wait_for(lambda f: f.get("type") == "round" and f["event"] == "passed")
    state = latest_round(p2)["round"]
    assert [p["member"] for p in state["raised"]] == [m1]
    assert [p["member"] for p in state["passed"]] == [m2]
    # Only staff give the turn, and only to someone present.
    assert (await p2.request({"type": "round", "room": "ilta", "action": "give",
                              "member": m2}))["code"] == "forbidden"
    assert (await sanna.request({"type": "round", "room": "ilta", "action": "give",
                                 "member": "nobodyhere123456"}))["code"] == "member_not_found"
    assert (await sanna.request({"type": "round", "room": "ilta", "action": "give",
                                 "member": m1}))["type"] == "done"
    for c in (p1, p2):
        turn = await c.wait_for(lambda f: f.get("type") == "round" and f["event"] == "turn")
        assert turn["round"]["turn"]["member"] == m1
        assert turn["round"]["raised"] == []
    # Everyone saw the same round events in the same order, on both processes.
    assert [(f["seq"], f["event"]) for f in p1.events("ilta", "round")] == [
        (f["seq"], f["event"]) for f in p2.events("ilta", "round")]
    # A member who joins now learns the round from joined.
    late = await ChatClient.connect(b.ws_url)
    joined = await late.join("ilta")
    assert joined["round"]["turn"]["member"] == m1
    assert (await sanna.request({"type": "round", "room": "ilta",
                                 "action": "end"}))["type"] == "done"
    ended = await p2.wait_for(lambda f: f.get("type") == "round" and f["event"] == "ended")
    assert ended["round"] == {"active": False}
    for c in (p1, p2, sanna, late):
        await c.close()


async def test_statistics_count_an_always_open_group_by_period(start_server, tmp_path):
    """An always-open room has no sessions, yet messages, reports and crisis alerts happen
    there: the figures count them by period (issue 18, item 18)."""
    db = f"sqlite+aiosqlite:///{tmp_path}/stats.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, **FAST)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    writer = await ChatClient.connect(server.ws_url)
    reader = await ChatClient.connect(server.ws_url)
    await writer.join("olohuone")
    await reader.join("olohuone")
    await writer.say("olohuone", "hei kaikki")
    crisis = await writer.say("olohuone", "en jaksa enää, haluan kuolla")
    await reader.request({"type": "report", "room": "olohuone", "seq": crisis["seq"],
                          "category": "worried"})
    stats = {r["room"]: r for r in (await admin.http.get("/api/stats")).json()}
    assert (stats["olohuone"]["messages"], stats["olohuone"]["participants"],
            stats["olohuone"]["reports"], stats["olohuone"]["crisis_alerts"]) == (2, 2, 1, 1)
    # A period that ended before them counts none of it.
    earlier = (await admin.http.get(f"/api/stats?to={this_year() - 20}-01-01T00:00:00Z")).json()
    assert {r["room"]: r["messages"] for r in earlier}["olohuone"] == 0
    for client in (writer, reader):
        await client.close()
    await admin.close()
