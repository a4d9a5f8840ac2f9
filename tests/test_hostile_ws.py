"""Hostile WebSocket: RFC 6455 violations from a raw-socket client (the fast, always-run part
of `make conformance`), cross-site hijacking with a staff cookie, every moderation action by
every role, other rooms' ids, and SQL in every frame field that reaches a query."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import typing

import pytest
import websockets

from chatserver.domain.protocol import ModerationAction
from chatserver.testing import FACILITATOR_PASSWORD, FAST, ChatClient, StaffHttp, add_facilitator
from chatserver.testing import create_admin as make_admin

MAX_FRAME = 4096  # the transport's cap is four times this: 16 KiB


class RawSocket:
    """A WebSocket client that sends exactly the bytes a test asks for."""

    def __init__(self, port: int, origin: str | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET /ws HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                 "Sec-WebSocket-Version: 13"]
        if origin:
            lines.append(f"Origin: {origin}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                break
            head += chunk
        self.status = int(head.split(b" ", 2)[1]) if head else 0
        self.buffer = b""

    def send(self, opcode: int, payload: bytes = b"", *, fin: bool = True, rsv: int = 0,
             masked: bool = True, length: int | None = None) -> None:
        n = len(payload) if length is None else length
        first = (0x80 if fin else 0) | (rsv << 4) | opcode
        mask_bit = 0x80 if masked else 0
        if n < 126:
            header = bytes((first, mask_bit | n))
        elif n < 1 << 16:
            header = struct.pack("!BBH", first, mask_bit | 126, n)
        else:
            header = struct.pack("!BBQ", first, mask_bit | 127, n)
        if masked:
            mask = os.urandom(4)
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            header += mask
        try:
            self.sock.sendall(header + payload)
        except OSError:
            pass  # the server may already have closed: the test reads the close code

    def text(self, data: str | bytes, **kw: typing.Any) -> None:
        self.send(0x1, data.encode() if isinstance(data, str) else data, **kw)

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def frame(self) -> tuple[int, bytes]:
        b1, b2 = self._read(2)
        n = b2 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        assert not b2 & 0x80, "a server must not mask its frames"
        return b1 & 0x0F, self._read(n)

    def close_code(self) -> int | None:
        """Read until the server's close frame; its code (None if the TCP just ended)."""
        try:
            while True:
                opcode, payload = self.frame()
                if opcode == 0x8:
                    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
        except (ConnectionError, OSError):
            return None
        finally:
            self.sock.close()

    def json_frame(self) -> dict[str, typing.Any]:
        while True:
            opcode, payload = self.frame()
            if opcode == 0x1:
                return dict(json.loads(payload))


@pytest.fixture
def server(start_server):
    return start_server(max_frame_bytes=MAX_FRAME, max_message_chars=1000, **FAST)


HELLO = json.dumps({"type": "hello", "v": 1, "lang": "en"}).encode()

