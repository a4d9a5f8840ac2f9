"""Command-line arguments shared by the baseline servers."""

from __future__ import annotations

import argparse


def args(description: str, redis: bool = False, workaround: bool = False) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    if redis:
        parser.add_argument("--redis", required=True, help="redis://127.0.0.1:PORT/0")
    if workaround:
        parser.add_argument("--workaround", action="store_true",
                            help="work around the library's known message loss")
    return parser.parse_args()


def uvicorn_run(app: object, host: str, port: int) -> None:
    """uvicorn as the product runs it: uvloop, httptools, the sans-I/O websockets protocol
    (uvicorn's default), no compression, no access log."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, loop="uvloop", http="httptools",
                ws="websockets-sansio", ws_per_message_deflate=False, ws_ping_interval=20.0,
                ws_ping_timeout=20.0, access_log=False, log_level="warning", backlog=2048,
                lifespan="on")
