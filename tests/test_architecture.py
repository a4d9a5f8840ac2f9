"""The layers are a contract (docs/architecture.md): import-linter checks them, every client frame
type has exactly one handler in the dispatch table, and no module grows past 600 lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import get_args

from chatserver.broker import create_broker
from chatserver.core.rooms import RoomDirectory
from chatserver.domain.config import Settings
from chatserver.domain.protocol import ClientFrame
from chatserver.storage.store import Store
from chatserver.web.app import wire

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 600


def test_the_import_contracts_in_pyproject_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_no_module_is_longer_than_600_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for pkg in ("chatserver", "moderation")
            for p in (ROOT / pkg).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


async def test_every_client_frame_has_exactly_one_handler(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/wire.sqlite3")
    store = Store.from_url(settings.database_url)  # wiring builds objects, it reads nothing
    broker = create_broker("", durable_write=_ignore, store_batch=_ignore_batch,
                           buffer_events=10, buffer_seconds=10)
    try:
        server = wire(settings, store, broker, RoomDirectory(store), "secret")
        # Two features claiming one frame type fail at wiring; a type nobody handles fails here.
        assert server.chat.handled_frames() == frozenset(get_args(ClientFrame))
    finally:
        await store.close()


async def _ignore(entry: object) -> None:
    return None


async def _ignore_batch(entries: object) -> None:
    return None
