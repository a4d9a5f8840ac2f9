"""What the one-to-one service says on the wire: pure builders of its frames."""

from __future__ import annotations

from typing import Any

from chatserver.broker.errors import BrokerError
from chatserver.broker.queue import Request
from chatserver.core.hub import Client
from chatserver.core.ports import FrameHandler
from chatserver.domain import queueing
from chatserver.domain.errors import BackendUnavailable
from chatserver.domain.protocol import now_ms


def staff_identity(account_id: str) -> str:
    return "staff:" + account_id


def status_frame(request: Request, est: queueing.Estimate, opening: queueing.Opening, *,
                 supporters: int) -> dict[str, Any]:
    """``supporters_available``: 0 says honestly that nobody on duty could take them now."""
    frame = {"type": "queue_status", "request": request["id"], **est.to_dict(),
             "crisis": request["crisis"], "open": opening.open,
             "supporters_available": supporters}
    if request.get("returned"):
        frame["returned"] = True
    return frame


def public_request(request: Request) -> dict[str, Any]:
    """What a supporter sees of a waiting person: never their identity."""
    return {"request": request["id"], "topic": request.get("topic"),
            "answers": request.get("answers", {}), "crisis": request["crisis"],
            "lang": request["lang"], "waited_s": round((now_ms() - request["arrived"])
                                                       / 1000),
            "returned": bool(request.get("returned")), **from_alert(request, named=True)}


def from_alert(request: Request, *, named: bool = False) -> dict[str, Any]:
    """A conversation a facilitator opened from an alert says which alert and room (and, to
    the facilitator, the person's pseudonym in that room)."""
    if request.get("alert") is None:
        return {}
    extra = {"alert": request["alert"], "room": request.get("room")}
    if named:
        extra["name"] = request.get("name")
    return extra


def backend_errors(handler: FrameHandler) -> FrameHandler:
    """The queue's Redis failing is `unavailable` to the client, like any backend."""
    async def guarded(client: Client, frame: Any) -> None:
        try:
            await handler(client, frame)
        except BrokerError as exc:
            raise BackendUnavailable("one-to-one queue") from exc
    return guarded
