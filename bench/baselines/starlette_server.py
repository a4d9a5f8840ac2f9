"""(b) Minimal Starlette + uvicorn broadcast with in-memory rooms: what a first version looks
like (encode once, then ``await send_text`` to each member in turn)."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench.baselines.common import args, uvicorn_run

rooms: dict[str, set[WebSocket]] = {}


async def endpoint(ws: WebSocket) -> None:
    await ws.accept()
    joined: list[str] = []
    try:
        while True:
            frame = json.loads(await ws.receive_text())
            kind = frame.get("type")
            if kind == "send":
                members = rooms.get(frame["room"])
                if members and ws in members:
                    out = json.dumps({"type": "message", "room": frame["room"],
                                      "text": frame["text"]})
                    for member in list(members):
                        try:
                            await member.send_text(out)
                        except Exception:
                            members.discard(member)
            elif kind == "join":
                rooms.setdefault(frame["room"], set()).add(ws)
                joined.append(frame["room"])
                await ws.send_text(json.dumps({"type": "joined", "room": frame["room"]}))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        for room in joined:
            members = rooms.get(room)
            if members is not None:
                members.discard(ws)
                if not members:
                    del rooms[room]


app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])

if __name__ == "__main__":
    a = args("minimal Starlette broadcast server")
    uvicorn_run(app, a.host, a.port)
