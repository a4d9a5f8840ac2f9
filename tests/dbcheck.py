"""Direct looks into the database, for tests that check what was stored."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def stored_message_seqs(url: str, room: str) -> list[int]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text(
                "SELECT seq FROM events WHERE room_id = :r AND kind = 'message' ORDER BY seq"),
                {"r": room})
            return [int(r[0]) for r in rows]
    finally:
        await engine.dispose()
