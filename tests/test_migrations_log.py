"""The migration log reads as progress, not as a step backwards (the revisions are numbered in
the order they were written, not the order they landed: 0005 runs before 0004)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_each_schema_step_is_logged_with_its_place_in_the_chain(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/m.sqlite3"}
    done = subprocess.run([sys.executable, "-m", "chatserver", "migrate"], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    steps = [line for line in lines if line.get("steps")]
    total = steps[0]["steps"]
    assert [s["step"] for s in steps] == list(range(1, total + 1))
    assert all(f"step {s['step']} of {total} applied: " in s["msg"] for s in steps)
    assert "0005" in [s["revision"] for s in steps]
    assert "->" not in done.stdout and "Running upgrade" not in done.stdout
    # A second run has nothing to do and says nothing but that the schema is current.
    again = subprocess.run([sys.executable, "-m", "chatserver", "migrate"], env=env,
                           capture_output=True, text=True, timeout=120, check=True)
    assert "step" not in again.stdout and "up to date" in again.stdout


def test_the_first_admin_hint_is_a_command_that_works(tmp_path: Path) -> None:
    from chatserver.testing import ServerProcess

    server = ServerProcess({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/h.sqlite3"},
                           log_path=tmp_path / "server.log").start()
    try:
        hint = next(line for line in server.log_text().splitlines()
                    if "no admin account yet" in line)
    finally:
        server.stop()
    assert "make admin" in hint
    command = hint.split("`")[3].split()  # the second command, with this interpreter
    assert command[:3] == [sys.executable, "-m", "chatserver"]
    made = subprocess.run([*command[:-1], "maija", "--generate"], capture_output=True,
                          text=True, timeout=120, check=True,
                          env={**os.environ,
                               "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/h.sqlite3"})
    assert "admin 'maija' created" in made.stdout


def test_a_facilitator_can_be_made_from_the_command_line(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/f.sqlite3"}
    subprocess.run([sys.executable, "-m", "chatserver", "seed"], env=env, check=True,
                   capture_output=True, timeout=120)
    made = subprocess.run([sys.executable, "-m", "chatserver", "users", "create-facilitator",
                           "--username", "kaisa", "--rooms", "olohuone", "--generate"],
                          env=env, capture_output=True, text=True, timeout=120, check=True)
    assert "facilitator 'kaisa' created" in made.stdout
    unknown = subprocess.run([sys.executable, "-m", "chatserver", "users",
                              "create-facilitator", "--username", "pekka", "--rooms",
                              "ei-ole", "--generate"],
                             env=env, capture_output=True, text=True, timeout=120)
    assert "no such rooms: ei-ole" in unknown.stderr
