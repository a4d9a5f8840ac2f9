"""(c) python-socketio with its Redis manager (AsyncRedisManager) on uvicorn: run several
processes on one Redis and a room spans them. Events: ``join`` (acknowledged) and ``send``
(emitted to the room as ``message``)."""

from __future__ import annotations

from typing import Any

import socketio

from bench.baselines.common import args, uvicorn_run

a = args("python-socketio broadcast server with the Redis manager", redis=True)
sio = socketio.AsyncServer(async_mode="asgi", client_manager=socketio.AsyncRedisManager(a.redis),
                           transports=["websocket"], logger=False, engineio_logger=False)


@sio.on("join")
async def join(sid: str, room: str) -> str:
    await sio.enter_room(sid, room)
    return "ok"


@sio.on("send")
async def send(sid: str, data: dict[str, Any]) -> None:
    await sio.emit("message", data, room=data["room"])


app = socketio.ASGIApp(sio)

if __name__ == "__main__":
    uvicorn_run(app, a.host, a.port)
