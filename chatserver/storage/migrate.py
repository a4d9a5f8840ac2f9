"""Apply Alembic migrations from inside the server (or the CLI) on the configured database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from chatserver.storage.store import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same in every process that migrates.
_PG_LOCK_KEY = 7_261_554_301


def _alembic_config(connection: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


async def migrate(url: str) -> None:
    """Upgrade the database at ``url`` to the newest schema; safe to run from many processes
    at once (PostgreSQL takes an advisory lock, SQLite its write lock)."""
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(text(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})"))
            await conn.run_sync(lambda sync_conn: command.upgrade(
                _alembic_config(sync_conn), "head"))
    finally:
        await engine.dispose()


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
