"""Slow headers hold no socket for long (issue 17, item 6): a connection that has not finished
its request headers within HEADER_TIMEOUT_SECONDS is closed, and half-open connections count
against MAX_CONNECTIONS_PER_CLIENT of their address."""

from __future__ import annotations

import asyncio
import contextlib
import time

from chatserver.testing import FAST, ChatClient


async def trickler(port: int, seconds: float) -> float | None:
    """Half a request line, then one more byte of it every 0.3 s: when the server closed it
    (seconds after opening), or None if it was still open after ``seconds``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    try:
        writer.write(b"GET /healthz?")
        await writer.drain()
        while time.monotonic() - started < seconds:
            try:
                if await asyncio.wait_for(reader.read(1024), 0.3) == b"":
                    return time.monotonic() - started
            except TimeoutError:
                pass
            except (ConnectionError, OSError):
                # Closed with bytes of ours unread on the server's side: the kernel answers
                # with a reset rather than an end of stream. Cut off all the same.
                return time.monotonic() - started
            try:
                writer.write(b"a")
                await writer.drain()
            except (ConnectionError, OSError):
                return time.monotonic() - started
        return None
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def test_slow_headers_are_cut_off(start_server, tmp_path):
    server = start_server(database_url=f"sqlite+aiosqlite:///{tmp_path}/slow.sqlite3",
                          header_timeout_seconds=1.5)
    closed = await asyncio.gather(*(trickler(server.port, 6.0) for _ in range(20)))
    print(f"\nslow-header connections closed after {[round(c or -1, 1) for c in closed]} s")
    assert all(c is not None and 1.2 < c < 4.0 for c in closed), closed
    # Ordinary requests and sockets are not affected.
    assert server.get("/healthz")[0] == 200
    client = await ChatClient.connect(server.ws_url)
    await asyncio.sleep(2.0)  # an open WebSocket is past its headers: no deadline
    assert (await client.request({"type": "ping"}))["type"] == "pong"
    await client.close()


async def test_half_open_connections_count_against_the_address(start_server, tmp_path):
    server = start_server(database_url=f"sqlite+aiosqlite:///{tmp_path}/half.sqlite3",
                          **{**FAST, "max_connections_per_client": 5},
                          header_timeout_seconds=2.0)
    half = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(3)]
    for _, writer in half:
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never finished
        await writer.drain()
    await asyncio.sleep(0.2)
    sockets = [await ChatClient.connect(server.ws_url, hello=False) for _ in range(3)]
    # 3 half-open + 2 sockets make the cap of 5: the third socket is refused.
    refused = await sockets[2].wait_for(lambda f: f.get("type") == "error", timeout=5)
    assert refused["code"] == "too_many_connections"
    assert (await sockets[1].request({"type": "ping"}))["type"] == "pong"
    # Half-open connections beyond the cap are closed at once: 3 + 2 more, then no more.
    extra = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(3)]

    async def closed_at_once(reader: asyncio.StreamReader) -> bool:
        try:
            return await asyncio.wait_for(reader.read(1), 0.5) == b""
        except TimeoutError:
            return False

    assert [await closed_at_once(r) for r, _ in extra] == [False, False, True]
    # Once the header deadline has cut the half-open ones off, a new socket is admitted.
    await asyncio.sleep(2.5)
    later = await ChatClient.connect(server.ws_url)
    assert (await later.request({"type": "ping"}))["type"] == "pong"
    for s in [*sockets, later]:
        await s.close()
    for _, writer in [*half, *extra]:
        writer.close()
