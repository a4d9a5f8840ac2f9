"""Persistence: the only package that imports SQLAlchemy."""

from chatserver.storage.store import Store, StoredEvent

__all__ = ["Store", "StoredEvent"]
