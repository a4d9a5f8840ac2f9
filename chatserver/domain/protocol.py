"""The wire protocol, sans I/O: text in, typed frames out; typed events in, text out.

Every client frame is a JSON object with a ``type``; msgspec validates it against the typed
structs below without building throwaway dictionaries. Server events that enter a room's
stream are encoded once without their sequence number, which the broker splices in front
(``{"seq":N,`` + body) when it assigns one, so the same bytes reach every member and the store.
See docs/protocol.md for every frame with an example.
"""

from __future__ import annotations

import functools
import re
import struct
import time
from typing import Annotated, Any, Literal

import msgspec

from chatserver import PROTOCOL_VERSION
from chatserver.domain.errors import MESSAGES, ErrorCode, ProtocolError

Lang = Literal["fi", "sv", "en"]
MAX_ID_CHARS = 64
# Sequence numbers fit in JavaScript's safe integers and PostgreSQL's bigint.
Seq = Annotated[int, msgspec.Meta(ge=0, le=2**53 - 1)]


class Hello(msgspec.Struct, tag="hello", tag_field="type"):
    v: Annotated[int, msgspec.Meta(ge=0, le=1000)]
    token: str | None = None
    lang: Lang = "fi"


class Join(msgspec.Struct, tag="join", tag_field="type"):
    room: str
    id: str | None = None
    since: Seq | None = None  # last sequence number seen in this room, to resume from
    name: str | None = None  # a chosen pseudonym; omitted: keep the current one
    hidden: bool = False  # read without being listed (drop-in rooms only)
    # The version of the ground rules the person read and accepted (rooms with rules).
    rules: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | None = None


class Leave(msgspec.Struct, tag="leave", tag_field="type"):
    room: str
    id: str | None = None


Topic = Annotated[str, msgspec.Meta(max_length=40)]


class Send(msgspec.Struct, tag="send", tag_field="type"):
    room: str
    text: str
    id: str | None = None
    reply_to: Seq | None = None
    # Sent again after the server asked to confirm (the text may identify the sender).
    confirmed: bool = False
    # A content warning: members open the text by choice. "" is a warning without a topic.
    cw: Topic | None = None


class Typing(msgspec.Struct, tag="typing", tag_field="type"):
    room: str


class Ping(msgspec.Struct, tag="ping", tag_field="type"):
    id: str | None = None


ModerationAction = Literal["redact", "remove_recent", "warn", "mute", "unmute", "kick", "ban",
                           "slow_mode", "lock", "premoderate", "pin", "unpin", "approve",
                           "reject", "content_warning"]
Reason = Annotated[str, msgspec.Meta(max_length=500)]
# Up to ten years; None (omitted) means for good where that is allowed.
Seconds = Annotated[int, msgspec.Meta(ge=0, le=315_360_000)]


class Moderate(msgspec.Struct, tag="moderate", tag_field="type"):
    """A facilitator's action in a room; which fields count depends on ``action``."""

    room: str
    action: ModerationAction
    id: str | None = None
    member: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    seq: Seq | None = None
    seconds: Seconds | None = None
    scope: Literal["room", "all"] = "room"
    on: bool | None = None
    reason: Reason | None = None
    text: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    hold: Annotated[int, msgspec.Meta(ge=1, le=2**53 - 1)] | None = None


ReportCategory = Literal["harassment", "personal_details", "worried", "spam", "other"]


class Report(msgspec.Struct, tag="report", tag_field="type"):
    """A participant reports a message to the room's facilitators."""

    room: str
    seq: Seq
    category: ReportCategory
    id: str | None = None
    note: Reason | None = None


class Help(msgspec.Struct, tag="help", tag_field="type"):
    """"I need help now": a private alert to the facilitators; nothing is posted."""

    room: str
    id: str | None = None


class Edit(msgspec.Struct, tag="edit", tag_field="type"):
    """Change the text of one's own message, within the edit window."""

    room: str
    seq: Seq
    text: str
    id: str | None = None
    confirmed: bool = False


class Delete(msgspec.Struct, tag="delete", tag_field="type"):
    """Remove one's own message for everyone, at any time."""

    room: str
    seq: Seq
    id: str | None = None


class Erase(msgspec.Struct, tag="erase", tag_field="type"):
    """Remove all of one's own messages in a room, or in every room."""

    scope: Literal["room", "all"] = "room"
    room: str | None = None
    id: str | None = None


Reaction = Literal["heart", "hug", "thanks", "metoo"]


