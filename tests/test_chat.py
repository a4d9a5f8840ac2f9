"""Participants chatting through a real uvicorn process (SQLite, in-process broker)."""

from __future__ import annotations

import asyncio

from chatserver.testing import FAST, ChatClient


async def test_two_chat_and_a_late_joiner_gets_history_then_live(start_server, database_url):
    server = start_server(database_url=database_url, **FAST)
    alice = await ChatClient.connect(server.ws_url)
    bob = await ChatClient.connect(server.ws_url)
    joined = await alice.join("olohuone")
    assert joined["type"] == "joined"
    await bob.join("olohuone")
    for i in range(3):
        ack = await alice.say("olohuone", f"hei {i}")
        assert ack["type"] == "ack"
    await bob.wait_for(lambda f: f.get("text") == "hei 2")
    reply = await bob.say("olohuone", "moi", reply_to=ack["seq"])
    await alice.wait_for(lambda f: f.get("text") == "moi" and f.get("reply_to") == ack["seq"])

    carol = await ChatClient.connect(server.ws_url)
    await carol.join("olohuone")
    history = [f["text"] for f in carol.events("olohuone", "message")]
    assert history == ["hei 0", "hei 1", "hei 2", "moi"]
    await alice.say("olohuone", "tervetuloa")
    live = await carol.wait_for(lambda f: f.get("text") == "tervetuloa")
    assert live["seq"] > reply["seq"]
    # All three saw the same stream in the same order.
    def order(c: ChatClient) -> list[int]:
        return [f["seq"] for f in c.events("olohuone", "message")]
    await asyncio.sleep(0.2)
    assert order(alice)[-2:] == order(bob)[-2:] == order(carol)[-2:]
    for c in (alice, bob, carol):
        await c.close()


async def test_resume_after_disconnect_gets_exactly_what_was_missed(start_server,
                                                                   database_url):
    server = start_server(database_url=database_url, **FAST)
    alice = await ChatClient.connect(server.ws_url)
    bob = await ChatClient.connect(server.ws_url)
    await alice.join("olohuone")
    await bob.join("olohuone")
    await alice.say("olohuone", "before")
    await bob.wait_for(lambda f: f.get("text") == "before")
    last = bob.last_seq("olohuone")
    token = bob.token
    await bob.close()

    sent = [(await alice.say("olohuone", f"missed {i}"))["seq"] for i in range(100)]

    bob2 = await ChatClient.connect(server.ws_url, token=token)
    assert bob2.pseudonym == bob.pseudonym  # the token gives back the same pseudonym
    joined = await bob2.join("olohuone", since=last)
    assert joined["complete"] is True
    replayed = bob2.events("olohuone", "message")
    assert [f["seq"] for f in replayed] == sent
    assert [f["text"] for f in replayed] == [f"missed {i}" for i in range(100)]
    await alice.say("olohuone", "live again")
    await bob2.wait_for(lambda f: f.get("text") == "live again")
    seqs = [f["seq"] for f in bob2.events("olohuone")]
    assert seqs == sorted(set(seqs)), "no duplicates, in order"
    await alice.close()
    await bob2.close()


async def test_presence_and_typing(start_server):
    server = start_server()
    alice = await ChatClient.connect(server.ws_url)
    bob = await ChatClient.connect(server.ws_url)
    await alice.join("olohuone")
    joined = await bob.join("olohuone")
    names = {m["name"] for m in joined["members"]}
    assert names == {alice.pseudonym, bob.pseudonym}
    assert all(m["role"] == "participant" for m in joined["members"])
    arrived = await alice.wait_for(lambda f: f["type"] == "member_joined"
                                   and f["name"] == bob.pseudonym)
    await bob.send({"type": "typing", "room": "olohuone"})
    typing = await alice.wait_for(lambda f: f["type"] == "typing")
    assert typing["member"] == arrived["member"] and "seq" not in typing
    await bob.request({"type": "leave", "room": "olohuone"})
    await alice.wait_for(lambda f: f["type"] == "member_left" and f["member"] == arrived["member"])
    _, rooms = server.get("/api/rooms")
    assert {r["id"]: r["members"] for r in rooms}["olohuone"] == 1
    await alice.close()
    await bob.close()


async def test_chosen_pseudonym_is_validated_and_unique_in_room(start_server):
    server = start_server()
    alice = await ChatClient.connect(server.ws_url, lang="en")
    bob = await ChatClient.connect(server.ws_url)
    joined = await alice.join("olohuone", name="Quiet Heron")
    assert joined["name"] == "Quiet Heron"
    for bad, code in [("quiet heron", "name_taken"), ("x", "name_too_short"),
                      ("Ohjaaja Maija", "name_looks_like_staff"),
                      ("evil\u202egnp", "name_forbidden_character"), ("a" * 40, "name_too_long")]:
        answer = await bob.join("olohuone", name=bad)
        assert (answer["type"], answer["code"]) == ("error", code), bad
    ok = await bob.join("olohuone", name="  Ｑｕｉｅｔ   Bear ")  # NFKC and spaces folded
    assert ok["name"] == "Quiet Bear"
    again = await ChatClient.connect(server.ws_url, token=bob.token)
    assert again.pseudonym == "Quiet Bear"
    for c in (alice, bob, again):
        await c.close()


async def test_a_full_room_refuses_one_more_but_not_a_member_already_in(start_server):
    server = start_server()
    _, rooms = server.get("/api/rooms")
    capacity = {r["id"]: r["capacity"] for r in rooms}["laheiset"]
    members = [await ChatClient.connect(server.ws_url) for _ in range(capacity)]
    for c in members:
        assert (await c.join("laheiset"))["type"] == "joined"
    extra = await ChatClient.connect(server.ws_url)
    refused = await extra.join("laheiset")
    assert (refused["type"], refused["code"]) == ("error", "room_full")
    # The same person in a second tab is not a new member.
    second_tab = await ChatClient.connect(server.ws_url, token=members[0].token)
    assert (await second_tab.join("laheiset"))["type"] == "joined"
    await members[1].request({"type": "leave", "room": "laheiset"})
    assert (await extra.join("laheiset"))["type"] == "joined"
    for c in [*members, extra, second_tab]:
        await c.close()


async def test_many_leaving_at_once_are_each_announced_once(start_server):
    """Sockets closing together (a train going into a tunnel, a server shutting down) each
    get one `member_left`; none twice, none lost, and the server logs no error."""
    server = start_server(**FAST)
    watcher = await ChatClient.connect(server.ws_url)
    await watcher.join("olohuone")
    leavers = [await ChatClient.connect(server.ws_url) for _ in range(12)]
    members = [(await c.join("olohuone"))["member"] for c in leavers]
    await asyncio.gather(*(c.close() for c in leavers))
    await watcher.wait_for(lambda f: f["type"] == "member_left" and sum(
        e["type"] == "member_left" for e in watcher.events("olohuone")) >= len(members))
    await asyncio.sleep(0.5)  # any second announcement would arrive by now
    left = [e["member"] for e in watcher.events("olohuone", "member_left")]
    assert sorted(left) == sorted(members)
    await watcher.close()
    assert '"level":"ERROR"' not in server.log_text()
