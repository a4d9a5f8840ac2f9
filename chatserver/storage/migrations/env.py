"""Alembic environment: runs on a connection handed in by chatserver.storage.migrate."""

from __future__ import annotations

import logging
from typing import Any

from alembic import context

from chatserver.storage.models import Base

log = logging.getLogger("chatserver.storage")

# The revisions in the order they run. Their numbers are the order they were written, which
# is not always the order they landed (0005 landed before 0004), so a log of "0003 -> 0005,
# 0005 -> 0004" would read like a step backwards: each step is logged with its place instead.
_order = [rev.revision for rev in reversed(list(
    context.script.walk_revisions("base", "heads")))]


def _applied(ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
    revision = step.up_revision_id if step.is_upgrade else step.down_revision_ids
    doc = (step.up_revision.doc or "").splitlines()[0] if step.is_upgrade else ""
    position = _order.index(revision) + 1 if revision in _order else None
    log.info(f"database schema step {position} of {len(_order)} applied: {doc}",
             extra={"revision": revision, "step": position, "steps": len(_order)})


connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite",
                  on_version_apply=_applied)
with context.begin_transaction():
    context.run_migrations()