VIOLATIONS: dict[str, tuple[typing.Callable[[RawSocket], None], int]] = {
    "invalid UTF-8 in a text frame": (lambda s: s.text(b'{"type":"ping","x":"\xed\xa0\x80"}'),
                                      1007),
    "invalid UTF-8 split across fragments": (
        lambda s: (s.text(b'{"type":"ping","x":"\xce', fin=False), s.send(0x0, b'\xba\xff"}')),
        1007),
    "a message over the transport cap": (lambda s: s.text(b"x" * (4 * MAX_FRAME + 1)), 1009),
    "a fragmented message over the cap": (
        lambda s: [s.text(b"y" * MAX_FRAME * 2, fin=False), s.send(0x0, b"y" * MAX_FRAME * 3)],
        1009),
    "reserved bit RSV1 without an extension": (lambda s: s.text(HELLO, rsv=4), 1002),
    "reserved bits RSV2+RSV3": (lambda s: s.text(HELLO, rsv=3), 1002),
    "reserved data opcode 0x3": (lambda s: s.send(0x3, b"x"), 1002),
    "reserved control opcode 0xB": (lambda s: s.send(0xB, b"x"), 1002),
    "an unmasked client frame": (lambda s: s.text(HELLO, masked=False), 1002),
    "a fragmented ping": (lambda s: s.send(0x9, b"p", fin=False), 1002),
    "a ping over 125 bytes": (lambda s: s.send(0x9, b"p" * 126), 1002),
    "a continuation with nothing to continue": (lambda s: s.send(0x0, b"x"), 1002),
    "a new text frame inside a fragmented one": (
        lambda s: (s.text(b'{"type"', fin=False), s.text(b'"ping"}')), 1002),
    "close code 999 (not allowed on the wire)": (lambda s: s.send(0x8, struct.pack("!H", 999)),
                                                 1002),
    "close code 1005 (reserved)": (lambda s: s.send(0x8, struct.pack("!H", 1005)), 1002),
    "close with a one-byte payload": (lambda s: s.send(0x8, b"\x03"), 1002),
    "close reason that is not UTF-8": (lambda s: s.send(0x8, struct.pack("!H", 1000) + b"\xff"),
                                       1007),
    "a normal close is echoed": (lambda s: s.send(0x8, struct.pack("!H", 1000) + b"bye"), 1000),
    "close in the middle of a fragmented message": (
        lambda s: (s.text(b'{"type":', fin=False), s.send(0x8, struct.pack("!H", 1000))), 1000),
}


async def test_rfc6455_violations_get_the_right_close_codes(server):
    results = {}
    for name, (act, _expected) in VIOLATIONS.items():
        raw = RawSocket(server.port)
        assert raw.status == 101
        raw.text(HELLO)
        assert raw.json_frame()["type"] == "welcome"
        act(raw)
        code = await asyncio.to_thread(raw.close_code)
        results[name] = code
    wrong = {name: code for name, code in results.items() if code != VIOLATIONS[name][1]}
    print(f"\nRFC 6455 raw-socket cases: {len(results)}, wrong: {wrong}")
    assert not wrong
    # None of it harmed the server.
    fresh = await ChatClient.connect(server.ws_url)
    assert (await fresh.request({"type": "ping"}))["type"] == "pong"
    await fresh.close()


async def test_fragments_with_control_frames_between_them_make_one_message(server):
    raw = RawSocket(server.port)
    parts = [HELLO[:5], HELLO[5:12], HELLO[12:]]
    raw.text(parts[0], fin=False)
    raw.send(0x9, b"are you there")  # a ping between fragments is answered at once
    raw.send(0x0, parts[1], fin=False)
    raw.send(0xA, b"unsolicited pong")  # ignored
    raw.send(0x0, parts[2])
    opcode, payload = raw.frame()
    assert (opcode, payload) == (0xA, b"are you there")
    assert raw.json_frame()["type"] == "welcome"
    # An empty fragmented message is one empty text: the protocol answers bad_json.
    raw.text(b"", fin=False)
    raw.send(0x0, b"", fin=False)
    raw.send(0x0, b"")
    assert raw.json_frame()["code"] == "bad_json"
    raw.text(b'{"type":"ping","id":"p1"}')
    pong = raw.json_frame()
    assert (pong["type"], pong["id"]) == ("pong", "p1")
    raw.send(0x8, struct.pack("!H", 1000))
    assert await asyncio.to_thread(raw.close_code) == 1000


# Cross-site WebSocket hijacking ---------------------------------------------------------------


@pytest.fixture
async def staffed_world(start_server, tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/ws.sqlite3"
    password = make_admin({"DATABASE_URL": db})
    server = start_server(database_url=db, **FAST)
    admin = StaffHttp(server.url)
    await admin.login("admin", password)
    await add_facilitator(admin, "sanna", ["olohuone"])
    await add_facilitator(admin, "pekka", ["laheiset"])
    sanna, pekka = StaffHttp(server.url), StaffHttp(server.url)
    await sanna.login("sanna", FACILITATOR_PASSWORD)
    await pekka.login("pekka", FACILITATOR_PASSWORD)
    yield server, admin, sanna, pekka
    for c in (admin, sanna, pekka):
        await c.close()


async def test_a_staff_cookie_from_a_foreign_site_opens_no_socket(staffed_world):
    server, _admin, sanna, _pekka = staffed_world
    own = f"http://127.0.0.1:{server.port}"
    # (The same host under https is allowed: behind a TLS proxy that is the page's origin.)
    for origin in ("https://evil.example", "null", f"{own}.evil.example", f"{own}@evil.example",
                   "http://localhost", "file://", own + "0",
                   f"ws://127.0.0.1:{server.port}"):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(server.ws_url, origin=origin,  # type: ignore[arg-type]
                                     additional_headers=sanna.cookie_header())
        assert refused.value.response.status_code == 403, origin
    # From the server's own page the cookie makes the socket Sanna's.
    ws = await sanna.socket(server.ws_url, origin=own)
    assert (await ws.join("olohuone"))["role"] == "facilitator"
    await ws.close()


# Every moderation action by every role ---------------------------------------------------------


async def test_every_moderation_action_by_every_role(staffed_world):
    server, admin, sanna, pekka = staffed_world
    writer = await ChatClient.connect(server.ws_url)
    member = (await writer.join("olohuone"))["member"]
    seq = (await writer.say("olohuone", "moderoitava viesti"))["seq"]
    elsewhere = await ChatClient.connect(server.ws_url)
    other_member = (await elsewhere.join("laheiset"))["member"]
    sockets = {"participant": await ChatClient.connect(server.ws_url),
               "facilitator_b": await pekka.socket(server.ws_url),
               "facilitator_a": await sanna.socket(server.ws_url),
               "admin": await admin.socket(server.ws_url)}
    await sockets["participant"].join("olohuone")
    await sockets["facilitator_b"].join("laheiset")
    await sockets["facilitator_a"].join("olohuone")
    await sockets["admin"].join("olohuone")
    actions = typing.get_args(ModerationAction)
    harmless = {"reason": "testi", "on": False, "seconds": 1, "text": "x", "hold": 999999,
                "seq": 999999}
    tried = 0
    for role in ("participant", "facilitator_b"):
        for action in actions:
            answer = await sockets[role].request({"type": "moderate", "room": "olohuone",
                                                  "action": action, "member": member,
                                                  "seq": seq, **{k: v for k, v in
                                                                 harmless.items()
                                                                 if k != "seq"}})
            assert (answer["type"], answer.get("code")) == ("error", "forbidden"), \
                (role, action, answer)
            tried += 1
    # Staff of room A: never `forbidden` for an action in A; a member id from another room
    # (IDOR) is not found, and changes nothing there.
    for role in ("facilitator_a", "admin"):
        for action in actions:
            answer = await sockets[role].request({"type": "moderate", "room": "olohuone",
                                                  "action": action, "member": other_member,
                                                  **harmless})
            assert answer.get("code") != "forbidden", (role, action, answer)
            tried += 1
    # Member ids are per room (unlinkable), so banning in A the id someone has in B touches
    # no one: they still talk in B and may join A.
    await sockets["facilitator_a"].request({"type": "moderate", "room": "olohuone",
                                            "action": "ban", "member": other_member})
    assert (await elsewhere.say("laheiset", "yhä täällä"))["type"] == "ack"
    assert (await elsewhere.join("olohuone"))["type"] == "joined"
    # The message in room A is untouched by all the refused attempts.
    late = await ChatClient.connect(server.ws_url)
    await late.join("olohuone")
    assert [f.get("text") for f in late.events("olohuone", "message")] == ["moderoitava viesti"]
    print(f"\nmoderation matrix: {len(actions)} actions x 4 roles = {tried} frames")
    for c in (writer, elsewhere, late, *sockets.values()):
        await c.close()


async def test_participant_actions_on_other_rooms_objects(staffed_world):
    server, _admin, _sanna, _pekka = staffed_world
    a = await ChatClient.connect(server.ws_url)
    b = await ChatClient.connect(server.ws_url)
    await a.join("olohuone")
    await b.join("laheiset")
    theirs = (await a.say("olohuone", "vain olohuoneessa"))["seq"]
    for frame in ({"type": "report", "room": "olohuone", "seq": theirs, "category": "spam"},
                  {"type": "react", "room": "olohuone", "seq": theirs, "reaction": "heart"},
                  {"type": "edit", "room": "olohuone", "seq": theirs, "text": "x"},
                  {"type": "delete", "room": "olohuone", "seq": theirs},
                  {"type": "help", "room": "olohuone"}):
        answer = await b.request(frame)
        assert answer["type"] == "error" and answer["code"] in ("not_in_room", "not_found"), \
            (frame, answer)
    # Erasing one's own messages works in a room one has left too, and touches no one else's.
    assert (await b.request({"type": "erase", "scope": "room", "room": "olohuone"}))["seqs"] \
        == []
    mark = len(b.frames)
    await b.send({"type": "typing", "room": "olohuone"})  # typing has no id to echo
    assert (await b.wait_for(lambda f: f["type"] == "error", start=mark))["code"] \
        == "not_in_room"
    c = await ChatClient.connect(server.ws_url)
    await c.join("olohuone")
    assert [f.get("text") for f in c.events("olohuone", "message")] == ["vain olohuoneessa"]
    for client in (a, b, c):
        await client.close()


SQL = ["' OR '1'='1", "olohuone' --", "1; DROP TABLE events; --",
       "x\" UNION SELECT token_hash FROM identities --", "%", "_", "\\"]


async def test_sql_injection_in_every_frame_field(staffed_world):
    server, _admin, sanna, _pekka = staffed_world
    for value in SQL:
        bad = await ChatClient.connect(server.ws_url, hello=False)
        await bad.send({"type": "hello", "v": 1, "token": value})
        assert (await bad.wait_for(lambda f: f["type"] == "error"))["code"] == "invalid_token"
        await bad.close()
    person = await ChatClient.connect(server.ws_url)
    staff = await sanna.socket(server.ws_url)
    await staff.join("olohuone")
    for value in SQL:
        assert (await person.request({"type": "join", "room": value}))["code"] \
            == "room_not_found"
    await person.join("olohuone", name="Kettu")
    seqs = []
    for value in SQL:
        ack = await person.say("olohuone", value)
        assert ack["type"] == "ack", ack
        seqs.append(ack["seq"])
        answer = await person.request({"type": "report", "room": "olohuone", "seq": ack["seq"],
                                       "category": "other", "note": value})
        assert answer["type"] != "error" or answer["code"] == "rate_limited", answer
        for action in ("kick", "mute", "warn"):
            answer = await staff.request({"type": "moderate", "room": "olohuone",
                                          "action": action, "member": value[:32],
                                          "reason": value, "seconds": 5})
            # (A member id nobody has is taken at its word: staff act on ids the server gave.)
            assert answer["type"] in ("done", "error") and answer.get("code") != "internal", \
                answer
    # Texts are stored and shown literally; every table is intact.
    late = await ChatClient.connect(server.ws_url)
    await late.join("olohuone")
    assert [f.get("text") for f in late.events("olohuone", "message")] == SQL
    assert (await person.say("olohuone", "yhä toimii"))["type"] == "ack"
    status, rooms = server.get("/api/rooms")
    assert status == 200 and {"olohuone", "laheiset"} <= {r["id"] for r in rooms}
    for c in (person, staff, late):
        await c.close()
