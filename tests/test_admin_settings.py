"""Admins edit the crisis resources and a room's filters; every process follows at once."""

from __future__ import annotations

import asyncio

from chatserver.testing import (
    FACILITATOR_PASSWORD,
    FAST,
    ChatClient,
    StaffHttp,
    add_facilitator,
    create_admin,
)


async def test_crisis_resources_and_filters_are_admin_edited_and_shared(start_server,
                                                                        redis_server, pg_url):
    password = create_admin({"DATABASE_URL": pg_url})
    a = start_server(database_url=pg_url, redis_url=redis_server.url)
    b = start_server(database_url=pg_url, redis_url=redis_server.url)
    admin = StaffHttp(a.url)
    await admin.login("admin", password)
    await add_facilitator(admin, "sanna", ["olohuone"])
    sanna = StaffHttp(a.url)
    await sanna.login("sanna", FACILITATOR_PASSWORD)

    resources = (await admin.http.get("/api/crisis-resources")).json()
    assert resources[0]["phone"] == "112"
    edited = [*resources, {"id": "local", "phone": "040 000 0000",
                           "name": {"fi": "Yhdistyksen päivystys", "sv": "Föreningens jour",
                                    "en": "The association's on-call line"},
                           "hours": {"fi": "ma-pe 9-15", "sv": "mån-fre 9-15",
                                     "en": "Mon-Fri 9-15"}}]
    assert (await sanna.put("/api/crisis-resources", {"resources": edited})).status_code == 403
    bad = await admin.put("/api/crisis-resources", {"resources": [{"id": "x", "phone": "1",
                                                                   "name": {"fi": "vain"}}]})
    assert bad.status_code == 400 and "fi, sv and en" in bad.json()["detail"]
    assert (await admin.put("/api/crisis-resources", {"resources": edited})).status_code == 200

    person = await ChatClient.connect(b.ws_url)
    await person.join("olohuone")
    shown = await person.request({"type": "help", "room": "olohuone"})
    assert [r["id"] for r in shown["resources"]] == ["emergency", "mieli-fi", "mieli-sv",
                                                     "mieli-en", "local"]

    assert (await sanna.put("/api/rooms/olohuone/filters",
                            {"settings": {"links": "hold"}})).status_code == 403
    invalid = await admin.put("/api/rooms/olohuone/filters",
                              {"settings": {"links": "sometimes", "colour": "red"}})
    assert invalid.status_code == 400 and len(invalid.json()["problems"]) == 2
    assert (await admin.put("/api/rooms/olohuone/filters",
                            {"settings": {"links": "hold", "newcomer": False}})).status_code == 200
    await asyncio.sleep(0.5)
    held = await person.say("olohuone", "katso https://esimerkki.fi/juttu")
    assert (held["type"], held["reason"]) == ("held", "link")
    effective = (await admin.http.get("/api/rooms/olohuone/filters")).json()["effective"]
    assert effective["links"] == "hold" and effective["crisis"] is True
    audit = {e["action"] for e in (await admin.http.get("/api/audit")).json()}
    assert {"crisis_resources", "filters"} <= audit
    await person.close()
    await admin.close()
    await sanna.close()


async def test_the_crisis_lines_shown_may_be_posted_without_a_question(start_server, tmp_path):
    """A crisis line an admin adds is one the sender may post freely, like the seeded ones;
    a phone field that is not a number does not break the room's filters."""
    db = f"sqlite+aiosqlite:///{tmp_path}/lines.sqlite3"
    password = create_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, **FAST)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    seeded = (await admin.http.get("/api/crisis-resources")).json()
    names = {"fi": "Yhdistyksen päivystys", "sv": "Föreningens jour",
             "en": "The association's on-call line"}
    line = {"id": "local", "phone": "040 000 0000", "name": names}
    person = await ChatClient.connect(server.ws_url)
    await person.join("olohuone")
    asked = await person.say("olohuone", "yhdistyksen päivystys 040 000 0000 auttoi")
    assert (asked["type"], asked["reason"]) == ("confirm", "phone")

    assert (await admin.put("/api/crisis-resources",
                            {"resources": [*seeded, line]})).status_code == 200
    await asyncio.sleep(0.5)
    posted = await person.say("olohuone", "yhdistyksen päivystys 040 000 0000 auttoi")
    assert posted["type"] == "ack", "the room's own crisis line is not a personal detail"
    own = await person.say("olohuone", "minun numeroni on 040 111 2222")
    assert (own["type"], own["reason"]) == ("confirm", "phone")

    odd = {"id": "odd", "phone": "116 123 (maksuton)", "name": names}
    assert (await admin.put("/api/crisis-resources",
                            {"resources": [*seeded, line, odd]})).status_code == 200
    await asyncio.sleep(0.5)
    still = await person.say("olohuone", "soitin eilen 040 000 0000")
    assert still["type"] == "ack", "a phone field that is not a number is left out"
    await person.close()
    await admin.close()
