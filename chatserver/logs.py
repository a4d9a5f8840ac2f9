"""Structured JSON logs on stdout. Callers pass only counts, codes and error class names:
never message text, addresses or tokens (see docs/privacy.md)."""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

import msgspec

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"ts": round(record.created, 3), "level": record.levelname,
                               "logger": record.name, "msg": record.getMessage()}
        for key, value in vars(record).items():
            if key not in _STANDARD:
                out[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            # The class and where, never the exception's text: it may quote SQL parameters.
            out["exception"] = record.exc_info[0].__name__
            out["where"] = [f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}"
                            for f in traceback.extract_tb(record.exc_info[2])[-6:]]
        return msgspec.json.encode(out).decode()


def configure(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # Only our own loggers follow LOG_LEVEL. Libraries stay at WARNING whatever it says:
    # at DEBUG, aiosqlite and SQLAlchemy write SQL parameters (message texts, token hashes),
    # websockets and uvicorn write client addresses.
    root.setLevel(logging.WARNING)
    logging.getLogger("chatserver").setLevel(level.upper())
    # Alembic's own lines ("Running upgrade 0003 -> 0005") read like errors to an operator;
    # the migration environment logs each step with its place in the chain instead.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # uvicorn writes client addresses at INFO ("connection open", the access log): keep it to
    # warnings, and the access log off.
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
        logger.setLevel(logging.WARNING)
    access = logging.getLogger("uvicorn.access")
    access.handlers[:] = []
    access.disabled = True
