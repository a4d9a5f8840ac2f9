"""The console script says its rules where an operator looks for them: in --help, and again
when it refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def chatserver(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chatserver", *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **(env or {})})


def test_create_admin_help_states_the_username_rule_and_a_refusal_repeats_it(tmp_path: Path):
    shown = chatserver("users", "create-admin", "--help")
    assert shown.returncode == 0
    text = " ".join(shown.stdout.split())
    assert "3-64 characters: letters, digits, '.', '-' and '_'" in text
    assert "at least 12 characters" in text

    db = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3"}
    refused = chatserver("users", "create-admin", "--username", "m", "--generate", env=db)
    assert refused.returncode == 1
    assert "username_invalid" in refused.stderr and "3-64 characters" in refused.stderr
    created = chatserver("users", "create-admin", "--username", "Maija.K", "--generate", env=db)
    assert created.returncode == 0, created.stderr
    assert "admin 'Maija.K' created" in created.stdout
