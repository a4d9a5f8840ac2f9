"""(d) encode/broadcaster with Redis behind Starlette, as its README's chat example does it: one
``broadcast.subscribe(room)`` per member and room, a task that forwards the room's events to
the socket, and ``broadcast.publish`` for a message. Run several processes on one Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

from broadcaster import Broadcast
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench.baselines.common import args, uvicorn_run

a = args("encode/broadcaster chat server with Redis", redis=True, workaround=True)
broadcast = Broadcast(a.redis)


async def forward(ws: WebSocket, room: str) -> None:
    async with broadcast.subscribe(channel=room) as subscriber:
        await ws.send_text(json.dumps({"type": "joined", "room": room}))
        async for event in subscriber:  # type: ignore[union-attr]
            await ws.send_text(event.message)


async def endpoint(ws: WebSocket) -> None:
    await ws.accept()
    tasks: dict[str, asyncio.Task[None]] = {}
    try:
        while True:
            frame = json.loads(await ws.receive_text())
            kind = frame.get("type")
            if kind == "send":
                if frame["room"] in tasks:
                    await broadcast.publish(frame["room"], json.dumps(
                        {"type": "message", "room": frame["room"], "text": frame["text"]}))
            elif kind == "join" and frame["room"] not in tasks:
                tasks[frame["room"]] = asyncio.create_task(forward(ws, frame["room"]))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        for task in tasks.values():
            task.cancel()
        for task in tasks.values():
            with contextlib.suppress(BaseException):
                await task


async def keep_listening(ready: asyncio.Event) -> None:
    """The workaround for broadcaster 0.3.1's listener, which stops for good when it starts
    before its first subscription is complete: one standing subscription from the start."""
    async with broadcast.subscribe(channel="__bench_keepalive__"):
        ready.set()
        await asyncio.Event().wait()


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    await broadcast.connect()
    keeper = None
    if a.workaround:
        ready = asyncio.Event()
        keeper = asyncio.create_task(keep_listening(ready))
        await ready.wait()
    try:
        yield
    finally:
        if keeper is not None:
            keeper.cancel()
            with contextlib.suppress(BaseException):
                await keeper
        await broadcast.disconnect()


app = Starlette(routes=[WebSocketRoute("/ws", endpoint)], lifespan=lifespan)

if __name__ == "__main__":
    uvicorn_run(app, a.host, a.port)
