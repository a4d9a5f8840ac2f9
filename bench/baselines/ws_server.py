"""(a) The pure-Python ceiling: a minimal ``websockets`` broadcast server on uvloop.

Rooms in memory; a message is JSON-encoded once and handed to ``websockets.broadcast``, which
writes it to every member without awaiting any of them.
"""

from __future__ import annotations

import json

import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve

from bench.baselines.common import args

rooms: dict[str, set[ServerConnection]] = {}


async def handler(ws: ServerConnection) -> None:
    joined: list[str] = []
    try:
        async for raw in ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "send":
                members = rooms.get(frame["room"])
                if members and ws in members:
                    broadcast(members, json.dumps(
                        {"type": "message", "room": frame["room"], "text": frame["text"]}))
            elif kind == "join":
                rooms.setdefault(frame["room"], set()).add(ws)
                joined.append(frame["room"])
                await ws.send(json.dumps({"type": "joined", "room": frame["room"]}))
    except Exception:  # a client that went away
        pass
    finally:
        for room in joined:
            members = rooms.get(room)
            if members is not None:
                members.discard(ws)
                if not members:
                    del rooms[room]


async def main() -> None:
    a = args("minimal websockets broadcast server")
    async with serve(handler, a.host, a.port, compression=None, max_size=2**16,
                     backlog=2048, ping_interval=20, ping_timeout=20) as server:
        await server.serve_forever()


if __name__ == "__main__":
    uvloop.run(main())
