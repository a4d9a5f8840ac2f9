"""Staff handle alerts: acknowledge one (everyone else sees who handles it, and the person is
told that a facilitator has seen it) and resolve it with an outcome. The inbox itself is in
the core (core/alerts.py): sends, help presses, reports and sessions all raise alerts."""

from __future__ import annotations

from collections.abc import Sequence

from chatserver.core.alerts import AlertInbox
from chatserver.core.hub import Client
from chatserver.core.ports import ControlRoute, FrameRoute
from chatserver.domain.errors import ErrorCode, ProtocolError
from chatserver.domain.protocol import AlertAck, AlertResolve, encode
from chatserver.storage.staff import StaffStore


class Alerts:
    def __init__(self, inbox: AlertInbox, *, staff: StaffStore) -> None:
        self.inbox = inbox
        self.staff = staff

    def frame_routes(self) -> Sequence[FrameRoute]:
        return [FrameRoute(AlertAck, self.acknowledge), FrameRoute(AlertResolve, self.resolve)]

    def control_routes(self) -> Sequence[ControlRoute]:
        return []

    async def acknowledge(self, client: Client, frame: AlertAck) -> None:
        if client.staff is None:
            raise ProtocolError(ErrorCode.FORBIDDEN)
        alert = await self.inbox.acknowledge(client.staff, frame.alert)
        await self._audit(client, "alert_ack", alert.room_id, alert.id, alert.kind)
        client.offer(encode({"type": "done", "id": frame.id, "action": "alert_ack",
                             "alert": alert.public()}))

    async def resolve(self, client: Client, frame: AlertResolve) -> None:
        if client.staff is None:
            raise ProtocolError(ErrorCode.FORBIDDEN)
        alert = await self.inbox.resolve(client.staff, frame.alert, frame.outcome, frame.note)
        await self._audit(client, "alert_resolve", alert.room_id, alert.id, alert.kind,
                          outcome=frame.outcome)
        client.offer(encode({"type": "done", "id": frame.id, "action": "alert_resolve",
                             "alert": alert.public()}))

    async def _audit(self, client: Client, action: str, room: str | None, alert: int,
                     kind: str, **detail: object) -> None:
        assert client.staff is not None
        await self.staff.audit(actor_id=client.staff.id, actor_name=client.staff.display_name,
                               action=action, room_id=room, target=None, reason=None,
                               detail={"alert": alert, "kind": kind, **detail})
