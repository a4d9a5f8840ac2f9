"""Run by tests/test_heap.py in a process of its own (the collector is process-wide): a real
uvicorn server with the production transport settings and the app, in this process, and
clients that connect, join, send and close (or drop without a close). Prints, as JSON, how
many of the server's connection objects ended in garbage cycles (reference counting could
not free them), found by one full collection with everything frozen given back to the
collector first.

    python tests/garbage_probe.py DATABASE_URL CONNECTIONS
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
from collections import Counter

import uvicorn

from chatserver.cli import uvicorn_options
from chatserver.domain.config import Settings
from chatserver.testing import FAST, ChatClient, free_port, provide_sqlite_schema
from chatserver.web.app import create_app
from chatserver.web.transport import ChatHttpProtocol, ChatWebSocketProtocol, _ServerProtocol

WATCHED = (ChatWebSocketProtocol, ChatHttpProtocol, _ServerProtocol)


async def main(database_url: str, connections: int) -> dict[str, int]:
    provide_sqlite_schema(database_url)
    settings = Settings.from_env({"DATABASE_URL": database_url, "PORT": str(free_port()),
                                  "HOST": "127.0.0.1"}, **FAST)
    options = uvicorn_options(settings)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), **options))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for it)
        await asyncio.sleep(0.05)
    # From here on every collection keeps what it finds (gc.garbage) instead of freeing it.
    gc.collect()
    gc.garbage.clear()
    gc.set_debug(gc.DEBUG_SAVEALL)
    url = f"ws://127.0.0.1:{settings.port}/ws"
    for i in range(connections):
        client = await ChatClient.connect(url)
        await client.join("olohuone")
        await client.say("olohuone", f"viesti {i}")
        if i % 2:
            client.ws.transport.abort()  # the phone lost its network: no close handshake
        await client.close()
    await asyncio.sleep(1.0)  # the server sees the closes and its handlers return
    gc.unfreeze()
    gc.collect()
    # type(), not isinstance(): the garbage may hold dead weak proxies.
    found = Counter(kind.__name__ for o in gc.garbage for kind in WATCHED
                    if issubclass(type(o), kind))
    gc.set_debug(0)
    gc.garbage.clear()
    server.should_exit = True
    await serving
    return {name: found.get(name, 0) for name in (t.__name__ for t in WATCHED)} | {
        "connections": connections}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], int(sys.argv[2])))))
