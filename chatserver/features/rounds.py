"""The sharing round of a guided session: the facilitator starts it, participants raise a hand
or pass, the facilitator gives the turn, everyone sees whose turn it is, the facilitator ends it.

The rules (`step`) are pure; the round's state is one database row per room, changed under a
row lock, so members on every process act on the same round; each change goes into the room's
stream with the whole round, and a client shows only the latest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chatserver.broker.base import EventMeta
from chatserver.core.hub import Client
from chatserver.core.ports import ControlRoute, FrameRoute, RoomAccess
from chatserver.domain.errors import ErrorCode, ProtocolError
from chatserver.domain.protocol import RoundAction, encode, event_body, now_ms
from chatserver.storage.sessions import SessionStore

STAFF_ACTIONS = frozenset({"start", "give", "end"})
EVENTS = {"start": "started", "raise": "raised", "lower": "lowered", "pass": "passed",
          "give": "turn", "end": "ended"}

Person = dict[str, str]
RoundState = dict[str, Any]


def _without(people: list[Person], member: str) -> list[Person]:
    return [p for p in people if p["member"] != member]


def step(state: RoundState | None, action: str, who: Person) -> RoundState | None:
    """The round after `action` by (or, for `give`, to) `who`; None once it has ended.
    Raises ProtocolError(no_round) for a member's action while no round runs."""
    if action == "start":
        return {"active": True, "turn": None, "raised": [], "passed": [], "done": []}
    if state is None:
        raise ProtocolError(ErrorCode.NO_ROUND)
    if action == "end":
        return None
    member = who["member"]
    raised, passed, done = state["raised"], state["passed"], state["done"]
    turn = state["turn"]
    if action == "raise":
        if all(p["member"] != member for p in raised):
            raised = [*raised, who]
        passed = _without(passed, member)
    elif action == "lower":
        raised = _without(raised, member)
    elif action == "pass":
        raised = _without(raised, member)
        if all(p["member"] != member for p in passed):
            passed = [*passed, who]
        if turn is not None and turn["member"] == member:
            done, turn = [*_without(done, member), turn], None
    elif action == "give":
        if turn is not None and turn["member"] != member:
            done = [*_without(done, turn["member"]), turn]
        raised, passed, turn = _without(raised, member), _without(passed, member), who
    return {"active": True, "turn": turn, "raised": raised, "passed": passed, "done": done}


class Rounds:
    def __init__(self, rooms: RoomAccess, *, sessions: SessionStore) -> None:
        self.rooms = rooms
        self.sessions = sessions

    def frame_routes(self) -> Sequence[FrameRoute]:
        return [FrameRoute(RoundAction, self.handle)]

    def control_routes(self) -> Sequence[ControlRoute]:
        return []

    async def handle(self, client: Client, frame: RoundAction) -> None:
        membership = self.rooms.member_of(client, frame.room)
        if frame.action in STAFF_ACTIONS and not membership.is_staff:
            raise ProtocolError(ErrorCode.FORBIDDEN)
        who: Person = {"member": membership.member, "name": membership.name}
        if frame.action == "give":
            if frame.member is None:
                raise ProtocolError(ErrorCode.INVALID_FRAME)
            present = {info["member"]: info for info in await self.rooms.present(frame.room)}
            if frame.member not in present:
                raise ProtocolError(ErrorCode.MEMBER_NOT_FOUND)
            who = {"member": frame.member, "name": str(present[frame.member]["name"])}
        room = await self.rooms.open_room(frame.room)

        def change(state: RoundState | None) -> RoundState | None:
            return step(state, frame.action, who)

        new = await self.sessions.change_round(room.id, change)
        ts = now_ms()
        body = {"type": "round", "room": room.id, "ts": ts, "event": EVENTS[frame.action],
                "member": who["member"], "name": who["name"],
                "round": new if new is not None else {"active": False}}
        await self.rooms.publish(room, event_body(body), EventMeta("round", membership.member, ts))
        client.offer(encode({"type": "done", "id": frame.id, "room": room.id,
                             "action": frame.action}))
