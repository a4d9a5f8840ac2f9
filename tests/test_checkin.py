"""The anonymous check-in and check-out (issue 21) over a real server: attendees send how they
felt at the start and the end once, nothing stored ties an answer to anyone, and the funder's
report shows figures only from five answers up (page data, CSV and API alike)."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)
from tests.test_sessions_flow import TIMER, local_minute, make_room, make_session

QUESTION = {"fi": "Tulin kuulluksi.", "sv": "Jag blev hörd.", "en": "I felt heard."}


@pytest.fixture
async def course(start_server, tmp_path):
    db_path = tmp_path / "impact.sqlite3"
    db = f"sqlite+aiosqlite:///{db_path}"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, **TIMER, **FAST)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    await make_room(admin, "kurssi", checkin={"enabled": True, "question": QUESTION})
    await make_room(admin, "muu")
    await add_facilitator(admin, "sanna", ["kurssi"])
    await add_facilitator(admin, "pekka", ["muu"])
    staff = {}
    for name in ("sanna", "pekka"):
        staff[name] = StaffHttp(server.url)
        await staff[name].login(name, FACILITATOR_PASSWORD)
    yield server, admin, staff, db_path
    for http in (admin, *staff.values()):
        await http.close()


async def meeting(server, admin, sanna_http, people: int) -> tuple[int, list[ChatClient],
                                                                    ChatClient]:
    session = await make_session(admin, "kurssi", local_minute(5), 60)
    sanna = await sanna_http.socket(server.ws_url)
    await sanna.join("kurssi")
    assert (await sanna.request({"type": "session", "room": "kurssi", "action": "open"})
            )["type"] == "done"
    clients = []
    for _ in range(people):
        client = await ChatClient.connect(server.ws_url)
        assert (await client.join("kurssi"))["type"] == "joined"
        clients.append(client)
    return int(session["id"]), clients, sanna


async def test_answers_are_kept_apart_from_people_and_small_numbers_are_not_shown(course):
    server, admin, staff, db_path = course
    rooms = {r["id"]: r for r in (await admin.http.get("/api/rooms")).json()}
    assert rooms["kurssi"]["checkin"] == {"question": QUESTION}
    assert rooms["muu"]["checkin"] is None
    session, people, sanna = await meeting(server, admin, staff["sanna"], 6)
    # Three answer while the group is still running (they are leaving early, say).
    for client, (before, after) in zip(people[:3], ((2, 4), (3, 3), (1, 3)), strict=True):
        saved = await client.request({"type": "checkin", "session": session,
                                      "before": before, "after": after, "extra": 4})
        assert saved["type"] == "checkin_saved"
    # Once each; never by staff or someone who did not attend; one answer at least.
    again = await people[0].request({"type": "checkin", "session": session, "before": 5})
    assert again["code"] == "checkin_given"
    stranger = await ChatClient.connect(server.ws_url)
    assert (await stranger.request({"type": "checkin", "session": session, "before": 3})
            )["code"] == "forbidden"
    assert (await sanna.request({"type": "checkin", "session": session, "before": 3})
            )["code"] == "forbidden"
    assert (await people[3].request({"type": "checkin", "session": session})
            )["code"] == "invalid_frame"
    # Three answers: every figure from them reads "fewer than 5", in the API and the CSV.
    report = (await admin.http.get("/api/impact", params={"room": "kurssi"})).json()
    (group,) = report["groups"]
    assert group["answers"] == group["check_in"] == group["change"] == "fewer_than_5"
    rows = list(csv.reader(io.StringIO(
        (await admin.http.get("/api/impact.csv", params={"room": "kurssi"})).text)))
    assert rows[1][rows[0].index("mean_change")] == "alle 5"
    assert rows[1][rows[0].index("check_in_mean")] == "alle 5"
    # The rest answer after the close; now there are six.
    assert (await sanna.request({"type": "session", "room": "kurssi", "action": "close"})
            )["type"] == "done"
    for client, (before, after) in zip(people[3:], ((2, 2), (4, 5), (3, 2)), strict=True):
        await client.wait_for(lambda f: f["type"] == "left")
        saved = await client.request({"type": "checkin", "session": session,
                                      "before": before, "after": after})
        assert saved["type"] == "checkin_saved"
    report = (await admin.http.get("/api/impact", params={"room": "kurssi"})).json()
    (group,) = report["groups"]
    assert (group["sessions_held"], group["people_reached"], group["answers"]) == (1, 6, 6)
    assert group["check_in"]["n"] == 6 and group["check_in"]["2"] == 2
    change = group["change"]
    assert (change["n"], change["better"], change["same"], change["worse"]) == (
        6, 0.5, 0.333, 0.167)
    assert change["ci95"][0] < change["mean_change"] < change["ci95"][1]
    assert group["extra"] == "fewer_than_5"  # only three answered the admin's question
    assert group["question"] == QUESTION["fi"]
    # A facilitator sees their own group's report, not another's.
    assert (await staff["sanna"].http.get("/api/impact")).json()["groups"][0]["room"] == \
        "kurssi"
    assert (await staff["pekka"].http.get("/api/impact", params={"room": "kurssi"})
            ).status_code == 404
    assert [g["room"] for g in (await staff["pekka"].http.get("/api/impact")).json()
            ["groups"]] == ["muu"]
    # Nothing stored with an answer ties it to a person: no member id, token, identity or
    # pseudonym in any column, and the key is random rather than a counter.
    members = {client.events("kurssi", "member_joined")[-1]["member"] for client in people
               if client.events("kurssi", "member_joined")}
    secrets = {c.token for c in people} | {c.pseudonym for c in people} | members
    with sqlite3.connect(db_path) as db:
        columns = [c[1] for c in db.execute("PRAGMA table_info(checkins)")]
        stored = db.execute("SELECT * FROM checkins").fetchall()
        identities = {row[0] for row in db.execute("SELECT id FROM identities")}
    assert set(columns) == {"id", "session_id", "room_id", "before", "after", "extra"}
    assert len(stored) == 6
    values = {str(v) for row in stored for v in row}
    assert not values & (secrets | identities)
    ids = [row[columns.index("id")] for row in stored]
    assert all(len(i) == 32 and not i.isdigit() for i in ids)
    for client in (*people, stranger, sanna):
        await client.close()
