"""The alert inbox's clock (core/alerts.py holds the inbox): every few seconds, on every
process, an alert nobody acknowledged within ALERT_ESCALATE_SECONDS is escalated (once, by one
process), and an alert whose handler has been offline for HANDLER_GONE_SECONDS is untaken
again, so nobody is left believing it is handled. Untaking (`release`) is also what the
one-to-one feature asks for when the facilitator who took an alert can no longer answer.

Every change here is a compare-and-set in the store, so several processes may look at once and
each change is announced exactly once; what is announced, and what the person is told, is the
inbox's (`announce`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chatserver.core import metrics
from chatserver.core.presence import Presence, any_sees_room
from chatserver.domain.config import Settings
from chatserver.domain.errors import BackendUnavailable
from chatserver.storage.alerts import (
    ACKNOWLEDGED,
    GONE,
    REQUEUED,
    REVOKED,
    AlertRecord,
    AlertStore,
)
from chatserver.storage.errors import DatabaseError

log = logging.getLogger("chatserver.alerts")

# Announce a change the clock stored (kind: alert_changed or alert_escalated) and tell the
# person the status given.
Announce = Callable[[str, AlertRecord, str], Awaitable[None]]
# Work the inbox does at each tick before the clock's own (a failure is retried next tick).
Prepare = Callable[[], Awaitable[None]]


class AlertEscalation:
    def __init__(self, settings: Settings, store: AlertStore, presence: Presence, *,
                 announce: Announce, prepare: Prepare) -> None:
        self.settings = settings
        self.store = store
        self.presence = presence
        self._announce = announce
        self._prepare = prepare
        self._task: asyncio.Task[None] | None = None
        # Acknowledged alerts whose handler this process found offline: since when (monotonic).
        self._handler_gone: dict[int, float] = {}

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="alert-escalation")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        # Often enough that an alert escalates (or an abandoned one is untaken) within a
        # quarter of the wait after it is due.
        waits = (self.settings.alert_escalate_seconds, self.settings.handler_gone_seconds)
        every = min(5.0, max(0.2, min(waits) / 4))
        while True:
            await asyncio.sleep(every)
            try:
                await self._prepare()
                await self.escalate_due(datetime.now(UTC))
                await self.release_abandoned(time.monotonic())
            except (BackendUnavailable, DatabaseError, OSError) as exc:
                log.warning("alert escalation failed", extra={"error": type(exc).__name__})
            except Exception:
                log.exception("alert escalation crashed")

    async def escalate_due(self, now: datetime) -> int:
        """Escalate every alert nobody acknowledged in time (each once, by one process)."""
        due = await self.store.due_for_escalation(
            now - timedelta(seconds=self.settings.alert_escalate_seconds))
        done = 0
        for alert_id in due:
            alert = await self.store.escalate(alert_id, now)
            if alert is not None:
                # Honest to the person too: "told" has not become "seen" in all this time.
                await self._announce("alert_escalated", alert, "unanswered")
                done += 1
        return done

    async def release_abandoned(self, now: float) -> int:
        """Untake every acknowledged alert whose handler has been offline for
        HANDLER_GONE_SECONDS (as this process has seen it, so a reload or a network
        change is not counted): the other staff are told, it escalates if it had not (in the
        same change), and the person learns that the facilitator who saw it had to leave."""
        handled = await self.store.handled()
        if not handled:
            self._handler_gone.clear()
            return 0
        staff = await self.presence.staff_online()
        online = {info.get("member") for info in staff}
        gone = {alert: account for alert, account in handled if account not in online}
        self._handler_gone = {alert: self._handler_gone.get(alert, now) for alert in gone}
        due = [alert for alert, since in self._handler_gone.items()
               if now - since >= self.settings.handler_gone_seconds]
        done = 0
        for alert_id in due:
            del self._handler_gone[alert_id]
            done += await self.release(alert_id, gone[alert_id], staff)  # read above, for all
        return done

    async def release(self, alert_id: int, account: str,
                      online: list[dict[str, Any]] | None = None, why: str = GONE) -> bool:
        """Untake an alert ``account`` acknowledged (offline too long, or disabled): staff are
        told, it escalates if it had not, the person hears the facilitator who saw it left.
        ``online``: the signed-in staff, if the caller has just read them; ``why``: what
        consoles say of it (RELEASE_REASONS)."""
        result = await self.store.release(alert_id, account, datetime.now(UTC), why)
        if result is None:
            return False  # resolved meanwhile, or another process was first
        released, escalated_now = result
        metrics.ALERTS_RELEASED.inc()
        if online is None:
            online = await self.presence.staff_online()
        staff = [s for s in online if s.get("member") != account]
        others = released.room_id is not None and any_sees_room(staff, released.room_id)
        await self._announce(
            "alert_escalated" if escalated_now else "alert_changed", released,
            "released" if others else "released_nobody_online")
        return True

    # At once, where waiting for HANDLER_GONE_SECONDS would keep someone believing that a
    # facilitator who can no longer answer is there. A failure leaves it to that timer.

    async def release_all_of(self, account: str) -> int:
        """Untake every alert ``account`` took and has not resolved: their account has been
        disabled, so nobody is behind "a facilitator has seen it" any more. Each once, whoever
        else tries (``release`` is a compare-and-set)."""
        done = 0
        try:
            for alert_id, holder in await self.store.handled():
                if holder == account:
                    done += await self.release(alert_id, account, why=REVOKED)
        except (BackendUnavailable, DatabaseError, OSError) as exc:
            log.warning("alerts of a disabled account not untaken",
                        extra={"error": type(exc).__name__})
        return done

    async def release_taken(self, alert_id: int, why: str = REQUEUED) -> bool:
        """Untake an alert whoever took it: the person it is about is no longer with them (a
        one-to-one request in crisis back in the queue; after a handover, the one who took it
        may not be the supporter who just left)."""
        try:
            alert = await self.store.get(alert_id)
            if alert is None or alert.state != ACKNOWLEDGED or alert.acknowledged_by is None:
                return False
            return await self.release(alert_id, alert.acknowledged_by, why=why)
        except (BackendUnavailable, DatabaseError, OSError) as exc:
            log.warning("alert not untaken", extra={"alert": alert_id,
                                                    "error": type(exc).__name__})
            return False
