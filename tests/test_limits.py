"""Every limit of the protocol, crossed: a clear error code, and the connection (or at least
the server) still working afterwards, with nothing that was accepted lost."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from chatserver.testing import ChatClient

LIMITS = {"max_frame_bytes": 4096, "max_message_chars": 100, "send_rate": 1, "send_burst": 3,
          "abuse_limit": 6, "abuse_window": 30, "max_rooms_per_connection": 1,
          # The connection's own limits are under test, not the room's flood guards.
          "filter_defaults": '{"flood": false, "newcomer": false}'}


@pytest.fixture
def server(start_server):
    return start_server(**LIMITS)


async def still_usable(client: ChatClient) -> None:
    answer = await client.request({"type": "ping"})
    assert answer["type"] == "pong"


async def expect_error(client: ChatClient, frame, code: str) -> dict:
    mark = len(client.frames)
    await client.send(frame)
    error = await client.wait_for(lambda f: f["type"] == "error", start=mark)
    assert error["code"] == code, error
    assert error["message"]
    await still_usable(client)
    return error


async def test_malformed_frames_get_codes_and_the_connection_stays_usable(server):
    client = await ChatClient.connect(server.ws_url)
    await client.join("olohuone")
    await expect_error(client, "{not json", "bad_json")
    await expect_error(client, '{"type": "shout", "id": "x1"}', "unknown_type")
    await expect_error(client, "[1, 2]", "unknown_type")
    error = await expect_error(client, {"type": "send", "room": 5, "text": "x", "id": "w1"},
                               "invalid_frame")
    assert error["id"] == "w1"  # the client can tell which frame failed
    await expect_error(client, {"type": "send", "room": "olohuone"}, "invalid_frame")
    await expect_error(client, b"\x00\x01binary", "binary_not_supported")
    await client.close()


async def test_frame_size_limit_and_transport_cap(server):
    client = await ChatClient.connect(server.ws_url)
    await client.join("olohuone")
    ack = await client.say("olohuone", "kept")
    big = json.dumps({"type": "send", "room": "olohuone", "text": "x" * 5000, "id": "big"})
    assert 4096 < len(big) < 4 * 4096
    await expect_error(client, big, "frame_too_large")
    # Past four times the limit the transport itself refuses the frame (1009).
    await client.send(json.dumps({"type": "send", "room": "olohuone", "text": "x" * 20000}))
    code, _ = await asyncio.wait_for(client.closed, 5)
    assert code == 1009
    # The server is fine, and the message accepted before is still in the room.
    other = await ChatClient.connect(server.ws_url)
    await other.join("olohuone")
    assert ack["seq"] in [f["seq"] for f in other.events("olohuone", "message")]
    await other.close()


async def test_message_text_limits(server):
    client = await ChatClient.connect(server.ws_url)
    await client.join("olohuone")
    await expect_error(client, {"type": "send", "room": "olohuone", "text": "y" * 101, "id": "a"},
                       "text_too_long")
    assert (await client.say("olohuone", "y" * 100))["type"] == "ack"  # exactly the limit
    await expect_error(client, {"type": "send", "room": "olohuone", "text": "  \n ", "id": "b"},
                       "text_empty")
    await expect_error(client, {"type": "send", "room": "olohuone", "text": "r", "id": "c",
                                "reply_to": 99999}, "reply_not_found")
    await client.close()


async def test_conversation_errors(server):
    raw = await ChatClient.connect(server.ws_url, hello=False)
    await expect_error(raw, {"type": "join", "room": "olohuone", "id": "j"}, "hello_required")
    await expect_error(raw, {"type": "hello", "v": 99}, "unsupported_version")
    await expect_error(raw, {"type": "hello", "v": 1, "token": "forged-token"}, "invalid_token")
    await raw.close()
    client = await ChatClient.connect(server.ws_url)
    await expect_error(client, {"type": "join", "room": "no-such-room", "id": "j"},
                       "room_not_found")
    await expect_error(client, {"type": "send", "room": "olohuone", "text": "hi", "id": "s"},
                       "not_in_room")
    await client.join("olohuone")
    await expect_error(client, {"type": "join", "room": "olohuone", "id": "j2"},
                       "already_in_room")
    await expect_error(client, {"type": "join", "room": "laheiset", "id": "j3"},
                       "too_many_rooms")
    await expect_error(client, {"type": "leave", "room": "laheiset", "id": "l"}, "not_in_room")
    await client.close()


async def test_message_rate_limit_says_when_to_retry(server):
    client = await ChatClient.connect(server.ws_url)
    await client.join("olohuone")
    for i in range(3):  # the burst
        assert (await client.say("olohuone", f"m{i}"))["type"] == "ack"
    refused = await client.say("olohuone", "one too many")
    assert refused["code"] == "rate_limited" and refused["retry_after"] > 0
    await asyncio.sleep(refused["retry_after"] + 0.05)
    assert (await client.say("olohuone", "after waiting"))["type"] == "ack"
    await client.close()


async def test_repeated_abuse_closes_with_1008_and_others_are_unaffected(server):
    bystander = await ChatClient.connect(server.ws_url)
    await bystander.join("olohuone")
    abuser = await ChatClient.connect(server.ws_url)
    for _ in range(10):
        try:
            await abuser.send("garbage")
        except websockets.ConnectionClosed:
            break
    code, reason = await asyncio.wait_for(abuser.closed, 5)
    assert code == 1008 and reason
    assert sum(1 for f in abuser.frames if f.get("code") == "bad_json") >= 6
    await still_usable(bystander)
    assert (await bystander.say("olohuone", "still here"))["type"] == "ack"
    await bystander.close()


async def test_foreign_origin_is_refused(server):
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(server.ws_url, origin="https://evil.example")
    assert refused.value.response.status_code == 403
    same = await ChatClient.connect(server.ws_url, origin=f"http://127.0.0.1:{server.port}")
    await still_usable(same)
    await same.close()


async def test_a_connection_that_never_says_hello_is_closed(start_server):
    server = start_server(hello_timeout=1)
    silent = await ChatClient.connect(server.ws_url, hello=False)
    code, reason = await asyncio.wait_for(silent.closed, 5)
    assert (code, reason) == (1008, "no hello")
    assert silent.frames[-1]["code"] == "hello_required"
    talker = await ChatClient.connect(server.ws_url)  # one that says hello stays
    await asyncio.sleep(1.5)
    await still_usable(talker)
    await talker.close()