class React(msgspec.Struct, tag="react", tag_field="type"):
    """Silent support on a message; ``on: false`` takes it back."""

    room: str
    seq: Seq
    reaction: Reaction
    on: bool = True
    id: str | None = None


# One-to-one support (chatserver/one_to_one.py) --------------------------------------------

ConvId = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_CHARS)]


class QueueRequest(msgspec.Struct, tag="queue_request", tag_field="type"):
    """A participant asks for a one-to-one conversation, with the pre-chat answers."""

    id: str | None = None
    topic: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    answers: Annotated[dict[Annotated[str, msgspec.Meta(max_length=32)],
                            Annotated[str, msgspec.Meta(max_length=300)]],
                       msgspec.Meta(max_length=8)] = {}


class QueueLeave(msgspec.Struct, tag="queue_leave", tag_field="type"):
    id: str | None = None


class QueueResume(msgspec.Struct, tag="queue_resume", tag_field="type"):
    """After a reconnect (or a reload): wait again for the request this person made."""

    request: ConvId
    id: str | None = None


class ConvResume(msgspec.Struct, tag="conv_resume", tag_field="type"):
    """After a reconnect (or a reload): the participant's conversation again, with what was
    said meanwhile."""

    conv: ConvId
    id: str | None = None


class SupportAvailable(msgspec.Struct, tag="support_available", tag_field="type"):
    """A supporter's availability: ``capacity`` conversations at once (0: not available);
    ``auto``: be given the next person as soon as a slot is free."""

    capacity: Annotated[int, msgspec.Meta(ge=0, le=10)]
    auto: bool = False
    id: str | None = None


class SupportTake(msgspec.Struct, tag="support_take", tag_field="type"):
    """Take the next person (or the one with ``request``)."""

    request: ConvId | None = None
    id: str | None = None


class ConvSend(msgspec.Struct, tag="conv_send", tag_field="type"):
    conv: ConvId
    text: str
    id: str | None = None


class ConvEnd(msgspec.Struct, tag="conv_end", tag_field="type"):
    conv: ConvId
    id: str | None = None


class ConvFeedback(msgspec.Struct, tag="conv_feedback", tag_field="type"):
    """Anonymous feedback after a one-to-one conversation, once, with the key its end gave."""

    conv: ConvId
    key: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]
    id: str | None = None
    text: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class ConvTransfer(msgspec.Struct, tag="conv_transfer", tag_field="type"):
    """Hand the conversation to another available supporter, with a private note."""

    conv: ConvId
    to: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    note: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    id: str | None = None


class ConvWarn(msgspec.Struct, tag="conv_warn", tag_field="type"):
    conv: ConvId
    reason: Reason | None = None
    id: str | None = None


class ConvBan(msgspec.Struct, tag="conv_ban", tag_field="type"):
    """End the conversation and keep the participant out of one-to-one support (``seconds``;
    omitted: for good)."""

    conv: ConvId
    seconds: Seconds | None = None
    reason: Reason | None = None
    id: str | None = None


class SessionControl(msgspec.Struct, tag="session", tag_field="type"):
    """A facilitator opens, closes or extends the room's current (or next) session."""

    room: str
    action: Literal["open", "close", "extend"]
    id: str | None = None
    minutes: Annotated[int, msgspec.Meta(ge=1, le=120)] | None = None  # extend by
    # Closing words, shown on everyone's closing screen.
    message: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class RoundAction(msgspec.Struct, tag="round", tag_field="type"):
    """The sharing round: staff start, give and end; members raise, lower and pass."""

    room: str
    action: Literal["start", "raise", "lower", "pass", "give", "end"]
    id: str | None = None
    member: Annotated[str, msgspec.Meta(max_length=32)] | None = None  # give: to whom


class Redeem(msgspec.Struct, tag="redeem", tag_field="type"):
    """Join a closed group with a single-use invite code."""

    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    id: str | None = None
    name: str | None = None  # the pseudonym to keep in the group; omitted: the current one


class FeedbackFrame(msgspec.Struct, tag="feedback", tag_field="type"):
    """Anonymous feedback on a closed session, once."""

    session: Annotated[int, msgspec.Meta(ge=1, le=2**53 - 1)]
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]
    id: str | None = None
    text: str | None = None  # at most 500 characters (text_too_long)


Rating = Annotated[int, msgspec.Meta(ge=1, le=5)]


