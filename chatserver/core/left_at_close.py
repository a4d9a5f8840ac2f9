"""The alert inbox shows by itself who left with their group's close.

A person whose call for help (a help or crisis alert) is still open, who left the room with its
session's close and has had no page open for the reconnect grace (`Presence.after_close`:
"gone"), can no longer be answered in private. Every console that sees the room is told so on
the alert (`alert_person`, `"left": true`) within a heartbeat of it becoming true, not only
when the facilitator presses the answer button; and told that it no longer holds
(`"left": false`) when a page of theirs is back (its `hello` puts it in the closed room's
presence again) or the call is resolved.

Each process tells its own consoles from what every process shares (the broker's presence and
marks), so nothing is announced across processes, and a console that connects (or reconnects)
is told at the next heartbeat.
"""

from __future__ import annotations

import asyncio
import logging

from chatserver.core.alerts import AlertInbox
from chatserver.core.hub import Client, Hub
from chatserver.core.presence import Presence
from chatserver.domain.config import Settings
from chatserver.domain.errors import BackendUnavailable
from chatserver.domain.protocol import encode
from chatserver.storage.errors import DatabaseError

log = logging.getLogger("chatserver.alerts")


class LeftAtCloseWatch:
    def __init__(self, settings: Settings, hub: Hub, presence: Presence,
                 alerts: AlertInbox) -> None:
        self.settings = settings
        self.hub = hub
        self.presence = presence
        self.alerts = alerts
        # Staff connection id -> the alerts it was told are of someone gone (alert -> room).
        self._told: dict[int, dict[int, str]] = {}

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            try:
                await self.check_once()
            except (BackendUnavailable, DatabaseError, OSError) as exc:
                log.warning("left-at-close not looked at", extra={"error": type(exc).__name__})
            except Exception:
                log.exception("left-at-close watch crashed")

    async def gone(self) -> dict[int, str]:
        """Alert -> room of every open call whose person left with the close and is gone."""
        calls = list((await self.alerts.open_calls()).items())
        # All looked at together: one pipeline to the broker, not a round trip per call.
        where = await asyncio.gather(*(self.presence.after_close(room, member)
                                       for (room, member), _ in calls))
        return {alert: room for ((room, _), alert), state in zip(calls, where, strict=True)
                if state == "gone"}

    async def check_once(self) -> None:
        consoles = [c for c in self.hub.connected.values()
                    if c.staff is not None and c.identity is not None]
        if not consoles:
            self._told.clear()
            return
        gone = await self.gone()
        told: dict[int, dict[int, str]] = {}
        for client in consoles:
            assert client.staff is not None
            was = self._told.get(client.id, {})
            now = {alert: room for alert, room in gone.items()
                   if AlertInbox.sees_room(client.staff, room)}
            for alert in now.keys() - was.keys():
                self._tell(client, alert, now[alert], left=True)
            for alert in was.keys() - now.keys():
                self._tell(client, alert, was[alert], left=False)
            told[client.id] = now
        self._told = told

    @staticmethod
    def _tell(client: Client, alert: int, room: str, *, left: bool) -> None:
        client.offer(encode({"type": "alert_person", "alert": alert, "room": room,
                             "left": left}))
