"""A participant's part in closed groups and sessions: redeeming an invite code, and giving
anonymous feedback after a session."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from chatserver.broker.base import Broker
from chatserver.core.hub import Client
from chatserver.core.identities import Identities
from chatserver.core.ports import ControlRoute, FrameRoute, RoomAccess
from chatserver.domain.errors import ErrorCode, ProtocolError
from chatserver.domain.protocol import CheckInFrame, FeedbackFrame, Redeem, encode
from chatserver.domain.session_state import FEEDBACK_DAYS
from chatserver.storage.impact import ImpactStore
from chatserver.storage.sessions import SessionStore
from moderation.names import NameProblem, check_pseudonym

# Invite codes: 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about
# 58 bits; with the attempt limit below, guessing one is out of reach.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_GROUPS = 3
# Redeem attempts per identity per hour.
REDEEM_ATTEMPTS = 10
FEEDBACK_CHARS = 500


def new_code() -> str:
    """A readable single-use code such as K7QX-9MPL-2RWD."""
    return "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4))
                    for _ in range(CODE_GROUPS))


def normalise_code(raw: str) -> str:
    """Codes are read aloud and typed on phones: case, spaces and dashes do not matter."""
    plain = "".join(c for c in raw.upper() if c.isalnum())
    return "-".join(plain[i:i + 4] for i in range(0, len(plain), 4))


class Groups:
    def __init__(self, rooms: RoomAccess, *, broker: Broker, sessions: SessionStore,
                 identities: Identities, impact: ImpactStore) -> None:
        self.rooms = rooms
        self.broker = broker
        self.sessions = sessions
        self.identities = identities
        self.impact = impact

    def frame_routes(self) -> Sequence[FrameRoute]:
        return [FrameRoute(Redeem, self.redeem), FrameRoute(FeedbackFrame, self.feedback),
                FrameRoute(CheckInFrame, self.check_in)]

    def control_routes(self) -> Sequence[ControlRoute]:
        return []

    async def redeem(self, client: Client, frame: Redeem) -> None:
        identity = client.identity
        assert identity is not None
        if client.staff is not None:
            raise ProtocolError(ErrorCode.FORBIDDEN)  # staff join groups by their assignment
        count, retry = await self.broker.hit("redeem:" + identity.id, 3600)
        if count > REDEEM_ATTEMPTS:
            raise ProtocolError(ErrorCode.RATE_LIMITED, retry_after=retry)
        name = identity.pseudonym
        if frame.name is not None:
            verdict = check_pseudonym(frame.name, present=[], staff=await self.rooms.staff_names())
            if isinstance(verdict, NameProblem):
                raise ProtocolError(ErrorCode(verdict.value))
            name = verdict
        room = await self.sessions.redeem(normalise_code(frame.code), identity.id, name,
                                                datetime.now(UTC))
        if room is None:
            raise ProtocolError(ErrorCode.INVITE_INVALID)
        client.offer(encode({"type": "redeemed", "id": frame.id, "room": room,
                             "name": await self.sessions.group_pseudonym(room, identity.id)}))


    async def feedback(self, client: Client, frame: FeedbackFrame) -> None:
        identity = client.identity
        assert identity is not None
        store = self.sessions
        session = await store.get(frame.session)
        if session is None:
            raise ProtocolError(ErrorCode.NO_SESSION)
        if session.state != "closed" or session.closed_at is None:
            raise ProtocolError(ErrorCode.SESSION_STATE)
        if datetime.now(UTC) - session.closed_at > timedelta(days=FEEDBACK_DAYS):
            raise ProtocolError(ErrorCode.SESSION_STATE)
        member = self.identities.member(identity.id, session.room_id)
        if client.staff is not None or not await store.attended(session.id, member):
            raise ProtocolError(ErrorCode.FORBIDDEN)
        text = (frame.text or "").strip() or None
        if text is not None and len(text) > FEEDBACK_CHARS:
            raise ProtocolError(ErrorCode.TEXT_TOO_LONG)
        if not await store.add_feedback(session, member, frame.rating, text,
                                        datetime.now(UTC).date()):
            raise ProtocolError(ErrorCode.FEEDBACK_GIVEN)
        client.offer(encode({"type": "feedback_saved", "id": frame.id, "session": session.id}))

    async def check_in(self, client: Client, frame: CheckInFrame) -> None:
        """How an attendee felt at the start and the end, sent once from their browser. Stored
        with the session and nothing that ties it to the person (see storage.models.CheckIn):
        the member id only checks that they attended and answer once, in the broker, for the
        feedback window."""
        identity = client.identity
        assert identity is not None
        if client.staff is not None:
            raise ProtocolError(ErrorCode.FORBIDDEN)
        session = await self.sessions.get(frame.session)
        room = await self.rooms.find_room(session.room_id) if session is not None else None
        if session is None or room is None:
            raise ProtocolError(ErrorCode.NO_SESSION)
        if not room.asks_checkin:
            raise ProtocolError(ErrorCode.FORBIDDEN)
        if (frame.before is None and frame.after is None) or (
                frame.extra is not None and not (room.checkin or {}).get("question")):
            raise ProtocolError(ErrorCode.INVALID_FRAME)
        done = session.state == "closed"
        if (not done and session.state not in ("live", "ending")) or (done and (
                session.closed_at is None
                or datetime.now(UTC) - session.closed_at > timedelta(days=FEEDBACK_DAYS))):
            raise ProtocolError(ErrorCode.SESSION_STATE)
        member = self.identities.member(identity.id, session.room_id)
        if not await self.sessions.attended(session.id, member):
            raise ProtocolError(ErrorCode.FORBIDDEN)
        once, _ = await self.broker.hit(f"checkin:{session.id}:{member}",
                                        (FEEDBACK_DAYS + 1) * 86_400)
        if once > 1:
            raise ProtocolError(ErrorCode.CHECKIN_GIVEN)
        await self.impact.add(session.id, session.room_id, frame.before, frame.after,
                              frame.extra)
        client.offer(encode({"type": "checkin_saved", "id": frame.id, "session": session.id}))