class CheckInFrame(msgspec.Struct, tag="checkin", tag_field="type"):
    """How one felt at the start (`before`) and at the end (`after`) of a session, kept in the
    browser and sent once, in one frame; `extra`: the admin's own question."""

    session: Annotated[int, msgspec.Meta(ge=1, le=2**53 - 1)]
    id: str | None = None
    before: Rating | None = None
    after: Rating | None = None
    extra: Rating | None = None


AlertId = Annotated[int, msgspec.Meta(ge=1, le=2**53 - 1)]
AlertOutcome = Literal["supported", "referred", "emergency", "no_action", "unreachable"]


class AlertAck(msgspec.Struct, tag="alert_ack", tag_field="type"):
    """A staff member takes an alert: everyone else sees who handles it."""

    alert: AlertId
    id: str | None = None


class AlertResolve(msgspec.Struct, tag="alert_resolve", tag_field="type"):
    """A staff member closes an alert with an outcome from a fixed list (and a note)."""

    alert: AlertId
    outcome: AlertOutcome
    id: str | None = None
    note: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class ConvOpen(msgspec.Struct, tag="conv_open", tag_field="type"):
    """A facilitator opens a private conversation with the person an alert is about."""

    alert: AlertId
    id: str | None = None


OneToOneFrame = (QueueRequest | QueueLeave | QueueResume | SupportAvailable | SupportTake
                 | ConvSend | ConvEnd | ConvResume | ConvTransfer | ConvWarn | ConvBan)
ClientFrame = (Hello | Join | Leave | Send | Typing | Ping | Moderate | Report | Help | Edit
               | Delete | Erase | React | QueueRequest | QueueLeave | QueueResume
               | SupportAvailable | SupportTake | ConvSend | ConvEnd | ConvResume | ConvTransfer
               | ConvWarn | ConvBan | ConvOpen | ConvFeedback | AlertAck | AlertResolve
               | SessionControl | RoundAction | Redeem | FeedbackFrame | CheckInFrame)
CLIENT_TYPES = frozenset({"hello", "join", "leave", "send", "typing", "ping", "moderate",
                          "report", "help", "edit", "delete", "erase", "react",
                          "queue_request", "queue_leave", "queue_resume", "support_available",
                          "support_take", "conv_send", "conv_end", "conv_resume",
                          "conv_transfer", "conv_warn", "conv_ban", "conv_open",
                          "conv_feedback", "alert_ack", "alert_resolve", "session",
                          "round", "redeem", "feedback", "checkin"})

_decoder = msgspec.json.Decoder(ClientFrame)
_loose = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()


