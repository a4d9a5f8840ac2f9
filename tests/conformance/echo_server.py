"""An echo endpoint served by the production WebSocket stack, for Autobahn|Testsuite.

Autobahn's fuzzing client expects the server to echo every message; the chat endpoint speaks
JSON frames instead. This serves the same transport (uvicorn with `ChatWebSocketProtocol`) with
exactly the options `chatserver serve` uses (`chatserver.cli.uvicorn_options`), so what is
under test is the WebSocket stack the chat runs on: framing, fragmentation, control frames,
UTF-8 validation, close handshake and the size cap.

    python -m tests.conformance.echo_server PORT
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.types import Receive, Scope, Send

from chatserver.cli import uvicorn_options
from chatserver.domain.config import Settings


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


def main() -> None:
    settings = Settings.from_env(port=int(sys.argv[1]), host="127.0.0.1")
    uvicorn.run(echo, **uvicorn_options(settings))


if __name__ == "__main__":
    main()
