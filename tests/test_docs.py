"""The README and the compose file stay true to the code."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from chatserver.domain.config import Settings
from chatserver.domain.errors import ErrorCode

ROOT = Path(__file__).resolve().parent.parent


def test_readme_documents_every_setting_and_no_other():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)`(?: / `([A-Z_]+)`)?", table, re.M))
    documented = {name for pair in documented for name in pair if name}
    names = {f.name.upper() for f in fields(Settings) if f.name != "extra"}
    assert documented == names


def test_readme_shows_the_two_commands_first():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert "make run" in first_block and "make test" in first_block


def test_protocol_doc_lists_every_error_code():
    doc = (ROOT / "docs" / "protocol.md").read_text()
    table = doc.split("## Errors", 1)[1]
    for code in ErrorCode:
        assert f"| `{code.value}` |" in table, code


def test_compose_file_runs_two_replicas_with_redis_and_postgres():
    compose = (ROOT / "docker-compose.yml").read_text()
    for service in ("app1:", "app2:", "redis:", "postgres:", "proxy:"):
        assert f"\n  {service}" in compose
    names = {f.name.upper() for f in fields(Settings)}
    env = re.findall(r"^\s{4}([A-Z_]+):", compose, re.M)
    app_env = [e for e in env if not e.startswith("POSTGRES_")]
    assert app_env and set(app_env) <= names
    assert "REDIS_URL: redis://" in compose and "postgresql+asyncpg://" in compose
    nginx = (ROOT / "deploy" / "nginx.conf.template").read_text()
    assert "proxy_set_header Upgrade $http_upgrade" in nginx and "access_log off" in nginx
