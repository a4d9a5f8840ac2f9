"""Admins edit the crisis resources and a room's filters; every process follows at once."""

from __future__ import annotations

import asyncio

from chatserver.testing import (
    FACILITATOR_PASSWORD,
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
