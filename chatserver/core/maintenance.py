"""Retention, applied by every process on a timer (each step is idempotent)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from chatserver.domain.config import Settings
from chatserver.storage.alerts import AlertStore
from chatserver.storage.errors import DatabaseError
from chatserver.storage.rules import RulesStore
from chatserver.storage.store import Store

log = logging.getLogger("chatserver.maintenance")


async def apply_retention(store: Store, settings: Settings, now: datetime) -> tuple[int, int]:
    """Delete events older than their room allows, identities unused for too long, and
    alerts past ALERT_RETENTION_DAYS."""
    events = await store.purge_expired(now)
    identities = await store.purge_identities(
        now - timedelta(days=settings.identity_retention_days))
    await AlertStore(store).purge(now - timedelta(days=settings.alert_retention_days))
    await RulesStore(store).purge(now - timedelta(days=settings.identity_retention_days))
    return events, identities


async def run_forever(store: Store, settings: Settings) -> None:
    while True:
        try:
            events, identities = await apply_retention(store, settings, datetime.now(UTC))
            if events or identities:
                log.info("retention applied", extra={"events_deleted": events,
                                                     "identities_deleted": identities})
        except (DatabaseError, OSError) as exc:
            log.warning("retention not applied", extra={"error": type(exc).__name__})
        await asyncio.sleep(settings.maintenance_seconds)
