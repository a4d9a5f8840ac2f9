"""The OpenAPI description served by the app lists exactly the app's HTTP API operations."""

from __future__ import annotations

import re

from starlette.routing import Route

from chatserver.domain.config import Settings
from chatserver.testing import FAST
from chatserver.web.app import create_app


def app_operations() -> set[tuple[str, str]]:
    app = create_app(Settings())
    found = set()
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/api/"):
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((method.lower(), route.path))
    return found


def described(document: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, ops in document["paths"].items() for method in ops}


def test_served_description_matches_the_routes(start_server):
    server = start_server(**FAST)
    status, document = server.get("/api/openapi.json")
    assert status == 200
    assert document["openapi"].startswith("3.")
    missing = app_operations() - described(document)
    stale = described(document) - app_operations()
    assert not missing, f"routes not in the OpenAPI description: {sorted(missing)}"
    assert not stale, f"described operations with no route: {sorted(stale)}"
    for path, ops in document["paths"].items():
        params = set(re.findall(r"{(\w+)}", path))
        for method, op in ops.items():
            assert op["summary"] and op["description"].startswith("Who may:"), (method, path)
            assert {p["name"] for p in op.get("parameters", [])} == params, (method, path)
            if method in ("post", "put", "patch") and path not in (
                    "/api/auth/logout",) and not path.endswith(("/open", "/close")):
                assert "requestBody" in op, (method, path)
