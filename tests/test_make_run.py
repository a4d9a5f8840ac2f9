"""`make run` starts a working server on embedded defaults and says where to open it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
from pathlib import Path

from chatserver.testing import ChatClient, free_port

ROOT = Path(__file__).resolve().parent.parent


async def test_make_run_serves_a_seeded_room(tmp_path):
    port = free_port()
    env = {**os.environ, "PORT": str(port),
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/data/chat.sqlite3"}
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        loop = asyncio.get_running_loop()
        while not any("open http://" in line for line in lines):
            line = await asyncio.wait_for(loop.run_in_executor(None, proc.stdout.readline), 120)
            assert line, "make run exited: " + "".join(lines[-20:])
            lines.append(line.decode())
        url = re.search(r"open (http://\S+)", "".join(lines))
        assert url and url.group(1) == f"http://localhost:{port}/"
        for _ in range(100):
            try:
                client = await ChatClient.connect(f"ws://127.0.0.1:{port}/ws")
                break
            except OSError:
                await asyncio.sleep(0.1)
        joined = await client.join("olohuone")
        assert joined["type"] == "joined"
        assert (await client.say("olohuone", "hei kaikki"))["type"] == "ack"
        await client.close()
        assert (tmp_path / "data" / "chat.sqlite3").exists()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
        if proc.stdout is not None:
            proc.stdout.close()
