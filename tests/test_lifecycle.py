"""Operations: graceful shutdown, health and readiness, metrics, logs that keep privacy."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal

import websockets

from chatserver.testing import FAST, ChatClient
from tests.invariants import Ledger, check_room


async def test_sigterm_under_load_tells_clients_to_reconnect_and_loses_nothing(start_server,
                                                                               tmp_path):
    db = f"sqlite+aiosqlite:///{tmp_path}/shared.sqlite3"
    server = start_server(database_url=db, **FAST)
    sender = await ChatClient.connect(server.ws_url)
    reader = await ChatClient.connect(server.ws_url)
    await sender.join("olohuone")
    await reader.join("olohuone")
    acked: list[int] = []
    ledger = Ledger()

    async def keep_sending() -> None:
        n = 0
        with contextlib.suppress(websockets.ConnectionClosed, ConnectionError):
            while True:
                answer = await sender.say("olohuone", f"load {n}", timeout=5)
                if ledger.record("olohuone", answer, f"load {n}"):
                    acked.append(answer["seq"])
                n += 1

    load = asyncio.create_task(keep_sending())
    await asyncio.sleep(0.5)
    server.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
    code, _ = await asyncio.wait_for(reader.closed, 10)
    assert code == 1012, "clients are told the server is restarting"
    await asyncio.wait_for(load, 15)
    # uvicorn re-raises SIGTERM after its graceful shutdown, so the exit status is -15.
    assert server.proc.wait(15) in (0, -signal.SIGTERM)  # type: ignore[union-attr]
    assert "server stopped" in server.log_text()
    assert len(acked) > 10

    again = start_server(database_url=db, **FAST)
    back = await ChatClient.connect(again.ws_url, token=reader.token)
    await back.join("olohuone", since=0)
    stored = {f["seq"] for f in back.events("olohuone", "message")}
    assert set(acked) <= stored, "every acknowledged message survived the shutdown"
    # And the invariants: stored once, the reader's stream until 1012 without gap or double,
    # one order for the reader before and the person resuming after.
    checked = await check_room(db, "olohuone", ledger, [[reader], [back]])
    print(f"\nSIGTERM under load: {len(acked)} acknowledged, {checked} events checked")
    for c in (sender, reader, back):
        await c.close()


async def test_health_readiness_and_metrics(start_server):
    server = start_server()
    assert server.get("/healthz") == (200, {"status": "ok"})
    status, body = server.get("/readyz")
    assert status == 200 and body["database"] == "ok" and body["broker"] == "ok"
    client = await ChatClient.connect(server.ws_url)
    await client.join("olohuone")
    await client.say("olohuone", "counted")
    import urllib.request

    with urllib.request.urlopen(server.url + "/metrics", timeout=5) as r:
        text = r.read().decode()
    assert re.search(r"^chat_connections 1\.0$", text, re.M)
    assert re.search(r"^chat_messages_total 1\.0$", text, re.M)
    assert "chat_fanout_seconds_bucket" in text
    await client.close()


async def test_readyz_reports_a_redis_outage(start_server, redis_server, pg_url):
    server = start_server(database_url=pg_url, redis_url=redis_server.url)
    assert server.get("/readyz")[0] == 200
    redis_server.stop(signal.SIGKILL)
    status, body = server.get("/readyz")
    assert status == 503 and body["broker"] == "unavailable" and body["database"] == "ok"
    redis_server.start()
    for _ in range(50):
        if server.get("/readyz")[0] == 200:
            break
        await asyncio.sleep(0.2)
    assert server.get("/readyz")[0] == 200


async def test_logs_hold_no_message_text_tokens_or_addresses(start_server):
    server = start_server(log_level="DEBUG")
    alice = await ChatClient.connect(server.ws_url)
    bob = await ChatClient.connect(server.ws_url)
    await alice.join("olohuone")
    await bob.join("olohuone", name="Salainen Kettu")
    secret_text = "minun salaisuuteni 4711"
    await alice.say("olohuone", secret_text)
    await bob.wait_for(lambda f: f.get("text") == secret_text)
    await alice.send("not json at all")  # an error path too
    await alice.close()
    await bob.close()
    server.stop()
    log = server.log_text()
    assert "server ready" in log
    for forbidden in (secret_text, alice.token, bob.token, "127.0.0.1", "Salainen Kettu"):
        assert forbidden and forbidden not in log, forbidden


async def test_plain_uvicorn_without_the_raw_transport_still_chats(tmp_path):
    """Operators may run the app under uvicorn's own WebSocket stack: the hub then falls back
    to a queue per connection drained through ASGI."""
    import os
    import subprocess
    import sys

    from chatserver.testing import _wait_for_port, free_port

    port = free_port()
    db = f"sqlite+aiosqlite:///{tmp_path}/plain.sqlite3"
    env = {**os.environ, "DATABASE_URL": db}
    subprocess.run([sys.executable, "-m", "chatserver", "migrate"], env=env, check=True,
                   capture_output=True, timeout=60)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "chatserver.web.app:create_app_from_env", "--factory",
         "--port", str(port), "--ws", "websockets-sansio", "--no-access-log"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, 30, proc)
        url = f"ws://127.0.0.1:{port}/ws"
        for _ in range(50):
            try:
                alice = await ChatClient.connect(url)
                break
            except OSError:
                await asyncio.sleep(0.1)
        bob = await ChatClient.connect(url)
        await alice.join("olohuone")
        await bob.join("olohuone")
        await alice.say("olohuone", "toimii ilman omaa kuljetusta")
        await bob.wait_for(lambda f: f.get("text") == "toimii ilman omaa kuljetusta")
        await alice.close()
        await bob.close()
    finally:
        proc.terminate()
        proc.wait(20)
