"""Retention, applied by every process on a timer (each step is idempotent)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from chatserver.broker.base import Broker
from chatserver.domain.config import Settings
from chatserver.domain.errors import BackendUnavailable
from chatserver.storage.alerts import AlertStore
from chatserver.storage.errors import DatabaseError
from chatserver.storage.rules import RulesStore
from chatserver.storage.store import Store

log = logging.getLogger("chatserver.maintenance")


async def apply_retention(store: Store, settings: Settings, now: datetime,
                          broker: Broker | None = None) -> tuple[int, int]:
    """Delete events older than their room allows (from the database and from the broker's
    resume buffer alike), identities unused for too long, and alerts past
    ALERT_RETENTION_DAYS."""
    events = await store.purge_expired(now)
    if broker is not None:
        for room in await store.list_rooms():
            if room.retention != "days" or not room.retention_days:
                continue
            cutoff = now - timedelta(days=room.retention_days)
            dropped = await broker.trim(room.id, int(cutoff.timestamp() * 1000))
            if dropped:
                await store.mark_purged(room.id, dropped)
    identities = await store.purge_identities(
        now - timedelta(days=settings.identity_retention_days))
    await AlertStore(store).purge(now - timedelta(days=settings.alert_retention_days))
    await RulesStore(store).purge(now - timedelta(days=settings.identity_retention_days))
    return events, identities


async def run_forever(store: Store, settings: Settings, broker: Broker) -> None:
    while True:
        try:
            events, identities = await apply_retention(store, settings, datetime.now(UTC),
                                                       broker)
            if events or identities:
                log.info("retention applied", extra={"events_deleted": events,
                                                     "identities_deleted": identities})
        except (DatabaseError, BackendUnavailable, OSError) as exc:
            log.warning("retention not applied", extra={"error": type(exc).__name__})
        await asyncio.sleep(settings.maintenance_seconds)