def decode_client_frame(data: str | bytes, *, max_bytes: int) -> ClientFrame:
    """Parse one text frame or raise ProtocolError with the code the client should see."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise ProtocolError(ErrorCode.FRAME_TOO_LARGE)
    try:
        frame: ClientFrame = _decoder.decode(data)
    except msgspec.ValidationError:
        raise ProtocolError(_classify(data)) from None
    except (msgspec.DecodeError, UnicodeError):
        raise ProtocolError(ErrorCode.BAD_JSON) from None
    except RecursionError:  # valid JSON nested deeper than any frame needs
        raise ProtocolError(ErrorCode.INVALID_FRAME) from None
    _check_ids(frame)
    _check_controls(frame)
    return frame


def _classify(data: str | bytes) -> ErrorCode:
    """Tell an unknown ``type`` apart from a wrong field (only on the error path)."""
    try:
        loose = _loose.decode(data)
    except msgspec.DecodeError:
        return ErrorCode.BAD_JSON
    except RecursionError:
        return ErrorCode.INVALID_FRAME
    # An unhashable type (a list, an object) must not reach the set lookup.
    kind = loose.get("type") if isinstance(loose, dict) else None
    if not isinstance(kind, str) or kind not in CLIENT_TYPES:
        return ErrorCode.UNKNOWN_TYPE
    return ErrorCode.INVALID_FRAME


# C0 and C1 control characters (and DEL): refused in every field at the edge. They break
# PostgreSQL (a NUL in text), terminals and logs, and no person types them. Texts that may
# span lines keep tab and newline.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Fields that may span lines; `name` fields are left to the pseudonym rules, which refuse a
# control character with their own code (name_forbidden_character).
_MULTILINE_FIELDS = frozenset({"text", "note", "reason", "topic", "answers"})
_OWN_RULES = frozenset({"name"})


def has_control(value: str, *, multiline: bool = False) -> bool:
    """Whether ``value`` holds a control character (tab and newline allowed if
    ``multiline``)."""
    return (_CONTROL_IN_TEXT if multiline else _CONTROL).search(value) is not None


@functools.cache
def _text_fields(kind: type) -> tuple[tuple[str, bool], ...]:
    fields: tuple[str, ...] = getattr(kind, "__struct_fields__", ())
    return tuple((name, name in _MULTILINE_FIELDS) for name in fields
                 if name not in _OWN_RULES and name != "type")


def _check_controls(frame: ClientFrame) -> None:
    for name, multiline in _text_fields(type(frame)):
        value = getattr(frame, name)
        if isinstance(value, str):
            bad = has_control(value, multiline=multiline)
        elif isinstance(value, dict):
            bad = any(has_control(k) or has_control(v, multiline=True)
                      for k, v in value.items())
        else:
            continue
        if bad:
            raise ProtocolError(ErrorCode.INVALID_FRAME)


def _check_ids(frame: ClientFrame) -> None:
    if isinstance(frame, Erase) and frame.scope == "room" and frame.room is None:
        raise ProtocolError(ErrorCode.INVALID_FRAME)
    for value in (getattr(frame, "id", None), getattr(frame, "room", None)):
        if value is not None and (not value or len(value) > MAX_ID_CHARS):
            raise ProtocolError(ErrorCode.INVALID_FRAME)


def frame_id(data: str | bytes) -> str | None:
    """Best-effort client ``id`` of a frame that failed validation, to echo in the error."""
    try:
        loose = _loose.decode(data)
    except (msgspec.DecodeError, RecursionError):
        return None
    if isinstance(loose, dict):
        value = loose.get("id")
        if isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS:
            return value
    return None


# Server frames -----------------------------------------------------------------------------


def now_ms() -> int:
    return int(time.time() * 1000)


def encode(frame: dict[str, Any]) -> str:
    """Encode a frame for one client (errors, acks, welcome): not part of a room's stream."""
    return _encoder.encode(frame).decode()


def error_frame(code: ErrorCode, *, id: str | None = None, room: str | None = None,
                retry_after: float | None = None, reason: str | None = None) -> str:
    frame: dict[str, Any] = {"type": "error", "code": code.value, "message": MESSAGES[code]}
    if reason is not None:
        frame["reason"] = reason
    if id is not None:
        frame["id"] = id
    if room is not None:
        frame["room"] = room
    if retry_after is not None:
        frame["retry_after"] = round(retry_after, 2)
    return encode(frame)


def event_body(frame: dict[str, Any]) -> bytes:
    """Encode a stream event without its ``seq``; the broker splices the number in front."""
    return _encoder.encode(frame)


def splice_seq(seq: int, body: bytes) -> bytes:
    """``{"seq":N,`` + the body without its opening brace: the frame every member receives."""
    return b'{"seq":%d,%s' % (seq, body[1:])


def seq_of(frame: bytes | str) -> int:
    """Read the sequence number back from a spliced frame without parsing the rest."""
    head = frame[7:27] if isinstance(frame, bytes) else frame[7:27].encode()
    return int(head.split(b",", 1)[0])


def frame_ts(frame: bytes | str) -> int:
    """A stream frame's server timestamp (ms), 0 if it has none."""
    try:
        decoded = _loose.decode(frame)
    except msgspec.DecodeError:
        return 0
    ts = decoded.get("ts") if isinstance(decoded, dict) else None
    return ts if isinstance(ts, int) else 0


def welcome_frame(*, token: str | None, pseudonym: str, limits: dict[str, Any],
                  heartbeat: float, role: str = "participant",
                  rooms: list[str] | None = None, session_rooms: list[str] | None = None) -> str:
    frame: dict[str, Any] = {"type": "welcome", "v": PROTOCOL_VERSION, "pseudonym": pseudonym,
                             "role": role, "limits": limits, "heartbeat": heartbeat,
                             "ts": now_ms()}
    if rooms is not None:
        frame["rooms"] = rooms  # the rooms a facilitator may act in
    if session_rooms:
        frame["session_rooms"] = session_rooms  # of those, the ones only while a session is open
    if token is not None:
        frame["token"] = token
    return encode(frame)


def text_frame(payload: bytes) -> bytes:
    """A final, unmasked, uncompressed WebSocket text frame (RFC 6455 section 5.2): what a
    server sends, identical for every member, so a broadcast is framed once."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload
