"""WebSocket keep-alive (docs/protocol.md, issue 20): a peer that has sent nothing for
WS_PING_INTERVAL_SECONDS gets a ping; one that then sends nothing for WS_PING_TIMEOUT_SECONDS
is closed with 1011 (a phone that went away leaves the room instead of staying listed); one
that answers, or is talking anyway, stays. The pings come from one sweep per process
(chatserver.web.transport.KeepAlive), not from a timer per connection."""

from __future__ import annotations

import asyncio
import base64
import os
import time

from websockets.frames import Frame, Opcode

from chatserver.testing import FAST, ChatClient

KEEPALIVE = {"ws_ping_interval_seconds": 0.6, "ws_ping_timeout_seconds": 0.8}


async def silent_peer(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket opened by hand that will never write again (no pong either)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                 f"Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n\r\n"
                 .encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def frames_until_closed(reader: asyncio.StreamReader,
                              limit: float) -> list[tuple[int, bytes]]:
    """Server frames (opcode, payload) until the server closes the socket."""
    data = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        chunk = await asyncio.wait_for(reader.read(4096), deadline - time.monotonic())
        if not chunk:
            break
        data += chunk
    frames = []
    while len(data) >= 2:
        length = data[1] & 0x7F
        frames.append((data[0] & 0x0F, data[2:2 + length]))
        data = data[2 + length:]
    return frames


async def test_a_silent_peer_is_pinged_then_closed_and_a_live_one_stays(start_server, tmp_path):
    server = start_server(database_url=f"sqlite+aiosqlite:///{tmp_path}/ka.sqlite3",
                          **FAST, **KEEPALIVE)
    live = await ChatClient.connect(server.ws_url)  # websockets answers pings by itself
    await live.join("olohuone")
    reader, writer = await silent_peer(server.port)
    started = time.monotonic()
    frames = await frames_until_closed(reader, limit=10)
    closed_after = time.monotonic() - started
    writer.close()
    opcodes = [op for op, _ in frames]
    assert opcodes[0] == 0x9, frames  # pinged first
    assert opcodes[-1] == 0x8 and int.from_bytes(frames[-1][1][:2], "big") == 1011, frames
    # Interval + timeout, each checked every quarter of the shorter one.
    assert 1.3 <= closed_after < 3.0, closed_after
    await asyncio.sleep(2.0)  # well past both for the live client, which answered
    assert (await live.request({"type": "ping"}))["type"] == "pong"
    await live.close()


async def test_a_peer_that_talks_is_not_pinged(start_server, tmp_path):
    """Any frame proves the peer is there: no ping while it talks, and no close though it
    never answers a ping."""
    server = start_server(database_url=f"sqlite+aiosqlite:///{tmp_path}/ka2.sqlite3",
                          **FAST, **KEEPALIVE)
    reader, writer = await silent_peer(server.port)
    frame = Frame(Opcode.TEXT, b'{"type":"ping"}').serialize(mask=True, extensions=[])
    data = b""
    for _ in range(12):  # 3.6 s: several intervals and timeouts
        writer.write(frame)
        await writer.drain()
        try:
            data += await asyncio.wait_for(reader.read(4096), 0.3)
        except TimeoutError:
            pass
    writer.close()
    opcodes = []
    while len(data) >= 2:
        opcodes.append(data[0] & 0x0F)
        data = data[2 + (data[1] & 0x7F):]
    assert opcodes and set(opcodes) == {0x1}, opcodes  # pongs of the app only: text frames


async def test_zero_turns_the_pings_off(start_server, tmp_path):
    server = start_server(database_url=f"sqlite+aiosqlite:///{tmp_path}/ka3.sqlite3",
                          **FAST, ws_ping_interval_seconds=0)
    reader, writer = await silent_peer(server.port)
    try:
        got = await asyncio.wait_for(reader.read(10), 3.0)
    except TimeoutError:
        got = b"(nothing)"
    assert got == b"(nothing)"  # no ping, no close
    writer.close()


class _Peer:
    """What KeepAlive reads and calls on a connection (a unit test of the wheel alone)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, answers: bool) -> None:
        self.loop, self.answers = loop, answers
        self.last_heard = loop.time()
        self.ping_sent_at = 0.0
        self.keepalive_slot = 0
        self.pinged: list[float] = []
        self.failed_at: float | None = None

    def send_ping_frame(self) -> bool:
        self.pinged.append(self.loop.time())
        if self.answers:  # the pong comes back a moment later
            self.loop.call_later(0.01, setattr, self, "last_heard", self.loop.time() + 0.01)
        return True

    def keepalive_failed(self) -> None:
        self.failed_at = self.loop.time()


async def test_pings_stay_spread_as_the_connections_came():
    """Everyone arriving in the same minute must not be pinged in the same instant (their
    pongs, all at once, held up messages): each is pinged an interval after its own last
    bytes, within one slot of the wheel."""
    from chatserver.web.transport import KeepAlive

    loop = asyncio.get_running_loop()
    wheel = KeepAlive(loop, interval=1.0, timeout=1.0)
    peers = []
    for _ in range(10):  # arriving over 2 s
        peer = _Peer(loop, answers=True)
        wheel.add(peer)  # type: ignore[arg-type]
        peers.append(peer)
        await asyncio.sleep(0.2)
    silent = _Peer(loop, answers=False)
    wheel.add(silent)  # type: ignore[arg-type]
    started = silent.last_heard
    await asyncio.sleep(3.2)
    for peer in peers:
        assert peer.failed_at is None
        assert len(peer.pinged) >= 2  # pinged again an interval after each pong
    firsts = sorted(p.pinged[0] for p in peers)
    assert firsts[-1] - firsts[0] > 1.5  # spread like the arrivals, not one burst
    assert silent.failed_at is not None and 1.9 <= silent.failed_at - started <= 2.8
    assert wheel.count == len(peers)


async def test_a_peer_that_answers_each_ping_stays_and_pong_look_alikes_stay_data(
        start_server, tmp_path):
    """A peer that only answers the pings, each with an empty pong in one write (what an idle
    browser does, and what the server reads without its frame parser), stays open past
    several intervals and timeouts. Six bytes that look like such a pong but are the middle
    of a frame (its mask, after its header came alone) are read as that frame: nothing of it
    is lost."""
    server = start_server(database_url=f"sqlite+aiosqlite:///{tmp_path}/ka4.sqlite3",
                          **FAST, **KEEPALIVE)
    reader, writer = await silent_peer(server.port)
    pings = 0
    deadline = time.monotonic() + 3.6  # several intervals (0.6 s) and timeouts (0.8 s)
    while time.monotonic() < deadline:
        try:
            head = await asyncio.wait_for(reader.readexactly(2), deadline - time.monotonic())
        except TimeoutError:
            break
        assert head[0] & 0x0F == 0x9, head  # nothing but pings, and never a close
        await reader.readexactly(head[1] & 0x7F)
        pings += 1
        writer.write(b"\x8a\x80" + os.urandom(4))  # an empty masked pong, in one write
        await writer.drain()
    assert pings >= 3, pings
    # A text frame whose mask starts like a pong, sent header / mask + 2 bytes / the rest.
    mask = b"\x8a\x80" + os.urandom(2)
    payload = b'{"type":"ping"}'
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    for part in (bytes([0x81, 0x80 | len(payload)]), mask + masked[:2], masked[2:]):
        writer.write(part)
        await writer.drain()
        await asyncio.sleep(0.05)
    answer = b""
    while b'"pong"' not in answer:
        head = await asyncio.wait_for(reader.readexactly(2), 5)
        body = await reader.readexactly(head[1] & 0x7F)
        assert head[0] & 0x0F in (0x1, 0x9), (head, body)  # no close: the frame was whole
        if head[0] & 0x0F == 0x1:
            answer = body
    writer.close()
