"""Alembic environment: runs on a connection handed in by chatserver.storage.migrate."""

from __future__ import annotations

from alembic import context

from chatserver.storage.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
